//! The widget preview on a website's settings page: a self-contained HTML document, shown in a sandboxed iframe
//! (no scripts, its own origin) so the site's custom CSS applies to the preview and nowhere else. Everything
//! user-written is escaped.

use protocol::{PrechatField, WidgetPosition, WidgetSettings, WidgetSize};

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A color safe to put in CSS: `#rrggbb`, else the default blue.
fn safe_color(color: &str) -> &str {
    let c = color.trim();
    if c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit()) {
        c
    } else {
        "#2563eb"
    }
}

/// The widget's own stylesheets: the chat's, and the forms module's (`widget-wasm/src/`), so the preview is drawn by
/// the same CSS as the widget and cannot drift from it.
const WIDGET_CSS: &str = include_str!("../../widget-wasm/src/widget.css");
const FORMS_CSS: &str = include_str!("../../widget-wasm/src/forms.css");

/// A field of the pre-chat form or the offline form, in the widget's markup (`forms.rs`).
fn field(name: &str, label: &str, mode: Option<PrechatField>, textarea: bool) -> String {
    let label = match mode {
        Some(PrechatField::Optional) => format!("{label} (optional)"),
        _ => label.to_string(),
    };
    let input = if textarea {
        format!(r#"<textarea name="{name}" rows="3" disabled></textarea>"#)
    } else {
        format!(r#"<input name="{name}" disabled>"#)
    };
    format!("<label><span>{label}</span>{input}</label>")
}

/// The preview document for `settings`: the open widget as the widget draws it — the chat (online), with the
/// pre-chat form when the website has one, or the offline form — on a neutral page, with the launcher.
pub fn widget_preview_html(settings: &WidgetSettings, online: bool) -> String {
    let color = safe_color(&settings.primary_color);
    let on = protocol::text_on(color);
    let mut classes = String::from("hd-panel");
    if settings.position == WidgetPosition::BottomLeft {
        classes.push_str(" hd-left");
    }
    if settings.widget_size == WidgetSize::Compact {
        classes.push_str(" hd-compact");
    }
    let side = match settings.position {
        WidgetPosition::BottomRight => "right",
        WidgetPosition::BottomLeft => "left",
    };
    // A `<` cannot close the style element once escaped as a CSS escape.
    let custom_css = settings.custom_css.replace('<', "\\3c ");
    let welcome = escape_html(&settings.welcome_message);
    let prechat = &settings.prechat;
    let (log, below) = if !online {
        let form = [
            format!(r#"<p class="hd-form-note">{}</p>"#, escape_html(&settings.offline_message)),
            field("name", "Your name", None, false),
            field("email", "Your email", None, false),
            field("message", "Your message", None, true),
            r#"<button type="button" class="hd-send">Leave a message</button>"#.to_string(),
        ]
        .concat();
        (String::new(), format!(r#"<form class="hd-form hd-offline">{form}</form>"#))
    } else if prechat.enabled() {
        let mut form = String::new();
        for (name, label, mode, textarea) in [
            ("name", "Your name", prechat.name, false),
            ("email", "Your email", prechat.email, false),
            ("question", "How can we help?", prechat.question, true),
        ] {
            if mode != PrechatField::Off {
                form.push_str(&field(name, label, Some(mode), textarea));
            }
        }
        if !prechat.consent.is_empty() {
            form.push_str(&format!(
                r#"<label class="hd-consent"><input type="checkbox" disabled><span>{}</span></label>"#,
                escape_html(&prechat.consent)
            ));
        }
        form.push_str(r#"<button type="button" class="hd-send">Start the chat</button>"#);
        (String::new(), format!(r#"<form class="hd-form hd-prechat">{form}</form>"#))
    } else {
        (
            r#"<li class="hd-m hd-me"><div class="hd-bubble">Hi! I have a question about my order.</div></li>"#.to_string(),
            r#"<form class="hd-composer"><label class="hd-attach"><span aria-hidden="true">+</span></label><textarea class="hd-input" rows="1" placeholder="Write a message…" disabled></textarea><button type="button" class="hd-send">Send</button></form>"#.to_string(),
        )
    };
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Widget preview</title><style>
html,body{{margin:0;height:100%;background:repeating-linear-gradient(45deg,#f3f4f6 0 12px,#eef0f3 12px 24px)}}
:root{{--hd-color:{color};--hd-on:{on}}}
</style><style>{WIDGET_CSS}</style><style>{FORMS_CSS}</style><style>
@media (max-width:520px){{.hd-panel,.hd-compact{{inset:auto;bottom:88px;{side}:20px;width:calc(100% - 40px);height:calc(100% - 108px);border-radius:14px}}}}
.hd-launcher{{position:fixed;bottom:20px;{side}:20px;width:56px;height:56px;border-radius:50%;background:{color};box-shadow:0 6px 20px rgba(0,0,0,.25);display:grid;place-items:center}}
.hd-launcher svg{{width:28px;height:28px;fill:{on}}}
</style><style>{custom_css}</style></head><body>
<section class="{classes}" aria-labelledby="hd-title"><header class="hd-head"><h2 id="hd-title">Chat with us</h2><button type="button" class="hd-close" aria-label="Close chat">×</button></header>
<ol class="hd-log" aria-label="Messages"><li class="hd-m hd-agent hd-welcome"><div class="hd-bubble">{welcome}</div></li>{log}</ol>
<p class="hd-typing"></p>{below}</section>
<div class="hd-launcher"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z"/></svg></div>
</body></html>"#,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_and_css_cannot_close_its_element() {
        let settings = WidgetSettings {
            welcome_message: "<img src=x onerror=alert(1)> & \"hi\"".into(),
            custom_css: "</style><script>alert(1)</script>".into(),
            primary_color: "red;}</style><script>".into(),
            ..WidgetSettings::default()
        };
        let html = widget_preview_html(&settings, true);
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;hi&quot;"));
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("red;}"));
        assert!(html.contains("#2563eb"));
    }

    #[test]
    fn offline_preview_shows_the_offline_message_and_form() {
        let settings = WidgetSettings { offline_message: "Back at 9".into(), ..WidgetSettings::default() };
        let html = widget_preview_html(&settings, false);
        assert!(html.contains("Back at 9") && html.contains("Leave a message"));
    }

    #[test]
    fn the_preview_uses_the_widgets_markup_and_shows_the_prechat_form() {
        let mut settings = WidgetSettings::default();
        settings.prechat.name = PrechatField::Required;
        settings.prechat.question = PrechatField::Optional;
        settings.prechat.consent = "I agree <b>".into();
        let html = widget_preview_html(&settings, true);
        assert!(html.contains(WIDGET_CSS) && html.contains(FORMS_CSS));
        assert!(html.contains(r#"class="hd-form hd-prechat""#), "{html}");
        assert!(html.contains("<span>Your name</span>") && html.contains("How can we help? (optional)"));
        assert!(!html.contains("Your email"));
        assert!(html.contains("I agree &lt;b&gt;"));
        // Without a form the chat and its composer show; offline always shows the offline form.
        settings.prechat = Default::default();
        assert!(widget_preview_html(&settings, true).contains(r#"class="hd-composer""#));
        assert!(widget_preview_html(&settings, false).contains(r#"class="hd-form hd-offline""#));
    }
}
