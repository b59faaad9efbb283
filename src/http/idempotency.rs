//! `Idempotency-Key` on `POST`: the same key and body get the stored response without a
//! second write; the same key with another body is a 422; a replay while the first request
//! still runs is a 409. Keys are kept 48 hours per tenant.

use std::sync::OnceLock;

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpMessage, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Error, FieldError};
use crate::http::extract::{read_body, BodyLimit, DEFAULT_BATCH_BODY_LIMIT, DEFAULT_BODY_TIMEOUT};
use crate::store::api_keys::Principal;
use crate::store::idempotency::{self, Claim, Stored};
use crate::store::Db;

pub const HEADER: &str = "Idempotency-Key";
pub const KEY_MAX: usize = 255;
/// Marks a response served from the stored one.
pub const REPLAYED: &str = "Idempotent-Replayed";
/// Response headers kept with a stored response.
const KEPT_HEADERS: [&str; 4] = ["content-type", "location", "etag", "content-location"];

/// This process, as the owner of the keys it claims.
pub fn process() -> Uuid {
    static PROCESS: OnceLock<Uuid> = OnceLock::new();
    *PROCESS.get_or_init(Uuid::now_v7)
}

/// What makes two requests the same: path, query and body.
pub fn request_hash(path: &str, query: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(query.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    format!("{:x}", hasher.finalize())
}

fn bad_key(detail: &str) -> Error {
    Error::Malformed { detail: detail.into(), errors: vec![FieldError::new(HEADER, detail)] }
}

fn problem(req: ServiceRequest, error: Error) -> ServiceResponse<BoxBody> {
    req.into_response(error.error_response())
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_owned));
    let Some(key) = key.filter(|_| req.method() == Method::POST) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match key {
        Ok(key) if !key.is_empty() && key.len() <= KEY_MAX => key,
        _ => {
            return Ok(problem(req, bad_key("Idempotency-Key must be 1 to 255 visible characters")))
        }
    };
    // Unauthenticated requests go on and are answered 401 by their handler.
    let Ok(principal) = Principal::from_request(req.request(), &mut Payload::None).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(db) = req.app_data::<web::Data<Db>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let limit = req.app_data::<BodyLimit>().map_or(DEFAULT_BATCH_BODY_LIMIT, |l| l.batch);
    let timeout = req.app_data::<BodyLimit>().map_or(DEFAULT_BODY_TIMEOUT, |l| l.timeout);
    let mut payload = req.take_payload();
    let body = match read_body(&mut payload, limit, timeout).await {
        Ok(body) => body,
        Err(error) => return Ok(problem(req, error)),
    };
    let hash = request_hash(req.path(), req.query_string(), &body);

    let tenant = principal.tenant_id;
    let (db_claim, claim_key) = (db.clone(), key.clone());
    let claim = web::block(move || {
        db_claim.hold_owner_lock(process())?;
        db_claim.write(|c| idempotency::claim(c, tenant, &claim_key, &hash, process()))
    })
    .await
    .map_err(Error::internal)?;
    match claim {
        Err(error) => return Ok(problem(req, error)),
        Ok(Claim::Replay(stored)) => {
            let mut response =
                HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
            for (name, value) in &stored.headers {
                if let (Ok(name), Ok(value)) =
                    (HeaderName::try_from(name.as_str()), HeaderValue::from_str(value))
                {
                    response.insert_header((name, value));
                }
            }
            response.insert_header((REPLAYED, "true"));
            return Ok(req.into_response(response.body(stored.body)));
        }
        Ok(Claim::Running) => {
            let error = Error::Conflict {
                detail: "a request with this Idempotency-Key is still running; retry later".into(),
                conflicting: vec![],
            };
            return Ok(problem(req, error));
        }
        Ok(Claim::Mismatch) => {
            let error = Error::Invalid(vec![FieldError::new(
                HEADER,
                "already used with another request; use a new key for a new request",
            )]);
            return Ok(problem(req, error));
        }
        Ok(Claim::Fresh) => {}
    }

    req.set_payload(Payload::from(body));
    let response = next.call(req).await?;
    let (request, response) = response.into_parts();
    let status = response.status();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| KEPT_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect();
    let (head, body) = response.into_parts();
    let bytes: Bytes = to_bytes(body).await.unwrap_or_default();
    // Kept before answering: a client that got an answer can always replay it. A failure on
    // our side gives the key up, so a retry runs again.
    let outcome = web::block(move || {
        db.write(|c| {
            if status.is_server_error() {
                idempotency::release(c, tenant, &key)
            } else {
                let body = String::from_utf8_lossy(&bytes).into_owned();
                idempotency::complete(
                    c,
                    tenant,
                    &key,
                    &Stored { status: status.as_u16(), headers, body },
                )
            }
        })
        .map(|()| bytes)
    })
    .await
    .map_err(Error::internal)?;
    match outcome {
        Ok(bytes) => Ok(ServiceResponse::new(request, head.set_body(bytes).map_into_boxed_body())),
        Err(error) => Ok(ServiceResponse::new(request, error.error_response())),
    }
}
