//! `GET /api/openapi.json`: the REST API described from the handlers' annotations and the protocol types.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "Helpdesk API", description = "REST API for integrations. Authenticate with `Authorization: Bearer <token>` from `POST /api/auth/login`. Errors are `{\"error\": code, \"message\": text}`."),
    paths(
        api::auth::login, api::auth::logout, api::auth::me, api::me::get_availability, api::me::update_availability,
        api::me::get_notifications, api::me::update_notifications,
        api::websites::list, api::websites::create, api::websites::get, api::websites::update, api::websites::delete,
        api::websites::rotate_key, api::websites::get_identity_secret, api::websites::rotate_identity_secret,
        api::websites::get_settings, api::websites::put_settings,
        api::users::list, api::users::create, api::users::update, api::users::reset_password,
        api::activity::list,
        api::analytics::report,
        api::canned::list, api::canned::create, api::canned::update, api::canned::delete,
        api::labels::list, api::labels::create, api::labels::update, api::labels::delete, api::labels::set_on_chat,
        api::chats::list, api::chats::counts, api::chats::get, api::chats::update, api::chats::messages, api::chats::send, api::chats::update_visitor,
        api::search::search,
        api::emails::list, api::emails::retry, api::emails::transcript,
        api::webhooks::list, api::webhooks::create, api::webhooks::update, api::webhooks::delete,
        api::webhooks::rotate_secret, api::webhooks::ping, api::webhooks::deliveries, api::webhooks::retry,
        api::privacy::chats_csv, api::privacy::transcript_csv, api::privacy::export_visitor, api::privacy::erase_visitor,
        api::widget::config_handler, api::widget::session_handler, api::widget::offline_handler,
        api::widget::transcript_handler, api::widget::prechat_handler, api::widget::rating_handler,
        api::widget::upload_handler, api::widget::download_handler, api::widget::thumbnail_handler,
        api::attachments::upload, api::attachments::download, api::attachments::thumbnail,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign in and out; the caller's own availability and notification settings"),
        (name = "websites", description = "Websites, API keys and widget settings"),
        (name = "users", description = "Users, roles and website assignments"),
        (name = "activity", description = "The activity log"),
        (name = "analytics", description = "Chats, messages, visitors and response times over a date range"),
        (name = "chats", description = "Chats, messages (and agents' internal notes) and attachments"),
        (name = "canned", description = "Canned responses: shared per website, or personal"),
        (name = "labels", description = "Each website's labels, and the labels on chats"),
        (name = "privacy", description = "Everything stored about one visitor: export it, or erase it"),
        (name = "emails", description = "The outbox: what was emailed, what failed and why; send again"),
        (name = "webhooks", description = "Each website's webhooks (signed POSTs of its events) and their delivery log"),
        (name = "widget", description = "Called by the widget on customers' pages (API key + Origin)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
