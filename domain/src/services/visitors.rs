//! Visitors: a widget session starts here. The API key and Origin are checked like the widget config; a valid
//! visitor token of the same website continues the visitor, anything else starts a new one.

use std::net::IpAddr;

use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use crate::ctx::VisitorCtx;
use crate::entities::visitors;
use crate::services::identity::{self, Customer};
use crate::services::widget_settings::allowed_site;
use crate::AppState;
use protocol::AppError;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitorSession {
    pub visitor_id: String,
    pub website_id: String,
    pub visitor_token: String,
}

/// What a page hands over when a session starts: the visitor token it kept, and the identity token the website's
/// backend signed for its signed-in customer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tokens<'a> {
    pub visitor: Option<&'a str>,
    pub identity: Option<&'a str>,
}

/// Starts or continues a visitor session for the website of `api_key`, seen from `origin`. With a verified identity
/// token the session is the customer's visitor (the same on every device), and the anonymous visitor of this
/// browser becomes it when the customer has none yet, so a chat begun before signing in goes on. A visitor token of
/// an identified visitor continues only with a token naming the same customer: after a sign-out on a shared
/// computer, whoever comes next starts afresh.
pub async fn start(
    state: &AppState,
    api_key: &str,
    origin: Option<&str>,
    tokens: Tokens<'_>,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
    country: Option<&str>,
) -> Result<(VisitorCtx, VisitorSession), AppError> {
    // Only a two-letter code from the configured proxy header is kept.
    let country = country
        .map(str::trim)
        .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase);
    let site = allowed_site(state, api_key, origin).await?;
    let website_id = site.website_id.clone();
    let customer = match tokens.identity.map(str::trim).filter(|t| !t.is_empty()) {
        Some(token) => {
            let secret = site.identity_secret.as_deref().ok_or_else(|| {
                AppError::InvalidIdentity(
                    "The identity token was refused: this website has no identity secret yet (an admin creates one \
                     on the website's page)."
                        .into(),
                )
            })?;
            Some(identity::verify(secret, &website_id, token)?)
        }
        None if site.identity_required => {
            return Err(AppError::InvalidIdentity(
                "This website's chat is for its signed-in customers: the page must hand the widget an identity \
                 token (Helpdesk.identify)."
                    .into(),
            ))
        }
        None => None,
    };
    let now = chrono::Utc::now().naive_utc();
    let known = match tokens.visitor.map(|t| state.auth.decode_visitor(t)) {
        Some(Ok((visitor_id, wid))) if wid == website_id => {
            visitors::Entity::find_by_id(visitor_id)
                .filter(visitors::Column::WebsiteId.eq(website_id.as_str()))
                .one(&state.db)
                .await?
        }
        _ => None,
    };
    let known = known.filter(|v| match (&v.external_id, &customer) {
        (None, _) => true,
        (Some(theirs), Some(customer)) => *theirs == customer.id,
        (Some(_), None) => false,
    });
    let visitor = match customer {
        Some(customer) => customer_visitor(state, &website_id, customer, known, (ip, user_agent, country), now).await?,
        None => match known {
            Some(v) => {
                let mut active: visitors::ActiveModel = v.into();
                active.last_seen = Set(now);
                active.ip_address = Set(ip.map(|ip| ip.to_string()));
                if country.is_some() {
                    active.country = Set(country.clone());
                }
                active.update(&state.db).await?
            }
            None => new_visitor(&website_id, None, ip, user_agent, country, now).insert(&state.db).await?,
        },
    };
    let visitor_token = state.auth.issue_visitor(&visitor.id, &website_id)?;
    let ctx = VisitorCtx { visitor_id: visitor.id.clone(), website_id: website_id.clone(), ip };
    Ok((ctx, VisitorSession { visitor_id: visitor.id, website_id, visitor_token }))
}

/// A new visitor row (not yet stored).
fn new_visitor(
    website_id: &str,
    customer: Option<&Customer>,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
    country: Option<String>,
    now: chrono::NaiveDateTime,
) -> visitors::ActiveModel {
    let mut session = [0u8; 24];
    rand::rng().fill_bytes(&mut session);
    visitors::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        website_id: Set(website_id.to_string()),
        session_id: Set(session.iter().map(|b| format!("{b:02x}")).collect()),
        ip_address: Set(ip.map(|ip| ip.to_string())),
        user_agent: Set(user_agent.map(|ua| ua.chars().take(512).collect())),
        country: Set(country),
        name: Set(customer.and_then(|c| c.name.clone())),
        email: Set(customer.and_then(|c| c.email.clone())),
        external_id: Set(customer.map(|c| c.id.clone())),
        consent_text: Set(None),
        consented_at: Set(None),
        last_seen: Set(now),
        created_at: Set(now),
    }
}

