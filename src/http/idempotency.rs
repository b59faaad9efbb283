//! `Idempotency-Key` on `POST`: the same key and body get the stored response without a
//! second write; the same key with another body is a 422; a replay while the first request
//! still runs is a 409. Keys belong to the API key that sent them and are kept for the tenant's
//! window (`idempotency_hours` of `/v1/settings/retention`, 48 hours by default).
//!
//! The answer commits with the request's own write: the handler's write transaction
//! (`http::write`) stays open past the handler, the answer is stored in it, and both commit
//! together. A crash at any instant leaves either both (a resend replays the answer) or
//! neither (a resend runs for the first time); an outage leaves nothing behind to block a retry.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpMessage, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use crate::error::{Error, FieldError};
use crate::http::auth::Principal;
use crate::http::extract::{read_body, BodyLimit, DEFAULT_BATCH_BODY_LIMIT, DEFAULT_BODY_TIMEOUT};
use crate::store::idempotency::{self, Claim, KeptSince, KeyOf, Stored};
use crate::store::pool::WriteTransaction;
use crate::store::{Db, DbConn};

pub const HEADER: &str = "Idempotency-Key";
pub const KEY_MAX: usize = 255;
/// Marks a response served from the stored one.
pub const REPLAYED: &str = "Idempotent-Replayed";
/// Response headers kept with a stored response.
const KEPT_HEADERS: [&str; 4] = ["content-type", "location", "etag", "content-location"];

