//! The realtime hub: who is connected and which topics each socket follows, and fan-out of already-serialised
//! frames. With several nodes (`REDIS_URL`), every publication and every access change is also handed to the
//! [relay](Hub::relay_to) as a [`Note`], which `cluster` carries to the other nodes; they apply it to their own
//! sockets through the `*_here` methods, which relay nothing.
//!
//! Delivery is best effort *on purpose*: every chat message is stored with its seq before it is published, so a
//! socket that cannot keep up is closed (code 4008) rather than slowing everyone down, and its client resumes from
//! its last seq. No lock is held across an await: publishing is `try_send` under a read lock.
//!
//! Access is checked when a socket follows a website and again whenever it changes: removing an agent from a
//! website drops that website from their open sockets ([`Hub::restrict_user`]); deleting, deactivating or
//! re-keying a website closes its visitors' sockets and drops it from every agent's ([`Hub::close_website`]).
//! Both bump an access epoch, so a `join-website` whose check ran before the change is checked again
//! ([`Hub::subscribe_unless_changed`]) instead of following a website the agent just lost.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use protocol::ServerEvent;
use tokio::sync::{mpsc, Notify};

/// A serialised event (UTF-8 JSON), shared by every socket it goes to: no copy per socket. A thin pointer, so each
/// socket's queue blocks stay small. Free of any web framework's types: the transport turns it into its own.
#[derive(Clone, Debug)]
pub struct Frame(Arc<Bytes>);

impl Frame {
    fn text(text: String) -> Frame {
        Frame(Arc::new(Bytes::from(text)))
    }

    /// A frame another node serialised.
    pub(crate) fn from_text(text: &str) -> Frame {
        Frame(Arc::new(Bytes::copy_from_slice(text.as_bytes())))
    }

    /// The frame's bytes (a reference count, no copy).
    pub fn bytes(&self) -> Bytes {
        Bytes::clone(&self.0)
    }

    /// The frame as text (for tests and logs).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The one place events become frames.
pub fn frame(event: &ServerEvent) -> Frame {
    let text = serde_json::to_string(event).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot serialise an event");
        r#"{"type":"error","code":"internal","message":""}"#.into()
    });
    Frame::text(text)
}

/// What a socket can follow.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Everything about a website's chats and visitors (agents).
    Website(String),
    /// Everything a visitor may see: their own chats.
    Visitor(String),
    /// Control messages for one user's sockets (agents).
    User(String),
    /// The sockets opened with one agent token (by its id), closed when that token is signed out.
    Session(String),
    /// Every visitor socket of a website, closed when the website is deleted, deactivated or re-keyed. Nothing is
    /// published to it.
    WebsiteVisitors(String),
}

/// Why the hub asks a socket to close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The socket's queue was full; the client should reconnect and resume.
    Lagging,
    /// The user was deactivated or their tokens revoked.
    Revoked,
    /// A visitor's website was deleted or deactivated, or its key replaced: the widget must start again.
    WebsiteGone,
    /// Access changed while the socket was being opened: connect again.
    Retry,
    /// This node is stopping: reconnect (the load balancer sends the client to another node) and resume.
    Stopping,
}

impl CloseReason {
    /// The WebSocket close code and reason (`docs/protocol.md`).
    pub fn code(self) -> (u16, &'static str) {
        match self {
            CloseReason::Lagging => (protocol::CLOSE_LAGGING, "lagging: reconnect and resume"),
            CloseReason::Revoked => (protocol::CLOSE_SIGNED_OUT, "signed out"),
            CloseReason::WebsiteGone => {
                (protocol::CLOSE_WEBSITE_GONE, "the website's key or state changed: start again")
            }
            CloseReason::Retry => (protocol::CLOSE_RETRY, "access changed while connecting: connect again"),
            CloseReason::Stopping => (protocol::CLOSE_RESTARTING, "this server is stopping: reconnect and resume"),
        }
    }
}

