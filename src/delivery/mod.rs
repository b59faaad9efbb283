//! Webhook delivery: a background task that walks each subscription's place in the change feed
//! and POSTs the changes, signed, in order, at least once. A change is passed once the receiver
//! answers 2xx, or another 4xx (given up on, logged); 5xx, 429, timeouts and refused
//! connections are tried again with exponential backoff. The cursor lives in the database, so a
//! restart resumes where delivery stopped (the change in flight may arrive twice: deduplicate
//! by `X-Jobcraft-Event-Id`).
//!
//! Instances share the subscriptions: each claims due ones under a lease (`deliveries::claim_due`)
//! and delivers each claimed subscription in a task of its own, so a slow receiver holds only
//! its own subscription. A round ends before the lease does (no send starts that could outlast
//! it); a killed instance's leases expire and another instance takes its subscriptions over.
//!
//! Failed attempts wait what the receiver asks in `Retry-After`, else a backoff with jitter.

pub mod client;

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::api::changes::ChangeResponse;
use crate::domain::tenant::TenantId;
use crate::domain::webhook::{
    parse_retry_after, parse_url, refuse_url, retry_delay, retryable, signature, EVENT_ID_HEADER,
    SIGNATURE_HEADER,
};
use crate::error::Error;
use crate::http::trace::{REQUEST_ID_HEADER, TRACEPARENT_HEADER};
use crate::store::deliveries::{self, Attempt, Claimed, Outcome};
use crate::store::feed::{self, Change, FeedFilter};
use crate::store::webhooks::{self, Webhook};
use crate::store::{now, Db};

/// Webhook delivery attempts that did not deliver (retried later or given up), since start.
pub static WEBHOOK_FAILURES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[derive(Clone)]
pub struct DeliverySettings {
    /// How often due subscriptions are looked for.
    pub interval: Duration,
    /// How long a receiver may take to answer.
    pub timeout: Duration,
    /// Whether receivers may be on loopback, private, link-local or metadata addresses.
    pub allow_private: bool,
    /// The roots receivers' certificates are verified against (`client::tls`).
    pub tls: openssl::ssl::SslConnector,
}

impl std::fmt::Debug for DeliverySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverySettings")
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

/// Changes read per subscription per round.
const PAGE: usize = 100;

/// Subscriptions one instance delivers at once.
const IN_FLIGHT: usize = 32;

/// A round in flight; counted down when its task ends, however it ends.
struct InFlight(std::rc::Rc<std::cell::Cell<usize>>);

