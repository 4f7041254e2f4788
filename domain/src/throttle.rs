//! Login throttling: failed sign-ins are counted per (email, client IP) pair, per email across all addresses, and
//! per client IP (GCRA from `governor`, so the allowance refills steadily rather than resetting at window edges).
//! Once a key runs out, attempts for it are refused with a Retry-After before any password is checked.
//!
//! Fair to the owner of an email someone else is guessing at: the guesser spends the allowance of *their* pair
//! quickly, while the owner, signing in from their usual device and address, keeps theirs. The per-email cap is
//! much larger and slower, so a guesser spread over many addresses is still held to about 100 tries an hour.
//! Successful sign-ins cost nothing, so an office of agents behind one IP is not locked out by its own logins.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// An allowance of failures: `burst` at once, refilled one per `refill`.
#[derive(Clone, Copy, Debug)]
pub struct Allowance {
    pub burst: u32,
    pub refill: Duration,
}

/// Failures from one address for one email.
pub const PAIR: Allowance = Allowance { burst: 10, refill: Duration::from_secs(90) };
/// Failures for one email from anywhere: a slow cap on guessing spread over many addresses.
pub const EMAIL: Allowance = Allowance { burst: 100, refill: Duration::from_secs(36) };
/// Failures from one address for any emails (several people may share it).
pub const IP: Allowance = Allowance { burst: 30, refill: Duration::from_secs(30) };
/// Above this many blocked keys, expired entries are swept on the next failure.
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, Option<IpAddr>),
    Email(String),
    Ip(IpAddr),
}

pub struct LoginThrottle {
    per_pair: DefaultKeyedRateLimiter<(String, Option<IpAddr>)>,
    per_email: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    blocked: Mutex<HashMap<Key, Instant>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(PAIR, EMAIL, IP)
    }
}

fn limiter<K: Hash + Eq + Clone>(a: Allowance) -> DefaultKeyedRateLimiter<K> {
    let burst = NonZeroU32::new(a.burst).unwrap_or(NonZeroU32::MIN);
    RateLimiter::keyed(
        Quota::with_period(a.refill).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst),
    )
}

impl LoginThrottle {
    pub fn new(pair: Allowance, email: Allowance, ip: Allowance) -> Self {
        LoginThrottle {
            per_pair: limiter(pair),
            per_email: limiter(email),
            per_ip: limiter(ip),
            blocked: Mutex::new(HashMap::new()),
        }
    }

    fn keys(ip: Option<IpAddr>, email: &str) -> impl Iterator<Item = Key> {
        [Some(Key::Pair(email.to_string(), ip)), Some(Key::Email(email.to_string())), ip.map(Key::Ip)]
            .into_iter()
            .flatten()
    }

    /// Before checking a password: `Err(wait)` while this address, this email from this address, or this email
    /// from everywhere is throttled.
    pub fn check(&self, ip: Option<IpAddr>, email: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        let wait = Self::keys(ip, email)
            .filter_map(|k| blocked.get(&k))
            .filter(|until| **until > now)
            .map(|until| *until - now)
            .max();
        match wait {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// After a failed password: spends one allowance of each key; `Err(wait)` once a key has none left.
    pub fn record_failure(&self, ip: Option<IpAddr>, email: &str) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        let mut throttled: Vec<(Key, Duration)> = Vec::new();
        let pair = (email.to_string(), ip);
        if let Err(not_until) = self.per_pair.check_key(&pair) {
            throttled.push((Key::Pair(pair.0, pair.1), not_until.wait_time_from(clock.now())));
        }
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
            self.per_pair.retain_recent();
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

    fn allow(burst: u32, secs: u64) -> Allowance {
        Allowance { burst, refill: Duration::from_secs(secs) }
    }

    #[test]
    fn a_guesser_locks_only_their_own_pair_and_the_owner_signs_in_from_elsewhere() {
        let t = LoginThrottle::new(allow(3, 60), allow(100, 60), allow(100, 1));
        for _ in 0..3 {
            assert!(t.check(ip(1), "a@x.io").is_ok());
            assert!(t.record_failure(ip(1), "a@x.io").is_ok());
        }
        let wait = t.record_failure(ip(1), "a@x.io").expect_err("fourth failure is throttled");
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(t.check(ip(1), "a@x.io").is_err(), "the guesser's pair stays throttled");
        assert!(t.check(ip(2), "a@x.io").is_ok(), "the owner, from their own address, is not locked out");
        assert!(t.check(ip(1), "b@x.io").is_ok(), "another email from the guesser's address is fine");
    }

    #[test]
    fn the_email_has_a_slower_cap_across_addresses() {
        let t = LoginThrottle::new(allow(100, 1), allow(4, 60), allow(100, 1));
        for last in 1..=4 {
            assert!(t.record_failure(ip(last), "a@x.io").is_ok());
        }
        assert!(t.record_failure(ip(5), "a@x.io").is_err(), "spread over addresses, the email's cap holds");
        assert!(t.check(ip(6), "a@x.io").is_err());
        assert!(t.check(ip(6), "b@x.io").is_ok());
    }

    #[test]
    fn ip_is_throttled_across_emails() {
        let t = LoginThrottle::new(allow(100, 1), allow(100, 1), allow(2, 60));
        assert!(t.record_failure(ip(7), "one@x.io").is_ok());
        assert!(t.record_failure(ip(7), "two@x.io").is_ok());
        assert!(t.record_failure(ip(7), "three@x.io").is_err());
        assert!(t.check(ip(7), "four@x.io").is_err());
        assert!(t.check(ip(8), "four@x.io").is_ok());
    }

    #[test]
    fn unknown_ip_still_counts_by_email() {
        let t = LoginThrottle::new(allow(1, 60), allow(100, 1), allow(100, 1));
        assert!(t.record_failure(None, "a@x.io").is_ok());
        assert!(t.record_failure(None, "a@x.io").is_err());
        assert!(t.check(None, "a@x.io").is_err());
    }
}
