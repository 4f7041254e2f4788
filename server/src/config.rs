//! Typed configuration from the environment (and `.env`, loaded by `main`). Every variable is listed in
//! `.env.example` and the README.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use leptos::config::{Env, LeptosOptions};
use rand::RngCore;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {message}")]
    Invalid { name: &'static str, message: String },
    #[error("JWT secret file {path}: {source}")]
    SecretFile { path: PathBuf, source: std::io::Error },
}

#[derive(Clone)]
pub struct Config {
    /// `sqlite://…` (default: a file under `data_dir`) or `mysql://…`.
    pub database_url: String,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// HS256 key for agent and visitor tokens.
    pub jwt_secret: Vec<u8>,
    pub token_ttl: Duration,
    /// Send the session cookie with `Secure` (set when served over HTTPS).
    pub cookie_secure: bool,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// Where browsers reach Helpdesk; used in embed codes.
    pub public_url: String,
    /// Header set by a trusted proxy with the client's country code; unset means none is trusted.
    pub country_header: Option<String>,
    /// Redis for several nodes, and the prefix of its keys.
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// How long an agent may be gone before auto routing gives their chats back to the queue.
    pub routing_grace: Duration,
    /// Widget requests allowed per client IP per `widget_requests_window` (the seed's 100 per 15 minutes); 0 turns
    /// the limit off.
    pub widget_requests_max: u32,
    pub widget_requests_window: Duration,
    /// Messages a visitor may send a minute (the seed's 30); 0 turns the limit off.
    pub visitor_messages_per_min: u32,
    /// New WebSockets a client IP may open a minute; 0 turns the limit off.
    pub sockets_per_ip_per_min: u32,
    /// Chat attachments are stored here (default: `uploads` under `data_dir`).
    pub upload_dir: PathBuf,
    /// Largest attachment accepted, in bytes (10 MB unless set).
    pub upload_max_bytes: usize,
    /// The built widget (`scripts/build-widget.sh`), served under `/widget`: `<site root>/widget` unless set.
    pub widget_dir: PathBuf,
    /// Where browsers fetch the widget's hashed chat files (a CDN in front of this server); this server when unset.
    pub asset_url: Option<String>,
    /// Bearer token for `/metrics` (off when unset).
    pub metrics_token: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none unless set).
    pub trusted_proxies: crate::middleware::client_addr::TrustedProxies,
    /// On SIGTERM: how long open sockets and requests get to finish before the process exits.
    pub drain: Duration,
    /// The SMTP server and sender (`None`: no email).
    pub mail: Option<domain::mail::MailSettings>,
    /// Where webhooks may go, and how soon they are retried.
    pub webhooks: domain::webhooks::WebhookSettings,
    pub leptos: LeptosOptions,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("token_ttl", &self.token_ttl)
            .field("cookie_secure", &self.cookie_secure)
            .field("admin_email", &self.admin_email)
            .finish_non_exhaustive()
    }
}