/// The verified customer's visitor: theirs from any device, else this browser's anonymous visitor made theirs,
/// else a new one. The token's name and email (when it has them) replace what was stored: the website knows its
/// customer better than a form did.
async fn customer_visitor(
    state: &AppState,
    website_id: &str,
    customer: Customer,
    anonymous: Option<visitors::Model>,
    (ip, user_agent, country): (Option<IpAddr>, Option<&str>, Option<String>),
    now: chrono::NaiveDateTime,
) -> Result<visitors::Model, AppError> {
    let find = || {
        visitors::Entity::find()
            .filter(visitors::Column::WebsiteId.eq(website_id))
            .filter(visitors::Column::ExternalId.eq(customer.id.as_str()))
            .one(&state.db)
    };
    let update = |v: visitors::Model| {
        let mut active: visitors::ActiveModel = v.into();
        active.external_id = Set(Some(customer.id.clone()));
        if customer.name.is_some() {
            active.name = Set(customer.name.clone());
        }
        if customer.email.is_some() {
            active.email = Set(customer.email.clone());
        }
        active.last_seen = Set(now);
        active.ip_address = Set(ip.map(|ip| ip.to_string()));
        if country.is_some() {
            active.country = Set(country.clone());
        }
        active.update(&state.db)
    };
    if let Some(theirs) = find().await? {
        return Ok(update(theirs).await?);
    }
    let made = match anonymous {
        Some(v) => update(v).await,
        None => new_visitor(website_id, Some(&customer), ip, user_agent, country.clone(), now).insert(&state.db).await,
    };
    match made {
        Ok(v) => Ok(v),
        // The same customer started on another device at this moment: continue theirs.
        Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
            let theirs = find().await?.ok_or(AppError::Internal)?;
            Ok(update(theirs).await?)
        }
        Err(e) => Err(e.into()),
    }
}

/// A visitor from a token, for a website reached with `api_key` from `origin`.
pub async fn authenticate(
    state: &AppState,
    api_key: &str,
    origin: Option<&str>,
    token: &str,
    ip: Option<IpAddr>,
) -> Result<VisitorCtx, AppError> {
    let site = allowed_site(state, api_key, origin).await?;
    let (visitor_id, website_id) = state.auth.decode_visitor(token)?;
    if website_id != site.website_id {
        return Err(AppError::Unauthorized);
    }
    let visitor = visitors::Entity::find_by_id(visitor_id.clone())
        .filter(visitors::Column::WebsiteId.eq(website_id.as_str()))
        .one(&state.db)
        .await?
        .ok_or(AppError::Unauthorized)?;
    // Under a website that requires identity, a token from before the rule (an anonymous visitor's) lets in nothing.
    if site.identity_required && visitor.external_id.is_none() {
        return Err(AppError::Unauthorized);
    }
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
    use crate::entities::{visitor_activity, visitor_pages};
    let url: String = url.trim().chars().take(MAX_URL).collect();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(AppError::validation("url", "Report the page as an http(s) URL."));
    }
    let title: Option<String> =
        title.map(|t| t.trim().chars().take(MAX_TITLE).collect()).filter(|t: &String| !t.is_empty());
    // Whole seconds: MySQL's DATETIME rounds a fraction away, which could move the time into the next quarter hour
    // of the analytics (a rebuild must find the bucket written here).
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now().naive_utc(), 0);
    let turn = state.lane.turn().await;
    visitor_pages::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        visitor_id: Set(v.visitor_id.clone()),
        url: Set(url.clone()),
        title: Set(title.clone()),
        created_at: Set(now),
    }
    .insert(turn.db())
    .await?;
    visitors::Entity::update_many()
        .col_expr(visitors::Column::LastSeen, sea_orm::sea_query::Expr::value(now))
        .filter(visitors::Column::Id.eq(v.visitor_id.as_str()))
        .exec(turn.db())
        .await?;
    // For analytics: the visitor was on the website this quarter hour (once, however many pages).
    let seen = visitor_activity::ActiveModel {
        website_id: Set(v.website_id.clone()),
        bucket: Set(crate::services::analytics::tally::bucket(now)),
        visitor_id: Set(v.visitor_id.clone()),
    };
    visitor_activity::Entity::insert(seen)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                visitor_activity::Column::WebsiteId,
                visitor_activity::Column::Bucket,
                visitor_activity::Column::VisitorId,
            ])
            .update_column(visitor_activity::Column::VisitorId)
            .to_owned(),
        )
        .exec_without_returning(turn.db())
        .await?;
    Ok((url, title))
}

