//! How long a tenant keeps what only grows: its change feed, its webhook delivery log, its
//! audit log and its idempotency keys.

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Violations};

/// The feed is kept at least a week: a consumer that was down over a weekend resumes.
pub const FEED_DAYS_MIN: i64 = 7;
pub const DAYS_MAX: i64 = 3_650;
/// An idempotency key is kept at least two days: a client retrying over a weekend's outage
/// finds the first answer.
pub const IDEMPOTENCY_HOURS_MIN: i64 = 48;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days a change stays in the feed, 7 to 3,650 (default 30). A cursor older than what is
    /// kept is answered `410 Gone`: the consumer resynchronises.
    #[schema(minimum = 7, maximum = 3650)]
    pub feed_days: i64,
    /// Days a webhook delivery attempt stays in its log, 1 to 3,650 (default 30).
    #[schema(minimum = 1, maximum = 3650)]
    pub deliveries_days: i64,
    /// Days an audit entry is kept, 1 to 3,650; null (the default) keeps it for good.
    #[schema(minimum = 1, maximum = 3650)]
    pub audit_days: Option<i64>,
    /// Hours an idempotency key and its answer are kept, 48 to 87,600 (default 48, also when
    /// left out of a replacement): a request repeated with the key within them gets the first
    /// answer.
    #[schema(minimum = 48, maximum = 87600, default = 48)]
    #[serde(default = "idempotency_hours")]
    pub idempotency_hours: i64,
}

fn idempotency_hours() -> i64 {
    IDEMPOTENCY_HOURS_MIN
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            feed_days: 30,
            deliveries_days: 30,
            audit_days: None,
            idempotency_hours: IDEMPOTENCY_HOURS_MIN,
        }
    }
}

impl Retention {
    pub fn validate(self) -> Result<Self, Error> {
        let mut v = Violations::default();
        if !(FEED_DAYS_MIN..=DAYS_MAX).contains(&self.feed_days) {
            v.add("/feed_days", format!("must be from {FEED_DAYS_MIN} to {DAYS_MAX} days"));
        }
        if !(1..=DAYS_MAX).contains(&self.deliveries_days) {
            v.add("/deliveries_days", format!("must be from 1 to {DAYS_MAX} days"));
        }
        if self.audit_days.is_some_and(|d| !(1..=DAYS_MAX).contains(&d)) {
            v.add("/audit_days", format!("must be from 1 to {DAYS_MAX} days, or null to keep"));
        }
        if !(IDEMPOTENCY_HOURS_MIN..=DAYS_MAX * 24).contains(&self.idempotency_hours) {
            let most = DAYS_MAX * 24;
            v.add("/idempotency_hours", format!("must be from {IDEMPOTENCY_HOURS_MIN} to {most}"));
        }
        v.into_result()?;
        Ok(self)
    }

    /// What is older than these times goes.
    pub fn cutoffs(&self, now: NaiveDateTime) -> Cutoffs {
        Cutoffs {
            feed: now - Duration::days(self.feed_days),
            deliveries: now - Duration::days(self.deliveries_days),
            audit: self.audit_days.map(|d| now - Duration::days(d)),
            idempotency: now - Duration::hours(self.idempotency_hours),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    pub feed: NaiveDateTime,
    pub deliveries: NaiveDateTime,
    pub audit: Option<NaiveDateTime>,
    pub idempotency: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_is_kept_at_least_a_week_and_audit_for_good_by_default() {
        assert!(Retention::default().validate().is_ok());
        let short = Retention { feed_days: 6, ..Retention::default() };
        let Err(Error::Invalid(errors)) = short.validate() else { panic!("refused") };
        assert_eq!(errors[0].pointer, "/feed_days");
        let audit = Retention { audit_days: Some(0), ..Retention::default() };
        assert!(audit.validate().is_err());
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc() + Duration::days(100);
        let cut = Retention::default().cutoffs(now);
        assert_eq!(now - cut.feed, Duration::days(30));
        assert!(cut.audit.is_none());
        assert_eq!(now - cut.idempotency, Duration::hours(48));
        let keys = Retention { idempotency_hours: 47, ..Retention::default() };
        let Err(Error::Invalid(errors)) = keys.validate() else { panic!("refused") };
        assert_eq!(errors[0].pointer, "/idempotency_hours");
    }
}
