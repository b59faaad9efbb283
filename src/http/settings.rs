//! `/v1/affinities` (tenant rules that extend crafting alignment beyond same keys) and
//! `/v1/settings/coverage` (half-life, default capacity, alert thresholds, role weights),
//! `/v1/settings/retention` and `/v1/settings/development`.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::development_plans::DevelopmentSettings;
use crate::domain::api_key::Scope;
use crate::domain::coverage::CoverageSettings;
use crate::domain::facet::{Dimension, Facet};
use crate::domain::fit::Affinity;
use crate::domain::retention::Retention;
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError, Violations};
use crate::http::auth::Principal;
use crate::http::etag::IfMatch;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, ListParams, Page};
use crate::http::respond::{created, deleted, ok};
use crate::http::{read, write};
use crate::store::affinities::{self, StoredAffinity};
use crate::store::{coverage_settings, development_plans, retention};
use crate::store::{vocabulary, Db, DbConn};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_affinities)
        .service(create_affinity)
        .service(find_affinity)
        .service(delete_affinity)
        .service(find_settings)
        .service(replace_settings)
        .service(find_retention)
        .service(replace_retention)
        .service(find_development_settings)
        .service(replace_development_settings);
}

/// A facet named by dimension and vocabulary key.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacetRef {
    pub dimension: Dimension,
    pub key: String,
}

/// "A salesperson whose crafted job has `from` suits a stakeholder who wants `to`".
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AffinityRequest {
    /// The salesperson's facet (priority, cognitive or task).
    pub from: FacetRef,
    /// The stakeholder's facet (decision criterion or priority).
    pub to: FacetRef,
    /// How fully `from` meets `to`, 0 to 1.
    #[schema(minimum = 0, maximum = 1)]
    pub weight: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AffinityResponse {
    pub id: Uuid,
    pub from: FacetRef,
    pub to: FacetRef,
    pub weight: f64,
    pub created_at: DateTime<Utc>,
}

impl From<StoredAffinity> for AffinityResponse {
    fn from(a: StoredAffinity) -> Self {
        let (from, to) = (a.affinity.from, a.affinity.to);
        AffinityResponse {
            id: a.id,
            from: FacetRef { dimension: from.0, key: from.1 },
            to: FacetRef { dimension: to.0, key: to.1 },
            weight: a.affinity.weight,
            created_at: a.created_at.and_utc(),
        }
    }
}

/// Both facets must be active vocabulary keys.
fn check_affinity(conn: &mut DbConn, tenant: TenantId, affinity: &Affinity) -> Result<(), Error> {
    let mut errors = Vec::new();
    for (key, pointer) in [(&affinity.from, "/from"), (&affinity.to, "/to")] {
        let facet = Facet {
            dimension: key.0,
            key: key.1.clone(),
            weight: 1.0,
            note: None,
            core: false,
            floor: None,
        };
        match vocabulary::check_keys(conn, tenant, &[facet], pointer) {
            Ok(()) => {}
            Err(Error::Invalid(found)) => errors.extend(
                found.into_iter().map(|e| FieldError { pointer: format!("{pointer}/key"), ..e }),
            ),
            Err(other) => return Err(other),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// The tenant's affinity rules in id order.
#[utoipa::path(tag = "settings", params(ListParams), responses((status = 200, body = Page<AffinityResponse>)))]
#[get("/v1/affinities")]
pub async fn list_affinities(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let request = params.page_request()?;
    let (rows, more) =
        read(&db, move |c| affinities::affinities_page(c, principal.tenant_id, request)).await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |a| a.id, AffinityResponse::from)))
}

/// Add an affinity rule.
#[utoipa::path(tag = "settings", request_body = AffinityRequest, responses((status = 201, body = AffinityResponse)))]
#[post("/v1/affinities")]
pub async fn create_affinity(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<AffinityRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let mut violations = Violations::default();
    if !body.weight.is_finite() || !(0.0..=1.0).contains(&body.weight) {
        violations.add("/weight", "must be a number from 0 to 1");
    }
    violations.into_result()?;
    let affinity = Affinity {
        from: (body.from.dimension, body.from.key),
        to: (body.to.dimension, body.to.key),
        weight: body.weight,
    };
    let tenant = principal.tenant_id;
    let stored = write(&db, principal.actor(), move |c| {
        check_affinity(c, tenant, &affinity)?;
        affinities::create_affinity(c, tenant, &affinity)
    })
    .await?;
    Ok(created("/v1/affinities", stored.id, 1, AffinityResponse::from(stored)))
}

/// Read an affinity rule.
#[utoipa::path(tag = "settings", params(("id" = Uuid, Path)), responses((status = 200, body = AffinityResponse)))]
#[get("/v1/affinities/{id}")]
pub async fn find_affinity(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let stored = read(&db, move |c| affinities::find_affinity(c, principal.tenant_id, id)).await?;
    Ok(ok(1, AffinityResponse::from(stored)))
}

/// Delete an affinity rule.
#[utoipa::path(tag = "settings", params(("id" = Uuid, Path)), responses((status = 204, description = "deleted")))]
#[delete("/v1/affinities/{id}")]
pub async fn delete_affinity(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let id = id.into_inner();
    write(&db, principal.actor(), move |c| affinities::delete_affinity(c, principal.tenant_id, id))
        .await?;
    Ok(deleted())
}

/// The tenant's coverage settings (defaults until changed).
#[utoipa::path(tag = "settings", responses((status = 200, body = CoverageSettings)))]
#[get("/v1/settings/coverage")]
pub async fn find_settings(db: web::Data<Db>, principal: Principal) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (settings, version) =
        read(&db, move |c| coverage_settings::settings(c, principal.tenant_id)).await?;
    Ok(ok(version, settings))
}

