//! The dashboard's socket client: one WebSocket per tab, reconnecting with backoff and resuming by seq; server
//! events land in signals the inbox and conversation pages read. On the server (SSR) it is inert.

use std::collections::{BTreeMap, HashMap, HashSet};

use leptos::prelude::*;
use protocol::{Availability, ChatMessage, ChatStatus, ChatSummary, ChatView, ClientEvent, SenderType, ServerEvent};

use crate::components::alerts::{alert, Alert};

#[derive(Clone, Copy)]
pub struct Realtime {
    pub connected: RwSignal<bool>,
    /// Every chat the agent has heard of (from the inbox list or events), by id.
    pub chats: RwSignal<BTreeMap<String, ChatSummary>>,
    /// Messages of the chats that were opened, ordered by seq.
    pub messages: RwSignal<HashMap<String, Vec<ChatMessage>>>,
    /// Chats whose visitor is typing, with what they have typed so far when the website shows it (else empty).
    pub typing: RwSignal<HashMap<String, String>>,
    /// How far this agent has read each chat (the last seq seen): from the inbox list, then from reading.
    pub read_seqs: RwSignal<HashMap<String, i64>>,
    /// The chat shown in the conversation page (its messages count as read).
    pub open_chat: RwSignal<Option<String>>,
    pub visitors_online: RwSignal<HashSet<String>>,
    /// Last page each visitor was on.
    pub visitor_pages: RwSignal<HashMap<String, String>>,
    /// The website of each visitor online.
    pub visitor_websites: RwSignal<HashMap<String, String>>,
    /// Agents online who work on a website this socket follows, by id (their names).
    pub agents_online: RwSignal<HashMap<String, String>>,
    /// What each of those agents chose: online, away or offline.
    pub agent_statuses: RwSignal<HashMap<String, Availability>>,
    /// The signed-in user's id, from the socket's `hello`.
    pub me: RwSignal<Option<String>>,
    /// Counts changes of the signed-in user's own availability heard on the socket (made in another tab, or here).
    pub own_status_changes: RwSignal<u64>,
    /// Counts chats created or changed since the page opened (the dashboard reads its figures again on a change).
    pub chat_changes: RwSignal<u64>,
    /// The last error the server sent (e.g. a refused message).
    pub last_error: RwSignal<Option<String>>,
    /// Websites whose events this socket receives.
    pub joined: RwSignal<HashSet<String>>,
    /// Websites this agent lost access to while the page was open: their chats are no longer shown.
    pub left: RwSignal<HashSet<String>>,
    /// Replies sent but not acknowledged yet: shown as "Sending…" and sent again (with the same client id, so they
    /// are stored once) after a reconnect or when the server asks to wait.
    pub outbox: RwSignal<Vec<Outgoing>>,
    /// The signed-in user's notification settings (`components::alerts`).
    pub alert_settings: RwSignal<protocol::NotificationSettings>,
    /// A chime could not play: the browser waits for a click or a key press first.
    pub sound_blocked: RwSignal<bool>,
    /// The browser refuses notifications for this site.
    pub notifications_denied: RwSignal<bool>,
    /// What the signed-in user chose (online, away, offline), once known.
    pub own_status: RwSignal<Option<Availability>>,
}

/// A reply on its way to the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub chat_id: String,
    pub client_msg_id: String,
    pub content: String,
    /// An internal note (agents only).
    pub note: bool,
}

impl Default for Realtime {
    fn default() -> Self {
        Self::new()
    }
}

impl Realtime {
    pub fn new() -> Self {
        Realtime {
            connected: RwSignal::new(false),
            chats: RwSignal::new(BTreeMap::new()),
            messages: RwSignal::new(HashMap::new()),
            typing: RwSignal::new(HashMap::new()),
            read_seqs: RwSignal::new(HashMap::new()),
            open_chat: RwSignal::new(None),
            visitors_online: RwSignal::new(HashSet::new()),
            visitor_pages: RwSignal::new(HashMap::new()),
            visitor_websites: RwSignal::new(HashMap::new()),
            agents_online: RwSignal::new(HashMap::new()),
            agent_statuses: RwSignal::new(HashMap::new()),
            me: RwSignal::new(None),
            own_status_changes: RwSignal::new(0),
            chat_changes: RwSignal::new(0),
            last_error: RwSignal::new(None),
            joined: RwSignal::new(HashSet::new()),
            left: RwSignal::new(HashSet::new()),
            outbox: RwSignal::new(Vec::new()),
            alert_settings: RwSignal::new(Default::default()),
            sound_blocked: RwSignal::new(false),
            notifications_denied: RwSignal::new(false),
            own_status: RwSignal::new(None),
        }
    }

