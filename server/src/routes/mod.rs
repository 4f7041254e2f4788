//! HTTP routes outside the Leptos app: the REST API under `/api` and the health endpoints.

pub mod api;
pub mod health;
pub mod openapi;
pub mod ws;
