//! The widget's files: `/widget.js` short-cached with an ETag and pointing at the content-hashed bundle, the bundle
//! immutable and readable by any page, gzip when asked; and a wrong key answered so the loader can say why.

mod common;

use std::io::Read;

use common::{Backend, TestApp, TestDb};
use reqwest::StatusCode;

per_backend!(
    the_loader_and_the_hashed_bundle_are_served_with_their_cache_rules,
    with_an_asset_url_the_loader_points_at_the_cdn
);

/// A server with a widget build in its site (a tiny one: the server only hashes and serves it).
async fn with_widget(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let db = TestDb::create(backend).await;
    let config = common::test_config(&db, extra);
    let widget_dir = std::path::PathBuf::from(config.leptos.site_root.as_ref()).join("widget");
    std::fs::create_dir_all(&widget_dir).expect("dir");
    std::fs::write(widget_dir.join("widget.js"), "export default async function init() {}\n".repeat(50)).expect("js");
    std::fs::write(widget_dir.join("widget_bg.wasm"), b"\0asm\x01\0\0\0").expect("wasm");
    // A module loaded on demand, named by the split loader relative to the glue.
    std::fs::write(widget_dir.join("split_forms.wasm"), b"\0asm\x01\0\0\x02").expect("chunk");
    TestApp::start(db, config).await
}

async fn the_loader_and_the_hashed_bundle_are_served_with_their_cache_rules(backend: Backend) {
    let app = with_widget(backend, &[]).await;

    let res = app.client.get(app.url("/widget.js")).header("Accept-Encoding", "gzip").send().await.expect("loader");
    assert_eq!(res.status(), StatusCode::OK);
    let header = |res: &reqwest::Response, name: &str| {
        res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    };
    assert!(header(&res, "content-type").starts_with("text/javascript"));
    assert_eq!(header(&res, "content-encoding"), "gzip");
    assert!(header(&res, "cache-control").contains("max-age=300"));
    let etag = header(&res, "etag");
    let mut loader = String::new();
    flate2::read::GzDecoder::new(&res.bytes().await.expect("bytes")[..]).read_to_string(&mut loader).expect("gzip");
    let js_name = loader
        .split("'/widget/")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .expect("bundle name in the loader")
        .to_string();
    let dir = js_name.strip_suffix("/widget.js").expect("the glue in the bundle's directory").to_string();
    assert!(dir.len() == 16 && dir.bytes().all(|b| b.is_ascii_hexdigit()), "{js_name}");
    let res = app.client.get(app.url("/widget.js")).header("If-None-Match", &etag).send().await.expect("loader");
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    let res = app.client.get(app.url(&format!("/widget/{js_name}"))).send().await.expect("bundle");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(header(&res, "access-control-allow-origin"), "*");
    assert!(loader.contains(&format!("'/widget/{dir}/widget_bg.wasm'")), "{loader}");
    let res = app.client.get(app.url(&format!("/widget/{dir}/widget_bg.wasm"))).send().await.expect("wasm");
    assert_eq!(header(&res, "content-type"), "application/wasm");
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), b"\0asm\x01\0\0\0");
    // The module loaded on demand, beside them, under the same rules.
    let res = app.client.get(app.url(&format!("/widget/{dir}/split_forms.wasm"))).send().await.expect("chunk");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(header(&res, "access-control-allow-origin"), "*");
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), b"\0asm\x01\0\0\x02");
    // An earlier build's directory, a file not in the bundle, a path outside it: not found.
    for path in [
        "/widget/0000000000000000/widget.js".to_string(),
        format!("/widget/{dir}/missing.js"),
        format!("/widget/{dir}/..%2Fwidget.js"),
    ] {
        let res = app.client.get(app.url(&path)).send().await.expect("missing");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }

    app.stop().await;
}

/// `HELPDESK_ASSET_URL`: the loader fetches the hashed bundle from the CDN, which pulls it from this server (so
/// the server still serves it, immutable).
async fn with_an_asset_url_the_loader_points_at_the_cdn(backend: Backend) {
    let app = with_widget(backend, &[("HELPDESK_ASSET_URL", "https://cdn.example.com/")]).await;
    let loader = app.client.get(app.url("/widget.js")).send().await.expect("loader").text().await.expect("text");
    let js_name = loader
        .split("'https://cdn.example.com/widget/")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .expect("the bundle on the CDN in the loader")
        .to_string();
    let dir = js_name.strip_suffix("/widget.js").expect("the glue in the bundle's directory").to_string();
    assert!(loader.contains(&format!("'https://cdn.example.com/widget/{dir}/widget_bg.wasm'")), "{loader}");
    assert!(!loader.contains("'/widget/"), "nothing left on this server's path: {loader}");
    let res = app.client.get(app.url(&format!("/widget/{js_name}"))).send().await.expect("bundle");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("cache-control").and_then(|v| v.to_str().ok()),
        Some("public, max-age=31536000, immutable")
    );
    app.stop().await;
}