    /// Sends a reply (or, with `note`, an internal note), kept in the outbox until the server acknowledges it;
    /// false if it could not go out now (it goes once the socket is back).
    pub fn send_reply(&self, chat_id: &str, content: String, note: bool) -> bool {
        let outgoing = Outgoing { chat_id: chat_id.to_string(), client_msg_id: client_msg_id(), content, note };
        self.outbox.update(|o| o.push(outgoing.clone()));
        self.send(&outgoing.event())
    }

    /// Sends again whatever is still waiting for its acknowledgement (after a reconnect).
    pub fn flush_outbox(&self) {
        for outgoing in self.outbox.get_untracked() {
            self.send(&outgoing.event());
        }
    }

    /// Sends one waiting reply again, if it is still waiting.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn resend(&self, client_msg_id: &str) {
        let waiting = self.outbox.with_untracked(|o| o.iter().find(|m| m.client_msg_id == client_msg_id).cloned());
        if let Some(outgoing) = waiting {
            self.send(&outgoing.event());
        }
    }

    /// Newer summaries replace older ones; what an event did not know (the last message, the visitor's name) is
    /// kept from before.
    pub fn merge_chats(&self, list: Vec<ChatSummary>) {
        self.chats.update(|chats| {
            for mut chat in list {
                if let Some(old) = chats.get(&chat.id) {
                    let newer = |m: &Option<protocol::MessagePreview>| m.as_ref().map(|m| m.seq).unwrap_or(0);
                    if newer(&old.last_message) > newer(&chat.last_message) {
                        chat.last_message = old.last_message.clone();
                    }
                    if chat.visitor_name.is_none() {
                        chat.visitor_name = old.visitor_name.clone();
                    }
                    chat.last_seq = chat.last_seq.max(old.last_seq);
                    chat.visitor_read_seq = chat.visitor_read_seq.max(old.visitor_read_seq);
                }
                chats.insert(chat.id.clone(), chat);
            }
        });
    }

    /// Chats from a list read from the server: kept unless an event told of them already, with this agent's read
    /// positions (which never move back).
    pub fn seed(&self, list: &[ChatSummary]) {
        self.chats.update(|chats| {
            for chat in list {
                chats.entry(chat.id.clone()).or_insert_with(|| chat.clone());
            }
        });
        self.read_seqs.update(|read| {
            for chat in list {
                if let Some(seq) = chat.read_seq {
                    let at = read.entry(chat.id.clone()).or_default();
                    *at = (*at).max(seq);
                }
            }
        });
    }

    /// Messages of `chat` this agent has not read (tracked: the count follows new messages and reading).
    pub fn unread(&self, chat: &ChatSummary) -> i64 {
        let last = self.chats.with(|c| c.get(&chat.id).map(|c| c.last_seq)).unwrap_or(0).max(chat.last_seq);
        let read = self.read_seqs.with(|r| r.get(&chat.id).copied()).or(chat.read_seq).unwrap_or(0);
        (last - read).max(0)
    }

    /// Whether `chat` waits for the signed-in user: waiting for a first answer (unassigned, or theirs), or theirs
    /// with messages they have not read.
    fn needs_me(&self, chat: &ChatSummary, me: &str) -> bool {
        match chat.status {
            ChatStatus::Waiting => chat.assigned_to.as_deref().is_none_or(|a| a == me),
            ChatStatus::Ongoing => chat.assigned_to.as_deref() == Some(me) && self.unread(chat) > 0,
            _ => false,
        }
    }

    /// How many chats wait for the signed-in user (tracked: the tab title and the Chats link show it).
    pub fn attention(&self) -> usize {
        let Some(me) = self.me.get() else { return 0 };
        let left = self.left.get();
        self.chats
            .with(|chats| chats.values().filter(|c| !left.contains(&c.website_id) && self.needs_me(c, &me)).count())
    }

    /// [`Realtime::attention`] without tracking (for timers).
    pub fn attention_untracked(&self) -> usize {
        untrack(|| self.attention())
    }

    /// Reads the chats that may wait for the signed-in user (open ones, a page of them) on every (re)connection,
    /// so the counts hold on every page, not only once the inbox was opened.
    pub fn load_open_chats(&self) {
        let rt = *self;
        leptos::task::spawn_local(async move {
            let filter = protocol::ChatFilter {
                status: Some("open".into()),
                per_page: Some(OPEN_CHATS_READ),
                ..Default::default()
            };
            if let Ok(list) = crate::pages::chats::list_chats(filter).await {
                rt.merge_chats(list.clone());
                rt.seed(&list);
            }
        });
    }

    /// This agent has read `chat_id` up to `seq`; `report` tells the server too (a moment later, once for a burst).
    pub fn read_up_to(&self, chat_id: &str, seq: i64, report: bool) {
        let moved = self.read_seqs.try_update(|read| {
            let at = read.entry(chat_id.to_string()).or_default();
            let moved = seq > *at;
            *at = (*at).max(seq);
            moved
        });
        if report && moved == Some(true) {
            #[cfg(feature = "hydrate")]
            socket::report_read(chat_id, seq);
        }
    }

    /// Adds messages, keeping one per seq, in order.
    pub fn merge_messages(&self, chat_id: &str, list: Vec<ChatMessage>) {
        self.messages.update(|all| {
            let messages = all.entry(chat_id.to_string()).or_default();
            for m in list {
                if let Err(at) = messages.binary_search_by_key(&m.seq, |x| x.seq) {
                    messages.insert(at, m);
                }
            }
        });
    }

    /// The last seq held for each opened chat, for `resume`.
    pub fn last_seqs(&self) -> BTreeMap<String, i64> {
        self.messages.with_untracked(|all| {
            all.iter().map(|(id, list)| (id.clone(), list.last().map(|m| m.seq).unwrap_or(0))).collect()
        })
    }

    pub fn apply(&self, event: ServerEvent) {
        match event {
            ServerEvent::NewMessage { chat_id, message } => {
                // Stored: a reply of ours leaves the outbox even if its message came before its ack.
                if let Some(id) = &message.client_msg_id {
                    if self.outbox.with_untracked(|o| o.iter().any(|m| &m.client_msg_id == id)) {
                        self.outbox.update(|o| o.retain(|m| &m.client_msg_id != id));
                    }
                }
                let from_visitor = message.sender_type == SenderType::Visitor;
                let seq = message.seq;
                let preview = protocol::MessagePreview::of(&message);
                let text = preview.text.clone();
                if self.messages.with_untracked(|m| m.contains_key(&chat_id)) {
                    self.merge_messages(&chat_id, vec![message]);
                }
                self.chats.update(|chats| {
                    if let Some(chat) = chats.get_mut(&chat_id) {
                        chat.last_seq = chat.last_seq.max(seq);
                        if chat.last_message.as_ref().is_none_or(|m| m.seq < seq) {
                            chat.last_message = Some(preview);
                        }
                    }
                });
                if from_visitor {
                    self.typing.update(|t| {
                        t.remove(&chat_id);
                    });
                    let chat = self.chats.with_untracked(|c| c.get(&chat_id).cloned());
                    let me = self.me.get_untracked();
                    if let Some(chat) = chat.filter(|c| me.is_some() && c.assigned_to == me) {
                        alert(self, Alert::Message(&chat, &text));
                    }
                }
                if self.open_chat.get_untracked().as_deref() == Some(chat_id.as_str()) {
                    self.read_up_to(&chat_id, seq, true);
                }
            }
            ServerEvent::ChatCreated { chat: ChatView::Agent(chat) } => {
                let me = self.me.get_untracked();
                if chat.assigned_to.is_none() || chat.assigned_to == me {
                    alert(self, Alert::NewChat(&chat));
                }
                self.merge_chats(vec![*chat]);
                self.chat_changes.update(|n| *n += 1);
            }
            ServerEvent::ChatUpdated { chat: ChatView::Agent(chat) } => {
                let me = self.me.get_untracked();
                let before = self.chats.with_untracked(|c| c.get(&chat.id).map(|c| c.assigned_to.clone()));
                let open = matches!(chat.status, ChatStatus::Waiting | ChatStatus::Ongoing);
                // Handed to this user by someone else (routing, a transfer): not their own click in this chat.
                let handed = open && me.is_some() && chat.assigned_to == me && before.is_some_and(|b| b != me);
                if handed && self.open_chat.get_untracked().as_deref() != Some(chat.id.as_str()) {
                    alert(self, Alert::Assigned(&chat));
                }
                self.merge_chats(vec![*chat]);
                self.chat_changes.update(|n| *n += 1);
            }
            ServerEvent::Read { chat_id, seq, sender_type: SenderType::Visitor } => self.chats.update(|chats| {
                if let Some(chat) = chats.get_mut(&chat_id) {
                    chat.visitor_read_seq = chat.visitor_read_seq.max(seq);
                }
            }),
            ServerEvent::UserTyping { chat_id, sender_type: SenderType::Visitor, preview } => self.typing.update(|t| {
                t.insert(chat_id, preview.unwrap_or_default());
            }),
            ServerEvent::UserStoppedTyping { chat_id, sender_type: SenderType::Visitor } => self.typing.update(|t| {
                t.remove(&chat_id);
            }),
            ServerEvent::VisitorOnline { visitor_id, website_id } => {
                self.visitor_websites.update(|w| {
                    w.insert(visitor_id.clone(), website_id);
                });
                self.visitors_online.update(|v| {
                    v.insert(visitor_id);
                });
            }
            ServerEvent::VisitorOffline { visitor_id, .. } => self.visitors_online.update(|v| {
                v.remove(&visitor_id);
            }),
            ServerEvent::AgentOnline { user_id, name, status, .. } => {
                self.agent_statuses.update(|a| {
                    a.insert(user_id.clone(), status);
                });
                self.agents_online.update(|a| {
                    a.insert(user_id, name);
                });
            }
            // Heard once per website the agent works on: only a change is worth a render.
            ServerEvent::AgentStatus { user_id, status, .. }
                if self.agent_statuses.with_untracked(|a| a.get(&user_id) != Some(&status)) =>
            {
                if self.me.get_untracked().as_ref() == Some(&user_id) {
                    self.own_status_changes.update(|n| *n += 1);
                }
                self.agent_statuses.update(|a| {
                    a.insert(user_id, status);
                });
            }
            ServerEvent::AgentOffline { user_id, .. } => self.agents_online.update(|a| {
                a.remove(&user_id);
            }),
            ServerEvent::Hello { user_id, .. } => self.me.set(user_id),
            ServerEvent::VisitorPage { visitor_id, url, website_id, .. } => {
                self.visitor_websites.update(|w| {
                    w.insert(visitor_id.clone(), website_id);
                });
                self.visitor_pages.update(|p| {
                    p.insert(visitor_id, url);
                });
            }
            ServerEvent::Ack { client_msg_id: Some(id), .. } => {
                self.outbox.update(|o| o.retain(|m| m.client_msg_id != id))
            }
            // The server asks to wait (too fast, or its database did not answer): the same reply goes again then.
            ServerEvent::Error { client_msg_id: Some(id), retry_after: Some(wait), .. } => {
                #[cfg(feature = "hydrate")]
                {
                    let rt = *self;
                    set_timeout(move || rt.resend(&id), std::time::Duration::from_secs(wait.max(1)));
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = (id, wait);
            }
            // Refused for good: it leaves the outbox, and the agent is told why.
            ServerEvent::Error { client_msg_id: Some(id), message, .. } => {
                self.outbox.update(|o| o.retain(|m| m.client_msg_id != id));
                self.last_error.set(Some(message));
            }
            ServerEvent::Error { message, .. } => self.last_error.set(Some(message)),
            ServerEvent::Joined { website_id } => {
                self.left.update(|l| {
                    l.remove(&website_id);
                });
                self.joined.update(|j| {
                    j.insert(website_id);
                });
            }
            // Removed from the website (or it was deleted): its chats leave the inbox.
            ServerEvent::LeftWebsite { website_id } => {
                self.joined.update(|j| {
                    j.remove(&website_id);
                });
                let gone: Vec<String> = self.chats.with_untracked(|chats| {
                    chats.values().filter(|c| c.website_id == website_id).map(|c| c.id.clone()).collect()
                });
                self.chats.update(|chats| chats.retain(|_, c| c.website_id != website_id));
                self.messages.update(|m| m.retain(|id, _| !gone.contains(id)));
                self.left.update(|l| {
                    l.insert(website_id);
                });
            }
            _ => {}
        }
    }

    /// Follows every website the agent may see now (after one was created, or when the inbox opens).
    pub fn rejoin(&self) {
        #[cfg(feature = "hydrate")]
        socket::join_all();
    }

    /// Sends an event if connected; false otherwise (the caller keeps what the user typed).
    pub fn send(&self, event: &ClientEvent) -> bool {
        #[cfg(feature = "hydrate")]
        {
            socket::send(event)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = event;
            false
        }
    }
}

