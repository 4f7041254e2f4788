//! Cross-cutting request handling: dashboard sign-in redirects, the CSRF Origin check, security headers.

pub mod admin_guard;
pub mod csrf;
