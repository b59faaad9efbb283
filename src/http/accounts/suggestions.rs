//! Suggestions for who should cover whom in an account, and applying them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::accounts::AccountRef;
use crate::domain::api_key::Scope;
use crate::domain::coverage::{check_capacity, BuyingRole};
use crate::domain::crafting::FacetKey;
use crate::domain::fit::FitWeights;
use crate::domain::suggestion::{self, UncoveredReason};
use crate::error::{Error, Violations};
use crate::http::auth::Principal;
use crate::http::extract::Json;
use crate::http::read_lagging;
use crate::http::settings::FacetRef;
use crate::store::suggestions::{self, Asked, Inputs, COVERERS_MAX};
use crate::store::Db;

/// A (salesperson, stakeholder) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairRef {
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
}

/// How much each part of the fit counts (non-negative; parts with nothing to compare are
/// left out and the others share their weight).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WeightsRequest {
    #[schema(minimum = 0)]
    pub alignment: f64,
    #[schema(minimum = 0)]
    pub partner: f64,
    #[schema(minimum = 0)]
    pub relationship: f64,
    #[schema(minimum = 0)]
    pub continuity: f64,
}

impl Default for WeightsRequest {
    fn default() -> Self {
        let d = FitWeights::default();
        WeightsRequest {
            alignment: d.alignment,
            partner: d.partner,
            relationship: d.relationship,
            continuity: d.continuity,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SuggestionRequest {
    /// Salespeople who may be suggested; absent for every salesperson of the tenant.
    pub salesperson_ids: Option<Vec<Uuid>>,
    /// Capacity per salesperson id, instead of their tenure's or the tenant's default.
    pub capacity_overrides: BTreeMap<Uuid, i64>,
    /// Coverers per stakeholder (default 1).
    pub coverers: Option<i64>,
    /// Coverers for stakeholders with a buying role, e.g. `{"decision_maker": 2}`; a
    /// stakeholder with several roles gets the largest.
    #[schema(value_type = BTreeMap<String, i64>)]
    pub coverers_by_role: BTreeMap<BuyingRole, i64>,
    /// Pairs to keep whatever they score.
    pub locked: Vec<PairRef>,
    /// Pairs never to suggest.
    pub excluded: Vec<PairRef>,
    pub weights: Option<WeightsRequest>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MatchedFacets {
    pub salesperson: FacetRef,
    pub stakeholder: FacetRef,
    /// What the match adds to the alignment.
    pub value: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartnerMatch {
    pub key: String,
    pub weight: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FitParts {
    /// Crafting alignment, 0 to 1; null when the stakeholder states no criteria or priorities.
    pub alignment: Option<f64>,
    /// Partner-preference fit, 0 to 1; null without preferences.
    pub partner: Option<f64>,
    /// What ties them now, -1 to 1: the strongest coverage link or relationship, less the
    /// strongest relationship of a negative kind (`blocks`; see the coverage settings).
    pub relationship: f64,
    /// 1 when the salesperson covers the stakeholder already.
    pub continuity: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestedPair {
    pub salesperson_id: Uuid,
    pub salesperson_name: String,
    pub stakeholder_id: Uuid,
    pub stakeholder_name: String,
    /// coverage_value + fit_value: the pair's share of the objective.
    pub score: f64,
    /// influence × the tenant's coverage base: what covering them is worth before any fit.
    /// Both values are scaled by 1 + `parts.relationship` when that is negative (a blocker
    /// at 0.9 leaves a tenth).
    pub coverage_value: f64,
    /// influence × (1 − coverage base) × fit: what the fit adds.
    pub fit_value: f64,
    pub influence: f64,
    /// Weighted mean of the parts, 0 to 1.
    pub fit: f64,
    pub parts: FitParts,
    /// The facet pairs that made the alignment, largest first.
    pub matched_facets: Vec<MatchedFacets>,
    /// Partner preferences the salesperson's unit meets.
    pub partner_matches: Vec<PartnerMatch>,
    pub locked: bool,
    /// Whether the salesperson covers the stakeholder today.
    pub covering_now: bool,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UncoveredReasonResponse {
    NoEligibleSalesperson,
    EveryFitZero,
    NoCapacity,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UncoveredResponse {
    pub stakeholder_id: Uuid,
    pub stakeholder_name: String,
    pub missing_coverers: u32,
    pub reason: UncoveredReasonResponse,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SalespersonLoad {
    pub salesperson_id: Uuid,
    pub name: String,
    /// Capacity before load elsewhere.
    pub capacity: u32,
    /// Stakeholders they cover in other accounts.
    pub load_elsewhere: u32,
    /// Stakeholders suggested for them here.
    pub assigned: u32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SuggestionTiming)]
pub struct Timing {
    /// Loading the account and salespeople from the database.
    pub load_ms: f64,
    /// Scoring every pair.
    pub fit_ms: f64,
    /// The exact assignment.
    pub solve_ms: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestionResponse {
    pub account: AccountRef,
    /// The suggested coverage, best pairs first. Nothing is applied until
    /// `POST …/suggestions/apply`.
    pub pairs: Vec<SuggestedPair>,
    pub uncovered: Vec<UncoveredResponse>,
    /// Sum of the pairs' scores: the maximum possible under the constraints.
    pub objective: f64,
    /// The same sum for today's coverage between these people.
    pub current_objective: f64,
    pub salespeople: Vec<SalespersonLoad>,
    pub timing: Timing,
}

impl SuggestionRequest {
    /// What the store reads for: who may cover whom, and how many.
    fn asked(&self) -> Asked<'_> {
        let pairs = |list: &[PairRef]| -> Vec<(Uuid, Uuid)> {
            list.iter().map(|p| (p.salesperson_id, p.stakeholder_id)).collect()
        };
        Asked {
            salesperson_ids: self.salesperson_ids.as_deref(),
            capacity_overrides: &self.capacity_overrides,
            coverers: self.coverers,
            coverers_by_role: &self.coverers_by_role,
            locked: pairs(&self.locked),
            excluded: pairs(&self.excluded),
        }
    }
}

fn check_request(body: &SuggestionRequest) -> Result<FitWeights, Error> {
    let mut v = Violations::default();
    let weights = body.weights.unwrap_or_default();
    for (value, pointer) in [
        (weights.alignment, "/weights/alignment"),
        (weights.partner, "/weights/partner"),
        (weights.relationship, "/weights/relationship"),
        (weights.continuity, "/weights/continuity"),
    ] {
        if !value.is_finite() || value < 0.0 {
            v.add(pointer, "must be a finite number, 0 or more");
        }
    }
    if weights.alignment + weights.partner + weights.relationship + weights.continuity <= 0.0 {
        v.add("/weights", "at least one weight must be above 0");
    }
    for (id, capacity) in &body.capacity_overrides {
        check_capacity(&mut v, *capacity, &format!("/capacity_overrides/{id}"));
    }
    if let Some(c) = body.coverers {
        if !(0..=COVERERS_MAX).contains(&c) {
            v.add("/coverers", format!("must be a whole number from 0 to {COVERERS_MAX}"));
        }
    }
    for (role, c) in &body.coverers_by_role {
        if !(0..=COVERERS_MAX).contains(c) {
            let role = crate::domain::coverage::enum_name(role);
            v.add(format!("/coverers_by_role/{role}"), format!("must be from 0 to {COVERERS_MAX}"));
        }
    }
    let excluded: HashSet<&PairRef> = body.excluded.iter().collect();
    for (i, pair) in body.locked.iter().enumerate() {
        if excluded.contains(pair) {
            v.add(format!("/locked/{i}"), "the pair is also excluded");
        }
    }
    v.into_result()?;
    Ok(FitWeights {
        alignment: weights.alignment,
        partner: weights.partner,
        relationship: weights.relationship,
        continuity: weights.continuity,
    })
}

fn facet_ref(key: &FacetKey) -> FacetRef {
    FacetRef { dimension: key.0, key: key.1.clone() }
}

/// Suggest who should cover whom: the assignment that maximises the sum over covered pairs of
/// influence × (coverage base + (1 − coverage base) × fit) under capacities, coverers per
/// stakeholder, locked and excluded pairs — exactly, not greedily — with every pair's score
/// broken into its parts. Nothing is written.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "A client organization: the account")), request_body = SuggestionRequest, responses((status = 200, body = SuggestionResponse)))]
#[post("/v1/accounts/{id}/suggestions")]
pub async fn suggest(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
    Json(body): Json<SuggestionRequest>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let response = run(&db, &principal, id.into_inner(), body).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Server-Timing",
            format!(
                "load;dur={:.2}, fit;dur={:.2}, solve;dur={:.2}",
                response.timing.load_ms, response.timing.fit_ms, response.timing.solve_ms
            ),
        ))
        .json(response))
}

/// The suggestion as the API answers it: names, every pair's parts, each salesperson's load.
fn explain(
    inputs: &Inputs,
    result: &suggestion::Suggestion,
    load_time: std::time::Duration,
) -> SuggestionResponse {
    let name = |id: &Uuid| inputs.data.names.get(id).cloned().unwrap_or_default();
    let mut assigned: HashMap<Uuid, u32> = HashMap::new();
    for p in &result.pairs {
        *assigned.entry(p.salesperson_id).or_default() += 1;
    }
    SuggestionResponse {
        account: AccountRef::of(&inputs.data),
        pairs: result
            .pairs
            .iter()
            .map(|p| SuggestedPair {
                salesperson_id: p.salesperson_id,
                salesperson_name: name(&p.salesperson_id),
                stakeholder_id: p.stakeholder_id,
                stakeholder_name: name(&p.stakeholder_id),
                score: p.score,
                coverage_value: p.coverage_value,
                fit_value: p.fit_value,
                influence: p.influence,
                fit: p.fit.fit,
                parts: FitParts {
                    alignment: p.fit.alignment,
                    partner: p.fit.partner,
                    relationship: p.fit.relationship,
                    continuity: p.fit.continuity,
                },
                matched_facets: p
                    .fit
                    .contributions
                    .iter()
                    .map(|c| MatchedFacets {
                        salesperson: facet_ref(&c.salesperson),
                        stakeholder: facet_ref(&c.stakeholder),
                        value: c.value,
                    })
                    .collect(),
                partner_matches: p
                    .fit
                    .partner_matches
                    .iter()
                    .map(|(key, weight)| PartnerMatch { key: key.clone(), weight: *weight })
                    .collect(),
                locked: p.locked,
                covering_now: p.covering_now,
            })
            .collect(),
        uncovered: result
            .uncovered
            .iter()
            .map(|u| UncoveredResponse {
                stakeholder_id: u.stakeholder_id,
                stakeholder_name: name(&u.stakeholder_id),
                missing_coverers: u.missing_coverers,
                reason: match u.reason {
                    UncoveredReason::NoEligibleSalesperson => {
                        UncoveredReasonResponse::NoEligibleSalesperson
                    }
                    UncoveredReason::EveryFitZero => UncoveredReasonResponse::EveryFitZero,
                    UncoveredReason::NoCapacity => UncoveredReasonResponse::NoCapacity,
                },
            })
            .collect(),
        objective: result.objective,
        current_objective: result.current_objective,
        salespeople: inputs
            .sales
            .iter()
            .zip(&inputs.capacities)
            .map(|(s, capacity)| SalespersonLoad {
                salesperson_id: s.tenure.person_id,
                name: name(&s.tenure.person_id),
                capacity: *capacity,
                load_elsewhere: s.load_elsewhere,
                assigned: assigned.get(&s.tenure.person_id).copied().unwrap_or(0),
            })
            .collect(),
        timing: Timing {
            load_ms: load_time.as_secs_f64() * 1e3,
            fit_ms: result.fit_time.as_secs_f64() * 1e3,
            solve_ms: result.solve_time.as_secs_f64() * 1e3,
        },
    }
}

/// Suggestions for the account `id` as `body` asks: the pairs with their explanations, the
/// objective against today's, and where the time went.
pub async fn run(
    db: &Db,
    principal: &Principal,
    id: Uuid,
    body: SuggestionRequest,
) -> Result<SuggestionResponse, Error> {
    let weights = check_request(&body)?;
    let loading = Instant::now();
    let body = std::sync::Arc::new(body);
    let (tenant, asked, kept) = (principal.tenant_id, body.clone(), db.accounts.clone());
    let inputs = read_lagging(db, principal.key_id, move |c| {
        suggestions::inputs(c, tenant, id, &asked.asked(), &kept)
    })
    .await?;
    let load_time = loading.elapsed();
    // Scoring every pair and solving is CPU work, run off the async executor.
    let response = web::block(move || {
        let result = suggestions::suggest(&inputs, &body.asked(), weights)?;
        Ok::<_, Error>(explain(&inputs, &result, load_time))
    })
    .await
    .map_err(Error::internal)??;
    Ok(response)
}
