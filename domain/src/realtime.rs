//! One realtime socket, whatever carries it: who is on it, what it follows, and what each client event does
//! (`docs/protocol.md`). The transport (`/ws` in the server crate) authenticates, decodes, hands events to
//! [`Socket::handle`] and writes the frames the hub queues; everything it says goes through the hub.

use std::collections::HashMap;

use protocol::{AppError, ClientEvent, SenderType, ServerEvent, VisitorChat, PROTOCOL_VERSION};
use tokio::sync::mpsc;

use crate::ctx::{Ctx, Principal, VisitorCtx};
use crate::entities::chats as chat_rows;
use crate::events::{self, Audience};
use crate::hub::{frame, CloseReason, Conn, Frame, Topic};
use crate::scoped::Scoped;
use crate::services::{chats, messages, visitors, websites};
use crate::AppState;

/// At most this many chats per `resume`.
pub const MAX_RESUME_CHATS: usize = 100;

/// Who is on a socket. An agent's `Ctx` is boxed: every socket keeps one of these, and thousands of visitor sockets
/// should not each reserve room for an agent's.
pub enum Who {
    Agent(Box<Ctx>),
    Visitor(VisitorCtx),
}

impl Who {
    fn principal(&self) -> Principal<'_> {
        match self {
            Who::Agent(ctx) => Principal::Agent(ctx),
            Who::Visitor(v) => Principal::Visitor(v),
        }
    }
}

/// An open socket: its principal, its handle in the hub, and (for a visitor) the chats it already wrote to.
pub struct Socket {
    who: Who,
    conn: Conn,
    visitor_chats: Option<Box<VisitorChats>>,
}

