//! Each dashboard user's own notification settings: a chime, a browser notification, and how often to repeat them
//! while a chat waits for the user. Only the user reads and changes them; the dashboard does the alerting (the
//! browser decides what it may play or show). Kept in the user's `agent_settings` row, beside their availability.

use protocol::{AppError, NotificationSettings, NotificationSettingsForUpdate, MAX_REPEAT_SECONDS, MIN_REPEAT_SECONDS};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use crate::ctx::Ctx;
use crate::entities::agent_settings;
use crate::services::availability::DEFAULT_AWAY_AFTER_MINUTES;
use crate::AppState;

fn to_view(row: &agent_settings::Model) -> NotificationSettings {
    NotificationSettings {
        sound: row.notify_sound,
        desktop: row.notify_desktop,
        repeat_seconds: u16::try_from(row.notify_repeat_seconds).unwrap_or(0),
    }
}

/// The caller's settings (the defaults until they change one).
pub async fn get(ctx: &Ctx, state: &AppState) -> Result<NotificationSettings, AppError> {
    let row = agent_settings::Entity::find_by_id(ctx.user_id()).one(&state.db).await?;
    Ok(row.as_ref().map(to_view).unwrap_or_default())
}

/// Changes the caller's settings.
pub async fn update(
    ctx: &Ctx,
    state: &AppState,
    input: NotificationSettingsForUpdate,
) -> Result<NotificationSettings, AppError> {
    if input.repeat_seconds.is_some_and(|s| s != 0 && !(MIN_REPEAT_SECONDS..=MAX_REPEAT_SECONDS).contains(&s)) {
        return Err(AppError::validation(
            "repeatSeconds",
            format!("Use 0 (alert once) or {MIN_REPEAT_SECONDS} to {MAX_REPEAT_SECONDS} seconds."),
        ));
    }
    let before = get(ctx, state).await?;
    let after = NotificationSettings {
        sound: input.sound.unwrap_or(before.sound),
        desktop: input.desktop.unwrap_or(before.desktop),
        repeat_seconds: input.repeat_seconds.unwrap_or(before.repeat_seconds),
    };
    if after == before {
        return Ok(after);
    }
    // A user without a row yet gets one with the default availability; an existing row keeps theirs.
    let row = agent_settings::ActiveModel {
        user_id: Set(ctx.user_id().to_string()),
        availability: Set(protocol::Availability::Online),
        auto_away: Set(false),
        away_after_minutes: Set(i32::from(DEFAULT_AWAY_AFTER_MINUTES)),
        notify_sound: Set(after.sound),
        notify_desktop: Set(after.desktop),
        notify_repeat_seconds: Set(i32::from(after.repeat_seconds)),
        updated_at: Set(crate::services::now_millis()),
    };
    agent_settings::Entity::insert(row)
        .on_conflict(
            OnConflict::column(agent_settings::Column::UserId)
                .update_columns([
                    agent_settings::Column::NotifySound,
                    agent_settings::Column::NotifyDesktop,
                    agent_settings::Column::NotifyRepeatSeconds,
                    agent_settings::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
    Ok(after)
}
