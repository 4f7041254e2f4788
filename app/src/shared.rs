//! Server functions several pages share (the signed-in user, the websites and the users one may see), so that no
//! page imports another page's. Each page's own server functions sit beside it. Also the browser's confirmation
//! dialog, which several pages ask before something that cannot be undone.

use leptos::server_fn::codec::Json;
use protocol::{ManagedUser, UserView, Website};

use crate::error::AppError;

#[leptos::server(prefix = "/sfn", endpoint = "current_user")]
pub async fn current_user() -> Result<UserView, AppError> {
    crate::server::request::with_ctx(|_, ctx| async move { Ok(ctx.user().clone()) }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "list_websites", input = Json)]
pub async fn list_websites() -> Result<Vec<Website>, AppError> {
    use crate::server::{request::with_ctx, services::websites};
    with_ctx(|state, ctx| async move { websites::list(&ctx, &state).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "list_users", input = Json)]
pub async fn list_users() -> Result<Vec<ManagedUser>, AppError> {
    use crate::server::{request::with_ctx, services::users};
    with_ctx(|state, ctx| async move { users::list(&ctx, &state).await }).await
}

/// The browser's confirmation dialog; on the server (never called there) it declines.
pub fn confirm(message: &str) -> bool {
    web_sys::window().and_then(|w| w.confirm_with_message(message).ok()).unwrap_or(false)
}
