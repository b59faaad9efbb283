//! Bearer-key authentication. A verified key is kept in memory for a few seconds, so most
//! requests skip the key lookup; its tenant is put in the request extensions for the log.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::rate_limit::Decision;
use crate::domain::rate_limit::RateLimit;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::http::rate_limit::RateLimiter;
use crate::http::read;
use crate::http::trace::RequestTrace;
use crate::store::api_keys::{self, Grant};
use crate::store::changes::{Actor, Request as ActingRequest};
use crate::store::Db;

/// Verified keys by the SHA-256 of their token, each kept for `ttl`: a revoked key stops
/// working within that time on every instance. A zero `ttl` turns the cache off.
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<Vec<u8>, (Principal, Instant)>>,
}

/// Most keys kept; beyond that the cache starts afresh (keys are few, tokens many only under attack).
const KEY_CACHE_MAX: usize = 10_000;

impl KeyCache {
    pub fn new(ttl: Duration) -> KeyCache {
        KeyCache { ttl, entries: Mutex::new(HashMap::new()) }
    }

    fn get(&self, digest: &[u8]) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(digest).filter(|(_, at)| at.elapsed() < self.ttl).map(|(p, _)| p.clone())
    }

    fn put(&self, digest: Vec<u8>, principal: &Principal) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= KEY_CACHE_MAX {
            entries.clear();
        }
        entries.insert(digest, (principal.clone(), Instant::now()));
    }
}

/// Names the system a write comes from, so its consumers can drop their own echo in the feed.
pub const ORIGIN_HEADER: &str = "X-Jobcraft-Origin";

/// 1 to 100 characters: lowercase letters, digits, `_`, `-`, `.`.
fn parse_origin(value: &[u8]) -> Result<String, Error> {
    let valid = !value.is_empty()
        && value.len() <= 100
        && value.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(b));
    if valid {
        Ok(String::from_utf8_lossy(value).into_owned())
    } else {
        Err(Error::Malformed {
            detail: format!("{ORIGIN_HEADER} names a system: 1 to 100 of a-z, 0-9, _, -, ."),
            errors: vec![crate::error::FieldError::new(ORIGIN_HEADER, "not a system name")],
        })
    }
}

/// Who is calling: what the key grants, and what this request adds to it (its origin and
/// action).
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub key_id: Uuid,
    pub key_name: String,
    pub scopes: Vec<Scope>,
    /// Who the changes of this request are attributed to in the change feed: the
    /// `X-Jobcraft-Origin` header (a sync source, e.g. `salesforce`), else the key's name.
    pub origin: String,
    /// The tenant's own limit for each of its keys; `None` for the instance's default.
    pub rate_limit: Option<RateLimit>,
    /// What the request asks: method and route template, e.g. `POST /v1/persons` (set by
    /// the extractor; empty outside a request).
    pub action: String,
    /// The request's id and trace context (set by the extractor).
    pub trace: Option<RequestTrace>,
}

impl From<Grant> for Principal {
    fn from(grant: Grant) -> Self {
        Principal {
            tenant_id: grant.tenant_id,
            key_id: grant.key_id,
            origin: grant.key_name.clone(),
            key_name: grant.key_name,
            scopes: grant.scopes,
            rate_limit: grant.rate_limit,
            action: String::new(),
            trace: None,
        }
    }
}

impl Principal {
    /// The author of what this request writes, for the change feed and the audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            origin: self.origin.clone(),
            key_id: Some(self.key_id),
            request: Some(ActingRequest {
                tenant_id: self.tenant_id,
                key_id: self.key_id,
                key_name: self.key_name.clone(),
                action: self.action.clone(),
                request_id: self.trace.as_ref().map(|t| t.request_id.clone()).unwrap_or_default(),
                traceparent: self.trace.as_ref().and_then(|t| t.traceparent.clone()),
            }),
        }
    }

    /// `admin` grants everything; `read` and `write` only themselves.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin)
    }
}

/// The tenant a request acts for, for logs.
#[derive(Debug, Clone, Copy)]
pub struct TenantTag(pub TenantId);

impl Principal {
    pub fn require(&self, scope: Scope) -> Result<(), Error> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(Error::Forbidden(scope.as_str()))
        }
    }
}

impl FromRequest for Principal {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Extracted before for this request (the idempotency middleware does so): the same
        // answer, without spending the rate limit twice.
        if let Some(principal) = req.extensions().get::<Principal>() {
            return Box::pin(futures_util::future::ready(Ok(principal.clone())));
        }
        if let Some(refused) = req.extensions().get::<Decision>().filter(|d| !d.allowed) {
            let retry_after = refused.retry_after;
            return Box::pin(futures_util::future::ready(Err(Error::TooManyRequests {
                retry_after,
            })));
        }
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .map(str::to_owned);
        let db = req.app_data::<web::Data<Db>>().cloned();
        let cache = req.app_data::<web::Data<KeyCache>>().cloned();
        let limiter = req.app_data::<web::Data<RateLimiter>>().cloned();
        let origin = req.headers().get(ORIGIN_HEADER).map(|v| parse_origin(v.as_bytes()));
        let req = req.clone();
        Box::pin(async move {
            let token = token.ok_or(Error::Unauthenticated)?;
            let digest = Sha256::digest(token.as_bytes()).to_vec();
            let cached = cache.as_ref().and_then(|c| c.get(&digest));
            let principal = match cached {
                Some(principal) => principal,
                None => {
                    let db = db.ok_or_else(|| Error::internal("the database is not configured"))?;
                    let grant = read(&db, move |conn| api_keys::authenticate(conn, &token))
                        .await?
                        .ok_or(Error::Unauthenticated)?;
                    let principal = Principal::from(grant);
                    if let Some(cache) = &cache {
                        cache.put(digest, &principal);
                    }
                    principal
                }
            };
            req.extensions_mut().insert(TenantTag(principal.tenant_id));
            let decision = limiter.and_then(|l| l.take(principal.key_id, principal.rate_limit));
            if let Some(decision) = decision {
                req.extensions_mut().insert(decision);
                if !decision.allowed {
                    return Err(Error::TooManyRequests { retry_after: decision.retry_after });
                }
            }
            let mut principal = principal;
            if let Some(origin) = origin {
                principal.origin = origin?;
            }
            let route = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
            principal.action = format!("{} {route}", req.method());
            principal.trace = req.extensions().get::<RequestTrace>().cloned();
            req.extensions_mut().insert(principal.clone());
            Ok(principal)
        })
    }
}

/// The credentials of a `Bearer` authorization: the scheme is case-insensitive (RFC 9110 §11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal {
            tenant_id: TenantId::new(),
            key_id: Uuid::now_v7(),
            key_name: "k".into(),
            scopes: vec![Scope::Read],
            origin: "k".into(),
            rate_limit: None,
            action: String::new(),
            trace: None,
        }
    }

    #[test]
    fn a_cached_key_expires_after_its_ttl() {
        let cache = KeyCache::new(Duration::from_millis(30));
        cache.put(vec![1], &principal());
        assert!(cache.get(&[1]).is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get(&[1]).is_none());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = KeyCache::new(Duration::ZERO);
        cache.put(vec![1], &principal());
        assert!(cache.get(&[1]).is_none());
    }
}
