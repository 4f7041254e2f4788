//! Widget settings: validation of what admins type (colors, positions, texts, business hours, custom CSS), the
//! weekly schedule that decides whether a website is online now, and the public config the widget fetches.

use protocol::{BusinessHours, WidgetConfig, WidgetLanguage, WidgetSettings, WidgetTranslation};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::ctx::Ctx;
use crate::entities::{websites, widget_settings};
use crate::origin::origin_allowed;
use crate::services::activity::{self, Activity};
use crate::services::websites::{domains_of, find_manageable, find_visible};
use crate::widget_cache::CachedSite;
use crate::AppState;
use protocol::AppError;

pub const MAX_MESSAGE_LEN: usize = 500;
pub const MAX_CUSTOM_CSS_LEN: usize = 10_000;

pub fn default_row(website_id: &str, settings: &WidgetSettings) -> widget_settings::ActiveModel {
    let now = chrono::Utc::now().naive_utc();
    widget_settings::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        website_id: Set(website_id.to_string()),
        primary_color: Set(settings.primary_color.clone()),
        position: Set(settings.position),
        welcome_message: Set(settings.welcome_message.clone()),
        business_hours: Set(serde_json::to_value(&settings.business_hours).ok()),
        offline_message: Set(settings.offline_message.clone()),
        custom_css: Set(Some(settings.custom_css.clone()).filter(|c| !c.is_empty())),
        widget_size: Set(settings.widget_size),
        prechat: Set(settings.prechat.enabled().then(|| serde_json::to_value(&settings.prechat).ok()).flatten()),
        language: Set(settings.language.as_str().to_string()),
        translations: Set((!settings.translations.is_empty())
            .then(|| serde_json::to_value(&settings.translations).ok())
            .flatten()),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// A stored row as settings. Business hours that cannot be read are an error (logged), not a schedule made up.
pub fn from_row(row: &widget_settings::Model) -> Result<WidgetSettings, AppError> {
    let business_hours = match row.business_hours.clone() {
        Some(value) => serde_json::from_value(value).map_err(|e| {
            tracing::error!(website = %row.website_id, error = %e, "stored business hours cannot be read");
            AppError::Internal
        })?,
        None => BusinessHours::default(),
    };
    // A form that cannot be read is logged and left out: the widget still opens, without the form.
    let prechat = row
        .prechat
        .clone()
        .and_then(|value| {
            serde_json::from_value(value)
                .map_err(
                    |e| tracing::error!(website = %row.website_id, error = %e, "stored pre-chat form cannot be read"),
                )
                .ok()
        })
        .unwrap_or_default();
    let translations = row
        .translations
        .clone()
        .and_then(|value| {
            serde_json::from_value(value)
                .map_err(
                    |e| tracing::error!(website = %row.website_id, error = %e, "stored widget texts cannot be read"),
                )
                .ok()
        })
        .unwrap_or_default();
    Ok(WidgetSettings {
        primary_color: row.primary_color.clone(),
        position: row.position,
        welcome_message: row.welcome_message.clone(),
        business_hours,
        offline_message: row.offline_message.clone(),
        custom_css: row.custom_css.clone().unwrap_or_default(),
        widget_size: row.widget_size,
        prechat,
        language: WidgetLanguage::parse(&row.language).unwrap_or_default(),
        translations,
    })
}

/// Checks and normalises settings; the error names the field at fault.
pub fn validate(input: WidgetSettings) -> Result<WidgetSettings, AppError> {
    let color = input.primary_color.trim().to_ascii_lowercase();
    let hex_ok = color.len() == 7 && color.starts_with('#') && color[1..].chars().all(|c| c.is_ascii_hexdigit());
    if !hex_ok {
        return Err(AppError::validation("primaryColor", "Use a color like #2563eb."));
    }
    let welcome = clean_text("welcomeMessage", &input.welcome_message)?;
    let offline = clean_text("offlineMessage", &input.offline_message)?;
    let css = input.custom_css.trim().to_string();
    if css.len() > MAX_CUSTOM_CSS_LEN {
        return Err(AppError::validation(
            "customCss",
            format!("Custom CSS may be at most {MAX_CUSTOM_CSS_LEN} bytes."),
        ));
    }
    if css.to_ascii_lowercase().contains("</style") || css.contains('<') {
        return Err(AppError::validation("customCss", "Custom CSS cannot contain “<”."));
    }
    let business_hours = validate_hours(input.business_hours)?;
    let consent = input.prechat.consent.trim().to_string();
    if consent.chars().count() > MAX_MESSAGE_LEN {
        return Err(AppError::validation("prechatConsent", format!("Use at most {MAX_MESSAGE_LEN} characters.")));
    }
    // One set of texts per language the widget speaks; empty ones are dropped (the usual text applies).
    let mut translations: Vec<WidgetTranslation> = Vec::new();
    for t in input.translations {
        if t.language == WidgetLanguage::Auto {
            return Err(AppError::validation("translations", "Choose a language for each set of texts."));
        }
        if translations.iter().any(|seen| seen.language == t.language) {
            return Err(AppError::validation("translations", "One set of texts per language."));
        }
        let (welcome, offline) = (t.welcome_message.trim(), t.offline_message.trim());
        for (text, what) in [(welcome, "welcome"), (offline, "offline")] {
            if text.chars().count() > MAX_MESSAGE_LEN {
                return Err(AppError::validation(
                    "translations",
                    format!("The {} {what} text: use at most {MAX_MESSAGE_LEN} characters.", t.language.label()),
                ));
            }
        }
        if !welcome.is_empty() || !offline.is_empty() {
            translations.push(WidgetTranslation {
                language: t.language,
                welcome_message: welcome.to_string(),
                offline_message: offline.to_string(),
            });
        }
    }
    Ok(WidgetSettings {
        primary_color: color,
        position: input.position,
        welcome_message: welcome,
        business_hours,
        offline_message: offline,
        custom_css: css,
        widget_size: input.widget_size,
        prechat: protocol::PrechatForm { consent, ..input.prechat },
        language: input.language,
        translations,
    })
}

fn clean_text(field: &str, text: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::validation(field, "This message cannot be empty."));
    }
    if text.chars().count() > MAX_MESSAGE_LEN {
        return Err(AppError::validation(field, format!("Use at most {MAX_MESSAGE_LEN} characters.")));
    }
    Ok(text.to_string())
}

