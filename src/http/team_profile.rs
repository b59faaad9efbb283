//! `GET /v1/organizations/{id}/team-profile`: an own unit's crafting against what its
//! accounts ask for — training needs, single points of failure, strengths.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::moment::{time_point, Moment};
use crate::api::team_profile::{DemandScopeName, TeamProfileResponse};
use crate::domain::api_key::Scope;
use crate::error::{Error, FieldError};
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::read_lagging;
use crate::store::team_profile::{self as profiles, Demanded};
use crate::store::Db;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(organization_team_profile);
}

pub const LIMIT_DEFAULT: usize = 20;
pub const LIMIT_MAX: usize = 500;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TeamProfileParams {
    /// Whose demand: the accounts the team covers someone in (default) or every client
    /// account of the tenant.
    pub demand: Option<DemandScopeName>,
    /// At most this many training needs, single points and strengths, 1 to 500 (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// The team, the accounts and every crafted job as of then: an RFC 3339 time, or a date
    /// (its end). Default now.
    #[param(value_type = Option<String>)]
    pub as_of: Option<Moment>,
    /// As recorded by then (same forms). Default now.
    #[param(value_type = Option<String>)]
    pub known_at: Option<Moment>,
}

/// The team's crafting against its accounts' demand: the facets the unit's salespeople (and
/// those of the units below it) have crafted, against the decision criteria and priorities of
/// the stakeholders of its accounts weighted by their influence, matched through the rules the
/// suggestions use. Names the training needs (ranked by unmet demand, each for the whole team
/// or for named salespeople), the wanted keys only one salesperson meets, and the strengths.
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path), TeamProfileParams), responses((status = 200, body = TeamProfileResponse)))]
#[get("/v1/organizations/{id}/team-profile")]
pub async fn organization_team_profile(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<TeamProfileParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let limit = params.limit.unwrap_or(LIMIT_DEFAULT);
    if !(1..=LIMIT_MAX).contains(&limit) {
        return Err(Error::Invalid(vec![FieldError::new(
            "limit",
            format!("must be between 1 and {LIMIT_MAX}"),
        )]));
    }
    let (unit, tenant) = (id.into_inner(), principal.tenant_id);
    let scope = params.demand.unwrap_or(DemandScopeName::Covered);
    // As of now, the accounts' demand is kept between requests; as of another time it is read.
    let now = params.as_of.is_none() && params.known_at.is_none();
    let at = time_point(params.as_of, params.known_at);
    let (labels, kept) = (db.labels.clone(), db.demand.clone());
    let response = read_lagging(&db, principal.key_id, move |c| {
        let demanded = if now { Demanded::Kept(&kept) } else { Demanded::Read };
        let found = profiles::team_profile(c, tenant, unit, scope.into(), at, demanded)?;
        let labels = labels.labels(c, tenant)?;
        Ok(TeamProfileResponse::of(found, scope, at, &labels, limit))
    })
    .await?;
    Ok(HttpResponse::Ok().json(response))
}