pub const MIN_SECRET_LEN: usize = 32;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads configuration through `var`, so tests can pass their own variables.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let data_dir = PathBuf::from(var("HELPDESK_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = var("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("helpdesk.db").display()));
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("mysql:")) {
            return Err(invalid("DATABASE_URL", "use a sqlite:// or mysql:// URL"));
        }
        // Several nodes share one database server; SQLite is one process's file, and two nodes writing it would
        // each believe they hand out a chat's seqs alone.
        let redis_url = var("REDIS_URL");
        if redis_url.is_some() && database_url.starts_with("sqlite:") {
            return Err(invalid(
                "REDIS_URL",
                "several nodes need a shared MySQL/MariaDB database (DATABASE_URL=mysql://…); with SQLite run one \
                 node and unset REDIS_URL",
            ));
        }
        if let Some(url) = &redis_url {
            if !(url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("redis+unix:")) {
                return Err(invalid("REDIS_URL", "use a redis:// URL"));
            }
        }
        let redis_prefix = var("HELPDESK_REDIS_PREFIX").unwrap_or_else(|| "helpdesk".into());
        if !redis_prefix.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            return Err(invalid("HELPDESK_REDIS_PREFIX", "use letters, digits, '-', '_' or '.'"));
        }
        let bind = var("HELPDESK_BIND")
            .or_else(|| var("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse::<SocketAddr>()
            .map_err(|e| invalid("HELPDESK_BIND", e))?;
        let jwt_secret = match either(&var, "HELPDESK_JWT_SECRET", "JWT_SECRET")? {
            Some((_, secret)) if secret.len() >= MIN_SECRET_LEN => secret.into_bytes(),
            Some((name, _)) => return Err(invalid(name, format!("use at least {MIN_SECRET_LEN} characters"))),
            None => load_or_create_secret(&data_dir.join("jwt-secret"))?,
        };
        let token_ttl = match var("HELPDESK_TOKEN_TTL_SECS") {
            Some(v) => match v.parse::<u64>() {
                Ok(secs) if (60..=30 * 24 * 3600).contains(&secs) => Duration::from_secs(secs),
                _ => return Err(invalid("HELPDESK_TOKEN_TTL_SECS", "use a number of seconds from 60 to 2592000")),
            },
            None => Duration::from_secs(12 * 3600),
        };
        let cookie_secure = match var("HELPDESK_COOKIE_SECURE").as_deref() {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(_) => return Err(invalid("HELPDESK_COOKIE_SECURE", "use true or false")),
        };
        let env = match var("LEPTOS_ENV").as_deref().map(str::to_ascii_uppercase).as_deref() {
            Some("DEV") => Env::DEV,
            _ => Env::PROD,
        };
        let reload_port = var("LEPTOS_RELOAD_PORT").and_then(|p| p.parse().ok()).unwrap_or(3001);
        let site_root = var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into());
        let widget_dir =
            var("HELPDESK_WIDGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(&site_root).join("widget"));
        // Content-hashed file names: what cargo-leptos says when it runs the server, else whether its list of
        // hashes is beside this binary (where Leptos reads it).
        let hash_files = match var("LEPTOS_HASH_FILES") {
            Some(v) => v.trim() == "true",
            None => std::env::current_exe()
                .ok()
                .and_then(|exe| Some(exe.parent()?.join("hash.txt").exists()))
                .unwrap_or(false),
        };
        let leptos = LeptosOptions::builder()
            .output_name(var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "helpdesk".into()))
            .site_root(site_root)
            .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".into()))
            .site_addr(bind)
            .reload_port(reload_port)
            .env(env)
            .hash_files(hash_files)
            .build();
        let public_url = match var("HELPDESK_PUBLIC_URL") {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_string()
            }
            Some(_) => return Err(invalid("HELPDESK_PUBLIC_URL", "use an http:// or https:// URL")),
            None if bind.ip().is_unspecified() => format!("http://127.0.0.1:{}", bind.port()),
            None => format!("http://{bind}"),
        };
        let country_header = match var("HELPDESK_COUNTRY_HEADER") {
            Some(h) if axum::http::HeaderName::from_bytes(h.trim().as_bytes()).is_ok() => Some(h.trim().to_string()),
            Some(_) => return Err(invalid("HELPDESK_COUNTRY_HEADER", "not a valid header name")),
            None => None,
        };
        let widget_requests_max =
            whole_number(either(&var, "HELPDESK_WIDGET_REQUESTS_PER_15MIN", "RATE_LIMIT_MAX")?, 100)?;
        let widget_requests_window = match var("RATE_LIMIT_WINDOW") {
            Some(v) => match v.trim().parse::<u64>() {
                Ok(ms) if (1_000..=24 * 3600 * 1000).contains(&ms) => Duration::from_millis(ms),
                _ => return Err(invalid("RATE_LIMIT_WINDOW", "use milliseconds from 1000 to 86400000")),
            },
            None => Duration::from_secs(15 * 60),
        };
        if widget_requests_window != Duration::from_secs(15 * 60) && var("HELPDESK_WIDGET_REQUESTS_PER_15MIN").is_some()
        {
            return Err(invalid(
                "RATE_LIMIT_WINDOW",
                "HELPDESK_WIDGET_REQUESTS_PER_15MIN counts per 15 minutes: use RATE_LIMIT_MAX with another window",
            ));
        }
        let named = |name: &'static str| var(name).map(|v| (name, v));
        let visitor_messages_per_min =
            whole_number(named("HELPDESK_VISITOR_MESSAGES_PER_MIN"), domain::limits::VISITOR_MESSAGES_PER_MIN)?;
        let sockets_per_ip_per_min =
            whole_number(named("HELPDESK_SOCKETS_PER_IP_PER_MIN"), domain::limits::SOCKETS_PER_IP_PER_MIN)?;
        let asset_url = var("HELPDESK_ASSET_URL").map(|u| u.trim().trim_end_matches('/').to_string());
        if let Some(url) = &asset_url {
            let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or_default();
            if host.is_empty() || host.contains(['/', '?', '#', ' ', '\'', '"']) {
                return Err(invalid("HELPDESK_ASSET_URL", "use an origin such as https://cdn.example.com"));
            }
        }
        let metrics_token = var("HELPDESK_METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|t| t.trim().len() < 16) {
            return Err(invalid("HELPDESK_METRICS_TOKEN", "use at least 16 characters"));
        }
        let mut trusted_proxies = Vec::new();
        for item in
            var("HELPDESK_TRUSTED_PROXIES").unwrap_or_default().split(',').map(str::trim).filter(|i| !i.is_empty())
        {
            let net =
                item.parse::<ipnet::IpNet>().or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
            match net {
                Ok(net) => trusted_proxies.push(net),
                Err(_) => {
                    return Err(invalid("HELPDESK_TRUSTED_PROXIES", "use IP addresses or CIDR ranges, comma-separated"))
                }
            }
        }
        let drain = match var("HELPDESK_DRAIN_SECS") {
            Some(v) => match v.trim().parse::<u64>() {
                Ok(secs) if secs <= 3600 => Duration::from_secs(secs),
                _ => return Err(invalid("HELPDESK_DRAIN_SECS", "use a whole number of seconds from 0 to 3600")),
            },
            None => DEFAULT_DRAIN,
        };
        let routing_grace = match var("HELPDESK_ROUTING_GRACE_SECS") {
            Some(v) => match v.trim().parse::<u64>() {
                Ok(secs) if (1..=86_400).contains(&secs) => Duration::from_secs(secs),
                _ => return Err(invalid("HELPDESK_ROUTING_GRACE_SECS", "use a number of seconds from 1 to 86400")),
            },
            None => Duration::from_secs(120),
        };
        let mail = mail_settings(&var)?;
        let webhooks = webhook_settings(&var)?;
        let upload_dir = var("HELPDESK_UPLOAD_DIR").map(PathBuf::from).unwrap_or_else(|| data_dir.join("uploads"));
        let upload_max_bytes = match var("HELPDESK_UPLOAD_MAX_MB") {
            Some(v) => match v.trim().parse::<usize>() {
                Ok(mb) if (1..=100).contains(&mb) => mb * 1024 * 1024,
                _ => return Err(invalid("HELPDESK_UPLOAD_MAX_MB", "use a whole number of megabytes from 1 to 100")),
            },
            None => domain::services::attachments::DEFAULT_MAX_BYTES,
        };
        Ok(Config {
            asset_url,
            metrics_token: metrics_token.map(|t| t.trim().to_string()),
            trusted_proxies: trusted_proxies.into(),
            drain,
            widget_dir,
            upload_dir,
            upload_max_bytes,
            widget_requests_max,
            widget_requests_window,
            visitor_messages_per_min,
            sockets_per_ip_per_min,
            country_header,
            redis_url,
            redis_prefix,
            routing_grace,
            mail,
            webhooks,
            public_url,
            database_url,
            bind,
            data_dir,
            jwt_secret,
            token_ttl,
            cookie_secure,
            admin_email: var("HELPDESK_ADMIN_EMAIL"),
            admin_password: var("HELPDESK_ADMIN_PASSWORD"),
            leptos,
        })
    }
}