/// What this node's hub tells the other nodes: a publication, or a change of access they must apply to their own
/// sockets.
#[derive(Clone, Debug)]
pub enum Note {
    Publish {
        topic: Topic,
        frame: Frame,
    },
    DisconnectUser(String),
    DisconnectSession(String),
    /// A visitor was erased: their sockets close and their widget starts again as a new visitor.
    DisconnectVisitor(String),
    /// A user's websites are now exactly `visible`.
    RestrictUser {
        user_id: String,
        visible: Vec<String>,
    },
    CloseWebsite {
        website_id: String,
        deleted: bool,
    },
    /// A website or its widget settings changed: drop cached widget configuration.
    WebsiteChanged(String),
    /// Events between nodes may have been lost: every socket is closed as lagging, and its client resumes by seq.
    Resync,
}

/// The hub's handle on one socket.
#[derive(Clone)]
pub struct Conn {
    pub id: u64,
    tx: mpsc::Sender<Frame>,
    close: Arc<Notify>,
    reason: Arc<RwLock<Option<CloseReason>>>,
}

impl Conn {
    /// Resolves when the hub wants the socket closed.
    pub async fn closed(&self) -> CloseReason {
        self.close.notified().await;
        self.reason.read().map(|r| r.unwrap_or(CloseReason::Lagging)).unwrap_or(CloseReason::Lagging)
    }

    fn request_close(&self, reason: CloseReason) {
        if let Ok(mut r) = self.reason.write() {
            r.get_or_insert(reason);
        }
        self.close.notify_one();
    }

