//! Wire types shared by the server, the dashboard and the widget. Serde only: this crate is compiled into the
//! WASM bundles, so it must never pull a runtime, a database driver or serde_json.

use serde::{Deserialize, Serialize};

mod analytics;
mod error;
pub use analytics::*;
pub use error::AppError;

/// A fieldless enum that travels as one string (on the wire, in the database): each variant's string is written
/// once, and serde, `as_str`, `parse`, `ALL` and (with the `orm` feature) the column type all come from it, so they
/// cannot drift apart. Reading a string no variant has is an error, never a default.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(feature = "orm", sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::None)"))]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                #[serde(rename = $text)]
                #[cfg_attr(feature = "orm", sea_orm(string_value = $text))]
                $variant,
            )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

// After `string_enum!`, which it uses.
mod widget_i18n;
pub use widget_i18n::{WidgetLanguage, WidgetTranslation};

string_enum! {
    /// What a user may do. Stored as the `users.role` string and as `roles.name`.
    pub enum Role {
        SuperAdmin = "super_admin",
        Admin = "admin",
        Agent = "agent",
    }
}

impl Role {
    /// Human label for the dashboard.
    pub fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "Super admin",
            Role::Admin => "Admin",
            Role::Agent => "Agent",
        }
    }

    /// Higher ranks may manage lower ones; nobody raises themselves.
    pub fn rank(self) -> u8 {
        match self {
            Role::SuperAdmin => 3,
            Role::Admin => 2,
            Role::Agent => 1,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

string_enum! {
    /// Whether an agent takes chats: `online` does; `away` (chosen, or set after the agent's idle time) and
    /// `offline` do not. An agent with no dashboard open is offline whatever they chose.
    pub enum Availability {
        Online = "online",
        Away = "away",
        Offline = "offline",
    }
}

impl Availability {
    pub fn label(self) -> &'static str {
        match self {
            Availability::Online => "Online",
            Availability::Away => "Away",
            Availability::Offline => "Offline",
        }
    }
}

string_enum! {
    /// How a website's new chats find an agent: `manual` (agents take them from the inbox) or `auto` (each goes
    /// round-robin to an online agent with room; the rest wait in a queue).
    pub enum Routing {
        Manual = "manual",
        Auto = "auto",
    }
}

/// Most open chats a website may let each agent hold under auto routing.
pub const MAX_AGENT_CAPACITY: u16 = 50;

/// Longest idle time an agent may set before they are shown away (a day).
pub const MAX_AWAY_AFTER_MINUTES: u16 = 1440;

/// The most of a visitor's draft a typing preview carries (characters; the rest is cut off).
pub const MAX_TYPING_PREVIEW: usize = 500;

/// `GET /api/me/availability`: what the agent chose, and how long idle before the dashboard sets them away.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentAvailability {
    pub status: Availability,
    /// The status was set by the dashboard after the idle time (it returns to online on the next activity), not
    /// chosen by the agent.
    pub auto: bool,
    /// Minutes without input before the dashboard sets an online agent away; 0 never does.
    pub away_after_minutes: u16,
}

/// `PATCH /api/me/availability`: what to change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AvailabilityForUpdate {
    pub status: Option<Availability>,
    /// With `status`: set by the dashboard's idle timer rather than by the agent (false when omitted).
    #[serde(default)]
    pub auto: bool,
    pub away_after_minutes: Option<u16>,
}

/// `GET /api/me/notifications`: how the dashboard alerts this user to a new chat, to a visitor's message in one of
/// their chats, and again while such chats are left unattended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    /// A short chime (browsers play it once the page has had a click or a key press).
    pub sound: bool,
    /// A browser notification (when the browser has been allowed to show them).
    pub desktop: bool,
    /// Seconds between repeated alerts while a chat waits for this user; 0 alerts once.
    pub repeat_seconds: u16,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings { sound: true, desktop: true, repeat_seconds: 60 }
    }
}

/// The shortest and longest repeat of [`NotificationSettings`] (besides 0, no repeat).
pub const MIN_REPEAT_SECONDS: u16 = 15;
pub const MAX_REPEAT_SECONDS: u16 = 3600;

/// `PATCH /api/me/notifications`: what to change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationSettingsForUpdate {
    pub sound: Option<bool>,
    pub desktop: Option<bool>,
    /// 0, or [`MIN_REPEAT_SECONDS`] to [`MAX_REPEAT_SECONDS`].
    pub repeat_seconds: Option<u16>,
}

