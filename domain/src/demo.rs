//! The demo data set: websites, agents and months of chats with business-hours and weekday patterns, written
//! straight into the configured database, so a new user sees the product full and the benchmark has volume
//! (`helpdesk demo`). Websites and agents go through the services (so they are exactly what the dashboard makes);
//! visitors, chats, messages and page views are inserted in bulk, and the analytics rollups are then rebuilt
//! from them.

use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDateTime};
use protocol::{AppError, ChatStatus, MessageKind, Role, SenderType, UserForCreate, WebsiteForCreate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::ctx::Ctx;
use crate::entities::{chats, messages, users, visitor_pages, visitors};
use crate::services;
use crate::AppState;

/// Every demo agent's password (printed by the command).
pub const AGENT_PASSWORD: &str = "demo-agent-password";
const AGENT_EMAIL_DOMAIN: &str = "demo.helpdesk.test";

/// How much to make.
#[derive(Clone, Debug)]
pub struct DemoSize {
    pub websites: usize,
    pub agents: usize,
    pub chats: usize,
    /// Days back from today the chats spread over.
    pub days: i64,
}

impl DemoSize {
    /// About `messages` messages: a tenth as many chats (10 messages a chat on average), 5 websites, 20 agents.
    pub fn for_messages(messages: usize, days: i64) -> DemoSize {
        DemoSize { websites: 5, agents: 20, chats: (messages / 10).max(1), days: days.max(1) }
    }
}

/// What was made.
#[derive(Debug, Default)]
pub struct DemoReport {
    pub websites: usize,
    pub agents: Vec<String>,
    pub visitors: usize,
    pub chats: usize,
    pub messages: usize,
    pub page_views: usize,
    pub seconds: f64,
}

const FIRST_NAMES: [&str; 20] = [
    "Ana", "Ben", "Chloé", "Dev", "Emre", "Fatima", "Gus", "Hana", "Ivo", "Jin", "Kaito", "Lena", "Mateo", "Nia",
    "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
];
const VISITOR_LINES: [&str; 8] = [
    "Hi, where is my order?",
    "Do you ship to Portugal?",
    "The discount code does not work.",
    "Can I change the size after ordering?",
    "Thanks, that helps.",
    "How long does delivery take?",
    "Is this in stock?",
    "Great, thank you!",
];
const AGENT_LINES: [&str; 8] = [
    "Hello! Let me check that for you.",
    "Could you give me your order number?",
    "It left our warehouse yesterday.",
    "Yes, we ship across the EU.",
    "I have applied the discount by hand.",
    "Anything else I can help with?",
    "Delivery takes two to four working days.",
    "You're welcome, have a nice day!",
];
/// Visitors who leave a name: a first name and a surname from these, and an email made of both.
const SURNAMES: [&str; 12] = [
    "Berg",
    "Costa",
    "Dubois",
    "Kowalski",
    "Lindqvist",
    "Müller",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Silva",
    "Smith",
    "Yilmaz",
];
const EMAIL_DOMAINS: [&str; 4] = ["example.com", "mail.example", "post.example.org", "inbox.example.net"];
const COUNTRIES: [&str; 8] = ["DE", "FR", "PT", "US", "GB", "NL", "ES", "PL"];
/// Relative traffic per hour of the day: quiet nights, a morning and an afternoon peak.
const HOURS: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.6, 2.6, 3.0, 2.8, 2.2, 2.4, 2.9, 2.8, 2.4, 1.9, 1.5, 1.2, 1.0, 0.8, 0.5,
    0.3,
];
/// Rows per insert statement (SQLite takes at most 32 766 parameters; a message has 10 columns).
const ROWS: usize = 1000;
/// Chats written per transaction.
const CHATS_PER_TXN: usize = 2000;