    /// Queues a frame for this socket only; false (and a close request) if its queue is full.
    pub fn send(&self, frame: Frame) -> bool {
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.request_close(CloseReason::Lagging);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// Frames queued per socket before it counts as lagging.
pub const QUEUE: usize = 4096;

/// Notes for other nodes dropped because the relay's queue was full (the cluster link resyncs when it grows).
pub static RELAY_DROPPED: AtomicU64 = AtomicU64::new(0);

#[derive(Default)]
pub struct Hub {
    next_id: AtomicU64,
    /// Bumped (under the `topics` write lock) by every change that takes access away.
    access_epoch: AtomicU64,
    /// Vectors, not maps, inside: a topic has a handful of sockets and a socket a handful of topics, and an idle
    /// visitor socket should cost as little as possible.
    topics: RwLock<HashMap<Topic, Vec<Conn>>>,
    /// Topics of each socket, to unsubscribe on close.
    by_conn: RwLock<HashMap<u64, Vec<Topic>>>,
    /// Where notes for the other nodes go; unset on a node alone.
    relay: std::sync::OnceLock<mpsc::Sender<Note>>,
}

impl Hub {
    /// From now on, every publication and access change is also sent to `relay` (for the other nodes). A note that
    /// does not fit in its queue is dropped and counted: the cluster link then asks every node to resync.
    pub fn relay_to(&self, relay: mpsc::Sender<Note>) {
        let _ = self.relay.set(relay);
    }

    fn relay(&self, note: Note) {
        if let Some(relay) = self.relay.get() {
            if relay.try_send(note).is_err() {
                RELAY_DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A new socket: its hub handle and the receiving end of its queue.
    pub fn connect(&self) -> (Conn, mpsc::Receiver<Frame>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Conn { id, tx, close: Arc::new(Notify::new()), reason: Arc::new(RwLock::new(None)) };
        (conn, rx)
    }

    pub fn subscribe(&self, conn: &Conn, topic: Topic) {
        if let Ok(mut topics) = self.topics.write() {
            Self::add(&mut topics, conn, topic.clone());
        }
        self.remember(conn, topic);
    }

    /// The current access epoch: read it before checking whether a socket may follow a topic, and pass it to
    /// [`Hub::subscribe_unless_changed`].
    pub fn access_epoch(&self) -> u64 {
        self.access_epoch.load(Ordering::SeqCst)
    }

    /// Subscribes to every topic of `wanted` unless access changed anywhere since `epoch` was read (then nothing,
    /// and false: check again).
    pub fn subscribe_unless_changed(&self, conn: &Conn, wanted: impl IntoIterator<Item = Topic>, epoch: u64) -> bool {
        let Ok(mut topics) = self.topics.write() else { return false };
        if self.access_epoch.load(Ordering::SeqCst) != epoch {
            return false;
        }
        let wanted: Vec<Topic> = wanted.into_iter().collect();
        for topic in &wanted {
            Self::add(&mut topics, conn, topic.clone());
        }
        drop(topics);
        for topic in wanted {
            // A visitor socket's website is left by `disconnect_visitor`, which knows it: no copy of the id per
            // socket here (there are thousands of visitor sockets).
            if !matches!(topic, Topic::WebsiteVisitors(_)) {
                self.remember(conn, topic);
            }
        }
        true
    }

    fn add(topics: &mut HashMap<Topic, Vec<Conn>>, conn: &Conn, topic: Topic) {
        let conns = topics.entry(topic).or_default();
        if !conns.iter().any(|c| c.id == conn.id) {
            conns.push(conn.clone());
        }
    }

    fn remember(&self, conn: &Conn, topic: Topic) {
        if let Ok(mut by_conn) = self.by_conn.write() {
            let topics = by_conn.entry(conn.id).or_default();
            if !topics.contains(&topic) {
                topics.push(topic);
            }
        }
    }

    pub fn is_subscribed(&self, conn: &Conn, topic: &Topic) -> bool {
        self.by_conn.read().map(|m| m.get(&conn.id).is_some_and(|t| t.contains(topic))).unwrap_or(false)
    }

    pub fn disconnect(&self, conn: &Conn) {
        let topics = self.by_conn.write().ok().and_then(|mut m| m.remove(&conn.id)).unwrap_or_default();
        if let Ok(mut map) = self.topics.write() {
            for topic in topics {
                if let Some(conns) = map.get_mut(&topic) {
                    conns.retain(|c| c.id != conn.id);
                    if conns.is_empty() {
                        map.remove(&topic);
                    }
                }
            }
        }
    }

    /// [`Hub::disconnect`] for a visitor's socket of `website_id`.
    pub fn disconnect_visitor(&self, conn: &Conn, website_id: &str) {
        self.disconnect(conn);
        if let Ok(mut map) = self.topics.write() {
            let topic = Topic::WebsiteVisitors(website_id.to_string());
            if let Some(conns) = map.get_mut(&topic) {
                conns.retain(|c| c.id != conn.id);
                if conns.is_empty() {
                    map.remove(&topic);
                }
            }
        }
    }

    /// Sends `frame` to every socket following `topic`, except `skip`, on every node. Returns how many got it here.
    pub fn publish(&self, topic: &Topic, frame: Frame, skip: Option<u64>) -> usize {
        // Topics of a node's own making: nothing follows them elsewhere.
        if !matches!(topic, Topic::WebsiteVisitors(_)) {
            self.relay(Note::Publish { topic: topic.clone(), frame: frame.clone() });
        }
        self.publish_here(topic, frame, skip)
    }

    /// [`Hub::publish`] on this node only (a publication relayed from another).
    pub fn publish_here(&self, topic: &Topic, frame: Frame, skip: Option<u64>) -> usize {
        let Ok(map) = self.topics.read() else { return 0 };
        let Some(conns) = map.get(topic) else { return 0 };
        conns.iter().filter(|c| Some(c.id) != skip).filter(|c| c.send(frame.clone())).count()
    }

    /// Whether anyone follows `topic` (e.g. an agent online for a website).
    pub fn has_subscribers(&self, topic: &Topic) -> bool {
        self.topics.read().map(|m| m.get(topic).is_some_and(|c| !c.is_empty())).unwrap_or(false)
    }

    /// The sockets following `topic`, as access changes (the epoch moves on, so a socket checked before this and
    /// subscribing after it checks again).
    fn conns_losing_access(&self, topic: &Topic) -> Vec<Conn> {
        let Ok(topics) = self.topics.write() else { return Vec::new() };
        self.access_epoch.fetch_add(1, Ordering::SeqCst);
        topics.get(topic).cloned().unwrap_or_default()
    }

    /// Closes every socket of a user (deactivation, revoked tokens), on every node.
    pub fn disconnect_user(&self, user_id: &str) {
        self.relay(Note::DisconnectUser(user_id.to_string()));
        self.disconnect_user_here(user_id);
    }

    pub fn disconnect_user_here(&self, user_id: &str) {
        for conn in self.conns_losing_access(&Topic::User(user_id.to_string())) {
            conn.request_close(CloseReason::Revoked);
        }
    }

    /// Closes an erased visitor's sockets on every node, as if their website had changed: the widget starts a new
    /// session (the old token names no visitor any more).
    pub fn disconnect_visitor_everywhere(&self, visitor_id: &str) {
        self.relay(Note::DisconnectVisitor(visitor_id.to_string()));
        self.disconnect_visitor_here(visitor_id);
    }

    pub fn disconnect_visitor_here(&self, visitor_id: &str) {
        for conn in self.conns_losing_access(&Topic::Visitor(visitor_id.to_string())) {
            conn.request_close(CloseReason::WebsiteGone);
        }
    }

    /// Closes the sockets opened with one token (signed out), on every node.
    pub fn disconnect_session(&self, token_id: &str) {
        self.relay(Note::DisconnectSession(token_id.to_string()));
        self.disconnect_session_here(token_id);
    }

    pub fn disconnect_session_here(&self, token_id: &str) {
        for conn in self.conns_losing_access(&Topic::Session(token_id.to_string())) {
            conn.request_close(CloseReason::Revoked);
        }
    }

    /// A user's access changed: their sockets on every node stop following every website not in `visible`, and
    /// are told so with `left-website`. Call after the change is committed.
    pub fn restrict_user(&self, user_id: &str, visible: &[String]) {
        self.relay(Note::RestrictUser { user_id: user_id.to_string(), visible: visible.to_vec() });
        self.restrict_user_here(user_id, visible);
    }

    pub fn restrict_user_here(&self, user_id: &str, visible: &[String]) {
        let may_see = |website_id: &str| visible.iter().any(|v| v == website_id);
        let Ok(mut topics) = self.topics.write() else { return };
        self.access_epoch.fetch_add(1, Ordering::SeqCst);
        let conns = topics.get(&Topic::User(user_id.to_string())).cloned().unwrap_or_default();
        let Ok(mut by_conn) = self.by_conn.write() else { return };
        for conn in conns {
            let Some(followed) = by_conn.get_mut(&conn.id) else { continue };
            let lost: Vec<String> = followed
                .iter()
                .filter_map(|t| match t {
                    Topic::Website(w) if !may_see(w) => Some(w.clone()),
                    _ => None,
                })
                .collect();
            for website_id in lost {
                let topic = Topic::Website(website_id.clone());
                followed.retain(|t| *t != topic);
                if let Some(conns) = topics.get_mut(&topic) {
                    conns.retain(|c| c.id != conn.id);
                    if conns.is_empty() {
                        topics.remove(&topic);
                    }
                }
                conn.send(frame(&ServerEvent::LeftWebsite { website_id }));
            }
        }
    }

    /// A website was deleted, deactivated or re-keyed (or its domains changed): its visitors' sockets close (the
    /// widget starts again, with the new key or not at all), and agents' sockets stop following it when `deleted`.
    /// Call after the change is committed; it applies on every node.
    pub fn close_website(&self, website_id: &str, deleted: bool) {
        self.relay(Note::CloseWebsite { website_id: website_id.to_string(), deleted });
        self.close_website_here(website_id, deleted);
    }

    pub fn close_website_here(&self, website_id: &str, deleted: bool) {
        let Ok(mut topics) = self.topics.write() else { return };
        self.access_epoch.fetch_add(1, Ordering::SeqCst);
        let visitors = topics.remove(&Topic::WebsiteVisitors(website_id.to_string())).unwrap_or_default();
        let agents = if deleted { topics.remove(&Topic::Website(website_id.to_string())) } else { None };
        drop(topics);
        for conn in visitors {
            conn.request_close(CloseReason::WebsiteGone);
        }
        let agents = agents.unwrap_or_default();
        if let Ok(mut by_conn) = self.by_conn.write() {
            let topic = Topic::Website(website_id.to_string());
            for conn in &agents {
                if let Some(followed) = by_conn.get_mut(&conn.id) {
                    followed.retain(|t| *t != topic);
                }
            }
        }
        for conn in agents {
            conn.send(frame(&ServerEvent::LeftWebsite { website_id: website_id.to_string() }));
        }
    }

    /// Tells the other nodes a website's configuration changed (their cached widget configuration is stale).
    pub fn website_changed(&self, website_id: &str) {
        self.relay(Note::WebsiteChanged(website_id.to_string()));
    }

    /// Asks every node (this one included) to close its sockets as lagging, so that each client resumes by seq.
    pub fn resync(&self) {
        self.relay(Note::Resync);
        self.close_all_here(CloseReason::Lagging);
    }

    /// Closes every socket of this node with `reason`.
    pub fn close_all_here(&self, reason: CloseReason) {
        let Ok(topics) = self.topics.read() else { return };
        for conns in topics.values() {
            for conn in conns {
                conn.request_close(reason);
            }
        }
    }

    /// Sockets connected now (for metrics).
    pub fn connections(&self) -> usize {
        self.by_conn.read().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &'static str) -> Frame {
        Frame::text(text.into())
    }

    fn next_text(rx: &mut mpsc::Receiver<Frame>) -> Option<String> {
        rx.try_recv().ok().map(|f| f.as_str().to_string())
    }

    #[tokio::test]
    async fn publish_reaches_subscribers_only_and_a_full_queue_asks_to_close() {
        let hub = Hub::default();
        let (a, mut a_rx) = hub.connect();
        let (b, mut b_rx) = hub.connect();
        let site = Topic::Website("w1".into());
        hub.subscribe(&a, site.clone());
        assert_eq!(hub.publish(&site, frame("one"), None), 1);
        assert_eq!(a_rx.recv().await.as_ref().map(|f| f.as_str()), Some("one"));
        assert!(b_rx.try_recv().is_err());

        hub.subscribe(&b, site.clone());
        assert_eq!(hub.publish(&site, frame("two"), Some(a.id)), 1, "the sender is skipped");
        for _ in 0..QUEUE {
            b.send(frame("x"));
        }
        assert!(!b.send(frame("overflow")));
        assert_eq!(b.closed().await, CloseReason::Lagging);

        hub.disconnect(&a);
        assert_eq!(hub.connections(), 1);
        assert_eq!(hub.publish(&site, frame("three"), None), 0, "b's queue is full and a is gone");
    }

    #[tokio::test]
    async fn disconnecting_a_user_or_a_session_closes_only_their_sockets() {
        let hub = Hub::default();
        let (a, _a_rx) = hub.connect();
        let (b, _b_rx) = hub.connect();
        hub.subscribe(&a, Topic::User("u1".into()));
        hub.subscribe(&a, Topic::Session("t1".into()));
        hub.subscribe(&b, Topic::User("u2".into()));
        hub.disconnect_user("u1");
        assert_eq!(tokio::time::timeout(std::time::Duration::from_secs(1), a.closed()).await, Ok(CloseReason::Revoked));
        let b_closed = tokio::time::timeout(std::time::Duration::from_millis(50), b.closed()).await;
        assert!(b_closed.is_err(), "another user's socket stays open");
        hub.subscribe(&b, Topic::Session("t2".into()));
        hub.disconnect_session("t2");
        assert_eq!(tokio::time::timeout(std::time::Duration::from_secs(1), b.closed()).await, Ok(CloseReason::Revoked));
    }

    #[tokio::test]
    async fn restricting_a_user_drops_the_websites_they_lost_and_says_so() {
        let hub = Hub::default();
        let (agent, mut agent_rx) = hub.connect();
        let (other, mut other_rx) = hub.connect();
        hub.subscribe(&agent, Topic::User("u1".into()));
        hub.subscribe(&other, Topic::User("u2".into()));
        for conn in [&agent, &other] {
            hub.subscribe(conn, Topic::Website("kept".into()));
            hub.subscribe(conn, Topic::Website("lost".into()));
        }
        let epoch = hub.access_epoch();
        hub.restrict_user("u1", &["kept".to_string()]);
        assert_ne!(hub.access_epoch(), epoch);
        let left = next_text(&mut agent_rx).expect("left-website");
        assert!(left.contains(r#""type":"left-website""#) && left.contains(r#""websiteId":"lost""#), "{left}");
        assert_eq!(hub.publish(&Topic::Website("lost".into()), frame("secret"), None), 1, "only the other agent");
        assert_eq!(next_text(&mut agent_rx), None);
        assert_eq!(next_text(&mut other_rx).as_deref(), Some("secret"));
        assert_eq!(hub.publish(&Topic::Website("kept".into()), frame("fine"), None), 2);
        assert_eq!(next_text(&mut agent_rx).as_deref(), Some("fine"));
        assert!(!hub.is_subscribed(&agent, &Topic::Website("lost".into())));
        // A check made before the change does not subscribe.
        assert!(!hub.subscribe_unless_changed(&agent, [Topic::Website("lost".into())], epoch));
        assert!(hub.subscribe_unless_changed(&agent, [Topic::Website("lost".into())], hub.access_epoch()));
    }

    #[tokio::test]
    async fn closing_a_website_closes_its_visitors_and_drops_it_from_agents() {
        let hub = Hub::default();
        let (visitor, _visitor_rx) = hub.connect();
        let (elsewhere, _elsewhere_rx) = hub.connect();
        let (agent, mut agent_rx) = hub.connect();
        hub.subscribe(&visitor, Topic::WebsiteVisitors("w1".into()));
        hub.subscribe(&elsewhere, Topic::WebsiteVisitors("w2".into()));
        hub.subscribe(&agent, Topic::Website("w1".into()));
        let wait = std::time::Duration::from_secs(1);

        hub.close_website("w1", false);
        assert_eq!(tokio::time::timeout(wait, visitor.closed()).await, Ok(CloseReason::WebsiteGone));
        assert!(tokio::time::timeout(std::time::Duration::from_millis(50), elsewhere.closed()).await.is_err());
        assert!(hub.is_subscribed(&agent, &Topic::Website("w1".into())), "a re-keyed website stays in the inbox");

        hub.close_website("w1", true);
        assert!(next_text(&mut agent_rx).is_some_and(|f| f.contains("left-website")));
        // A visitor's socket leaves its website's topic when it closes.
        let (gone, _gone_rx) = hub.connect();
        assert!(hub.subscribe_unless_changed(&gone, [Topic::WebsiteVisitors("w3".into())], hub.access_epoch()));
        assert!(hub.has_subscribers(&Topic::WebsiteVisitors("w3".into())));
        hub.disconnect_visitor(&gone, "w3");
        assert!(!hub.has_subscribers(&Topic::WebsiteVisitors("w3".into())));
        assert_eq!(hub.publish(&Topic::Website("w1".into()), frame("gone"), None), 0);
        assert!(!hub.is_subscribed(&agent, &Topic::Website("w1".into())));
    }
}
