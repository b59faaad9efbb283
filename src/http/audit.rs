//! `GET /v1/audit`: who wrote what, when (admin scope).

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::pagination::{page, page_request, Page};
use crate::http::read;
use crate::store::{audit, Db};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only the writes of this API key.
    pub key_id: Option<Uuid>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One committed write made with an API key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntryResponse {
    pub id: Uuid,
    /// When the write committed.
    pub at: DateTime<Utc>,
    /// The API key that wrote (its id; the secret is never kept).
    pub key_id: Uuid,
    /// The key's name when it wrote.
    pub key_name: String,
    /// The `X-Jobcraft-Origin` of the request, else the key's name.
    pub origin: String,
    /// Method and route template, e.g. `POST /v1/sync/batch`.
    pub action: String,
    /// How many changes the write made in the change feed.
    pub change_count: i64,
    /// `GET /v1/changes?after=<changes_after>&limit=<change_count>` lists exactly them (a
    /// write's changes are numbered together); absent when it changed nothing.
    pub changes_after: Option<String>,
}

/// The tenant's writes, oldest first (admin scope). Kept in each write's own transaction: a
/// write that did not commit is not here.
#[utoipa::path(tag = "operations", params(AuditParams), responses((status = 200, body = Page<AuditEntryResponse>)))]
#[get("/v1/audit")]
pub async fn list_audit(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<AuditParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let request = page_request(params.limit, params.cursor.as_deref())?;
    let (tenant, key) = (principal.tenant_id, params.key_id);
    let (rows, more) = read(&db, move |c| audit::list(c, tenant, key, request)).await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        more,
        |e| e.id,
        |e| AuditEntryResponse {
            id: e.id,
            at: e.at.and_utc(),
            key_id: e.key_id,
            key_name: e.key_name,
            origin: e.origin,
            action: e.action,
            change_count: e.change_count,
            changes_after: e
                .first_change
                .map(|first| crate::api::changes::encode(tenant, first - 1)),
        },
    )))
}
