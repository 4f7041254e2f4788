//! Business hours as an admin may type them: a schedule is accepted or refused without panicking; an accepted one
//! is accepted again unchanged, and asking whether it is open at any moment never panics.
//!
//! Input: JSON (`{"enabled":…,"timezone":…,"days":[[{"start":…,"end":…}]…]}`), or, to reach the time parser faster,
//! lines: a time zone, then one line per day of `start-end` ranges separated by `,`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::{BusinessHours, TimeRange};

fn from_lines(text: &str) -> BusinessHours {
    let mut lines = text.split('\n');
    let timezone = lines.next().unwrap_or_default().to_string();
    let days = lines
        .map(|line| {
            line.split(',')
                .filter(|r| !r.is_empty())
                .map(|r| {
                    let (start, end) = r.split_once('-').unwrap_or((r, ""));
                    TimeRange { start: start.into(), end: end.into() }
                })
                .collect()
        })
        .collect();
    BusinessHours { enabled: true, timezone, days, offline_when_no_agents: false }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for time in text.split(['\n', ',', '-']) {
        if let Some(m) = hours::minutes(time, true) {
            assert!(m <= 24 * 60, "{time:?} -> {m}");
        }
    }
    let schedule = match serde_json::from_str::<BusinessHours>(text) {
        Ok(schedule) => schedule,
        Err(_) => from_lines(text),
    };
    let Ok(valid) = hours::validate(schedule) else { return };
    assert_eq!(hours::validate(valid.clone()).as_ref(), Ok(&valid), "validating twice changes nothing");
    // Every hour of a week, and a DST change in both directions.
    let monday = chrono::NaiveDate::from_ymd_opt(2026, 3, 23).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("date");
    for hour in 0..24 * 7 {
        hours::is_open(&valid, monday + chrono::Duration::hours(hour));
    }
    for instant in ["2026-03-29T00:59:59", "2026-03-29T01:00:00", "2026-10-25T00:59:59", "2026-10-25T01:00:00"] {
        hours::is_open(&valid, instant.parse().expect("instant"));
    }
});
