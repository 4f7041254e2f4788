//! `/api/widget/*`: what the widget on customers' pages calls. Authenticated by the website's API key and the
//! page's Origin, never by a user. CORS headers go only to origins the website allows; requests are rate limited
//! per client IP (100 per 15 minutes, as the seed, unless configured).

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use protocol::WidgetConfig;
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;

use domain::ctx::{Principal, VisitorCtx};
use domain::services::{attachments, visitors, widget_settings};
use domain::AppState;
use protocol::AppError;

use crate::error::ApiError;

/// Every widget request but CORS preflights spends the client IP's allowance (`Limits::widget_request`: the seed's
/// 100 per 15 minutes unless configured, shared by every node with `REDIS_URL`). A refused preflight would hide the
/// refusal itself from the widget, which could then only say "no connection". A refusal is readable from any page
/// (it says nothing but "wait").
pub fn router(state: &AppState, upload_limit: usize) -> Router<AppState> {
    let limited = |route: MethodRouter<AppState>| route.layer(middleware::from_fn_with_state(state.clone(), per_ip));
    let uploads = Router::new()
        .route("/attachments", limited(post(upload_handler)).options(preflight))
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(RequestBodyLimitLayer::new(upload_limit));
    Router::new()
        .route("/config", limited(get(config_handler)).options(preflight))
        .route("/session", limited(post(session_handler)).options(preflight))
        .route("/offline", limited(post(offline_handler)).options(preflight))
        .route("/transcript", limited(post(transcript_handler)).options(preflight))
        .route("/prechat", limited(post(prechat_handler)).options(preflight))
        .route("/rating", limited(post(rating_handler)).options(preflight))
        .route("/attachments/{id}", limited(get(download_handler)).options(preflight))
        .route("/attachments/{id}/thumbnail", limited(get(thumbnail_handler)).options(preflight))
        .layer(RequestBodyLimitLayer::new(crate::BODY_LIMIT))
        .merge(uploads)
        .layer(middleware::map_response(readable_refusal))
}

/// Lets the page that was refused read why (`Access-Control-Allow-Origin` on a 429, for whichever origin asked).
async fn readable_refusal(headers: HeaderMap, mut res: Response) -> Response {
    if res.status() == StatusCode::TOO_MANY_REQUESTS && !res.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    {
        res = with_cors(res, origin(&headers).unwrap_or_default());
    }
    res
}

async fn per_ip(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    match state.limits().widget_request(Some(peer.ip())).await {
        Ok(()) => next.run(req).await,
        Err(err) => ApiError::from(err).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyQuery {
    api_key: Option<String>,
}

/// The `x-api-key` header, the seed's alternative to `?apiKey=` for clients that are not browsers (a browser's
/// CORS preflight carries no header values, so the widget keeps the key in the query).
pub fn header_api_key(headers: &HeaderMap) -> Option<String> {
    headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty()).map(String::from)
}

impl KeyQuery {
    /// The key from the query, or from `x-api-key`.
    fn with_header(mut self, headers: &HeaderMap) -> KeyQuery {
        if self.api_key.as_deref().is_none_or(str::is_empty) {
            self.api_key = header_api_key(headers);
        }
        self
    }
}

fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

fn with_cors(mut res: Response, origin: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(origin) {
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    res
}

#[utoipa::path(get, path = "/api/widget/config", tag = "widget", params(("apiKey" = String, Query, description = "The website's API key")),
    responses((status = 200, body = WidgetConfig, description = "With Access-Control-Allow-Origin for an allowed Origin"),
        (status = 401, description = "Missing, unknown or inactive key", body = protocol::ErrorBody),
        (status = 403, description = "Origin not allowed", body = protocol::ErrorBody),
        (status = 429, description = "Rate limited", body = protocol::ErrorBody)))]
pub async fn config_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<KeyQuery>,
) -> Result<Response, ApiError> {
    let api_key = query.with_header(&headers).api_key.unwrap_or_default();
    let origin = origin(&headers);
    let accept_language = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let config = widget_settings::public_config(&state, &api_key, origin, accept_language).await?;
    let mut res = Json(config).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(with_cors(res, origin.unwrap_or_default()))
}

