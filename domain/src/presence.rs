//! Who is on the websites now: each online visitor with the page they are on, and each online agent with the
//! websites they work on. Kept by the sockets as they open, move and close, for the live dashboard's first view;
//! after it, the dashboard follows `visitor-*` and `agent-*` events.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDateTime;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitorHere {
    pub website_id: String,
    pub visitor_id: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub since: NaiveDateTime,
}

struct Visit {
    sockets: u32,
    url: Option<String>,
    title: Option<String>,
    since: NaiveDateTime,
}

struct AgentHere {
    sockets: u32,
    websites: Vec<String>,
}

#[derive(Default)]
pub struct Presence {
    /// website → visitor → visit.
    visitors: Mutex<HashMap<String, HashMap<String, Visit>>>,
    agents: Mutex<HashMap<String, AgentHere>>,
}

impl Presence {
    /// A visitor's socket opened; for their first here, since when they are here.
    pub fn visitor_connected(&self, website_id: &str, visitor_id: &str, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut all = self.visitors.lock().ok()?;
        let visit = all.entry(website_id.to_string()).or_default().entry(visitor_id.to_string()).or_insert(Visit {
            sockets: 0,
            url: None,
            title: None,
            since: now,
        });
        visit.sockets += 1;
        (visit.sockets == 1).then_some(visit.since)
    }

    /// A visitor's socket closed; true for their last here.
    pub fn visitor_disconnected(&self, website_id: &str, visitor_id: &str) -> bool {
        let Ok(mut all) = self.visitors.lock() else { return false };
        let Some(site) = all.get_mut(website_id) else { return false };
        let mut last = false;
        if let Some(visit) = site.get_mut(visitor_id) {
            visit.sockets = visit.sockets.saturating_sub(1);
            if visit.sockets == 0 {
                site.remove(visitor_id);
                last = true;
            }
        }
        if site.is_empty() {
            all.remove(website_id);
        }
        last
    }

    /// The visitor moved to a page; when they are here, since when.
    pub fn visitor_page(
        &self,
        website_id: &str,
        visitor_id: &str,
        url: &str,
        title: Option<&str>,
    ) -> Option<NaiveDateTime> {
        let mut all = self.visitors.lock().ok()?;
        let visit = all.get_mut(website_id).and_then(|site| site.get_mut(visitor_id))?;
        visit.url = Some(url.to_string());
        visit.title = title.map(String::from);
        Some(visit.since)
    }

    /// The visitors online on these websites, longest here first.
    pub fn visitors_on(&self, website_ids: &[String]) -> Vec<VisitorHere> {
        let Ok(all) = self.visitors.lock() else { return Vec::new() };
        let mut here: Vec<VisitorHere> = website_ids
            .iter()
            .filter_map(|w| all.get(w).map(|site| (w, site)))
            .flat_map(|(w, site)| {
                site.iter().map(move |(visitor_id, visit)| VisitorHere {
                    website_id: w.clone(),
                    visitor_id: visitor_id.clone(),
                    url: visit.url.clone(),
                    title: visit.title.clone(),
                    since: visit.since,
                })
            })
            .collect();
        here.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| a.visitor_id.cmp(&b.visitor_id)));
        here
    }

    /// An agent's socket opened, with the websites they work on; true for their first (they came online).
    pub fn agent_connected(&self, user_id: &str, websites: Vec<String>) -> bool {
        let Ok(mut all) = self.agents.lock() else { return false };
        if let Some(agent) = all.get_mut(user_id) {
            agent.sockets += 1;
            agent.websites = websites;
            return false;
        }
        all.insert(user_id.to_string(), AgentHere { sockets: 1, websites });
        true
    }

    /// An agent's socket closed; for their last, the websites they worked on (they went offline).
    pub fn agent_disconnected(&self, user_id: &str) -> Option<Vec<String>> {
        let mut all = self.agents.lock().ok()?;
        let agent = all.get_mut(user_id)?;
        agent.sockets = agent.sockets.saturating_sub(1);
        if agent.sockets > 0 {
            return None;
        }
        all.remove(user_id).map(|a| a.websites)
    }

    /// The agents online who work on any of these websites.
    pub fn agents_on(&self, website_ids: &[String]) -> Vec<String> {
        let Ok(all) = self.agents.lock() else { return Vec::new() };
        let mut ids: Vec<String> = all
            .iter()
            .filter(|(_, a)| a.websites.iter().any(|w| website_ids.contains(w)))
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_is_here_until_their_last_socket_closes() {
        let p = Presence::default();
        let now = NaiveDateTime::default();
        p.visitor_connected("w", "v", now);
        p.visitor_connected("w", "v", now);
        p.visitor_page("w", "v", "https://a.example/x", Some("X"));
        p.visitor_disconnected("w", "v");
        let here = p.visitors_on(&["w".into()]);
        assert_eq!(here.len(), 1);
        assert_eq!(here[0].url.as_deref(), Some("https://a.example/x"));
        p.visitor_disconnected("w", "v");
        assert!(p.visitors_on(&["w".into()]).is_empty());
        assert!(p.visitors_on(&["other".into()]).is_empty());
    }

    #[test]
    fn an_agent_comes_online_once_and_goes_offline_with_their_last_socket() {
        let p = Presence::default();
        assert!(p.agent_connected("a", vec!["w1".into()]));
        assert!(!p.agent_connected("a", vec!["w1".into()]));
        assert_eq!(p.agents_on(&["w1".into()]), vec!["a".to_string()]);
        assert!(p.agents_on(&["w2".into()]).is_empty());
        assert_eq!(p.agent_disconnected("a"), None);
        assert_eq!(p.agent_disconnected("a"), Some(vec!["w1".to_string()]));
        assert!(p.agents_on(&["w1".into()]).is_empty());
    }
}
