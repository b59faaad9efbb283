//! A team profile on the wire: an own unit's crafting against its accounts' demand.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::accounts::AccountRef;
use crate::domain::crafting::{FacetKey, TimePoint};
use crate::domain::facet::Dimension;
use crate::domain::team_profile::{Embrace, KeyDemand, TOP_STAKEHOLDERS};
use crate::domain::text::counted;
use crate::store::team_profile::{DemandScope, Profiled};
use crate::store::vocabulary::Labels;

/// Whose demand the team is set against.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DemandScopeName {
    /// The client accounts where the team's salespeople cover someone today.
    Covered,
    /// Every client account of the tenant.
    Tenant,
}

impl From<DemandScopeName> for DemandScope {
    fn from(name: DemandScopeName) -> Self {
        match name {
            DemandScopeName::Covered => DemandScope::Covered,
            DemandScopeName::Tenant => DemandScope::Tenant,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmbraceName {
    /// Wanted in at least half of the accounts in scope (two or more): the whole team.
    Team,
    /// Wanted in fewer: the salespeople covering the stakeholders who want it.
    Individual,
}

/// A person by id and name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonName {
    pub person_id: Uuid,
    pub display_name: String,
}

/// A salesperson who meets a wanted key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlignerResponse {
    pub person_id: Uuid,
    pub display_name: String,
    /// Their facet's weight (at most 1) times the rule linking it to the key: 1 for the same
    /// key, else the affinity rule's weight.
    pub value: f64,
    /// The facet of theirs that meets it.
    pub dimension: Dimension,
    pub key: String,
}

/// A stakeholder who wants a key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WantResponse {
    pub person_id: Uuid,
    pub display_name: String,
    pub account_id: Uuid,
    /// Their share of the account's influence.
    pub influence: f64,
    /// The weight they give the key.
    pub weight: f64,
    /// influence × weight.
    pub demand: f64,
}

/// The demand for one facet key across the accounts in scope, and how the team meets it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyDemandResponse {
    pub dimension: Dimension,
    pub key: String,
    pub label: Option<String>,
    /// Sum over the stakeholders who want it of influence × weight.
    pub demand: f64,
    /// demand × team.
    pub met: f64,
    /// demand − met: what training needs are ranked by.
    pub unmet: f64,
    /// The mean of the salespeople's values, those who do not meet it counting 0: how much of
    /// the team brings it.
    pub team: f64,
    /// The best aligner's value (0 when nobody on the team meets it).
    pub best: f64,
    /// Accounts whose stakeholders want it.
    pub accounts: Vec<Uuid>,
    /// How many stakeholders want it.
    pub stakeholders: usize,
    /// Those who want it most (influence × weight), at most five.
    pub top_stakeholders: Vec<WantResponse>,
    /// The team's salespeople who meet it, best first.
    pub aligners: Vec<AlignerResponse>,
    pub embrace: EmbraceName,
    /// Who should develop it: the team's salespeople not aligned (`team`), or those covering a
    /// stakeholder who wants it and not aligned (`individual`).
    pub develop: Vec<PersonName>,
    /// The need in a sentence.
    pub reason: String,
}

/// A facet the team brings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StrengthResponse {
    pub dimension: Dimension,
    pub key: String,
    pub label: Option<String>,
    /// Who holds it, strongest first.
    pub holders: Vec<HolderWeight>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HolderWeight {
    pub person_id: Uuid,
    pub display_name: String,
    pub weight: f64,
}

/// An own unit's crafting (its salespeople and those of the units below it) against what the
/// stakeholders of its accounts want, weighted by their influence.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TeamProfileResponse {
    pub organization_id: Uuid,
    pub name: String,
    pub demand_scope: DemandScopeName,
    pub as_of: DateTime<Utc>,
    pub known_at: DateTime<Utc>,
    /// The team: persons holding a post in the unit or below it.
    pub salespeople: Vec<PersonName>,
    /// The accounts whose stakeholders' demand is read.
    pub accounts: Vec<AccountRef>,
    /// Their stakeholders (the team's own people left out).
    pub stakeholders: usize,
    /// Influence-weighted demand over every key (each account's influence sums to 1).
    pub demand: f64,
    /// How much of it the team's crafting meets.
    pub met: f64,
    /// met / demand; null when nobody in scope wants anything.
    pub share_met: Option<f64>,
    /// Wanted keys with unmet demand, most unmet first.
    pub training_needs: Vec<KeyDemandResponse>,
    /// Wanted keys only one salesperson meets, most demand first.
    pub single_points_of_failure: Vec<KeyDemandResponse>,
    /// What the team brings (priorities, framings and tasks), most holders first.
    pub strengths: Vec<StrengthResponse>,
}

