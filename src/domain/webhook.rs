//! Webhooks: which URLs may receive events, how events are signed, when a failed delivery is
//! tried again.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

/// The header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "X-Jobcraft-Signature";
/// The header carrying the event's id, the same on every retry: deduplicate by it.
pub const EVENT_ID_HEADER: &str = "X-Jobcraft-Event-Id";

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// The signature header's value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    let mac = hmac_sha256(secret.as_bytes(), &message);
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// Why a URL may not receive webhooks, if it may not: only http(s), and never a link-local or
/// cloud metadata address (SSRF) unless `allow_link_local`.
pub fn refuse_url(url: &str, allow_link_local: bool) -> Option<&'static str> {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return Some("must be an http:// or https:// URL");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(bracketed) = host.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    if host.is_empty() || url.len() > 2_000 || url.chars().any(char::is_whitespace) {
        return Some("must be a URL with a host");
    }
    if allow_link_local {
        return None;
    }
    let lowered = host.to_ascii_lowercase();
    if lowered == "metadata.google.internal" || lowered == "metadata" {
        return Some("must not point at a cloud metadata service");
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) if ip.is_link_local() => {
            Some("must not point at a link-local or metadata address")
        }
        Ok(IpAddr::V6(ip))
            if (ip.segments()[0] & 0xffc0) == 0xfe80 || ip.segments()[0] == 0xfd00 =>
        {
            Some("must not point at a link-local or metadata address")
        }
        _ => None,
    }
}

/// Seconds before attempt `failures + 1`: 1, 2, 4 … doubling up to 2,048 (34 minutes).
pub fn backoff_seconds(failures: u32) -> i64 {
    1i64 << failures.min(11)
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
    fn link_local_and_metadata_addresses_are_refused() {
        assert!(refuse_url("http://169.254.169.254/latest/meta-data", false).is_some());
        assert!(refuse_url("http://[fe80::1]/x", false).is_some());
        assert!(refuse_url("http://metadata.google.internal/", false).is_some());
        assert!(refuse_url("ftp://example.com/", false).is_some());
        assert!(refuse_url("https://crm.example.com/hooks/jobcraft", false).is_none());
        assert!(refuse_url("http://127.0.0.1:9000/hook", false).is_none());
        assert!(refuse_url("http://169.254.169.254/", true).is_none());
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!((backoff_seconds(0), backoff_seconds(1), backoff_seconds(5)), (1, 2, 32));
        assert!(backoff_seconds(100) <= 3_600);
    }
}
