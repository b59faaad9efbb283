//! Coverage strength derived from logged interactions: each touch counts for less the older it
//! is (exponential decay with a half-life), and the sum saturates towards 1.
//!
//! strength = 1 − exp(−Σ 2^(−age/half_life) / SATURATION)
//!
//! With the default scale, one meeting today gives 0.39, three recent ones 0.78, and a touch
//! one half-life ago counts half as much as one today.

use chrono::{Duration, NaiveDateTime};

/// How many fresh touches make a strong thread (strength 1 − 1/e ≈ 0.63).
const SATURATION: f64 = 2.0;

pub fn derived_strength(touches: &[NaiveDateTime], now: NaiveDateTime, half_life: Duration) -> f64 {
    let half_life_days = (half_life.num_seconds() as f64 / 86_400.0).max(1e-9);
    let recency: f64 = touches
        .iter()
        .filter(|t| **t <= now)
        .map(|t| {
            let age_days = (now - *t).num_seconds() as f64 / 86_400.0;
            (-age_days / half_life_days).exp2()
        })
        .sum();
    1.0 - (-recency / SATURATION).exp()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn day(d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
            + Duration::days(i64::from(d))
    }

    #[test]
    fn strength_grows_with_touches_and_fades_with_age() {
        let half_life = Duration::days(90);
        let now = day(200);
        assert_eq!(derived_strength(&[], now, half_life), 0.0);
        let one = derived_strength(&[now], now, half_life);
        let three = derived_strength(&[now, now, now], now, half_life);
        let old = derived_strength(&[day(20)], now, half_life);
        assert!((one - (1.0 - (-0.5f64).exp())).abs() < 1e-12);
        assert!(three > one && three < 1.0);
        assert!(old < one / 2.0 + 1e-9);
        // A touch one half-life ago counts half.
        let half = derived_strength(&[day(110)], now, half_life);
        assert!((half - (1.0 - (-0.25f64).exp())).abs() < 1e-12);
    }
}
