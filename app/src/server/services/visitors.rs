//! Visitors: a widget session starts here. The API key and Origin are checked like the widget config; a valid
//! visitor token of the same website continues the visitor, anything else starts a new one.

use std::net::IpAddr;

use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::server::ctx::VisitorCtx;
use crate::server::entities::visitors;
use crate::server::services::widget_settings::public_config;
use crate::server::AppState;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitorSession {
    pub visitor_id: String,
    pub website_id: String,
    pub visitor_token: String,
}

/// Starts or continues a visitor session for the website of `api_key`, seen from `origin`.
pub async fn start(
    state: &AppState,
    api_key: &str,
    origin: Option<&str>,
    token: Option<&str>,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
    country: Option<&str>,
) -> Result<(VisitorCtx, VisitorSession), AppError> {
    // Only a two-letter code from the configured proxy header is kept.
    let country = country
        .map(str::trim)
        .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase);
    let config = public_config(state, api_key, origin).await?;
    let website_id = config.website_id;
    let now = chrono::Utc::now().naive_utc();
    let known = match token.map(|t| state.auth.decode_visitor(t)) {
        Some(Ok((visitor_id, wid))) if wid == website_id => {
            visitors::Entity::find_by_id(visitor_id)
                .filter(visitors::Column::WebsiteId.eq(website_id.as_str()))
                .one(&state.db)
                .await?
        }
        _ => None,
    };
    let visitor = match known {
        Some(v) => {
            let mut active: visitors::ActiveModel = v.into();
            active.last_seen = Set(now);
            active.ip_address = Set(ip.map(|ip| ip.to_string()));
            if country.is_some() {
                active.country = Set(country.clone());
            }
            active.update(&state.db).await?
        }
        None => {
            let mut session = [0u8; 24];
            rand::rng().fill_bytes(&mut session);
            visitors::ActiveModel {
                id: Set(uuid::Uuid::new_v4().to_string()),
                website_id: Set(website_id.clone()),
                session_id: Set(session.iter().map(|b| format!("{b:02x}")).collect()),
                ip_address: Set(ip.map(|ip| ip.to_string())),
                user_agent: Set(user_agent.map(|ua| ua.chars().take(512).collect())),
                country: Set(country.clone()),
                last_seen: Set(now),
                created_at: Set(now),
            }
            .insert(&state.db)
            .await?
        }
    };
    let visitor_token = state.auth.issue_visitor(&visitor.id, &website_id)?;
    let ctx = VisitorCtx { visitor_id: visitor.id.clone(), website_id: website_id.clone(), ip };
    Ok((ctx, VisitorSession { visitor_id: visitor.id, website_id, visitor_token }))
}

/// A visitor from a token, for a website reached with `api_key` from `origin`.
pub async fn authenticate(
    state: &AppState,
    api_key: &str,
    origin: Option<&str>,
    token: &str,
    ip: Option<IpAddr>,
) -> Result<VisitorCtx, AppError> {
    let config = public_config(state, api_key, origin).await?;
    let (visitor_id, website_id) = state.auth.decode_visitor(token)?;
    if website_id != config.website_id {
        return Err(AppError::Unauthorized);
    }
    visitors::Entity::find_by_id(visitor_id.clone())
        .filter(visitors::Column::WebsiteId.eq(website_id.as_str()))
        .one(&state.db)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(VisitorCtx { visitor_id, website_id, ip })
}

pub const MAX_URL: usize = 2048;
pub const MAX_TITLE: usize = 300;

/// Records a page the visitor is on (kept as their trail) and returns it cleaned up.
pub async fn record_page(
    v: &VisitorCtx,
    state: &AppState,
    url: &str,
    title: Option<&str>,
) -> Result<(String, Option<String>), AppError> {
    use crate::server::entities::visitor_pages;
    let url: String = url.trim().chars().take(MAX_URL).collect();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(AppError::validation("url", "Report the page as an http(s) URL."));
    }
    let title: Option<String> =
        title.map(|t| t.trim().chars().take(MAX_TITLE).collect()).filter(|t: &String| !t.is_empty());
    let now = chrono::Utc::now().naive_utc();
    visitor_pages::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        visitor_id: Set(v.visitor_id.clone()),
        url: Set(url.clone()),
        title: Set(title.clone()),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    visitors::Entity::update_many()
        .col_expr(visitors::Column::LastSeen, sea_orm::sea_query::Expr::value(now))
        .filter(visitors::Column::Id.eq(v.visitor_id.as_str()))
        .exec(&state.db)
        .await?;
    Ok((url, title))
}
