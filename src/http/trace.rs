//! Request ids and trace context. Each request has an id: the client's `X-Request-Id` when it
//! sends a usable one, else a new one. It is answered on every response, written in the
//! request's log line and in its problem documents, and recorded with the changes the request
//! writes, so that the webhook deliveries they cause carry it; a W3C `traceparent` the client
//! sends travels the same way.

use std::future::Future;

use actix_web::http::header::HeaderMap;
use uuid::Uuid;

pub const REQUEST_ID_HEADER: &str = "x-request-id";
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// The longest request id taken from a client.
const REQUEST_ID_MAX: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTrace {
    pub request_id: String,
    pub traceparent: Option<String>,
}

tokio::task_local! {
    static CURRENT: RequestTrace;
}

impl RequestTrace {
    /// The trace of a request with `headers`: what the client sent, where usable.
    pub fn of(headers: &HeaderMap) -> RequestTrace {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let request_id = header(REQUEST_ID_HEADER)
            .filter(|id| usable_request_id(id))
            .map_or_else(|| Uuid::now_v7().simple().to_string(), str::to_owned);
        let traceparent =
            header(TRACEPARENT_HEADER).filter(|t| usable_traceparent(t)).map(str::to_owned);
        RequestTrace { request_id, traceparent }
    }

    /// Runs `answer` as this request's: `current` finds it there (problem documents do).
    pub async fn scope<F: Future>(self, answer: F) -> F::Output {
        CURRENT.scope(self, answer).await
    }

    /// The request being answered, if any.
    pub fn current() -> Option<RequestTrace> {
        CURRENT.try_with(Clone::clone).ok()
    }
}

/// 1 to 128 visible ASCII characters, no quotes or backslashes: safe in a header, a log line
/// and JSON as it is.
fn usable_request_id(id: &str) -> bool {
    (1..=REQUEST_ID_MAX).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\'))
}

/// W3C Trace Context: `version-traceid-parentid-flags` in lowercase hex (2-32-16-2), not the
/// forbidden version `ff`, neither id all zeros.
fn usable_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let [version, trace, parent, flags] = parts.as_slice() else { return false };
    let hex = |s: &str, len: usize| {
        s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    hex(version, 2)
        && *version != "ff"
        && hex(trace, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && trace.bytes().any(|b| b != b'0')
        && parent.bytes().any(|b| b != b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clients_request_id_and_traceparent_are_kept_only_when_usable() {
        assert!(usable_request_id("req-42:crm/7"));
        assert!(!usable_request_id(""));
        assert!(!usable_request_id("has space"));
        assert!(!usable_request_id("quote\"d"));
        assert!(!usable_request_id(&"x".repeat(129)));
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert!(usable_traceparent(good));
        assert!(!usable_traceparent(&good.to_uppercase()));
        assert!(!usable_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
        assert!(!usable_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        assert!(!usable_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"));
    }
}