/// The signed-in user as every client sees it. Never carries the password hash or token version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// `POST /api/auth/login` body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `POST /api/auth/login` answer, exactly the seed's shape.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    pub token: String,
    pub user: UserView,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// Every error a client receives: `{ "error": "snake_case_code", "message": "..." }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
    /// The input field the error is about, for forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_a_brand_color_is_picked_by_contrast() {
        assert_eq!(text_on("#2563eb"), "#ffffff");
        assert_eq!(text_on("#fbbf24"), "#111827", "white on amber is 1.66:1");
        assert_eq!(text_on("#ffffff"), "#111827");
        assert_eq!(text_on("#000000"), "#ffffff");
        assert_eq!(text_on("blue"), "#ffffff");
        let amber = contrast_with_white("#fbbf24").expect("color");
        assert!((amber - 1.66).abs() < 0.01, "{amber}");
        assert!(contrast_with_white("#2563eb").expect("color") > 4.5);
    }

    /// Serde, `as_str` and `parse` agree for every string enum (the macro writes each string once; this checks it
    /// stays wired that way).
    fn round_trips<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
    where
        T: Copy + PartialEq + std::fmt::Debug + Serialize + serde::de::DeserializeOwned,
    {
        for &value in all {
            assert_eq!(parse(as_str(value)), Some(value));
            let json = serde_json::to_string(&value).expect("serialize");
            assert_eq!(json, format!("\"{}\"", as_str(value)));
            assert_eq!(serde_json::from_str::<T>(&json).expect("deserialize"), value);
        }
    }

    #[test]
    fn string_enums_round_trip_through_their_strings() {
        round_trips(Role::ALL, Role::as_str, Role::parse);
        round_trips(WidgetPosition::ALL, WidgetPosition::as_str, WidgetPosition::parse);
        round_trips(WidgetSize::ALL, WidgetSize::as_str, WidgetSize::parse);
        round_trips(SenderType::ALL, SenderType::as_str, SenderType::parse);
        round_trips(ChatStatus::ALL, ChatStatus::as_str, ChatStatus::parse);
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("Admin"), None, "strings are exact");
        assert_eq!(Role::SuperAdmin.as_str(), "super_admin");
        assert_eq!(WidgetPosition::BottomLeft.as_str(), "bottom-left");
    }

    #[test]
    fn login_response_uses_the_seed_field_names() {
        let body = LoginResponse {
            token: "t".into(),
            user: UserView { id: "1".into(), email: "a@b.c".into(), name: "A".into(), role: Role::Agent },
            expires_in: 60,
        };
        let v: serde_json::Value = serde_json::to_value(&body).expect("serialize");
        assert_eq!(v["expiresIn"], 60);
        assert_eq!(v["user"]["role"], "agent");
        assert!(v.get("expires_in").is_none());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Websites, widget settings, users, activity (admin side)
// ---------------------------------------------------------------------------------------------------------------

/// A website as the dashboard and the REST API show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Website {
    pub id: String,
    pub name: String,
    /// Allowed origins: `example.com`, `https://shop.example.com`, `*.example.com`, `localhost:8080`.
    pub domains: Vec<String>,
    pub description: Option<String>,
    pub api_key: String,
    pub is_active: bool,
    pub owner_id: String,
    /// The `<script>` tag to paste into the website.
    pub embed_code: String,
    /// Whether the caller may change it (owner admin or super admin).
    pub can_manage: bool,
    pub routing: Routing,
    /// Under auto routing, the most open chats (waiting or ongoing, on any website) an agent holds before new
    /// chats pass them by.
    pub agent_capacity: u16,
    /// Agents see what the visitor is typing before it is sent (never stored); off, they see only that they type.
    pub typing_preview: bool,
    /// Minutes a chat may wait before the website's team is emailed (0: never).
    pub missed_chat_minutes: u16,
    /// The visitor is emailed the transcript when a chat is resolved (when they left an address).
    pub transcript_on_resolve: bool,
    /// Days ended chats (with their files) and page views are kept before they are deleted (0: for ever).
    #[serde(default)]
    pub retention_days: u16,
    /// Whether the website has a verified-identity secret (shown on its own request, to its managers).
    #[serde(default)]
    pub has_identity_secret: bool,
    /// Only visitors with a valid identity token from the website's backend get a widget session.
    #[serde(default)]
    pub identity_required: bool,
    pub created_at: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebsiteForCreate {
    pub name: String,
    /// One or more allowed domains. The seed's single `domain` is accepted too.
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebsiteForUpdate {
    pub name: Option<String>,
    pub domains: Option<Vec<String>>,
    pub description: Option<String>,
    pub is_active: Option<bool>,
    pub routing: Option<Routing>,
    /// 1 to [`MAX_AGENT_CAPACITY`].
    pub agent_capacity: Option<u16>,
    pub typing_preview: Option<bool>,
    /// 0 to [`MAX_MISSED_CHAT_MINUTES`].
    pub missed_chat_minutes: Option<u16>,
    pub transcript_on_resolve: Option<bool>,
    /// 0 (keep for ever) to [`MAX_RETENTION_DAYS`].
    pub retention_days: Option<u16>,
    /// Refused (422) while the website has no identity secret.
    #[serde(default)]
    pub identity_required: Option<bool>,
}

/// A website's verified-identity secret, for its managers: the website's backend signs its customers' identity
/// tokens (HS256, `aud` = `websiteId`, `sub`, optional `name` and `email`, `exp` at most 24 hours away) with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IdentitySecret {
    pub website_id: String,
    /// None until one is created.
    pub secret: Option<String>,
}

/// `POST /api/websites` answer: the seed's `{id, apiKey, embedCode}` plus the whole website.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebsiteCreated {
    pub id: String,
    pub api_key: String,
    pub embed_code: String,
    pub website: Website,
}

/// One opening range within a day, `"09:00"`–`"17:30"` in the schedule's time zone (`"24:00"` ends at midnight).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeRange {
    pub start: String,
    pub end: String,
}

/// A weekly schedule: `days[0]` is Monday … `days[6]` Sunday; an empty day is closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BusinessHours {
    pub enabled: bool,
    /// IANA name, e.g. `Europe/Paris`.
    pub timezone: String,
    pub days: Vec<Vec<TimeRange>>,
    /// Also offline (the offline form) while no agent of the website is connected.
    #[serde(default)]
    pub offline_when_no_agents: bool,
}

impl Default for BusinessHours {
    fn default() -> Self {
        let weekday = vec![TimeRange { start: "09:00".into(), end: "17:00".into() }];
        BusinessHours {
            enabled: false,
            timezone: "UTC".into(),
            days: vec![weekday.clone(), weekday.clone(), weekday.clone(), weekday.clone(), weekday, vec![], vec![]],
            offline_when_no_agents: false,
        }
    }
}

pub const DAY_NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

string_enum! {
    pub enum WidgetPosition {
        BottomRight = "bottom-right",
        BottomLeft = "bottom-left",
    }
}

string_enum! {
    pub enum WidgetSize {
        Compact = "compact",
        Normal = "normal",
    }
}

string_enum! {
    /// Whether the pre-chat form asks for a field.
    #[derive(Default)]
    pub enum PrechatField {
        #[default]
        Off = "off",
        Optional = "optional",
        Required = "required",
    }
}

/// The form a visitor fills in before their first message: each field off, optional or required, and a consent
/// checkbox with the website's own words (none when empty). Name and email land on the visitor, the question is
/// the chat's first message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PrechatForm {
    #[serde(default)]
    pub name: PrechatField,
    #[serde(default)]
    pub email: PrechatField,
    #[serde(default)]
    pub question: PrechatField,
    #[serde(default)]
    pub consent: String,
}

