//! First start on an empty database creates one super admin (configured or with a generated password); later
//! starts leave users alone.

mod common;

use common::{test_config, Backend, TestApp, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};

use domain::entities::users;

async fn configured_admin_is_created_once(backend: Backend) {
    let db = TestDb::create(backend).await;
    let config = test_config(&db, &[]);
    let first = TestApp::start(db, config.clone()).await;
    let bootstrap = first.helpdesk_bootstrap.as_ref().expect("first start creates the admin");
    assert_eq!(bootstrap.email, ADMIN_EMAIL);
    assert!(bootstrap.generated_password.is_none());
    assert_eq!(first.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), StatusCode::OK);

    // Restart on the same database with different credentials: nothing is created or changed.
    let mut again = config.clone();
    again.admin_email = Some("other@helpdesk.test".into());
    let second = server::build_app(&again).await.expect("second start");
    assert!(second.bootstrap.is_none());
    assert_eq!(users::Entity::find().count(second.state.db()).await.expect("count"), 1);
    second.state.close().await;
    first.stop().await;
}

async fn missing_password_is_generated_and_works(backend: Backend) {
    let db = TestDb::create(backend).await;
    let config = test_config(&db, &[("HELPDESK_ADMIN_PASSWORD", ""), ("HELPDESK_ADMIN_EMAIL", "")]);
    let app = TestApp::start(db, config).await;
    let bootstrap = app.helpdesk_bootstrap.as_ref().expect("created");
    assert_eq!(bootstrap.email, "admin@example.com");
    let password = bootstrap.generated_password.clone().expect("generated password");
    assert!(password.len() >= 16);
    assert_eq!(app.login("admin@example.com", &password).await.status(), StatusCode::OK);
    app.stop().await;
}

async fn a_too_short_configured_password_is_refused(backend: Backend) {
    let db = TestDb::create(backend).await;
    let config = test_config(&db, &[("HELPDESK_ADMIN_PASSWORD", "short")]);
    let err = server::build_app(&config).await.err().expect("refused");
    assert!(err.to_string().contains("at least 8"), "{err}");
    db.drop_db().await;
}

per_backend!(
    configured_admin_is_created_once,
    missing_password_is_generated_and_works,
    a_too_short_configured_password_is_refused,
);
