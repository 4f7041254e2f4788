//! The error every server function returns: `protocol::AppError`, shared with the domain and the REST API.

pub use protocol::AppError;
