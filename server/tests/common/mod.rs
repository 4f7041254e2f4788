//! Fixtures for integration tests: a real Helpdesk server on a random port, on a fresh SQLite file or a fresh
//! MariaDB/MySQL database (when `HELPDESK_TEST_MYSQL_URL` is set), and an HTTP client for it.
//!
//! `backend_tests!(a, b)` turns each `async fn a(app: TestApp)` into `sqlite::a` and `mysql::a`.

#![allow(dead_code)]

pub mod process;
pub mod proxy;
pub mod redis;
pub mod smtp;
pub mod ws;

use std::collections::HashMap;
use std::path::PathBuf;

use domain::AppState;
use reqwest::{Client, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use server::{build_app, serve, Config, Helpdesk};
use tokio::sync::oneshot;

pub const ADMIN_EMAIL: &str = "root@helpdesk.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery";
pub const MYSQL_ENV: &str = "HELPDESK_TEST_MYSQL_URL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mysql,
}

/// A database made for one test and removed after it.
pub struct TestDb {
    pub url: String,
    backend: Backend,
    admin_url: Option<String>,
    name: String,
    dir: PathBuf,
}

impl TestDb {
    /// A fresh database. A MySQL test without `HELPDESK_TEST_MYSQL_URL` fails rather than pass without running: the
    /// test command skips the `mysql::` tests by name when no MariaDB answers (and refuses to under `CI=true`).
    pub async fn create(backend: Backend) -> TestDb {
        let tag = format!("{:016x}", rand::random::<u64>());
        let dir = std::env::temp_dir().join(format!("helpdesk-test-{tag}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
                TestDb { url, backend, admin_url: None, name: String::new(), dir }
            }
            Backend::Mysql => {
                let Ok(admin_url) = std::env::var(MYSQL_ENV) else {
                    panic!("{MYSQL_ENV} is not set: give these tests a MySQL/MariaDB, or skip them with `cargo test -- --skip mysql::`");
                };
                let name = format!("hd_t_{tag}");
                let admin = Database::connect(admin_url.as_str()).await.expect("connect to the MySQL test server");
                admin.execute_unprepared(&format!("CREATE DATABASE `{name}`")).await.expect("create test database");
                admin.close().await.ok();
                let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url);
                let url = format!("{base}/{name}");
                TestDb { url, backend, admin_url: Some(admin_url), name, dir }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn dir(&self) -> &PathBuf {
        &self.dir
    }

    pub async fn drop_db(self) {
        if let Some(admin_url) = &self.admin_url {
            if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS `{}`", self.name)).await.ok();
                admin.close().await.ok();
            }
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

pub fn test_config(db: &TestDb, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), db.url.clone()),
        ("HELPDESK_DATA_DIR".into(), db.dir().display().to_string()),
        ("HELPDESK_JWT_SECRET".into(), test_secret()),
        ("HELPDESK_ADMIN_EMAIL".into(), ADMIN_EMAIL.into()),
        ("HELPDESK_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ("HELPDESK_BIND".into(), "127.0.0.1:0".into()),
        ("LEPTOS_SITE_ROOT".into(), db.dir().join("site").display().to_string()),
    ]);
    for (k, v) in extra {
        if v.is_empty() {
            vars.remove(*k);
        } else {
            vars.insert(k.to_string(), v.to_string());
        }
    }
    Config::from_lookup(|name| vars.get(name).cloned()).expect("test config")
}

pub fn test_secret() -> String {
    "integration-test-secret-0123456789abcdef".into()
}

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub state: AppState,
    pub config: Config,
    pub helpdesk_bootstrap: Option<domain::services::users::Bootstrap>,
    db: Option<TestDb>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        let db = TestDb::create(backend).await;
        let config = test_config(&db, &[]);
        TestApp::start(db, config).await
    }

    pub async fn start(db: TestDb, config: Config) -> TestApp {
        TestApp::serve(Some(db), config).await
    }

    /// A second server on this one's database, as another node or this one restarted with nothing in memory
    /// would be. Stopping it leaves the database to the first.
    pub async fn second_node(&self) -> TestApp {
        TestApp::serve(None, self.config.clone()).await
    }

    async fn serve(db: Option<TestDb>, config: Config) -> TestApp {
        let Helpdesk { router, state, bootstrap } = build_app(&config).await.expect("build app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router, async move {
            rx.await.ok();
        }));
        // A hung response fails its test instead of hanging the run.
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .expect("client");
        TestApp {
            base,
            client,
            state,
            config,
            helpdesk_bootstrap: bootstrap,
            db,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn backend(&self) -> Backend {
        self.db.as_ref().map(TestDb::backend).unwrap_or(Backend::Sqlite)
    }

    /// Stops the server (waiting for in-flight requests) and removes the database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            tx.send(()).ok();
        }
        // Bounded waits: a connection some background task still holds must not hang the whole run.
        let wait = std::time::Duration::from_secs(10);
        if let Some(server) = self.server.take() {
            if let Ok(joined) = tokio::time::timeout(wait, server).await {
                joined.expect("server task").expect("server stopped cleanly");
            }
        }
        tokio::time::timeout(wait, self.state.close()).await.ok();
        if let Some(db) = self.db.take() {
            tokio::time::timeout(wait, db.drop_db()).await.ok();
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login request")
    }

    /// Signs in as the bootstrap super admin; returns the Bearer token.
    pub async fn admin_token(&self) -> String {
        let res = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("json");
        body["token"].as_str().expect("token").to_string()
    }

    /// Signs in through the dashboard's login form (the server function) and returns the session cookie pair.
    pub async fn dashboard_session(&self, email: &str, password: &str) -> Result<String, Response> {
        let res = self
            .client
            .post(self.url("/sfn/login"))
            .header("Origin", &self.base)
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .expect("login form");
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("helpdesk_session=") && !c.starts_with("helpdesk_session=;"))
            .map(|c| c.split(';').next().unwrap_or_default().to_string());
        cookie.ok_or(res)
    }
}

