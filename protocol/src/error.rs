//! `AppError`: the one error the domain, the dashboard and the REST API share. Client-safe by construction: it
//! carries codes and messages meant for users, never a database or internal detail (those are logged where they are
//! converted: `From<DbErr>` with the `orm` feature). Every server function returns it (`leptos` feature); the REST
//! layer maps it to a status code and a JSON `{error, message}` body.

use serde::{Deserialize, Serialize};

use crate::ErrorBody;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session or token.
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Unknown email and wrong password look the same.
    #[error("Email or password is incorrect.")]
    InvalidCredentials,
    #[error("You are not allowed to do that.")]
    Forbidden,
    /// Widget requests: the API key is missing, unknown, or its website is inactive.
    #[error("The API key is missing, unknown or inactive.")]
    InvalidApiKey,
    /// Widget requests from a page whose origin the website does not allow.
    #[error("This website's domain is not allowed to use this widget.")]
    OriginNotAllowed,
    /// Widget sessions: the identity token is invalid (bad signature, expired, another website's, malformed), or the
    /// website requires one and none came. Says which, for the website's developers.
    #[error("{0}")]
    InvalidIdentity(String),
    /// Also used where admitting existence would leak (another tenant's resources).
    #[error("{0} not found.")]
    NotFound(String),
    #[error("{message}")]
    Validation { field: Option<String>, message: String },
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    #[error("Too many attempts. Try again in {}.", seconds(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    BadRequest(String),
    /// An upload or body over its size cap.
    #[error("{0}")]
    TooLarge(String),
    /// An upload whose content (by its bytes, not its name) is not a type we accept.
    #[error("{0}")]
    UnsupportedType(String),
    /// A dependency (the database) did not answer: nothing was stored; the same request (a message with the same
    /// client id) may be sent again after the wait, and is stored once.
    #[error("The service is briefly unavailable; nothing was stored. Try again in {}.", seconds(*retry_after_secs))]
    Unavailable { retry_after_secs: u64 },
    /// The cause was logged on the server; the client only learns that something failed.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

/// `1 second`, `5 seconds`.
fn seconds(n: u64) -> String {
    if n == 1 {
        "1 second".into()
    } else {
        format!("{n} seconds")
    }
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation { field: Some(field.to_string()), message: message.into() }
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        AppError::Conflict { field: Some(field.to_string()), message: message.into() }
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(what.to_string())
    }

    /// The stable snake_case code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden => "forbidden",
            AppError::InvalidApiKey => "invalid_api_key",
            AppError::OriginNotAllowed => "origin_not_allowed",
            AppError::InvalidIdentity(_) => "invalid_identity",
            AppError::NotFound(_) => "not_found",
            AppError::Validation { .. } => "validation_failed",
            AppError::Conflict { .. } => "conflict",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::BadRequest(_) => "bad_request",
            AppError::TooLarge(_) => "payload_too_large",
            AppError::UnsupportedType(_) => "unsupported_media_type",
            AppError::Unavailable { .. } => "unavailable",
            AppError::Internal => "internal",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized
            | AppError::InvalidCredentials
            | AppError::InvalidApiKey
            | AppError::InvalidIdentity(_) => 401,
            AppError::Forbidden | AppError::OriginNotAllowed => 403,
            AppError::NotFound(_) => 404,
            AppError::Validation { .. } => 422,
            AppError::Conflict { .. } => 409,
            AppError::RateLimited { .. } => 429,
            AppError::BadRequest(_) => 400,
            AppError::TooLarge(_) => 413,
            AppError::UnsupportedType(_) => 415,
            AppError::Unavailable { .. } => 503,
            AppError::Internal => 500,
        }
    }

    /// Seconds to wait before trying again, for the refusals that are worth retrying.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs } | AppError::Unavailable { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Validation { field, .. } | AppError::Conflict { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody { error: self.code().to_string(), message: self.to_string(), field: self.field().map(String::from) }
    }
}