impl TeamProfileResponse {
    /// The profile with at most `limit` needs, single points and strengths.
    pub fn of(
        found: Profiled,
        scope: DemandScopeName,
        at: TimePoint,
        labels: &Labels,
        limit: usize,
    ) -> Self {
        let Profiled { unit, profile, accounts, names } = found;
        let name = |id: &Uuid| names.get(id).cloned().unwrap_or_default();
        let person = |id: &Uuid| PersonName { person_id: *id, display_name: name(id) };
        let label = |key: &FacetKey| labels.get(key).cloned();
        let team = profile.members.len();
        let key_demand = |k: &KeyDemand| KeyDemandResponse {
            dimension: k.key.0,
            key: k.key.1.clone(),
            label: label(&k.key),
            demand: k.demand,
            met: k.met,
            unmet: k.unmet(),
            team: k.team,
            best: k.best,
            accounts: k.accounts.iter().copied().collect(),
            stakeholders: k.wanting,
            top_stakeholders: k
                .wants
                .iter()
                .take(TOP_STAKEHOLDERS)
                .map(|w| WantResponse {
                    person_id: w.person_id,
                    display_name: name(&w.person_id),
                    account_id: w.account_id,
                    influence: w.influence,
                    weight: w.weight,
                    demand: w.demand(),
                })
                .collect(),
            aligners: k
                .aligners
                .iter()
                .map(|a| AlignerResponse {
                    person_id: a.person_id,
                    display_name: name(&a.person_id),
                    value: a.value,
                    dimension: a.through.0,
                    key: a.through.1.clone(),
                })
                .collect(),
            embrace: match k.embrace {
                Embrace::Team => EmbraceName::Team,
                Embrace::Individual => EmbraceName::Individual,
            },
            develop: k.develop.iter().map(person).collect(),
            reason: reason(k, team),
        };
        let mut single: Vec<&KeyDemand> = profile.single_points().collect();
        single.sort_by(|a, b| b.demand.total_cmp(&a.demand));
        TeamProfileResponse {
            organization_id: unit.id,
            name: unit.name,
            demand_scope: scope,
            as_of: at.as_of.and_utc(),
            known_at: at.known_at.and_utc(),
            salespeople: profile.members.iter().map(person).collect(),
            accounts: accounts.into_iter().map(|(id, name)| AccountRef { id, name }).collect(),
            stakeholders: profile.stakeholders,
            demand: profile.demand,
            met: profile.met,
            share_met: profile.share_met(),
            training_needs: profile.training_needs().take(limit).map(key_demand).collect(),
            single_points_of_failure: single.into_iter().take(limit).map(key_demand).collect(),
            strengths: profile
                .strengths
                .iter()
                .take(limit)
                .map(|s| StrengthResponse {
                    dimension: s.key.0,
                    key: s.key.1.clone(),
                    label: label(&s.key),
                    holders: s
                        .holders
                        .iter()
                        .map(|(id, weight)| HolderWeight {
                            person_id: *id,
                            display_name: name(id),
                            weight: *weight,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// "4 stakeholders in 3 accounts weigh `carbon_footprint`; 1 salesperson of 9 aligns".
fn reason(k: &KeyDemand, team: usize) -> String {
    let (wanting, aligned) = (k.wanting, k.aligners.len());
    format!(
        "{} in {} {} `{}`; {} of {team} {}",
        counted(wanting, "stakeholder", "stakeholders"),
        counted(k.accounts.len(), "account", "accounts"),
        if wanting == 1 { "weighs" } else { "weigh" },
        k.key.1,
        counted(aligned, "salesperson", "salespeople"),
        if aligned == 1 { "aligns" } else { "align" },
    )
}
