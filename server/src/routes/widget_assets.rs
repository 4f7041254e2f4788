//! `/widget.js` (the loader customers embed) and the chat bundle it loads. The bundle is what
//! `scripts/build-widget.sh` put under `<site root>/widget/`: the chat's JS glue and WASM, the split loader and the
//! modules loaded on demand (forms), which name each other by relative paths. It is served under a directory named
//! by a hash of all of it, `/widget/<hash>/<file>`, with a year-long immutable cache, and the loader — whose URL
//! never changes — is short-cached and points at the current directory. Everything is gzipped once at start-up. In
//! development (`LEPTOS_ENV=DEV`) the files are read again on every request, so a rebuilt widget shows on the next
//! reload.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const LOADER: &str = include_str!("../../../widget-wasm/loader.js");
/// The chat's JS glue (imported by the loader) and its WASM (the glue's `init` is handed its URL).
const GLUE: &str = "widget.js";
const WASM: &str = "widget_bg.wasm";

struct Asset {
    content_type: &'static str,
    plain: Vec<u8>,
    gzip: Vec<u8>,
}

impl Asset {
    fn new(content_type: &'static str, plain: Vec<u8>) -> Asset {
        let gzip = gzip(&plain);
        Asset { content_type, plain, gzip }
    }
}

/// The loader and the hashed chat bundle, ready to serve.
pub struct Bundle {
    loader: Asset,
    loader_etag: String,
    /// The directory name every file of the bundle is served under.
    hash: String,
    files: BTreeMap<String, Asset>,
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    if encoder.write_all(bytes).is_err() {
        return Vec::new();
    }
    encoder.finish().unwrap_or_default()
}

/// FNV-1a: stable across builds and platforms, enough to tell two bundles apart in a URL.
fn content_hash(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

/// The bundle's files: JS and WASM only (nothing else the build might leave there is served).
fn content_type(name: &str) -> Option<&'static str> {
    if name.ends_with(".js") {
        Some("text/javascript; charset=utf-8")
    } else if name.ends_with(".wasm") {
        Some("application/wasm")
    } else {
        None
    }
}

impl Bundle {
    /// Reads the built widget from `dir`; `None` if it has not been built. The loader points at the chat files
    /// under `asset_url` (a CDN in front of this server, `HELPDESK_ASSET_URL`) or, when it is empty, at this server.
    pub fn load(dir: &Path, asset_url: &str) -> Option<Bundle> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let Ok(name) = entry.file_name().into_string() else { continue };
            if content_type(&name).is_some() {
                files.insert(name, std::fs::read(entry.path()).ok()?);
            }
        }
        if !files.contains_key(GLUE) || !files.contains_key(WASM) {
            return None;
        }
        // Names and contents, in name order: a renamed or changed module moves the whole directory.
        let parts: Vec<&[u8]> = files.iter().flat_map(|(name, bytes)| [name.as_bytes(), &b"\0"[..], bytes]).collect();
        let hash = content_hash(&parts);
        let loader = LOADER
            .replace("__HD_JS__", &format!("{asset_url}/widget/{hash}/{GLUE}"))
            .replace("__HD_WASM__", &format!("{asset_url}/widget/{hash}/{WASM}"));
        let loader_etag = format!("\"{}\"", content_hash(&[loader.as_bytes()]));
        let files = files
            .into_iter()
            .filter_map(|(name, bytes)| Some((name.clone(), Asset::new(content_type(&name)?, bytes))))
            .collect();
        Some(Bundle {
            loader: Asset::new("text/javascript; charset=utf-8", loader.into_bytes()),
            loader_etag,
            hash,
            files,
        })
    }

    /// Sizes for the log, gzip: the loader, the chat as it opens (its WASM and every script), and the modules
    /// loaded on demand (the other WASM files).
    pub fn gzip_sizes(&self) -> (usize, usize, usize) {
        let on_demand = |name: &str| name.ends_with(".wasm") && name != WASM;
        let sum = |demand: bool| {
            self.files.iter().filter(|(n, _)| on_demand(n) == demand).map(|(_, a)| a.gzip.len()).sum::<usize>()
        };
        (self.loader.gzip.len(), sum(false), sum(true))
    }
}

/// Where the bundle comes from, and whether to read it again per request.
#[derive(Clone)]
pub struct WidgetAssets {
    dir: PathBuf,
    asset_url: Arc<str>,
    dev: bool,
    bundle: Option<Arc<Bundle>>,
}