/// Checks a schedule (see the `hours` crate), naming the form field at fault.
pub fn validate_hours(hours: BusinessHours) -> Result<BusinessHours, AppError> {
    hours::validate(hours).map_err(|e| AppError::validation(e.field, e.message))
}

async fn load_row(
    db: &impl sea_orm::ConnectionTrait,
    website_id: &str,
) -> Result<Option<widget_settings::Model>, AppError> {
    Ok(widget_settings::Entity::find().filter(widget_settings::Column::WebsiteId.eq(website_id)).one(db).await?)
}

pub async fn get(ctx: &Ctx, state: &AppState, website_id: &str) -> Result<WidgetSettings, AppError> {
    find_visible(ctx, &state.db, website_id).await?;
    settings_of(&state.db, website_id).await
}

/// A website's settings (the defaults until an admin saves some), for callers that have checked access.
pub(crate) async fn settings_of(
    db: &impl sea_orm::ConnectionTrait,
    website_id: &str,
) -> Result<WidgetSettings, AppError> {
    load_row(db, website_id).await?.as_ref().map(from_row).unwrap_or_else(|| Ok(WidgetSettings::default()))
}

pub async fn update(
    ctx: &Ctx,
    state: &AppState,
    website_id: &str,
    input: WidgetSettings,
) -> Result<WidgetSettings, AppError> {
    find_manageable(ctx, &state.db, website_id).await?;
    let settings = validate(input)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let stored = load_row(&txn, website_id).await?;
    let before = match &stored {
        Some(row) => from_row(row)?,
        None => WidgetSettings::default(),
    };
    let mut changes = activity::Changes::default();
    changes
        .field("primaryColor", &before.primary_color, &settings.primary_color)
        .field("position", before.position, settings.position)
        .field("welcomeMessage", &before.welcome_message, &settings.welcome_message)
        .field("offlineMessage", &before.offline_message, &settings.offline_message)
        .field("customCss", &before.custom_css, &settings.custom_css)
        .field("widgetSize", before.widget_size, settings.widget_size)
        .field("businessHours", &before.business_hours, &settings.business_hours)
        .field("prechat", &before.prechat, &settings.prechat)
        .field("language", before.language, settings.language)
        .field("translations", &before.translations, &settings.translations);
    // A save that changes nothing writes and records nothing.
    if changes.is_empty() && stored.is_some() {
        return Ok(settings);
    }
    match stored {
        Some(row) => {
            let mut active: widget_settings::ActiveModel = row.into();
            let fresh = default_row(website_id, &settings);
            active.primary_color = fresh.primary_color;
            active.position = fresh.position;
            active.welcome_message = fresh.welcome_message;
            active.business_hours = fresh.business_hours;
            active.offline_message = fresh.offline_message;
            active.custom_css = fresh.custom_css;
            active.widget_size = fresh.widget_size;
            active.prechat = fresh.prechat;
            active.language = fresh.language;
            active.translations = fresh.translations;
            active.updated_at = Set(chrono::Utc::now().naive_utc());
            active.update(&txn).await?;
        }
        None => {
            default_row(website_id, &settings).insert(&txn).await?;
        }
    }
    activity::record(
        ctx,
        &txn,
        Activity {
            action: "widget_settings.update",
            resource_type: "website",
            resource_id: Some(website_id),
            website_id: Some(website_id),
            metadata: Some(changes.into_metadata()),
        },
    )
    .await?;
    txn.commit().await?;
    state.website_changed(website_id);
    Ok(settings)
}

