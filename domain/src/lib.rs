//! The domain, server side only: entities, services and the state they share. Never compiled to WASM, and free of
//! any web framework. Both surfaces (REST handlers and the socket in the `server` crate, Leptos server functions in
//! `app`) call the same services, each with the acting principal.

pub mod ctx;
pub mod db;
pub mod entities;
pub mod files;
pub mod hub;
pub mod limits;
pub mod origin;
pub mod services;
pub mod throttle;
pub mod widget_cache;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use ctx::RolePermissions;
use protocol::Role;
use services::auth::AuthKeys;
use throttle::LoginThrottle;
use widget_cache::WidgetConfigCache;

/// What every request handler and server function needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub auth: Arc<AuthKeys>,
    pub login_throttle: Arc<LoginThrottle>,
    pub roles: RolePermissions,
    /// Where browsers reach this server, for embed codes (`https://help.example.com`).
    pub public_url: Arc<str>,
    pub widget_cache: Arc<WidgetConfigCache>,
    pub hub: Arc<hub::Hub>,
    /// Stores chat messages in batches (must be created inside the tokio runtime).
    pub writer: Arc<services::messages::MessageWriter>,
    /// The request header a trusted proxy puts the visitor's country in (e.g. `CF-IPCountry`), if any.
    pub country_header: Option<http::HeaderName>,
    /// Where chat attachments are stored, and their size cap.
    pub uploads: Arc<services::attachments::Uploads>,
    /// Messages per visitor, new sockets per IP.
    pub limits: Arc<limits::Limits>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, auth: AuthKeys, roles: RolePermissions, public_url: &str) -> Self {
        let hub = Arc::new(hub::Hub::default());
        AppState {
            writer: Arc::new(services::messages::MessageWriter::spawn(db.clone(), hub.clone())),
            db,
            auth: Arc::new(auth),
            login_throttle: Arc::new(LoginThrottle::default()),
            roles,
            public_url: public_url.trim_end_matches('/').into(),
            widget_cache: Arc::new(WidgetConfigCache::default()),
            hub,
            country_header: None,
            uploads: Arc::new(services::attachments::Uploads::new(
                "data/uploads".into(),
                services::attachments::DEFAULT_MAX_BYTES,
            )),
            limits: Arc::new(limits::Limits::default()),
        }
    }

    /// The permissions of `role`; none if the role is missing from `roles`.
    pub fn permissions(&self, role: Role) -> Arc<[String]> {
        self.roles.get(&role).cloned().unwrap_or_else(|| Arc::from(Vec::new()))
    }
}