impl PrechatForm {
    /// Whether the widget shows the form at all.
    pub fn enabled(&self) -> bool {
        [self.name, self.email, self.question].iter().any(|f| *f != PrechatField::Off) || !self.consent.is_empty()
    }
}

/// The text color for a brand color: white, or near-black (`#111827`) when white would contrast less (WCAG
/// relative luminance), so `#fbbf24` gets dark text. Not `#rrggbb`: white.
pub fn text_on(color: &str) -> &'static str {
    let contrast = contrast_with_white(color);
    let dark = |l: f64| (l + 0.05) / (luminance(0x11, 0x18, 0x27) + 0.05);
    match (contrast, rgb(color)) {
        (Some(white), Some((r, g, b))) if dark(luminance(r, g, b)) > white => "#111827",
        _ => "#ffffff",
    }
}

/// The contrast ratio of white text on `color` (`#rrggbb`), 1 to 21.
pub fn contrast_with_white(color: &str) -> Option<f64> {
    let (r, g, b) = rgb(color)?;
    Some(1.05 / (luminance(r, g, b) + 0.05))
}

fn rgb(color: &str) -> Option<(u8, u8, u8)> {
    let hex = color.strip_prefix('#').filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))?;
    let part = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some((part(0)?, part(2)?, part(4)?))
}

fn luminance(r: u8, g: u8, b: u8) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// Everything an admin edits about a website's widget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WidgetSettings {
    pub primary_color: String,
    pub position: WidgetPosition,
    pub welcome_message: String,
    pub business_hours: BusinessHours,
    pub offline_message: String,
    pub custom_css: String,
    pub widget_size: WidgetSize,
    #[serde(default)]
    pub prechat: PrechatForm,
    /// One language for every visitor, or each visitor's browser's.
    #[serde(default)]
    pub language: WidgetLanguage,
    /// The admin's own welcome and offline texts per language (at most one per language).
    #[serde(default)]
    pub translations: Vec<WidgetTranslation>,
}

impl Default for WidgetSettings {
    fn default() -> Self {
        WidgetSettings {
            primary_color: "#2563eb".into(),
            position: WidgetPosition::BottomRight,
            welcome_message: "Hello! How can we help you today?".into(),
            business_hours: BusinessHours::default(),
            offline_message: "We are currently offline. Leave a message and we will get back to you.".into(),
            custom_css: String::new(),
            widget_size: WidgetSize::Normal,
            prechat: PrechatForm::default(),
            language: WidgetLanguage::Auto,
            translations: Vec::new(),
        }
    }
}

/// `GET /api/widget/config` answer: the seed's fields plus whether the site is open now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WidgetConfig {
    pub website_id: String,
    pub primary_color: String,
    pub position: WidgetPosition,
    pub welcome_message: String,
    pub business_hours: BusinessHours,
    pub offline_message: String,
    pub custom_css: String,
    pub widget_size: WidgetSize,
    pub online: bool,
    /// The widget shows only once the page has handed it an identity token (`Helpdesk.identify`).
    #[serde(default)]
    pub identity_required: bool,
    /// Asked before a visitor's first message; absent when the website has no pre-chat form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prechat: Option<PrechatForm>,
    /// The language the widget speaks to this visitor (`en`, `de`, …; `welcomeMessage` and `offlineMessage` are in
    /// it when the website has them so), and its direction.
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub rtl: bool,
    /// The text color on `primaryColor` (see [`text_on`]).
    #[serde(default)]
    pub text_color: String,
    /// The widget's texts in that language, keyed by their English; empty for English.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub strings: std::collections::BTreeMap<String, String>,
}

/// `POST /api/widget/prechat` (with the visitor's token): the pre-chat form's answers, checked against the
/// website's form. The question is not here: the widget sends it as the chat's first message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PrechatAnswers {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// The visitor ticked the consent checkbox.
    #[serde(default)]
    pub consent: bool,
}

/// What a visitor agreed to in the pre-chat form, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VisitorConsent {
    pub text: String,
    pub at: String,
}

