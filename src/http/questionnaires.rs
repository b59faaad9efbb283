//! `/v1/instruments` and `/v1/administrations`: crafting questionnaires, their answers scored
//! per subscale, their statistics (Cronbach's alpha), and answers made a crafting revision.

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::crafting::RevisionResponse;
use crate::api::questionnaires::{
    AdministrationRequest, AdministrationResponse, InstrumentRequest, InstrumentResponse,
    InstrumentStatisticsResponse,
};
use crate::domain::api_key::Scope;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::etag::IfMatch;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, page_request, ListParams, Page};
use crate::http::respond::{created, deleted, ok};
use crate::http::{read, write};
use crate::store::questionnaires::{self as store, AdministrationFilter};
use crate::store::{crafting, Db};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_instruments)
        .service(create_instrument)
        .service(find_instrument)
        .service(replace_instrument)
        .service(delete_instrument)
        .service(administer_instrument)
        .service(instrument_statistics)
        .service(list_administrations)
        .service(find_administration)
        .service(delete_administration)
        .service(administration_revision);
}

/// List the tenant's questionnaire instruments in id order.
#[utoipa::path(tag = "growth", params(ListParams), responses((status = 200, body = Page<InstrumentResponse>)))]
#[get("/v1/instruments")]
pub async fn list_instruments(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (request, tenant) = (params.page_request()?, principal.tenant_id);
    let (rows, more) = read(&db, move |c| store::list_instruments(c, tenant, request)).await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |i| i.id, InstrumentResponse::from)))
}

/// Define a questionnaire instrument: an answer scale, subscales each measuring one facet of a
/// crafting dimension (a vocabulary key, increasing or decreasing), and the items of each.
#[utoipa::path(tag = "growth", request_body = InstrumentRequest, responses((status = 201, body = InstrumentResponse)))]
#[post("/v1/instruments")]
pub async fn create_instrument(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<InstrumentRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (new, tenant) = (body.parse()?, principal.tenant_id);
    let found =
        write(&db, principal.actor(), move |c| store::create_instrument(c, tenant, &new)).await?;
    Ok(created("/v1/instruments", found.id, found.version, InstrumentResponse::from(found)))
}

/// Read an instrument.
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path)), responses((status = 200, body = InstrumentResponse)))]
#[get("/v1/instruments/{id}")]
pub async fn find_instrument(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (id, tenant) = (id.into_inner(), principal.tenant_id);
    let found = read(&db, move |c| store::find_instrument(c, tenant, id)).await?;
    Ok(ok(found.version, InstrumentResponse::from(found)))
}

/// Replace an instrument; refused (409) once it has been administered: its answers were given
/// to these items.
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path)), request_body = InstrumentRequest, responses((status = 200, body = InstrumentResponse)))]
#[put("/v1/instruments/{id}")]
pub async fn replace_instrument(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<InstrumentRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, tenant, new) = (id.into_inner(), principal.tenant_id, body.parse()?);
    let found = write(&db, principal.actor(), move |c| {
        store::replace_instrument(c, tenant, id, &expected, &new)
    })
    .await?;
    Ok(ok(found.version, InstrumentResponse::from(found)))
}

/// Delete an instrument never administered (409 otherwise).
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path)), responses((status = 204, description = "deleted")))]
#[delete("/v1/instruments/{id}")]
pub async fn delete_instrument(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, tenant) = (id.into_inner(), principal.tenant_id);
    write(&db, principal.actor(), move |c| store::delete_instrument(c, tenant, id, &expected))
        .await?;
    Ok(deleted())
}

/// Record answers about a tenure's holder — a self-report or an observer's — scored per
/// subscale (the mean of its answered items, reverse-keyed items turned).
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path)), request_body = AdministrationRequest, responses((status = 201, body = AdministrationResponse)))]
#[post("/v1/instruments/{id}/administrations")]
pub async fn administer_instrument(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Json(body): Json<AdministrationRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, tenant, new) = (id.into_inner(), principal.tenant_id, body.into_new());
    let (instrument, a) =
        write(&db, principal.actor(), move |c| store::administer(c, tenant, id, &new)).await?;
    let scores = crate::domain::questionnaire::scores(&instrument.fields, &a.fields.answers);
    let response = AdministrationResponse::of(a, scores, &instrument.fields.scale);
    Ok(created("/v1/administrations", response.id, 1, response))
}