/// Picks an index with probability proportional to `weights` (cumulative, ascending).
fn pick(rng: &mut StdRng, cumulative: &[f64]) -> usize {
    let x = rng.random::<f64>() * cumulative.last().copied().unwrap_or(1.0);
    cumulative.partition_point(|c| *c <= x).min(cumulative.len() - 1)
}

fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut sum = 0.0;
    weights
        .into_iter()
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

async fn insert_all<E, A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), sea_orm::DbErr>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS).collect();
        E::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Fills the database behind `state` with `size` of demo data (reproducible for one `seed`). Refuses a database
/// that has it already.
pub async fn fill(state: &AppState, size: &DemoSize, seed: u64) -> Result<DemoReport, AppError> {
    let started = Instant::now();
    let db = &state.db;
    let first_agent = format!("{}@{AGENT_EMAIL_DOMAIN}", FIRST_NAMES[0].to_lowercase());
    if users::Entity::find().filter(users::Column::Email.eq(first_agent.as_str())).one(db).await?.is_some() {
        return Err(AppError::Conflict { field: None, message: "This database has the demo data already.".into() });
    }
    let root = users::Entity::find()
        .filter(users::Column::Role.eq(Role::SuperAdmin))
        .filter(users::Column::IsActive.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Conflict {
            field: None,
            message: "No active super admin to own the demo websites.".into(),
        })?;
    let ctx = Ctx::for_user(services::users::to_view(&root)?, state.permissions(Role::SuperAdmin), None);

    let mut websites = Vec::new();
    for n in 1..=size.websites {
        let created = services::websites::create(
            &ctx,
            state,
            WebsiteForCreate {
                name: format!("Demo shop {n}"),
                domains: vec![format!("shop{n}.demo.example")],
                domain: None,
                description: Some("Made by `helpdesk demo`.".into()),
            },
        )
        .await?;
        websites.push(created.id);
    }
    // Each agent works on one website, every third on a second one too.
    let mut agents_of: Vec<Vec<String>> = vec![Vec::new(); websites.len()];
    let mut report = DemoReport { websites: websites.len(), ..DemoReport::default() };
    for n in 0..size.agents {
        let name = FIRST_NAMES[n % FIRST_NAMES.len()];
        let email = match n < FIRST_NAMES.len() {
            true => format!("{}@{AGENT_EMAIL_DOMAIN}", name.to_lowercase()),
            false => format!("{}{n}@{AGENT_EMAIL_DOMAIN}", name.to_lowercase()),
        };
        let mut on = vec![n % websites.len()];
        if n % 3 == 0 && websites.len() > 1 {
            on.push((n + 1) % websites.len());
        }
        let user = services::users::create(
            &ctx,
            state,
            UserForCreate {
                email: email.clone(),
                name: name.into(),
                role: Role::Agent,
                password: AGENT_PASSWORD.into(),
                website_ids: on.iter().map(|w| websites[*w].clone()).collect(),
            },
        )
        .await?;
        for w in on {
            agents_of[w].push(user.id.clone());
        }
        report.agents.push(email);
    }

    let mut rng = StdRng::seed_from_u64(seed);
    let now = services::now_millis();
    let today = now.date();
    // Weekdays busier than weekends.
    let day_weights = cumulative((0..size.days).map(|back| {
        let date = today - Duration::days(back);
        if date.weekday().num_days_from_monday() >= 5 {
            0.35
        } else {
            1.0
        }
    }));
    let hour_weights = cumulative(HOURS);
    let mut returning: Vec<Vec<String>> = vec![Vec::new(); websites.len()];

    let mut made = 0;
    while made < size.chats {
        let batch = CHATS_PER_TXN.min(size.chats - made);
        let (mut vs, mut cs, mut ms, mut ps) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let page = |visitor: &str, at: NaiveDateTime, rng: &mut StdRng, ps: &mut Vec<visitor_pages::ActiveModel>| {
            for k in 0..rng.random_range(1..=3) {
                ps.push(visitor_pages::ActiveModel::from(visitor_pages::Model {
                    id: uuid::Uuid::now_v7().to_string(),
                    visitor_id: visitor.to_string(),
                    url: format!("https://shop.demo.example/{}", ["", "products", "cart", "checkout"][k % 4]),
                    title: Some("Demo shop".into()),
                    created_at: at + Duration::seconds(40 * k as i64),
                }));
            }
        };
        for _ in 0..batch {
            let w = rng.random_range(0..websites.len());
            let back = pick(&mut rng, &day_weights) as i64;
            let hour = pick(&mut rng, &hour_weights) as i64;
            let mut start = (today - Duration::days(back)).and_hms_opt(0, 0, 0).unwrap_or(now)
                + Duration::seconds(hour * 3600 + rng.random_range(0..3600));
            if start > now - Duration::minutes(1) {
                start = now - Duration::seconds(rng.random_range(60..4 * 3600));
            }
            let new_visitor = returning[w].is_empty() || rng.random::<f64>() < 0.8;
            let visitor_id = match new_visitor {
                true => {
                    let id = uuid::Uuid::now_v7().to_string();
                    vs.push(visitors::ActiveModel::from(visitor_row(&id, &websites[w], start, &mut rng)));
                    if returning[w].len() < 5000 {
                        returning[w].push(id.clone());
                    }
                    id
                }
                false => returning[w][rng.random_range(0..returning[w].len())].clone(),
            };
            page(&visitor_id, start - Duration::seconds(60), &mut rng, &mut ps);
            // Visitors who never chat.
            if rng.random::<f64>() < 0.5 {
                let id = uuid::Uuid::now_v7().to_string();
                let at = start - Duration::seconds(rng.random_range(0..7200));
                vs.push(visitors::ActiveModel::from(visitor_row(&id, &websites[w], at, &mut rng)));
                page(&id, at, &mut rng, &mut ps);
            }
            let (chat, said) = chat_rows(&mut rng, &websites[w], &visitor_id, &agents_of[w], start, now);
            for (seq, (at, who, text)) in said.into_iter().enumerate() {
                let (sender_type, sender_id) = match &who {
                    None => (SenderType::Visitor, visitor_id.clone()),
                    Some(agent) => (SenderType::Admin, agent.clone()),
                };
                ms.push(messages::ActiveModel::from(messages::Model {
                    id: uuid::Uuid::now_v7().to_string(),
                    chat_id: chat.id.clone(),
                    seq: seq as i64 + 1,
                    client_msg_id: None,
                    sender_type,
                    sender_id: Some(sender_id),
                    content: text.into(),
                    kind: MessageKind::Text,
                    metadata: None,
                    created_at: at,
                }));
            }
            cs.push(chats::ActiveModel::from(chat));
        }
        report.visitors += vs.len();
        report.chats += cs.len();
        report.messages += ms.len();
        report.page_views += ps.len();
        // A turn of the write lane, like every other writer that holds the lock for long: the search indexer's
        // turns come back to back while a backlog is indexed, and a writer outside the lane could lose every race for
        // the lock until its busy timeout.
        let turn = state.lane.turn().await;
        let txn = crate::db::begin_write(turn.db()).await?;
        insert_all(&txn, vs).await?;
        insert_all(&txn, cs).await?;
        insert_all(&txn, ms).await?;
        insert_all(&txn, ps).await?;
        txn.commit().await?;
        drop(turn);
        made += batch;
    }
    {
        let turn = state.lane.turn().await;
        services::analytics::rebuild(turn.db()).await?;
    }
    services::analytics::warm(state).await?;
    // Searchable at once, not a chunk a second.
    services::search::index_waiting(&state.lane).await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn visitor_row(id: &str, website: &str, at: NaiveDateTime, rng: &mut StdRng) -> visitors::Model {
    // Four in ten left their name and email (the pre-chat form, or an agent's correction).
    let (name, email) = if rng.random_bool(0.4) {
        let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
        let last = SURNAMES[rng.random_range(0..SURNAMES.len())];
        let domain = EMAIL_DOMAINS[rng.random_range(0..EMAIL_DOMAINS.len())];
        let email = format!("{}.{}@{domain}", first.to_lowercase(), last.to_lowercase());
        (Some(format!("{first} {last}")), Some(email))
    } else {
        (None, None)
    };
    visitors::Model {
        id: id.to_string(),
        website_id: website.to_string(),
        session_id: uuid::Uuid::now_v7().to_string(),
        ip_address: None,
        user_agent: Some("Mozilla/5.0 (demo)".into()),
        country: Some(COUNTRIES[rng.random_range(0..COUNTRIES.len())].into()),
        name,
        email,
        external_id: None,
        consent_text: None,
        consented_at: None,
        last_seen: at,
        created_at: at,
    }
}

/// One message of a demo chat: when, which agent (none: the visitor), what.
type Said = (NaiveDateTime, Option<String>, &'static str);

/// One chat started at `start` and what was said in it: (time, agent or the visitor, text).
fn chat_rows(
    rng: &mut StdRng,
    website: &str,
    visitor: &str,
    agents: &[String],
    start: NaiveDateTime,
    now: NaiveDateTime,
) -> (chats::Model, Vec<Said>) {
    let mut chat = chats::Model {
        id: uuid::Uuid::now_v7().to_string(),
        website_id: website.to_string(),
        visitor_id: visitor.to_string(),
        assigned_to: None,
        status: ChatStatus::Closed,
        resolution: None,
        started_at: start,
        ended_at: None,
        created_at: start,
        updated_at: start,
        first_visitor_at: None,
        first_response_at: None,
        first_response_by: None,
        visitor_read_seq: 0,
    };
    let visitor_line = |rng: &mut StdRng| VISITOR_LINES[rng.random_range(0..VISITOR_LINES.len())];
    let mut said = vec![(start, None, visitor_line(rng))];
    let kind = rng.random::<f64>();
    let recent = now - start < Duration::minutes(30);
    if kind < 0.03 || agents.is_empty() {
        // Left through the offline form.
        chat.status = ChatStatus::Offline;
        return (chat, said);
    }
    if kind < 0.09 {
        // Nobody answered: it waits, or was closed unanswered.
        if rng.random::<f64>() < 0.5 {
            said.push((start + Duration::seconds(rng.random_range(20..120)), None, visitor_line(rng)));
        }
        chat.status = if recent { ChatStatus::Waiting } else { ChatStatus::Closed };
        chat.ended_at = (!recent).then(|| start + Duration::minutes(rng.random_range(15..60)));
        chat.updated_at = chat.ended_at.unwrap_or(start);
        return (chat, said);
    }
    let agent = agents[rng.random_range(0..agents.len())].clone();
    chat.assigned_to = Some(agent.clone());
    // First responses: mostly seconds, sometimes minutes.
    let first = 5.0 + rng.random::<f64>().powi(3) * 600.0;
    let mut at = start + Duration::milliseconds((first * 1000.0) as i64);
    let n = rng.random_range(3..=19);
    for i in 1..n {
        let who = (i % 2 == 1).then(|| agent.clone());
        let text = match &who {
            Some(_) => AGENT_LINES[rng.random_range(0..AGENT_LINES.len())],
            None => visitor_line(rng),
        };
        if at > now {
            break;
        }
        said.push((at, who, text));
        at += Duration::seconds(rng.random_range(15..120));
    }
    let last = said.last().map(|s| s.0).unwrap_or(start);
    let end = last + Duration::minutes(rng.random_range(1..10));
    if end > now {
        chat.status = ChatStatus::Ongoing;
        chat.updated_at = last;
    } else {
        chat.status = if rng.random::<f64>() < 0.8 { ChatStatus::Resolved } else { ChatStatus::Closed };
        chat.ended_at = Some(end);
        chat.updated_at = end;
    }
    (chat, said)
}