/// A user as the users page and `GET /api/users` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ManagedUser {
    /// Whether the caller manages this user (name, role, activation, password). An admin also sees the agents who
    /// work on their websites, and may change only those memberships.
    pub can_manage: bool,
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub is_active: bool,
    pub website_ids: Vec<String>,
    pub last_login_at: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserForCreate {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    #[serde(default)]
    pub website_ids: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserForUpdate {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    /// Replaces the user's website assignments.
    pub website_ids: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PasswordReset {
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    pub id: String,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// JSON text of the details, if any.
    pub metadata: Option<String>,
    pub ip_address: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct ActivityFilter {
    pub user_id: Option<String>,
    pub action: Option<String>,
    pub resource_type: Option<String>,
    /// `YYYY-MM-DD`, inclusive, UTC.
    pub from: Option<String>,
    pub to: Option<String>,
    /// 1-based.
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

// ---------------------------------------------------------------------------------------------------------------
// Realtime (the WebSocket hub). Documented in docs/protocol.md.
// ---------------------------------------------------------------------------------------------------------------

/// Version of the socket protocol, sent in `hello`.
pub const PROTOCOL_VERSION: u32 = 1;

/// The WebSocket subprotocol every token-carrying client offers, and the one the server picks. Tokens never go in
/// the URL (proxies log URLs): they are offered beside it, prefixed with [`AGENT_TOKEN_PROTOCOL`] or
/// [`VISITOR_TOKEN_PROTOCOL`].
pub const SUBPROTOCOL: &str = "helpdesk.v1";
/// `helpdesk.token.<agent JWT>`.
pub const AGENT_TOKEN_PROTOCOL: &str = "helpdesk.token.";
/// `helpdesk.visitor-token.<visitor token>`.
pub const VISITOR_TOKEN_PROTOCOL: &str = "helpdesk.visitor-token.";

/// WebSocket close codes (`docs/protocol.md`): signed out or revoked (the dashboard goes to its sign-in page).
pub const CLOSE_SIGNED_OUT: u16 = 4001;
/// A visitor's website was deleted or deactivated, its key replaced or its domains changed: start again.
pub const CLOSE_WEBSITE_GONE: u16 = 4003;
/// The socket could not keep up: reconnect and resume.
pub const CLOSE_LAGGING: u16 = 4008;
/// Access changed while the socket was opening: connect again.
pub const CLOSE_RETRY: u16 = 4009;
/// The node is stopping (RFC 6455's "service restart"): reconnect, to another node, and resume.
pub const CLOSE_RESTARTING: u16 = 1012;

string_enum! {
    pub enum SenderType {
        /// An agent or admin (the seed's name).
        Admin = "admin",
        Visitor = "visitor",
        System = "system",
    }
}

string_enum! {
    /// What a message carries: text, or a file (`image` when it is a picture the widget can show); or an agent's
    /// internal `note`, which only agents ever see.
    pub enum MessageKind {
        Text = "text",
        Image = "image",
        File = "file",
        Note = "note",
    }
}

string_enum! {
    pub enum ChatStatus {
        Waiting = "waiting",
        Ongoing = "ongoing",
        Closed = "closed",
        Resolved = "resolved",
        /// Left through the widget's offline form (outside business hours): the visitor expects an answer by email.
        Offline = "offline",
    }
}

/// A stored chat message. `seq` orders messages within their chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub id: String,
    pub chat_id: String,
    pub seq: i64,
    pub sender_type: SenderType,
    pub sender_id: Option<String>,
    pub content: String,
    #[serde(rename = "type")]
    pub kind: MessageKind,
    pub client_msg_id: Option<String>,
    pub created_at: String,
    /// For `file` and `image` messages: the stored file (`content` is then its name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
}

/// A file sent in a chat. Fetch it from `/api/attachments/{id}` (and `/thumbnail` when `thumbnail` is true) as a
/// participant of the chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub thumbnail: bool,
}

/// The widget's offline form: `POST /api/widget/offline?apiKey=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OfflineMessage {
    #[serde(default)]
    pub visitor_token: Option<String>,
    /// As in a session: the website's signed token for its signed-in customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_token: Option<String>,
    pub name: String,
    pub email: String,
    pub message: String,
}

/// A chat as lists and events show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatSummary {
    pub id: String,
    pub website_id: String,
    pub visitor_id: String,
    pub assigned_to: Option<String>,
    pub status: ChatStatus,
    pub resolution: Option<String>,
    pub last_seq: i64,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub updated_at: String,
    /// In the inbox list and REST reads of an agent: the last seq that agent has read in this chat (0 for none), so
    /// `lastSeq - readSeq` messages are unread. Absent in events, which go to every agent alike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_seq: Option<i64>,
    /// The ids of the website's labels on this chat.
    #[serde(default)]
    pub labels: Vec<String>,
    /// The name the visitor gave (offline form, pre-chat form, an agent's edit), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_name: Option<String>,
    /// The chat's last message, for the inbox row (absent in events that do not know it: keep what was known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<MessagePreview>,
    /// How far the visitor has seen the chat (0 for not at all): agents' replies up to it were read.
    #[serde(default)]
    pub visitor_read_seq: i64,
}

/// The start of a chat's last message, as an inbox row shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MessagePreview {
    pub seq: i64,
    pub sender_type: SenderType,
    #[serde(rename = "type")]
    pub kind: MessageKind,
    /// At most [`PREVIEW_CHARS`] characters of the text (a file's name).
    pub text: String,
    pub created_at: String,
}

/// How much of a message an inbox row shows.
pub const PREVIEW_CHARS: usize = 120;

impl MessagePreview {
    pub fn of(message: &ChatMessage) -> MessagePreview {
        MessagePreview {
            seq: message.seq,
            sender_type: message.sender_type,
            kind: message.kind,
            text: message.content.chars().take(PREVIEW_CHARS).collect(),
            created_at: message.created_at.clone(),
        }
    }
}

/// A label agents put on chats to find them again; each website has its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Label {
    pub id: String,
    pub website_id: String,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// `POST /api/labels` (those who manage the website).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LabelForCreate {
    pub website_id: String,
    /// 1–50 characters, unique within the website whatever the case.
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// `PATCH /api/labels/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LabelForUpdate {
    pub name: Option<String>,
    pub color: Option<String>,
}

/// `PATCH /api/chats/{id}/labels`: labels of the chat's website to add and to remove.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatLabelsUpdate {
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

impl ChatSummary {
    /// What the chat's visitor may be told of it.
    pub fn for_visitor(&self) -> VisitorChat {
        VisitorChat {
            id: self.id.clone(),
            status: self.status,
            last_seq: self.last_seq,
            started_at: self.started_at.clone(),
            ended_at: self.ended_at.clone(),
        }
    }
}

/// A chat as its visitor sees it: what the widget needs, nothing agents keep for each other (the assignee, the
/// resolution note).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitorChat {
    pub id: String,
    pub status: ChatStatus,
    pub last_seq: i64,
    pub started_at: String,
    pub ended_at: Option<String>,
}

/// The chat of a `chat-created` or `chat-updated` event: agents get the whole summary, the chat's visitor their
/// view of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChatView {
    Agent(Box<ChatSummary>),
    Visitor(VisitorChat),
}

/// What a client sends on the socket: `{"type": "chat-message", ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum ClientEvent {
    /// Agents: follow a website's chats and visitors.
    JoinWebsite {
        website_id: String,
    },
    /// Send a message. Visitors may omit `chatId` (their open chat, created if needed). Agents set `note` for an
    /// internal note: stored in the chat like a message, heard only by agents.
    ChatMessage {
        chat_id: Option<String>,
        client_msg_id: Option<String>,
        content: String,
        #[serde(default, skip_serializing_if = "is_false")]
        note: bool,
    },
    /// Visitors may send what they have typed so far (`text`, at most [`MAX_TYPING_PREVIEW`] characters, sent
    /// again as it changes, at most about once a second): the agents see it when the website allows it.
    TypingStart {
        chat_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    TypingStop {
        chat_id: Option<String>,
    },
    /// After (re)connecting: the last seq seen per chat; the server sends exactly what is missing, in order (to a
    /// visitor, then a `read` telling how far agents have read each chat).
    Resume {
        chats: std::collections::BTreeMap<String, i64>,
    },
    /// Agents: they have read the chat up to `seq` (kept per agent, for their unread counts; the visitor hears that
    /// their messages were read). Visitors: they have seen the chat up to `seq` (the agents hear it).
    Read {
        chat_id: String,
        seq: i64,
    },
    /// Visitors: the page they are on.
    PageView {
        url: String,
        title: Option<String>,
    },
    Ping,
}

