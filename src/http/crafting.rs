//! `/v1/tenures/{id}/crafting`: how the holder actually does the post, revision by revision.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::crafting::RevisionResponse;
use crate::api::moment::{time_point, utc, Moment};
use crate::domain::api_key::Scope;
use crate::domain::crafting::{apply_patch, EffectiveJob, Origin, TimePoint};
use crate::domain::facet::{parse_facets, Dimension, Facet, FacetSource};
use crate::domain::sync::{Entity, ExternalRef};
use crate::domain::text;
use crate::error::{Error, Violations};
use crate::http::auth::Principal;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, ListParams, Page};
use crate::http::{read, read_pipelined, write};
use crate::store::crafting::{self, NewRevision, TenureHistory};
use crate::store::external_refs;
use crate::store::{now, Db};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(record_crafting).service(find_crafted_job).service(list_crafting_revisions);
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevisionMode {
    /// `facets` is the full observed set for each dimension it covers (see `dimensions`).
    #[default]
    Replace,
    /// `facets` are set and `remove` forgotten; the rest of the crafted job stays.
    Patch,
}

/// A facet to forget, named by dimension and key.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RemovedFacet)]
pub struct FacetRef {
    pub dimension: Dimension,
    pub key: String,
}

/// An observation of how the holder crafts the post.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CraftingRequest {
    /// `replace` (default): the facets are the full set for the dimensions covered;
    /// `patch`: set these facets, forget those in `remove`, keep the rest.
    #[serde(default)]
    pub mode: RevisionMode,
    /// `replace` only: the dimensions this observation covers, so a dimension can be stated
    /// empty (default: the dimensions of `facets`).
    #[serde(default)]
    pub dimensions: Option<Vec<Dimension>>,
    /// The facets observed.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub facets: Vec<Facet>,
    /// `patch` only: crafted facets to forget (the formal job applies again).
    #[serde(default)]
    pub remove: Vec<FacetRef>,
    /// Where the observation comes from, e.g. "QBR 2026-11-03".
    #[serde(default)]
    #[schema(max_length = 500)]
    pub source: Option<String>,
    /// How sure the observer is, 0 to 1 (default 1).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1)]
    pub confidence: Option<f64>,
    /// When it became true in the world (default now); within the tenure.
    #[serde(default, deserialize_with = "crate::api::moment::optional_time")]
    pub effective_at: Option<DateTime<Utc>>,
    /// Ids of this observation in other systems.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

/// Record how the holder crafts the post. Nothing is overwritten: a correction is a new revision.
#[utoipa::path(tag = "crafted jobs", params(("id" = Uuid, Path)), request_body = CraftingRequest, responses((status = 201, body = RevisionResponse)))]
#[post("/v1/tenures/{id}/crafting")]
pub async fn record_crafting(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Json(body): Json<CraftingRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let id = id.into_inner();
    let refs = body.external_refs.clone();
    let request = parse_request(body)?;
    let tenant = principal.tenant_id;
    let revision = write(&db, principal.actor(), move |c| {
        let history = crafting::history(c, tenant, id)?;
        let new = request.clone().into_revision(&history)?;
        let revision = crafting::record(c, principal.tenant_id, &history.tenure, &new)?;
        let revision_id = revision.revision.id;
        if let Some(refs) = &refs {
            external_refs::set(
                c,
                tenant,
                Entity::CraftingRevision,
                revision_id,
                refs,
                "/external_refs",
            )?;
        }
        crafting::find(c, tenant, revision_id)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/tenures/{id}/crafting/revisions")))
        .json(RevisionResponse::from(revision)))
}

/// A request checked on its own, before it meets the tenure's history.
#[derive(Clone)]
struct ParsedRequest {
    mode: RevisionMode,
    dimensions: Vec<Dimension>,
    facets: Vec<Facet>,
    remove: Vec<(Dimension, String)>,
    source: Option<String>,
    confidence: f64,
    effective_at: Option<chrono::NaiveDateTime>,
}

fn parse_request(body: CraftingRequest) -> Result<ParsedRequest, Error> {
    let mut violations = Violations::default();
    let parsed = parse_facets(body.facets, FacetSource::Crafted, "/facets");
    let facets_ok = parsed.is_ok();
    let facets = parsed.map_err(|e| violations.extend(e)).unwrap_or_default();
    let source =
        violations.check(text::optional_line(body.source.as_deref(), "/source", 500)).flatten();
    let confidence = body.confidence.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&confidence) {
        violations.add("/confidence", "must be between 0 and 1");
    }
    let mut dimensions = match (body.mode, body.dimensions) {
        (RevisionMode::Patch, Some(_)) => {
            violations.add("/dimensions", "only with mode `replace`; a patch covers what it names");
            vec![]
        }
        (_, Some(dimensions)) => dimensions,
        (_, None) => facets.iter().map(|f| f.dimension).collect(),
    };
    dimensions.sort();
    dimensions.dedup();
    for (i, facet) in facets.iter().enumerate() {
        if body.mode == RevisionMode::Replace && !dimensions.contains(&facet.dimension) {
            violations.add(format!("/facets/{i}/dimension"), "not among `dimensions`");
        }
    }
    if body.mode == RevisionMode::Replace && !body.remove.is_empty() {
        violations.add("/remove", "only with mode `patch`");
    }
    if facets_ok && body.mode == RevisionMode::Replace && dimensions.is_empty() {
        violations.add("/facets", "a revision must cover at least one dimension");
    }
    if facets_ok && body.mode == RevisionMode::Patch && facets.is_empty() && body.remove.is_empty()
    {
        violations.add("/facets", "a patch must set or remove at least one facet");
    }
    violations.into_result()?;
    Ok(ParsedRequest {
        mode: body.mode,
        dimensions,
        facets,
        remove: body.remove.into_iter().map(|r| (r.dimension, r.key)).collect(),
        source,
        confidence,
        effective_at: body.effective_at.map(|t| t.naive_utc()),
    })
}

