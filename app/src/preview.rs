//! The widget preview on a website's settings page: a self-contained HTML document, shown in a sandboxed iframe
//! (no scripts, its own origin) so the site's custom CSS applies to the preview and nowhere else. Everything
//! user-written is escaped.

use protocol::{WidgetPosition, WidgetSettings, WidgetSize};

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

/// The preview document for `settings`, showing the open chat (online) or the offline form.
pub fn widget_preview_html(settings: &WidgetSettings, online: bool) -> String {
    let color = safe_color(&settings.primary_color);
    let side = match settings.position {
        WidgetPosition::BottomRight => "right",
        WidgetPosition::BottomLeft => "left",
    };
    let (width, height) = match settings.widget_size {
        WidgetSize::Compact => (300, 380),
        WidgetSize::Normal => (350, 460),
    };
    // A `<` cannot close the style element once escaped as a CSS escape.
    let custom_css = settings.custom_css.replace('<', "\\3c ");
    let body = if online {
        format!(
            r#"<div class="hd-messages"><div class="hd-msg hd-agent">{welcome}</div><div class="hd-msg hd-visitor">Hi! I have a question about my order.</div></div>
<div class="hd-composer"><input class="hd-input" placeholder="Type your message…" disabled><button class="hd-send" disabled>Send</button></div>"#,
            welcome = escape_html(&settings.welcome_message)
        )
    } else {
        format!(
            r#"<div class="hd-offline"><p>{offline}</p><input class="hd-input" placeholder="Your name" disabled><input class="hd-input" placeholder="Your email" disabled><textarea class="hd-input" placeholder="Your message" disabled></textarea><button class="hd-send" disabled>Leave a message</button></div>"#,
            offline = escape_html(&settings.offline_message)
        )
    };
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Widget preview</title><style>
html,body{{margin:0;height:100%;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:repeating-linear-gradient(45deg,#f3f4f6 0 12px,#eef0f3 12px 24px)}}
.hd-window{{position:absolute;bottom:88px;{side}:20px;width:{width}px;max-width:calc(100% - 40px);height:{height}px;max-height:calc(100% - 108px);background:#fff;border-radius:14px;box-shadow:0 10px 30px rgba(0,0,0,.18);display:flex;flex-direction:column;overflow:hidden}}
.hd-header{{background:{color};color:#fff;padding:14px 16px;font-weight:600}}
.hd-header small{{display:block;font-weight:400;opacity:.85}}
.hd-messages{{flex:1;padding:12px;display:flex;flex-direction:column;gap:8px;overflow:auto}}
.hd-msg{{max-width:80%;padding:8px 12px;border-radius:12px;font-size:14px;line-height:1.4;white-space:pre-wrap;word-wrap:break-word}}
.hd-agent{{background:#f1f5f9;color:#111827;align-self:flex-start}}
.hd-visitor{{background:{color};color:#fff;align-self:flex-end}}
.hd-composer{{display:flex;gap:6px;padding:10px;border-top:1px solid #e5e7eb}}
.hd-input{{flex:1;font:inherit;font-size:14px;padding:8px 10px;border:1px solid #d1d5db;border-radius:8px}}
.hd-send{{background:{color};color:#fff;border:0;border-radius:8px;padding:8px 12px;font-weight:600}}
.hd-offline{{flex:1;padding:14px;display:flex;flex-direction:column;gap:8px;font-size:14px}}
.hd-offline p{{margin:0 0 4px;white-space:pre-wrap}}
.hd-offline textarea{{min-height:70px}}
.hd-launcher{{position:absolute;bottom:20px;{side}:20px;width:56px;height:56px;border-radius:50%;background:{color};box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center}}
.hd-launcher svg{{width:26px;height:26px;fill:#fff}}
</style><style>{custom_css}</style></head><body>
<div class="hd-window"><div class="hd-header">Chat with us<small>{status}</small></div>{body}</div>
<div class="hd-launcher"><svg viewBox="0 0 24 24"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg></div>
</body></html>"#,
        status = if online { "We reply in a few minutes" } else { "We are away right now" },
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
}
