//! `GET /v1/persons/{id}/similar`: who else makes the same changes to their formal job.

use std::collections::HashSet;

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope as KeyScope;
use crate::domain::facet::Dimension;
use crate::domain::similarity::{best_per_person, shared_changes, CompactVector};
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::{keep_crafting_index, read_lagging};
use crate::store::crafting_index::Entry;
use crate::store::{now_point, organizations, persons, Db, DbConn};

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

/// Which side of the table to compare with: our own people (holders of posts in `own`
/// organizations: the salespeople) or everyone else (client stakeholders, partners).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SimilarSide {
    /// The person's own side: client stakeholders with client stakeholders, salespeople with
    /// salespeople.
    #[default]
    Same,
    /// The other side: a stakeholder's crafting compared with our salespeople's, and back.
    Other,
    /// Both sides.
    Both,
}

/// Where to look and how many to return.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// `organization`, `account` or `tenant` (default).
    #[param(inline)]
    pub scope: Option<SimilarScope>,
    /// `same` (default), `other` or `both` sides: see `SimilarSide`.
    #[param(inline)]
    pub side: Option<SimilarSide>,
    /// How many people, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
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
    /// Their current tenure whose crafting is closest.
    pub tenure_id: Uuid,
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
/// opinion leaders; by default on the person's own side (stakeholders with stakeholders,
/// salespeople with salespeople). Compares current tenures by cosine over formal-vs-crafted diffs (this
/// person's current tenures added up; others by their closest tenure), held in
/// an in-memory index that catches up with every change before it answers.
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
    let labels_cache = db.labels.clone();
    let index_cache = db.crafting_index.clone();
    let response = read_lagging(&db, principal.key_id, move |c| {
        persons::find(c, tenant, person)?;
        let index = index_cache.snapshot(c, tenant)?;
        let today = now_point().as_of.date();
        let current: Vec<&Entry> =
            index.entries.values().filter(|e| e.period.contains(today)).collect();
        let mine: Vec<&Entry> = current.iter().filter(|e| e.person_id == person).copied().collect();
        let allowed = allowed_organizations(c, tenant, scope, &mine)?;
        // Which side the person is on: theirs is ours when one of their posts is in an own
        // organization.
        let own = organizations::own_ids(c, tenant)?;
        let ours = mine.iter().any(|e| own.contains(&e.organization_id));
        let side = params.side.unwrap_or_default();
        let on_side = |e: &Entry| match side {
            SimilarSide::Same => own.contains(&e.organization_id) == ours,
            SimilarSide::Other => own.contains(&e.organization_id) != ours,
            SimilarSide::Both => true,
        };
        let my_vector = CompactVector::sum(mine.iter().map(|e| &e.vector));
        // Score every current tenure without copying vectors; a person holding several posts
        // counts with their closest one.
        let mut scored: Vec<(f64, &Entry)> = current
            .iter()
            .filter(|e| e.person_id != person)
            .filter(|e| allowed.as_ref().is_none_or(|orgs| orgs.contains(&e.organization_id)))
            .filter(|e| on_side(e))
            .map(|e| (my_vector.cosine(&e.vector), *e))
            .collect();
        let compared = scored.iter().map(|(_, e)| e.person_id).collect::<HashSet<_>>().len();
        scored.retain(|(score, _)| *score > 0.0);
        let scored: Vec<(f64, Uuid, &Entry)> =
            best_per_person(scored, limit as usize, |e| e.person_id, |e| e.tenure_id)
                .into_iter()
                .map(|(score, e)| (score, e.person_id, e))
                .collect();
        let ids: Vec<Uuid> = scored.iter().map(|s| s.1).collect();
        let names = persons::display_names(c, tenant, &ids)?;
        let labels = labels_cache.labels(c, tenant)?;
        let mine_expanded = my_vector.expand(&index.keys);
        let items = scored
            .into_iter()
            .map(|(score, other, entry)| SimilarCrafter {
                person_id: other,
                display_name: names.get(&other).cloned().unwrap_or_default(),
                score,
                tenure_id: entry.tenure_id,
                shared: shared_changes(&mine_expanded, &entry.vector.expand(&index.keys))
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
    keep_crafting_index(&db, tenant);
    Ok(HttpResponse::Ok().json(response))
}

/// The organizations whose holders are compared; `None` for the whole tenant.
fn allowed_organizations(
    c: &mut DbConn,
    tenant: TenantId,
    scope: SimilarScope,
    mine: &[&Entry],
) -> Result<Option<HashSet<Uuid>>, Error> {
    let own: HashSet<Uuid> = mine.iter().map(|e| e.organization_id).collect();
    match scope {
        SimilarScope::Tenant => Ok(None),
        SimilarScope::Organization => Ok(Some(own)),
        SimilarScope::Account => {
            let mut all = HashSet::new();
            for org in own {
                let root = organizations::root_of(c, tenant, org)?;
                for id in organizations::subtree(c, tenant, root)? {
                    all.insert(Uuid::parse_str(&id).map_err(Error::internal)?);
                }
            }
            Ok(Some(all))
        }
    }
}