/// What the widget on a customer's page gets: refused with 401 for a missing, unknown or inactive key, and 403
/// for an Origin the website does not allow. Served from the in-memory cache when possible. The texts are in the
/// website's language, or the one `accept_language` (the browser's) prefers among those the widget speaks.
pub async fn public_config(
    state: &AppState,
    api_key: &str,
    origin: Option<&str>,
    accept_language: Option<&str>,
) -> Result<WidgetConfig, AppError> {
    let site = allowed_site(state, api_key, origin).await?;
    let s = &site.settings;
    let language = s.language.for_visitor(accept_language);
    let own = s.translations.iter().find(|t| t.language == language);
    let defaults = WidgetSettings::default();
    // The admin's text for this language; else theirs as written, or, while it is still the default, the default
    // in this language.
    let text = |own: Option<&String>, usual: &String, default: &String| match own.filter(|t| !t.is_empty()) {
        Some(own) => own.clone(),
        None if usual == default => language.translate(default).to_string(),
        None => usual.clone(),
    };
    Ok(WidgetConfig {
        website_id: site.website_id.clone(),
        primary_color: s.primary_color.clone(),
        position: s.position,
        welcome_message: text(own.map(|t| &t.welcome_message), &s.welcome_message, &defaults.welcome_message),
        business_hours: s.business_hours.clone(),
        offline_message: text(own.map(|t| &t.offline_message), &s.offline_message, &defaults.offline_message),
        custom_css: s.custom_css.clone(),
        widget_size: s.widget_size,
        online: hours::is_open(&s.business_hours, chrono::Utc::now().naive_utc())
            && (!s.business_hours.offline_when_no_agents || agents_connected(state, &site.website_id).await),
        identity_required: site.identity_required,
        prechat: Some(s.prechat.clone()).filter(protocol::PrechatForm::enabled),
        language: language.as_str().to_string(),
        rtl: language.rtl(),
        text_color: protocol::text_on(&s.primary_color).to_string(),
        strings: language.strings(),
    })
}

