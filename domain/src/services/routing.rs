//! Routing on websites set to `auto`: each waiting, unassigned chat goes, oldest first, to an agent of the website
//! who is there (dashboard open, online) and holds fewer open chats than the website's capacity, taking turns (the
//! agent assigned longest ago first). Chats nobody has room for wait in the queue, and each visitor is told their
//! place. A chat whose agent has been gone (no dashboard open, or offline) for the grace period goes back to the
//! queue. The queue moves when a chat opens, ends or is released, when an agent comes online, when the website's
//! settings change, and on a sweep every few seconds that catches the rest (a node that went away, a missed event).
//!
//! A node assigns one chat at a time; an assignment only takes a chat that is still waiting and unassigned, so two
//! nodes never give one chat to two agents (at worst, an agent on a busy cluster goes one chat over capacity).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use protocol::{AppError, Availability, ChatStatus, Routing, ServerEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::ctx::Ctx;
use crate::entities::{chats, users, websites};
use crate::events::{self, Audience};
use crate::AppState;

/// How often the queue is looked at without a reason.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// Most waiting chats of one website looked at in one turn (the rest are told their place on a later one).
const MAX_QUEUE: u64 = 1000;

/// The routing's own state on this node.
pub struct Router {
    /// One website's turn at a time.
    turn: tokio::sync::Mutex<()>,
    /// When each agent was last given a chat here: the longest ago goes first.
    last_given: Mutex<HashMap<String, Instant>>,
    /// Agents holding chats on auto websites who are gone, since when (seen by the sweep).
    gone_since: Mutex<HashMap<String, Instant>>,
    /// How long an agent may be gone before their chats go back to the queue.
    pub grace: Duration,
}

impl Router {
    pub fn new(grace: Duration) -> Self {
        Router { turn: tokio::sync::Mutex::new(()), last_given: Mutex::default(), gone_since: Mutex::default(), grace }
    }
}

/// Moves the website's queue in the background (the caller does not wait for it).
pub fn dispatch_soon(state: &AppState, website_id: &str) {
    let (state, website_id) = (state.clone(), website_id.to_string());
    tokio::spawn(async move {
        if let Err(e) = dispatch(&state, &website_id).await {
            tracing::warn!(website_id, error = %e, "routing could not move the queue");
        }
    });
}

/// Sweeps every [`SWEEP_EVERY`]: returns chats of agents gone longer than the grace period to the queue, and moves
/// every auto website's queue.
pub fn sweep_in_background(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sweep(&state).await {
                tracing::warn!(error = %e, "routing sweep failed");
            }
        }
    });
}

