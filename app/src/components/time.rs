//! Time on the dashboard: the viewer's time zone (put in the page's URL, so the server renders the same figures),
//! RFC 3339 times as milliseconds, and a clock that ticks in the browser.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

/// The browser's IANA time zone.
pub fn browser_time_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    let options = format.resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into()).ok()?.as_string()
}

/// The page's `tz` parameter; once the script runs, a URL without one is replaced by the same URL with the
/// browser's time zone, so every range is the viewer's.
pub fn use_viewer_time_zone() -> Signal<Option<String>> {
    let query = use_query_map();
    let navigate = use_navigate();
    let location = use_location();
    Effect::new(move |_| {
        if query.read().get("tz").is_some() {
            return;
        }
        if let Some(tz) = browser_time_zone() {
            let search = location.search.get_untracked();
            let search = search.trim_start_matches('?');
            let sep = if search.is_empty() { "?" } else { "&" };
            let search = if search.is_empty() { String::new() } else { format!("?{search}") };
            let encoded: String = js_sys::encode_uri_component(&tz).into();
            let url = format!("{}{search}{sep}tz={encoded}", location.pathname.get_untracked());
            navigate(&url, leptos_router::NavigateOptions { replace: true, ..Default::default() });
        }
    });
    Signal::derive(move || query.read().get("tz").filter(|t| !t.trim().is_empty()))
}

/// Milliseconds since 1970 of an RFC 3339 UTC time as the server writes them (`2026-12-04T18:23:55.123Z`).
pub fn epoch_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let millis = match b.get(19) {
        Some(b'.') => num(20..23).unwrap_or(0),
        _ => 0,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + millis)
}

/// Now, in milliseconds since 1970: starts at `initial` (the server's clock, so server and browser render the
/// same), then follows the browser's clock every second.
pub fn use_clock(initial: i64) -> ReadSignal<i64> {
    let (now, set_now) = signal(initial);
    Effect::new(move |_| {
        set_now.set(js_sys::Date::now() as i64);
        if let Ok(handle) =
            set_interval_with_handle(move || set_now.set(js_sys::Date::now() as i64), std::time::Duration::from_secs(1))
        {
            on_cleanup(move || handle.clear());
        }
    });
    now
}

/// A waiting time: `45 s`, `3 min`, `2 h 05 min`.
pub fn waited(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_times_read_as_milliseconds() {
        assert_eq!(epoch_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(epoch_ms("2026-12-04T18:23:55.123Z"), Some(1_796_408_635_123));
        assert_eq!(epoch_ms("2024-02-29T12:00:00Z"), Some(1_709_208_000_000));
        assert_eq!(epoch_ms("yesterday"), None);
    }

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(waited(45_000), "45 s");
        assert_eq!(waited(185_000), "3 min");
        assert_eq!(waited(7_500_000), "2 h 05 min");
    }
}
