//! `/v1/coverage` (which salesperson covers which stakeholder) and `/v1/interactions` (the
//! logged touches that make a thread strong).

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::coverage::{CoverageRole, InteractionKind, NewCoverage, NewInteraction};
use crate::domain::strength::derived_strength;
use crate::domain::sync::{Entity, ExternalRef};
use crate::error::Error;
use crate::http::etag::IfMatch;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, page_request, Page};
use crate::http::respond::{created, deleted, merge_into, ok};
use crate::http::{read, write};
use crate::store::api_keys::Principal;
use crate::store::coverage::{self as coverage_store, Coverage, CoverageFilter};
use crate::store::external_refs::refresh;
use crate::store::interactions::{self, Interaction};
use crate::store::{coverage_settings, now, to_micros, Db, DbConn, Expected};

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

/// A coverage link as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageRequest {
    /// The salesperson: a person with a current tenure in an `own` organization.
    pub salesperson_id: Uuid,
    /// The stakeholder they cover.
    pub stakeholder_id: Uuid,
    pub role: CoverageRole,
    /// Stated strength, 0 to 1; absent to derive it from interactions.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1)]
    pub strength: Option<f64>,
    /// Ids of this link in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl CoverageRequest {
    pub(crate) fn parse(&self) -> Result<NewCoverage, Error> {
        NewCoverage {
            salesperson_id: self.salesperson_id,
            stakeholder_id: self.stakeholder_id,
            role: self.role,
            strength: self.strength,
        }
        .validate()
    }
}

