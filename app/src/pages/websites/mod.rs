//! /admin/websites (the list and a new website, `list`) and /admin/websites/:id (`detail`: edit, rotate the API key,
//! copy the embed code, edit widget settings with a live preview, deactivate or delete). Their server functions
//! are here.

use leptos::server_fn::codec::Json;
use protocol::{Website, WebsiteCreated, WebsiteForCreate, WebsiteForUpdate, WidgetSettings};

use crate::error::AppError;

mod detail;
mod list;

pub use detail::WebsitePage;
pub use list::WebsitesPage;

#[leptos::server(prefix = "/sfn", endpoint = "get_website", input = Json)]
pub async fn get_website(id: String) -> Result<Website, AppError> {
    use crate::server::{request::with_ctx, services::websites};
    with_ctx(|state, ctx| async move { websites::get(&ctx, &state, &id).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "create_website", input = Json)]
pub async fn create_website(input: WebsiteForCreate) -> Result<WebsiteCreated, AppError> {
    use crate::server::{request::with_ctx, services::websites};
    with_ctx(|state, ctx| async move { websites::create(&ctx, &state, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "update_website", input = Json)]
pub async fn update_website(id: String, input: WebsiteForUpdate) -> Result<Website, AppError> {
    use crate::server::{request::with_ctx, services::websites};
    with_ctx(|state, ctx| async move { websites::update(&ctx, &state, &id, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "rotate_website_key", input = Json)]
pub async fn rotate_website_key(id: String) -> Result<Website, AppError> {
    use crate::server::{request::with_ctx, services::websites};
    with_ctx(|state, ctx| async move { websites::rotate_key(&ctx, &state, &id).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "delete_website", input = Json)]
pub async fn delete_website(id: String) -> Result<(), AppError> {
    use crate::server::{request::with_ctx, services::websites};
    with_ctx(|state, ctx| async move { websites::delete(&ctx, &state, &id).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "get_widget_settings", input = Json)]
pub async fn get_widget_settings(id: String) -> Result<WidgetSettings, AppError> {
    use crate::server::{request::with_ctx, services::widget_settings};
    with_ctx(|state, ctx| async move { widget_settings::get(&ctx, &state, &id).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "save_widget_settings", input = Json)]
pub async fn save_widget_settings(id: String, settings: WidgetSettings) -> Result<WidgetSettings, AppError> {
    use crate::server::{request::with_ctx, services::widget_settings};
    with_ctx(|state, ctx| async move { widget_settings::update(&ctx, &state, &id, settings).await }).await
}