impl ParsedRequest {
    fn into_revision(self, history: &TenureHistory) -> Result<NewRevision, Error> {
        let now = now();
        let effective_at = history.tenure.period.observed_at(self.effective_at, now)?;
        let (dimensions, facets) = match self.mode {
            RevisionMode::Replace => (self.dimensions, self.facets),
            RevisionMode::Patch => apply_patch(
                &history.crafting,
                TimePoint { as_of: effective_at, known_at: now },
                self.facets,
                &self.remove,
            ),
        };
        Ok(NewRevision {
            dimensions,
            facets,
            source: self.source,
            confidence: self.confidence,
            effective_at,
        })
    }
}

/// Reading something as it was at a time, as known at a time.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfParams {
    /// What was effective then: an RFC 3339 time, or a date (its end). Default now.
    #[param(value_type = Option<String>)]
    pub as_of: Option<Moment>,
    /// What the service had recorded by then (same forms). Default now.
    #[param(value_type = Option<String>)]
    pub known_at: Option<Moment>,
}

/// One facet of an effective crafted job.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EffectiveFacetResponse {
    pub dimension: Dimension,
    pub key: String,
    /// The key's label from the vocabulary.
    pub label: Option<String>,
    /// The weight in force.
    pub weight: f64,
    pub note: Option<String>,
    /// `formal` (inherited from the post), `crafted` (added by the holder) or `overridden`.
    pub origin: Origin,
    /// The post's weight, where the post has this facet.
    pub formal_weight: Option<f64>,
    /// The crafting revision that set this facet (null when inherited).
    pub revision_id: Option<Uuid>,
    /// For a core formal facet: the lowest weight the holder may give it.
    pub floor: Option<f64>,
    /// `breached` when the weight is below the floor of a core facet.
    pub guardrail: Option<String>,
}

/// The effective crafted job of a tenure at a point in time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CraftedJobResponse {
    pub tenure_id: Uuid,
    pub person_id: Uuid,
    pub post_id: Uuid,
    /// What was effective at this time…
    pub as_of: DateTime<Utc>,
    /// …as the service knew it at this time.
    pub known_at: DateTime<Utc>,
    /// The version of the post's formal facets in force.
    pub formal_revision_id: Option<Uuid>,
    /// The facets: the post's formal ones overridden key by key by the holder's crafting.
    pub facets: Vec<EffectiveFacetResponse>,
}

pub fn crafted_job_response(
    history: &TenureHistory,
    job: EffectiveJob,
    at: TimePoint,
    labels: &std::collections::HashMap<(Dimension, String), String>,
) -> CraftedJobResponse {
    CraftedJobResponse {
        tenure_id: history.tenure.id,
        person_id: history.tenure.person_id,
        post_id: history.tenure.post_id,
        as_of: utc(at.as_of),
        known_at: utc(at.known_at),
        formal_revision_id: job.formal_revision_id,
        facets: job
            .facets
            .into_iter()
            .map(|f| EffectiveFacetResponse {
                label: labels.get(&(f.facet.dimension, f.facet.key.clone())).cloned(),
                dimension: f.facet.dimension,
                key: f.facet.key,
                weight: f.facet.weight,
                note: f.facet.note,
                origin: f.origin,
                formal_weight: f.formal_weight,
                revision_id: f.revision_id,
                floor: f.floor,
                guardrail: f.breached.then(|| "breached".to_owned()),
            })
            .collect(),
    }
}

/// The effective crafted job: the post's formal facets overridden key by key by the holder's
/// latest revision, as of a time and as known at a time.
#[utoipa::path(tag = "crafted jobs", params(("id" = Uuid, Path), AsOfParams), responses((status = 200, body = CraftedJobResponse)))]
#[get("/v1/tenures/{id}/crafting")]
pub async fn find_crafted_job(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<AsOfParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let (tenant, id) = (principal.tenant_id, id.into_inner());
    let at = time_point(params.as_of, params.known_at);
    let cache = db.labels.clone();
    let (history, labels) = match cache.cached(tenant) {
        Some(labels) => {
            let history = read_pipelined(
                &db,
                |c| crafting::history_pipelined(c, tenant, id),
                move |c| crafting::history(c, tenant, id),
            )
            .await?;
            (history, labels)
        }
        None => {
            read(&db, move |c| Ok((crafting::history(c, tenant, id)?, cache.labels(c, tenant)?)))
                .await?
        }
    };
    Ok(HttpResponse::Ok().json(crafted_job_response(&history, history.job_at(at), at, &labels)))
}

/// A tenure's crafting revisions in the order they were recorded.
#[utoipa::path(tag = "crafted jobs", params(("id" = Uuid, Path), ListParams), responses((status = 200, body = Page<RevisionResponse>)))]
#[get("/v1/tenures/{id}/crafting/revisions")]
pub async fn list_crafting_revisions(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let request = params.page_request()?;
    let (rows, more) = read(&db, move |c| {
        crate::store::tenures::find(c, principal.tenant_id, id)?;
        crafting::list(c, principal.tenant_id, id, request)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |r| r.revision.id, RevisionResponse::from)))
}