/// What makes two requests the same: path, query and body.
pub fn request_hash(path: &str, query: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(query.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn bad_key(detail: &str) -> Error {
    Error::Malformed { detail: detail.into(), errors: vec![FieldError::new(HEADER, detail)] }
}

fn problem(req: ServiceRequest, error: Error) -> ServiceResponse<BoxBody> {
    req.into_response(error.error_response())
}

/// Test builds only (`--test-pauses`): a request may ask to be held just before its
/// transaction commits, or just after, so a test can kill the process inside that window.
#[derive(Clone, Copy)]
pub struct TestPauses(pub bool);

const PAUSE_HEADER: &str = "Jobcraft-Test-Pause";

tokio::task_local! {
    /// The idempotent request being handled, where `http::write` finds its transaction.
    static PENDING: Arc<Pending>;
}

/// The open transaction of an idempotent request, from its first write to its answer.
pub struct Pending {
    key: KeyOf,
    hash: String,
    kept_since: KeptSince,
    transaction: Mutex<Option<WriteTransaction>>,
    /// What the claim inside the transaction found, when it was not `Fresh`.
    verdict: Mutex<Option<Claim>>,
}

/// The idempotent request this task is handling, if any.
pub fn pending() -> Option<Arc<Pending>> {
    PENDING.try_with(Arc::clone).ok()
}

impl Pending {
    /// Runs a write of the request in its transaction, opened (and the key claimed in it) by
    /// the first.
    pub fn write<T>(
        &self,
        db: &Db,
        f: impl FnMut(&mut DbConn) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut slot = self.transaction.lock().unwrap_or_else(|p| p.into_inner());
        let transaction = match slot.take() {
            Some(transaction) => slot.insert(transaction),
            None => {
                let mut transaction = db.begin()?;
                match idempotency::claim(
                    transaction.conn(),
                    &self.key,
                    &self.hash,
                    self.kept_since,
                )? {
                    Claim::Fresh => slot.insert(transaction),
                    other => {
                        *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(other);
                        return Err(Error::conflict("the Idempotency-Key was used meanwhile"));
                    }
                }
            }
        };
        transaction.run(f)
    }

    /// Stores the answer with the request's write and commits both; an answer of a request
    /// that wrote nothing is stored alone. A server error stores nothing and rolls back.
    fn finish(&self, db: &Db, stored: &Stored, pause: Option<Pause>) -> Result<(), Error> {
        let transaction = self.transaction.lock().unwrap_or_else(|p| p.into_inner()).take();
        if stored.status >= 500 {
            return Ok(());
        }
        match transaction {
            Some(mut transaction) => {
                let since = self.kept_since;
                idempotency::keep(transaction.conn(), &self.key, &self.hash, stored, since)?;
                pause_at(pause, Pause::BeforeCommit);
                transaction.commit()?;
            }
            None => {
                db.write(|c| idempotency::keep(c, &self.key, &self.hash, stored, self.kept_since))?
            }
        }
        pause_at(pause, Pause::AfterCommit);
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pause {
    BeforeCommit,
    AfterCommit,
}

fn pause_at(pause: Option<Pause>, here: Pause) {
    if pause == Some(here) {
        std::thread::sleep(Duration::from_secs(5));
    }
}

/// The keys this process is running now: a second request with one is a 409 at once.
fn running() -> &'static Mutex<HashSet<KeyOf>> {
    static RUNNING: OnceLock<Mutex<HashSet<KeyOf>>> = OnceLock::new();
    RUNNING.get_or_init(Mutex::default)
}

/// Holds a key in `running` until dropped.
struct Running(KeyOf);

impl Running {
    fn take(key: &KeyOf) -> Option<Running> {
        let mut running = running().lock().unwrap_or_else(|p| p.into_inner());
        running.insert(key.clone()).then(|| Running(key.clone()))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        running().lock().unwrap_or_else(|p| p.into_inner()).remove(&self.0);
    }
}

fn still_running() -> Error {
    Error::Conflict {
        detail: "a request with this Idempotency-Key is still running; retry later".into(),
        conflicting: vec![],
    }
}

/// The answer to a request whose key already has one (or is busy, or was used otherwise).
fn answer(req: ServiceRequest, claim: Claim) -> ServiceResponse<BoxBody> {
    match claim {
        Claim::Replay(stored) => {
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
            req.into_response(response.body(stored.body))
        }
        Claim::Running => problem(req, still_running()),
        Claim::Mismatch => problem(
            req,
            Error::Invalid(vec![FieldError::new(
                HEADER,
                "already used with another request; use a new key for a new request",
            )]),
        ),
        Claim::Fresh => problem(req, Error::internal("a fresh claim has no answer")),
    }
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
    let pause = match req.app_data::<TestPauses>() {
        Some(TestPauses(true)) => match req.headers().get(PAUSE_HEADER).map(|v| v.as_bytes()) {
            Some(b"before-commit") => Some(Pause::BeforeCommit),
            Some(b"after-commit") => Some(Pause::AfterCommit),
            _ => None,
        },
        _ => None,
    };
    let limit = req.app_data::<BodyLimit>().map_or(DEFAULT_BATCH_BODY_LIMIT, |l| l.batch);
    let timeout = req.app_data::<BodyLimit>().map_or(DEFAULT_BODY_TIMEOUT, |l| l.timeout);
    let mut payload = req.take_payload();
    let body = match read_body(&mut payload, limit, timeout).await {
        Ok(body) => body,
        Err(error) => return Ok(problem(req, error)),
    };
    let hash = request_hash(req.path(), req.query_string(), &body);
    let key = KeyOf { tenant: principal.tenant_id, api_key: principal.key_id, key };

    let Some(_running) = Running::take(&key) else {
        return Ok(problem(req, still_running()));
    };
    let (db_lookup, lookup_key, lookup_hash) = (db.clone(), key.clone(), hash.clone());
    let found = web::block(move || {
        db_lookup.read(|c| {
            let kept_since = idempotency::kept_since(c, lookup_key.tenant)?;
            Ok((idempotency::lookup(c, &lookup_key, &lookup_hash, kept_since)?, kept_since))
        })
    })
    .await
    .map_err(Error::internal)?;
    let kept_since = match found {
        Err(error) => return Ok(problem(req, error)),
        Ok((Claim::Fresh, kept_since)) => kept_since,
        Ok((claim, _)) => return Ok(answer(req, claim)),
    };

    let (transaction, verdict) = (Mutex::new(None), Mutex::new(None));
    let pending = Arc::new(Pending { key, hash, kept_since, transaction, verdict });
    req.set_payload(Payload::from(body));
    let response = PENDING.scope(Arc::clone(&pending), next.call(req)).await?;
    let (request, response) = response.into_parts();
    let verdict = pending.verdict.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(claim) = verdict {
        // Another request committed an answer, or holds the key, since the first look.
        let req = ServiceRequest::from_request(request);
        return Ok(answer(req, claim));
    }
    let status = response.status();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| KEPT_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect();
    let (head, body) = response.into_parts();
    let bytes: Bytes = to_bytes(body).await.unwrap_or_default();
    // Kept before answering, in the request's own transaction: a client that got an answer
    // can always replay it.
    let stored = Stored {
        status: status.as_u16(),
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    let outcome =
        web::block(move || pending.finish(&db, &stored, pause)).await.map_err(Error::internal)?;
    match outcome {
        Ok(()) => Ok(ServiceResponse::new(request, head.set_body(bytes).map_into_boxed_body())),
        Err(error) => Ok(ServiceResponse::new(request, error.error_response())),
    }
}