/// CORS preflight: allowed only for an origin the key's website allows.
async fn preflight(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<KeyQuery>,
) -> Result<Response, ApiError> {
    let origin = origin(&headers);
    widget_settings::public_config(&state, &query.api_key.unwrap_or_default(), origin, None).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type, authorization, x-api-key"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    Ok(with_cors(res, origin.unwrap_or_default()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest {
    #[serde(default)]
    visitor_token: Option<String>,
    /// The website's signed token for its signed-in customer (`Helpdesk.identify`): HS256 with the website's
    /// identity secret, `aud` the website's id, `sub` the customer's id, optional `name` and `email`, `exp` at most
    /// 24 hours away.
    #[serde(default)]
    identity_token: Option<String>,
}

/// Starts or continues a visitor: answers `{visitorId, websiteId, visitorToken}` for the socket. The key is in the
/// query, like the config's, so the CORS preflight can check it.
#[utoipa::path(post, path = "/api/widget/session", tag = "widget", params(("apiKey" = String, Query, description = "The website's API key (or the `x-api-key` header)")), request_body = SessionRequest,
    responses((status = 200, description = "`{visitorId, websiteId, visitorToken}`: the visitor token for the socket"),
        (status = 401, description = "A wrong key, or an identity token refused (or missing where the website requires one): `invalid_identity` says why", body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody), (status = 429, body = protocol::ErrorBody)))]
pub async fn session_handler(
    State(state): State<AppState>,
    Query(query): Query<KeyQuery>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    crate::error::ApiJson(body): crate::error::ApiJson<SessionRequest>,
) -> Result<Response, ApiError> {
    let cors_origin = origin(&headers).unwrap_or_default().to_string();
    let query = query.with_header(&headers);
    let key = KeyQuery { api_key: query.api_key.clone() };
    let tokens = (body.visitor_token.as_deref(), body.identity_token.as_deref());
    let res = match start_visitor(&state, query, peer, &headers, tokens).await {
        Ok((_, session)) => Json(session).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    };
    // A refused identity token is the website developer's to fix: the page can read why (for an allowed origin).
    Ok(cors_if_allowed(&state, &key, res, &cors_origin).await)
}

async fn start_visitor(
    state: &AppState,
    query: KeyQuery,
    peer: std::net::SocketAddr,
    headers: &HeaderMap,
    (visitor_token, identity_token): (Option<&str>, Option<&str>),
) -> Result<(VisitorCtx, visitors::VisitorSession), AppError> {
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    visitors::start(
        state,
        &query.api_key.unwrap_or_default(),
        origin(headers),
        visitors::Tokens { visitor: visitor_token, identity: identity_token },
        Some(peer.ip()),
        user_agent,
        state.country_header().and_then(|h| headers.get(h)).and_then(|v| v.to_str().ok()),
    )
    .await
}

/// What `/offline` answers: the session (possibly new) and the offline chat.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OfflineAnswer {
    #[serde(flatten)]
    session: visitors::VisitorSession,
    chat_id: String,
}

/// The offline form: keeps name and email on the visitor and opens an `offline` chat with the message.
#[utoipa::path(post, path = "/api/widget/offline", tag = "widget", params(("apiKey" = String, Query, description = "The website's API key (or the `x-api-key` header)")), request_body = protocol::OfflineMessage,
    responses((status = 201, description = "`{visitorId, websiteId, visitorToken, chatId}`: the visitor and their offline chat"),
        (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody),
        (status = 429, body = protocol::ErrorBody)))]
pub async fn offline_handler(
    State(state): State<AppState>,
    Query(query): Query<KeyQuery>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    crate::error::ApiJson(form): crate::error::ApiJson<protocol::OfflineMessage>,
) -> Result<Response, ApiError> {
    let cors_origin = origin(&headers).unwrap_or_default().to_string();
    let query = query.with_header(&headers);
    let key = KeyQuery { api_key: query.api_key.clone() };
    let result = async {
        let (ctx, session) = start_visitor(
            &state,
            query,
            peer,
            &headers,
            (form.visitor_token.as_deref(), form.identity_token.as_deref()),
        )
        .await?;
        let chat_id = visitors::leave_offline(&ctx, &state, &form).await?;
        Ok::<_, AppError>((StatusCode::CREATED, Json(OfflineAnswer { session, chat_id })).into_response())
    }
    .await;
    // Field errors carry CORS too (for an allowed origin), so the form can show them.
    let res = result.unwrap_or_else(|e| ApiError::from(e).into_response());
    Ok(cors_if_allowed(&state, &key, res, &cors_origin).await)
}

