//! Small URL helpers shared by the dashboard and the server.

/// Percent-encodes a value for a query string, keeping `/` readable (used for `?next=/admin/...`).
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_slashes_and_escapes_the_rest() {
        assert_eq!(super::encode_query_value("/admin/chats/a b?x=1&y"), "/admin/chats/a%20b%3Fx%3D1%26y");
    }
}
