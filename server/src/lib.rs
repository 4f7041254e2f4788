//! The Helpdesk server as a library: `build_app(config)` connects and migrates the database, creates the first
//! super admin on an empty one, and returns the router, so `main` and the integration tests start the same app.

pub mod commands;
pub mod config;
pub mod error;
pub mod middleware;
pub mod routes;

use std::net::SocketAddr;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use protocol::ErrorBody;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use app::{shell, App};
use domain::services::users::Bootstrap;
use domain::AppState;

pub use config::Config;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Domain(#[from] domain::StartError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A built application: the router to serve, the shared state, and what start-up did about the first account.
pub struct Helpdesk {
    pub router: Router,
    pub state: AppState,
    pub bootstrap: Option<Bootstrap>,
}

/// Largest request body outside the API's own limits (server functions, forms).
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

pub async fn build_app(config: &Config) -> Result<Helpdesk, StartupError> {
    // Everything written under these is this user's alone.
    domain::files::private_dir(&config.data_dir)?;
    let (state, bootstrap) = domain::start(config.domain_settings()).await?;
    let router = router(state.clone(), config);
    Ok(Helpdesk { router, state, bootstrap })
}

/// The dashboard's routes, worked out once per process. Working them out renders the app with data loading switched
/// off through a process-wide flag (leptos_server's `SuppressResourceLoad`): a page that starts loading data in that
/// moment, in another app of the same process (the tests run many at once), would wait for it forever
/// (leptos-rs/leptos#4773). Seen as a dashboard test timing out on an unfinished page body.
fn dashboard_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

fn router(state: AppState, config: &Config) -> Router {
    let leptos_options = config.leptos.clone();
    let routes = dashboard_routes();
    let context_state = state.clone();
    let dashboard = Router::new()
        .leptos_routes_with_context(&leptos_options, routes, move || provide_context(context_state.clone()), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));

    let api = Router::new()
        .nest("/api", routes::api::router(&state, config.upload_max_bytes))
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/ws", get(routes::ws::upgrade))
        .with_state(state.clone());

    let dev = config.leptos.env == leptos::config::Env::DEV;
    let pkg = routes::pkg::router(config);
    let widget = routes::widget_assets::router(routes::widget_assets::WidgetAssets::new(
        &config.widget_dir,
        config.asset_url.as_deref().unwrap_or_default(),
        dev,
    ));

    let metrics = routes::metrics::router(state.clone(), config.metrics_token.as_deref());
    api.merge(metrics)
        .merge(widget)
        .merge(pkg)
        .merge(dashboard)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::admin_guard::admin_guard))
        .layer(axum::middleware::from_fn_with_state(state, middleware::csrf::same_origin_for_cookie_sessions))
        .layer(axum::middleware::from_fn(middleware::headers::no_store_for_private_answers))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(CatchPanicLayer::custom(|_| internal_error()))
        .layer(TraceLayer::new_for_http().make_span_with(middleware::redact::request_span))
        .layer(axum::middleware::from_fn_with_state(
            config.trusted_proxies.clone(),
            middleware::client_addr::from_trusted_proxy,
        ))
}

fn internal_error() -> Response {
    let body = ErrorBody {
        error: "internal".into(),
        message: "Something went wrong on our side. Please try again.".into(),
        field: None,
    };
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

/// Serves `app` on `listener` until `stop` resolves, then drains: no new sockets, every open socket is told to
/// reconnect elsewhere (1012) once it has finished the event it is handling (a message being stored is acked
/// first), the listener closes, in-flight requests finish, and what the message writer holds is written. Returns
/// once all that is done or `drain` has passed, whichever is first.
pub async fn serve_with_drain(
    listener: tokio::net::TcpListener,
    app: Helpdesk,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    drain: std::time::Duration,
) -> std::io::Result<()> {
    let (stopped, stopping) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(serve(listener, app.router, async move {
        let _ = stopping.await;
    }));
    tokio::select! {
        () = stop => {}
        // The listener failed before any signal: nothing to drain.
        served = &mut server => return served.unwrap_or_else(|e| Err(std::io::Error::other(e))),
    }
    let sockets = app.state.open_sockets();
    tracing::info!(sockets, ?drain, "stopping: open sockets are asked to reconnect elsewhere");
    app.state.begin_drain();
    let _ = stopped.send(());
    let deadline = tokio::time::Instant::now() + drain;
    loop {
        if app.state.open_sockets() == 0 && server.is_finished() {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!(sockets = app.state.open_sockets(), "drain time over: stopping with work still open");
            server.abort();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.state.close().await;
    Ok(())
}

/// Serves `router` on `listener` until `shutdown` resolves; in-flight requests are allowed to finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Chat frames are small and latency matters: no Nagle delay (with delayed ACKs it stalls a socket for up to
    // 200 ms).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
