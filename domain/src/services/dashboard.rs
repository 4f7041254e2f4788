//! The live dashboard's first view of the websites the viewer sees: open chats (oldest first), visitors on the
//! websites now with their page, agents online, and today's figures against yesterday's. After it the dashboard
//! follows the socket; only today's figures are read again (one indexed query) when a chat changes.

use protocol::{AppError, ChatStatus, DashboardSnapshot, OnlineAgent, OnlineVisitor, DASHBOARD_OPEN_CHATS};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::ctx::Ctx;
use crate::entities::{chats, users, websites};
use crate::services::analytics;
use crate::services::websites::visible;
use crate::AppState;

fn time(t: chrono::NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub async fn snapshot(ctx: &Ctx, state: &AppState, tz: Option<&str>) -> Result<DashboardSnapshot, AppError> {
    let db = &state.db;
    let sites: Vec<(String, String)> = visible(ctx)
        .select_only()
        .columns([websites::Column::Id, websites::Column::Name])
        .order_by_asc(websites::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<String> = sites.iter().map(|(id, _)| id.clone()).collect();
    let open = match ids.is_empty() {
        true => Vec::new(),
        false => {
            chats::Entity::find()
                .filter(chats::Column::WebsiteId.is_in(ids.iter().map(String::as_str)))
                .filter(chats::Column::Status.is_in([ChatStatus::Waiting, ChatStatus::Ongoing]))
                .order_by_asc(chats::Column::StartedAt)
                .limit(DASHBOARD_OPEN_CHATS)
                .all(db)
                .await?
        }
    };
    let open_chats = crate::services::chats::summaries(db, &open).await?;
    let visitors = state
        .visitors_online(&ids)
        .await
        .into_iter()
        .map(|v| OnlineVisitor {
            website_id: v.website_id,
            visitor_id: v.visitor_id,
            url: v.url,
            title: v.title,
            since: time(v.since),
        })
        .collect();
    let agent_ids = state.agents_online(&ids).await;
    let statuses = crate::services::availability::statuses(db, &agent_ids).await?;
    let agents = match agent_ids.is_empty() {
        true => Vec::new(),
        false => users::Entity::find()
            .select_only()
            .columns([users::Column::Id, users::Column::Name])
            .filter(users::Column::Id.is_in(agent_ids.iter().map(String::as_str)))
            .order_by_asc(users::Column::Name)
            .into_tuple::<(String, String)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(user_id, name)| {
                let status = statuses.get(&user_id).copied().unwrap_or(protocol::Availability::Online);
                OnlineAgent { user_id, name, status }
            })
            .collect(),
    };
    let figures = analytics::today(ctx, state, tz).await?;
    Ok(DashboardSnapshot { websites: sites, open_chats, visitors, agents, figures })
}
