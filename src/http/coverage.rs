//! `/v1/coverage` (which salesperson covers which stakeholder) and `/v1/interactions` (the
//! logged touches that make a thread strong).

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::coverage::{CoverageRequest, CoverageResponse};
use crate::domain::api_key::Scope;
use crate::domain::coverage::{InteractionKind, NewInteraction};
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, page_request, Page};
use crate::http::respond::{created, deleted, ok};
use crate::http::{read, resource, write};
use crate::store::coverage::CoverageLinks;
use crate::store::interactions::{self, Interaction, PairFilter};
use crate::store::{now, to_micros, Db};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_coverage)
        .service(create_coverage)
        .service(find_coverage)
        .service(replace_coverage)
        .service(update_coverage)
        .service(delete_coverage)
        .service(list_interactions)
        .service(create_interaction)
        .service(find_interaction)
        .service(delete_interaction);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageListParams {
    /// Only links of this salesperson.
    pub salesperson_id: Option<Uuid>,
    /// Only links to this stakeholder.
    pub stakeholder_id: Option<Uuid>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl CoverageListParams {
    fn filter(&self) -> PairFilter {
        PairFilter { salesperson_id: self.salesperson_id, stakeholder_id: self.stakeholder_id }
    }
}

resource::crud_routes!(
    CoverageLinks,
    tag = "coverage",
    collection = "/v1/coverage",
    item = "/v1/coverage/{id}",
    request = CoverageRequest,
    response = CoverageResponse,
    /// List coverage links in id order.
    list = list_coverage(CoverageListParams) => |params| (params.filter(), page_request(params.limit, params.cursor.as_deref())?),
    /// Record that a salesperson covers a stakeholder.
    create = create_coverage,
    find {
        /// Read a coverage link.
        find_coverage
    },
    /// Replace a coverage link.
    replace = replace_coverage,
    /// Change some of a coverage link's fields (JSON merge patch, RFC 7396).
    patch = update_coverage,
    /// Delete a coverage link.
    delete = delete_coverage,
);

/// A logged touch as written by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionRequest {
    /// The salesperson: a person in an `own` organization on the day it happened.
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    pub kind: InteractionKind,
    /// When it happened (RFC 3339).
    #[serde(deserialize_with = "crate::api::moment::time")]
    pub occurred_at: DateTime<Utc>,
    /// What it was about.
    #[serde(default)]
    pub summary: Option<String>,
}

/// A logged touch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InteractionResponse {
    pub id: Uuid,
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    pub kind: InteractionKind,
    pub occurred_at: DateTime<Utc>,
    pub summary: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Interaction> for InteractionResponse {
    fn from(i: Interaction) -> Self {
        InteractionResponse {
            id: i.id,
            salesperson_id: i.fields.salesperson_id,
            stakeholder_id: i.fields.stakeholder_id,
            kind: i.fields.kind,
            occurred_at: i.fields.occurred_at.and_utc(),
            summary: i.fields.summary,
            created_at: i.created_at.and_utc(),
        }
    }
}

/// List interactions in the order they were logged.
#[utoipa::path(tag = "coverage", params(CoverageListParams), responses((status = 200, body = Page<InteractionResponse>)))]
#[get("/v1/interactions")]
pub async fn list_interactions(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<CoverageListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (request, filter) =
        (page_request(params.limit, params.cursor.as_deref())?, params.filter());
    let (rows, more) = read(&db, move |c| {
        interactions::list_interactions(c, principal.tenant_id, filter, request)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |r| r.id, InteractionResponse::from)))
}

/// Log an interaction.
#[utoipa::path(tag = "coverage", request_body = InteractionRequest, responses((status = 201, body = InteractionResponse)))]
#[post("/v1/interactions")]
pub async fn create_interaction(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<InteractionRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let new = NewInteraction {
        salesperson_id: body.salesperson_id,
        stakeholder_id: body.stakeholder_id,
        kind: body.kind,
        occurred_at: to_micros(body.occurred_at.naive_utc()),
        summary: body.summary,
    }
    .validate(now())?;
    let i = write(&db, principal.actor(), move |c| {
        interactions::create_interaction(c, principal.tenant_id, &new)
    })
    .await?;
    Ok(created("/v1/interactions", i.id, 1, InteractionResponse::from(i)))
}

/// Read an interaction.
#[utoipa::path(tag = "coverage", params(("id" = Uuid, Path)), responses((status = 200, body = InteractionResponse)))]
#[get("/v1/interactions/{id}")]
pub async fn find_interaction(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let i = read(&db, move |c| interactions::find_interaction(c, principal.tenant_id, id)).await?;
    Ok(ok(1, InteractionResponse::from(i)))
}

/// Delete an interaction logged by mistake.
#[utoipa::path(tag = "coverage", params(("id" = Uuid, Path)), responses((status = 204, description = "deleted")))]
#[delete("/v1/interactions/{id}")]
pub async fn delete_interaction(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    write(&db, principal.actor(), move |c| {
        interactions::delete_interaction(c, principal.tenant_id, id)
    })
    .await?;
    Ok(deleted())
}
