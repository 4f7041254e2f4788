//! `GET /ws`: the one WebSocket endpoint for agents and visitors. The handshake authenticates (agent: the session
//! cookie from our own origin, or a token; visitor: API key + visitor token from an origin the website allows);
//! every event is then authorised again against the acting principal. Tokens never travel in the URL, where every
//! proxy would log them: they ride in `Sec-WebSocket-Protocol` beside `protocol::SUBPROTOCOL` (or, for clients that
//! can set headers, `Authorization: Bearer`). Frames are JSON (`docs/protocol.md`), at most 64 KB, at most 20 events
//! a second per socket; a bad frame gets an error frame and the socket stays open.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use governor::{Quota, RateLimiter};
use protocol::{
    ClientEvent, SenderType, ServerEvent, AGENT_TOKEN_PROTOCOL, PROTOCOL_VERSION, SUBPROTOCOL, VISITOR_TOKEN_PROTOCOL,
};
use serde::Deserialize;

use domain::ctx::{Ctx, Principal, VisitorCtx};
use domain::entities::chats as chats_entity;
use domain::hub::{frame, CloseReason, Conn, Frame, Topic};
use domain::services::{auth, chats, messages, visitors, websites};
use domain::AppState;
use protocol::AppError;

use crate::error::ApiError;
use crate::middleware::csrf::is_own_origin;

pub const MAX_FRAME: usize = 64 * 1024;
/// Read chunk per socket, allocated up front: most frames are far smaller, and a larger one just takes more reads.
const READ_BUFFER: usize = 256;
/// A visitor socket's frames are written out once this much is buffered (or on flush): small, since there are
/// thousands of them and most idle.
const WRITE_BUFFER: usize = 2 * 1024;
/// An agent socket's: an agent of a busy website receives every message, and a burst should go out in one write,
/// not one per 2 KB (there are few agent sockets).
const AGENT_WRITE_BUFFER: usize = 64 * 1024;
const EVENTS_PER_SECOND: u32 = 20;
const EVENT_BURST: u32 = 40;
const MAX_RESUME_CHATS: usize = 100;
const PING_EVERY: Duration = Duration::from_secs(25);
/// Most queued frames written before one flush.
const FLUSH_EVERY: usize = 64;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WsQuery {
    /// The website's public key (or the `x-api-key` header): a visitor's socket.
    api_key: Option<String>,
    /// Refused: tokens do not belong in URLs.
    visitor_token: Option<String>,
    /// Refused: tokens do not belong in URLs.
    token: Option<String>,
}

/// The value offered in `Sec-WebSocket-Protocol` that starts with `prefix`, without it.
fn offered_token(headers: &HeaderMap, prefix: &str) -> Option<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find_map(|p| p.strip_prefix(prefix))
        .filter(|t| !t.is_empty())
        .map(String::from)
}

/// Boxed for agents: every socket's session keeps one, and thousands of visitor sockets should not each reserve
/// room for an agent's `Ctx`.
enum Who {
    Agent(Box<Ctx>),
    Visitor(VisitorCtx),
}

/// The chats a visitor's socket has already been allowed to write to, by id, so a send does not read the database
/// first. What a send needs of a chat (its visitor and website) never changes, so nothing here goes stale; a send
/// without an id is resolved by the message writer itself, in the write (the open chat may have just been closed).
#[derive(Default)]
struct VisitorChats {
    known: HashMap<String, chats_entity::Model>,
}

const KNOWN_CHATS: usize = 32;

impl VisitorChats {
    async fn named(&mut self, state: &AppState, v: &VisitorCtx, id: &str) -> Result<chats_entity::Model, AppError> {
        if let Some(chat) = self.known.get(id) {
            return Ok(chat.clone());
        }
        let chat = chats::find_for(Principal::Visitor(v), &state.db, id).await?;
        self.remember(chat.clone());
        Ok(chat)
    }

    /// A chat of this visitor's, known from a write or a read: the widget names its chat in every send after the
    /// first, and without this each socket's first named send read the chat again (a thousand visitors starting
    /// together made a thousand reads at once).
    fn remember(&mut self, chat: chats_entity::Model) {
        if self.known.len() >= KNOWN_CHATS {
            self.known.clear();
        }
        self.known.insert(chat.id.clone(), chat);
    }
}

impl Who {
    fn principal(&self) -> Principal<'_> {
        match self {
            Who::Agent(ctx) => Principal::Agent(ctx),
            Who::Visitor(v) => Principal::Visitor(v),
        }
    }
}

pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
) -> Result<Response, ApiError> {
    if query.token.is_some() || query.visitor_token.is_some() {
        return Err(AppError::BadRequest(
            "Tokens do not go in the URL: offer them in Sec-WebSocket-Protocol (docs/protocol.md).".into(),
        )
        .into());
    }
    let ip = Some(peer.ip());
    state.limits.new_socket(ip)?;
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    // Read before the credentials are checked: a change of access after this point is seen when the socket
    // subscribes, and it connects again.
    let epoch = state.hub.access_epoch();
    let api_key = query.api_key.or_else(|| crate::routes::api::widget::header_api_key(&headers));
    let who = match api_key {
        Some(api_key) => {
            let token = offered_token(&headers, VISITOR_TOKEN_PROTOCOL).ok_or(AppError::Unauthorized)?;
            Who::Visitor(visitors::authenticate(&state, &api_key, origin, &token, ip).await?)
        }
        None => {
            let token = match offered_token(&headers, AGENT_TOKEN_PROTOCOL).or_else(|| auth::bearer_token(&headers)) {
                Some(token) => token,
                None => {
                    // A cookie rides along with any page's WebSocket: only our own pages may use it.
                    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
                    let own = match origin {
                        Some(origin) => is_own_origin(origin, host, &state.public_url),
                        None => true,
                    };
                    if !own {
                        return Err(AppError::Forbidden.into());
                    }
                    auth::token_from_headers(&headers).ok_or(AppError::Unauthorized)?
                }
            };
            Who::Agent(Box::new(auth::authenticate(&state, &token, ip).await?))
        }
    };
    // Small I/O buffers (they grow for a large frame): an idle socket should cost kilobytes, not the 128 KiB
    // tungstenite allocates by default.
    let write_buffer = match who {
        Who::Agent(_) => AGENT_WRITE_BUFFER,
        Who::Visitor(_) => WRITE_BUFFER,
    };
    Ok(ws
        .protocols([SUBPROTOCOL])
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(write_buffer)
        .on_upgrade(move |socket| session(socket, state, who, epoch)))
}

fn error_frame(err: &AppError, client_msg_id: Option<String>) -> Frame {
    let retry_after = match err {
        AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
        _ => None,
    };
    frame(&ServerEvent::Error { code: err.code().into(), message: err.to_string(), retry_after, client_msg_id })
}

