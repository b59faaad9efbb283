//! Rate limiting per API key: a token bucket per key in this process (with several instances
//! behind a load balancer, each keeps its own), and the `RateLimit-*` headers that tell a
//! client where it stands. Health, readiness, the spec and the docs take no key and are not
//! limited.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use uuid::Uuid;

use crate::domain::delay::seconds;
use crate::domain::rate_limit::{Bucket, Decision, RateLimit};

/// Buckets kept before the full ones (whose state no longer matters) are dropped.
const BUCKETS_MAX: usize = 10_000;

pub struct RateLimiter {
    /// For tenants without a limit of their own; `None`: unlimited.
    default: Option<RateLimit>,
    buckets: Mutex<HashMap<Uuid, (Bucket, RateLimit)>>,
}

impl RateLimiter {
    pub fn new(default: Option<RateLimit>) -> RateLimiter {
        RateLimiter { default, buckets: Mutex::new(HashMap::new()) }
    }

    /// Spends one request from the key's bucket; `None` when the key is not limited.
    pub fn take(&self, key: Uuid, tenant_limit: Option<RateLimit>) -> Option<Decision> {
        let limit = tenant_limit.or(self.default)?;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= BUCKETS_MAX {
            buckets.retain(|_, (bucket, limit)| !bucket.is_full(*limit, now));
        }
        let (bucket, kept) =
            buckets.entry(key).or_insert_with(|| (Bucket::full(limit, now), limit));
        *kept = limit;
        Some(bucket.take(limit, now))
    }
}

/// Adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the
/// bucket is full) to every response of a limited key, refusals included.
pub async fn rate_limit_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let decision = response.request().extensions().get::<Decision>().copied();
    if let Some(decision) = decision {
        let headers = response.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", u64::from(decision.limit)),
            ("ratelimit-remaining", u64::from(decision.remaining)),
            ("ratelimit-reset", seconds(decision.reset)),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
    Ok(response)
}
