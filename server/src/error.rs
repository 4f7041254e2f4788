//! `ApiError`: what the REST API answers when something fails, as JSON `{error, message}` with the right status.
//! Domain errors arrive as `AppError` (already client-safe); request-shape problems (bad JSON, missing fields,
//! oversized bodies) are mapped here so a client mistake is never a 500.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::ErrorBody;
use serde::de::DeserializeOwned;

use protocol::AppError;

#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    /// The request itself is unusable: status, code, message.
    Request(StatusCode, &'static str, String),
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError::App(err)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonSyntaxError(e) => ApiError::Request(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("The body is not valid JSON: {}", e.body_text()),
            ),
            JsonRejection::JsonDataError(e) => {
                ApiError::Request(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", e.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::Request(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json.".into(),
            ),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::Request(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The request body is too large.".into(),
            ),
            other => ApiError::Request(StatusCode::BAD_REQUEST, "bad_request", other.body_text()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::App(err) => {
                domain::metrics::error(err.code());
                let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut response = (status, Json(err.body())).into_response();
                if let Some(retry_after_secs) = err.retry_after() {
                    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                }
                response
            }
            ApiError::Request(status, code, message) => {
                domain::metrics::error(code);
                (status, Json(ErrorBody { error: code.to_string(), message, field: None })).into_response()
            }
        }
    }
}

/// `Json<T>` whose rejections are `ApiError`s.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
