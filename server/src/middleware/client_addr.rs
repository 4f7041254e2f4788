//! The client's address behind a reverse proxy. A request from one of `HELPDESK_TRUSTED_PROXIES` carries the
//! client's address in `X-Forwarded-For`; every part of the server (rate limits, login throttling, the activity
//! log) reads the address from axum's `ConnectInfo`, so this layer replaces it there and nothing else needs to know.
//! From anyone else the header is ignored: it is whatever the client chose to write.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed.
pub type TrustedProxies = Arc<[IpNet]>;

pub async fn from_trusted_proxy(State(trusted): State<TrustedProxies>, mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        if is_trusted(&trusted, peer.ip()) {
            if let Some(client) = forwarded_client(request.headers(), &trusted) {
                request.extensions_mut().insert(ConnectInfo(SocketAddr::new(client, peer.port())));
            }
        }
    }
    next.run(request).await
}

fn is_trusted(trusted: &[IpNet], ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    trusted.iter().any(|net| net.contains(&ip))
}

/// Each proxy appends the address it was reached from, so the list reads client, proxy, proxy…; only the right
/// end was written by proxies we trust. The client is the rightmost address that is not one of them: anything
/// left of it may be forged. `None` if the header is missing or unreadable.
fn forwarded_client(headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let mut leftmost = None;
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        for part in value.to_str().ok()?.rsplit(',') {
            let ip: IpAddr = part.trim().parse().ok()?;
            if !is_trusted(trusted, ip) {
                return Some(ip);
            }
            leftmost = Some(ip);
        }
    }
    leftmost
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().expect("net")).collect()
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_address() {
        let trusted = nets(&["127.0.0.1/32", "10.0.0.0/8"]);
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        assert_eq!(forwarded_client(&headers(&["203.0.113.5"]), &trusted), ip("203.0.113.5"));
        // A forged entry on the left does not give the client a new address.
        assert_eq!(forwarded_client(&headers(&["1.2.3.4, 203.0.113.5"]), &trusted), ip("203.0.113.5"));
        assert_eq!(forwarded_client(&headers(&["203.0.113.5, 10.1.2.3"]), &trusted), ip("203.0.113.5"));
        assert_eq!(forwarded_client(&headers(&["1.2.3.4", "203.0.113.5, 10.1.2.3"]), &trusted), ip("203.0.113.5"));
        assert_eq!(forwarded_client(&headers(&["10.9.9.9, 10.1.2.3"]), &trusted), ip("10.9.9.9"));
        assert_eq!(forwarded_client(&headers(&["2001:db8::1"]), &trusted), ip("2001:db8::1"));
        assert_eq!(forwarded_client(&headers(&["not an address"]), &trusted), None);
        assert_eq!(forwarded_client(&HeaderMap::new(), &trusted), None);
        assert!(is_trusted(&trusted, "::ffff:127.0.0.1".parse().expect("ip")), "IPv4 seen through an IPv6 socket");
    }
}
