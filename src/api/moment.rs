//! Points in time in requests: an RFC 3339 time, or a date meaning the end of that day; and
//! the check that keeps every date and time of a request in the supported calendar
//! (`domain::calendar`: the years 1900 to 9999), naming the field (by serde's path) otherwise.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::domain::calendar::{supported_date, supported_time, OUT_OF_RANGE};
use crate::domain::crafting::TimePoint;
use crate::store::now;

pub use crate::domain::calendar::end_of_day;

/// A moment given as `2026-11-03T10:00:00Z` or as `2026-11-03` (the end of that day, UTC),
/// in the years 1900 to 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment(pub NaiveDateTime);

impl Moment {
    /// The moment `text` names, or why it names none.
    pub fn parse(text: &str) -> Result<Moment, String> {
        let time = if let Ok(time) = DateTime::parse_from_rfc3339(text) {
            time.with_timezone(&Utc).naive_utc()
        } else if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            if !supported_date(date) {
                return Err(format!("`{text}` {OUT_OF_RANGE}"));
            }
            end_of_day(date)
        } else {
            return Err(format!(
                "`{text}` is neither an RFC 3339 time (2026-11-03T10:00:00Z) nor a date (2026-11-03)"
            ));
        };
        if !supported_time(time) {
            return Err(format!("`{text}` {OUT_OF_RANGE}"));
        }
        Ok(Moment(time))
    }
}

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Moment::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(deserialize_with = "…")]` for a date field: a date in the supported range.
pub fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let date = NaiveDate::deserialize(deserializer)?;
    if supported_date(date) {
        Ok(date)
    } else {
        Err(serde::de::Error::custom(format!("`{date}` {OUT_OF_RANGE}")))
    }
}

/// [`date`] for an optional field (with `#[serde(default)]`).
pub fn optional_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    #[derive(Deserialize)]
    struct Checked(#[serde(deserialize_with = "date")] NaiveDate);
    Ok(Option::<Checked>::deserialize(deserializer)?.map(|c| c.0))
}

/// `#[serde(deserialize_with = "…")]` for an RFC 3339 time in the supported range.
pub fn time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let time = DateTime::<Utc>::deserialize(deserializer)?;
    if supported_time(time.naive_utc()) {
        Ok(time)
    } else {
        Err(serde::de::Error::custom(format!("`{time}` {OUT_OF_RANGE}")))
    }
}

/// `#[serde(deserialize_with = "…")]` for an optional RFC 3339 time in the supported range
/// (with `#[serde(default)]`).
pub fn optional_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let time = Option::<DateTime<Utc>>::deserialize(deserializer)?;
    match time {
        Some(t) if !supported_time(t.naive_utc()) => {
            Err(serde::de::Error::custom(format!("`{t}` {OUT_OF_RANGE}")))
        }
        other => Ok(other),
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
