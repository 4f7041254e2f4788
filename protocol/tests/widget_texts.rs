//! Every text the widget looks up (`t(config, "…")`, `self.t("…")`, `me.t("…")` in `widget-wasm/src`,
//! `tr(ctx, '…')` in the forms module `widget-wasm/forms.js`, and the loader's launcher name) has a translation in
//! every language the widget speaks: a new English text without them fails here instead of showing in English to a
//! German visitor.

use protocol::WidgetLanguage;

/// The string literals passed to the widget's `t` and `tr` lookups in `source`.
fn looked_up(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (marker, quote) in [("t(config, \"", '"'), (".t(\"", '"'), ("tr(ctx, '", '\'')] {
        let mut rest = source;
        while let Some(at) = rest.find(marker) {
            // `t(config, …`, not `get(config, …`.
            let whole = rest[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let after = &rest[at + marker.len()..];
            let end = after.find(quote).expect("a closing quote");
            if whole || marker.starts_with('.') {
                found.push(after[..end].to_string());
            }
            rest = &after[end..];
        }
    }
    found
}

#[test]
fn every_text_the_widget_shows_is_translated() {
    let widget = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../widget-wasm");
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(widget.join("src")).expect("widget sources") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            texts.extend(looked_up(&std::fs::read_to_string(&path).expect("source")));
        }
    }
    let chat = texts.len();
    texts.extend(looked_up(&std::fs::read_to_string(widget.join("forms.js")).expect("forms module")));
    assert!(chat > 10 && texts.len() - chat > 20, "the scan found the lookups: {texts:?}");
    texts.push("Chat with us".into()); // the loader's launcher
    for lang in WidgetLanguage::SPOKEN.iter().copied().filter(|l| *l != WidgetLanguage::En) {
        let strings = lang.strings();
        for text in &texts {
            assert!(strings.contains_key(text), "{lang:?} has no translation of {text:?}");
        }
    }
}
