//! Warm paths: who on the team can be introduced to a stakeholder of the account, through
//! whom (see `domain::paths`).

use std::collections::HashSet;

use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::accounts::AccountRef;
use crate::domain::api_key::Scope;
use crate::domain::coverage::RelationshipKind;
use crate::domain::paths::{best_paths, Evidence};
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::read;
use crate::store::views::paths;
use crate::store::{accounts, coverage_settings, now, organizations, persons, salespeople, Db};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PathParams {
    /// The stakeholder to reach: someone holding a post in the account now.
    pub stakeholder_id: Uuid,
    /// How many salespeople's paths, 1 to 50 (default 5).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// Why two people know each other.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EvidenceResponse {
    Relationship {
        relationship_id: Uuid,
        kind: RelationshipKind,
    },
    Coverage {
        coverage_id: Uuid,
    },
    /// Both held posts in the organization at the same time (`until` absent: they still do).
    SharedTenure {
        organization_id: Uuid,
        organization_name: String,
        from: NaiveDate,
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<NaiveDate>,
    },
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HopResponse {
    pub from_person_id: Uuid,
    pub from_name: String,
    pub to_person_id: Uuid,
    pub to_name: String,
    /// 0 to 1.
    pub strength: f64,
    pub evidence: EvidenceResponse,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PathResponse {
    pub salesperson_id: Uuid,
    pub salesperson_name: String,
    /// The product of the hops' strengths.
    pub strength: f64,
    /// From the salesperson to the stakeholder, at most three.
    pub hops: Vec<HopResponse>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PathsResponse {
    pub account: AccountRef,
    pub stakeholder_id: Uuid,
    pub stakeholder_name: String,
    /// Each salesperson's strongest path, strongest first.
    pub paths: Vec<PathResponse>,
}

/// The strongest introduction paths from the tenant's salespeople to a stakeholder of the
/// account: each salesperson's best of at most three hops through people jobcraft knows —
/// relationships, coverage links, shared tenures — a path's strength the product of its
/// hops', never through a pair a negative relationship (`blocks`) ties. Exact, not a guess.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "A client organization: the account"), PathParams), responses((status = 200, body = PathsResponse)))]
#[get("/v1/accounts/{id}/paths")]
pub async fn account_paths(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Query(params): Query<PathParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let limit = params.limit.unwrap_or(5);
    if !(1..=50).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 50"));
    }
    let (id, tenant, today) = (id.into_inner(), principal.tenant_id, now().date());
    let target = params.stakeholder_id;
    let response = read(&db, move |c| {
        let (root, organization_ids) = accounts::account_organizations(c, tenant, id)?;
        if !accounts::holds_post_in(c, tenant, &organization_ids, target, today)? {
            return Err(Error::invalid(
                "stakeholder_id",
                "does not hold a post in the account now",
            ));
        }
        let settings = coverage_settings::settings(c, tenant)?.0;
        let sources: HashSet<Uuid> = salespeople::salespeople(c, tenant, today, None)?
            .into_keys()
            .filter(|p| *p != target)
            .collect();
        let team: Vec<Uuid> = sources.iter().copied().collect();
        let near = paths::around(c, tenant, &[target], &team, today, &settings)?;
        let found = best_paths(&near.ties, &near.barred, &sources, target);
        let mut best: Vec<_> = found.into_iter().collect();
        best.sort_by(|a, b| b.1.strength.total_cmp(&a.1.strength).then(a.0.cmp(&b.0)));
        best.truncate(limit as usize);
        let mut people: Vec<Uuid> =
            best.iter().flat_map(|(_, p)| p.hops.iter().map(|h| h.from)).collect();
        people.push(target);
        let names = persons::display_names(c, tenant, &people)?;
        let organization_ids: Vec<Uuid> = best
            .iter()
            .flat_map(|(_, p)| &p.hops)
            .filter_map(|h| match h.tie.evidence {
                Evidence::SharedTenure { organization_id, .. } => Some(organization_id),
                _ => None,
            })
            .collect();
        let organization_names: std::collections::HashMap<Uuid, String> =
            organizations::find_many(c, tenant, &organization_ids)?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect();
        let name = |p: &Uuid| names.get(p).cloned().unwrap_or_default();
        let paths = best
            .into_iter()
            .map(|(salesperson, path)| PathResponse {
                salesperson_id: salesperson,
                salesperson_name: name(&salesperson),
                strength: path.strength,
                hops: path
                    .hops
                    .iter()
                    .map(|h| HopResponse {
                        from_person_id: h.from,
                        from_name: name(&h.from),
                        to_person_id: h.to,
                        to_name: name(&h.to),
                        strength: h.tie.strength,
                        evidence: match &h.tie.evidence {
                            Evidence::Relationship { id, kind } => {
                                EvidenceResponse::Relationship { relationship_id: *id, kind: *kind }
                            }
                            Evidence::Coverage { id } => {
                                EvidenceResponse::Coverage { coverage_id: *id }
                            }
                            Evidence::SharedTenure { organization_id, from, until } => {
                                EvidenceResponse::SharedTenure {
                                    organization_id: *organization_id,
                                    organization_name: organization_names
                                        .get(organization_id)
                                        .cloned()
                                        .unwrap_or_default(),
                                    from: *from,
                                    until: *until,
                                }
                            }
                        },
                    })
                    .collect(),
            })
            .collect();
        Ok(PathsResponse {
            account: AccountRef { id: root.id, name: root.name },
            stakeholder_id: target,
            stakeholder_name: name(&target),
            paths,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(response))
}