/// The visitor asks for their chat's transcript by email (Bearer visitor token); the address is kept on them.
#[utoipa::path(post, path = "/api/widget/transcript", tag = "widget", params(("apiKey" = String, Query, description = "The website's API key (or the `x-api-key` header)")),
    request_body = protocol::VisitorTranscriptRequest,
    responses((status = 202, description = "Queued"), (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody),
        (status = 422, body = protocol::ErrorBody), (status = 429, body = protocol::ErrorBody)),
    security(("bearer" = [])))]
pub async fn transcript_handler(
    State(state): State<AppState>,
    Query(query): Query<KeyQuery>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    crate::error::ApiJson(body): crate::error::ApiJson<protocol::VisitorTranscriptRequest>,
) -> Result<Response, ApiError> {
    let cors_origin = origin(&headers).unwrap_or_default().to_string();
    let query = query.with_header(&headers);
    let result = async {
        let v = visitor(&state, &query, &headers, peer).await?;
        domain::services::emails::visitor_transcript(&v, &state, &body.chat_id, &body.email).await?;
        Ok::<_, AppError>(StatusCode::ACCEPTED.into_response())
    }
    .await;
    // Errors carry CORS too (for an allowed origin), so the widget can show them.
    let res = result.unwrap_or_else(|e| ApiError::from(e).into_response());
    Ok(cors_if_allowed(&state, &query, res, &cors_origin).await)
}

/// The pre-chat form's answers (Bearer visitor token), checked against the website's form: name and email land on
/// the visitor, a ticked consent box is kept with the website's words.
#[utoipa::path(post, path = "/api/widget/prechat", tag = "widget", params(("apiKey" = String, Query, description = "The website's API key (or the `x-api-key` header)")),
    request_body = protocol::PrechatAnswers,
    responses((status = 200, body = protocol::VisitorContact, description = "The visitor's name and email now"),
        (status = 401, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody), (status = 429, body = protocol::ErrorBody)),
    security(("bearer" = [])))]
pub async fn prechat_handler(
    State(state): State<AppState>,
    Query(query): Query<KeyQuery>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    crate::error::ApiJson(body): crate::error::ApiJson<protocol::PrechatAnswers>,
) -> Result<Response, ApiError> {
    let cors_origin = origin(&headers).unwrap_or_default().to_string();
    let query = query.with_header(&headers);
    let result = async {
        let v = visitor(&state, &query, &headers, peer).await?;
        let contact = visitors::answer_prechat(&v, &state, &body).await?;
        Ok::<_, AppError>(Json(contact).into_response())
    }
    .await;
    // Field errors carry CORS too (for an allowed origin), so the form can show them.
    let res = result.unwrap_or_else(|e| ApiError::from(e).into_response());
    Ok(cors_if_allowed(&state, &query, res, &cors_origin).await)
}

/// The visitor rates one of their chats once it has ended (Bearer visitor token): 1–5 and an optional comment;
/// rating again replaces it.
#[utoipa::path(post, path = "/api/widget/rating", tag = "widget", params(("apiKey" = String, Query, description = "The website's API key (or the `x-api-key` header)")),
    request_body = protocol::ChatRatingForCreate,
    responses((status = 200, body = protocol::ChatRating), (status = 401, body = protocol::ErrorBody),
        (status = 404, body = protocol::ErrorBody, description = "Not one of this visitor's chats"),
        (status = 422, body = protocol::ErrorBody, description = "A score outside 1–5, a comment too long, or a chat still going on"),
        (status = 429, body = protocol::ErrorBody)),
    security(("bearer" = [])))]
pub async fn rating_handler(
    State(state): State<AppState>,
    Query(query): Query<KeyQuery>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    crate::error::ApiJson(body): crate::error::ApiJson<protocol::ChatRatingForCreate>,
) -> Result<Response, ApiError> {
    let cors_origin = origin(&headers).unwrap_or_default().to_string();
    let query = query.with_header(&headers);
    let result = async {
        let v = visitor(&state, &query, &headers, peer).await?;
        let rating = domain::services::ratings::rate(&v, &state, &body).await?;
        Ok::<_, AppError>(Json(rating).into_response())
    }
    .await;
    // Errors carry CORS too (for an allowed origin), so the widget can show them.
    let res = result.unwrap_or_else(|e| ApiError::from(e).into_response());
    Ok(cors_if_allowed(&state, &query, res, &cors_origin).await)
}

