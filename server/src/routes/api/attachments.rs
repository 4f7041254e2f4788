//! Attachments over HTTP: multipart uploads into a chat and downloads for its participants. Agents use
//! `/api/chats/{id}/attachments` and `/api/attachments/{id}`; the widget's visitor routes are in `widget.rs` and
//! share the reading and answering here. Files always go out as downloads (`Content-Disposition: attachment`,
//! `nosniff`, a sandboxing CSP), so nothing uploaded ever runs as a page of ours.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use domain::ctx::Principal;
use domain::services::attachments::{self, Download, Upload};
use domain::AppState;
use protocol::AppError;

use super::Caller;
use crate::error::ApiError;

/// Multipart overhead allowed on top of the file itself.
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// The fields of an upload form: `file` (required), `chatId` and `clientMsgId` (optional).
pub struct UploadForm {
    pub upload: Upload,
    pub chat_id: Option<String>,
}

fn multipart_error(status: StatusCode, state: &AppState) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::App(attachments::too_large_error(state))
    } else {
        ApiError::Request(StatusCode::BAD_REQUEST, "bad_request", "The upload is not a valid multipart form.".into())
    }
}

/// Reads the form, refusing a file over the cap as soon as it passes it.
pub async fn read_form(
    state: &AppState,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<UploadForm, ApiError> {
    let mut multipart = multipart.map_err(|_| {
        ApiError::Request(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the file as multipart/form-data in a field named “file”.".into(),
        )
    })?;
    let max = state.upload_max_bytes();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut chat_id = None;
    let mut client_msg_id = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e.status(), state))? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("file").to_string();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e.status(), state))? {
                    if bytes.len() + chunk.len() > max {
                        return Err(ApiError::App(attachments::too_large_error(state)));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, bytes));
            }
            Some(name @ ("chatId" | "clientMsgId")) => {
                let is_chat = name == "chatId";
                let text = field.text().await.map_err(|e| multipart_error(e.status(), state))?;
                let text = Some(text.trim().chars().take(128).collect::<String>()).filter(|t| !t.is_empty());
                if is_chat {
                    chat_id = text;
                } else {
                    client_msg_id = text;
                }
            }
            _ => {}
        }
    }
    let (file_name, bytes) = file.ok_or_else(|| AppError::validation("file", "Choose a file to send."))?;
    Ok(UploadForm { upload: Upload { file_name, bytes, client_msg_id }, chat_id })
}

/// `Content-Disposition` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 5987).
pub(crate) fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' { c } else { '_' })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The file as a download that browsers never render as a page of ours.
pub fn file_response(download: Download) -> Response {
    let mut res = download.bytes.into_response();
    let h = res.headers_mut();
    let mime =
        HeaderValue::from_str(&download.mime).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, mime);
    if let Ok(value) = HeaderValue::from_str(&disposition(&download.name)) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    // Stored files never change; only this participant's browser may keep them.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400"));
    // The widget reads thumbnails with fetch from the customer's page.
    h.insert(header::HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("cross-origin"));
    res
}

#[utoipa::path(post, path = "/api/chats/{id}/attachments", tag = "chats",
    params(("id" = String, Path, description = "Chat id")),
    request_body(content_type = "multipart/form-data", description = "`file`, and optionally `clientMsgId`"),
    responses((status = 201, body = protocol::ChatMessage, description = "The file or image message, also sent on the socket"),
        (status = 404, body = protocol::ErrorBody), (status = 413, body = protocol::ErrorBody),
        (status = 415, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(chat_id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let form = read_form(&state, multipart).await?;
    let message = attachments::upload(Principal::Agent(&ctx), &state, Some(&chat_id), form.upload).await?;
    Ok((StatusCode::CREATED, Json(message)).into_response())
}

#[utoipa::path(get, path = "/api/attachments/{id}", tag = "chats",
    params(("id" = String, Path, description = "Attachment id")),
    responses((status = 200, description = "The file, as a download"), (status = 404, body = protocol::ErrorBody)),
    security(("bearer" = [])))]
pub async fn download(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(file_response(attachments::download(Principal::Agent(&ctx), &state, &id, false).await?))
}

#[utoipa::path(get, path = "/api/attachments/{id}/thumbnail", tag = "chats",
    params(("id" = String, Path, description = "Attachment id")),
    responses((status = 200, description = "The image's thumbnail"), (status = 404, body = protocol::ErrorBody)),
    security(("bearer" = [])))]
pub async fn thumbnail(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(file_response(attachments::download(Principal::Agent(&ctx), &state, &id, true).await?))
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn disposition_keeps_quotes_and_non_ascii_out_of_the_plain_name() {
        assert_eq!(disposition("a.pdf"), "attachment; filename=\"a.pdf\"; filename*=UTF-8''a.pdf");
        assert_eq!(
            disposition("fé \"x\".txt"),
            "attachment; filename=\"f_ _x_.txt\"; filename*=UTF-8''f%C3%A9%20%22x%22.txt"
        );
    }
}