fn online() -> Availability {
    Availability::Online
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What the server sends on the socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum ServerEvent {
    Hello {
        v: u32,
        role: String,
        user_id: Option<String>,
        visitor_id: Option<String>,
        /// A visitor's own chats (empty for agents).
        chats: Vec<VisitorChat>,
    },
    Joined {
        website_id: String,
    },
    /// Agents: the socket no longer follows this website (the agent was removed from it, or it was deleted).
    LeftWebsite {
        website_id: String,
    },
    /// The sender's message is stored with this seq.
    Ack {
        client_msg_id: Option<String>,
        chat_id: String,
        seq: i64,
        message_id: String,
    },
    NewMessage {
        chat_id: String,
        message: ChatMessage,
    },
    UserTyping {
        chat_id: String,
        sender_type: SenderType,
        /// Agents, from a visitor on a website that allows it: what the visitor has typed so far.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preview: Option<String>,
    },
    /// The other side has read the chat: agents hear the visitor has seen it up to `seq` (`senderType` visitor);
    /// the visitor hears that agents have read it up to at least `seq`, the seq of the visitor's own last message
    /// they have read (`senderType` admin).
    Read {
        chat_id: String,
        seq: i64,
        sender_type: SenderType,
    },
    UserStoppedTyping {
        chat_id: String,
        sender_type: SenderType,
    },
    ChatCreated {
        chat: ChatView,
    },
    ChatUpdated {
        chat: ChatView,
    },
    VisitorOnline {
        website_id: String,
        visitor_id: String,
    },
    VisitorOffline {
        website_id: String,
        visitor_id: String,
    },
    VisitorPage {
        website_id: String,
        visitor_id: String,
        url: String,
        title: Option<String>,
    },
    /// Agents: someone who works on this website opened the dashboard (their first socket).
    AgentOnline {
        website_id: String,
        user_id: String,
        name: String,
        /// What they chose (online unless said otherwise).
        #[serde(default = "online")]
        status: Availability,
    },
    /// A visitor: their chat waits for an agent (auto routing), `position` in the queue (1 is next); 0 once an agent
    /// has it.
    Queue {
        chat_id: String,
        position: u32,
    },
    /// Agents: someone who works on this website, with the dashboard open, changed their availability.
    AgentStatus {
        website_id: String,
        user_id: String,
        status: Availability,
    },
    /// Agents: their last socket closed.
    AgentOffline {
        website_id: String,
        user_id: String,
    },
    Error {
        code: String,
        message: String,
        /// For `rate_limited`: seconds until the event may be sent again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
        /// For a refused `chat-message`: its `clientMsgId`, so the client knows which message was not stored.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<String>,
    },
    Pong,
}

#[cfg(test)]
mod event_tests {
    use super::*;

    #[test]
    fn events_use_the_seed_names_and_camel_case_fields() {
        let json = serde_json::to_value(ClientEvent::ChatMessage {
            chat_id: Some("c".into()),
            client_msg_id: Some("m1".into()),
            content: "hi".into(),
            note: false,
        })
        .expect("json");
        assert_eq!(
            json,
            serde_json::json!({ "type": "chat-message", "chatId": "c", "clientMsgId": "m1", "content": "hi" })
        );
        let typing = serde_json::to_value(ServerEvent::UserStoppedTyping {
            chat_id: "c".into(),
            sender_type: SenderType::Admin,
        })
        .expect("json");
        assert_eq!(typing["type"], "user-stopped-typing");
        assert_eq!(typing["senderType"], "admin");
        let parsed: ClientEvent = serde_json::from_str(r#"{"type":"join-website","websiteId":"w"}"#).expect("parse");
        assert_eq!(parsed, ClientEvent::JoinWebsite { website_id: "w".into() });
    }

    #[test]
    fn visitors_get_a_chat_without_what_agents_keep_for_each_other() {
        let summary = ChatSummary {
            id: "c".into(),
            website_id: "w".into(),
            visitor_id: "v".into(),
            assigned_to: Some("agent-1".into()),
            status: ChatStatus::Resolved,
            resolution: Some("refunded; customer was rude".into()),
            last_seq: 3,
            started_at: "2026-01-01T00:00:00.000Z".into(),
            ended_at: None,
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            read_seq: None,
            labels: vec!["label-vip".into()],
            visitor_name: Some("Zoé".into()),
            last_message: None,
            visitor_read_seq: 2,
        };
        let visitor = ServerEvent::ChatUpdated { chat: ChatView::Visitor(summary.for_visitor()) };
        let json = serde_json::to_string(&visitor).expect("json");
        for hidden in ["agent-1", "refunded", "assignedTo", "resolution", "websiteId", "visitorId", "label-vip", "Zoé"]
        {
            assert!(!json.contains(hidden), "{hidden} in {json}");
        }
        assert!(json.contains(r#""status":"resolved""#), "{json}");
        // Each side reads back what it was sent.
        let agent = ServerEvent::ChatUpdated { chat: ChatView::Agent(Box::new(summary.clone())) };
        let back: ServerEvent = serde_json::from_str(&serde_json::to_string(&agent).expect("json")).expect("parse");
        assert_eq!(back, agent);
        let back: ServerEvent = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, visitor);
    }
}

/// Filters of the inbox and `GET /api/chats`. Chats come open ones first (waiting, ongoing, offline, then closed
/// and resolved), newest first within each, a page at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatFilter {
    pub website_id: Option<String>,
    /// waiting, ongoing, offline, closed or resolved; `open` for the first three, `ended` for the last two.
    pub status: Option<String>,
    /// A user id, `me` for the caller, or `none` for unassigned chats.
    pub assignee: Option<String>,
    /// A label's id: only chats carrying it.
    #[serde(default)]
    pub label: Option<String>,
    /// 1-based; the first page unless given.
    #[serde(default)]
    pub page: Option<u64>,
    /// 100 unless given; at most 500.
    #[serde(default)]
    pub per_page: Option<u64>,
}

/// A search over message text and the visitor's name and email (`GET /api/search`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    /// Words to find (every word, each also as the start of a longer word); words under
    /// [`SEARCH_MIN_WORD`] characters are left out. At most [`SEARCH_MAX_LEN`] characters.
    pub q: String,
    /// Only this website's chats.
    #[serde(default)]
    pub website_id: Option<String>,
    /// 1-based; the first page unless given. Later pages hold older messages.
    #[serde(default)]
    pub page: Option<u64>,
}

/// The shortest word a search looks for (MariaDB's FULLTEXT indexes no shorter words; SQLite's search does the same).
pub const SEARCH_MIN_WORD: usize = 3;
/// The longest search text.
pub const SEARCH_MAX_LEN: usize = 200;
/// Message hits on a search page.
pub const SEARCH_PAGE: u64 = 20;

/// What a search hit matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum SearchField {
    /// A message's (or an internal note's) text.
    Message,
    /// The visitor's name or email.
    Visitor,
}

