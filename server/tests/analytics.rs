//! Analytics on both databases: exact figures on a small hand-built data set (a DST day, a chat across midnight, a
//! chat no agent answered, an agent on two websites, an empty range), each caller counting only the websites they
//! see, and the rollups the writer keeps agreeing with a rebuild from the raw rows.

mod common;

use chrono::NaiveDateTime;
use common::ws::{agent_ws, visitor_session, visitor_ws};
use common::{TestApp, PASSWORD};
use domain::entities::{chats, messages, visitor_pages, visitors};
use protocol::{AnalyticsReport, ChatStatus, MessageKind, SenderType};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, Statement};
use serde_json::json;

backend_tests!(
    figures_are_exact_on_a_hand_built_day_set,
    each_caller_counts_only_the_websites_they_see,
    the_rollups_kept_while_chatting_agree_with_a_rebuild,
    digests_follow_every_write_to_a_past_day,
    bad_queries_are_refused
);

fn t(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").expect("time")
}

struct Data {
    admin: String,
    other_admin: String,
    ana: String,
    ben: String,
    ana_id: String,
    ben_id: String,
    a: String,
    b: String,
    c: String,
}

async fn visitor(app: &TestApp, website: &str, pages: &[&str]) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    visitors::ActiveModel {
        id: Set(id.clone()),
        website_id: Set(website.into()),
        session_id: Set(uuid::Uuid::new_v4().to_string()),
        ip_address: Set(None),
        user_agent: Set(None),
        country: Set(None),
        name: Set(None),
        email: Set(None),
        external_id: Set(None),
        consent_text: Set(None),
        consented_at: Set(None),
        last_seen: Set(t("2026-10-20 00:00:00")),
        created_at: Set(t("2026-10-20 00:00:00")),
    }
    .insert(app.state.db())
    .await
    .expect("visitor");
    for at in pages {
        visitor_pages::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            visitor_id: Set(id.clone()),
            url: Set("https://shop.example.com/".into()),
            title: Set(None),
            created_at: Set(t(at)),
        }
        .insert(app.state.db())
        .await
        .expect("page");
    }
    id
}

/// A chat with its messages: (time, sender: "v" for the visitor or an agent id). One argument per column, so
/// each chat of the data set reads as a row.
#[allow(clippy::too_many_arguments)]
async fn chat(
    app: &TestApp,
    website: &str,
    visitor: &str,
    status: ChatStatus,
    assigned: Option<&str>,
    started: &str,
    ended: Option<&str>,
    said: &[(&str, &str)],
) {
    let id = uuid::Uuid::new_v4().to_string();
    chats::ActiveModel {
        id: Set(id.clone()),
        website_id: Set(website.into()),
        visitor_id: Set(visitor.into()),
        assigned_to: Set(assigned.map(String::from)),
        status: Set(status),
        resolution: Set(None),
        started_at: Set(t(started)),
        ended_at: Set(ended.map(t)),
        created_at: Set(t(started)),
        updated_at: Set(t(started)),
        first_visitor_at: Set(None),
        first_response_at: Set(None),
        first_response_by: Set(None),
        visitor_read_seq: Set(0),
    }
    .insert(app.state.db())
    .await
    .expect("chat");
    for (seq, (at, who)) in said.iter().enumerate() {
        let (sender_type, sender_id) = match *who {
            "v" => (SenderType::Visitor, visitor.to_string()),
            agent => (SenderType::Admin, agent.to_string()),
        };
        messages::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            chat_id: Set(id.clone()),
            seq: Set(seq as i64 + 1),
            client_msg_id: Set(None),
            sender_type: Set(sender_type),
            sender_id: Set(Some(sender_id)),
            content: Set("hello".into()),
            kind: Set(MessageKind::Text),
            metadata: Set(None),
            created_at: Set(t(at)),
        }
        .insert(app.state.db())
        .await
        .expect("message");
    }
}

