//! Webhooks: which URLs may receive events, how events are signed, when a failed delivery is
//! tried again.

use std::net::IpAddr;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "X-Jobcraft-Signature";
/// The header carrying the event's id, the same on every retry: deduplicate by it.
pub const EVENT_ID_HEADER: &str = "X-Jobcraft-Event-Id";

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The signature header's value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    let mac = hmac_sha256(secret.as_bytes(), &message);
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// Why a URL may not receive webhooks, if it may not: only http(s) with a host, no control
/// characters, and unless `allow_private` no address a server should not reach on a client's
/// behalf (SSRF): see [`refuse_address`]. The host is read as the WHATWG URL parser (and so
/// the delivery client's resolver) reads it: `0xa9fea9fe`, `2852039166`, `0251.0376.0251.0376`
/// and `169.254.169.254.` are all 169.254.169.254. A name is checked again on each delivery,
/// against every address it resolves to then.
pub fn refuse_url(url: &str, allow_private: bool) -> Option<&'static str> {
    let parsed = match parse_url(url) {
        Ok(parsed) => parsed,
        Err(reason) => return Some(reason),
    };
    if allow_private {
        return None;
    }
    match parsed.host()? {
        url::Host::Ipv4(ip) => refuse_address(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => refuse_address(IpAddr::V6(ip)),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.');
            (name == "metadata.google.internal" || name == "metadata")
                .then_some("must not point at a cloud metadata service")
        }
    }
}

/// An http(s) URL with a host, as the WHATWG URL standard parses it.
pub fn parse_url(url: &str) -> Result<url::Url, &'static str> {
    if url.len() > 2_000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must be a URL with a host, at most 2,000 characters, without spaces or control characters");
    }
    let parsed = url::Url::parse(url).map_err(|_| "must be a URL with a host")?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http:// or https:// URL");
    }
    match parsed.host() {
        Some(url::Host::Domain("")) | None => Err("must be a URL with a host"),
        Some(_) => Ok(parsed),
    }
}

/// Why delivery may not connect to `ip`, if it may not: loopback, unspecified, link-local
/// (cloud metadata at 169.254.169.254), private (10/8, 172.16/12, 192.168/16, fc00::/7, which
/// holds fd00:ec2::254), shared (100.64/10), 0/8, multicast, broadcast and reserved
/// addresses; an IPv4-mapped or -compatible IPv6 address is judged as its IPv4 address.
pub fn refuse_address(ip: IpAddr) -> Option<&'static str> {
    const REASON: &str =
        "must not point at a loopback, private, link-local, metadata or multicast address";
    let v4 = match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped().or_else(|| {
            // ::a.b.c.d (deprecated IPv4-compatible) and NAT64's 64:ff9b::/96 reach IPv4 too.
            let s = v6.segments();
            let embedded = (s[..6] == [0; 6] && (s[6] != 0 || s[7] > 1))
                || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
            embedded.then(|| std::net::Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7])))
        }),
    };
    let refused = match (v4, ip) {
        (Some(v4), _) => {
            let [a, b, ..] = v4.octets();
            a == 0
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || (a == 100 && (64..128).contains(&b))
                || v4.is_multicast()
                || a >= 240
        }
        (None, IpAddr::V6(v6)) => {
            let first = v6.segments()[0];
            v6.is_unspecified()
                || v6.is_loopback()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xff00) == 0xff00
        }
        (None, IpAddr::V4(_)) => false,
    };
    refused.then_some(REASON)
}

/// Seconds before attempt `failures + 1`: 1, 2, 4 … doubling up to 2,048 (34 minutes).
pub fn backoff_seconds(failures: u32) -> i64 {
    1i64 << failures.min(11)
}

/// The longest wait a receiver's `Retry-After` is honoured for.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(24 * 3600);