/// Replace the coverage settings; fields left out take their defaults.
#[utoipa::path(tag = "settings", request_body = CoverageSettings, responses((status = 200, body = CoverageSettings)))]
#[put("/v1/settings/coverage")]
pub async fn replace_settings(
    db: web::Data<Db>,
    principal: Principal,
    IfMatch(expected): IfMatch,
    Json(body): Json<CoverageSettings>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let settings = body.validate()?;
    let (settings, version) = write(&db, principal.actor(), move |c| {
        coverage_settings::save_settings(c, principal.tenant_id, &expected, &settings)
    })
    .await?;
    Ok(ok(version, settings))
}

/// How long the tenant keeps its change feed, webhook delivery log, audit log and idempotency
/// keys (defaults until changed). Pruning runs in the background, in small batches.
#[utoipa::path(tag = "settings", responses((status = 200, body = Retention)))]
#[get("/v1/settings/retention")]
pub async fn find_retention(
    db: web::Data<Db>,
    principal: Principal,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let retention = read(&db, move |c| retention::settings(c, principal.tenant_id)).await?;
    Ok(HttpResponse::Ok().json(retention))
}

/// Replace the retention windows: each one left out takes its default (`idempotency_hours`
/// 48). A shorter feed window makes older cursors `410 Gone` once pruning passes them; changes
/// an active webhook subscription has not delivered are kept.
#[utoipa::path(tag = "settings", request_body = Retention, responses((status = 200, body = Retention)))]
#[put("/v1/settings/retention")]
pub async fn replace_retention(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<Retention>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let retention = body.validate()?;
    write(&db, principal.actor(), move |c| retention::save(c, principal.tenant_id, &retention))
        .await?;
    Ok(HttpResponse::Ok().json(retention))
}

/// The tenant's rules for development plans: the learning time a person may have agreed per
/// week over their active plans (default 4 hours).
#[utoipa::path(tag = "settings", responses((status = 200, body = DevelopmentSettings)))]
#[get("/v1/settings/development")]
pub async fn find_development_settings(
    db: web::Data<Db>,
    principal: Principal,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let limit =
        read(&db, move |c| development_plans::learning_hours_limit(c, principal.tenant_id)).await?;
    Ok(HttpResponse::Ok().json(DevelopmentSettings { learning_hours_limit: limit }))
}

/// Replace the rules for development plans. Plans over the new limit are flagged, not changed.
#[utoipa::path(tag = "settings", request_body = DevelopmentSettings, responses((status = 200, body = DevelopmentSettings)))]
#[put("/v1/settings/development")]
pub async fn replace_development_settings(
    db: web::Data<Db>,
    principal: Principal,
    Json(body): Json<DevelopmentSettings>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Admin)?;
    let settings = body.validate()?;
    let limit = settings.learning_hours_limit;
    write(&db, principal.actor(), move |c| {
        development_plans::save_learning_hours_limit(c, principal.tenant_id, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(settings))
}