async fn sweep(state: &AppState) -> Result<(), AppError> {
    let auto: Vec<String> = websites::Entity::find()
        .select_only()
        .column(websites::Column::Id)
        .filter(websites::Column::Routing.eq(Routing::Auto))
        .filter(websites::Column::IsActive.eq(true))
        .into_tuple()
        .all(&state.db)
        .await?;
    if auto.is_empty() {
        return Ok(());
    }
    // Who holds ongoing chats there, and whether they are still there.
    let holders: Vec<String> = chats::Entity::find()
        .select_only()
        .column(chats::Column::AssignedTo)
        .distinct()
        .filter(chats::Column::WebsiteId.is_in(auto.iter().map(String::as_str)))
        .filter(chats::Column::Status.eq(ChatStatus::Ongoing))
        .filter(chats::Column::AssignedTo.is_not_null())
        .into_tuple::<Option<String>>()
        .all(&state.db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let there = present(state, &auto, &holders).await?;
    let now = Instant::now();
    let overdue: Vec<String> = {
        let Ok(mut gone) = state.router.gone_since.lock() else { return Ok(()) };
        gone.retain(|id, _| holders.contains(id) && !there.contains_key(id));
        for id in holders.iter().filter(|id| !there.contains_key(*id)) {
            gone.entry(id.clone()).or_insert(now);
        }
        gone.iter()
            .filter(|(_, since)| now.duration_since(**since) >= state.router.grace)
            .map(|(id, _)| id.clone())
            .collect()
    };
    for agent in overdue {
        release(state, &auto, &agent).await?;
        if let Ok(mut gone) = state.router.gone_since.lock() {
            gone.remove(&agent);
        }
    }
    for id in &auto {
        dispatch(state, id).await?;
    }
    Ok(())
}

/// Of `user_ids`, those connected to the dashboard (on any node) for one of `website_ids`, with their status;
/// offline counts as gone.
async fn present(
    state: &AppState,
    website_ids: &[String],
    user_ids: &[String],
) -> Result<HashMap<String, Availability>, AppError> {
    let connected: Vec<String> =
        state.agents_online(website_ids).await.into_iter().filter(|id| user_ids.contains(id)).collect();
    let statuses = crate::services::availability::statuses(&state.db, &connected).await?;
    Ok(statuses.into_iter().filter(|(_, s)| *s != Availability::Offline).collect())
}

/// Puts `agent`'s ongoing chats on auto websites back in the queue, each with a line saying why.
async fn release(state: &AppState, auto: &[String], agent: &str) -> Result<(), AppError> {
    let held = chats::Entity::find()
        .filter(chats::Column::WebsiteId.is_in(auto.iter().map(String::as_str)))
        .filter(chats::Column::Status.eq(ChatStatus::Ongoing))
        .filter(chats::Column::AssignedTo.eq(agent))
        .all(&state.db)
        .await?;
    let Some(ctx) = agent_ctx(state, agent).await? else { return Ok(()) };
    for chat in held {
        let released = chats::Entity::update_many()
            .col_expr(chats::Column::AssignedTo, Expr::value(Option::<String>::None))
            .col_expr(chats::Column::Status, Expr::value(ChatStatus::Waiting.as_str()))
            .col_expr(chats::Column::UpdatedAt, Expr::value(crate::services::now_millis()))
            .filter(chats::Column::Id.eq(chat.id.as_str()))
            .filter(chats::Column::AssignedTo.eq(agent))
            .filter(chats::Column::Status.eq(ChatStatus::Ongoing))
            .exec(&state.db)
            .await?;
        if released.rows_affected == 0 {
            continue;
        }
        let Some(chat) = chats::Entity::find_by_id(chat.id.clone()).one(&state.db).await? else { continue };
        let name = ctx.user().name.clone();
        let text = format!("{name} is away; the chat is back in the queue");
        let event = serde_json::json!({ "event": "requeued", "by": agent, "byName": name });
        crate::services::messages::send_system(&ctx, state, chat.clone(), text, event).await?;
        let summary = crate::services::chats::summary(&state.db, &chat).await?;
        events::chat_changed(&state.hub, &summary, false);
        tracing::info!(chat_id = chat.id, agent, "chat back in the queue: its agent was gone past the grace period");
    }
    Ok(())
}

/// The agent as the author of the lines routing writes in their name.
async fn agent_ctx(state: &AppState, user_id: &str) -> Result<Option<Ctx>, AppError> {
    let Some(user) = users::Entity::find_by_id(user_id).one(&state.db).await? else { return Ok(None) };
    let view = crate::services::users::to_view(&user)?;
    let permissions = state.permissions(view.role);
    Ok(Some(Ctx::for_user(view, permissions, None)))
}

/// Gives the website's waiting chats to agents with room, oldest first, and tells the rest their place.
pub async fn dispatch(state: &AppState, website_id: &str) -> Result<(), AppError> {
    let _turn = state.router.turn.lock().await;
    let Some(site) = websites::Entity::find_by_id(website_id).one(&state.db).await? else { return Ok(()) };
    if site.routing != Routing::Auto || !site.is_active {
        return Ok(());
    }
    let waiting = chats::Entity::find()
        .filter(chats::Column::WebsiteId.eq(website_id))
        .filter(chats::Column::Status.eq(ChatStatus::Waiting))
        .filter(chats::Column::AssignedTo.is_null())
        .order_by_asc(chats::Column::StartedAt)
        .order_by_asc(chats::Column::Id)
        .limit(MAX_QUEUE)
        .all(&state.db)
        .await?;
    if waiting.is_empty() {
        return Ok(());
    }
    let connected = state.agents_online(&[website_id.to_string()]).await;
    let online = crate::services::availability::answering(&state.db, connected).await?;
    let active: Vec<String> = match online.is_empty() {
        true => Vec::new(),
        false => {
            users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .filter(users::Column::Id.is_in(online.iter().map(String::as_str)))
                .filter(users::Column::IsActive.eq(true))
                .into_tuple()
                .all(&state.db)
                .await?
        }
    };
    let mut loads = open_chats(state, &active).await?;
    let capacity = i64::from(site.agent_capacity.max(1));
    let mut queue = waiting.into_iter().peekable();
    while let Some(chat) = queue.peek() {
        let Some(agent) = next_agent(state, &loads, capacity) else { break };
        let chat = chat.clone();
        queue.next();
        if assign(state, &chat, &agent).await? {
            *loads.entry(agent.clone()).or_default() += 1;
            if let Ok(mut last) = state.router.last_given.lock() {
                last.insert(agent, Instant::now());
            }
        }
    }
    for (i, chat) in queue.enumerate() {
        let event = ServerEvent::Queue { chat_id: chat.id.clone(), position: i as u32 + 1 };
        events::publish(&state.hub, Audience::Visitor { visitor_id: &chat.visitor_id }, &event, None);
    }
    Ok(())
}

/// Open chats (waiting or ongoing, on any website) each of these agents holds.
async fn open_chats(state: &AppState, agents: &[String]) -> Result<HashMap<String, i64>, AppError> {
    let mut loads: HashMap<String, i64> = agents.iter().map(|id| (id.clone(), 0)).collect();
    if agents.is_empty() {
        return Ok(loads);
    }
    let counted: Vec<(Option<String>, i64)> = chats::Entity::find()
        .select_only()
        .column(chats::Column::AssignedTo)
        .column_as(chats::Column::Id.count(), "n")
        .filter(chats::Column::AssignedTo.is_in(agents.iter().map(String::as_str)))
        .filter(chats::Column::Status.is_in(crate::services::chats::open_statuses()))
        .group_by(chats::Column::AssignedTo)
        .into_tuple()
        .all(&state.db)
        .await?;
    for (agent, n) in counted {
        if let Some(agent) = agent {
            loads.insert(agent, n);
        }
    }
    Ok(loads)
}

/// The agent with room whose last chat came longest ago (never first), fewest open chats breaking ties.
fn next_agent(state: &AppState, loads: &HashMap<String, i64>, capacity: i64) -> Option<String> {
    let last = state.router.last_given.lock().ok()?;
    loads
        .iter()
        .filter(|(_, n)| **n < capacity)
        .min_by(|(a, na), (b, nb)| last.get(*a).cmp(&last.get(*b)).then_with(|| na.cmp(nb)).then_with(|| a.cmp(b)))
        .map(|(id, _)| id.clone())
}

/// Gives `chat` to `agent` if it still waits unassigned; says so in the chat ("Ben joined the chat").
async fn assign(state: &AppState, chat: &chats::Model, agent: &str) -> Result<bool, AppError> {
    let taken = chats::Entity::update_many()
        .col_expr(chats::Column::AssignedTo, Expr::value(agent))
        .col_expr(chats::Column::Status, Expr::value(ChatStatus::Ongoing.as_str()))
        .col_expr(chats::Column::UpdatedAt, Expr::value(crate::services::now_millis()))
        .filter(chats::Column::Id.eq(chat.id.as_str()))
        .filter(chats::Column::Status.eq(ChatStatus::Waiting))
        .filter(chats::Column::AssignedTo.is_null())
        .exec(&state.db)
        .await?;
    if taken.rows_affected == 0 {
        return Ok(false);
    }
    let Some(chat) = chats::Entity::find_by_id(chat.id.clone()).one(&state.db).await? else { return Ok(false) };
    if let Some(ctx) = agent_ctx(state, agent).await? {
        let name = ctx.user().name.clone();
        let event = serde_json::json!({ "event": "joined", "by": agent, "byName": name, "auto": true });
        crate::services::messages::send_system(&ctx, state, chat.clone(), format!("{name} joined the chat"), event)
            .await?;
    }
    let summary = crate::services::chats::summary(&state.db, &chat).await?;
    events::chat_changed(&state.hub, &summary, false);
    let placed = ServerEvent::Queue { chat_id: chat.id.clone(), position: 0 };
    events::publish(&state.hub, Audience::Visitor { visitor_id: &chat.visitor_id }, &placed, None);
    Ok(true)
}
