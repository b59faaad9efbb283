//! `POST /v1/accounts/{id}/suggestions/apply`: writing chosen pairs as coverage, in one
//! transaction.

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::coverage::CoverageRole;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::extract::Json;
use crate::http::write;
use crate::store::suggestions::{self, Applied, Chosen};
use crate::store::Db;

/// A pair to apply, with the role it takes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyPair {
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    /// Default: `primary` if the stakeholder has no primary coverer yet, else `secondary`.
    #[serde(default)]
    pub role: Option<CoverageRole>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    /// The pairs to cover, typically a suggestion's `pairs`.
    pub pairs: Vec<ApplyPair>,
    /// Also delete the account's coverage links that are not among the pairs.
    #[serde(default)]
    pub replace: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplyResponse {
    /// Coverage links created.
    pub created: Vec<Uuid>,
    /// Pairs that were covered already, by their coverage link.
    pub kept: Vec<Uuid>,
    /// Coverage links deleted (with `replace`).
    pub removed: Vec<Uuid>,
}

/// Apply pairs (usually a suggestion's) in one transaction: all of them or none.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "A client organization: the account")), request_body = ApplyRequest, responses((status = 200, body = ApplyResponse)))]
#[post("/v1/accounts/{id}/suggestions/apply")]
pub async fn apply(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Json(body): Json<ApplyRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    let applied = apply_pairs(&db, &principal, id, body).await?;
    Ok(HttpResponse::Ok().json(ApplyResponse {
        created: applied.created,
        kept: applied.kept,
        removed: applied.removed,
    }))
}

/// Covers the pairs in one write transaction, authored by `principal`.
pub async fn apply_pairs(
    db: &Db,
    principal: &Principal,
    id: Uuid,
    body: ApplyRequest,
) -> Result<Applied, Error> {
    let tenant = principal.tenant_id;
    let chosen: Vec<Chosen> = body
        .pairs
        .iter()
        .map(|p| Chosen {
            salesperson_id: p.salesperson_id,
            stakeholder_id: p.stakeholder_id,
            role: p.role,
        })
        .collect();
    write(db, principal.actor(), move |c| suggestions::apply(c, tenant, id, &chosen, body.replace))
        .await
}