/// The visitor is on a page: it is kept as their trail, and the website's agents are told.
pub async fn page_view(v: &VisitorCtx, state: &AppState, url: &str, title: Option<&str>) -> Result<(), AppError> {
    use crate::events::{self, Audience};
    let (url, title) = record_page(v, state, url, title).await?;
    if let Some(since) = state.presence.visitor_page(&v.website_id, &v.visitor_id, &url, title.as_deref()) {
        if let Some(cluster) = &state.cluster {
            cluster.visitor_here(&v.website_id, &v.visitor_id, since, Some(&url), title.as_deref());
        }
    }
    let event = protocol::ServerEvent::VisitorPage {
        website_id: v.website_id.clone(),
        visitor_id: v.visitor_id.clone(),
        url,
        title,
    };
    events::publish(&state.hub, Audience::Agents { website_id: &v.website_id }, &event, None);
    Ok(())
}

pub const MAX_NAME: usize = 100;
pub const MAX_EMAIL: usize = 255;

/// A plausible address: one `@`, something before it, a dotted domain after it, no spaces. Deliverability is
/// the agent's mail client's business.
pub fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

/// An agent corrects a visitor's name or email: a visitor of a website the agent sees (404 otherwise). A field left
/// out stays; an empty one is cleared. Recorded in the activity log.
pub async fn update_contact(
    ctx: &crate::ctx::Ctx,
    state: &AppState,
    visitor_id: &str,
    input: protocol::VisitorContact,
) -> Result<protocol::VisitorContact, AppError> {
    use crate::services::activity::{self, Activity};
    let not_found = || AppError::not_found("Visitor");
    let visitor = visitors::Entity::find_by_id(visitor_id).one(&state.db).await?.ok_or_else(not_found)?;
    crate::services::websites::find_visible(ctx, &state.db, &visitor.website_id).await.map_err(|_| not_found())?;
    let mut active: visitors::ActiveModel = visitor.clone().into();
    if let Some(name) = &input.name {
        let name = name.trim();
        if name.chars().count() > MAX_NAME {
            return Err(AppError::validation("name", format!("Use at most {MAX_NAME} characters.")));
        }
        active.name = Set(Some(name.to_string()).filter(|n| !n.is_empty()));
    }
    if let Some(email) = &input.email {
        let email = email.trim();
        if !email.is_empty() && (email.len() > MAX_EMAIL || !plausible_email(email)) {
            return Err(AppError::validation("email", "Enter an email address, or nothing."));
        }
        active.email = Set(Some(email.to_string()).filter(|e| !e.is_empty()));
    }
    let updated = active.update(&state.db).await?;
    activity::record(
        ctx,
        &state.db,
        Activity {
            action: "visitor.update",
            resource_type: "visitor",
            resource_id: Some(&updated.id),
            website_id: Some(&updated.website_id),
            metadata: Some(serde_json::json!({ "name": updated.name, "email": updated.email })),
        },
    )
    .await?;
    Ok(protocol::VisitorContact { name: updated.name, email: updated.email })
}

/// The pre-chat form's answers, checked against the website's form: a field it does not ask for is ignored, a
/// required one must be there, an email must look like one, and a consent box must be ticked. Name and email land
/// on the visitor; the consent keeps the website's words at the time and when. (The question is the chat's first
/// message, sent by the widget like any other.)
pub async fn answer_prechat(
    v: &VisitorCtx,
    state: &AppState,
    answers: &protocol::PrechatAnswers,
) -> Result<protocol::VisitorContact, AppError> {
    use protocol::PrechatField;
    let form = crate::services::widget_settings::settings_of(&state.db, &v.website_id).await?.prechat;
    if !form.enabled() {
        return Err(AppError::validation("prechat", "This website's chat has no pre-chat form."));
    }
    let asked = |mode: PrechatField, value: &Option<String>, field: &str, missing: &str| {
        let value = value.as_deref().map(str::trim).unwrap_or_default();
        match mode {
            PrechatField::Off => Ok(None),
            PrechatField::Required if value.is_empty() => Err(AppError::validation(field, missing)),
            _ => Ok(Some(value.to_string()).filter(|v| !v.is_empty())),
        }
    };
    let name = asked(form.name, &answers.name, "name", "Tell us your name.")?;
    if name.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME) {
        return Err(AppError::validation("name", format!("Use at most {MAX_NAME} characters.")));
    }
    let email = asked(form.email, &answers.email, "email", "Tell us your email address.")?;
    if email.as_ref().is_some_and(|e| e.len() > MAX_EMAIL || !plausible_email(e)) {
        return Err(AppError::validation("email", "Enter an email address we can answer to."));
    }
    let consent = !form.consent.is_empty();
    if consent && !answers.consent {
        return Err(AppError::validation("consent", "Tick the box to start the chat."));
    }
    let visitor =
        visitors::Entity::find_by_id(v.visitor_id.as_str()).one(&state.db).await?.ok_or(AppError::Unauthorized)?;
    let mut active: visitors::ActiveModel = visitor.into();
    if let Some(name) = name {
        active.name = Set(Some(name));
    }
    if let Some(email) = email {
        active.email = Set(Some(email));
    }
    if consent {
        active.consent_text = Set(Some(form.consent.clone()));
        active.consented_at = Set(Some(chrono::Utc::now().naive_utc()));
    }
    let updated = active.update(&state.db).await?;
    Ok(protocol::VisitorContact { name: updated.name, email: updated.email })
}

