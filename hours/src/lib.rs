//! A website's weekly business hours (`protocol::BusinessHours`): checking a schedule an admin typed (times like
//! `09:30`, at most a few ranges a day, none overlapping, in a known IANA time zone) and telling whether it is open
//! at a moment. Pure functions of their input, with no server around them, so the parser can be fuzzed on its own
//! (`fuzz/`).

use chrono::{Datelike, NaiveDateTime, Timelike};
use protocol::{BusinessHours, TimeRange};

pub const MAX_RANGES_PER_DAY: usize = 6;

/// Why a schedule was refused: the form field at fault and what to tell the admin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoursError {
    /// `timezone` or `businessHours`.
    pub field: &'static str,
    pub message: String,
}

/// `"09:30"` → minutes since midnight; `"24:00"` is allowed as an end.
pub fn minutes(time: &str, allow_end_of_day: bool) -> Option<u32> {
    let (h, m) = time.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if allow_end_of_day => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// Checks and normalises a schedule (trimmed times, each day's ranges in order).
pub fn validate(hours: BusinessHours) -> Result<BusinessHours, HoursError> {
    let err = |message: String| HoursError { field: "businessHours", message };
    let timezone = hours.timezone.trim().to_string();
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(HoursError {
            field: "timezone",
            message: format!("“{timezone}” is not a known time zone (use a name like Europe/Paris)."),
        });
    }
    if hours.days.len() != 7 {
        return Err(err("Give a schedule for each of the seven days.".into()));
    }
    let mut days = Vec::with_capacity(7);
    for (day, ranges) in protocol::DAY_NAMES.iter().zip(hours.days) {
        if ranges.len() > MAX_RANGES_PER_DAY {
            return Err(err(format!("{day}: at most {MAX_RANGES_PER_DAY} ranges.")));
        }
        let mut parsed = Vec::with_capacity(ranges.len());
        for range in &ranges {
            let start = minutes(&range.start, false)
                .ok_or_else(|| err(format!("{day}: “{}” is not a time like 09:00.", range.start)))?;
            let end = minutes(&range.end, true)
                .ok_or_else(|| err(format!("{day}: “{}” is not a time like 17:30.", range.end)))?;
            if start >= end {
                return Err(err(format!("{day}: {}–{} ends before it starts.", range.start.trim(), range.end.trim())));
            }
            parsed.push((start, end, TimeRange { start: range.start.trim().into(), end: range.end.trim().into() }));
        }
        parsed.sort_by_key(|(start, _, _)| *start);
        for pair in parsed.windows(2) {
            if pair[0].1 > pair[1].0 {
                return Err(err(format!(
                    "{day}: {}–{} overlaps {}–{}.",
                    pair[0].2.start, pair[0].2.end, pair[1].2.start, pair[1].2.end
                )));
            }
        }
        days.push(parsed.into_iter().map(|(_, _, r)| r).collect());
    }
    Ok(BusinessHours { enabled: hours.enabled, timezone, days, offline_when_no_agents: hours.offline_when_no_agents })
}

/// Whether the schedule is open at `now` (UTC). A disabled schedule is always open.
pub fn is_open(hours: &BusinessHours, now: NaiveDateTime) -> bool {
    if !hours.enabled {
        return true;
    }
    let Ok(tz) = hours.timezone.parse::<chrono_tz::Tz>() else { return true };
    let local = now.and_utc().with_timezone(&tz);
    let minute = local.hour() * 60 + local.minute();
    let day = local.weekday().num_days_from_monday() as usize;
    hours.days.get(day).is_some_and(|ranges| {
        ranges.iter().any(|r| match (minutes(&r.start, false), minutes(&r.end, true)) {
            (Some(start), Some(end)) => start <= minute && minute < end,
            _ => false,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: &str, end: &str) -> TimeRange {
        TimeRange { start: start.into(), end: end.into() }
    }

    fn hours(tz: &str, monday: Vec<TimeRange>) -> BusinessHours {
        BusinessHours {
            enabled: true,
            timezone: tz.into(),
            days: vec![monday, vec![], vec![], vec![], vec![], vec![], vec![]],
            offline_when_no_agents: false,
        }
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    #[test]
    fn times_are_two_digits_colon_two_digits() {
        assert_eq!(minutes(" 09:30 ", false), Some(570));
        assert_eq!(minutes("24:00", true), Some(1440));
        for bad in ["24:00", "9:30", "09:5", "+9:30", "09:+5", "٠٩:٣٠", "09:60", "", ":", "0930"] {
            assert_eq!(minutes(bad, false), None, "{bad:?}");
        }
    }

    #[test]
    fn schedules_are_refused_with_the_field_at_fault() {
        let cases = [
            ("timezone", hours("Mars/Olympus", vec![])),
            ("businessHours", hours("UTC", vec![range("17:00", "09:00")])),
            ("businessHours", hours("UTC", vec![range("09:00", "12:00"), range("11:00", "14:00")])),
            ("businessHours", hours("UTC", vec![range("9am", "17:00")])),
            ("businessHours", hours("UTC", vec![range("09:00", "24:30")])),
            ("businessHours", hours("UTC", vec![range("00:00", "01:00"); MAX_RANGES_PER_DAY + 1])),
            ("businessHours", BusinessHours { days: vec![vec![]; 6], ..hours("UTC", vec![]) }),
        ];
        for (field, schedule) in cases {
            assert_eq!(validate(schedule.clone()).map_err(|e| e.field), Err(field), "{schedule:?}");
        }
    }

    #[test]
    fn touching_ranges_are_fine_end_of_day_is_24_00_and_days_come_back_in_order() {
        let h = hours(" UTC ", vec![range("12:00", "24:00"), range(" 09:00", "12:00")]);
        let ok = validate(h).expect("valid");
        assert_eq!(ok.timezone, "UTC");
        assert_eq!(ok.days[0], vec![range("09:00", "12:00"), range("12:00", "24:00")]);
    }

    #[test]
    fn open_now_follows_the_schedule_in_its_time_zone() {
        // 2026-11-23 is a Monday.
        let paris = hours("Europe/Paris", vec![range("09:00", "17:00")]);
        assert!(is_open(&paris, at("2026-11-23 08:30")), "09:30 in Paris (UTC+1)");
        assert!(!is_open(&paris, at("2026-11-23 07:30")), "08:30 in Paris");
        assert!(!is_open(&paris, at("2026-11-23 16:00")), "17:00 in Paris is closing time");
        assert!(!is_open(&paris, at("2026-11-24 10:00")), "Tuesday is closed");
        assert!(
            is_open(&BusinessHours { enabled: false, ..paris }, at("2026-11-24 03:00")),
            "no schedule: always open"
        );
    }
}
