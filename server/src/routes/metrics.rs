//! `/metrics` in Prometheus's text format, rendered by `metrics-exporter-prometheus` from what the domain records
//! (`domain::metrics`). Off unless `HELPDESK_METRICS_TOKEN` is set; then only for `Authorization: Bearer <token>`,
//! since socket counts and error rates are nobody else's business.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use domain::metrics::{BATCH_BUCKETS, MESSAGE_BUCKETS, MESSAGE_SECONDS, WRITER_BATCH};
use domain::AppState;

use crate::error::ApiError;

#[derive(Clone)]
struct Scrape {
    state: AppState,
    token: Arc<str>,
    handle: PrometheusHandle,
}

/// The route, when a token is configured and the recorder could be installed.
pub fn router(state: AppState, token: Option<&str>) -> Router {
    let (Some(token), Some(handle)) = (token, recorder()) else { return Router::new() };
    Router::new().route("/metrics", get(scrape)).with_state(Scrape { state, token: token.into(), handle })
}

/// The process-wide recorder, installed once (several apps share one process in the tests).
fn recorder() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(MESSAGE_SECONDS.into()), MESSAGE_BUCKETS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(WRITER_BATCH.into()), BATCH_BUCKETS))
                .and_then(|b| b.install_recorder());
            match installed {
                Ok(handle) => {
                    let upkeep = handle.clone();
                    tokio::spawn(async move {
                        loop {
                            tokio::time::sleep(Duration::from_secs(5)).await;
                            upkeep.run_upkeep();
                        }
                    });
                    Some(handle)
                }
                Err(e) => {
                    tracing::error!(error = %e, "metrics recorder not installed: /metrics is off");
                    None
                }
            }
        })
        .clone()
}

async fn scrape(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !same(offered.as_bytes(), scrape.token.as_bytes()) {
        return ApiError::Request(StatusCode::UNAUTHORIZED, "unauthorized", "A metrics token is required.".into())
            .into_response();
    }
    scrape.state.record_health().await;
    let mut response = scrape.handle.render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

/// Equal, in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
