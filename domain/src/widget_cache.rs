//! In-memory cache of what `GET /api/widget/config` needs per API key: the website's allowlist, widget settings and
//! identity secret. Every change to a website or its settings invalidates its entry; entries also expire after a minute so
//! a change made on another node is seen soon without a shared cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use protocol::WidgetSettings;

const TTL: Duration = Duration::from_secs(60);
/// Unknown keys are never cached, so the map is bounded by the number of real websites; this is a backstop.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug)]
pub struct CachedSite {
    pub website_id: String,
    pub is_active: bool,
    pub domains: Vec<String>,
    pub settings: WidgetSettings,
    /// The key its identity tokens are signed with, if it has one.
    pub identity_secret: Option<String>,
    pub identity_required: bool,
    loaded_at: Instant,
}

impl CachedSite {
    pub fn new(website_id: String, is_active: bool, domains: Vec<String>, settings: WidgetSettings) -> Self {
        CachedSite {
            website_id,
            is_active,
            domains,
            settings,
            identity_secret: None,
            identity_required: false,
            loaded_at: Instant::now(),
        }
    }

    pub fn with_identity(mut self, secret: Option<String>, required: bool) -> Self {
        self.identity_secret = secret;
        self.identity_required = required;
        self
    }
}

#[derive(Default)]
pub struct WidgetConfigCache {
    by_key: RwLock<HashMap<String, Arc<CachedSite>>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl WidgetConfigCache {
    pub fn get(&self, api_key: &str) -> Option<Arc<CachedSite>> {
        let map = self.by_key.read().unwrap_or_else(|p| p.into_inner());
        let found = map.get(api_key).filter(|site| site.loaded_at.elapsed() < TTL).cloned();
        match &found {
            Some(_) => self.hits.fetch_add(1, Ordering::Relaxed),
            None => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        found
    }

    pub fn insert(&self, api_key: String, site: CachedSite) -> Arc<CachedSite> {
        let site = Arc::new(site);
        let mut map = self.by_key.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, s| s.loaded_at.elapsed() < TTL);
        }
        map.insert(api_key, site.clone());
        site
    }

    /// Drops every entry of a website (whatever its key was: rotation changes the key).
    pub fn invalidate_website(&self, website_id: &str) {
        let mut map = self.by_key.write().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, site| site.website_id != website_id);
    }

    /// (hits, misses) since start, for metrics and tests.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidation_drops_every_key_of_the_website() {
        let cache = WidgetConfigCache::default();
        cache.insert("k1".into(), CachedSite::new("w1".into(), true, vec![], WidgetSettings::default()));
        cache.insert("k2".into(), CachedSite::new("w2".into(), true, vec![], WidgetSettings::default()));
        assert!(cache.get("k1").is_some());
        cache.invalidate_website("w1");
        assert!(cache.get("k1").is_none());
        assert!(cache.get("k2").is_some());
        assert_eq!(cache.stats(), (2, 1));
    }
}
