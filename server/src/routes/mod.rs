//! HTTP routes outside the Leptos app: the REST API under `/api`, the socket, the widget files, the dashboard's
//! static files and the health endpoints.

pub mod api;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod pkg;
pub mod widget_assets;
pub mod ws;
