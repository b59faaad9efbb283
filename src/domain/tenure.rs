//! Tenures: a person holding a post for a period. A person's tenures are their career,
//! a post's tenures its succession.

use std::cmp::Reverse;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use uuid::Uuid;

use crate::domain::calendar::just_before;
use crate::domain::coverage::{check_capacity, BuyingRole};
use crate::error::{Error, FieldError, Violations};

/// A tenure as a client writes it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTenure {
    pub person_id: Uuid,
    pub post_id: Uuid,
    pub period: Period,
    /// Sorted, each once.
    pub buying_roles: Vec<BuyingRole>,
    /// Stakeholders a salesperson in this tenure can cover; `None` for the tenant's default.
    pub capacity: Option<u32>,
}

impl NewTenure {
    pub fn parse(
        person_id: Uuid,
        post_id: Uuid,
        started_on: NaiveDate,
        ended_on: Option<NaiveDate>,
        mut buying_roles: Vec<BuyingRole>,
        capacity: Option<i64>,
    ) -> Result<Self, Error> {
        let mut violations = Violations::default();
        let period = violations.check(Period::parse(started_on, ended_on));
        let capacity = capacity.map(|c| check_capacity(&mut violations, c, "/capacity"));
        violations.into_result()?;
        buying_roles.sort();
        buying_roles.dedup();
        Ok(NewTenure {
            person_id,
            post_id,
            // Checked above: a bad period is a violation and never gets here.
            period: period.unwrap_or(Period { started_on, ended_on: None }),
            buying_roles,
            capacity,
        })
    }
}

/// `[started_on, ended_on)`: a successor may start on the day the predecessor's tenure ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

impl Period {
    pub fn parse(started_on: NaiveDate, ended_on: Option<NaiveDate>) -> Result<Self, FieldError> {
        match ended_on {
            Some(end) if end < started_on => {
                Err(FieldError::new("/ended_on", "must not be before started_on"))
            }
            _ => Ok(Period { started_on, ended_on }),
        }
    }

