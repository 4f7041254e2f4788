//! Login throttling: failed sign-ins are counted per (email, client IP) pair, per email across all addresses, and
//! per client IP (GCRA, so the allowance refills steadily rather than resetting at window edges). Once a key runs
//! out, attempts for it are refused with a Retry-After before any password is checked. With several nodes the
//! allowances are kept in Redis, so failures spread over the nodes count as one (see `limits`).
//!
//! Fair to the owner of an email someone else is guessing at: the guesser spends the allowance of *their* pair
//! quickly, while the owner, signing in from their usual device and address, keeps theirs. The per-email cap is
//! much larger and slower, so a guesser spread over many addresses is still held to about 100 tries an hour.
//! Successful sign-ins cost nothing, so an office of agents behind one IP is not locked out by its own logins.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cluster::Cluster;
pub use crate::limits::Allowance;
use crate::limits::Keyed;

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
    Pair(String),
    Email(String),
    Ip(IpAddr),
}

pub struct LoginThrottle {
    per_pair: Keyed<String>,
    per_email: Keyed<String>,
    per_ip: Keyed<IpAddr>,
    /// Keys refused here, until when (one node's own count, when Redis does not keep it).
    blocked: Mutex<HashMap<Key, Instant>>,
    shared: Option<Arc<Cluster>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(PAIR, EMAIL, IP)
    }
}

fn pair(ip: Option<IpAddr>, email: &str) -> String {
    match ip {
        Some(ip) => format!("{email}|{ip}"),
        None => format!("{email}|"),
    }
}

impl LoginThrottle {
    pub fn new(pair: Allowance, email: Allowance, ip: Allowance) -> Self {
        LoginThrottle {
            per_pair: Keyed::new("lp", pair),
            per_email: Keyed::new("le", email),
            per_ip: Keyed::new("li", ip),
            blocked: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Counts in Redis, for every node.
    pub fn shared(mut self, cluster: Option<Arc<Cluster>>) -> Self {
        self.shared = cluster;
        self
    }

    fn keys(ip: Option<IpAddr>, email: &str) -> impl Iterator<Item = Key> {
        [Some(Key::Pair(pair(ip, email))), Some(Key::Email(email.to_string())), ip.map(Key::Ip)].into_iter().flatten()
    }

    fn shared_keys(&self, ip: Option<IpAddr>, email: &str) -> Vec<(String, crate::limits::Allowance)> {
        let mut keys = vec![self.per_pair.shared_key(&pair(ip, email)), self.per_email.shared_key(&email.to_string())];
        keys.extend(ip.map(|ip| self.per_ip.shared_key(&ip)));
        keys
    }

    /// Before checking a password: `Err(wait)` while this address, this email from this address, or this email
    /// from everywhere is throttled.
    pub async fn check(&self, ip: Option<IpAddr>, email: &str) -> Result<(), Duration> {
        if let Some(cluster) = &self.shared {
            if let Some(outcome) = cluster.spend(&self.shared_keys(ip, email), false).await {
                return outcome;
            }
        }
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
    pub async fn record_failure(&self, ip: Option<IpAddr>, email: &str) -> Result<(), Duration> {
        if let Some(cluster) = &self.shared {
            if let Some(outcome) = cluster.spend(&self.shared_keys(ip, email), true).await {
                return outcome.map_err(|wait| wait.max(Duration::from_secs(1)));
            }
        }
        let mut throttled: Vec<(Key, Duration)> = Vec::new();
        let pair = pair(ip, email);
        if let Err(wait) = self.per_pair.spend_here(&pair) {
            throttled.push((Key::Pair(pair), wait));
        }
        if let Err(wait) = self.per_email.spend_here(&email.to_string()) {
            throttled.push((Key::Email(email.to_string()), wait));
        }
        if let Some(ip) = ip {
            if let Err(wait) = self.per_ip.spend_here(&ip) {
                throttled.push((Key::Ip(ip), wait));
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

    #[tokio::test]
    async fn a_guesser_locks_only_their_own_pair_and_the_owner_signs_in_from_elsewhere() {
        let t = LoginThrottle::new(allow(3, 60), allow(100, 60), allow(100, 1));
        for _ in 0..3 {
            assert!(t.check(ip(1), "a@x.io").await.is_ok());
            assert!(t.record_failure(ip(1), "a@x.io").await.is_ok());
        }
        let wait = t.record_failure(ip(1), "a@x.io").await.expect_err("fourth failure is throttled");
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(t.check(ip(1), "a@x.io").await.is_err(), "the guesser's pair stays throttled");
        assert!(t.check(ip(2), "a@x.io").await.is_ok(), "the owner, from their own address, is not locked out");
        assert!(t.check(ip(1), "b@x.io").await.is_ok(), "another email from the guesser's address is fine");
    }

    #[tokio::test]
    async fn the_email_has_a_slower_cap_across_addresses() {
        let t = LoginThrottle::new(allow(100, 1), allow(4, 60), allow(100, 1));
        for last in 1..=4 {
            assert!(t.record_failure(ip(last), "a@x.io").await.is_ok());
        }
        assert!(t.record_failure(ip(5), "a@x.io").await.is_err(), "spread over addresses, the email's cap holds");
        assert!(t.check(ip(6), "a@x.io").await.is_err());
        assert!(t.check(ip(6), "b@x.io").await.is_ok());
    }

    #[tokio::test]
    async fn ip_is_throttled_across_emails() {
        let t = LoginThrottle::new(allow(100, 1), allow(100, 1), allow(2, 60));
        assert!(t.record_failure(ip(7), "one@x.io").await.is_ok());
        assert!(t.record_failure(ip(7), "two@x.io").await.is_ok());
        assert!(t.record_failure(ip(7), "three@x.io").await.is_err());
        assert!(t.check(ip(7), "four@x.io").await.is_err());
        assert!(t.check(ip(8), "four@x.io").await.is_ok());
    }

    #[tokio::test]
    async fn unknown_ip_still_counts_by_email() {
        let t = LoginThrottle::new(allow(1, 60), allow(100, 1), allow(100, 1));
        assert!(t.record_failure(None, "a@x.io").await.is_ok());
        assert!(t.record_failure(None, "a@x.io").await.is_err());
        assert!(t.check(None, "a@x.io").await.is_err());
    }
}
