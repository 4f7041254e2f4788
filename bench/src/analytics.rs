//! `bench --analytics`: how long each analytics call takes on a demo data set of a given size.
//!
//! Makes a fresh database (SQLite file, or `--mysql URL`), fills it with `helpdesk demo`'s data set of about
//! `--messages N` messages over 90 days (5 websites, 20 agents), serves Helpdesk on it in this process, signs in
//! as the super admin and times each call over HTTP on loopback: the analytics of today, 7, 30 and 90 days over
//! all websites, 90 days of one website, and one agent's 30 days; then the agent's workspace on the same data:
//! opening the inbox (first page, view counts) and searches. Each call runs `--repeat` times (default 7);
//! the median and the slowest are printed, in milliseconds.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{json, Value};

pub async fn run(messages: usize, mysql: Option<&str>, repeat: usize) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("helpdesk-bench-analytics-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (database_url, dropping) = match mysql {
        Some(url) => {
            use sea_orm::ConnectionTrait;
            let name = format!("hd_bench_a_{}", std::process::id());
            let admin = sea_orm::Database::connect(url).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE `{name}`")).await?;
            let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url);
            (format!("{base}/{name}"), Some((url.to_string(), name)))
        }
        None => (format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()), None),
    };
    let result = measure(&dir, &database_url, messages, repeat).await;
    if let Some((url, name)) = dropping {
        use sea_orm::ConnectionTrait;
        if let Ok(admin) = sea_orm::Database::connect(url.as_str()).await {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE `{name}`")).await;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    result
}

async fn measure(
    dir: &std::path::Path,
    database_url: &str,
    messages: usize,
    repeat: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", database_url.to_string()),
        ("HELPDESK_DATA_DIR", dir.display().to_string()),
        ("HELPDESK_JWT_SECRET", "bench-secret-bench-secret-bench-secret".into()),
        ("HELPDESK_ADMIN_EMAIL", "admin@bench.test".into()),
        ("HELPDESK_ADMIN_PASSWORD", super::PASSWORD.into()),
        ("LEPTOS_SITE_ROOT", dir.join("site").display().to_string()),
    ]);
    let config = server::Config::from_lookup(|k| vars.get(k).cloned())?;
    let app = server::build_app(&config).await?;
    let size = domain::demo::DemoSize::for_messages(messages, 90);
    let made = domain::demo::fill(&app.state, &size, 1).await?;
    let backend = if database_url.starts_with("mysql") { "MySQL/MariaDB" } else { "SQLite" };
    println!(
        "{backend}: {} chats, {} messages, {} visitors, {} page views written in {:.1} s",
        made.chats, made.messages, made.visitors, made.page_views, made.seconds
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(server::serve(listener, app.router, std::future::pending()));

    let http = reqwest::Client::new();
    let token = |email: &str, password: &str| {
        let http = http.clone();
        let (base, email, password) = (base.clone(), email.to_string(), password.to_string());
        async move {
            let body: Value = http
                .post(format!("{base}/api/auth/login"))
                .json(&json!({ "email": email, "password": password }))
                .send()
                .await?
                .json()
                .await?;
            Ok::<String, reqwest::Error>(body["token"].as_str().unwrap_or_default().to_string())
        }
    };
    let admin = token("admin@bench.test", super::PASSWORD).await?;
    let agent = token(&made.agents[0], domain::demo::AGENT_PASSWORD).await?;
    let websites: Value = http.get(format!("{base}/api/websites")).bearer_auth(&admin).send().await?.json().await?;
    let website = websites.as_array().and_then(|w| w.first()).and_then(|w| w["id"].as_str()).unwrap_or_default();

    let today = chrono::Utc::now().date_naive();
    let back = |days: i64| (today - chrono::Duration::days(days - 1)).to_string();
    let calls = [
        ("today, all websites", format!("from={today}&to={today}&tz=Europe/Berlin"), &admin),
        ("7 days, all websites", format!("from={}&to={today}&tz=Europe/Berlin", back(7)), &admin),
        ("30 days, all websites", format!("from={}&to={today}&tz=Europe/Berlin", back(30)), &admin),
        ("90 days, all websites", format!("from={}&to={today}&tz=Europe/Berlin", back(90)), &admin),
        (
            "90 days, one website",
            format!("from={}&to={today}&tz=America/New_York&websiteId={website}", back(90)),
            &admin,
        ),
        ("30 days, as an agent", format!("from={}&to={today}&tz=Asia/Kolkata", back(30)), &agent),
    ];
    println!("{:<24} {:>9} {:>9} {:>9}", "GET /api/analytics", "chats", "median ms", "max ms");
    for (name, query, token) in calls {
        let mut times = Vec::with_capacity(repeat);
        let mut chats = 0;
        for _ in 0..repeat {
            let started = Instant::now();
            let res = http.get(format!("{base}/api/analytics?{query}")).bearer_auth(token).send().await?;
            let status = res.status();
            let body: Value = res.json().await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() {
                return Err(format!("{name}: {status} {body}").into());
            }
            chats = body["totals"]["chats"].as_u64().unwrap_or(0);
        }
        times.sort_by(f64::total_cmp);
        println!("{name:<24} {chats:>9} {:>9.1} {:>9.1}", times[times.len() / 2], times[times.len() - 1]);
    }
    // The agent's workspace on the same data: opening the inbox (its first page and the view counts) and search.
    let inbox_and_search = [
        ("inbox, all open", "/api/chats?status=open".to_string(), &admin),
        ("inbox, everything", "/api/chats".to_string(), &admin),
        ("inbox, as an agent", "/api/chats?status=open".to_string(), &agent),
        ("inbox counts", "/api/chats/counts".to_string(), &admin),
        ("inbox counts, agent", "/api/chats/counts".to_string(), &agent),
        ("search a common word", "/api/search?q=discount".to_string(), &admin),
        ("search two words", "/api/search?q=warehouse%20yesterday".to_string(), &admin),
        ("search, page 5", "/api/search?q=discount&page=5".to_string(), &admin),
        ("search a surname", "/api/search?q=kowalski".to_string(), &admin),
        ("search an email", "/api/search?q=lena.berg".to_string(), &admin),
        ("search, no hit", "/api/search?q=zeppelin".to_string(), &admin),
        ("search as an agent", "/api/search?q=discount".to_string(), &agent),
        ("search one website", format!("/api/search?q=discount&websiteId={website}"), &admin),
    ];
    println!("{:<24} {:>9} {:>9} {:>9}", "workspace", "items", "median ms", "max ms");
    for (name, path, token) in inbox_and_search {
        let mut times = Vec::with_capacity(repeat);
        let mut items = 0;
        for _ in 0..repeat {
            let started = Instant::now();
            let res = http.get(format!("{base}{path}")).bearer_auth(token).send().await?;
            let status = res.status();
            let body: Value = res.json().await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() {
                return Err(format!("{name}: {status} {body}").into());
            }
            items = body.as_array().map(Vec::len).or_else(|| body["hits"].as_array().map(Vec::len)).unwrap_or(1);
        }
        times.sort_by(f64::total_cmp);
        println!("{name:<24} {items:>9} {:>9.1} {:>9.1}", times[times.len() / 2], times[times.len() - 1]);
    }
    // The first report after the digests are gone (a restore, a new version's layout): every day read raw.
    {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(database_url).await?;
        db.execute_unprepared("UPDATE analytics_days SET digest = NULL, digest_version = NULL").await?;
        db.close().await?;
    }
    for name in ["90 days, no digests", "90 days, digests again"] {
        let started = Instant::now();
        let query = format!("from={}&to={today}&tz=Europe/Berlin", back(90));
        let res = http.get(format!("{base}/api/analytics?{query}")).bearer_auth(&admin).send().await?;
        let body: Value = res.json().await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        println!("{name:<24} {:>9} {ms:>9.1} {ms:>9.1}", body["totals"]["chats"].as_u64().unwrap_or(0));
    }
    app.state.close().await;
    Ok(())
}