/// The offline form: the visitor's name and email are kept on the visitor, and their message opens an `offline`
/// chat that agents find in the inbox. Returns that chat's id.
pub async fn leave_offline(
    v: &VisitorCtx,
    state: &AppState,
    form: &protocol::OfflineMessage,
) -> Result<String, AppError> {
    use crate::ctx::Principal;
    use crate::services::{chats, messages};
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(AppError::validation("name", format!("Tell us your name (at most {MAX_NAME} characters).")));
    }
    let email = form.email.trim();
    if email.len() > MAX_EMAIL || !plausible_email(email) {
        return Err(AppError::validation("email", "Enter an email address we can answer to."));
    }
    let message = messages::check(&form.message, None)?;
    state.limits.visitor_message(&v.visitor_id).await?;
    visitors::Entity::update_many()
        .col_expr(visitors::Column::Name, sea_orm::sea_query::Expr::value(name))
        .col_expr(visitors::Column::Email, sea_orm::sea_query::Expr::value(email))
        .filter(visitors::Column::Id.eq(v.visitor_id.as_str()))
        .exec(&state.db)
        .await?;
    let chat = chats::create(v, state, protocol::ChatStatus::Offline).await?;
    let row = (*chat).clone();
    messages::write_content(Principal::Visitor(v), state, chat, messages::Content::Text(message.clone()), None).await?;
    crate::services::webhooks::offline_message(&state.webhooks, &row.website_id, &row.id, name, email, &message);
    // The message is stored: the email only tells of it, so a failure to queue it is logged, not the visitor's.
    if let Err(e) = crate::services::emails::offline_message(state, &row, name, email, &message).await {
        tracing::warn!(chat_id = %row.id, error = %e, "the offline message's email was not queued");
    }
    Ok(row.id)
}

#[cfg(test)]
mod tests {
    use super::plausible_email;

    #[test]
    fn emails_are_checked_for_shape_only() {
        assert!(plausible_email("ana@example.com"));
        assert!(plausible_email("ana+help@mail.example.co.uk"));
        for bad in
            ["", "ana", "ana@", "@example.com", "ana@example", "ana@@example.com", "a na@example.com", "ana@.com"]
        {
            assert!(!plausible_email(bad), "{bad}");
        }
    }
}

/// The browser ("Chrome 131.0.0.0") and operating system ("Windows 10") a User-Agent names, each when known.
pub fn browser_and_os(user_agent: &str) -> (Option<String>, Option<String>) {
    let Some(parsed) = woothee::parser::Parser::new().parse(user_agent) else { return (None, None) };
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    let browser = known(parsed.name).then(|| match parsed.version {
        v if known(v) => format!("{} {v}", parsed.name),
        _ => parsed.name.to_string(),
    });
    let os = known(parsed.os).then(|| match &parsed.os_version {
        v if known(v) && !parsed.os.contains(v.as_ref() as &str) => format!("{} {v}", parsed.os),
        _ => parsed.os.to_string(),
    });
    (browser, os)
}

#[cfg(test)]
mod user_agent_tests {
    use super::browser_and_os;

    #[test]
    fn common_browsers_and_systems_are_named() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome 131.0.0.0",
                "Windows 10",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox 133.0",
                "Mac OSX",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari 17.5",
                "iPhone",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",
                "Chrome 131.0.6778.39",
                "Android",
            ),
        ];
        for (ua, browser, os) in cases {
            let (b, o) = browser_and_os(ua);
            assert_eq!(b.as_deref(), Some(browser), "{ua}");
            assert!(o.as_deref().is_some_and(|o| o.starts_with(os)), "{ua}: {o:?}");
        }
        let headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";
        assert_eq!(browser_and_os(headless), (Some("Chrome 131.0.0.0".into()), Some("Linux".into())));
        assert_eq!(browser_and_os("curl-ish"), (None, None));
        assert_eq!(browser_and_os(""), (None, None));
    }
}