/// How long before the attempt after `failures` failed ones (the last included): what the
/// receiver asked for in `Retry-After` (up to a day), else the backoff with jitter — between
/// half and all of it, `jitter` in [0, 1) choosing where — so that subscriptions failing
/// together do not all come back at once.
pub fn retry_delay(failures: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
    if let Some(asked) = retry_after {
        return asked.min(RETRY_AFTER_CAP);
    }
    let backoff = backoff_seconds(failures.saturating_sub(1)) as f64;
    Duration::from_secs_f64(backoff * (0.5 + 0.5 * jitter.clamp(0.0, 1.0)))
}

/// A `Retry-After` header: a number of seconds, or an HTTP date (read against `now`; a date
/// passed already is no wait).
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.with_timezone(&chrono::Utc) - now).to_std().unwrap_or_default())
}

/// Whether a response status means "try again later".
pub fn retryable(status: u16) -> bool {
    status == 429 || status >= 500
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn a_retry_waits_what_the_receiver_asks_else_a_jittered_backoff() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z").unwrap().to_utc();
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        let date = "Fri, 04 Dec 2026 10:00:30 GMT";
        assert_eq!(parse_retry_after(date, now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Fri, 04 Dec 2026 09:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        let asked = Some(Duration::from_secs(7));
        assert_eq!(retry_delay(5, asked, 0.9), Duration::from_secs(7));
        assert_eq!(retry_delay(1, Some(Duration::from_secs(1 << 30)), 0.0), RETRY_AFTER_CAP);
        // First failure: 0.5–1 s; fourth: 4–8 s; never beyond 2,048 s.
        assert_eq!(retry_delay(1, None, 0.0), Duration::from_millis(500));
        assert_eq!(retry_delay(4, None, 0.5), Duration::from_secs(6));
        assert!(retry_delay(40, None, 0.999) <= Duration::from_secs(2048));
    }

    #[test]
    fn link_local_and_metadata_addresses_are_refused() {
        assert!(refuse_url("http://169.254.169.254/latest/meta-data", false).is_some());
        assert!(refuse_url("http://[fe80::1]/x", false).is_some());
        assert!(refuse_url("http://metadata.google.internal/", false).is_some());
        assert!(refuse_url("http://metadata.google.internal./", false).is_some());
        assert!(refuse_url("ftp://example.com/", false).is_some());
        assert!(refuse_url("https://crm.example.com/hooks/jobcraft", false).is_none());
        assert!(refuse_url("http://169.254.169.254/", true).is_none());
    }

    #[test]
    fn every_spelling_of_a_forbidden_address_is_refused() {
        for url in [
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://2852039166/",
            "http://0xa9fea9fe/",
            "http://0251.0376.0251.0376/",
            "http://169.254.169.254./",
            "http://169.254.43518/",
            "http://[fd00:ec2::254]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://127.0.0.1:9000/hook",
            "http://0x7f.1/",
            "http://0/",
            "http://[::]/",
            "http://[::1]/",
            "http://10.1.2.3/",
            "http://172.31.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://224.0.0.1/",
            "http://[ff02::1]/",
            "http://[fc00::1]/",
            "http://user@10.0.0.1:80/",
        ] {
            assert!(refuse_url(url, false).is_some(), "{url} was accepted");
            assert!(refuse_url(url, true).is_none(), "{url} was refused with private allowed");
        }
        for url in [
            "http://8.8.8.8/",
            "http://[2001:db8::1]/",
            "http://172.32.0.1/",
            "http://100.128.0.1/",
        ] {
            assert!(refuse_url(url, false).is_none(), "{url} was refused");
        }
    }

    #[test]
    fn control_characters_are_refused_in_urls() {
        assert!(refuse_url("http://example.com/\u{0}", true).is_some());
        assert!(refuse_url("http://example.com/\u{7f}x", true).is_some());
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!((backoff_seconds(0), backoff_seconds(1), backoff_seconds(5)), (1, 2, 32));
        assert!(backoff_seconds(100) <= 3_600);
    }
}
