//! `/healthz` (the process answers) and `/readyz` (its dependencies answer too).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use domain::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers. With several nodes, Redis down is "degraded", still 200: this node stores and
/// acknowledges every message, only live delivery to other nodes pauses, and a load balancer must not take every
/// node out because Redis is.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    // Stopping: the load balancer should send new clients elsewhere.
    if state.draining() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "draining" })));
    }
    let redis = state.cluster_healthy().map(|up| if up { "ok" } else { "unavailable" });
    match state.database_ready().await {
        Ok(()) => {
            let status = if redis == Some("unavailable") { "degraded" } else { "ready" };
            let mut body = json!({ "status": status, "database": "ok" });
            if let Some(redis) = redis {
                body["redis"] = json!(redis);
            }
            (StatusCode::OK, Json(body))
        }
        Err(e) => {
            tracing::warn!(error = %e, "database ping failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "not_ready", "database": "unavailable" })))
        }
    }
}
