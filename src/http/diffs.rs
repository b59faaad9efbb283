//! Crafted-job diffs: formal vs crafted, over time, and across a post's successive holders.

use actix_web::{get, web, HttpResponse};
use chrono::NaiveDateTime;
use serde::Deserialize;
use uuid::Uuid;

use crate::api::diffs::{
    crafted_side, diff_response, BreachResponse, DiffFormat, DiffResponse, DiffSide,
    JsonPatchOperation, SuccessionAnswer, SuccessionResponse,
};
use crate::api::moment::{time_point, Moment};
use crate::api::tenures::TenureViewResponse;
use crate::domain::api_key::Scope;
use crate::domain::calendar::just_before;
use crate::domain::crafting::TimePoint;
use crate::domain::diff::{json_patch, Change};
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::read_lagging;
use crate::store::crafting::{self, TenureHistory};
use crate::store::tenures::{self, Of};
use crate::store::views::holdings;
use crate::store::vocabulary::Labels;
use crate::store::{now, organizations, persons, posts, vocabulary, Db, DbConn};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(diff_tenure).service(list_post_succession).service(list_organization_guardrails);
}

/// Parameters of a tenure's diff.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// Without `from`/`to`: the time of the formal-vs-crafted diff (RFC 3339 or a date; default now).
    #[param(value_type = Option<String>)]
    pub as_of: Option<Moment>,
    /// What the service had recorded by then (default now).
    #[param(value_type = Option<String>)]
    pub known_at: Option<Moment>,
    /// The earlier side: a crafting revision id of this tenure, or a time.
    pub from: Option<String>,
    /// The later side: a crafting revision id of this tenure, or a time.
    pub to: Option<String>,
    /// `json` (default) or `json-patch`.
    #[param(inline)]
    pub format: Option<DiffFormat>,
}

/// A side named by revision id (the job right after it was recorded) or by time.
fn point_of(
    history: &TenureHistory,
    text: &str,
    param: &str,
    known_at: NaiveDateTime,
) -> Result<(TimePoint, Option<Uuid>), Error> {
    if let Ok(id) = Uuid::parse_str(text) {
        let revision = history.crafting.iter().find(|r| r.id == id).ok_or_else(|| {
            Error::invalid(param, "no crafting revision of this tenure has this id")
        })?;
        let at = TimePoint { as_of: revision.effective_at, known_at: revision.recorded_at };
        return Ok((at, Some(id)));
    }
    let moment = Moment::parse(text).map_err(|reason| Error::Malformed {
        detail: format!("`{param}` is neither a revision id nor a supported time"),
        errors: vec![FieldError::new(
            param,
            format!("a crafting revision id, an RFC 3339 time or a date: {reason}"),
        )],
    })?;
    Ok((TimePoint { as_of: moment.0, known_at }, None))
}

fn in_format(
    format: Option<DiffFormat>,
    response: &DiffResponse,
    changes: &[Change],
) -> HttpResponse {
    match format.unwrap_or_default() {
        DiffFormat::Json => HttpResponse::Ok().json(response),
        DiffFormat::JsonPatch => {
            HttpResponse::Ok().content_type("application/json-patch+json").json(json_patch(changes))
        }
    }
}

/// What the holder does differently from the post (formal vs effective crafted job at
/// `as_of`), or, with `from` and `to`, how the crafted job changed between two revisions or times.
#[utoipa::path(tag = "crafted jobs", params(("id" = Uuid, Path), DiffParams), responses(
    (status = 200, description = "The diff (`format=json`), or the same as a JSON Patch (`format=json-patch`)", content(
        (DiffResponse = "application/json"),
        (Vec<JsonPatchOperation> = "application/json-patch+json"),
    )),
))]
#[get("/v1/tenures/{id}/diff")]
pub async fn diff_tenure(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<DiffParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let format = params.format;
    let cache = db.labels.clone();
    let (response, changes) = read_lagging(&db, principal.key_id, move |c| {
        let history = crafting::history(c, principal.tenant_id, id)?;
        let labels = cache.labels(c, principal.tenant_id)?;
        let known_at = params.known_at.map_or_else(now, |m| m.0);
        match (&params.from, &params.to) {
            (None, None) => {
                Ok(formal_vs_crafted(&history, time_point(params.as_of, params.known_at), &labels))
            }
            (Some(from), Some(to)) => {
                if params.as_of.is_some() {
                    return Err(Error::invalid("as_of", "give either as_of or from and to"));
                }
                let (from_at, from_revision) = point_of(&history, from, "from", known_at)?;
                let (to_at, to_revision) = point_of(&history, to, "to", known_at)?;
                if from_at.as_of > to_at.as_of {
                    return Err(Error::invalid("from", "is later than `to`"));
                }
                let before = history.job_at(from_at).weights();
                Ok(diff_response(
                    crafted_side(&history, from_at, from_revision),
                    crafted_side(&history, to_at, to_revision),
                    &before,
                    &history.job_at(to_at),
                    &labels,
                ))
            }
            (None, Some(_)) => Err(Error::invalid("from", "needed with `to`")),
            (Some(_), None) => Err(Error::invalid("to", "needed with `from`")),
        }
    })
    .await?;
    Ok(in_format(format, &response, &changes))
}

