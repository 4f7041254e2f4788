//! What request logs may show of a URI: the path, and the query with every credential replaced. API keys, visitor
//! tokens and agent tokens have all travelled in query strings at some point (and old clients may still send them),
//! so whatever logs a URI logs it through here.

use axum::http::{Request, Uri};
use tracing::Span;

/// Query parameters whose values never reach a log.
const SECRET_PARAMS: [&str; 7] = ["token", "visitortoken", "visitor_token", "apikey", "api_key", "key", "password"];

/// `uri` with the values of credential parameters replaced by `[redacted]`.
pub fn redacted(uri: &Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else { return path.to_string() };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMS.contains(&name.to_ascii_lowercase().as_str()) => {
                format!("{name}=[redacted]")
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// The span of one request, for `TraceLayer`: method, redacted URI, version (what tower-http's default span shows,
/// minus the secrets).
pub fn request_span<B>(request: &Request<B>) -> Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        uri = %redacted(request.uri()),
        version = ?request.version(),
    )
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn credentials_in_queries_are_replaced_and_the_rest_kept() {
        let uri = "/ws?apiKey=hdk_123&visitorToken=eyJ.abc.def&lang=fr".parse().expect("uri");
        assert_eq!(redacted(&uri), "/ws?apiKey=[redacted]&visitorToken=[redacted]&lang=fr");
        let uri = "/ws?token=eyJ.x.y".parse().expect("uri");
        assert_eq!(redacted(&uri), "/ws?token=[redacted]");
        let uri = "/api/widget/config?APIKEY=hdk_1".parse().expect("uri");
        assert_eq!(redacted(&uri), "/api/widget/config?APIKEY=[redacted]");
        assert_eq!(redacted(&"/api/chats?status=waiting".parse().expect("uri")), "/api/chats?status=waiting");
        assert_eq!(redacted(&"/admin/login".parse().expect("uri")), "/admin/login");
    }
}
