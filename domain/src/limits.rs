//! Rate limits kept in this process (GCRA from `governor`, which refills evenly instead of resetting at window
//! edges): messages per visitor (the seed's 30 a minute) and new WebSocket connections per client IP. Each node
//! counts its own: a visitor is on one node at a time, and a flood from one IP meets every node's limit.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use protocol::AppError;

/// Keys kept before the limiters forget those that are back to a full allowance.
const SWEEP_AT: usize = 10_000;

/// `per_minute` events per key per minute, in a burst of as many; `None` for 0 (no limit).
struct PerMinute<K: Hash + Eq + Clone>(Option<DefaultKeyedRateLimiter<K>>);

impl<K: Hash + Eq + Clone> PerMinute<K> {
    fn new(per_minute: u32) -> Self {
        PerMinute(NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))))
    }

    fn check(&self, key: &K) -> Result<(), AppError> {
        let Some(limiter) = &self.0 else { return Ok(()) };
        if limiter.len() >= SWEEP_AT {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::RateLimited { retry_after_secs: wait.max(Duration::from_secs(1)).as_secs_f64().ceil() as u64 }
        })
    }
}

pub struct Limits {
    visitor_messages: PerMinute<String>,
    sockets_per_ip: PerMinute<IpAddr>,
}

/// The seed's widget message limit.
pub const VISITOR_MESSAGES_PER_MIN: u32 = 30;
/// New sockets a client IP may open a minute: far above what the visitors behind one office's address do (the
/// widget opens its socket only once a chat is open or going on), far below a flood.
pub const SOCKETS_PER_IP_PER_MIN: u32 = 120;

impl Default for Limits {
    fn default() -> Self {
        Limits::new(VISITOR_MESSAGES_PER_MIN, SOCKETS_PER_IP_PER_MIN)
    }
}

impl Limits {
    /// 0 turns a limit off (load benchmarks send far more than a person does, all from one address).
    pub fn new(visitor_messages_per_min: u32, sockets_per_ip_per_min: u32) -> Self {
        Limits {
            visitor_messages: PerMinute::new(visitor_messages_per_min),
            sockets_per_ip: PerMinute::new(sockets_per_ip_per_min),
        }
    }

    /// Before a visitor's message (typed, uploaded or left with the offline form) is stored.
    pub fn visitor_message(&self, visitor_id: &str) -> Result<(), AppError> {
        if self.visitor_messages.0.is_none() {
            return Ok(());
        }
        self.visitor_messages.check(&visitor_id.to_string())
    }

    /// Before a WebSocket is accepted.
    pub fn new_socket(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        match ip {
            Some(ip) => self.sockets_per_ip.check(&ip),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_visitor_has_their_own_allowance_and_zero_means_none() {
        let limits = Limits::new(3, 0);
        for _ in 0..3 {
            assert!(limits.visitor_message("v1").is_ok());
        }
        match limits.visitor_message("v1") {
            Err(AppError::RateLimited { retry_after_secs }) => assert!((1..=20).contains(&retry_after_secs)),
            other => panic!("expected rate_limited, got {other:?}"),
        }
        assert!(limits.visitor_message("v2").is_ok(), "another visitor is not slowed down");
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..1000 {
            assert!(limits.new_socket(ip).is_ok(), "0 turns the socket limit off");
        }
    }

    #[test]
    fn sockets_are_limited_per_address() {
        let limits = Limits::new(0, 2);
        let (a, b) = (Some(IpAddr::from([10, 0, 0, 1])), Some(IpAddr::from([10, 0, 0, 2])));
        assert!(limits.new_socket(a).is_ok() && limits.new_socket(a).is_ok());
        assert!(limits.new_socket(a).is_err());
        assert!(limits.new_socket(b).is_ok());
    }
}
