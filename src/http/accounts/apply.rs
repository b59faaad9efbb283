//! `POST /v1/accounts/{id}/suggestions/apply`: writing chosen pairs as coverage, in one
//! transaction.

use std::collections::{HashMap, HashSet};

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::coverage::{CoverageRole, NewCoverage};
use crate::error::{Error, FieldError, Violations};
use crate::http::extract::Json;
use crate::http::write;
use crate::store::api_keys::Principal;
use crate::store::coverage::CoverageLinks;
use crate::store::resource::Resource;
use crate::store::{accounts, now, salespeople, Db, DbConn};

/// A pair to apply, with the role it takes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyPair {
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    /// Default: `primary` if the stakeholder has no primary coverer yet, else `secondary`.
    #[serde(default)]
    pub role: Option<CoverageRole>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    /// The pairs to cover, typically a suggestion's `pairs`.
    pub pairs: Vec<ApplyPair>,
    /// Also delete the account's coverage links that are not among the pairs.
    #[serde(default)]
    pub replace: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplyResponse {
    /// Coverage links created.
    pub created: Vec<Uuid>,
    /// Pairs that were covered already, by their coverage link.
    pub kept: Vec<Uuid>,
    /// Coverage links deleted (with `replace`).
    pub removed: Vec<Uuid>,
}

/// Apply pairs (usually a suggestion's) in one transaction: all of them or none.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "A client organization: the account")), request_body = ApplyRequest, responses((status = 200, body = ApplyResponse)))]
#[post("/v1/accounts/{id}/suggestions/apply")]
pub async fn apply(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Json(body): Json<ApplyRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (id, tenant) = (id.into_inner(), principal.tenant_id);
    let response =
        write(&db, principal.actor(), move |c| apply_pairs(c, tenant, id, &body)).await?;
    Ok(HttpResponse::Ok().json(response))
}

fn apply_pairs(
    conn: &mut DbConn,
    tenant: Uuid,
    account: Uuid,
    body: &ApplyRequest,
) -> Result<ApplyResponse, Error> {
    let data = accounts::load(conn, tenant, account, now())?;
    let in_account: HashSet<Uuid> = data.stakeholders().into_iter().collect();
    let wanted: Vec<Uuid> = body.pairs.iter().map(|p| p.salesperson_id).collect();
    let sales = salespeople::salespeople(conn, tenant, now().date(), Some(&wanted))?;
    let settings = &data.settings;
    let mut v = Violations::default();
    let mut seen = HashSet::new();
    for (i, pair) in body.pairs.iter().enumerate() {
        if !sales.contains_key(&pair.salesperson_id) {
            v.add(
                format!("/pairs/{i}/salesperson_id"),
                "not a salesperson: no current tenure in an own organization",
            );
        }
        if !in_account.contains(&pair.stakeholder_id) {
            v.add(format!("/pairs/{i}/stakeholder_id"), "does not hold a post in the account now");
        }
        if !seen.insert((pair.salesperson_id, pair.stakeholder_id)) {
            v.add(format!("/pairs/{i}"), "the pair is listed twice");
        }
    }
    v.into_result()?;

    let existing: HashMap<(Uuid, Uuid), Uuid> = data
        .account
        .links
        .iter()
        .filter(|l| in_account.contains(&l.stakeholder_id))
        .map(|l| ((l.salesperson_id, l.stakeholder_id), l.id))
        .collect();
    let mut response = ApplyResponse { created: Vec::new(), kept: Vec::new(), removed: Vec::new() };
    if body.replace {
        let remove: Vec<Uuid> =
            existing.iter().filter(|(pair, _)| !seen.contains(*pair)).map(|(_, id)| *id).collect();
        crate::store::coverage::delete_coverage_ids(conn, tenant, &remove)?;
        response.removed = remove;
    }
    let mut has_primary: HashSet<Uuid> = data
        .account
        .links
        .iter()
        .filter(|l| l.role == CoverageRole::Primary && !response.removed.contains(&l.id))
        .map(|l| l.stakeholder_id)
        .collect();
    let mut added: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (i, pair) in body.pairs.iter().enumerate() {
        if let Some(id) = existing.get(&(pair.salesperson_id, pair.stakeholder_id)) {
            response.kept.push(*id);
            continue;
        }
        let role = pair.role.unwrap_or(if has_primary.contains(&pair.stakeholder_id) {
            CoverageRole::Secondary
        } else {
            CoverageRole::Primary
        });
        if role == CoverageRole::Primary {
            has_primary.insert(pair.stakeholder_id);
        }
        let new = NewCoverage {
            salesperson_id: pair.salesperson_id,
            stakeholder_id: pair.stakeholder_id,
            role,
            strength: None,
        }
        .validate()
        .map_err(|e| at_pair(e, i))?;
        response
            .created
            .push(CoverageLinks::create(conn, tenant, &new).map_err(|e| at_pair(e, i))?.id);
        added.entry(pair.salesperson_id).or_default().push(i);
    }
    // Whoever gets new stakeholders must still be within capacity, all accounts counted.
    let receivers: Vec<Uuid> = added.keys().copied().collect();
    let mut load: HashMap<Uuid, u32> = HashMap::new();
    for (salesperson, _) in crate::store::coverage::loads(conn, tenant, &receivers)? {
        *load.entry(salesperson).or_default() += 1;
    }
    let mut over = Vec::new();
    for (salesperson, indexes) in &added {
        let capacity = sales
            .get(salesperson)
            .and_then(|s| s.capacity)
            .unwrap_or(settings.default_capacity.max(0) as u32);
        let total = load.get(salesperson).copied().unwrap_or(0);
        if total > capacity {
            for i in indexes {
                over.push(FieldError::new(
                    format!("/pairs/{i}"),
                    format!("the salesperson would cover {total} stakeholders; their capacity is {capacity}"),
                ));
            }
        }
    }
    if !over.is_empty() {
        over.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        return Err(Error::Invalid(over));
    }
    Ok(response)
}

/// Names the pair an error from creating its link belongs to.
fn at_pair(error: Error, index: usize) -> Error {
    match error {
        Error::Invalid(errors) => Error::Invalid(
            errors
                .into_iter()
                .map(|e| FieldError { pointer: format!("/pairs/{index}{}", e.pointer), ..e })
                .collect(),
        ),
        other => other,
    }
}