/// Who a chat is with, for an alert: the name they gave, or a short stand-in.
pub fn chat_label(chat: &ChatSummary) -> String {
    match chat.visitor_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_string(),
        None => format!("Visitor #{}", chat.visitor_id.chars().take(8).collect::<String>()),
    }
}

/// How many open chats [`Realtime::load_open_chats`] reads.
const OPEN_CHATS_READ: u64 = 200;

impl Outgoing {
    fn event(&self) -> ClientEvent {
        ClientEvent::ChatMessage {
            chat_id: Some(self.chat_id.clone()),
            client_msg_id: Some(self.client_msg_id.clone()),
            content: self.content.clone(),
            note: self.note,
        }
    }
}

/// A random id for `clientMsgId`, so a retried send is stored once.
pub fn client_msg_id() -> String {
    (0..4).map(|_| format!("{:08x}", (js_sys::Math::random() * f64::from(u32::MAX)) as u32)).collect()
}

/// Starts the socket for this tab (browser only) and keeps it up.
pub fn start(rt: Realtime) {
    #[cfg(feature = "hydrate")]
    socket::connect(rt, 0);
    #[cfg(not(feature = "hydrate"))]
    let _ = rt;
}

#[cfg(feature = "hydrate")]
mod socket {
    use std::cell::RefCell;

