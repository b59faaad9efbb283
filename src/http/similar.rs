//! `GET /v1/persons/{id}/similar`: who else makes the same changes to their formal job.

use std::collections::HashMap;

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope as KeyScope;
use crate::domain::crafting::{effective_crafted_job, formal_weights, in_force};
use crate::domain::diff::diff;
use crate::domain::facet::Dimension;
use crate::domain::similarity::{cosine, diff_vector, shared_changes, DiffVector};
use crate::error::Error;
use crate::http::extract::Query;
use crate::http::read;
use crate::store::api_keys::Principal;
use crate::store::crafting::{self, TenureHistory};
use crate::store::tenures::{self, Scope};
use crate::store::{now_point, organizations, persons, posts, vocabulary, Db, DbConn};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_similar_crafters);
}

#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SimilarScope {
    /// Holders of posts in the same organizations as the person's posts.
    Organization,
    /// Holders anywhere in the person's account (the top organization and everything below).
    Account,
    /// Every holder of the tenant.
    #[default]
    Tenant,
}

/// Where to look and how many to return.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// `organization`, `account` or `tenant` (default).
    pub scope: Option<SimilarScope>,
    /// How many people, 1 to 100 (default 10).
    pub limit: Option<u32>,
}

/// A change both people make.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SharedChange {
    pub dimension: Dimension,
    pub key: String,
    pub label: Option<String>,
    /// How far this person's crafted weight is from their formal one.
    pub mine: f64,
    /// The same for the similar person.
    pub theirs: f64,
}

/// A person who crafts their job in a similar way.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimilarCrafter {
    pub person_id: Uuid,
    pub display_name: String,
    /// Cosine similarity of the two formal-vs-crafted diffs, -1 to 1.
    pub score: f64,
    /// Their current tenures compared.
    pub tenure_ids: Vec<Uuid>,
    /// The changes both make in the same direction, strongest first.
    pub shared: Vec<SharedChange>,
}

/// People whose crafted-vs-formal diff is most like this person's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimilarResponse {
    pub person_id: Uuid,
    /// Current holders compared.
    pub compared: usize,
    pub items: Vec<SimilarCrafter>,
}

/// Who else is making the same changes to their formal job: peers to learn from and key
/// opinion leaders. Compares current tenures by cosine over formal-vs-crafted diffs.
#[utoipa::path(tag = "crafted jobs", params(("id" = Uuid, Path), SimilarParams), responses((status = 200, body = SimilarResponse)))]
#[get("/v1/persons/{id}/similar")]
pub async fn list_similar_crafters(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<SimilarParams>,
) -> Result<HttpResponse, Error> {
    principal.require(KeyScope::Read)?;
    let person = id.into_inner();
    let limit = params.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 100"));
    }
    let tenant = principal.tenant_id;
    let scope = params.scope.unwrap_or_default();
    let response = read(&db, move |c| {
        persons::find(c, tenant, person)?;
        let mine = current_histories(c, tenant, &Scope::Person(person))?;
        let scope = scope_of(c, tenant, scope, &mine)?;
        let candidates = current_histories(c, tenant, &scope)?;
        let labels = vocabulary::labels(c, tenant)?;
        let my_vector = vector_of(mine.iter());
        let mut by_person: HashMap<Uuid, Vec<&TenureHistory>> = HashMap::new();
        for history in candidates.iter().filter(|h| h.tenure.person_id != person) {
            by_person.entry(history.tenure.person_id).or_default().push(history);
        }
        let compared = by_person.len();
        let mut scored: Vec<(f64, Uuid, Vec<&TenureHistory>, DiffVector)> = by_person
            .into_iter()
            .map(|(other, histories)| {
                let vector = vector_of(histories.iter().copied());
                (cosine(&my_vector, &vector), other, histories, vector)
            })
            .filter(|(score, ..)| *score > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(limit as usize);
        let ids: Vec<Uuid> = scored.iter().map(|s| s.1).collect();
        let names = persons::display_names(c, tenant, &ids)?;
        let items = scored
            .into_iter()
            .map(|(score, other, histories, vector)| SimilarCrafter {
                person_id: other,
                display_name: names.get(&other).cloned().unwrap_or_default(),
                score,
                tenure_ids: histories.iter().map(|h| h.tenure.id).collect(),
                shared: shared_changes(&my_vector, &vector)
                    .into_iter()
                    .map(|((dimension, key), mine, theirs)| SharedChange {
                        label: labels.get(&(dimension, key.clone())).cloned(),
                        dimension,
                        key,
                        mine,
                        theirs,
                    })
                    .collect(),
            })
            .collect();
        Ok(SimilarResponse { person_id: person, compared, items })
    })
    .await?;
    Ok(HttpResponse::Ok().json(response))
}

/// The histories of the tenures in scope that run today.
fn current_histories(
    c: &mut DbConn,
    tenant: Uuid,
    scope: &Scope,
) -> Result<Vec<TenureHistory>, Error> {
    let today = now_point().as_of.date();
    let mut current = Vec::new();
    let mut from = None;
    loop {
        let page = tenures::page_in_scope(c, tenant, scope, from, 5_000)?;
        let last = page.last().map(|t| t.id);
        current.extend(page.into_iter().filter(|t| Some(t.id) != from && t.period.contains(today)));
        if last.is_none() || last == from {
            break;
        }
        from = last;
    }
    crafting::histories(c, tenant, current)
}

fn scope_of(
    c: &mut DbConn,
    tenant: Uuid,
    scope: SimilarScope,
    mine: &[TenureHistory],
) -> Result<Scope, Error> {
    let post_ids: Vec<Uuid> = mine.iter().map(|h| h.tenure.post_id).collect();
    let orgs = posts::organizations_of(c, tenant, &post_ids)?;
    match scope {
        SimilarScope::Tenant => Ok(Scope::Tenant),
        SimilarScope::Organization => {
            Ok(Scope::Organizations(orgs.values().map(Uuid::to_string).collect()))
        }
        SimilarScope::Account => {
            let mut all = Vec::new();
            for org in orgs.values() {
                let root = organizations::root_of(c, tenant, *org)?;
                all.extend(organizations::subtree(c, tenant, root)?);
            }
            Ok(Scope::Organizations(all))
        }
    }
}

/// One vector per person: their current tenures' formal-vs-crafted diffs, added up.
fn vector_of<'a>(histories: impl Iterator<Item = &'a TenureHistory>) -> DiffVector {
    let at = now_point();
    let mut changes = Vec::new();
    for history in histories {
        let formal = in_force(&history.formal, at, |_| true);
        let job = effective_crafted_job(formal, &history.crafting_revisions(), at);
        let before = formal_weights(formal.map(|f| f.facets.as_slice()).unwrap_or_default());
        changes.extend(diff(&before, &job.weights(), &job.floors()));
    }
    diff_vector(&changes)
}