impl From<&Coverage> for CoverageRequest {
    fn from(c: &Coverage) -> Self {
        CoverageRequest {
            salesperson_id: c.fields.salesperson_id,
            stakeholder_id: c.fields.stakeholder_id,
            role: c.fields.role,
            strength: c.fields.strength,
            external_refs: c.external_refs.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StrengthSource {
    Stated,
    Derived,
}

/// A coverage link with its effective strength.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoverageResponse {
    pub id: Uuid,
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    pub role: CoverageRole,
    /// The strength in effect: the stated one, else the one derived from interactions.
    #[schema(minimum = 0, maximum = 1)]
    pub strength: f64,
    pub strength_source: StrengthSource,
    /// The stated strength, if any.
    #[schema(minimum = 0, maximum = 1)]
    pub stated_strength: Option<f64>,
    /// Derived from interactions with the tenant's half-life (see the README).
    #[schema(minimum = 0, maximum = 1)]
    pub derived_strength: f64,
    /// The latest logged interaction between the two.
    pub last_interaction_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Ids of this link in other systems.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

/// Coverage links with their strengths, derived from the interactions of their pairs.
fn with_strength(
    conn: &mut DbConn,
    tenant: Uuid,
    links: Vec<Coverage>,
) -> Result<Vec<CoverageResponse>, Error> {
    let settings = coverage_settings::settings(conn, tenant)?.0;
    let stakeholders: Vec<Uuid> = links.iter().map(|l| l.fields.stakeholder_id).collect();
    let touches = interactions::touches(conn, tenant, &stakeholders)?;
    let at = now();
    Ok(links
        .into_iter()
        .map(|l| {
            let times: &[NaiveDateTime] = touches
                .get(&(l.fields.salesperson_id, l.fields.stakeholder_id))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let derived = derived_strength(times, at, settings.half_life());
            CoverageResponse {
                external_refs: l.external_refs.clone(),
                id: l.id,
                salesperson_id: l.fields.salesperson_id,
                stakeholder_id: l.fields.stakeholder_id,
                role: l.fields.role,
                strength: l.fields.strength.unwrap_or(derived),
                strength_source: if l.fields.strength.is_some() {
                    StrengthSource::Stated
                } else {
                    StrengthSource::Derived
                },
                stated_strength: l.fields.strength,
                derived_strength: derived,
                last_interaction_at: times.iter().filter(|t| **t <= at).max().map(|t| t.and_utc()),
                version: l.version,
                created_at: l.created_at.and_utc(),
                updated_at: l.updated_at.and_utc(),
            }
        })
        .collect())
}

pub(crate) fn one(
    conn: &mut DbConn,
    tenant: Uuid,
    link: Coverage,
) -> Result<CoverageResponse, Error> {
    with_strength(conn, tenant, vec![link])?.pop().ok_or(Error::NotFound)
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
    fn filter(&self) -> CoverageFilter {
        CoverageFilter { salesperson_id: self.salesperson_id, stakeholder_id: self.stakeholder_id }
    }
}

/// List coverage links in id order.
#[utoipa::path(tag = "coverage", params(CoverageListParams), responses((status = 200, body = Page<CoverageResponse>)))]
#[get("/v1/coverage")]
pub async fn list_coverage(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<CoverageListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (request, filter) =
        (page_request(params.limit, params.cursor.as_deref())?, params.filter());
    let tenant = principal.tenant_id;
    let (rows, more) = read(&db, move |c| {
        let (links, more) = coverage_store::list_coverage(c, tenant, filter, request)?;
        Ok((with_strength(c, tenant, links)?, more))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |r| r.id, |r| r)))
}

/// Record that a salesperson covers a stakeholder.
#[utoipa::path(tag = "coverage", request_body = CoverageRequest, responses((status = 201, body = CoverageResponse)))]
#[post("/v1/coverage")]
pub async fn create_coverage(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<CoverageRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (refs, new, tenant) = (body.external_refs.clone(), body.parse()?, principal.tenant_id);
    let link = write(&db, principal.actor(), move |c| {
        let link = coverage_store::create_coverage(c, tenant, &new)?;
        let link =
            refresh(c, tenant, Entity::Coverage, link.id, &refs, coverage_store::find_coverage)?;
        one(c, tenant, link)
    })
    .await?;
    Ok(created("/v1/coverage", link.id, link.version, link))
}

/// Read a coverage link.
#[utoipa::path(tag = "coverage", params(("id" = Uuid, Path)), responses((status = 200, body = CoverageResponse)))]
#[get("/v1/coverage/{id}")]
pub async fn find_coverage(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (id, tenant) = (id.into_inner(), principal.tenant_id);
    let link = read(&db, move |c| {
        let link = coverage_store::find_coverage(c, tenant, id)?;
        one(c, tenant, link)
    })
    .await?;
    Ok(ok(link.version, link))
}

/// Replace a coverage link.
#[utoipa::path(tag = "coverage", params(("id" = Uuid, Path)), request_body = CoverageRequest, responses((status = 200, body = CoverageResponse)))]
#[put("/v1/coverage/{id}")]
pub async fn replace_coverage(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<CoverageRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, refs, new, tenant) =
        (id.into_inner(), body.external_refs.clone(), body.parse()?, principal.tenant_id);
    let link = write(&db, principal.actor(), move |c| {
        let link = coverage_store::update_coverage(c, tenant, id, &expected, &new)?;
        let link =
            refresh(c, tenant, Entity::Coverage, link.id, &refs, coverage_store::find_coverage)?;
        one(c, tenant, link)
    })
    .await?;
    Ok(ok(link.version, link))
}

/// Change some of a coverage link's fields (JSON merge patch, RFC 7396).
#[utoipa::path(tag = "coverage", params(("id" = Uuid, Path)), request_body(content = serde_json::Value, content_type = "application/merge-patch+json"), responses((status = 200, body = CoverageResponse)))]
#[patch("/v1/coverage/{id}")]
pub async fn update_coverage(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(patch): Json<serde_json::Value>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, tenant) = (id.into_inner(), principal.tenant_id);
    let link = write(&db, principal.actor(), move |c| {
        let current = coverage_store::find_coverage(c, tenant, id)?;
        expected.check(current.version)?;
        let merged = merge_into(CoverageRequest::from(&current), &patch)?;
        let (refs, new) = (merged.external_refs.clone(), merged.parse()?);
        let link =
            coverage_store::update_coverage(c, tenant, id, &Expected::Read(current.version), &new)?;
        let link =
            refresh(c, tenant, Entity::Coverage, link.id, &refs, coverage_store::find_coverage)?;
        one(c, tenant, link)
    })
    .await?;
    Ok(ok(link.version, link))
}

/// Delete a coverage link.
#[utoipa::path(tag = "coverage", params(("id" = Uuid, Path)), responses((status = 204, description = "deleted")))]
#[delete("/v1/coverage/{id}")]
pub async fn delete_coverage(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    write(&db, principal.actor(), move |c| {
        coverage_store::delete_coverage(c, principal.tenant_id, id, &expected)
    })
    .await?;
    Ok(deleted())
}

/// A logged touch as written by a client.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionRequest {
    /// The salesperson: a person in an `own` organization on the day it happened.
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    pub kind: InteractionKind,
    /// When it happened (RFC 3339).
    #[serde(deserialize_with = "crate::http::moment::time")]
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