    use leptos::prelude::*;
    use protocol::{ClientEvent, ServerEvent};
    use wasm_bindgen::prelude::*;
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    use super::Realtime;

    thread_local! {
        static SOCKET: RefCell<Option<WebSocket>> = const { RefCell::new(None) };
        /// Read positions waiting to be reported, by chat.
        static READS: RefCell<std::collections::HashMap<String, i64>> = RefCell::new(Default::default());
    }

    /// Tells the server this agent read `chat_id` up to `seq`, a second later: a busy chat's messages are reported
    /// in one event, not one each (the socket allows 20 events a second).
    pub fn report_read(chat_id: &str, seq: i64) {
        let scheduled = READS.with(|r| {
            let mut r = r.borrow_mut();
            let first = !r.contains_key(chat_id);
            let at = r.entry(chat_id.to_string()).or_default();
            *at = (*at).max(seq);
            first
        });
        if scheduled {
            let chat_id = chat_id.to_string();
            set_timeout(
                move || {
                    if let Some(seq) = READS.with(|r| r.borrow_mut().remove(&chat_id)) {
                        send(&ClientEvent::Read { chat_id, seq });
                    }
                },
                std::time::Duration::from_secs(1),
            );
        }
    }

    pub fn send(event: &ClientEvent) -> bool {
        let Ok(text) = serde_json::to_string(event) else { return false };
        SOCKET.with(|s| {
            s.borrow().as_ref().is_some_and(|ws| ws.ready_state() == WebSocket::OPEN && ws.send_with_str(&text).is_ok())
        })
    }

