//! Waits as a client is told them (`Retry-After`, `RateLimit-Reset`, the rate-limit problem's
//! detail): in whole seconds. It imports nothing of ours, so the error type may use it.

use std::time::Duration;

/// Whole seconds, rounded up: a client that waits that long is served.
pub fn seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_of_a_second_counts_as_a_whole_one() {
        assert_eq!(seconds(Duration::ZERO), 0);
        assert_eq!(seconds(Duration::from_secs(2)), 2);
        assert_eq!(seconds(Duration::from_millis(2001)), 3);
        assert_eq!(seconds(Duration::from_nanos(1)), 1);
    }
}