    /// When an observation of how the holder crafts the post takes effect: `given` must fall
    /// within the tenure; without it, `now` — or, for a tenure that has ended, its last moment
    /// (an observation of an ended tenure describes its last day).
    pub fn observed_at(
        &self,
        given: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Result<NaiveDateTime, Error> {
        let at = given.unwrap_or(now);
        if at < self.started_on.and_time(NaiveTime::MIN) {
            let detail = format!("is before the tenure started ({})", self.started_on);
            return Err(Error::invalid("/effective_at", detail));
        }
        match self.ended_on {
            Some(end) if given.is_some() && at >= end.and_time(NaiveTime::MIN) => {
                Err(Error::invalid("/effective_at", format!("is after the tenure ended ({end})")))
            }
            Some(end) if given.is_none() => Ok(at.min(just_before(end))),
            _ => Ok(at),
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.started_on <= date && self.ended_on.is_none_or(|end| date < end)
    }

    pub fn overlaps(&self, other: &Period) -> bool {
        self.started_on < other.ended_on.unwrap_or(NaiveDate::MAX)
            && other.started_on < self.ended_on.unwrap_or(NaiveDate::MAX)
    }

    /// When both run: from the later start to the earlier end (`None`: both still run).
    pub fn overlap(&self, other: &Period) -> Option<Period> {
        let ended_on = match (self.ended_on, other.ended_on) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.overlaps(other)
            .then_some(Period { started_on: self.started_on.max(other.started_on), ended_on })
    }
}

/// The tenures that, together with `new`, would put more holders on the post than it has
/// `seats` at some moment; empty when `new` fits. `others` are the post's other tenures.
pub fn seat_conflicts(others: &[(Uuid, Period)], new: Period, seats: usize) -> Vec<Uuid> {
    // Fewer other tenures than seats can never fill them (a post of many seats, filled by an
    // import one holder after the other, is checked in constant time).
    if others.len() < seats {
        return Vec::new();
    }
    let overlapping: Vec<&(Uuid, Period)> =
        others.iter().filter(|(_, period)| period.overlaps(&new)).collect();
    // Occupancy only rises where a tenure starts, so checking those moments finds the peak.
    // Each distinct moment once (a post of many seats filled on one day has one moment, not
    // one per holder); the earliest peak names the conflicting tenures.
    let mut moments: Vec<NaiveDate> = overlapping
        .iter()
        .map(|(_, p)| p.started_on)
        .filter(|start| new.contains(*start))
        .chain(std::iter::once(new.started_on))
        .collect();
    moments.sort_unstable();
    moments.dedup();
    let holders_at =
        |moment: NaiveDate| overlapping.iter().filter(move |(_, p)| p.contains(moment));
    let Some(peak) = moments.into_iter().max_by_key(|m| (holders_at(*m).count(), Reverse(*m)))
    else {
        return Vec::new();
    };
    if holders_at(peak).count() < seats {
        return Vec::new();
    }
    holders_at(peak).map(|(id, _)| *id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn period(start: &str, end: Option<&str>) -> Period {
        Period { started_on: date(start), ended_on: end.map(date) }
    }

    fn time(s: &str) -> NaiveDateTime {
        s.parse().unwrap()
    }

    #[test]
    fn an_observation_falls_within_the_tenure() {
        let ended = period("2026-01-01", Some("2026-06-01"));
        let now = time("2026-09-01T12:00:00");
        assert!(ended.observed_at(Some(time("2025-12-31T23:59:59")), now).is_err());
        assert!(ended.observed_at(Some(time("2026-06-01T00:00:00")), now).is_err());
        let inside = time("2026-03-01T09:00:00");
        assert_eq!(ended.observed_at(Some(inside), now).unwrap(), inside);
    }

    #[test]
    fn an_undated_observation_of_an_ended_tenure_describes_its_last_day() {
        let ended = period("2026-01-01", Some("2026-06-01"));
        let now = time("2026-09-01T12:00:00");
        assert_eq!(ended.observed_at(None, now).unwrap(), just_before(date("2026-06-01")));
        let running = period("2026-01-01", None);
        assert_eq!(running.observed_at(None, now).unwrap(), now);
    }

    #[test]
    fn an_end_before_the_start_is_rejected() {
        assert_eq!(
            Period::parse(date("2026-02-01"), Some(date("2026-01-01"))).unwrap_err().pointer,
            "/ended_on"
        );
    }

    #[test]
    fn a_successor_may_start_the_day_the_predecessor_left() {
        let old = (Uuid::now_v7(), period("2020-01-01", Some("2026-04-01")));
        assert!(seat_conflicts(&[old], period("2026-04-01", None), 1).is_empty());
    }

    #[test]
    fn a_second_holder_of_a_single_seat_conflicts() {
        let old = (Uuid::now_v7(), period("2020-01-01", None));
        assert_eq!(seat_conflicts(&[old], period("2026-04-01", None), 1), vec![old.0]);
    }

    #[test]
    fn seats_count_simultaneous_holders_not_overlapping_ones() {
        // Two seats; a and b never overlap each other, so a third holder fits beside either.
        let a = (Uuid::now_v7(), period("2020-01-01", Some("2021-01-01")));
        let b = (Uuid::now_v7(), period("2021-01-01", None));
        assert!(seat_conflicts(&[a, b], period("2020-06-01", None), 2).is_empty());
        let c = (Uuid::now_v7(), period("2020-06-01", None));
        assert_eq!(seat_conflicts(&[a, b, c], period("2022-01-01", None), 2), vec![b.0, c.0]);
    }

    #[test]
    fn the_earliest_of_equal_peaks_names_the_conflict() {
        // One seat: a holds it in 2020, b from 2022; the new holder overlaps both.
        let a = (Uuid::now_v7(), period("2020-01-01", Some("2021-01-01")));
        let b = (Uuid::now_v7(), period("2022-01-01", None));
        assert_eq!(seat_conflicts(&[b, a], period("2020-06-01", None), 1), vec![a.0]);
        assert!(seat_conflicts(&[b, a], period("2020-06-01", None), 2).is_empty());
    }

    #[test]
    fn many_holders_starting_on_one_day_fill_as_many_seats() {
        let holders: Vec<(Uuid, Period)> =
            (0..999).map(|_| (Uuid::now_v7(), period("2024-01-01", None))).collect();
        assert!(seat_conflicts(&holders, period("2024-01-01", None), 1000).is_empty());
        assert_eq!(seat_conflicts(&holders, period("2025-01-01", None), 999).len(), 999);
    }

    #[test]
    fn contains_is_half_open() {
        let p = period("2026-01-01", Some("2026-02-01"));
        assert!(p.contains(date("2026-01-01")));
        assert!(!p.contains(date("2026-02-01")));
    }
}
