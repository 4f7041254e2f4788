//! Cross-cutting request handling: dashboard sign-in redirects, the CSRF Origin check, response headers, and what
//! request logs may show.

pub mod admin_guard;
pub mod csrf;
pub mod headers;
pub mod redact;
