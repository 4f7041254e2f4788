//! The domain, server side only (`ssr`): entities, services and the state they share. Never compiled to WASM.
//! Both surfaces (REST handlers in the `server` crate and Leptos server functions) call the same services.

pub mod ctx;
pub mod db;
pub mod entities;
pub mod request;
pub mod services;
pub mod throttle;

use std::sync::Arc;

use leptos::prelude::use_context;
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use services::auth::AuthKeys;
use throttle::LoginThrottle;

/// What every request handler and server function needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub auth: Arc<AuthKeys>,
    pub login_throttle: Arc<LoginThrottle>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, auth: AuthKeys) -> Self {
        AppState { db, auth: Arc::new(auth), login_throttle: Arc::new(LoginThrottle::default()) }
    }

    /// The state provided to server functions through Leptos context.
    pub fn from_context() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            AppError::Internal
        })
    }
}