/// Subscribes the socket to its own topics (unless access changed since `epoch`: then `None`, and the socket asks
/// the client to connect again), announces a visitor, and builds the `hello` frame.
async fn hello(state: &AppState, conn: &Conn, who: &Who, epoch: u64) -> Option<Frame> {
    let hello = match who {
        Who::Agent(ctx) => {
            let mut topics = vec![Topic::User(ctx.user_id().to_string())];
            topics.extend(ctx.token().map(|t| Topic::Session(t.id.clone())));
            if !state.hub.subscribe_unless_changed(conn, topics, epoch) {
                return None;
            }
            ServerEvent::Hello {
                v: PROTOCOL_VERSION,
                role: "agent".into(),
                user_id: Some(ctx.user_id().into()),
                visitor_id: None,
                chats: vec![],
            }
        }
        Who::Visitor(v) => {
            let topics = [Topic::Visitor(v.visitor_id.clone()), Topic::WebsiteVisitors(v.website_id.clone())];
            if !state.hub.subscribe_unless_changed(conn, topics, epoch) {
                return None;
            }
            let online =
                ServerEvent::VisitorOnline { website_id: v.website_id.clone(), visitor_id: v.visitor_id.clone() };
            state.hub.publish(&Topic::Website(v.website_id.clone()), frame(&online), None);
            let chats = match chats::of_visitor(v, &state.db).await {
                Ok(list) => chats::summaries(&state.db, &list).await.unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            ServerEvent::Hello {
                v: PROTOCOL_VERSION,
                role: "visitor".into(),
                user_id: None,
                visitor_id: Some(v.visitor_id.clone()),
                chats: chats.iter().map(protocol::ChatSummary::for_visitor).collect(),
            }
        }
    };
    Some(frame(&hello))
}

/// The socket's life. Split before the future is made, so the future does not keep the unsplit socket's storage
/// for the whole session (arguments of an `async fn` live as long as it does).
fn session(socket: WebSocket, state: AppState, who: Who, epoch: u64) -> impl std::future::Future<Output = ()> + Send {
    let (sink, stream) = socket.split();
    run(sink, stream, state, who, epoch)
}

async fn run(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut stream: futures_util::stream::SplitStream<WebSocket>,
    state: AppState,
    who: Who,
    epoch: u64,
) {
    let (conn, mut queue) = state.hub.connect();
    let limiter = RateLimiter::direct(
        Quota::per_second(NonZeroU32::new(EVENTS_PER_SECOND).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(EVENT_BURST).unwrap_or(NonZeroU32::MIN)),
    );

    // Boxed, like every database call here: the session future (one per socket) keeps only what idles.
    match Box::pin(hello(&state, &conn, &who, epoch)).await {
        Some(hello) => {
            conn.send(hello);
        }
        None => {
            let (code, reason) = CloseReason::Retry.code();
            let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
            state.hub.disconnect(&conn);
            return;
        }
    }

    // A plain timer kept inside the session future (an `Interval` would be one more allocation per socket).
    let ping = tokio::time::sleep(PING_EVERY);
    tokio::pin!(ping);
    let mut visitor_chats: Option<Box<VisitorChats>> = None;
    let close = loop {
        tokio::select! {
            Some(out) = queue.recv() => {
                // Whatever else is already queued goes out with it, in one flush (one write for a burst).
                let mut next = Some(out);
                let mut written = 0;
                let mut ok = true;
                while let Some(out) = next.take() {
                    let Ok(text) = Utf8Bytes::try_from(out.bytes()) else { continue };
                    if sink.feed(Message::Text(text)).await.is_err() {
                        ok = false;
                        break;
                    }
                    written += 1;
                    if written < FLUSH_EVERY {
                        next = queue.try_recv().ok();
                    }
                }
                if !ok || sink.flush().await.is_err() {
                    break None;
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if limiter.check().is_err() {
                        conn.send(error_frame(&AppError::RateLimited { retry_after_secs: 1 }, None));
                        continue;
                    }
                    match serde_json::from_str::<ClientEvent>(text.as_str()) {
                        // Boxed: the session future (one per socket, mostly idle) stays small instead of
                        // carrying the largest database call's state inline.
                        Ok(event) => Box::pin(handle(&state, &who, &conn, &mut visitor_chats, event)).await,
                        Err(e) => {
                            let err = AppError::BadRequest(format!("Unknown or malformed event: {e}"));
                            conn.send(error_frame(&err, None));
                        }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    conn.send(error_frame(&AppError::BadRequest("Send JSON text frames.".into()), None));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => break None,
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "socket error");
                    break None;
                }
            },
            reason = conn.closed() => break Some(reason),
            _ = &mut ping => {
                ping.as_mut().reset(tokio::time::Instant::now() + PING_EVERY);
                if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break None;
                }
            }
        }
    };
    if let Some(reason) = close {
        let (code, text) = reason.code();
        let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: text.into() }))).await;
    }
    match &who {
        Who::Visitor(v) => state.hub.disconnect_visitor(&conn, &v.website_id),
        Who::Agent(_) => state.hub.disconnect(&conn),
    }
    if let Who::Visitor(v) = &who {
        if !state.hub.has_subscribers(&Topic::Visitor(v.visitor_id.clone())) {
            let offline =
                ServerEvent::VisitorOffline { website_id: v.website_id.clone(), visitor_id: v.visitor_id.clone() };
            state.hub.publish(&Topic::Website(v.website_id.clone()), frame(&offline), None);
        }
    }
}

async fn handle(
    state: &AppState,
    who: &Who,
    conn: &Conn,
    visitor_chats: &mut Option<Box<VisitorChats>>,
    event: ClientEvent,
) {
    if let Err(err) = handle_inner(state, who, conn, visitor_chats, event).await {
        conn.send(error_frame(&err, None));
    }
}

