//! Login throttling: failed sign-ins are counted per client IP and per email (GCRA from `governor`, so the
//! allowance refills steadily rather than resetting at window edges). Once either key runs out, attempts for it
//! are refused with a Retry-After before any password is checked. Successful sign-ins cost nothing, so an office
//! of agents behind one IP is not locked out by its own logins.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Failures allowed per email before throttling, refilled one per `EMAIL_REFILL`.
const EMAIL_BURST: u32 = 10;
const EMAIL_REFILL: Duration = Duration::from_secs(90);
/// Failures allowed per IP (several people may share it), refilled one per `IP_REFILL`.
const IP_BURST: u32 = 30;
const IP_REFILL: Duration = Duration::from_secs(30);
/// Above this many blocked keys, expired entries are swept on the next failure.
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    Email(String),
}

pub struct LoginThrottle {
    per_email: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    blocked: Mutex<HashMap<Key, Instant>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(EMAIL_BURST, EMAIL_REFILL, IP_BURST, IP_REFILL)
    }
}

impl LoginThrottle {
    pub fn new(email_burst: u32, email_refill: Duration, ip_burst: u32, ip_refill: Duration) -> Self {
        let quota = |burst: u32, refill: Duration| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            Quota::with_period(refill).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst)
        };
        LoginThrottle {
            per_email: RateLimiter::keyed(quota(email_burst, email_refill)),
            per_ip: RateLimiter::keyed(quota(ip_burst, ip_refill)),
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// Before checking a password: `Err(wait)` while the IP or the email is throttled.
    pub fn check(&self, ip: Option<IpAddr>, email: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        let keys = ip.map(Key::Ip).into_iter().chain(std::iter::once(Key::Email(email.to_string())));
        let wait = keys.filter_map(|k| blocked.get(&k)).filter(|until| **until > now).map(|until| *until - now).max();
        match wait {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// After a failed password: spends one allowance of each key; `Err(wait)` once a key has none left.
    pub fn record_failure(&self, ip: Option<IpAddr>, email: &str) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        let mut throttled: Vec<(Key, Duration)> = Vec::new();
        if let Err(not_until) = self.per_email.check_key(&email.to_string()) {
            throttled.push((Key::Email(email.to_string()), not_until.wait_time_from(clock.now())));
        }
        if let Some(ip) = ip {
            if let Err(not_until) = self.per_ip.check_key(&ip) {
                throttled.push((Key::Ip(ip), not_until.wait_time_from(clock.now())));
            }
        }
        let Some(longest) = throttled.iter().map(|(_, wait)| *wait).max() else {
            return Ok(());
        };
        let now = Instant::now();
        let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        if blocked.len() >= SWEEP_AT {
            blocked.retain(|_, until| *until > now);
            self.per_email.retain_recent();
            self.per_ip.retain_recent();
        }
        for (key, wait) in throttled {
            blocked.insert(key, now + wait.max(Duration::from_secs(1)));
        }
        Err(longest.max(Duration::from_secs(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn email_is_throttled_after_its_burst_and_others_are_not() {
        let t = LoginThrottle::new(3, Duration::from_secs(60), 100, Duration::from_secs(1));
        for _ in 0..3 {
            assert!(t.check(ip(1), "a@x.io").is_ok());
            assert!(t.record_failure(ip(1), "a@x.io").is_ok());
        }
        let wait = t.record_failure(ip(1), "a@x.io").expect_err("fourth failure is throttled");
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(t.check(ip(2), "a@x.io").is_err(), "the email stays throttled from another IP");
        assert!(t.check(ip(1), "b@x.io").is_ok(), "another email from the same IP is fine");
    }

    #[test]
    fn ip_is_throttled_across_emails() {
        let t = LoginThrottle::new(100, Duration::from_secs(1), 2, Duration::from_secs(60));
        assert!(t.record_failure(ip(7), "one@x.io").is_ok());
        assert!(t.record_failure(ip(7), "two@x.io").is_ok());
        assert!(t.record_failure(ip(7), "three@x.io").is_err());
        assert!(t.check(ip(7), "four@x.io").is_err());
        assert!(t.check(ip(8), "four@x.io").is_ok());
    }

    #[test]
    fn unknown_ip_still_counts_by_email() {
        let t = LoginThrottle::new(1, Duration::from_secs(60), 100, Duration::from_secs(1));
        assert!(t.record_failure(None, "a@x.io").is_ok());
        assert!(t.record_failure(None, "a@x.io").is_err());
        assert!(t.check(None, "a@x.io").is_err());
    }
}