/// The JSON error body, asserting its shape.
pub async fn error_body(res: Response) -> (StatusCode, String, String) {
    let status = res.status();
    let ctype = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(ctype.starts_with("application/json"), "error content-type is {ctype:?}");
    let body: Value = res.json().await.expect("error body is JSON");
    let code = body["error"].as_str().expect("error code").to_string();
    let message = body["message"].as_str().expect("error message").to_string();
    (status, code, message)
}

#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await;
                    super::$name(&app).await;
                    app.stop().await;
                }
            )*
        }
        mod mysql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::common::TestApp::spawn($crate::common::Backend::Mysql).await;
                    super::$name(&app).await;
                    app.stop().await;
                }
            )*
        }
    };
}

/// `per_backend!(a, b)` turns each `async fn a(backend: Backend)` into `sqlite::a` and `mysql::a`, for tests that
/// manage their own database or server.
#[macro_export]
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod mysql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Mysql).await
                }
            )*
        }
    };
}

/// How a test reaches the service layer: the REST API with a Bearer token, or the dashboard's server functions
/// with a session cookie.
#[derive(Clone, Debug)]
pub enum Caller {
    Rest(String),
    Dashboard(String),
}

impl TestApp {
    /// A REST call with a Bearer token; returns the status and the JSON body (Null when empty).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("api request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A server function call as the dashboard makes it (JSON body, session cookie, same Origin).
    pub async fn sfn(&self, name: &str, cookie: &str, args: Value) -> (StatusCode, Value) {
        let res = self
            .client
            .post(self.url(&format!("/sfn/{name}")))
            .header("Cookie", cookie)
            .header("Origin", &self.base)
            .json(&args)
            .send()
            .await
            .expect("server fn request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Signs in on both surfaces.
    pub async fn callers(&self, email: &str, password: &str) -> (Caller, Caller) {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login {email}");
        let token = res.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string();
        let cookie = self.dashboard_session(email, password).await.expect("dashboard session");
        (Caller::Rest(token), Caller::Dashboard(cookie))
    }

    /// Creates a user through the REST API as `token`'s user; returns its id.
    pub async fn create_user(&self, token: &str, email: &str, role: &str, website_ids: &[&str]) -> String {
        let (status, body) = self
            .api(
                reqwest::Method::POST,
                "/api/users",
                token,
                Some(json!({ "email": email, "name": email.split('@').next(), "role": role, "password": PASSWORD, "websiteIds": website_ids })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "create {email}: {body}");
        body["id"].as_str().expect("id").to_string()
    }

    /// Creates a website through the REST API; returns the whole answer.
    pub async fn create_website(&self, token: &str, name: &str, domains: &[&str]) -> Value {
        let (status, body) = self
            .api(reqwest::Method::POST, "/api/websites", token, Some(json!({ "name": name, "domains": domains })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "create website {name}: {body}");
        body
    }

    /// Two tenants: website `a` of owner@ with agent ana@, website `c` of other@ with agent cem@ (both admins
    /// created by the super admin, both websites on shop.example.com); returns (a, c) as created.
    pub async fn two_tenants(&self, a: &str, c: &str) -> (Value, Value) {
        let root = self.admin_token().await;
        self.create_user(&root, "owner@helpdesk.test", "admin", &[]).await;
        self.create_user(&root, "other@helpdesk.test", "admin", &[]).await;
        let owner = self.token("owner@helpdesk.test", PASSWORD).await;
        let other = self.token("other@helpdesk.test", PASSWORD).await;
        let a = self.create_website(&owner, a, &["shop.example.com"]).await;
        let c = self.create_website(&other, c, &["shop.example.com"]).await;
        self.create_user(&owner, "ana@helpdesk.test", "agent", &[a["id"].as_str().expect("id")]).await;
        self.create_user(&other, "cem@helpdesk.test", "agent", &[c["id"].as_str().expect("id")]).await;
        (a, c)
    }

    pub async fn token(&self, email: &str, password: &str) -> String {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login {email}");
        res.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string()
    }
}

/// The password of users the tests create.
pub const PASSWORD: &str = "agent-password-1";