#[cfg(feature = "leptos")]
impl server_fn::error::FromServerFnError for AppError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr;
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) | ServerFnErrorErr::Deserialization(m) => {
                AppError::BadRequest(format!("Invalid request: {m}"))
            }
            // Transport failures reach the browser only; say so plainly.
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                AppError::BadRequest("Could not reach the server. Check your connection and try again.".into())
            }
            _ => AppError::Internal,
        }
    }
}

#[cfg(feature = "orm")]
impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if database_unreachable(&err) {
            tracing::warn!(error = %err, "the database did not answer");
            return AppError::Unavailable { retry_after_secs: UNAVAILABLE_RETRY_SECS };
        }
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

/// How long a client waits before sending again what the database could not take.
#[cfg(feature = "orm")]
const UNAVAILABLE_RETRY_SECS: u64 = 2;

/// The database could not be reached (no connection, or one that broke): the statement did not run, or its outcome
/// is unknown; either way a retry with the same client id is safe.
#[cfg(feature = "orm")]
fn database_unreachable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, SqlxError};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            e.as_ref(),
            SqlxError::Io(_)
                | SqlxError::Tls(_)
                | SqlxError::Protocol(_)
                | SqlxError::PoolTimedOut
                | SqlxError::PoolClosed
                | SqlxError::WorkerCrashed
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_status_and_code() {
        let cases = [
            (AppError::Unauthorized, 401, "unauthorized"),
            (AppError::InvalidCredentials, 401, "invalid_credentials"),
            (AppError::Forbidden, 403, "forbidden"),
            (AppError::InvalidApiKey, 401, "invalid_api_key"),
            (AppError::OriginNotAllowed, 403, "origin_not_allowed"),
            (AppError::InvalidIdentity("expired".into()), 401, "invalid_identity"),
            (AppError::not_found("Website"), 404, "not_found"),
            (AppError::validation("email", "bad"), 422, "validation_failed"),
            (AppError::conflict("email", "taken"), 409, "conflict"),
            (AppError::RateLimited { retry_after_secs: 3 }, 429, "rate_limited"),
            (AppError::BadRequest("x".into()), 400, "bad_request"),
            (AppError::TooLarge("x".into()), 413, "payload_too_large"),
            (AppError::UnsupportedType("x".into()), 415, "unsupported_media_type"),
            (AppError::Unavailable { retry_after_secs: 2 }, 503, "unavailable"),
            (AppError::Internal, 500, "internal"),
        ];
        for (err, status, code) in &cases {
            assert_eq!(err.status(), *status, "{err:?}");
            assert_eq!(err.code(), *code, "{err:?}");
            assert!(!err.to_string().is_empty(), "{err:?} has a message");
        }
        // Every variant is in the table: a new one fails to compile here until it is added above.
        for (err, _, _) in cases {
            match err {
                AppError::Unauthorized
                | AppError::InvalidCredentials
                | AppError::Forbidden
                | AppError::InvalidApiKey
                | AppError::OriginNotAllowed
                | AppError::InvalidIdentity(_)
                | AppError::NotFound(_)
                | AppError::Validation { .. }
                | AppError::Conflict { .. }
                | AppError::RateLimited { .. }
                | AppError::BadRequest(_)
                | AppError::TooLarge(_)
                | AppError::UnsupportedType(_)
                | AppError::Unavailable { .. }
                | AppError::Internal => {}
            }
        }
        assert_eq!(
            AppError::RateLimited { retry_after_secs: 1 }.to_string(),
            "Too many attempts. Try again in 1 second."
        );
    }

    #[test]
    fn body_carries_field_for_forms() {
        let body = AppError::validation("password", "Too short").body();
        assert_eq!(body.error, "validation_failed");
        assert_eq!(body.message, "Too short");
        assert_eq!(body.field.as_deref(), Some("password"));
        assert_eq!(AppError::Internal.body().field, None);
    }
}