/// Websites A and B of one admin (agent Ana on both, Ben on A), C of another; chats around Berlin's return to
/// winter time (2026-10-25 has 25 hours: 22:00 UTC on the 24th to 23:00 UTC on the 25th).
async fn data(app: &TestApp) -> Data {
    let root = app.admin_token().await;
    app.create_user(&root, "owner@helpdesk.test", "admin", &[]).await;
    app.create_user(&root, "other@helpdesk.test", "admin", &[]).await;
    let admin = app.token("owner@helpdesk.test", PASSWORD).await;
    let other_admin = app.token("other@helpdesk.test", PASSWORD).await;
    let a = app.create_website(&admin, "A", &["a.example.com"]).await["id"].as_str().expect("id").to_string();
    let b = app.create_website(&admin, "B", &["b.example.com"]).await["id"].as_str().expect("id").to_string();
    let c = app.create_website(&other_admin, "C", &["c.example.com"]).await["id"].as_str().expect("id").to_string();
    let ana_id = app.create_user(&admin, "ana@helpdesk.test", "agent", &[&a, &b]).await;
    let ben_id = app.create_user(&admin, "ben@helpdesk.test", "agent", &[&a]).await;
    let (ana, ben) = (app.token("ana@helpdesk.test", PASSWORD).await, app.token("ben@helpdesk.test", PASSWORD).await);
    let (an, bn) = (ana_id.as_str(), ben_id.as_str());

    // Across local midnight: starts 23:59 on the 24th, answered on the 25th after 90 s, resolved after 11 min.
    let v1 = visitor(app, &a, &["2026-10-24 21:50:00", "2026-10-24 22:05:00"]).await;
    chat(
        app,
        &a,
        &v1,
        ChatStatus::Resolved,
        Some(an),
        "2026-10-24 21:59:00",
        Some("2026-10-24 22:10:00"),
        &[("2026-10-24 21:59:00", "v"), ("2026-10-24 22:00:30", an)],
    )
    .await;
    // Local midnight of the 25th: answered after 20 s, closed.
    let v2 = visitor(app, &a, &["2026-10-24 22:00:00"]).await;
    chat(
        app,
        &a,
        &v2,
        ChatStatus::Closed,
        Some(bn),
        "2026-10-24 22:00:00",
        Some("2026-10-24 22:30:00"),
        &[("2026-10-24 22:00:00", "v"), ("2026-10-24 22:00:20", bn)],
    )
    .await;
    // 02:30 summer time, closed without an answer: missed.
    let v3 = visitor(app, &a, &["2026-10-25 00:30:00"]).await;
    chat(
        app,
        &a,
        &v3,
        ChatStatus::Closed,
        None,
        "2026-10-25 00:30:00",
        Some("2026-10-25 01:00:00"),
        &[("2026-10-25 00:30:00", "v")],
    )
    .await;
    // 11:00 winter time, answered after 5 min, still ongoing.
    let v7 = visitor(app, &a, &["2026-10-25 10:00:00", "2026-10-25 10:01:00", "2026-10-25 10:20:00"]).await;
    chat(
        app,
        &a,
        &v7,
        ChatStatus::Ongoing,
        Some(bn),
        "2026-10-25 10:00:00",
        None,
        &[("2026-10-25 10:00:00", "v"), ("2026-10-25 10:05:00", bn)],
    )
    .await;
    // Half a second before the 26th, still waiting weeks later: missed.
    let v5 = visitor(app, &a, &["2026-10-25 22:59:00"]).await;
    chat(app, &a, &v5, ChatStatus::Waiting, None, "2026-10-25 22:59:59.500", None, &[("2026-10-25 22:59:59.500", "v")])
        .await;
    // Website B at local midnight of the 26th: Ana wrote first, the visitor a minute later, Ana a minute after
    // that (first response 60 s); resolved after 31 min.
    let v4 = visitor(app, &b, &["2026-10-25 23:00:30"]).await;
    chat(
        app,
        &b,
        &v4,
        ChatStatus::Resolved,
        Some(an),
        "2026-10-25 23:00:00",
        Some("2026-10-25 23:31:00"),
        &[("2026-10-25 23:00:00", an), ("2026-10-25 23:01:00", "v"), ("2026-10-25 23:02:00", an)],
    )
    .await;
    // Outside the range: a second before it, and at the 27th's midnight.
    let v8 = visitor(app, &a, &["2026-10-23 21:59:59"]).await;
    chat(app, &a, &v8, ChatStatus::Closed, None, "2026-10-23 21:59:59", None, &[("2026-10-23 21:59:59", "v")]).await;
    let v9 = visitor(app, &b, &["2026-10-26 23:00:00"]).await;
    chat(app, &b, &v9, ChatStatus::Waiting, None, "2026-10-26 23:00:00", None, &[("2026-10-26 23:00:00", "v")]).await;
    // The other admin's website.
    let v6 = visitor(app, &c, &["2026-10-25 12:00:00"]).await;
    chat(app, &c, &v6, ChatStatus::Waiting, None, "2026-10-25 12:00:00", None, &[("2026-10-25 12:00:00", "v")]).await;

    domain::services::analytics::rebuild(app.state.db()).await.expect("rebuild");
    Data { admin, other_admin, ana, ben, ana_id, ben_id, a, b, c }
}

