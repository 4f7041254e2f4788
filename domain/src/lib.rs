//! The domain, server side only: entities, services and the state they share. Never compiled to WASM, and free of
//! any web framework. Both surfaces (REST handlers and the socket in the `server` crate, Leptos server functions in
//! `app`) call the same services, each with the acting principal.

pub mod cluster;
pub mod ctx;
pub mod db;
pub mod demo;
#[cfg(not(feature = "testing"))]
mod entities;
#[cfg(feature = "testing")]
pub mod entities;
pub mod events;
pub mod files;
pub mod hub;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod origin;
pub mod presence;
pub mod realtime;
pub mod scoped;
pub mod services;
pub mod throttle;
pub mod webhooks;
pub mod widget_cache;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use ctx::RolePermissions;
use protocol::Role;
use services::auth::AuthKeys;
use throttle::LoginThrottle;
use widget_cache::WidgetConfigCache;

/// What the domain needs to start: the operator's settings, already checked (the server's `Config` reads them).
pub struct Settings {
    /// `sqlite://…` or `mysql://…`.
    pub database_url: String,
    /// HS256 key for agent and visitor tokens.
    pub jwt_secret: Vec<u8>,
    pub token_ttl: std::time::Duration,
    /// Send the session cookie with `Secure`.
    pub cookie_secure: bool,
    /// Where browsers reach this server (`https://help.example.com`), for embed codes and our own origin.
    pub public_url: String,
    /// The first super admin, created on a database with no users.
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// Where attachments are stored, and their size cap.
    pub upload_dir: std::path::PathBuf,
    pub upload_max_bytes: usize,
    /// 0 turns each limit off.
    pub visitor_messages_per_min: u32,
    pub sockets_per_ip_per_min: u32,
    /// Widget HTTP requests per client IP per window; 0 turns the limit off.
    pub widget_requests: (u32, std::time::Duration),
    /// The header a trusted proxy puts the visitor's country in.
    pub country_header: Option<http::HeaderName>,
    /// Redis, for several nodes (`None`: this node is alone), and the prefix of its keys.
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// How long an agent may be gone before auto routing gives their chats back to the queue.
    pub routing_grace: std::time::Duration,
    /// The SMTP server and sender (`None`: no email is sent or queued).
    pub mail: Option<mail::MailSettings>,
    /// Where webhooks may go, and how soon they are retried.
    pub webhooks: webhooks::WebhookSettings,
}