/// The visitor behind `Authorization: Bearer <visitor token>`, on a page the website allows.
async fn visitor(
    state: &AppState,
    query: &KeyQuery,
    headers: &HeaderMap,
    peer: std::net::SocketAddr,
) -> Result<VisitorCtx, AppError> {
    let token = domain::services::auth::bearer_token(headers).ok_or(AppError::Unauthorized)?;
    let api_key = query.api_key.as_deref().unwrap_or_default();
    visitors::authenticate(state, api_key, origin(headers), &token, Some(peer.ip())).await
}

/// A visitor's file or image, into their open chat (or `chatId`, one of theirs).
#[utoipa::path(post, path = "/api/widget/attachments", tag = "widget", params(("apiKey" = String, Query, description = "The website's API key (or the `x-api-key` header)")),
    request_body(content_type = "multipart/form-data", description = "`file`, and optionally `clientMsgId` and `chatId`"),
    responses((status = 201, body = protocol::ChatMessage), (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody),
        (status = 413, body = protocol::ErrorBody), (status = 415, body = protocol::ErrorBody), (status = 429, body = protocol::ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_handler(
    State(state): State<AppState>,
    Query(query): Query<KeyQuery>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let cors_origin = origin(&headers).unwrap_or_default().to_string();
    let query = query.with_header(&headers);
    let result = async {
        let v = visitor(&state, &query, &headers, peer).await?;
        let form = super::attachments::read_form(&state, multipart).await?;
        let message = attachments::upload(Principal::Visitor(&v), &state, form.chat_id.as_deref(), form.upload).await?;
        Ok::<_, ApiError>((StatusCode::CREATED, Json(message)).into_response())
    }
    .await;
    // Errors carry CORS too (for an allowed origin), so the widget can show why an upload failed.
    let res = result.unwrap_or_else(IntoResponse::into_response);
    Ok(cors_if_allowed(&state, &query, res, &cors_origin).await)
}

async fn cors_if_allowed(state: &AppState, query: &KeyQuery, res: Response, origin: &str) -> Response {
    let allowed =
        widget_settings::public_config(state, query.api_key.as_deref().unwrap_or_default(), Some(origin), None)
            .await
            .is_ok();
    if allowed {
        with_cors(res, origin)
    } else {
        res
    }
}

async fn visitor_download(
    state: AppState,
    query: KeyQuery,
    headers: HeaderMap,
    peer: std::net::SocketAddr,
    id: String,
    thumbnail: bool,
) -> Result<Response, ApiError> {
    let query = query.with_header(&headers);
    let v = visitor(&state, &query, &headers, peer).await?;
    let download = attachments::download(Principal::Visitor(&v), &state, &id, thumbnail).await?;
    Ok(with_cors(super::attachments::file_response(download), origin(&headers).unwrap_or_default()))
}

/// A file of one of the visitor's chats (Bearer visitor token).
#[utoipa::path(get, path = "/api/widget/attachments/{id}", tag = "widget", params(("id" = String, Path), ("apiKey" = String, Query, description = "The website's API key (or the `x-api-key` header)")),
    responses((status = 200, description = "The file, as a download"), (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)),
    security(("bearer" = [])))]
pub async fn download_handler(
    State(state): State<AppState>,
    Query(query): Query<KeyQuery>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    visitor_download(state, query, headers, peer, id, false).await
}

#[utoipa::path(get, path = "/api/widget/attachments/{id}/thumbnail", tag = "widget", params(("id" = String, Path), ("apiKey" = String, Query, description = "The website's API key (or the `x-api-key` header)")),
    responses((status = 200, description = "The image's thumbnail"), (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)),
    security(("bearer" = [])))]
pub async fn thumbnail_handler(
    State(state): State<AppState>,
    Query(query): Query<KeyQuery>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    visitor_download(state, query, headers, peer, id, true).await
}
