//! The realtime hub: who is connected and which topics each socket follows, and fan-out of already-serialised
//! frames. In-process today; a Redis pub/sub fan-out for several nodes implements the same `publish` later.
//!
//! Delivery is best effort *on purpose*: every chat message is stored with its seq before it is published, so a
//! socket that cannot keep up is closed (code 4008) rather than slowing everyone down, and its client resumes from
//! its last seq. No lock is held across an await: publishing is `try_send` under a read lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::{mpsc, Notify};

/// A serialised frame, shared by every socket it goes to (no copy per socket). A thin pointer, so each socket's
/// queue blocks stay small.
pub type Frame = Arc<axum::extract::ws::Utf8Bytes>;

/// What a socket can follow.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Everything about a website's chats and visitors (agents).
    Website(String),
    /// Everything a visitor may see: their own chats.
    Visitor(String),
    /// Control messages for one user's sockets (agents).
    User(String),
}

/// Why the hub asks a socket to close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The socket's queue was full; the client should reconnect and resume.
    Lagging,
    /// The user was deactivated or their tokens revoked.
    Revoked,
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

#[derive(Default)]
pub struct Hub {
    next_id: AtomicU64,
    /// Vectors, not maps, inside: a topic has a handful of sockets and a socket a handful of topics, and an idle
    /// visitor socket should cost as little as possible.
    topics: RwLock<HashMap<Topic, Vec<Conn>>>,
    /// Topics of each socket, to unsubscribe on close.
    by_conn: RwLock<HashMap<u64, Vec<Topic>>>,
}

impl Hub {
    /// A new socket: its hub handle and the receiving end of its queue.
    pub fn connect(&self) -> (Conn, mpsc::Receiver<Frame>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Conn { id, tx, close: Arc::new(Notify::new()), reason: Arc::new(RwLock::new(None)) };
        (conn, rx)
    }

    pub fn subscribe(&self, conn: &Conn, topic: Topic) {
        if let Ok(mut topics) = self.topics.write() {
            let conns = topics.entry(topic.clone()).or_default();
            if !conns.iter().any(|c| c.id == conn.id) {
                conns.push(conn.clone());
            }
        }
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

    /// Sends `frame` to every socket following `topic`, except `skip`. Returns how many got it.
    pub fn publish(&self, topic: &Topic, frame: Frame, skip: Option<u64>) -> usize {
        let Ok(map) = self.topics.read() else { return 0 };
        let Some(conns) = map.get(topic) else { return 0 };
        conns.iter().filter(|c| Some(c.id) != skip).filter(|c| c.send(frame.clone())).count()
    }

    /// Whether anyone follows `topic` (e.g. an agent online for a website).
    pub fn has_subscribers(&self, topic: &Topic) -> bool {
        self.topics.read().map(|m| m.get(topic).is_some_and(|c| !c.is_empty())).unwrap_or(false)
    }

    /// Closes every socket of a user (deactivation, revoked tokens).
    pub fn disconnect_user(&self, user_id: &str) {
        let conns: Vec<Conn> = self
            .topics
            .read()
            .map(|m| m.get(&Topic::User(user_id.to_string())).cloned().unwrap_or_default())
            .unwrap_or_default();
        for conn in conns {
            conn.request_close(CloseReason::Revoked);
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
        Arc::new(text.into())
    }

    #[tokio::test]
    async fn publish_reaches_subscribers_only_and_a_full_queue_asks_to_close() {
        let hub = Hub::default();
        let (a, mut a_rx) = hub.connect();
        let (b, mut b_rx) = hub.connect();
        let site = Topic::Website("w1".into());
        hub.subscribe(&a, site.clone());
        assert_eq!(hub.publish(&site, frame("one"), None), 1);
        assert_eq!(a_rx.recv().await.as_deref().map(|f| f.as_str()), Some("one"));
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
        hub.subscribe(&b, Topic::User("u1".into()));
        hub.disconnect_user("u1");
    }
}