/// The website of `api_key`, if it is active and lets `origin` use its widget (the same refusals as
/// [`public_config`]).
pub(crate) async fn allowed_site(
    state: &AppState,
    api_key: &str,
    origin: Option<&str>,
) -> Result<std::sync::Arc<CachedSite>, AppError> {
    let api_key = api_key.trim();
    if api_key.is_empty() || api_key.len() > 64 {
        return Err(AppError::InvalidApiKey);
    }
    let site = match state.widget_cache.get(api_key) {
        Some(site) => site,
        None => {
            let website = websites::Entity::find()
                .filter(websites::Column::ApiKey.eq(api_key))
                .one(&state.db)
                .await?
                .ok_or(AppError::InvalidApiKey)?;
            let settings = match load_row(&state.db, &website.id).await? {
                Some(row) => from_row(&row)?,
                None => WidgetSettings::default(),
            };
            let domains = domains_of(&website);
            let site = CachedSite::new(website.id, website.is_active, domains, settings)
                .with_identity(website.identity_secret, website.identity_required);
            state.widget_cache.insert(api_key.to_string(), site)
        }
    };
    if !site.is_active {
        return Err(AppError::InvalidApiKey);
    }
    if !origin.is_some_and(|o| origin_allowed(&site.domains, o)) {
        return Err(AppError::OriginNotAllowed);
    }
    Ok(site)
}

/// Whether an agent of the website is there to answer: connected (on any node) and online, not away or offline.
/// An agent following the website on this node whom presence does not list yet (their access changed since their
/// socket opened) counts as online.
async fn agents_connected(state: &AppState, website_id: &str) -> bool {
    let ids = state.agents_online(&[website_id.to_string()]).await;
    if ids.is_empty() {
        return state.hub.has_subscribers(&crate::hub::Topic::Website(website_id.to_string()));
    }
    match crate::services::availability::answering(&state.db, ids).await {
        Ok(answering) => !answering.is_empty(),
        // The widget still opens; the chat it offers is answered when an agent looks.
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::TimeRange;

    fn range(start: &str, end: &str) -> TimeRange {
        TimeRange { start: start.into(), end: end.into() }
    }

    fn hours(tz: &str, monday: Vec<TimeRange>) -> BusinessHours {
        BusinessHours {
            enabled: true,
            timezone: tz.into(),
            days: vec![monday, vec![], vec![], vec![], vec![], vec![], vec![]],
            offline_when_no_agents: false,
        }
    }

    #[test]
    fn settings_are_validated_field_by_field() {
        let ok = WidgetSettings::default();
        assert!(validate(ok.clone()).is_ok());
        let cases: Vec<(&str, WidgetSettings)> = vec![
            ("primaryColor", WidgetSettings { primary_color: "blue".into(), ..ok.clone() }),
            ("primaryColor", WidgetSettings { primary_color: "#12345g".into(), ..ok.clone() }),
            ("welcomeMessage", WidgetSettings { welcome_message: "x".repeat(501), ..ok.clone() }),
            ("offlineMessage", WidgetSettings { offline_message: "  ".into(), ..ok.clone() }),
            ("customCss", WidgetSettings { custom_css: "a{}".repeat(4000), ..ok.clone() }),
            ("customCss", WidgetSettings { custom_css: "</style><script>alert(1)</script>".into(), ..ok.clone() }),
            ("timezone", WidgetSettings { business_hours: hours("Mars/Olympus", vec![]), ..ok.clone() }),
            (
                "businessHours",
                WidgetSettings { business_hours: hours("UTC", vec![range("17:00", "09:00")]), ..ok.clone() },
            ),
            (
                "businessHours",
                WidgetSettings {
                    business_hours: hours("UTC", vec![range("09:00", "12:00"), range("11:00", "14:00")]),
                    ..ok.clone()
                },
            ),
            (
                "businessHours",
                WidgetSettings { business_hours: hours("UTC", vec![range("9am", "17:00")]), ..ok.clone() },
            ),
            (
                "businessHours",
                WidgetSettings { business_hours: hours("UTC", vec![range("09:00", "24:30")]), ..ok.clone() },
            ),
        ];
        for (field, settings) in cases {
            let err = validate(settings.clone()).expect_err(field);
            assert_eq!(err.field(), Some(field), "{settings:?}: {err}");
        }
        let normalised = validate(WidgetSettings { primary_color: " #AABBCC ".into(), ..ok }).expect("valid");
        assert_eq!(normalised.primary_color, "#aabbcc");
    }
}