/// One hit: the chat it belongs to and the words found, in context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub chat: ChatSummary,
    pub field: SearchField,
    /// The message's seq in the chat (message hits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// Who wrote the message (message hits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_type: Option<SenderType>,
    /// The message is an internal note.
    #[serde(default)]
    pub note: bool,
    /// When the message was written (message hits) or the chat started (visitor hits).
    pub at: String,
    /// The text around the words found, in parts; `hit` parts are the words.
    pub snippet: Vec<SnippetPart>,
}

/// A piece of a search snippet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SnippetPart {
    pub text: String,
    #[serde(default)]
    pub hit: bool,
}

/// A page of search hits: on the first page the visitors whose name or email matched (their latest chat each),
/// then messages newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Another page of older message hits exists.
    pub more: bool,
}

/// The words a search looks for: lower case, split where the databases' tokenizers split (anything not a letter
/// or digit), at least [`SEARCH_MIN_WORD`] characters, each once, at most 8.
pub fn search_words(q: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in q.split(|c: char| !c.is_alphanumeric()) {
        if word.chars().count() < SEARCH_MIN_WORD {
            continue;
        }
        let word = word.to_lowercase();
        if !words.contains(&word) {
            words.push(word);
        }
        if words.len() == 8 {
            break;
        }
    }
    words
}

/// `text` cut to about `width` characters around the first of `words` it holds (each word of the text that starts
/// with one of them is a hit), with "…" where it was cut.
pub fn snippet(text: &str, words: &[String], width: usize) -> Vec<SnippetPart> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    // Hit ranges, as char positions.
    let mut hits: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].1.is_alphanumeric() {
            i += 1;
        }
        let word: String = chars[start..i].iter().map(|(_, c)| *c).collect::<String>().to_lowercase();
        if words.iter().any(|w| word.starts_with(w.as_str())) {
            hits.push((start, i));
        }
    }
    let (mut from, mut to) = (0, chars.len());
    if chars.len() > width {
        let first = hits.first().map(|h| h.0).unwrap_or(0);
        from = first.saturating_sub(width / 3);
        // Start at a word.
        while from > 0 && from < first && chars[from - 1].1.is_alphanumeric() {
            from += 1;
        }
        to = (from + width).min(chars.len());
        from = to.saturating_sub(width).min(from);
    }
    let byte = |c: usize| chars.get(c).map(|(b, _)| *b).unwrap_or(text.len());
    let mut parts = Vec::new();
    let mut push = |text: &str, hit: bool| {
        if !text.is_empty() {
            parts.push(SnippetPart { text: text.to_string(), hit });
        }
    };
    if from > 0 {
        push("…", false);
    }
    let mut at = from;
    for (s, e) in hits.into_iter().filter(|(s, e)| *e > from && *s < to) {
        let (s, e) = (s.max(from), e.min(to));
        push(&text[byte(at)..byte(s)], false);
        push(&text[byte(s)..byte(e)], true);
        at = e;
    }
    push(&text[byte(at)..byte(to)], false);
    if to < chars.len() {
        push("…", false);
    }
    parts
}

/// How many chats each inbox view holds (`GET /api/chats/counts`): open chats (waiting, ongoing, offline) mine,
/// unassigned and all; chats by status; open chats by label id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InboxCounts {
    pub mine: u64,
    pub unassigned: u64,
    pub open: u64,
    pub by_status: std::collections::BTreeMap<String, u64>,
    pub by_label: std::collections::BTreeMap<String, u64>,
}

/// Chats per inbox page (`ChatFilter::per_page`) unless asked otherwise, and at most.
pub const INBOX_PAGE: u64 = 100;
pub const MAX_INBOX_PAGE: u64 = 500;

/// Everything the conversation page shows: the chat (read up to its last message by opening it), its latest
/// messages (earlier ones are fetched page by page), the visitor, and who may be assigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatDetail {
    pub chat: ChatSummary,
    pub website_name: String,
    /// The latest messages, in seq order.
    pub messages: Vec<ChatMessage>,
    /// Whether messages before the first of `messages` exist.
    pub has_earlier: bool,
    pub visitor: VisitorInfo,
    pub assignees: Vec<UserView>,
    /// The visitor's rating, once they gave one after the chat ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<ChatRating>,
}

/// The longest comment a rating may carry, in characters.
pub const MAX_RATING_COMMENT: usize = 1000;

/// `POST /api/widget/rating` (with the visitor's token): the visitor rates one of their chats once it has ended,
/// 1 to 5, with an optional comment; rating again replaces it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatRatingForCreate {
    pub chat_id: String,
    pub rating: i32,
    #[serde(default)]
    pub comment: Option<String>,
}

/// A chat's rating (CSAT) as agents see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatRating {
    pub chat_id: String,
    /// 1 to 5.
    pub rating: i32,
    pub comment: Option<String>,
    /// The agent the chat was assigned to when it was rated.
    pub agent_id: Option<String>,
    pub at: String,
}