impl Config {
    /// What the domain needs of this configuration.
    pub fn domain_settings(&self) -> domain::Settings {
        domain::Settings {
            database_url: self.database_url.clone(),
            jwt_secret: self.jwt_secret.clone(),
            token_ttl: self.token_ttl,
            cookie_secure: self.cookie_secure,
            public_url: self.public_url.clone(),
            admin_email: self.admin_email.clone(),
            admin_password: self.admin_password.clone(),
            upload_dir: self.upload_dir.clone(),
            upload_max_bytes: self.upload_max_bytes,
            visitor_messages_per_min: self.visitor_messages_per_min,
            sockets_per_ip_per_min: self.sockets_per_ip_per_min,
            widget_requests: (self.widget_requests_max, self.widget_requests_window),
            country_header: self
                .country_header
                .as_deref()
                .and_then(|h| http::HeaderName::from_bytes(h.as_bytes()).ok()),
            redis_url: self.redis_url.clone(),
            redis_prefix: self.redis_prefix.clone(),
            routing_grace: self.routing_grace,
            mail: self.mail.clone(),
            webhooks: self.webhooks.clone(),
        }
    }
}

/// `HELPDESK_SMTP_URL` with `HELPDESK_MAIL_FROM` (one without the other is refused), checked by building the
/// transport once, so a URL or sender lettre cannot use stops the server here rather than at the first email.
fn mail_settings(var: &impl Fn(&str) -> Option<String>) -> Result<Option<domain::mail::MailSettings>, ConfigError> {
    let retry_base = match var("HELPDESK_MAIL_RETRY_SECS") {
        Some(v) => match v.trim().parse::<u64>() {
            Ok(secs) if (1..=3600).contains(&secs) => Duration::from_secs(secs),
            _ => return Err(invalid("HELPDESK_MAIL_RETRY_SECS", "use a number of seconds from 1 to 3600")),
        },
        None => Duration::from_secs(30),
    };
    let settings = match (var("HELPDESK_SMTP_URL"), var("HELPDESK_MAIL_FROM")) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(invalid("HELPDESK_MAIL_FROM", "set the sender too, e.g. Helpdesk <help@example.com>"))
        }
        (None, Some(_)) => {
            return Err(invalid(
                "HELPDESK_SMTP_URL",
                "set the SMTP server too, e.g. smtp://user:pass@host:587?tls=required",
            ))
        }
        (Some(url), Some(from)) => {
            let url = url.trim().to_string();
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(invalid("HELPDESK_SMTP_URL", "use an smtp:// or smtps:// URL"));
            }
            domain::mail::MailSettings { smtp_url: url, from: from.trim().to_string(), retry_base }
        }
    };
    match domain::mail::Mailer::new(&settings) {
        Ok(_) => Ok(Some(settings)),
        Err(domain::mail::MailError::Url(e)) => Err(invalid("HELPDESK_SMTP_URL", e)),
        Err(domain::mail::MailError::From(e)) => Err(invalid("HELPDESK_MAIL_FROM", e)),
    }
}

