//! A report's range: whole local days in an IANA time zone, as UTC instants. Local days start at local midnight
//! (or, where a DST change skips midnight, at the first instant after it), so a DST day lasts 23 or 25 hours.

use chrono::{Days, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use protocol::{AnalyticsQuery, AppError, MAX_RANGE_DAYS};

/// Whole local days `from..=to` in `tz`.
#[derive(Clone, Debug)]
pub struct Range {
    pub tz: Tz,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The UTC instant each day starts at, and the day after `to` last: `days() + 1` instants.
    pub starts: Vec<NaiveDateTime>,
}

/// The first instant of local date `date` in `tz`.
fn day_start(tz: Tz, date: NaiveDate) -> NaiveDateTime {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    // Midnight skipped by a DST change: the day starts at the first local time that exists (within the hour or so
    // a change skips).
    (0..=8)
        .find_map(|quarter| tz.from_local_datetime(&(midnight + chrono::Duration::minutes(15 * quarter))).earliest())
        .map(|t| t.naive_utc())
        .unwrap_or(midnight)
}

fn parse_date(field: &str, text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::validation(field, "Give the date as YYYY-MM-DD."))
}

impl Range {
    /// `query`'s range (default: the 7 days up to today in its time zone), checked.
    pub fn parse(query: &AnalyticsQuery, now: NaiveDateTime) -> Result<Range, AppError> {
        let tz: Tz = match query.tz.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Tz::UTC,
            Some(name) => name
                .parse()
                .map_err(|_| AppError::validation("tz", "Use an IANA time zone name, such as Europe/Berlin."))?,
        };
        let today = tz.from_utc_datetime(&now).date_naive();
        if let Some(days) = query.days {
            if days == 0 || i64::from(days) > MAX_RANGE_DAYS {
                return Err(AppError::validation("days", format!("Ask for 1 to {MAX_RANGE_DAYS} days.")));
            }
            let from = today.checked_sub_days(Days::new(u64::from(days) - 1)).unwrap_or(today);
            return Ok(Range::new(tz, from, today));
        }
        let to = match query.to.as_deref().filter(|t| !t.is_empty()) {
            Some(to) => parse_date("to", to)?,
            None => today,
        };
        let from = match query.from.as_deref().filter(|f| !f.is_empty()) {
            Some(from) => parse_date("from", from)?,
            None => to.checked_sub_days(Days::new(6)).unwrap_or(to),
        };
        if from > to {
            return Err(AppError::validation("from", "The range must start on or before its last day."));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(AppError::validation("to", format!("A range covers at most {MAX_RANGE_DAYS} days.")));
        }
        Ok(Range::new(tz, from, to))
    }

    pub fn new(tz: Tz, from: NaiveDate, to: NaiveDate) -> Range {
        let starts =
            from.iter_days().take_while(|d| *d <= to.succ_opt().unwrap_or(*d)).map(|d| day_start(tz, d)).collect();
        Range { tz, from, to, starts }
    }

    pub fn days(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn start(&self) -> NaiveDateTime {
        self.starts[0]
    }

    pub fn end(&self) -> NaiveDateTime {
        self.starts[self.starts.len() - 1]
    }

    /// The day (0-based) `t` falls on, if it is in the range.
    pub fn day_of(&self, t: NaiveDateTime) -> Option<usize> {
        if t < self.start() || t >= self.end() {
            return None;
        }
        Some(self.starts.partition_point(|s| *s <= t) - 1)
    }

    pub fn date(&self, day: usize) -> NaiveDate {
        self.from + chrono::Duration::days(day as i64)
    }

    /// The range's stretches of one UTC offset, as (first instant in seconds since 1970, offset in seconds): a
    /// bucket's local day is `(bucket + offset) / 86400` with the offset of the stretch it falls in.
    pub fn offsets(&self) -> Vec<(i64, i64)> {
        let offset_at = |t: i64| -> i64 {
            let at = chrono::DateTime::from_timestamp(t, 0).map(|d| d.naive_utc()).unwrap_or_default();
            i64::from(self.tz.offset_from_utc_datetime(&at).fix().local_minus_utc())
        };
        let (start, end) = (self.start().and_utc().timestamp(), self.end().and_utc().timestamp());
        let mut stretches = vec![(start, offset_at(start))];
        // Offsets change on a quarter hour; look at every quarter hour of a day whose two ends differ.
        for pair in self.starts.windows(2) {
            let (a, b) = (pair[0].and_utc().timestamp(), pair[1].and_utc().timestamp());
            if offset_at(a) == offset_at(b) {
                continue;
            }
            let mut t = a - a.rem_euclid(900) + 900;
            while t <= b && t < end {
                let offset = offset_at(t);
                if stretches.last().is_some_and(|(_, last)| *last != offset) {
                    stretches.push((t, offset));
                }
                t += 900;
            }
        }
        stretches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time")
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn dst_days_last_23_and_25_hours() {
        let berlin: Tz = "Europe/Berlin".parse().expect("tz");
        let spring = Range::new(berlin, date("2026-03-29"), date("2026-03-29"));
        assert_eq!(spring.starts, vec![at("2026-03-28 23:00"), at("2026-03-29 22:00")]);
        let autumn = Range::new(berlin, date("2026-10-25"), date("2026-10-25"));
        assert_eq!(autumn.starts, vec![at("2026-10-24 22:00"), at("2026-10-25 23:00")]);
        assert_eq!(
            autumn.offsets(),
            vec![
                (at("2026-10-24 22:00").and_utc().timestamp(), 7200),
                (at("2026-10-25 01:00").and_utc().timestamp(), 3600)
            ]
        );
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_the_first_instant_that_exists() {
        // Havana springs forward at midnight: 2026-03-08 00:00 does not exist, the day starts at 01:00 (CDT).
        let havana: Tz = "America/Havana".parse().expect("tz");
        let range = Range::new(havana, date("2026-03-08"), date("2026-03-08"));
        assert_eq!(range.starts[0], at("2026-03-08 05:00"));
        assert_eq!(range.days(), 1);
    }

    #[test]
    fn instants_fall_on_their_local_day() {
        let kathmandu: Tz = "Asia/Kathmandu".parse().expect("tz"); // +05:45
        let range = Range::new(kathmandu, date("2026-01-01"), date("2026-01-02"));
        assert_eq!(range.day_of(at("2025-12-31 18:14")), None);
        assert_eq!(range.day_of(at("2025-12-31 18:15")), Some(0));
        assert_eq!(range.day_of(at("2026-01-01 18:15")), Some(1));
        assert_eq!(range.day_of(at("2026-01-02 18:15")), None);
    }

    #[test]
    fn queries_are_checked() {
        let now = at("2026-12-04 12:00");
        let q = |from: &str, to: &str, tz: &str| AnalyticsQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            tz: Some(tz.into()),
            ..AnalyticsQuery::default()
        };
        assert!(matches!(Range::parse(&q("2026-12-01", "2026-11-01", "UTC"), now), Err(AppError::Validation { .. })));
        assert!(matches!(Range::parse(&q("2024-01-01", "2026-11-01", "UTC"), now), Err(AppError::Validation { .. })));
        assert!(matches!(Range::parse(&q("yesterday", "2026-11-01", "UTC"), now), Err(AppError::Validation { .. })));
        assert!(matches!(
            Range::parse(&q("2026-11-01", "2026-11-02", "Mars/Base"), now),
            Err(AppError::Validation { .. })
        ));
        let default = Range::parse(&AnalyticsQuery::default(), now).expect("default");
        assert_eq!((default.from, default.to, default.days()), (date("2026-11-28"), date("2026-12-04"), 7));
        // Late on the 4th in UTC is the 5th in Tokyo: "today" is the viewer's.
        let tokyo = AnalyticsQuery { days: Some(1), tz: Some("Asia/Tokyo".into()), ..AnalyticsQuery::default() };
        let today = Range::parse(&tokyo, at("2026-12-04 20:00")).expect("today");
        assert_eq!((today.from, today.to), (date("2026-12-05"), date("2026-12-05")));
        for days in [0, 367] {
            let q = AnalyticsQuery { days: Some(days), ..AnalyticsQuery::default() };
            assert!(matches!(Range::parse(&q, now), Err(AppError::Validation { .. })));
        }
    }
}