/// `PATCH /api/chats/{id}`: accept or assign (`assignedTo`, empty to unassign), close or resolve with a resolution,
/// with an internal note if wanted. Each change is said in the chat as a system line ("Anna resolved the chat").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatForUpdate {
    pub status: Option<ChatStatus>,
    pub assigned_to: Option<String>,
    pub resolution: Option<String>,
    /// An internal note stored with the change (a transfer's reason, say): only agents see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The visitor panel of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitorInfo {
    pub id: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// The browser and its version, read from the User-Agent ("Chrome 131.0.0.0"), when it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    /// The operating system ("Windows 10", "Mac OSX 10.15.7", "Android 14"), when it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    pub country: Option<String>,
    /// From the offline form, an agent, or a verified identity token.
    pub name: Option<String>,
    pub email: Option<String>,
    /// The website's own id for this signed-in customer, from a verified identity token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The pre-chat form's consent checkbox, when the visitor ticked one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<VisitorConsent>,
    pub first_seen: String,
    pub last_seen: String,
    pub online: bool,
    /// Pages viewed, newest first.
    pub pages: Vec<PageVisit>,
    pub past_chats: Vec<ChatSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageVisit {
    pub url: String,
    pub title: Option<String>,
    pub at: String,
}

/// A canned response: a reply agents insert by its shortcut (typing `/` and the shortcut in the composer). Shared
/// ones belong to a website (those who manage it keep them, everyone who works on it uses them); personal ones to
/// their author, on every website. `content` may use the variables [`fill_canned`] fills.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CannedResponse {
    pub id: String,
    /// The website it is shared on; none for a personal one.
    pub website_id: Option<String>,
    pub personal: bool,
    pub shortcut: String,
    pub content: String,
    /// Whether the caller may change or delete it.
    pub can_edit: bool,
    pub updated_at: String,
}

/// `POST /api/canned-responses`: shared on `websiteId` (for those who manage it), or personal without it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CannedResponseForCreate {
    #[serde(default)]
    pub website_id: Option<String>,
    /// 1–32 letters, digits, `-` or `_`; stored in lower case, unique among the owner's.
    pub shortcut: String,
    pub content: String,
}

/// `PATCH /api/canned-responses/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CannedResponseForUpdate {
    pub shortcut: Option<String>,
    pub content: Option<String>,
}

/// What a canned response's variables stand for in one conversation.
#[derive(Clone, Copy, Debug, Default)]
pub struct CannedVars<'a> {
    pub visitor_name: Option<&'a str>,
    pub visitor_email: Option<&'a str>,
    pub agent_name: &'a str,
    pub website_name: &'a str,
}

/// The variables a canned response may use, for the editor's help text.
pub const CANNED_VARIABLES: &[&str] = &["{{visitor.name}}", "{{visitor.email}}", "{{agent.name}}", "{{website.name}}"];

/// Fills a canned response's variables: `{{visitor.name}}` (or "there" when the visitor gave no name, so "Hi
/// {{visitor.name}}" still reads well), `{{visitor.email}}`, `{{agent.name}}`, `{{website.name}}`. Anything else in
/// braces is left as written.
pub fn fill_canned(template: &str, vars: &CannedVars<'_>) -> String {
    let visitor_name = vars.visitor_name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or("there");
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let value = match after[..end].trim() {
            "visitor.name" => Some(visitor_name),
            "visitor.email" => Some(vars.visitor_email.unwrap_or_default()),
            "agent.name" => Some(vars.agent_name),
            "website.name" => Some(vars.website_name),
            _ => None,
        };
        match value {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod canned_tests {
    use super::*;

    #[test]
    fn variables_are_filled_and_the_rest_is_left_alone() {
        let vars =
            CannedVars { visitor_name: Some("Zoé"), visitor_email: None, agent_name: "Anna", website_name: "Shop" };
        assert_eq!(
            fill_canned("Hi {{visitor.name}}, {{ agent.name }} from {{website.name}} here.", &vars),
            "Hi Zoé, Anna from Shop here."
        );
        assert_eq!(fill_canned("{{unknown}} {{visitor.email}}|", &vars), "{{unknown}} |");
        assert_eq!(fill_canned("open {{visitor.name", &vars), "open {{visitor.name");
        let nameless = CannedVars { visitor_name: Some("  "), ..vars };
        assert_eq!(fill_canned("Hi {{visitor.name}}!", &nameless), "Hi there!");
        assert_eq!(fill_canned("", &vars), "");
    }
}

/// `PATCH /api/visitors/{id}`: an agent corrects the visitor's name or email (an empty string clears it). Answered
/// with the visitor's contact as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VisitorContact {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[cfg(test)]
mod search_tests {
    use super::*;

    fn joined(parts: &[SnippetPart]) -> String {
        parts.iter().map(|p| if p.hit { format!("[{}]", p.text) } else { p.text.clone() }).collect()
    }

    #[test]
    fn words_are_split_lowered_and_short_ones_left_out() {
        assert_eq!(search_words("Anna.Berg@Example.com, ok? ORDER order"), ["anna", "berg", "example", "com", "order"]);
        assert!(search_words("a an ok ?!").is_empty());
        assert_eq!(search_words("Zoé café"), ["zoé", "café"]);
        assert_eq!(search_words("one two three four five six seven eight nine ten").len(), 8);
    }

    #[test]
    fn a_snippet_marks_each_word_that_starts_with_a_search_word() {
        let words = search_words("order");
        assert_eq!(
            joined(&snippet("Where is my Order? Orders ship daily.", &words, 160)),
            "Where is my [Order]? [Orders] ship daily."
        );
        assert_eq!(joined(&snippet("reorder nothing", &words, 160)), "reorder nothing");
        assert_eq!(joined(&snippet("", &words, 160)), "");
    }

    #[test]
    fn a_long_text_is_cut_around_the_first_hit_at_a_word() {
        let text = format!("{} the refund arrived {}", "lorem ipsum ".repeat(20), "dolor sit ".repeat(20));
        let parts = snippet(&text, &search_words("refund"), 60);
        let s = joined(&parts);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("[refund]"), "{s}");
        assert!(s.chars().count() <= 60 + 4, "{s}");
        // The cut falls between words.
        assert!(s[3..].starts_with("ipsum") || s[3..].starts_with("lorem") || s[3..].starts_with("the"), "{s}");
        // A hit near the end keeps the end of the text.
        let tail = snippet(&format!("{}refund", "x ".repeat(100)), &search_words("refund"), 40);
        assert_eq!(tail.last().map(|p| (p.text.as_str(), p.hit)), Some(("refund", true)));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------------------------------

string_enum! {
    /// Why an email was sent: a visitor's offline message, a chat left waiting (to the website's team), or a chat's
    /// transcript (to its visitor, or where an agent sent it).
    pub enum EmailKind {
        Offline = "offline",
        Missed = "missed",
        Transcript = "transcript",
    }
}

string_enum! {
    /// Where an email is: waiting for its (next) try, being sent, sent, or failed for good.
    pub enum EmailStatus {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
    }
}

impl EmailStatus {
    pub fn label(self) -> &'static str {
        match self {
            EmailStatus::Pending => "Waiting",
            EmailStatus::Sending => "Sending",
            EmailStatus::Sent => "Sent",
            EmailStatus::Failed => "Failed",
        }
    }
}

impl EmailKind {
    pub fn label(self) -> &'static str {
        match self {
            EmailKind::Offline => "Offline message",
            EmailKind::Missed => "Missed chat",
            EmailKind::Transcript => "Transcript",
        }
    }
}

/// Longest a website may let a chat wait before its team is emailed (minutes; 0 never emails).
pub const MAX_MISSED_CHAT_MINUTES: u16 = 1440;

/// Longest a website may keep ended chats before the retention sweep deletes them (days; 0 keeps them for ever).
pub const MAX_RETENTION_DAYS: u16 = 3650;

/// `DELETE /api/visitors/{id}` answer: what was erased with the visitor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VisitorErased {
    pub chats: u64,
    pub messages: u64,
    /// Uploaded files deleted from disk (thumbnails not counted).
    pub files: u64,
    pub pages: u64,
}

