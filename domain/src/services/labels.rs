//! Labels: each website's own (a name and a colour), defined by whoever manages the website and put on its chats by
//! everyone who works on it. A label of a website the caller cannot see answers 404; one they may use but not
//! manage, 403 on change. A chat only carries labels of its own website.

use std::collections::HashSet;

use protocol::{AppError, ChatLabelsUpdate, ChatSummary, Label, LabelForCreate, LabelForUpdate};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::ctx::{Ctx, Principal};
use crate::entities::{chat_labels, labels};
use crate::services::activity::{self, Activity};
use crate::services::chats::{find_for, summary};
use crate::services::websites::{find_manageable, find_visible, visible as visible_websites};
use crate::{events, AppState};

pub const MAX_NAME_LEN: usize = 50;
/// Labels one website may have.
pub const MAX_PER_WEBSITE: u64 = 100;

fn to_view(row: &labels::Model) -> Label {
    Label { id: row.id.clone(), website_id: row.website_id.clone(), name: row.name.clone(), color: row.color.clone() }
}

fn clean_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(AppError::validation("name", format!("Use 1 to {MAX_NAME_LEN} characters.")));
    }
    Ok(name.to_string())
}

/// `#rrggbb`, in lower case.
fn clean_color(color: &str) -> Result<String, AppError> {
    let c = color.trim().to_ascii_lowercase();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if !ok {
        return Err(AppError::validation("color", "Use a colour like #2563eb."));
    }
    Ok(c)
}

fn taken(e: sea_orm::DbErr) -> AppError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("name", "This website has a label with this name already.")
        }
        _ => AppError::from(e),
    }
}

/// The labels of the websites `ctx` sees (of `website_id` only, when given), by website and name.
pub async fn list(ctx: &Ctx, state: &AppState, website_id: Option<&str>) -> Result<Vec<Label>, AppError> {
    let ids: Vec<String> = match website_id.filter(|w| !w.is_empty()) {
        Some(id) => vec![find_visible(ctx, &state.db, id).await?.id],
        None => visible_websites(ctx).all(&state.db).await?.into_iter().map(|w| w.id).collect(),
    };
    let rows = labels::Entity::find()
        .filter(labels::Column::WebsiteId.is_in(ids))
        .order_by_asc(labels::Column::WebsiteId)
        .order_by_asc(labels::Column::NameKey)
        .all(&state.db)
        .await?;
    Ok(rows.iter().map(to_view).collect())
}

pub async fn create(ctx: &Ctx, state: &AppState, input: LabelForCreate) -> Result<Label, AppError> {
    let website = find_manageable(ctx, &state.db, &input.website_id).await?;
    let name = clean_name(&input.name)?;
    let color = clean_color(&input.color)?;
    let existing = labels::Entity::find().filter(labels::Column::WebsiteId.eq(website.id.as_str())).count(&state.db);
    if existing.await? >= MAX_PER_WEBSITE {
        return Err(AppError::validation("name", format!("A website has at most {MAX_PER_WEBSITE} labels.")));
    }
    let row = labels::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        website_id: Set(website.id.clone()),
        name_key: Set(name.to_lowercase()),
        name: Set(name),
        color: Set(color),
        created_at: Set(super::now_millis()),
    }
    .insert(&state.db)
    .await
    .map_err(taken)?;
    record(ctx, state, "label.create", &row).await?;
    Ok(to_view(&row))
}

/// A label `ctx` may change: 404 if they cannot see its website, 403 if they only work on it.
async fn find_manageable_label(ctx: &Ctx, state: &AppState, id: &str) -> Result<labels::Model, AppError> {
    let not_found = || AppError::not_found("Label");
    let row = labels::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(not_found)?;
    find_manageable(ctx, &state.db, &row.website_id).await.map_err(|e| match e {
        AppError::NotFound(_) => not_found(),
        e => e,
    })?;
    Ok(row)
}