/// `HELPDESK_WEBHOOKS_ALLOW_PRIVATE` (`true`/`false`, default false) and `HELPDESK_WEBHOOK_RETRY_SECS` (1–3600).
fn webhook_settings(var: &impl Fn(&str) -> Option<String>) -> Result<domain::webhooks::WebhookSettings, ConfigError> {
    let allow_private = match var("HELPDESK_WEBHOOKS_ALLOW_PRIVATE").as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(invalid("HELPDESK_WEBHOOKS_ALLOW_PRIVATE", "use true or false")),
    };
    let retry_base = match var("HELPDESK_WEBHOOK_RETRY_SECS") {
        Some(v) => match v.trim().parse::<u64>() {
            Ok(secs) if (1..=3600).contains(&secs) => Duration::from_secs(secs),
            _ => return Err(invalid("HELPDESK_WEBHOOK_RETRY_SECS", "use a number of seconds from 1 to 3600")),
        },
        None => Duration::from_secs(30),
    };
    Ok(domain::webhooks::WebhookSettings { allow_private, retry_base })
}

fn invalid(name: &'static str, message: impl ToString) -> ConfigError {
    ConfigError::Invalid { name, message: message.to_string() }
}

/// `name`, or the seed's name for the same setting (with the name it was found under); both set to different values
/// is refused rather than guessed.
fn either(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    alias: &'static str,
) -> Result<Option<(&'static str, String)>, ConfigError> {
    match (var(name), var(alias)) {
        (Some(a), Some(b)) if a.trim() != b.trim() => {
            Err(invalid(name, format!("{alias} is set too, to another value: set one of them")))
        }
        (Some(v), _) => Ok(Some((name, v))),
        (None, Some(v)) => Ok(Some((alias, v))),
        (None, None) => Ok(None),
    }
}