    pub fn connect(rt: Realtime, attempt: u32) {
        let Some(window) = web_sys::window() else { return };
        let location = window.location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
        let Ok(host) = location.host() else { return };
        let Ok(ws) = WebSocket::new(&format!("{scheme}://{host}/ws")) else { return };

        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Some(text) = ev.data().as_string() else { return };
            let Ok(event) = serde_json::from_str::<ServerEvent>(&text) else { return };
            if let ServerEvent::Hello { .. } = event {
                rt.connected.set(true);
                join_and_resume(rt);
                rt.load_open_chats();
            }
            rt.apply(event);
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();

        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
            // A socket that was up starts the backoff again from one second.
            let attempt = if rt.connected.get_untracked() { 0 } else { attempt };
            rt.connected.set(false);
            rt.joined.set(Default::default());
            SOCKET.with(|s| s.borrow_mut().take());
            if ev.code() == protocol::CLOSE_SIGNED_OUT {
                // Signed out elsewhere or deactivated.
                if let Some(w) = web_sys::window() {
                    let _ = w.location().set_href("/admin/login");
                }
                return;
            }
            let delay = 1000u64.saturating_mul(1 << attempt.min(5)).min(30_000);
            set_timeout(move || connect(rt, attempt + 1), std::time::Duration::from_millis(delay));
        });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();

        SOCKET.with(|s| *s.borrow_mut() = Some(ws));
    }

    pub fn join_all() {
        leptos::task::spawn_local(async move {
            if let Ok(websites) = crate::shared::list_websites().await {
                for w in websites {
                    send(&ClientEvent::JoinWebsite { website_id: w.id });
                }
            }
        });
    }

    /// After `hello`: follow every website the agent may see, and ask for what was missed in opened chats.
    fn join_and_resume(rt: Realtime) {
        leptos::task::spawn_local(async move {
            if let Ok(websites) = crate::shared::list_websites().await {
                for w in websites {
                    send(&ClientEvent::JoinWebsite { website_id: w.id });
                }
            }
            let chats = rt.last_seqs();
            if !chats.is_empty() {
                send(&ClientEvent::Resume { chats });
            }
            rt.flush_outbox();
        });
    }
}