async fn handle_inner(
    state: &AppState,
    who: &Who,
    conn: &Conn,
    visitor_chats: &mut Option<Box<VisitorChats>>,
    event: ClientEvent,
) -> Result<(), AppError> {
    match event {
        ClientEvent::JoinWebsite { website_id } => {
            let Who::Agent(ctx) = who else { return Err(AppError::Forbidden) };
            // Checked again if the agent's access changed while it was being checked.
            let mut joined = false;
            for _ in 0..3 {
                let epoch = state.hub.access_epoch();
                websites::find_visible(ctx, &state.db, &website_id).await?;
                if state.hub.subscribe_unless_changed(conn, [Topic::Website(website_id.clone())], epoch) {
                    joined = true;
                    break;
                }
            }
            if !joined {
                return Err(AppError::RateLimited { retry_after_secs: 1 });
            }
            conn.send(frame(&ServerEvent::Joined { website_id }));
        }
        ClientEvent::ChatMessage { chat_id, client_msg_id, content } => {
            let cid = client_msg_id.as_deref();
            let sent = match send_message(state, who, visitor_chats, chat_id.as_deref(), content, cid).await {
                Ok(sent) => sent,
                // A refused message names its client id, so the client knows which one to keep (and send again).
                Err(err) => {
                    conn.send(error_frame(&err, client_msg_id));
                    return Ok(());
                }
            };
            let m = sent.message;
            conn.send(frame(&ServerEvent::Ack {
                client_msg_id: m.client_msg_id.clone(),
                chat_id: m.chat_id.clone(),
                seq: m.seq,
                message_id: m.id.clone(),
            }));
        }
        // A visitor typing before their first message has no chat yet: nothing to tell.
        ClientEvent::TypingStart { chat_id: None } | ClientEvent::TypingStop { chat_id: None } => {}
        ClientEvent::TypingStart { chat_id: Some(chat_id) } => typing(state, who, conn, &chat_id, true).await?,
        ClientEvent::TypingStop { chat_id: Some(chat_id) } => typing(state, who, conn, &chat_id, false).await?,
        ClientEvent::Resume { chats: wanted } => {
            if wanted.len() > MAX_RESUME_CHATS {
                return Err(AppError::validation("chats", format!("Resume at most {MAX_RESUME_CHATS} chats at once.")));
            }
            for (chat_id, last_seq) in wanted {
                let mut after = last_seq;
                loop {
                    let batch = messages::after(who.principal(), &state.db, &chat_id, after).await?;
                    let Some(last) = batch.last().map(|m| m.seq) else { break };
                    let full = batch.len() as u64 == messages::PAGE;
                    for message in batch {
                        conn.send(frame(&ServerEvent::NewMessage { chat_id: chat_id.clone(), message }));
                    }
                    if !full {
                        break;
                    }
                    after = last;
                }
            }
        }
        ClientEvent::Read { chat_id, seq } => {
            let Who::Agent(ctx) = who else { return Err(AppError::Forbidden) };
            chats::mark_read(ctx, state, &chat_id, seq).await?;
        }
        ClientEvent::PageView { url, title } => {
            let Who::Visitor(v) = who else { return Err(AppError::Forbidden) };
            let (url, title) = visitors::record_page(v, state, &url, title.as_deref()).await?;
            let event = ServerEvent::VisitorPage {
                website_id: v.website_id.clone(),
                visitor_id: v.visitor_id.clone(),
                url,
                title,
            };
            state.hub.publish(&Topic::Website(v.website_id.clone()), frame(&event), None);
        }
        ClientEvent::Ping => {
            conn.send(frame(&ServerEvent::Pong));
        }
    }
    Ok(())
}

/// Stores a `chat-message` from the socket's principal.
async fn send_message(
    state: &AppState,
    who: &Who,
    visitor_chats: &mut Option<Box<VisitorChats>>,
    chat_id: Option<&str>,
    content: String,
    cid: Option<&str>,
) -> Result<messages::Sent, AppError> {
    let Who::Visitor(v) = who else {
        return messages::send(who.principal(), state, chat_id, &content, cid).await;
    };
    let content = messages::Content::Text(messages::check(&content, cid)?);
    let visitor_chats = visitor_chats.get_or_insert_with(Box::default);
    match chat_id {
        Some(id) => {
            let chat = visitor_chats.named(state, v, id).await?;
            messages::send_content(who.principal(), state, chat, content, cid).await
        }
        // The writer finds the open chat, or opens one, in the same write.
        None => {
            let mut sent = messages::send_opening(v, state, content, cid).await?;
            if let Some(chat) = sent.opened.take() {
                visitor_chats.remember(chat);
            }
            Ok(sent)
        }
    }
}

async fn typing(state: &AppState, who: &Who, conn: &Conn, chat_id: &str, on: bool) -> Result<(), AppError> {
    let chat = chats::find_for(who.principal(), &state.db, chat_id).await?;
    let sender_type = match who {
        Who::Agent(_) => SenderType::Admin,
        Who::Visitor(_) => SenderType::Visitor,
    };
    let event = if on {
        ServerEvent::UserTyping { chat_id: chat.id.clone(), sender_type }
    } else {
        ServerEvent::UserStoppedTyping { chat_id: chat.id.clone(), sender_type }
    };
    let f = frame(&event);
    state.hub.publish(&Topic::Website(chat.website_id.clone()), f.clone(), Some(conn.id));
    state.hub.publish(&Topic::Visitor(chat.visitor_id.clone()), f, Some(conn.id));
    Ok(())
}
