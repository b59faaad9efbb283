//! Points in time in query parameters: an RFC 3339 time, or a date meaning the end of that day.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::domain::crafting::TimePoint;
use crate::store::now;

/// A moment given as `2026-11-03T10:00:00Z` or as `2026-11-03` (the end of that day, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment(pub NaiveDateTime);

impl Moment {
    pub fn parse(text: &str) -> Option<Moment> {
        if let Ok(time) = DateTime::parse_from_rfc3339(text) {
            return Some(Moment(time.with_timezone(&Utc).naive_utc()));
        }
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        Some(Moment(end_of_day(date)))
    }
}

/// The last microsecond of a day: a date stands for everything that happened on it.
pub fn end_of_day(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) + chrono::Duration::days(1) - chrono::Duration::microseconds(1)
}

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Moment::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is neither an RFC 3339 time (2026-11-03T10:00:00Z) nor a date (2026-11-03)"
            ))
        })
    }
}

/// `as_of` and `known_at`, both defaulting to now.
pub fn time_point(as_of: Option<Moment>, known_at: Option<Moment>) -> TimePoint {
    let now = now();
    TimePoint { as_of: as_of.map_or(now, |m| m.0), known_at: known_at.map_or(now, |m| m.0) }
}

pub fn utc(time: NaiveDateTime) -> DateTime<Utc> {
    time.and_utc()
}