impl Socket {
    /// Joins the hub: the socket follows its own topics and gets `hello` (a visitor is announced to the website's
    /// agents). `epoch` is the hub's access epoch read before `who` was authenticated: if access changed since, the
    /// socket is refused with [`CloseReason::Retry`] and the client connects again.
    pub async fn open(state: &AppState, who: Who, epoch: u64) -> Result<(Socket, mpsc::Receiver<Frame>), CloseReason> {
        let (conn, queue) = state.hub.connect();
        let topics = match &who {
            Who::Agent(ctx) => {
                let mut topics = vec![Topic::User(ctx.user_id().to_string())];
                topics.extend(ctx.token().map(|t| Topic::Session(t.id.clone())));
                topics
            }
            Who::Visitor(v) => vec![Topic::Visitor(v.visitor_id.clone()), Topic::WebsiteVisitors(v.website_id.clone())],
        };
        if !state.hub.subscribe_unless_changed(&conn, topics, epoch) {
            state.hub.disconnect(&conn);
            return Err(CloseReason::Retry);
        }
        // Checked after subscribing: a drain that began since has either closed this socket or is seen here.
        if state.draining() {
            state.hub.disconnect(&conn);
            return Err(CloseReason::Stopping);
        }
        let hello = match &who {
            Who::Agent(ctx) => {
                let works_on = websites::worked_on(ctx, &state.db).await.unwrap_or_default();
                let first_here = state.presence.agent_connected(ctx.user_id(), works_on.clone());
                let mut announce = first_here;
                if let Some(cluster) = &state.cluster {
                    announce = first_here && !cluster.connected_elsewhere("a", ctx.user_id()).await;
                    cluster.agent_here(ctx.user_id(), &works_on);
                }
                if announce {
                    let user_id = ctx.user_id().to_string();
                    let status = crate::services::availability::status_of(&state.db, &user_id)
                        .await
                        .unwrap_or(protocol::Availability::Online);
                    for website_id in &works_on {
                        let online = ServerEvent::AgentOnline {
                            website_id: website_id.clone(),
                            user_id: user_id.clone(),
                            name: ctx.user().name.clone(),
                            status,
                        };
                        events::publish(&state.hub, Audience::Agents { website_id }, &online, None);
                    }
                    // Someone to give waiting chats to.
                    for website_id in &works_on {
                        crate::services::routing::dispatch_soon(state, website_id);
                    }
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
                let first_here =
                    state.presence.visitor_connected(&v.website_id, &v.visitor_id, crate::services::now_millis());
                if let (Some(cluster), Some(since)) = (&state.cluster, first_here) {
                    cluster.visitor_here(&v.website_id, &v.visitor_id, since, None, None);
                }
                let online =
                    ServerEvent::VisitorOnline { website_id: v.website_id.clone(), visitor_id: v.visitor_id.clone() };
                events::publish(&state.hub, Audience::Agents { website_id: &v.website_id }, &online, None);
                ServerEvent::Hello {
                    v: PROTOCOL_VERSION,
                    role: "visitor".into(),
                    user_id: None,
                    visitor_id: Some(v.visitor_id.clone()),
                    chats: visitor_chats(state, v).await,
                }
            }
        };
        conn.send(frame(&hello));
        crate::metrics::socket(kind(&who), 1.0);
        Ok((Socket { who, conn, visitor_chats: None }, queue))
    }

    /// Resolves when the hub wants this socket closed, with why.
    pub async fn closed(&self) -> CloseReason {
        self.conn.closed().await
    }

    /// Tells the client its frame was refused (malformed, too frequent); the socket stays.
    pub fn refuse(&self, err: &AppError) {
        self.conn.send(error_frame(err, None));
    }

    /// Carries out one client event; a refusal is answered with an `error` frame.
    pub async fn handle(&mut self, state: &AppState, event: ClientEvent) {
        if let Err(err) = self.dispatch(state, event).await {
            self.conn.send(error_frame(&err, None));
        }
    }

    /// Leaves the hub; a visitor or agent whose last socket (on any node) this was is announced offline.
    pub async fn close(self, state: &AppState) {
        crate::metrics::socket(kind(&self.who), -1.0);
        match &self.who {
            Who::Visitor(v) => {
                state.hub.disconnect_visitor(&self.conn, &v.website_id);
                let last_here = state.presence.visitor_disconnected(&v.website_id, &v.visitor_id);
                let mut gone = !state.hub.has_subscribers(&Topic::Visitor(v.visitor_id.clone()));
                if let (Some(cluster), true) = (&state.cluster, last_here) {
                    cluster.visitor_gone(&v.website_id, &v.visitor_id);
                    gone = gone && !cluster.connected_elsewhere("v", &v.visitor_id).await;
                }
                if gone {
                    let offline = ServerEvent::VisitorOffline {
                        website_id: v.website_id.clone(),
                        visitor_id: v.visitor_id.clone(),
                    };
                    events::publish(&state.hub, Audience::Agents { website_id: &v.website_id }, &offline, None);
                }
            }
            Who::Agent(ctx) => {
                state.hub.disconnect(&self.conn);
                let mut websites = state.presence.agent_disconnected(ctx.user_id());
                if let (Some(cluster), true) = (&state.cluster, websites.is_some()) {
                    cluster.agent_gone(ctx.user_id());
                    if cluster.connected_elsewhere("a", ctx.user_id()).await {
                        websites = None;
                    }
                }
                for website_id in websites.unwrap_or_default() {
                    let offline =
                        ServerEvent::AgentOffline { website_id: website_id.clone(), user_id: ctx.user_id().into() };
                    events::publish(&state.hub, Audience::Agents { website_id: &website_id }, &offline, None);
                }
            }
        }
    }

    async fn dispatch(&mut self, state: &AppState, event: ClientEvent) -> Result<(), AppError> {
        match event {
            ClientEvent::JoinWebsite { website_id } => {
                let Who::Agent(ctx) = &self.who else { return Err(AppError::Forbidden) };
                // Checked again if the agent's access changed while it was being checked.
                for _ in 0..3 {
                    let epoch = state.hub.access_epoch();
                    websites::get(ctx, state, &website_id).await?;
                    if state.hub.subscribe_unless_changed(&self.conn, [Topic::Website(website_id.clone())], epoch) {
                        self.conn.send(frame(&ServerEvent::Joined { website_id }));
                        return Ok(());
                    }
                }
                Err(AppError::RateLimited { retry_after_secs: 1 })
            }
            ClientEvent::ChatMessage { chat_id, client_msg_id, content, note } => {
                let cid = client_msg_id.as_deref();
                let sent = match note {
                    false => self.send_message(state, chat_id.as_deref(), content, cid).await,
                    true => match (&self.who, chat_id.as_deref()) {
                        (Who::Agent(ctx), Some(chat_id)) => {
                            messages::send_note(ctx, state, chat_id, &content, cid).await
                        }
                        (Who::Agent(_), None) => Err(AppError::validation("chatId", "Say which chat the note is for.")),
                        // Notes are for agents; a visitor's socket cannot write one.
                        (Who::Visitor(_), _) => Err(AppError::Forbidden),
                    },
                };
                let sent = match sent {
                    Ok(sent) => sent,
                    // A refused message names its client id, so the client keeps it (and sends it again).
                    Err(err) => {
                        self.conn.send(error_frame(&err, client_msg_id));
                        return Ok(());
                    }
                };
                let m = sent.message;
                self.conn.send(frame(&ServerEvent::Ack {
                    client_msg_id: m.client_msg_id.clone(),
                    chat_id: m.chat_id.clone(),
                    seq: m.seq,
                    message_id: m.id.clone(),
                }));
                Ok(())
            }
            // A visitor typing before their first message has no chat yet: nothing to tell.
            ClientEvent::TypingStart { chat_id: None, .. } | ClientEvent::TypingStop { chat_id: None } => Ok(()),
            ClientEvent::TypingStart { chat_id: Some(chat_id), text } => {
                self.typing(state, &chat_id, Some(text.unwrap_or_default())).await
            }
            ClientEvent::TypingStop { chat_id: Some(chat_id) } => self.typing(state, &chat_id, None).await,
            ClientEvent::Resume { chats: wanted } => {
                if wanted.len() > MAX_RESUME_CHATS {
                    let message = format!("Resume at most {MAX_RESUME_CHATS} chats at once.");
                    return Err(AppError::validation("chats", message));
                }
                let read_receipts = matches!(self.who, Who::Visitor(_));
                let mut resumed = Vec::new();
                for (chat_id, last_seq) in wanted {
                    let mut after = last_seq;
                    loop {
                        let page = messages::after(self.who.principal(), state, &chat_id, after).await?;
                        let Some(last) = page.last().map(|m| m.seq) else { break };
                        let full = page.len() as u64 == messages::PAGE;
                        for message in page {
                            self.conn.send(frame(&ServerEvent::NewMessage { chat_id: chat_id.clone(), message }));
                        }
                        if !full {
                            break;
                        }
                        after = last;
                    }
                    if read_receipts {
                        resumed.push(chat_id);
                    }
                }
                // The visitor's read receipts: how far agents have read each chat they resumed.
                let ids: Vec<&str> = resumed.iter().map(String::as_str).collect();
                for (chat_id, read_seq) in chats::agent_read_seqs(&state.db, &ids).await? {
                    if let Some(seq) = chats::visitor_receipt(&state.db, &chat_id, read_seq).await? {
                        let sender_type = SenderType::Admin;
                        self.conn.send(frame(&ServerEvent::Read { chat_id, seq, sender_type }));
                    }
                }
                Ok(())
            }
            ClientEvent::Read { chat_id, seq } => match &self.who {
                Who::Agent(ctx) => chats::mark_read(ctx, state, &chat_id, seq).await,
                Who::Visitor(v) => chats::mark_seen(v, state, &chat_id, seq).await,
            },
            ClientEvent::PageView { url, title } => {
                let Who::Visitor(v) = &self.who else { return Err(AppError::Forbidden) };
                visitors::page_view(v, state, &url, title.as_deref()).await
            }
            ClientEvent::Ping => {
                self.conn.send(frame(&ServerEvent::Pong));
                Ok(())
            }
        }
    }

    /// Stores a `chat-message` from the socket's principal.
    async fn send_message(
        &mut self,
        state: &AppState,
        chat_id: Option<&str>,
        content: String,
        cid: Option<&str>,
    ) -> Result<messages::Sent, AppError> {
        let Who::Visitor(v) = &self.who else {
            return messages::send(self.who.principal(), state, chat_id, &content, cid).await;
        };
        let content = messages::Content::Text(messages::check(&content, cid)?);
        let known = self.visitor_chats.get_or_insert_with(Box::default);
        match chat_id {
            Some(id) => {
                let chat = known.named(state, v, id).await?;
                messages::send_content(Principal::Visitor(v), state, chat, content, cid).await
            }
            // The writer finds the open chat, or opens one, in the same write.
            None => {
                let mut sent = messages::send_opening(v, state, content, cid).await?;
                if let Some(chat) = sent.opened.take() {
                    known.remember(chat);
                }
                Ok(sent)
            }
        }
    }

    /// Tells the other side of a chat that this socket's principal is typing (`Some`: with what a visitor has typed
    /// so far, possibly empty), or stopped (`None`). A visitor's draft goes to the agents only, only when the
    /// website allows previews, cut to its last [`protocol::MAX_TYPING_PREVIEW`] characters; it is never stored.
    async fn typing(&self, state: &AppState, chat_id: &str, typed: Option<String>) -> Result<(), AppError> {
        let chat = chats::find_for(self.who.principal(), &state.db, chat_id).await?;
        let Some(typed) = typed else {
            let sender_type = self.sender_type();
            let event = ServerEvent::UserStoppedTyping { chat_id: chat.id.clone(), sender_type };
            let to = Audience::Chat { website_id: &chat.website_id, visitor_id: &chat.visitor_id };
            events::publish(&state.hub, to, &event, Some(self.conn.id));
            return Ok(());
        };
        let preview = match &self.who {
            Who::Visitor(_)
                if !typed.trim().is_empty() && websites::typing_preview(&state.db, &chat.website_id).await? =>
            {
                let skip = typed.chars().count().saturating_sub(protocol::MAX_TYPING_PREVIEW);
                Some(typed.chars().skip(skip).collect::<String>())
            }
            _ => None,
        };
        let sender_type = self.sender_type();
        match preview {
            // The draft for the agents; the visitor's other tabs hear nothing of their own typing.
            Some(preview) => {
                let event = ServerEvent::UserTyping { chat_id: chat.id.clone(), sender_type, preview: Some(preview) };
                events::publish(&state.hub, Audience::Agents { website_id: &chat.website_id }, &event, None);
            }
            None => {
                let event = ServerEvent::UserTyping { chat_id: chat.id.clone(), sender_type, preview: None };
                let to = Audience::Chat { website_id: &chat.website_id, visitor_id: &chat.visitor_id };
                events::publish(&state.hub, to, &event, Some(self.conn.id));
            }
        }
        Ok(())
    }

    fn sender_type(&self) -> SenderType {
        match self.who {
            Who::Agent(_) => SenderType::Admin,
            Who::Visitor(_) => SenderType::Visitor,
        }
    }
}

/// A visitor's chats for `hello`, newest first, in the visitor's view.
async fn visitor_chats(state: &AppState, v: &VisitorCtx) -> Vec<VisitorChat> {
    let list = match chats::of_visitor(v, &state.db).await {
        Ok(list) => chats::plain_summaries(&state.db, &list).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    list.iter().map(protocol::ChatSummary::for_visitor).collect()
}

/// The socket's kind, as `/metrics` labels it.
fn kind(who: &Who) -> &'static str {
    match who {
        Who::Agent(_) => "agent",
        Who::Visitor(_) => "visitor",
    }
}

/// The `error` frame for a refusal; `client_msg_id` names a refused message.
fn error_frame(err: &AppError, client_msg_id: Option<String>) -> Frame {
    crate::metrics::error(err.code());
    let retry_after = err.retry_after();
    frame(&ServerEvent::Error { code: err.code().into(), message: err.to_string(), retry_after, client_msg_id })
}

/// The chats a visitor's socket has already been allowed to write to, by id, so a send does not read the database
/// first. What a send needs of a chat (its visitor and website) never changes, so nothing here goes stale; a send
/// without an id is resolved by the message writer itself, in the write (the open chat may have just been closed).
#[derive(Default)]
struct VisitorChats {
    known: HashMap<String, Scoped<chat_rows::Model>>,
}

const KNOWN_CHATS: usize = 32;

impl VisitorChats {
    async fn named(
        &mut self,
        state: &AppState,
        v: &VisitorCtx,
        id: &str,
    ) -> Result<Scoped<chat_rows::Model>, AppError> {
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
    fn remember(&mut self, chat: Scoped<chat_rows::Model>) {
        if self.known.len() >= KNOWN_CHATS {
            self.known.clear();
        }
        self.known.insert(chat.id.clone(), chat);
    }
}
