//! Cross-cutting request handling: the client's address behind a trusted proxy, dashboard sign-in redirects, the CSRF Origin check, response headers, and what
//! request logs may show.

pub mod admin_guard;
pub mod client_addr;
pub mod csrf;
pub mod headers;
pub mod redact;