impl WidgetAssets {
    /// The widget built into `dir` (`HELPDESK_WIDGET_DIR`); in development (`dev`) read again on every request.
    pub fn new(dir: &Path, asset_url: &str, dev: bool) -> WidgetAssets {
        let dir = dir.to_path_buf();
        let bundle = Bundle::load(&dir, asset_url).map(Arc::new);
        match &bundle {
            Some(b) => {
                let (loader, chat, on_demand) = b.gzip_sizes();
                tracing::info!(
                    loader_gzip = loader,
                    chat_gzip = chat,
                    on_demand_gzip = on_demand,
                    "widget bundle loaded"
                );
            }
            None => {
                tracing::warn!(dir = %dir.display(), "widget not built (scripts/build-widget.sh): /widget.js will say so")
            }
        }
        WidgetAssets { dir, asset_url: asset_url.into(), dev, bundle }
    }

    fn current(&self) -> Option<Arc<Bundle>> {
        if self.dev {
            Bundle::load(&self.dir, &self.asset_url).map(Arc::new)
        } else {
            self.bundle.clone()
        }
    }
}

pub fn router(assets: WidgetAssets) -> Router {
    Router::new().route("/widget.js", get(loader)).route("/widget/{hash}/{name}", get(chat_file)).with_state(assets)
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().split(';').next() == Some("gzip")))
}

fn serve(asset: &Asset, headers: &HeaderMap, cache: &'static str) -> Response {
    let gzip = accepts_gzip(headers) && !asset.gzip.is_empty();
    let body = if gzip { asset.gzip.clone() } else { asset.plain.clone() };
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    // Loaded by pages of any website: the module import and the wasm fetch are CORS requests.
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("cross-origin"));
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    res
}

async fn loader(State(assets): State<WidgetAssets>, headers: HeaderMap) -> Response {
    let Some(bundle) = assets.current() else {
        let body = "console.error('Helpdesk widget: this server has no widget build (run scripts/build.sh).');";
        let mut res = (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
        return res;
    };
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(bundle.loader_etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut res = serve(&bundle.loader, &headers, "public, max-age=300, stale-while-revalidate=3600");
    if let Ok(etag) = HeaderValue::from_str(&bundle.loader_etag) {
        res.headers_mut().insert(header::ETAG, etag);
    }
    res
}

async fn chat_file(
    State(assets): State<WidgetAssets>,
    UrlPath((hash, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match assets.current() {
        Some(b) if hash == b.hash => match b.files.get(&name) {
            Some(asset) => serve(asset, &headers, "public, max-age=31536000, immutable"),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_follows_content_and_the_loader_points_at_it() {
        let dir = std::env::temp_dir().join(format!("hd-widget-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join(GLUE), b"export default function(){}").expect("js");
        std::fs::write(dir.join(WASM), b"\0asm1").expect("wasm");
        std::fs::write(dir.join("notes.txt"), b"not served").expect("txt");
        let first = Bundle::load(&dir, "").expect("bundle");
        let loader = String::from_utf8(first.loader.plain.clone()).expect("utf-8");
        assert!(loader.contains(&format!("'/widget/{}/{GLUE}'", first.hash)), "{loader}");
        assert!(loader.contains(&format!("'/widget/{}/{WASM}'", first.hash)), "{loader}");
        assert!(!loader.contains("__HD_"));
        assert!(!first.files.contains_key("notes.txt"));
        // A module loaded on demand is part of the bundle: adding or changing one moves the directory.
        std::fs::write(dir.join("split_forms.wasm"), b"\0asm2").expect("chunk");
        let second = Bundle::load(&dir, "").expect("bundle");
        assert_ne!(first.hash, second.hash);
        assert!(second.files.contains_key("split_forms.wasm"));
        // Behind a CDN the loader points there, by absolute URL.
        let cdn = Bundle::load(&dir, "https://cdn.example.com").expect("bundle");
        let loader = String::from_utf8(cdn.loader.plain.clone()).expect("utf-8");
        assert!(loader.contains(&format!("'https://cdn.example.com/widget/{}/{GLUE}'", cdn.hash)), "{loader}");
        std::fs::remove_dir_all(&dir).ok();
        assert!(Bundle::load(&dir, "").is_none());
    }
}
