//! Availability: each dashboard user's own online / away / offline and their idle time before the dashboard sets
//! them away. Only the user changes it, for themselves. The agents of their websites hear each change; the widget
//! counts a website as staffed only while one of its agents has the dashboard open *and* is online.

use std::collections::HashMap;

use protocol::{AgentAvailability, AppError, Availability, AvailabilityForUpdate, ServerEvent, MAX_AWAY_AFTER_MINUTES};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QuerySelect, Set};

use crate::ctx::Ctx;
use crate::entities::agent_settings;
use crate::events::{self, Audience};
use crate::services::websites;
use crate::AppState;

/// Idle minutes before away, for users who never set theirs.
pub const DEFAULT_AWAY_AFTER_MINUTES: u16 = 10;

fn to_view(row: Option<agent_settings::Model>) -> AgentAvailability {
    match row {
        Some(r) => AgentAvailability {
            status: r.availability,
            auto: r.auto_away,
            away_after_minutes: u16::try_from(r.away_after_minutes).unwrap_or(DEFAULT_AWAY_AFTER_MINUTES),
        },
        None => AgentAvailability {
            status: Availability::Online,
            auto: false,
            away_after_minutes: DEFAULT_AWAY_AFTER_MINUTES,
        },
    }
}

/// The caller's availability.
pub async fn get(ctx: &Ctx, state: &AppState) -> Result<AgentAvailability, AppError> {
    Ok(to_view(agent_settings::Entity::find_by_id(ctx.user_id()).one(&state.db).await?))
}

/// Changes the caller's availability or idle time. A new status is announced to the agents of the caller's
/// websites (their dashboards show it beside the caller's name).
pub async fn update(ctx: &Ctx, state: &AppState, input: AvailabilityForUpdate) -> Result<AgentAvailability, AppError> {
    if input.away_after_minutes.is_some_and(|m| m > MAX_AWAY_AFTER_MINUTES) {
        return Err(AppError::validation(
            "awayAfterMinutes",
            format!("Use 0 (never) to {MAX_AWAY_AFTER_MINUTES} minutes."),
        ));
    }
    if input.auto && input.status.is_none() {
        return Err(AppError::validation("auto", "Send auto with a status."));
    }
    let before = get(ctx, state).await?;
    let after = AgentAvailability {
        status: input.status.unwrap_or(before.status),
        auto: match input.status {
            Some(_) => input.auto,
            None => before.auto,
        },
        away_after_minutes: input.away_after_minutes.unwrap_or(before.away_after_minutes),
    };
    if after == before {
        return Ok(after);
    }
    let row = agent_settings::ActiveModel {
        user_id: Set(ctx.user_id().to_string()),
        availability: Set(after.status),
        auto_away: Set(after.auto),
        away_after_minutes: Set(i32::from(after.away_after_minutes)),
        notify_sound: NotSet,
        notify_desktop: NotSet,
        notify_repeat_seconds: NotSet,
        updated_at: Set(crate::services::now_millis()),
    };
    agent_settings::Entity::insert(row)
        .on_conflict(
            OnConflict::column(agent_settings::Column::UserId)
                .update_columns([
                    agent_settings::Column::Availability,
                    agent_settings::Column::AutoAway,
                    agent_settings::Column::AwayAfterMinutes,
                    agent_settings::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
    if after.status != before.status {
        let works_on = websites::worked_on(ctx, &state.db).await?;
        if after.status == Availability::Online {
            for website_id in &works_on {
                crate::services::routing::dispatch_soon(state, website_id);
            }
        }
        for website_id in works_on {
            let event = ServerEvent::AgentStatus {
                website_id: website_id.clone(),
                user_id: ctx.user_id().to_string(),
                status: after.status,
            };
            events::publish(&state.hub, Audience::Agents { website_id: &website_id }, &event, None);
        }
    }
    Ok(after)
}

/// Of the agents connected to the dashboard (`AppState::agents_online`), those who can answer now: who chose online.
pub(crate) async fn answering(db: &impl ConnectionTrait, connected: Vec<String>) -> Result<Vec<String>, AppError> {
    let statuses = statuses(db, &connected).await?;
    Ok(connected.into_iter().filter(|id| statuses.get(id) == Some(&Availability::Online)).collect())
}

/// One user's status (online when they never chose one).
pub(crate) async fn status_of(db: &impl ConnectionTrait, user_id: &str) -> Result<Availability, AppError> {
    Ok(agent_settings::Entity::find_by_id(user_id)
        .select_only()
        .column(agent_settings::Column::Availability)
        .into_tuple::<Availability>()
        .one(db)
        .await?
        .unwrap_or(Availability::Online))
}

/// The status of each of these users (online for those who never chose one).
pub(crate) async fn statuses(
    db: &impl ConnectionTrait,
    user_ids: &[String],
) -> Result<HashMap<String, Availability>, AppError> {
    let mut all: HashMap<String, Availability> = user_ids.iter().map(|id| (id.clone(), Availability::Online)).collect();
    if user_ids.is_empty() {
        return Ok(all);
    }
    let chosen = agent_settings::Entity::find()
        .select_only()
        .columns([agent_settings::Column::UserId, agent_settings::Column::Availability])
        .filter(agent_settings::Column::UserId.is_in(user_ids.iter().map(String::as_str)))
        .into_tuple::<(String, Availability)>()
        .all(db)
        .await?;
    all.extend(chosen);
    Ok(all)
}