async fn report(app: &TestApp, token: &str, query: &str) -> AnalyticsReport {
    let (status, body) = app.api(Method::GET, &format!("/api/analytics?{query}"), token, None).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    serde_json::from_value(body).expect("report")
}

const BERLIN: &str = "from=2026-10-24&to=2026-10-26&tz=Europe/Berlin";

fn column(report: &AnalyticsReport, figure: fn(&protocol::DayFigures) -> u64) -> Vec<u64> {
    report.days.iter().map(figure).collect()
}

async fn figures_are_exact_on_a_hand_built_day_set(app: &TestApp) {
    let d = data(app).await;
    let r = report(app, &d.admin, BERLIN).await;
    assert_eq!(r.days.iter().map(|d| d.date.as_str()).collect::<Vec<_>>(), ["2026-10-24", "2026-10-25", "2026-10-26"]);
    assert_eq!(column(&r, |d| d.chats), [1, 4, 1]);
    assert_eq!(column(&r, |d| d.messages), [1, 7, 3]);
    assert_eq!(column(&r, |d| d.visitors), [1, 5, 1]);
    assert_eq!(column(&r, |d| d.missed), [0, 2, 0]);
    assert_eq!(column(&r, |d| d.resolved), [1, 0, 1]);
    let fr: Vec<_> =
        r.days.iter().map(|d| (d.first_response.count, d.first_response.median_ms, d.first_response.p90_ms)).collect();
    assert_eq!(
        fr,
        [(1, Some(90_000), Some(90_000)), (2, Some(160_000), Some(300_000)), (1, Some(60_000), Some(60_000))]
    );
    let res: Vec<_> = r.days.iter().map(|d| d.resolution.median_ms).collect();
    assert_eq!(res, [Some(660_000), None, Some(1_860_000)]);

    let total = &r.totals;
    assert_eq!((total.chats, total.messages, total.visitors, total.missed, total.resolved), (6, 11, 6, 2, 2));
    assert_eq!(
        (total.first_response.count, total.first_response.median_ms, total.first_response.p90_ms),
        (4, Some(75_000), Some(300_000))
    );
    assert_eq!((total.resolution.median_ms, total.resolution.p90_ms), (Some(1_260_000), Some(1_860_000)));
    assert_eq!(total.resolution_rate(), Some(2.0 / 6.0));

    let status: Vec<(ChatStatus, u64)> = r.by_status.iter().map(|s| (s.status, s.chats)).collect();
    assert_eq!(
        status,
        [
            (ChatStatus::Waiting, 1),
            (ChatStatus::Ongoing, 1),
            (ChatStatus::Closed, 2),
            (ChatStatus::Resolved, 2),
            (ChatStatus::Offline, 0)
        ]
    );
    // Saturday 23:59; Sunday 00:00, 02:30, 11:00 and 23:59; Monday 00:00.
    let mut cells = vec![];
    for (day, hours) in r.heatmap.iter().enumerate() {
        for (hour, n) in hours.iter().enumerate().filter(|(_, n)| **n > 0) {
            cells.push((day, hour, *n));
        }
    }
    assert_eq!(cells, [(0, 0, 1), (5, 23, 1), (6, 0, 1), (6, 2, 1), (6, 11, 1), (6, 23, 1)]);

    let agents: Vec<_> = r
        .agents
        .iter()
        .map(|a| (a.user_id.as_str(), a.chats, a.first_response.median_ms, a.resolution.median_ms, a.messages))
        .collect();
    assert_eq!(
        agents,
        [(d.ana_id.as_str(), 2, Some(75_000), Some(1_260_000), 3), (d.ben_id.as_str(), 2, Some(160_000), None, 2)]
    );
    assert_eq!(r.agents[0].name, "ana");

    // The same chats in UTC: the first two start on the 24th; the 27th's Berlin midnight is the 26th in UTC.
    let utc = report(app, &d.admin, "from=2026-10-24&to=2026-10-26&tz=UTC").await;
    assert_eq!(column(&utc, |d| d.chats), [2, 4, 1]);
    // An empty range: every day listed, nothing counted, no durations.
    let empty = report(app, &d.admin, "from=2026-11-01&to=2026-11-03&tz=Europe/Berlin").await;
    assert_eq!(empty.days.len(), 3);
    assert_eq!(empty.totals, protocol::DayFigures::default());
    assert!(empty.days.iter().all(|d| d.chats == 0 && d.messages == 0 && d.first_response.median_ms.is_none()));
    assert!(empty.agents.is_empty());
}