/// Parameters of a succession.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuccessionParams {
    /// What the service had recorded by then (default now).
    #[param(value_type = Option<String>)]
    pub known_at: Option<Moment>,
    /// `json` (default) or `json-patch` (one patch per succession).
    #[param(inline)]
    pub format: Option<DiffFormat>,
}

/// What each new holder of the post brings: per handover, the predecessor's crafted job at the
/// end of their tenure against the successor's current (or final) one.
#[utoipa::path(tag = "crafted jobs", params(("id" = Uuid, Path), SuccessionParams), responses((status = 200, body = SuccessionAnswer)))]
#[get("/v1/posts/{id}/succession")]
pub async fn list_post_succession(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<SuccessionParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let tenant = principal.tenant_id;
    let known_at = params.known_at.map_or_else(now, |m| m.0);
    let format = params.format;
    let pairs =
        read_lagging(&db, principal.key_id, move |c| successions(c, tenant, id, known_at)).await?;
    Ok(match format.unwrap_or_default() {
        DiffFormat::Json => HttpResponse::Ok().json(SuccessionResponse {
            post_id: id,
            successions: pairs.into_iter().map(|(response, _)| response).collect(),
        }),
        DiffFormat::JsonPatch => HttpResponse::Ok().json(
            pairs
                .iter()
                .map(|(r, changes)| serde_json::json!({"from_tenure_id": r.from.tenure_id, "to_tenure_id": r.to.tenure_id, "patch": json_patch(changes)}))
                .collect::<Vec<_>>(),
        ),
    })
}

/// Current guardrail breaches in an organization and its sub-organizations.
#[utoipa::path(tag = "crafted jobs", params(("id" = Uuid, Path)), responses((status = 200, body = crate::http::pagination::Page<BreachResponse>)))]
#[get("/v1/organizations/{id}/guardrails")]
pub async fn list_organization_guardrails(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let tenant = principal.tenant_id;
    let breaches = read_lagging(&db, principal.key_id, move |c| {
        organizations::find(c, tenant, id)?;
        let labels = vocabulary::labels(c, tenant)?;
        let orgs = organizations::subtree(c, tenant, id)?;
        let post_ids = posts::ids_in_organizations(c, tenant, &orgs)?;
        let at = crate::store::now_point();
        let holders = holdings::holders_on(c, tenant, &post_ids, at.as_of.date())?;
        let histories =
            crafting::histories(c, tenant, holders.iter().map(|h| h.tenure.clone()).collect())?;
        let mut breaches = Vec::new();
        for (holder, history) in holders.into_iter().zip(histories) {
            for facet in history.job_at(at).facets.into_iter().filter(|f| f.breached) {
                breaches.push(BreachResponse {
                    tenure: TenureViewResponse::from(holder.clone()),
                    label: labels.get(&(facet.facet.dimension, facet.facet.key.clone())).cloned(),
                    dimension: facet.facet.dimension,
                    key: facet.facet.key,
                    formal_weight: facet.formal_weight,
                    weight: facet.facet.weight,
                    floor: facet.floor.unwrap_or_default(),
                    revision_id: facet.revision_id,
                });
            }
        }
        Ok(breaches)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .json(crate::http::pagination::Page { items: breaches, next_cursor: None }))
}

/// The holder's effective crafted job against the post's formal one at `at`.
pub fn formal_vs_crafted(
    history: &TenureHistory,
    at: TimePoint,
    labels: &Labels,
) -> (DiffResponse, Vec<Change>) {
    let before = history.formal_weights_at(at);
    let from = DiffSide {
        kind: "formal".into(),
        tenure_id: None,
        person_id: None,
        ..crafted_side(history, at, None)
    };
    diff_response(from, crafted_side(history, at, None), &before, &history.job_at(at), labels)
}

/// Per handover of the post, the predecessor's crafted job at the end of their tenure against
/// the successor's current (or final) one, as known at `known_at`.
pub fn successions(
    c: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    known_at: NaiveDateTime,
) -> Result<Vec<(DiffResponse, Vec<Change>)>, Error> {
    posts::find(c, tenant, id)?;
    let labels = vocabulary::labels(c, tenant)?;
    let holders = tenures::of(c, tenant, Of::Posts(&[id]))?;
    let person_ids: Vec<Uuid> = holders.iter().map(|t| t.person_id).collect();
    let names = persons::display_names(c, tenant, &person_ids)?;
    let histories = crafting::histories(c, tenant, holders)?;
    let mut pairs = Vec::new();
    for pair in histories.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        let handover =
            before.tenure.period.ended_on.map_or(after.tenure.period.started_on, |end| {
                end.min(after.tenure.period.started_on)
            });
        let before_at = TimePoint { as_of: just_before(handover).min(known_at), known_at };
        let after_at = TimePoint {
            as_of: after.tenure.period.ended_on.map_or(known_at, just_before).min(known_at),
            known_at,
        };
        let mut from = crafted_side(before, before_at, None);
        from.person_display_name = names.get(&before.tenure.person_id).cloned();
        let mut to = crafted_side(after, after_at, None);
        to.person_display_name = names.get(&after.tenure.person_id).cloned();
        pairs.push(diff_response(
            from,
            to,
            &before.job_at(before_at).weights(),
            &after.job_at(after_at),
            &labels,
        ));
    }
    Ok(pairs)
}
