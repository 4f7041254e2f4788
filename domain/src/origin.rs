//! Website domain allowlists and Origin matching. An entry is `host`, `host:port`, `scheme://host[:port]` or
//! `*.example.com`; an Origin matches on its parsed scheme, host and port — exactly, or for a wildcard at a dot
//! boundary. Never substring matching: `evilexample.com` and `example.com.evil.net` do not match `example.com`.

use protocol::AppError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedOrigin {
    /// `None`: both http and https.
    scheme: Option<Scheme>,
    /// Lower-case; for a wildcard, the part after `*.`.
    host: String,
    wildcard: bool,
    /// `None`: the scheme's default port.
    port: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn parse(s: &str) -> Option<Scheme> {
        match s {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

pub const MAX_DOMAINS_LEN: usize = 255;

/// Parses and normalises a list of entries (as typed by an admin); the error names the entry at fault.
pub fn parse_domains(entries: &[String]) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for raw in entries.iter().flat_map(|e| e.split([',', '\n', ' '])) {
        let entry = raw.trim().trim_end_matches('/').to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        parse_entry(&entry).map_err(|why| AppError::validation("domains", format!("“{entry}”: {why}")))?;
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    if out.is_empty() {
        return Err(AppError::validation("domains", "Add at least one domain the widget may run on."));
    }
    if out.join(",").len() > MAX_DOMAINS_LEN {
        return Err(AppError::validation(
            "domains",
            format!("Domains may take at most {MAX_DOMAINS_LEN} characters in all."),
        ));
    }
    Ok(out)
}

/// Parses one normalised entry.
pub fn parse_entry(entry: &str) -> Result<AllowedOrigin, &'static str> {
    let (scheme, rest) = match entry.split_once("://") {
        Some((s, rest)) => (Some(Scheme::parse(s).ok_or("only http:// and https:// are allowed")?), rest),
        None => (None, entry),
    };
    if rest.contains(['/', '?', '#', '@']) {
        return Err("give a domain, not a full URL with a path");
    }
    let (host, port) = split_port(rest)?;
    let (wildcard, host) = match host.strip_prefix("*.") {
        Some(base) => (true, base),
        None => (false, host),
    };
    if !valid_host(host) {
        return Err("not a valid domain name");
    }
    if wildcard && !host.contains('.') {
        return Err("a wildcard needs a domain with at least two labels, like *.example.com");
    }
    Ok(AllowedOrigin { scheme, host: host.to_string(), wildcard, port })
}

fn split_port(s: &str) -> Result<(&str, Option<u16>), &'static str> {
    match s.rsplit_once(':') {
        Some((host, port)) => {
            let port: u16 = port.parse().map_err(|_| "the port must be a number from 1 to 65535")?;
            if port == 0 {
                return Err("the port must be a number from 1 to 65535");
            }
            Ok((host, Some(port)))
        }
        None => Ok((s, None)),
    }
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// Whether a browser `Origin` header value is allowed by `entries` (already normalised).
pub fn origin_allowed(entries: &[String], origin: &str) -> bool {
    let Some((scheme, host, port)) = parse_origin(origin) else {
        return false;
    };
    entries.iter().filter_map(|e| parse_entry(e).ok()).any(|allowed| {
        let scheme_ok = allowed.scheme.is_none_or(|s| s == scheme);
        let port_ok = match allowed.port {
            Some(p) => p == port,
            None => port == scheme.default_port(),
        };
        let host_ok = if allowed.wildcard {
            host.len() > allowed.host.len() + 1
                && host.ends_with(&allowed.host)
                && host.as_bytes()[host.len() - allowed.host.len() - 1] == b'.'
        } else {
            host == allowed.host
        };
        scheme_ok && port_ok && host_ok
    })
}

/// `https://Shop.Example.com:8443` → (https, "shop.example.com", 8443). `null`, paths and odd schemes → None.
fn parse_origin(origin: &str) -> Option<(Scheme, String, u16)> {
    let (scheme, rest) = origin.trim().split_once("://")?;
    let scheme = Scheme::parse(&scheme.to_ascii_lowercase())?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', '[']) {
        return None;
    }
    let (host, port) = split_port(rest).ok()?;
    let host = host.to_ascii_lowercase();
    valid_host(&host).then(|| (scheme, host, port.unwrap_or(scheme.default_port())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entries: &[&str], origin: &str) -> bool {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        origin_allowed(&entries, origin)
    }

    #[test]
    fn exact_hosts_match_on_scheme_host_and_port() {
        assert!(allowed(&["example.com"], "https://example.com"));
        assert!(allowed(&["example.com"], "http://example.com"));
        assert!(allowed(&["example.com"], "https://EXAMPLE.com"));
        assert!(!allowed(&["example.com"], "https://www.example.com"));
        assert!(!allowed(&["example.com"], "https://example.com:8443"));
        assert!(allowed(&["localhost:8080"], "http://localhost:8080"));
        assert!(!allowed(&["localhost:8080"], "http://localhost:8081"));
    }

    #[test]
    fn substring_tricks_are_refused() {
        for origin in [
            "https://evilexample.com",
            "https://example.com.evil.net",
            "https://notexample.com",
            "https://example.co",
            "null",
            "",
            "example.com",
            "https://example.com/",
            "https://user@example.com",
            "ftp://example.com",
            "javascript://example.com",
        ] {
            assert!(!allowed(&["example.com", "*.example.com"], origin), "{origin:?} should be refused");
        }
    }

    #[test]
    fn a_listed_scheme_is_the_only_one_allowed() {
        assert!(allowed(&["https://shop.example.com"], "https://shop.example.com"));
        assert!(!allowed(&["https://shop.example.com"], "http://shop.example.com"));
        assert!(allowed(&["http://intranet.example.com"], "http://intranet.example.com"));
        assert!(!allowed(&["http://intranet.example.com"], "https://intranet.example.com"));
    }

    #[test]
    fn wildcards_match_subdomains_at_a_dot_boundary_only() {
        assert!(allowed(&["*.example.com"], "https://shop.example.com"));
        assert!(allowed(&["*.example.com"], "https://a.b.example.com"));
        assert!(!allowed(&["*.example.com"], "https://example.com"));
        assert!(!allowed(&["*.example.com"], "https://evilexample.com"));
        assert!(!allowed(&["*.example.com"], "https://shop.example.com.evil.net"));
    }

    #[test]
    fn entries_are_validated_and_normalised() {
        let parsed =
            parse_domains(&["Example.com, https://Shop.Example.com/".into(), "*.example.org".into()]).expect("valid");
        assert_eq!(parsed, ["example.com", "https://shop.example.com", "*.example.org"]);
        for bad in ["ftp://example.com", "example.com/path", "*.com", "exa_mple.com", "-bad.com", "example.com:0", "*"]
        {
            let err = parse_domains(&[bad.into()]).expect_err(bad);
            assert_eq!(err.field(), Some("domains"), "{bad}");
        }
        assert!(parse_domains(&[" ".into()]).is_err(), "at least one domain");
        let many: Vec<String> = (0..40).map(|i| format!("site-number-{i}.example.com")).collect();
        assert!(parse_domains(&many).is_err(), "total length is capped");
    }
}
