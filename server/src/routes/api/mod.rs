//! The REST API for integrations (Bearer JWT). Handlers are thin: parse, call a service with the caller's `Ctx`,
//! answer JSON.

pub mod activity;
pub mod analytics;
pub mod attachments;
pub mod auth;
pub mod canned;
pub mod chats;
pub mod emails;
pub mod labels;
pub mod me;
pub mod privacy;
pub mod search;
pub mod users;
pub mod webhooks;
pub mod websites;
pub mod widget;

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::Router;
use std::net::{IpAddr, SocketAddr};
use tower_http::limit::RequestBodyLimitLayer;

use domain::ctx::Ctx;
use domain::services::auth as auth_service;
use domain::AppState;

use crate::error::ApiError;

/// JSON bodies of the API are small; uploads get their own limit on their own routes.
const JSON_BODY_LIMIT: usize = 64 * 1024;

/// `widget_requests`: how many widget requests a client IP may make per window (0: no limit). `upload_max`: the
/// attachment size cap; upload routes accept that plus multipart overhead, everything else the small limits.
pub fn router(state: &AppState, upload_max: usize) -> Router<AppState> {
    let upload_limit = upload_max + attachments::MULTIPART_OVERHEAD;
    let uploads = Router::new()
        .route("/chats/{id}/attachments", post(attachments::upload))
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(RequestBodyLimitLayer::new(upload_limit));
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/me/availability", get(me::get_availability).patch(me::update_availability))
        .route("/me/notifications", get(me::get_notifications).patch(me::update_notifications))
        .route("/websites", get(websites::list).post(websites::create))
        .route("/websites/{id}", get(websites::get).put(websites::update).delete(websites::delete))
        .route("/websites/{id}/rotate-key", post(websites::rotate_key))
        .route(
            "/websites/{id}/identity-secret",
            get(websites::get_identity_secret).post(websites::rotate_identity_secret),
        )
        .route("/websites/{id}/settings", get(websites::get_settings).put(websites::put_settings))
        .route("/websites/{id}/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{id}", patch(webhooks::update).delete(webhooks::delete))
        .route("/webhooks/{id}/rotate-secret", post(webhooks::rotate_secret))
        .route("/webhooks/{id}/ping", post(webhooks::ping))
        .route("/webhook-deliveries", get(webhooks::deliveries))
        .route("/webhook-deliveries/{id}/retry", post(webhooks::retry))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", patch(users::update))
        .route("/users/{id}/password", post(users::reset_password))
        .route("/activity", get(activity::list))
        .route("/analytics", get(analytics::report))
        .route("/canned-responses", get(canned::list).post(canned::create))
        .route("/canned-responses/{id}", patch(canned::update).delete(canned::delete))
        .route("/labels", get(labels::list).post(labels::create))
        .route("/labels/{id}", patch(labels::update).delete(labels::delete))
        .route("/chats", get(chats::list))
        .route("/chats/export.csv", get(privacy::chats_csv))
        .route("/chats/counts", get(chats::counts))
        .route("/chats/{id}/labels", patch(labels::set_on_chat))
        .route("/chats/{id}", get(chats::get).patch(chats::update))
        .route("/chats/{id}/messages", get(chats::messages))
        .route("/chats/{id}/transcript", post(emails::transcript))
        .route("/chats/{id}/transcript.csv", get(privacy::transcript_csv))
        .route("/emails", get(emails::list))
        .route("/emails/{id}/retry", post(emails::retry))
        .route("/messages", post(chats::send))
        .route("/search", get(search::search))
        .route("/visitors/{id}", patch(chats::update_visitor).delete(privacy::erase_visitor))
        .route("/visitors/{id}/export", get(privacy::export_visitor))
        .route("/attachments/{id}", get(attachments::download))
        .route("/attachments/{id}/thumbnail", get(attachments::thumbnail))
        .route("/openapi.json", get(super::openapi::openapi_json))
        .layer(RequestBodyLimitLayer::new(crate::BODY_LIMIT))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .merge(uploads)
        .nest("/widget", widget::router(state, upload_limit))
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError::Request(StatusCode::NOT_FOUND, "not_found", "No such API endpoint.".into())
}

/// The peer's address (forwarded headers are not trusted without a configured proxy).
pub fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip())
}

/// The authenticated caller: Bearer token, or the dashboard's cookie. Answers 401 otherwise.
pub struct Caller(pub Ctx);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = auth_service::ctx_from_headers(state, &parts.headers, peer_ip(parts)).await?;
        Ok(Caller(ctx))
    }
}

/// The client address, for handlers that need it without authentication.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(peer_ip(parts)))
    }
}