impl InFlight {
    fn start(count: &std::rc::Rc<std::cell::Cell<usize>>) -> Self {
        count.set(count.get() + 1);
        InFlight(count.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// Runs until the runtime stops.
pub async fn run(db: Db, settings: DeliverySettings) {
    let client = client::client(settings.tls.clone(), settings.timeout, settings.allow_private);
    // Long enough for a round of a few sends; a round stops before its lease runs out.
    let lease = settings.timeout * 3 + settings.interval;
    let in_flight = std::rc::Rc::new(std::cell::Cell::new(0usize));
    loop {
        let room = IN_FLIGHT - in_flight.get();
        if room > 0 {
            let db_due = db.clone();
            let due = actix_web::web::block(move || {
                let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
                db_due.write(|c| deliveries::claim_due(c, now(), lease, room as i64))
            })
            .await;
            match due {
                Ok(Ok(claims)) => {
                    for claimed in claims {
                        let round = InFlight::start(&in_flight);
                        let (db, client) = (db.clone(), client.clone());
                        let (interval, allow_private) = (settings.interval, settings.allow_private);
                        // Claimed a moment ago: an interval's margin keeps the last send
                        // inside the lease.
                        let deadline =
                            Instant::now() + lease - settings.timeout - settings.interval;
                        actix_web::rt::spawn(async move {
                            let _round = round;
                            let delivered = deliver(
                                &db,
                                &client,
                                claimed.clone(),
                                interval,
                                allow_private,
                                deadline,
                            );
                            if let Err(error) = delivered.await {
                                tracing::warn!(%error, "webhook delivery round failed");
                            }
                            let released = actix_web::web::block(move || {
                                db.write(|c| deliveries::release(c, &claimed))
                            })
                            .await;
                            if let Ok(Err(error)) = released {
                                tracing::warn!(%error, "webhook lease not released; it expires");
                            }
                        });
                    }
                }
                Ok(Err(error)) => tracing::warn!(%error, "webhooks could not be claimed"),
                Err(error) => tracing::warn!(%error, "webhook delivery could not run"),
            }
        }
        actix_web::rt::time::sleep(settings.interval).await;
    }
}

/// A stable id per tenant and change: the same on every retry.
fn event_id(tenant: TenantId, seq: i64) -> String {
    let digest = Sha256::digest(format!("{tenant}:{seq}"));
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn event(hook: &Webhook, change: &Change) -> (String, Vec<u8>) {
    let id = event_id(hook.tenant_id, change.seq);
    let response = ChangeResponse::new(hook.tenant_id, change.clone());
    let body = serde_json::json!({
        "id": id,
        "type": format!("{}.{}", crate::domain::coverage::enum_name(&change.entity),
                        crate::domain::coverage::enum_name(&change.operation)),
        "change": response,
    });
    (id, serde_json::to_vec(&body).unwrap_or_default())
}

/// One round of a claimed subscription: its pending changes in order, until one is to be
/// retried later or `deadline` (when a send could outlast the lease) comes.
async fn deliver(
    db: &Db,
    client: &awc::Client,
    mut claimed: Claimed,
    interval: Duration,
    allow_private: bool,
    deadline: Instant,
) -> Result<(), Error> {
    // What the round reads of the subscription; its cursor moves in `claimed.hook`.
    let hook = claimed.hook.clone();
    let (db_read, tenant, id, cursor) = (db.clone(), hook.tenant_id, hook.id, hook.cursor);
    let still = actix_web::web::block(move || {
        db_read.read(|c| {
            let (pending, _) = feed::after(c, tenant, cursor, PAGE, &FeedFilter::default())?;
            // Read after the changes: a pause (or deletion) committed before any of them is
            // seen, so a paused subscription gets nothing that came after its pause.
            match webhooks::find(c, tenant, id) {
                Ok(found) if found.active => Ok(Some(pending)),
                Ok(_) | Err(Error::NotFound) => Ok(None),
                Err(error) => Err(error),
            }
        })
    })
    .await
    .map_err(Error::internal)??;
    let Some(pending) = still else { return Ok(()) };
    if pending.is_empty() {
        let (db_idle, hook_idle) = (db.clone(), hook.clone());
        let later = chrono::Duration::from_std(interval).unwrap_or_default();
        return actix_web::web::block(move || {
            db_idle.write(|c| deliveries::idle(c, &hook_idle, later))
        })
        .await
        .map_err(Error::internal)?;
    }
    // Checked once per round (and a name's addresses on each connection, by the client's
    // resolver); a refusal is a failed attempt with its reason, retried with backoff like a
    // refused connection.
    let target = destination(&hook.url, allow_private);
    // Changes the subscription does not want are passed over in memory; the cursor moves past
    // them with the next attempt, or once at the end.
    let mut passed_over = None;
    for change in pending {
        if Instant::now() >= deadline {
            break;
        }
        if !hook.entities.is_empty() && !hook.entities.contains(&change.entity) {
            passed_over = Some(change.seq);
            continue;
        }
        let (id, body) = event(&hook, &change);
        let timestamp = chrono::Utc::now().timestamp();
        let started = Instant::now();
        let sent = match &target {
            Ok(url) => {
                let mut request = client
                    .post(url)
                    .insert_header(("Content-Type", "application/json"))
                    .insert_header((SIGNATURE_HEADER, signature(&hook.secret, timestamp, &body)))
                    .insert_header((EVENT_ID_HEADER, id.clone()));
                // The request that wrote the change, so a receiver can follow it back.
                if let Some(request_id) = &change.request_id {
                    request = request.insert_header((REQUEST_ID_HEADER, request_id.as_str()));
                }
                if let Some(traceparent) = &change.traceparent {
                    request = request.insert_header((TRACEPARENT_HEADER, traceparent.as_str()));
                }
                request.send_body(body).await.map_err(|e| client::reason(&e))
            }
            Err(reason) => Err(reason.clone()),
        };
        let duration_ms = started.elapsed().as_millis() as i64;
        let (status, error, outcome, retry_after) = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let outcome = if response.status().is_success() {
                    Outcome::Delivered
                } else if retryable(status) {
                    Outcome::Retry
                } else {
                    Outcome::Failed
                };
                let retry_after = response
                    .headers()
                    .get("Retry-After")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
                (Some(status), None, outcome, retry_after)
            }
            Err(e) => (None, Some(e), Outcome::Retry, None),
        };
        if outcome != Outcome::Delivered {
            WEBHOOK_FAILURES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let attempt =
            Attempt { change_seq: change.seq, event_id: id, status, error, duration_ms, outcome };
        let failures = claimed.hook.failures.max(0) as u32 + 1;
        let retry_in = retry_delay(failures, retry_after, rand::random());
        if !pass(db, &claimed, &attempt, retry_in).await? || outcome == Outcome::Retry {
            // Retried later, or the round lost its lease or the subscription was paused or
            // deleted meanwhile: nothing more this round.
            return Ok(());
        }
        claimed.hook.cursor = change.seq;
        claimed.hook.failures = 0;
        passed_over = None;
    }
    match passed_over {
        Some(seq) => {
            // From where the round got to (the cursor moves by compare-and-set).
            let (db, hook) = (db.clone(), claimed.hook.clone());
            actix_web::web::block(move || db.write(|c| deliveries::skip(c, &hook, seq)))
                .await
                .map_err(Error::internal)?
        }
        None => Ok(()),
    }
}

/// Where a subscription's events go: its URL as the URL standard reads it (the form that was
/// checked), unless it is one delivery may not reach.
fn destination(url: &str, allow_private: bool) -> Result<String, String> {
    let refused = |reason: &str| format!("refused: the URL {reason}");
    if let Some(reason) = refuse_url(url, allow_private) {
        return Err(refused(reason));
    }
    Ok(parse_url(url).map_err(refused)?.to_string())
}

/// Records an attempt and moves the subscription on; `false` when the round no longer may.
async fn pass(
    db: &Db,
    claimed: &Claimed,
    attempt: &Attempt,
    retry_in: Duration,
) -> Result<bool, Error> {
    let (db, claimed, attempt) = (db.clone(), claimed.clone(), attempt.clone());
    let retry_in = chrono::Duration::from_std(retry_in).unwrap_or(chrono::Duration::days(1));
    actix_web::web::block(move || db.write(|c| deliveries::record(c, &claimed, &attempt, retry_in)))
        .await
        .map_err(Error::internal)?
}