/// Per subscale across the instrument's administrations: internal consistency (Cronbach's
/// alpha, with the number of complete administrations it is over), mean, spread and the
/// distribution of scores over the scale.
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path)), responses((status = 200, body = InstrumentStatisticsResponse)))]
#[get("/v1/instruments/{id}/statistics")]
pub async fn instrument_statistics(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (id, tenant) = (id.into_inner(), principal.tenant_id);
    let (instrument, n, stats) =
        read(&db, move |c| store::instrument_statistics(c, tenant, id)).await?;
    Ok(HttpResponse::Ok().json(InstrumentStatisticsResponse::of(&instrument, n, stats)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdministrationListParams {
    /// Only administrations of this instrument.
    pub instrument_id: Option<Uuid>,
    /// Only answers about this tenure's holder.
    pub tenure_id: Option<Uuid>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List administrations in id order, each with its scores.
#[utoipa::path(tag = "growth", params(AdministrationListParams), responses((status = 200, body = Page<AdministrationResponse>)))]
#[get("/v1/administrations")]
pub async fn list_administrations(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<AdministrationListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let request = page_request(params.limit, params.cursor.as_deref())?;
    let filter =
        AdministrationFilter { instrument_id: params.instrument_id, tenure_id: params.tenure_id };
    let tenant = principal.tenant_id;
    let (rows, more) = read(&db, move |c| {
        let (found, more) = store::list_administrations(c, tenant, filter, request)?;
        Ok((answered(c, tenant, found)?, more))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |a| a.id, |a| a)))
}

/// The administrations with their scores, each instrument read once (a page of one
/// instrument's answers reads it once, not once per row).
fn answered(
    c: &mut crate::store::DbConn,
    tenant: crate::domain::tenant::TenantId,
    administrations: Vec<store::Administration>,
) -> Result<Vec<AdministrationResponse>, Error> {
    let mut instruments = std::collections::HashMap::new();
    let mut scored = Vec::with_capacity(administrations.len());
    for a in administrations {
        let instrument = match instruments.entry(a.instrument_id) {
            std::collections::hash_map::Entry::Occupied(found) => found.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(store::find_instrument(c, tenant, a.instrument_id)?)
            }
        };
        let scores = crate::domain::questionnaire::scores(&instrument.fields, &a.fields.answers);
        scored.push(AdministrationResponse::of(a, scores, &instrument.fields.scale));
    }
    Ok(scored)
}

/// Read an administration with its scores.
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path)), responses((status = 200, body = AdministrationResponse)))]
#[get("/v1/administrations/{id}")]
pub async fn find_administration(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (id, tenant) = (id.into_inner(), principal.tenant_id);
    let response = read(&db, move |c| {
        let a = store::find_administration(c, tenant, id)?;
        answered(c, tenant, vec![a])?.pop().ok_or(Error::NotFound)
    })
    .await?;
    Ok(HttpResponse::Ok().json(response))
}

/// Delete an administration recorded by mistake (a crafting revision made from it stays: a
/// correction is a new revision).
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path)), responses((status = 204, description = "deleted")))]
#[delete("/v1/administrations/{id}")]
pub async fn delete_administration(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, tenant) = (id.into_inner(), principal.tenant_id);
    write(&db, principal.actor(), move |c| store::delete_administration(c, tenant, id)).await?;
    Ok(deleted())
}

/// Make the administration's scores a crafting revision of its tenure: the facets its
/// subscales measure set (a patch), effective when it was answered, its source naming the
/// instrument and the administration, its confidence from who answered (manager 0.8, covering
/// salesperson or peer 0.7, self-report 0.6). Once per administration (409 after).
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path)), responses((status = 201, body = RevisionResponse)))]
#[post("/v1/administrations/{id}/crafting-revision")]
pub async fn administration_revision(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, tenant) = (id.into_inner(), principal.tenant_id);
    let revision = write(&db, principal.actor(), move |c| {
        let made = store::to_revision(c, tenant, id)?;
        crafting::find(c, tenant, made.revision.id)
    })
    .await?;
    let tenure = revision.tenure_id;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/tenures/{tenure}/crafting/revisions")))
        .json(RevisionResponse::from(revision)))
}