/// Why the domain could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("first administrator: {0}")]
    Bootstrap(protocol::AppError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Cluster(#[from] cluster::ClusterError),
    #[error("{0}")]
    Mail(#[from] mail::MailError),
    #[error("webhooks: {0}")]
    Webhooks(#[from] reqwest::Error),
}

/// Connects and migrates the database, creates the first super admin on an empty one, and returns the state every
/// request shares, with what start-up did about the first account.
pub async fn start(settings: Settings) -> Result<(AppState, Option<services::users::Bootstrap>), StartError> {
    files::private_dir(&settings.upload_dir)?;
    let db = db::connect(&settings.database_url).await?;
    db::migrate(&db).await?;
    let bootstrap =
        services::users::ensure_super_admin(&db, settings.admin_email.as_deref(), settings.admin_password.as_deref())
            .await
            .map_err(StartError::Bootstrap)?;
    let roles = ctx::load_role_permissions(&db).await?;
    let auth = AuthKeys::new(&settings.jwt_secret, settings.token_ttl, settings.cookie_secure);
    let hub = Arc::new(hub::Hub::default());
    let widget_cache = Arc::new(WidgetConfigCache::default());
    let cluster = match &settings.redis_url {
        Some(url) => Some(cluster::Cluster::start(url, &settings.redis_prefix, hub.clone(), widget_cache.clone())?),
        None => None,
    };
    let mailer = settings.mail.as_ref().map(mail::Mailer::new).transpose()?.map(Arc::new);
    let lane = db::WriteLane::new(&db);
    let (hooks, handoff) = webhooks::Webhooks::new(&settings.webhooks)?;
    let hooks = Arc::new(hooks);
    hooks.refresh(&db).await?;
    webhooks::enqueue_in_background(db.clone(), lane.clone(), hooks.clone(), handoff);
    services::search::index_in_background(lane.clone(), std::time::Duration::from_secs(1));
    let state = AppState {
        writer: Arc::new(services::messages::MessageWriter::spawn(db.clone(), hub.clone(), hooks.clone(), &lane)),
        lane,
        db,
        auth: Arc::new(auth),
        login_throttle: Arc::new(LoginThrottle::default().shared(cluster.clone())),
        roles,
        public_url: settings.public_url.trim_end_matches('/').into(),
        widget_cache,
        hub,
        cluster: cluster.clone(),
        country_header: settings.country_header,
        uploads: Arc::new(services::attachments::Uploads::new(settings.upload_dir, settings.upload_max_bytes)),
        limits: Arc::new(limits::Limits::new(
            settings.visitor_messages_per_min,
            settings.sockets_per_ip_per_min,
            settings.widget_requests,
            cluster.clone(),
        )),
        presence: Arc::default(),
        router: Arc::new(services::routing::Router::new(settings.routing_grace)),
        draining: Arc::default(),
        mailer: mailer.clone(),
        webhooks: hooks.clone(),
    };
    services::routing::sweep_in_background(state.clone());
    services::privacy::retention_in_background(state.clone());
    webhooks::send_in_background(state.clone(), hooks.clone());
    webhooks::refresh_in_background(state.clone(), hooks);
    if let Some(mailer) = mailer {
        mail::send_in_background(state.clone(), mailer);
        services::emails::missed_chats_in_background(state.clone());
    }
    Ok((state, bootstrap))
}

/// What every request handler, server function and socket shares. Cheap to clone. Its connection is the domain's
/// own: callers reach data only through services that take the acting principal.
#[derive(Clone)]
pub struct AppState {
    pub(crate) db: DatabaseConnection,
    pub(crate) auth: Arc<AuthKeys>,
    pub(crate) login_throttle: Arc<LoginThrottle>,
    pub(crate) roles: RolePermissions,
    /// Where browsers reach this server, for embed codes (`https://help.example.com`).
    pub(crate) public_url: Arc<str>,
    pub(crate) widget_cache: Arc<WidgetConfigCache>,
    pub(crate) hub: Arc<hub::Hub>,
    /// The other nodes, through Redis (`None` when this node is alone).
    pub(crate) cluster: Option<Arc<cluster::Cluster>>,
    /// Stores chat messages in batches (must be created inside the tokio runtime).
    pub(crate) writer: Arc<services::messages::MessageWriter>,
    /// Where writes on the chat path take their turns (SQLite).
    pub(crate) lane: db::WriteLane,
    /// The request header a trusted proxy puts the visitor's country in (e.g. `CF-IPCountry`), if any.
    pub(crate) country_header: Option<http::HeaderName>,
    /// Where chat attachments are stored, and their size cap.
    pub(crate) uploads: Arc<services::attachments::Uploads>,
    /// Messages per visitor, new sockets per IP.
    pub(crate) limits: Arc<limits::Limits>,
    /// Who is on the websites now.
    pub(crate) presence: Arc<presence::Presence>,
    /// Auto routing's turns and rotation.
    pub(crate) router: Arc<services::routing::Router>,
    /// Set once the node is stopping: no new sockets, `/readyz` says so.
    pub(crate) draining: Arc<std::sync::atomic::AtomicBool>,
    /// Sends the outbox (`None`: no SMTP server configured, nothing is queued).
    pub(crate) mailer: Option<Arc<mail::Mailer>>,
    /// Which websites want which events, and the queue's sender.
    pub(crate) webhooks: Arc<webhooks::Webhooks>,
}

impl AppState {
    /// The permissions of `role`; none if the role is missing from `roles`.
    pub fn permissions(&self, role: Role) -> Arc<[String]> {
        self.roles.get(&role).cloned().unwrap_or_else(|| Arc::from(Vec::new()))
    }

    /// Where browsers reach this server (no trailing slash): our own origin.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Token keys and the session cookie's settings.
    pub fn auth(&self) -> &AuthKeys {
        &self.auth
    }

    pub fn limits(&self) -> &limits::Limits {
        &self.limits
    }

    /// The realtime hub (its access epoch, for a socket being opened).
    pub fn hub(&self) -> &hub::Hub {
        &self.hub
    }

    /// The header a trusted proxy sets with the visitor's country, if one is configured.
    pub fn country_header(&self) -> Option<&http::HeaderName> {
        self.country_header.as_ref()
    }

    /// The largest attachment accepted, in bytes.
    pub fn upload_max_bytes(&self) -> usize {
        self.uploads.max_bytes
    }

    /// A website or its widget settings changed: its cached widget configuration is dropped here and on every
    /// other node.
    pub(crate) fn website_changed(&self, website_id: &str) {
        self.widget_cache.invalidate_website(website_id);
        self.hub.website_changed(website_id);
    }

    /// The visitors online on these websites (on every node), longest here first.
    pub(crate) async fn visitors_online(&self, website_ids: &[String]) -> Vec<presence::VisitorHere> {
        if let Some(cluster) = &self.cluster {
            if let Some(here) = cluster.visitors_on(website_ids).await {
                return here;
            }
        }
        self.presence.visitors_on(website_ids)
    }

    /// The agents online (on any node) who work on any of these websites.
    pub(crate) async fn agents_online(&self, website_ids: &[String]) -> Vec<String> {
        if let Some(cluster) = &self.cluster {
            if let Some(ids) = cluster.agents_on(website_ids).await {
                return ids;
            }
        }
        self.presence.agents_on(website_ids)
    }

    /// Whether a visitor has a socket open on any node.
    pub(crate) async fn visitor_online(&self, visitor_id: &str) -> bool {
        self.hub.has_subscribers(&hub::Topic::Visitor(visitor_id.to_string()))
            || match &self.cluster {
                Some(cluster) => cluster.connected_elsewhere("v", visitor_id).await,
                None => false,
            }
    }

    /// Whether Redis answers, when this node has other nodes (`None` when it is alone).
    pub fn cluster_healthy(&self) -> Option<bool> {
        self.cluster.as_ref().map(|c| c.healthy())
    }

    /// The node is stopping (SIGTERM): it takes no new sockets and asks every open one to reconnect elsewhere
    /// (1012). Each socket finishes the event it is handling first, so a message being stored is acked before its
    /// socket closes.
    pub fn begin_drain(&self) {
        self.draining.store(true, std::sync::atomic::Ordering::SeqCst);
        self.hub.close_all_here(hub::CloseReason::Stopping);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Sockets open on this node.
    pub fn open_sockets(&self) -> usize {
        self.hub.connections()
    }

    /// Brings the health gauges of `/metrics` up to date.
    pub async fn record_health(&self) {
        let database = self.db.ping().await.is_ok();
        let notes = self.cluster.as_ref().map(|c| {
            (c.sent.load(std::sync::atomic::Ordering::Relaxed), c.received.load(std::sync::atomic::Ordering::Relaxed))
        });
        metrics::health(database, self.cluster_healthy(), notes);
    }

    /// Whether the database answers (`/readyz`).
    pub async fn database_ready(&self) -> Result<(), sea_orm::DbErr> {
        self.db.ping().await
    }

    /// Closes the database pool (a stopping server), after writing the message counts not written yet.
    pub async fn close(&self) {
        if let Err(e) = self.writer.flush_counts().await {
            tracing::warn!(error = %e, "message counts not written at shutdown; `helpdesk analytics-rebuild` restores them");
        }
        let _ = self.db.clone().close().await;
    }
}

/// For integration tests only (`testing` feature): the raw connection, the writer and the lane, to set up a row or
/// hold a turn. Nothing in the product reaches them.
#[cfg(feature = "testing")]
impl AppState {
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn writer(&self) -> &services::messages::MessageWriter {
        &self.writer
    }

    pub fn lane(&self) -> &db::WriteLane {
        &self.lane
    }

    pub fn widget_cache(&self) -> &WidgetConfigCache {
        &self.widget_cache
    }

    pub fn upload_dir(&self) -> &std::path::Path {
        &self.uploads.dir
    }
}
