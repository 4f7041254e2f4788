//! `GET /ws`, the transport of the realtime protocol (`docs/protocol.md`) for agents and visitors: it authenticates
//! the handshake (agent: the session cookie from our own origin, or a token; visitor: API key + visitor token from an
//! origin the website allows), decodes frames into events for `domain::realtime::Socket`, which authorises each one
//! against the principal, and writes what the hub queues. Tokens never travel in the URL, where every proxy would
//! log them: they ride in `Sec-WebSocket-Protocol` beside `protocol::SUBPROTOCOL` (or, for clients that can set
//! headers, `Authorization: Bearer`). Frames are at most 64 KB, at most 20 events a second per socket; a bad frame
//! gets an error frame and the socket stays open.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use governor::{Quota, RateLimiter};
use protocol::{AppError, ClientEvent, AGENT_TOKEN_PROTOCOL, SUBPROTOCOL, VISITOR_TOKEN_PROTOCOL};
use serde::Deserialize;

use domain::hub::CloseReason;
use domain::realtime::{Socket, Who};
use domain::services::{auth, visitors};
use domain::AppState;

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
/// After a frame is refused for coming too fast, every frame is refused for this long (the `retryAfter` the
/// refusal announces): a message sent behind a refused one must not be stored before it. The client sends what was
/// refused again, in order, once the wait is over.
const RATE_HOLD: Duration = Duration::from_secs(1);
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

pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
) -> Result<Response, ApiError> {
    if state.draining() {
        return Err(AppError::Unavailable { retry_after_secs: 1 }.into());
    }
    if query.token.is_some() || query.visitor_token.is_some() {
        return Err(AppError::BadRequest(
            "Tokens do not go in the URL: offer them in Sec-WebSocket-Protocol (docs/protocol.md).".into(),
        )
        .into());
    }
    let ip = Some(peer.ip());
    state.limits().new_socket(ip).await?;
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    // Read before the credentials are checked: a change of access after this point is seen when the socket
    // subscribes, and it connects again.
    let epoch = state.hub().access_epoch();
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
                        Some(origin) => is_own_origin(origin, host, state.public_url()),
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
    // Boxed, like every database call here: the session future (one per socket) keeps only what idles.
    let (mut socket, mut queue) = match Box::pin(Socket::open(&state, who, epoch)).await {
        Ok(opened) => opened,
        Err(reason) => {
            let (code, text) = reason.code();
            let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: text.into() }))).await;
            return;
        }
    };
    let limiter = RateLimiter::direct(
        Quota::per_second(NonZeroU32::new(EVENTS_PER_SECOND).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(EVENT_BURST).unwrap_or(NonZeroU32::MIN)),
    );

    // A plain timer kept inside the session future (an `Interval` would be one more allocation per socket).
    let ping = tokio::time::sleep(PING_EVERY);
    tokio::pin!(ping);
    let mut held_until: Option<tokio::time::Instant> = None;
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
                    let now = tokio::time::Instant::now();
                    let held = held_until.is_some_and(|until| now < until);
                    if held || limiter.check().is_err() {
                        if !held {
                            held_until = Some(now + RATE_HOLD);
                        }
                        socket.refuse(&AppError::RateLimited { retry_after_secs: RATE_HOLD.as_secs() });
                        continue;
                    }
                    match serde_json::from_str::<ClientEvent>(text.as_str()) {
                        // Boxed: the session future (one per socket, mostly idle) stays small instead of
                        // carrying the largest database call's state inline.
                        Ok(event) => Box::pin(socket.handle(&state, event)).await,
                        Err(e) => socket.refuse(&AppError::BadRequest(format!("Unknown or malformed event: {e}"))),
                    }
                }
                Some(Ok(Message::Binary(_))) => socket.refuse(&AppError::BadRequest("Send JSON text frames.".into())),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => break None,
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "socket error");
                    break None;
                }
            },
            reason = socket.closed() => break Some(reason),
            _ = &mut ping => {
                ping.as_mut().reset(tokio::time::Instant::now() + PING_EVERY);
                if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break None;
                }
            }
        }
    };
    if let Some(reason) = close {
        if reason == CloseReason::Stopping {
            // What the socket was told just before (an ack, say) goes out before the close frame.
            while let Ok(out) = queue.try_recv() {
                let Ok(text) = Utf8Bytes::try_from(out.bytes()) else { continue };
                if sink.feed(Message::Text(text)).await.is_err() {
                    break;
                }
            }
        }
        let (code, text) = reason.code();
        let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: text.into() }))).await;
    }
    socket.close(&state).await;
}