/// A limit: a whole number, 0 for none.
/// Long enough for every socket to finish what it is doing and for clients to hear "reconnect"; short enough for a
/// rolling restart.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(10);

fn whole_number(value: Option<(&'static str, String)>, default: u32) -> Result<u32, ConfigError> {
    match value {
        Some((name, v)) => v.trim().parse().map_err(|_| invalid(name, "use a whole number (0: no limit)")),
        None => Ok(default),
    }
}

/// The secret survives restarts (tokens stay valid) without anyone having to invent one; it is never a fixed
/// default. Created with owner-only permissions.
fn load_or_create_secret(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let err = |source| ConfigError::SecretFile { path: path.to_path_buf(), source };
    match std::fs::read_to_string(path) {
        Ok(s) if s.trim().len() >= MIN_SECRET_LEN => return Ok(s.trim().as_bytes().to_vec()),
        Ok(_) => {
            return Err(err(std::io::Error::new(std::io::ErrorKind::InvalidData, "secret too short; delete the file")))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    if let Some(parent) = path.parent() {
        domain::files::private_dir(parent).map_err(err)?;
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => std::io::Write::write_all(&mut file, secret.as_bytes()).map_err(err)?,
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return load_or_create_secret(path),
        Err(e) => return Err(err(e)),
    }
    tracing::info!(path = %path.display(), "generated a new JWT secret");
    Ok(secret.into_bytes())
}

/// `scheme://user:password@host/db` → `scheme://user:***@host/db`, for logs.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("helpdesk-config-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn defaults_to_sqlite_under_the_data_dir_and_generates_a_kept_secret() {
        let dir = temp_dir();
        let dir_s = dir.to_string_lossy().to_string();
        let first = config(&[("HELPDESK_DATA_DIR", &dir_s)]).expect("config");
        assert!(first.database_url.starts_with("sqlite://") && first.database_url.contains(&dir_s));
        assert_eq!(first.bind, "127.0.0.1:3000".parse().expect("addr"));
        assert!(first.jwt_secret.len() >= MIN_SECRET_LEN);
        let second = config(&[("HELPDESK_DATA_DIR", &dir_s)]).expect("config");
        assert_eq!(first.jwt_secret, second.jwt_secret, "the generated secret is kept");
        let other = config(&[("HELPDESK_DATA_DIR", &temp_dir().to_string_lossy())]).expect("config");
        assert_ne!(first.jwt_secret, other.jwt_secret, "never a fixed default");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("jwt-secret")).expect("file").permissions().mode();
            assert_eq!(mode & 0o077, 0, "secret file is private");
        }
    }

    #[test]
    fn webhooks_keep_off_private_addresses_unless_allowed() {
        let dir = temp_dir().to_string_lossy().to_string();
        let base = ("HELPDESK_DATA_DIR", dir.as_str());
        let default = config(&[base]).expect("config").webhooks;
        assert_eq!((default.allow_private, default.retry_base), (false, Duration::from_secs(30)));
        let allowed =
            config(&[base, ("HELPDESK_WEBHOOKS_ALLOW_PRIVATE", "true"), ("HELPDESK_WEBHOOK_RETRY_SECS", "5")])
                .expect("config")
                .webhooks;
        assert_eq!((allowed.allow_private, allowed.retry_base), (true, Duration::from_secs(5)));
        for (name, value) in [
            ("HELPDESK_WEBHOOKS_ALLOW_PRIVATE", "yes"),
            ("HELPDESK_WEBHOOK_RETRY_SECS", "0"),
            ("HELPDESK_WEBHOOK_RETRY_SECS", "soon"),
        ] {
            match config(&[base, (name, value)]) {
                Err(ConfigError::Invalid { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}={value} was not refused: {:?}", other.map(|c| c.webhooks)),
            }
        }
    }

    #[test]
    fn email_needs_a_server_and_a_sender_that_work() {
        let dir = temp_dir().to_string_lossy().to_string();
        let base = [("HELPDESK_DATA_DIR", dir.as_str())];
        assert!(config(&base).expect("config").mail.is_none(), "no email unless asked for");
        let url = ("HELPDESK_SMTP_URL", "smtp://ana:secret@mail.example.com:587?tls=required");
        let from = ("HELPDESK_MAIL_FROM", "Helpdesk <help@example.com>");
        let mail = config(&[base[0], url, from]).expect("config").mail.expect("mail");
        assert_eq!(mail.retry_base, Duration::from_secs(30));
        assert!(!format!("{mail:?}").contains("secret"), "the password never reaches a log: {mail:?}");
        for (vars, name) in [
            (vec![url], "HELPDESK_MAIL_FROM"),
            (vec![from], "HELPDESK_SMTP_URL"),
            (vec![("HELPDESK_SMTP_URL", "http://mail.example.com"), from], "HELPDESK_SMTP_URL"),
            (vec![("HELPDESK_SMTP_URL", "smtp://mail.example.com?tls=sometimes"), from], "HELPDESK_SMTP_URL"),
            (vec![url, ("HELPDESK_MAIL_FROM", "not an address")], "HELPDESK_MAIL_FROM"),
            (vec![url, from, ("HELPDESK_MAIL_RETRY_SECS", "0")], "HELPDESK_MAIL_RETRY_SECS"),
        ] {
            let mut all = vec![base[0]];
            all.extend(vars);
            match config(&all) {
                Err(ConfigError::Invalid { name: got, .. }) => assert_eq!(got, name, "{all:?}"),
                other => panic!("{all:?} was not refused: {:?}", other.map(|c| c.mail)),
            }
        }
    }

    #[test]
    fn refuses_bad_values_with_the_variable_name() {
        let dir = temp_dir().to_string_lossy().to_string();
        for (name, value) in [
            ("HELPDESK_JWT_SECRET", "short"),
            ("DATABASE_URL", "postgres://x"),
            ("HELPDESK_BIND", "not an address"),
            ("HELPDESK_TOKEN_TTL_SECS", "5"),
            ("HELPDESK_COOKIE_SECURE", "maybe"),
            ("HELPDESK_PUBLIC_URL", "help.example.com"),
            ("HELPDESK_WIDGET_REQUESTS_PER_15MIN", "lots"),
            ("RATE_LIMIT_MAX", "lots"),
            ("RATE_LIMIT_WINDOW", "5"),
            ("HELPDESK_VISITOR_MESSAGES_PER_MIN", "-1"),
            ("HELPDESK_SOCKETS_PER_IP_PER_MIN", "many"),
            ("JWT_SECRET", "short"),
            ("HELPDESK_COUNTRY_HEADER", "bad header"),
            ("HELPDESK_UPLOAD_MAX_MB", "0"),
            ("HELPDESK_DRAIN_SECS", "soon"),
            ("HELPDESK_TRUSTED_PROXIES", "127.0.0.1, the proxy"),
            ("HELPDESK_METRICS_TOKEN", "short"),
            ("HELPDESK_ASSET_URL", "cdn.example.com"),
            ("HELPDESK_ASSET_URL", "https://cdn.example.com/path"),
            ("HELPDESK_UPLOAD_MAX_MB", "101"),
            ("HELPDESK_UPLOAD_MAX_MB", "ten"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
        ] {
            let err = config(&[("HELPDESK_DATA_DIR", &dir), (name, value)]).expect_err(name);
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }

    #[test]
    fn redis_needs_a_redis_url_and_a_shared_database() {
        let dir = temp_dir().to_string_lossy().to_string();
        let mysql = ("DATABASE_URL", "mysql://root@127.0.0.1:3306/helpdesk");
        for url in ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis:/127.0.0.1"] {
            let err = config(&[("HELPDESK_DATA_DIR", &dir), mysql, ("REDIS_URL", url)]).expect_err(url);
            assert!(err.to_string().starts_with("REDIS_URL"), "{err}");
        }
        for url in ["redis://127.0.0.1:6379", "rediss://cache.example.com:6380/1"] {
            let c = config(&[("HELPDESK_DATA_DIR", &dir), mysql, ("REDIS_URL", url)]).expect(url);
            assert_eq!(c.redis_url.as_deref(), Some(url));
        }
    }

    #[test]
    fn the_seed_names_are_accepted_and_a_conflict_is_refused() {
        let dir = temp_dir().to_string_lossy().to_string();
        let secret = "seed-style-secret-seed-style-secret-0123";
        let c = config(&[
            ("HELPDESK_DATA_DIR", &dir),
            ("JWT_SECRET", secret),
            ("RATE_LIMIT_MAX", "40"),
            ("RATE_LIMIT_WINDOW", "60000"),
        ])
        .expect("config");
        assert_eq!(c.jwt_secret, secret.as_bytes());
        assert_eq!((c.widget_requests_max, c.widget_requests_window), (40, Duration::from_secs(60)));
        let defaults = config(&[("HELPDESK_DATA_DIR", &dir)]).expect("config");
        assert_eq!((defaults.widget_requests_max, defaults.widget_requests_window), (100, Duration::from_secs(900)));
        assert_eq!((defaults.visitor_messages_per_min, defaults.sockets_per_ip_per_min), (30, 120));
        let same = config(&[("HELPDESK_DATA_DIR", &dir), ("JWT_SECRET", secret), ("HELPDESK_JWT_SECRET", secret)]);
        assert!(same.is_ok(), "both names with one value is fine");
        for (a, b) in [
            (("JWT_SECRET", secret), ("HELPDESK_JWT_SECRET", "another-secret-another-secret-another-1")),
            (("RATE_LIMIT_MAX", "10"), ("HELPDESK_WIDGET_REQUESTS_PER_15MIN", "20")),
            (("RATE_LIMIT_WINDOW", "60000"), ("HELPDESK_WIDGET_REQUESTS_PER_15MIN", "20")),
        ] {
            let err = config(&[("HELPDESK_DATA_DIR", &dir), a, b]).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(a.0) || err.contains(b.0), "{a:?} with {b:?}: {err:?}");
        }
    }

    #[test]
    fn debug_output_hides_passwords() {
        let dir = temp_dir().to_string_lossy().to_string();
        let c = config(&[
            ("HELPDESK_DATA_DIR", &dir),
            ("DATABASE_URL", "mysql://root:hunter2@db:3306/helpdesk"),
            ("HELPDESK_ADMIN_PASSWORD", "supersecret"),
        ])
        .expect("config");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("root:***@db"), "{shown}");
    }
}
