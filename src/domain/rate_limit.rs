//! Rate limits: a token bucket per API key. A key may spend `burst` requests at once and gets
//! `per_second` back every second, up to `burst` again.

use std::time::{Duration, Instant};

use crate::error::{Error, Violations};

/// How fast one API key may call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests given back per second (the sustained rate).
    pub per_second: f64,
    /// Requests that may be made at once (the bucket's size).
    pub burst: u32,
}

/// Highest rates a limit may name; beyond them "unlimited" (no limit) is the honest setting.
pub const PER_SECOND_MAX: f64 = 1_000_000.0;
pub const BURST_MAX: u32 = 1_000_000;

impl RateLimit {
    pub fn parse(per_second: f64, burst: u32) -> Result<RateLimit, Error> {
        let mut violations = Violations::default();
        if !(per_second > 0.0 && per_second <= PER_SECOND_MAX) {
            violations.add("per_second", format!("more than 0 and at most {PER_SECOND_MAX}"));
        }
        if burst == 0 || burst > BURST_MAX {
            violations.add("burst", format!("1 to {BURST_MAX}"));
        }
        violations.into_result()?;
        Ok(RateLimit { per_second, burst })
    }
}

/// What a request learns from its key's bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests left right now.
    pub remaining: u32,
    /// Until the bucket is full again.
    pub reset: Duration,
    /// Refused: until one request is allowed again.
    pub retry_after: Duration,
}

#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket.
    pub fn full(limit: RateLimit, now: Instant) -> Bucket {
        Bucket { tokens: f64::from(limit.burst), at: now }
    }

    /// Takes one request's token if there is one.
    pub fn take(&mut self, limit: RateLimit, now: Instant) -> Decision {
        let burst = f64::from(limit.burst);
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * limit.per_second).min(burst);
        self.at = now;
        let allowed = self.tokens >= 1.0;
        if allowed {
            self.tokens -= 1.0;
        }
        let seconds_until =
            |tokens: f64| Duration::from_secs_f64(tokens.max(0.0) / limit.per_second);
        Decision {
            allowed,
            limit: limit.burst,
            remaining: self.tokens.floor() as u32,
            reset: seconds_until(burst - self.tokens),
            retry_after: if allowed { Duration::ZERO } else { seconds_until(1.0 - self.tokens) },
        }
    }

    /// Whether the bucket has filled up again (its state no longer matters).
    pub fn is_full(&self, limit: RateLimit, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens + elapsed * limit.per_second >= f64::from(limit.burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit { per_second: 2.0, burst: 3 };

    #[test]
    fn a_burst_is_allowed_then_refused_until_a_token_returns() {
        let start = Instant::now();
        let mut bucket = Bucket::full(LIMIT, start);
        let remaining: Vec<u32> = (0..3).map(|_| bucket.take(LIMIT, start).remaining).collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        let refused = bucket.take(LIMIT, start);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_millis(500));
        assert_eq!(refused.reset, Duration::from_millis(1500));
        assert!(bucket.take(LIMIT, start + Duration::from_millis(500)).allowed);
    }

    #[test]
    fn tokens_come_back_at_the_rate_and_never_beyond_the_burst() {
        let start = Instant::now();
        let mut bucket = Bucket::full(LIMIT, start);
        for _ in 0..3 {
            bucket.take(LIMIT, start);
        }
        assert!(!bucket.is_full(LIMIT, start + Duration::from_millis(1400)));
        assert!(bucket.is_full(LIMIT, start + Duration::from_millis(1500)));
        let later = bucket.take(LIMIT, start + Duration::from_secs(60));
        assert_eq!(later.remaining, 2, "a minute of rest refills to the burst, not beyond");
    }

    #[test]
    fn a_limit_needs_a_positive_rate_and_burst() {
        assert!(RateLimit::parse(0.0, 10).is_err());
        assert!(RateLimit::parse(f64::NAN, 10).is_err());
        assert!(RateLimit::parse(5.0, 0).is_err());
        assert_eq!(RateLimit::parse(0.5, 1).unwrap(), RateLimit { per_second: 0.5, burst: 1 });
    }
}