pub async fn update(ctx: &Ctx, state: &AppState, id: &str, input: LabelForUpdate) -> Result<Label, AppError> {
    let row = find_manageable_label(ctx, state, id).await?;
    let mut active: labels::ActiveModel = row.into();
    if let Some(name) = &input.name {
        let name = clean_name(name)?;
        active.name_key = Set(name.to_lowercase());
        active.name = Set(name);
    }
    if let Some(color) = &input.color {
        active.color = Set(clean_color(color)?);
    }
    let row = active.update(&state.db).await.map_err(taken)?;
    record(ctx, state, "label.update", &row).await?;
    Ok(to_view(&row))
}

/// Deletes the label and takes it off every chat (the foreign key does).
pub async fn delete(ctx: &Ctx, state: &AppState, id: &str) -> Result<(), AppError> {
    let row = find_manageable_label(ctx, state, id).await?;
    labels::Entity::delete_by_id(row.id.clone()).exec(&state.db).await?;
    record(ctx, state, "label.delete", &row).await
}

async fn record(ctx: &Ctx, state: &AppState, action: &'static str, row: &labels::Model) -> Result<(), AppError> {
    activity::record(
        ctx,
        &state.db,
        Activity {
            action,
            resource_type: "label",
            resource_id: Some(&row.id),
            website_id: Some(&row.website_id),
            metadata: Some(json!({ "name": row.name, "color": row.color })),
        },
    )
    .await
}

/// Adds and removes labels on a chat the agent may see; every label must be one of the chat's website (else 422,
/// naming it). The chat's new summary goes to the website's agents.
pub async fn set_on_chat(
    ctx: &Ctx,
    state: &AppState,
    chat_id: &str,
    change: ChatLabelsUpdate,
) -> Result<ChatSummary, AppError> {
    let chat = find_for(Principal::Agent(ctx), &state.db, chat_id).await?;
    if change.add.len() + change.remove.len() > MAX_PER_WEBSITE as usize {
        return Err(AppError::validation("add", "Too many labels at once."));
    }
    let wanted: HashSet<&str> = change.add.iter().chain(&change.remove).map(String::as_str).collect();
    let known: HashSet<String> = labels::Entity::find()
        .filter(labels::Column::WebsiteId.eq(chat.website_id.as_str()))
        .filter(labels::Column::Id.is_in(wanted.iter().copied()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    if let Some(unknown) = wanted.iter().find(|id| !known.contains(**id)) {
        let field = if change.add.iter().any(|a| a == unknown) { "add" } else { "remove" };
        return Err(AppError::validation(field, format!("No label {unknown} on this chat's website.")));
    }
    let now = super::now_millis();
    let adding: Vec<chat_labels::ActiveModel> = change
        .add
        .iter()
        .filter(|id| !change.remove.contains(id))
        .map(|id| chat_labels::ActiveModel {
            chat_id: Set(chat.id.clone()),
            label_id: Set(id.clone()),
            created_at: Set(now),
        })
        .collect();
    if !adding.is_empty() {
        // Adding a label the chat has already is no error (two agents at once, or a retry).
        let keys = [chat_labels::Column::ChatId, chat_labels::Column::LabelId];
        let inserted = chat_labels::Entity::insert_many(adding)
            .on_conflict(OnConflict::columns(keys).do_nothing_on(keys).to_owned())
            .exec_without_returning(&state.db)
            .await;
        match inserted {
            Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if !change.remove.is_empty() {
        chat_labels::Entity::delete_many()
            .filter(chat_labels::Column::ChatId.eq(chat.id.as_str()))
            .filter(chat_labels::Column::LabelId.is_in(change.remove.iter().map(String::as_str)))
            .exec(&state.db)
            .await?;
    }
    let summary = summary(&state.db, &chat).await?;
    events::chat_changed_for_agents(&state.hub, &summary);
    Ok(summary)
}
