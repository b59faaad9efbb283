//! Readiness for a post: `GET /v1/persons/{id}/readiness` (one person, at any time) and
//! `GET /v1/posts/{id}/candidates` (the tenant's people ranked for a post now).

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::moment::{time_point, Moment};
use crate::api::readiness::{
    CandidateResponse, CandidatesResponse, ReadinessParts, ReadinessResponse,
};
use crate::domain::api_key::Scope;
use crate::error::{Error, FieldError};
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::{keep_crafting_index, read_lagging};
use crate::store::{persons, posts, readiness, Db};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(person_readiness).service(post_candidates);
}

pub const CANDIDATES_DEFAULT: usize = 10;
pub const CANDIDATES_MAX: usize = 100;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadinessParams {
    /// The target post.
    pub post_id: Uuid,
    /// The person's crafted job and the post's formal facets as of then: an RFC 3339 time, or
    /// a date (its end). Default now.
    #[param(value_type = Option<String>)]
    pub as_of: Option<Moment>,
    /// As recorded by then (same forms). Default now.
    #[param(value_type = Option<String>)]
    pub known_at: Option<Moment>,
}

/// How the person's crafted job covers the target post's formal facets: met, weaker, missing,
/// what they bring besides, and a score in [0, 1] with its parts (core facets count twice).
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path), ReadinessParams), responses((status = 200, body = ReadinessResponse)))]
#[get("/v1/persons/{id}/readiness")]
pub async fn person_readiness(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<ReadinessParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (person, tenant) = (id.into_inner(), principal.tenant_id);
    let at = time_point(params.as_of, params.known_at);
    let labels = db.labels.clone();
    let response = read_lagging(&db, principal.key_id, move |c| {
        let post = posts::find_at(c, tenant, params.post_id, at).map_err(|e| match e {
            Error::NotFound => Error::invalid("post_id", "no post of this tenant has this id"),
            other => other,
        })?;
        let (found, tenure_ids) = readiness::of_person(c, tenant, person, &post, at)?;
        let labels = labels.labels(c, tenant)?;
        Ok(ReadinessResponse {
            person_id: person,
            post_id: post.id,
            tenure_ids,
            as_of: at.as_of.and_utc(),
            known_at: at.known_at.and_utc(),
            readiness: ReadinessParts::of(&found, &labels),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(response))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CandidatesParams {
    /// How many, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// Only people holding posts in this organization or below it; default the whole tenant.
    pub scope: Option<Uuid>,
}

/// Succession planning: the people of the tenant (or of an organization) most ready for this
/// post now, best first, each with the same explanation as a person's readiness. Its current
/// holders are left out. Read from the crafting index (every current job as it stands now).
#[utoipa::path(tag = "growth", params(("id" = Uuid, Path), CandidatesParams), responses((status = 200, body = CandidatesResponse)))]
#[get("/v1/posts/{id}/candidates")]
pub async fn post_candidates(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<CandidatesParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let limit = params.limit.unwrap_or(CANDIDATES_DEFAULT);
    if !(1..=CANDIDATES_MAX).contains(&limit) {
        return Err(Error::Invalid(vec![FieldError::new(
            "limit",
            format!("must be between 1 and {CANDIDATES_MAX}"),
        )]));
    }
    let (post_id, tenant) = (id.into_inner(), principal.tenant_id);
    let (index, labels) = (db.crafting_index.clone(), db.labels.clone());
    let response = read_lagging(&db, principal.key_id, move |c| {
        let post = posts::find(c, tenant, post_id)?;
        let scope = params.scope;
        let found =
            readiness::candidates(c, &index, tenant, &post, scope, limit).map_err(|e| match e {
                Error::NotFound if scope.is_some() => {
                    Error::invalid("scope", "no organization of this tenant has this id")
                }
                other => other,
            })?;
        let ids: Vec<Uuid> = found.iter().map(|f| f.person_id).collect();
        let names = persons::display_names(c, tenant, &ids)?;
        let labels = labels.labels(c, tenant)?;
        Ok(CandidatesResponse {
            post_id,
            items: found
                .into_iter()
                .map(|f| CandidateResponse {
                    display_name: names.get(&f.person_id).cloned().unwrap_or_default(),
                    person_id: f.person_id,
                    tenure_ids: f.tenure_ids,
                    readiness: ReadinessParts::of(&f.readiness, &labels),
                })
                .collect(),
        })
    })
    .await?;
    keep_crafting_index(&db, tenant);
    Ok(HttpResponse::Ok().json(response))
}
