//! The dashboard's side of the server (`ssr` only): the domain's services for its server functions, the state they
//! reach through Leptos context, and the few helpers that need the request leptos_axum is handling.

pub mod request;

pub use domain::*;

use leptos::prelude::use_context;

use crate::error::AppError;

/// The state provided to server functions through Leptos context.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

/// The server's clock in milliseconds since 1970 (the dashboard's clock starts from it, so server and browser render
/// the same waiting times).
pub fn now_ms() -> i64 {
    services::now_millis().and_utc().timestamp_millis()
}