/// One email in the outbox, as admins see it (the body stays on the server).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Email {
    pub id: String,
    pub kind: EmailKind,
    pub website_id: Option<String>,
    pub chat_id: Option<String>,
    pub recipient: String,
    pub subject: String,
    pub status: EmailStatus,
    /// Tries so far.
    pub attempts: u16,
    /// What the SMTP server (or the connection) said on the last failed try.
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// When a waiting email is tried next.
    pub next_attempt_at: Option<String>,
}

/// `GET /api/emails`: whether this server sends email, and the newest emails of the caller's websites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EmailOverview {
    /// `HELPDESK_SMTP_URL` is set.
    pub configured: bool,
    /// The `From` address.
    pub sender: Option<String>,
    /// The SMTP server's host and port.
    pub server: Option<String>,
    /// Emails that failed for good, in all.
    pub failed: u64,
    pub emails: Vec<Email>,
}

/// `POST /api/chats/{id}/transcript`: where to send it (the visitor's address when left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TranscriptRequest {
    #[serde(default)]
    pub email: Option<String>,
}

/// The answer: false when the same transcript was already queued to that address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TranscriptQueued {
    pub queued: bool,
}

/// `POST /api/widget/transcript`: a visitor asks for their chat's transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VisitorTranscriptRequest {
    pub chat_id: String,
    pub email: String,
}

string_enum! {
    /// What a webhook can be told of. `ping` is the dashboard's "Send a test", never subscribed to.
    pub enum WebhookEvent {
        ChatCreated = "chat.created",
        MessageCreated = "message.created",
        ChatResolved = "chat.resolved",
        OfflineMessage = "offline.message",
        ChatRated = "chat.rated",
        Ping = "ping",
    }
}

impl WebhookEvent {
    /// The events a subscription may name.
    pub const SUBSCRIBABLE: &'static [WebhookEvent] = &[
        WebhookEvent::ChatCreated,
        WebhookEvent::MessageCreated,
        WebhookEvent::ChatResolved,
        WebhookEvent::OfflineMessage,
        WebhookEvent::ChatRated,
    ];

    pub fn label(self) -> &'static str {
        match self {
            WebhookEvent::ChatCreated => "A chat starts",
            WebhookEvent::MessageCreated => "A message is sent (not internal notes)",
            WebhookEvent::ChatResolved => "A chat is resolved",
            WebhookEvent::OfflineMessage => "An offline message is left",
            WebhookEvent::ChatRated => "A visitor rates a chat (CSAT)",
            WebhookEvent::Ping => "Test",
        }
    }
}

/// The longest webhook URL accepted.
pub const MAX_WEBHOOK_URL_LEN: usize = 2000;
/// Webhooks one website may have.
pub const MAX_WEBHOOKS_PER_WEBSITE: u64 = 10;

/// A website's subscription: where its events are POSTed, signed with `secret` (HMAC-SHA256).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: String,
    pub website_id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub is_active: bool,
    /// The signing key (`whsec_…`); the receiver keeps a copy to check `X-Helpdesk-Signature`.
    pub secret: String,
    pub created_at: String,
}

/// `POST /api/websites/{id}/webhooks`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookForCreate {
    /// `https://…` (or `http://…`); private and loopback addresses are refused unless the server allows them.
    pub url: String,
    /// At least one of the subscribable events.
    pub events: Vec<WebhookEvent>,
}

/// `PATCH /api/webhooks/{id}`: only what is given changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookForUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<WebhookEvent>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

/// One POST of one event to one webhook, as the delivery log shows it (status as in the email outbox).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    pub id: String,
    pub webhook_id: String,
    pub website_id: String,
    pub url: String,
    pub event: WebhookEvent,
    pub status: EmailStatus,
    /// Tries so far.
    pub attempts: u16,
    /// The receiver's HTTP status on the last try, if it answered.
    pub response_status: Option<u16>,
    /// Why the last try failed (the status line, or the connection's error).
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    /// When a waiting delivery is tried next.
    pub next_attempt_at: Option<String>,
}

/// `GET /api/webhook-deliveries`: the newest deliveries of the caller's websites, and how many failed for good.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookDeliveries {
    pub failed: u64,
    pub deliveries: Vec<WebhookDelivery>,
}
