//! `/v1/webhooks`: subscriptions that receive the change feed as signed POSTs, and their
//! delivery logs.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::sync::Entity;
use crate::domain::tenant::TenantId;
use crate::domain::webhook::refuse_url;
use crate::error::{Error, Violations};
use crate::http::auth::Principal;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, ListParams, Page};
use crate::http::respond::{created, deleted, ok};
use crate::http::{read, write};
use crate::store::deliveries::{self, Delivery};
use crate::store::webhooks::{self, NewWebhook, Webhook};
use crate::store::Db;

/// Whether webhook URLs may point at loopback, private, link-local and metadata addresses (off
/// by default: SSRF).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowPrivate(pub bool);

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_webhooks)
        .service(create_webhook)
        .service(find_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(list_deliveries);
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// Where events are POSTed: http or https, at most 2,000 characters; unless the operator
    /// allows private receivers, not a loopback, private, link-local, metadata or multicast
    /// address in any spelling, and a name must not resolve to one when delivering.
    pub url: String,
    /// Entity types to receive; absent or empty for all.
    #[serde(default)]
    pub entities: Vec<Entity>,
    /// The HMAC-SHA256 key events are signed with (16 to 200 characters); absent to have one
    /// generated (shown only in this response).
    #[serde(default)]
    pub secret: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// Pause (`false`) or resume (`true`) delivery; resuming retries at once.
    pub active: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookResponse {
    pub id: Uuid,
    pub url: String,
    pub entities: Vec<Entity>,
    pub active: bool,
    /// The signing secret: only in the answer to its creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Failed attempts at the next change; delivery is retried with exponential backoff.
    pub failures: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookResponse {
    fn from(w: Webhook) -> Self {
        WebhookResponse {
            id: w.id,
            url: w.url,
            entities: w.entities,
            active: w.active,
            secret: None,
            failures: w.failures,
            next_attempt_at: w.next_attempt_at.and_utc(),
            version: w.version,
            created_at: w.created_at.and_utc(),
        }
    }
}

/// Subscribe to the change feed (admin). Delivery starts with the changes after now.
#[utoipa::path(tag = "sync", request_body = WebhookRequest, responses((status = 201, body = WebhookResponse)))]
#[post("/v1/webhooks")]
pub async fn create_webhook(
    db: web::Data<Db>,
    principal: Principal,
    allow: Option<web::Data<AllowPrivate>>,
    Json(body): Json<WebhookRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let mut violations = Violations::default();
    if let Some(reason) = refuse_url(&body.url, allow.is_some_and(|a| a.0)) {
        violations.add("/url", reason);
    }
    if body.secret.as_ref().is_some_and(|s| !(16..=200).contains(&s.chars().count())) {
        violations.add("/secret", "must be 16 to 200 characters");
    } else if body.secret.as_ref().is_some_and(|s| s.chars().any(char::is_control)) {
        violations.add("/secret", "must not contain control characters");
    }
    violations.into_result()?;
    let secret = body.secret.unwrap_or_else(|| {
        let mut bytes = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut bytes);
        format!("whsec_{}", URL_SAFE_NO_PAD.encode(bytes))
    });
    let mut entities = body.entities;
    entities.sort_by_key(crate::domain::coverage::enum_name);
    entities.dedup();
    let new = NewWebhook { url: body.url, entities, secret: secret.clone(), active: true };
    let hook =
        write(&db, principal.actor(), move |c| webhooks::create(c, principal.tenant_id, &new))
            .await?;
    let (id, version) = (hook.id, hook.version);
    let response = WebhookResponse { secret: Some(secret), ..WebhookResponse::from(hook) };
    Ok(created("/v1/webhooks", id, version, response))
}

/// List subscriptions (admin).
#[utoipa::path(tag = "sync", params(ListParams), responses((status = 200, body = Page<WebhookResponse>)))]
#[get("/v1/webhooks")]
pub async fn list_webhooks(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let request = params.page_request()?;
    let (rows, more) = read(&db, move |c| webhooks::list(c, principal.tenant_id, request)).await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |w| w.id, WebhookResponse::from)))
}

/// Read a subscription (admin).
#[utoipa::path(tag = "sync", params(("id" = Uuid, Path)), responses((status = 200, body = WebhookResponse)))]
#[get("/v1/webhooks/{id}")]
pub async fn find_webhook(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let id = id.into_inner();
    let hook = read(&db, move |c| webhooks::find(c, principal.tenant_id, id)).await?;
    Ok(ok(hook.version, WebhookResponse::from(hook)))
}

/// Pause or resume a subscription (admin).
#[utoipa::path(tag = "sync", params(("id" = Uuid, Path)), request_body = WebhookPatch, responses((status = 200, body = WebhookResponse)))]
#[patch("/v1/webhooks/{id}")]
pub async fn update_webhook(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Json(body): Json<WebhookPatch>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let id = id.into_inner();
    let hook = write(&db, principal.actor(), move |c| {
        webhooks::set_active(c, principal.tenant_id, id, body.active)
    })
    .await?;
    Ok(ok(hook.version, WebhookResponse::from(hook)))
}

/// Delete a subscription and its delivery log (admin).
#[utoipa::path(tag = "sync", params(("id" = Uuid, Path)), responses((status = 204, description = "deleted")))]
#[delete("/v1/webhooks/{id}")]
pub async fn delete_webhook(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let id = id.into_inner();
    write(&db, principal.actor(), move |c| webhooks::delete(c, principal.tenant_id, id)).await?;
    Ok(deleted())
}

/// One delivery attempt.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryResponse {
    pub id: Uuid,
    /// The event's id (`X-Jobcraft-Event-Id`), the same on every attempt.
    pub event_id: String,
    /// The change delivered, as a feed cursor.
    pub cursor: String,
    /// 1 for the first attempt at this change.
    pub attempt: i32,
    /// The receiver's status; null when it could not be reached.
    pub status: Option<i32>,
    /// Why it could not be reached.
    pub error: Option<String>,
    /// `delivered`, `retry` (5xx, 429, timeout, no connection) or `failed` (another 4xx: skipped).
    pub outcome: String,
    pub duration_ms: i64,
    pub attempted_at: DateTime<Utc>,
}

impl DeliveryResponse {
    fn new(tenant: TenantId, d: Delivery) -> Self {
        DeliveryResponse {
            id: d.id,
            event_id: d.event_id,
            cursor: crate::api::changes::encode(tenant, d.change_seq),
            attempt: d.attempt,
            status: d.status,
            error: d.error,
            outcome: d.outcome,
            duration_ms: d.duration_ms,
            attempted_at: d.attempted_at.and_utc(),
        }
    }
}

/// A subscription's delivery log, oldest first (admin).
#[utoipa::path(tag = "sync", params(("id" = Uuid, Path), ListParams), responses((status = 200, body = Page<DeliveryResponse>)))]
#[get("/v1/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let (id, request, tenant) = (id.into_inner(), params.page_request()?, principal.tenant_id);
    let (rows, more) = read(&db, move |c| deliveries::deliveries(c, tenant, id, request)).await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |d| d.id, |d| DeliveryResponse::new(tenant, d))))
}
