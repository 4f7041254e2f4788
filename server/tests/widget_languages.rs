//! The widget's languages: the config speaks the website's language or the visitor's browser's (Accept-Language,
//! by quality), with that language's texts, the direction (Arabic right to left), the default welcome and offline
//! texts translated while they are the defaults, and the admin's own texts per language; bad settings are refused
//! by field. Also the text color picked for the brand color.

mod common;

use common::ws::ORIGIN;
use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(the_config_speaks_the_visitors_language);

async fn config(app: &TestApp, key: &str, accept_language: Option<&str>) -> Value {
    let mut req = app.client.get(app.url(&format!("/api/widget/config?apiKey={key}"))).header("Origin", ORIGIN);
    if let Some(lang) = accept_language {
        req = req.header("Accept-Language", lang);
    }
    let res = req.send().await.expect("config");
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

async fn the_config_speaks_the_visitors_language(app: &TestApp) {
    let admin = app.admin_token().await;
    let site = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let (website, key) = (site["id"].as_str().expect("id"), site["apiKey"].as_str().expect("key"));
    let path = format!("/api/websites/{website}/settings");

    // The browser's language by default; English without one the widget speaks.
    let en = config(app, key, None).await;
    assert_eq!((en["language"].as_str(), en["rtl"].as_bool()), (Some("en"), Some(false)));
    assert!(en.get("strings").is_none(), "English needs no strings: {en}");
    assert_eq!(en["welcomeMessage"], "Hello! How can we help you today?");
    assert_eq!(en["textColor"], "#ffffff");
    let de = config(app, key, Some("de-AT,de;q=0.9,en;q=0.5")).await;
    assert_eq!(de["language"], "de");
    assert_eq!(de["strings"]["Send"], "Senden");
    assert_eq!(de["strings"]["Chat with us"], "Chatten Sie mit uns");
    assert_eq!(de["welcomeMessage"], "Hallo! Wie können wir Ihnen heute helfen?", "the default, translated");
    let ar = config(app, key, Some("ar-EG")).await;
    assert_eq!((ar["language"].as_str(), ar["rtl"].as_bool()), (Some("ar"), Some(true)));
    assert_eq!(config(app, key, Some("ja, pt-BR;q=0.8")).await["language"], "pt");
    assert_eq!(config(app, key, Some("ja")).await["language"], "en");

    // Refused by field: an "auto" set of texts, two for one language, one too long.
    let mut settings = app.api(Method::GET, &path, &admin, None).await.1;
    assert_eq!((settings["language"].as_str(), settings["translations"].clone()), (Some("auto"), json!([])));
    for translations in [
        json!([{ "language": "auto", "welcomeMessage": "Hi" }]),
        json!([{ "language": "de", "welcomeMessage": "Hallo" }, { "language": "de", "offlineMessage": "Weg" }]),
        json!([{ "language": "fr", "welcomeMessage": "x".repeat(501) }]),
    ] {
        settings["translations"] = translations.clone();
        let (status, error) = app.api(Method::PUT, &path, &admin, Some(settings.clone())).await;
        assert_eq!(
            (status, error["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("translations")),
            "{translations}: {error}"
        );
    }

    // The admin's own texts: German ones for German visitors; their own welcome, as written, for the others.
    settings["welcomeMessage"] = json!("Welcome to the shop!");
    settings["primaryColor"] = json!("#fbbf24");
    settings["translations"] = json!([
        { "language": "de", "welcomeMessage": "  Willkommen im Laden! ", "offlineMessage": "" },
        { "language": "es", "welcomeMessage": "", "offlineMessage": "" }
    ]);
    let (status, saved) = app.api(Method::PUT, &path, &admin, Some(settings.clone())).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        saved["translations"],
        json!([{ "language": "de", "welcomeMessage": "Willkommen im Laden!", "offlineMessage": "" }]),
        "trimmed, empty sets dropped"
    );
    let de = config(app, key, Some("de")).await;
    assert_eq!(de["welcomeMessage"], "Willkommen im Laden!");
    assert_eq!(
        de["offlineMessage"],
        "Wir sind gerade nicht erreichbar. Hinterlassen Sie eine Nachricht, wir melden uns bei Ihnen."
    );
    assert_eq!(config(app, key, Some("fr")).await["welcomeMessage"], "Welcome to the shop!");
    // White on amber is 1.66:1: the widget writes in dark text.
    assert_eq!(de["textColor"], "#111827");

    // One language for everyone.
    settings["language"] = json!("fr");
    let (status, _) = app.api(Method::PUT, &path, &admin, Some(settings)).await;
    assert_eq!(status, StatusCode::OK);
    let fr = config(app, key, Some("de")).await;
    assert_eq!(fr["language"], "fr");
    assert_eq!(fr["strings"]["Send"], "Envoyer");
}
