//! Rate limits (GCRA, which refills evenly instead of resetting at window edges): messages per visitor (the seed's
//! 30 a minute), new WebSocket connections per client IP, and widget HTTP requests per client IP.
//!
//! One node counts in its own memory (`governor`). With several nodes (`REDIS_URL`) every node spends from one
//! allowance kept in Redis by the same algorithm ([`Cluster::spend`]), so a client spread over the nodes by the load
//! balancer gets no more than on one node; if Redis does not answer, each node falls back to its own count.

use std::fmt::Display;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use protocol::AppError;

use crate::cluster::Cluster;

/// Keys kept before the limiters forget those that are back to a full allowance.
const SWEEP_AT: usize = 10_000;

/// An allowance: `burst` at once, refilled one per `refill`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    pub burst: u32,
    pub refill: Duration,
}

impl Allowance {
    /// `n` a minute, in a burst of as many; `None` for 0 (no limit).
    pub fn per_minute(n: u32) -> Option<Allowance> {
        Allowance::per(n, Duration::from_secs(60))
    }

    /// `n` per `window`, in a burst of as many; `None` for 0 (no limit).
    pub fn per(n: u32, window: Duration) -> Option<Allowance> {
        (n > 0).then(|| Allowance { burst: n, refill: (window / n).max(Duration::from_millis(1)) })
    }

    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(self.refill).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst)
    }
}

/// One allowance per key, here or shared through Redis.
pub(crate) struct Keyed<K: Hash + Eq + Clone> {
    /// The Redis key's middle part (`{prefix}:rl:{name}:{key}`).
    name: &'static str,
    allowance: Allowance,
    local: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone + Display> Keyed<K> {
    pub(crate) fn new(name: &'static str, allowance: Allowance) -> Self {
        Keyed { name, allowance, local: RateLimiter::keyed(allowance.quota()) }
    }

    pub(crate) fn shared_key(&self, key: &K) -> (String, Allowance) {
        (format!("{}:{key}", self.name), self.allowance)
    }

    /// Spends one of `key`'s allowance; `Err(wait)` when there is none left.
    async fn spend(&self, shared: Option<&Cluster>, key: &K) -> Result<(), Duration> {
        if let Some(cluster) = shared {
            if let Some(outcome) = cluster.spend(&[self.shared_key(key)], true).await {
                return outcome;
            }
        }
        self.spend_here(key)
    }

    pub(crate) fn spend_here(&self, key: &K) -> Result<(), Duration> {
        if self.local.len() >= SWEEP_AT {
            self.local.retain_recent();
        }
        self.local.check_key(key).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    pub(crate) fn retain_recent(&self) {
        self.local.retain_recent();
    }
}

fn rate_limited(wait: Duration) -> AppError {
    AppError::RateLimited { retry_after_secs: wait.max(Duration::from_secs(1)).as_secs_f64().ceil() as u64 }
}

pub struct Limits {
    visitor_messages: Option<Keyed<String>>,
    sockets_per_ip: Option<Keyed<IpAddr>>,
    widget_requests: Option<Keyed<IpAddr>>,
    shared: Option<Arc<Cluster>>,
}

/// The seed's widget message limit.
pub const VISITOR_MESSAGES_PER_MIN: u32 = 30;
/// New sockets a client IP may open a minute: far above what the visitors behind one office's address do (the
/// widget opens its socket only once a chat is open or going on), far below a flood.
pub const SOCKETS_PER_IP_PER_MIN: u32 = 120;
/// The seed's widget request limit: 100 per 15 minutes per client IP.
pub const WIDGET_REQUESTS: (u32, Duration) = (100, Duration::from_secs(15 * 60));

impl Default for Limits {
    fn default() -> Self {
        Limits::new(VISITOR_MESSAGES_PER_MIN, SOCKETS_PER_IP_PER_MIN, WIDGET_REQUESTS, None)
    }
}

impl Limits {
    /// 0 turns a limit off (load benchmarks send far more than a person does, all from one address). With
    /// `shared`, the allowances are kept in Redis for every node.
    pub fn new(
        visitor_messages_per_min: u32,
        sockets_per_ip_per_min: u32,
        (widget_requests, widget_window): (u32, Duration),
        shared: Option<Arc<Cluster>>,
    ) -> Self {
        Limits {
            visitor_messages: Allowance::per_minute(visitor_messages_per_min).map(|a| Keyed::new("vm", a)),
            sockets_per_ip: Allowance::per_minute(sockets_per_ip_per_min).map(|a| Keyed::new("ws", a)),
            widget_requests: Allowance::per(widget_requests, widget_window).map(|a| Keyed::new("wr", a)),
            shared,
        }
    }

    /// Before a visitor's message (typed, uploaded or left with the offline form) is stored.
    pub async fn visitor_message(&self, visitor_id: &str) -> Result<(), AppError> {
        let Some(limit) = &self.visitor_messages else { return Ok(()) };
        limit.spend(self.shared.as_deref(), &visitor_id.to_string()).await.map_err(rate_limited)
    }

    /// Before a WebSocket is accepted.
    pub async fn new_socket(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        let (Some(limit), Some(ip)) = (&self.sockets_per_ip, ip) else { return Ok(()) };
        limit.spend(self.shared.as_deref(), &ip).await.map_err(rate_limited)
    }

    /// Before a widget HTTP request (CORS preflights excepted) is handled.
    pub async fn widget_request(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        let (Some(limit), Some(ip)) = (&self.widget_requests, ip) else { return Ok(()) };
        limit.spend(self.shared.as_deref(), &ip).await.map_err(rate_limited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_WIDGET_LIMIT: (u32, Duration) = (0, Duration::from_secs(60));

    #[tokio::test]
    async fn each_visitor_has_their_own_allowance_and_zero_means_none() {
        let limits = Limits::new(3, 0, NO_WIDGET_LIMIT, None);
        for _ in 0..3 {
            assert!(limits.visitor_message("v1").await.is_ok());
        }
        match limits.visitor_message("v1").await {
            Err(AppError::RateLimited { retry_after_secs }) => assert!((1..=20).contains(&retry_after_secs)),
            other => panic!("expected rate_limited, got {other:?}"),
        }
        assert!(limits.visitor_message("v2").await.is_ok(), "another visitor is not slowed down");
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..1000 {
            assert!(limits.new_socket(ip).await.is_ok(), "0 turns the socket limit off");
            assert!(limits.widget_request(ip).await.is_ok(), "0 turns the widget limit off");
        }
    }

    #[tokio::test]
    async fn sockets_and_widget_requests_are_limited_per_address() {
        let limits = Limits::new(0, 2, (2, Duration::from_secs(900)), None);
        let (a, b) = (Some(IpAddr::from([10, 0, 0, 1])), Some(IpAddr::from([10, 0, 0, 2])));
        assert!(limits.new_socket(a).await.is_ok() && limits.new_socket(a).await.is_ok());
        assert!(limits.new_socket(a).await.is_err());
        assert!(limits.new_socket(b).await.is_ok());
        assert!(limits.widget_request(a).await.is_ok() && limits.widget_request(a).await.is_ok());
        match limits.widget_request(a).await {
            // 2 per 15 minutes: the next one in 7.5 minutes.
            Err(AppError::RateLimited { retry_after_secs }) => assert!((440..=450).contains(&retry_after_secs)),
            other => panic!("expected rate_limited, got {other:?}"),
        }
        assert!(limits.widget_request(b).await.is_ok());
    }
}
