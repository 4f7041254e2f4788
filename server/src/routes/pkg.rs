//! `/pkg/*`: the dashboard's JS, WASM and CSS, as `cargo leptos build --release --precompress` leaves them: served
//! brotli or gzip from the precompressed copies beside each file (nothing is compressed per request), and, when
//! their names carry their content's hash, cached for a year as immutable (a new build has new names). Unhashed
//! names (a development build) are revalidated on every load.

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::Config;

pub fn router(config: &Config) -> Router {
    let dir = std::path::Path::new(config.leptos.site_root.as_ref()).join(config.leptos.site_pkg_dir.as_ref());
    let cache = if config.leptos.hash_files { "public, max-age=31536000, immutable" } else { "no-cache" };
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new()
        .nest_service(&format!("/{}", config.leptos.site_pkg_dir), files)
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(cache)))
}