async fn each_caller_counts_only_the_websites_they_see(app: &TestApp) {
    let d = data(app).await;
    // Ana works on both of the admin's websites: she sees what the admin sees.
    let ana = report(app, &d.ana, BERLIN).await;
    assert_eq!(column(&ana, |d| d.chats), [1, 4, 1]);
    // Ben only on A: no chat, message or visitor of B, and Ana's figures only from A.
    let ben = report(app, &d.ben, BERLIN).await;
    assert_eq!(column(&ben, |d| d.chats), [1, 4, 0]);
    assert_eq!((ben.totals.messages, ben.totals.visitors), (8, 5));
    let ana_on_a = ben.agents.iter().find(|a| a.user_id == d.ana_id).expect("ana");
    assert_eq!((ana_on_a.chats, ana_on_a.messages, ana_on_a.first_response.median_ms), (1, 1, Some(90_000)));
    // One website at a time, and only one the caller sees.
    let only_b = report(app, &d.admin, &format!("{BERLIN}&websiteId={}", d.b)).await;
    assert_eq!((only_b.totals.chats, only_b.website_id.as_deref()), (1, Some(d.b.as_str())));
    for (token, website) in [(&d.admin, &d.c), (&d.ben, &d.b), (&d.other_admin, &d.a)] {
        let (status, body) =
            app.api(Method::GET, &format!("/api/analytics?{BERLIN}&websiteId={website}"), token, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    // The other admin sees their own website only: one chat, waiting for weeks, missed.
    let other = report(app, &d.other_admin, BERLIN).await;
    assert_eq!((other.totals.chats, other.totals.missed, other.totals.messages), (1, 1, 1));
    assert!(other.agents.is_empty());
    // Without a token: refused.
    let res = app.client.get(app.url(&format!("/api/analytics?{BERLIN}"))).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let _ = &d.ben_id;
}

async fn bad_queries_are_refused(app: &TestApp) {
    let token = app.admin_token().await;
    for (query, field) in [
        ("tz=Mars/Base", "tz"),
        ("from=2026-10-05&to=2026-10-01", "from"),
        ("from=2024-01-01&to=2026-10-01", "to"),
        ("from=1st%20of%20May", "from"),
    ] {
        let (status, body) = app.api(Method::GET, &format!("/api/analytics?{query}"), &token, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["field"], json!(field), "{query}: {body}");
    }
}

/// Every rollup row, sorted, as text: what the writer kept, to compare with a rebuild.
async fn rollups(app: &TestApp) -> Vec<String> {
    let db = app.state.db();
    let backend = db.get_database_backend();
    let mut out = vec![];
    for sql in [
        "SELECT website_id, bucket, sender_type, sender_id, messages FROM message_counts",
        "SELECT website_id, bucket, visitor_id, 0, 0 FROM visitor_activity",
        "SELECT id, first_visitor_at, first_response_at, first_response_by, 0 FROM chats",
    ] {
        for row in db.query_all_raw(Statement::from_string(backend, sql)).await.expect("rollup rows") {
            let cell = |i: usize| -> String {
                row.try_get_by_index::<Option<String>>(i)
                    .map(|s| s.unwrap_or_default())
                    .or_else(|_| row.try_get_by_index::<i64>(i).map(|n| n.to_string()))
                    .or_else(|_| row.try_get_by_index::<Option<NaiveDateTime>>(i).map(|t| format!("{t:?}")))
                    .expect("cell")
            };
            out.push((0..5).map(cell).collect::<Vec<_>>().join(" "));
        }
    }
    out.sort();
    out
}

async fn the_rollups_kept_while_chatting_agree_with_a_rebuild(app: &TestApp) {
    let admin = app.admin_token().await;
    let site = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let (website, key) = (site["id"].as_str().expect("id"), site["apiKey"].as_str().expect("key"));
    app.create_user(&admin, "g@helpdesk.test", "agent", &[website]).await;
    let agent = app.token("g@helpdesk.test", PASSWORD).await;
    let mut agent_socket = agent_ws(app, &agent, website).await;
    for n in 0..3 {
        let session = visitor_session(app, key, None).await;
        let token = session["visitorToken"].as_str().expect("token");
        let mut v = visitor_ws(app, key, token).await;
        v.send(json!({ "type": "page-view", "url": "https://shop.example.com/a", "title": "A" })).await;
        // An agent greeting before the visitor writes is not a response.
        for i in 0..(2 + n) {
            v.send(
                json!({ "type": "chat-message", "content": format!("hello {i}"), "clientMsgId": format!("m{n}-{i}") }),
            )
            .await;
            let ack = v.next("ack").await;
            if i == 0 && n > 0 {
                let chat_id = ack["chatId"].as_str().expect("chat");
                let (status, body) = app
                    .api(Method::POST, "/api/messages", &agent, Some(json!({ "chatId": chat_id, "content": "hi" })))
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
            }
        }
    }
    let _ = agent_socket.collect("new-message", std::time::Duration::from_millis(300)).await;
    app.state.writer().flush_counts().await.expect("flush");
    let kept = rollups(app).await;
    assert!(kept.iter().any(|r| r.contains(" admin ")), "agent messages counted: {kept:?}");
    assert!(kept.iter().filter(|r| r.contains(" visitor ")).count() >= 1, "{kept:?}");
    domain::services::analytics::rebuild(app.state.db()).await.expect("rebuild");
    assert_eq!(rollups(app).await, kept);
    // The analytics read them: 3 chats, 9 visitor and 2 agent messages, 3 visitors, 2 first responses.
    let r = report(app, &admin, "").await;
    assert_eq!((r.totals.chats, r.totals.messages, r.totals.visitors, r.totals.first_response.count), (3, 11, 3, 2));
    // Writes of today, the message path's, mark no day changed.
    assert_eq!(count(app, "SELECT COUNT(*) FROM analytics_days WHERE version > 0").await, 0);
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.state.db();
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("query");
    row.expect("row").try_get_by_index::<i64>(0).expect("count")
}

async fn execute(app: &TestApp, sql: &str) {
    let db = app.state.db();
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect(sql);
}

/// The same report with every digest dropped: read from the raw rows alone.
async fn raw_report(app: &TestApp, token: &str, query: &str) -> AnalyticsReport {
    execute(app, "UPDATE analytics_days SET digest = NULL, digest_version = NULL").await;
    report(app, token, query).await
}

async fn digests_follow_every_write_to_a_past_day(app: &TestApp) {
    let d = data(app).await;
    let cold = report(app, &d.admin, BERLIN).await;
    // Every day of the range now has a digest taken at its current version (four UTC days of A and of B).
    let kept = "SELECT COUNT(*) FROM analytics_days WHERE digest_version = version AND digest IS NOT NULL";
    assert_eq!(count(app, kept).await, 8);
    let warm = report(app, &d.admin, BERLIN).await;
    assert_eq!(warm, cold);

    // Resolving the ongoing chat of the 25th (11:00 winter time) weeks later.
    execute(
        app,
        "UPDATE chats SET status = 'resolved', ended_at = '2026-10-25 10:30:00' \
         WHERE started_at = '2026-10-25 10:00:00'",
    )
    .await;
    let r = report(app, &d.admin, BERLIN).await;
    assert_eq!(column(&r, |d| d.resolved), [1, 1, 1]);
    assert_eq!(r.days[1].resolution.median_ms, Some(1_800_000));
    // Messages counted late into a past quarter hour (12:00 UTC on the 25th), and a visitor seen on the 26th.
    execute(
        app,
        &format!(
            "INSERT INTO message_counts (website_id, bucket, sender_type, sender_id, messages) \
             VALUES ('{}', 1792929600, 'visitor', '', 2)",
            d.a
        ),
    )
    .await;
    execute(
        app,
        &format!(
            "INSERT INTO visitor_activity (website_id, bucket, visitor_id) VALUES ('{}', 1793016000, 'late')",
            d.b
        ),
    )
    .await;
    let r = report(app, &d.admin, BERLIN).await;
    assert_eq!(column(&r, |d| d.messages), [1, 9, 3]);
    assert_eq!(column(&r, |d| d.visitors), [1, 5, 2]);
    // A chat deleted: the missed chat of 02:30.
    execute(
        app,
        "DELETE FROM messages WHERE chat_id IN (SELECT id FROM chats WHERE started_at = '2026-10-25 00:30:00')",
    )
    .await;
    execute(app, "DELETE FROM chats WHERE started_at = '2026-10-25 00:30:00'").await;
    let r = report(app, &d.admin, BERLIN).await;
    assert_eq!((column(&r, |d| d.chats), column(&r, |d| d.missed)), (vec![1, 3, 1], vec![0, 1, 0]));
    // And the digests taken after all that agree with the raw rows, in every time zone.
    for query in [BERLIN, "from=2026-10-24&to=2026-10-26&tz=UTC", "from=2026-10-20&to=2026-10-30&tz=Asia/Kathmandu"] {
        let warm = report(app, &d.admin, query).await;
        assert_eq!(warm, raw_report(app, &d.admin, query).await, "{query}");
    }
}
