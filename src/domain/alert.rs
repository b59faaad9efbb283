//! The life of an alert of a coverage report. Alerts are computed from the account, so one
//! clears by itself when its condition no longer holds; what a manager decides about one is
//! kept beside it: acknowledged, snoozed until a date, or dismissed, each with who, when and
//! why. A snoozed alert is open again on its date; a decided alert whose condition changed
//! materially (the facts it states: another salesperson, a later interaction, more open seats)
//! is open again at once.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::account::Alert;
use crate::domain::text;
use crate::error::{Error, Violations};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Needs action.
    Open,
    /// Seen; still shown, marked as seen.
    Acknowledged,
    /// Out of the way until a date.
    Snoozed,
    /// Out of the way until its condition changes.
    Dismissed,
}

/// A manager's decision about an alert, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub state: AlertState,
    /// Only for `snoozed`: the day it is open again.
    pub until: Option<NaiveDate>,
    pub note: Option<String>,
}

impl Decision {
    pub fn parse(
        state: AlertState,
        until: Option<NaiveDate>,
        note: Option<&str>,
        today: NaiveDate,
    ) -> Result<Decision, Error> {
        let mut violations = Violations::default();
        match (state, until) {
            (AlertState::Snoozed, None) => violations.add("/until", "a snoozed alert needs a date"),
            (AlertState::Snoozed, Some(day)) if day <= today => {
                violations.add("/until", "must be a day after today")
            }
            (AlertState::Snoozed, Some(_)) | (_, None) => {}
            (_, Some(_)) => violations.add("/until", "only a snoozed alert has a date"),
        }
        let note = violations.check(text::optional(note, "/note", 2_000));
        violations.into_result()?;
        Ok(Decision { state, until, note: note.flatten() })
    }
}

/// The last decision about an alert, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub alert_id: Uuid,
    pub account_id: Uuid,
    pub alert_type: String,
    /// The alert's condition when it was decided.
    pub condition: String,
    pub decision: Decision,
    pub by: String,
    pub at: NaiveDateTime,
    pub version: i64,
}

/// The state an alert raised now with `condition` is in, given its last decision; and whether
/// it came back (was decided, and is open again because its date came or its facts changed).
pub fn current_state(
    decided: Option<&Decided>,
    condition: &str,
    today: NaiveDate,
) -> (AlertState, bool) {
    let Some(decided) = decided else { return (AlertState::Open, false) };
    let state = decided.decision.state;
    let changed = decided.condition != condition;
    let woke = state == AlertState::Snoozed && decided.decision.until.is_none_or(|d| d <= today);
    if state != AlertState::Open && (changed || woke) {
        (AlertState::Open, true)
    } else {
        (state, false)
    }
}

/// An alert raised now, with its life: its id, the state it is in, whether it came back, and
/// its last decision.
pub struct Tracked<'a> {
    pub alert: &'a Alert,
    pub id: Uuid,
    pub state: AlertState,
    pub returned: bool,
    pub decided: Option<&'a Decided>,
}

/// The alerts of the account rooted at `account`, each with its life.
pub fn track<'a>(
    account: Uuid,
    alerts: &'a [Alert],
    decided: &'a HashMap<Uuid, Decided>,
    today: NaiveDate,
) -> Vec<Tracked<'a>> {
    alerts
        .iter()
        .map(|alert| {
            let id = alert.id(account);
            let decided = decided.get(&id);
            let (state, returned) = current_state(decided, &alert.condition(), today);
            Tracked { alert, id, state, returned, decided }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn decided(state: AlertState, until: Option<NaiveDate>) -> Decided {
        Decided {
            alert_id: Uuid::nil(),
            account_id: Uuid::nil(),
            alert_type: "stale_relationship".into(),
            condition: "last 2026-10-01".into(),
            decision: Decision { state, until, note: None },
            by: "manager".into(),
            at: day(1).and_hms_opt(9, 0, 0).unwrap(),
            version: 1,
        }
    }

    #[test]
    fn a_decision_holds_until_its_date_or_a_material_change() {
        let same = "last 2026-10-01";
        assert_eq!(current_state(None, same, day(3)), (AlertState::Open, false));
        let dismissed = decided(AlertState::Dismissed, None);
        assert_eq!(current_state(Some(&dismissed), same, day(3)), (AlertState::Dismissed, false));
        assert_eq!(
            current_state(Some(&dismissed), "last 2026-11-30", day(3)),
            (AlertState::Open, true)
        );
        let snoozed = decided(AlertState::Snoozed, Some(day(10)));
        assert_eq!(current_state(Some(&snoozed), same, day(9)), (AlertState::Snoozed, false));
        assert_eq!(current_state(Some(&snoozed), same, day(10)), (AlertState::Open, true));
        let seen = decided(AlertState::Acknowledged, None);
        assert_eq!(current_state(Some(&seen), same, day(3)), (AlertState::Acknowledged, false));
    }

    #[test]
    fn a_decision_is_checked_field_by_field() {
        let bad = Decision::parse(AlertState::Snoozed, None, None, day(3)).unwrap_err();
        assert!(format!("{bad:?}").contains("/until"));
        assert!(Decision::parse(AlertState::Snoozed, Some(day(3)), None, day(3)).is_err());
        assert!(Decision::parse(AlertState::Dismissed, Some(day(9)), None, day(3)).is_err());
        let ok = Decision::parse(AlertState::Dismissed, None, Some(" handled by phone "), day(3));
        assert_eq!(ok.unwrap().note.as_deref(), Some("handled by phone"));
    }
}
