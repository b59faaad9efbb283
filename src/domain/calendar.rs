//! The supported calendar: every date and time the API takes lies in the years 1900 to 9999,
//! inclusive (UTC). Outside it, a value is refused naming its field, so no date arithmetic
//! meets chrono's limits; the shifts below saturate anyway, for rows stored before the range
//! was enforced.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 9999;
/// What a refused value is told.
pub const OUT_OF_RANGE: &str = "must lie in the years 1900 to 9999 (UTC)";

/// Whether `date` is in the supported range.
pub fn supported_date(date: NaiveDate) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&date.year())
}

/// Whether `time` (UTC) is in the supported range.
pub fn supported_time(time: NaiveDateTime) -> bool {
    supported_date(time.date())
}

/// Whether what was read for `day`, whose next effect recorded ahead of time comes at
/// `next_effective`, is still what a read at `now` would find, if nothing was written since:
/// the same day (tenures, posts and relationships are dated) and that effect not come yet.
pub fn still_holds(
    day: NaiveDate,
    next_effective: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> bool {
    day == now.date() && next_effective.is_none_or(|t| t > now)
}

/// The last moment of the supported calendar: later than any time stored, and written the way
/// stored times are (SQLite compares them as text).
pub fn last_moment() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31).map_or(NaiveDateTime::MAX, end_of_day)
}

/// The last microsecond of a day: a date stands for everything that happened on it.
pub fn end_of_day(date: NaiveDate) -> NaiveDateTime {
    date.succ_opt().map_or(NaiveDateTime::MAX, |next| instant_before(next.and_time(NaiveTime::MIN)))
}

/// The last microsecond before `day` begins (the end of a tenure that ended on `day`).
pub fn just_before(day: NaiveDate) -> NaiveDateTime {
    instant_before(day.and_time(NaiveTime::MIN))
}

/// The microsecond before `time`, or `time` itself at the start of chrono's calendar.
pub fn instant_before(time: NaiveDateTime) -> NaiveDateTime {
    time.checked_sub_signed(TimeDelta::microseconds(1)).unwrap_or(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_read_holds_for_its_day_until_its_next_effect() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let at = |h: u32| day.and_hms_opt(h, 0, 0).unwrap();
        assert!(still_holds(day, None, at(23)));
        assert!(still_holds(day, Some(at(12)), at(11)));
        assert!(!still_holds(day, Some(at(12)), at(12)), "in effect from that moment on");
        assert!(!still_holds(day, None, end_of_day(day) + chrono::Duration::microseconds(1)));
    }

    #[test]
    fn shifts_at_the_edges_of_chrono_saturate_instead_of_panicking() {
        assert_eq!(end_of_day(NaiveDate::MAX), NaiveDateTime::MAX);
        assert_eq!(just_before(NaiveDate::MIN), NaiveDate::MIN.and_time(NaiveTime::MIN));
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(end_of_day(day).to_string(), "2026-03-01 23:59:59.999999");
        assert_eq!(just_before(day).to_string(), "2026-02-28 23:59:59.999999");
    }

    #[test]
    fn the_range_is_1900_to_9999() {
        let ymd = |y| NaiveDate::from_ymd_opt(y, 1, 1).unwrap();
        assert!(supported_date(ymd(1900)) && supported_date(ymd(9999)));
        assert!(!supported_date(ymd(1899)) && !supported_date(ymd(10000)));
        assert!(!supported_date(NaiveDate::MIN) && !supported_date(NaiveDate::MAX));
    }
}
