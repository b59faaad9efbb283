//! The vocabulary of account coverage: relationships between persons, buying roles of
//! tenures, salespeople covering stakeholders, logged interactions, and the tenant's settings.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::text;
use crate::error::{Error, Violations};

/// Upper bound for capacities: more stakeholders than anyone can know.
pub const CAPACITY_MAX: i64 = 10_000;
/// Upper bound for day counts in settings: ten years.
pub const DAYS_MAX: i64 = 3_650;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipKind {
    Influences,
    Advises,
    AlliesWith,
    Blocks,
    ReportsInformallyTo,
}

impl RelationshipKind {
    /// Who defers to whom, for influence: `true` when `from` defers to `to` (rank flows
    /// from → to), `false` when `to` defers to `from`; allies defer both ways.
    pub fn deference(self) -> &'static [bool] {
        match self {
            // Whoever influences, advises or can block a person is deferred to by them.
            RelationshipKind::Influences | RelationshipKind::Advises | RelationshipKind::Blocks => {
                &[false]
            }
            RelationshipKind::ReportsInformallyTo => &[true],
            RelationshipKind::AlliesWith => &[true, false],
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BuyingRole {
    DecisionMaker,
    EconomicBuyer,
    TechnicalBuyer,
    User,
    Champion,
    Gatekeeper,
    Influencer,
}

impl BuyingRole {
    pub const ALL: [BuyingRole; 7] = [
        BuyingRole::DecisionMaker,
        BuyingRole::EconomicBuyer,
        BuyingRole::TechnicalBuyer,
        BuyingRole::User,
        BuyingRole::Champion,
        BuyingRole::Gatekeeper,
        BuyingRole::Influencer,
    ];

    /// The default weight of the role in influence.
    fn default_weight(self) -> f64 {
        match self {
            BuyingRole::DecisionMaker => 3.0,
            BuyingRole::EconomicBuyer => 2.5,
            BuyingRole::TechnicalBuyer => 1.5,
            BuyingRole::Champion => 1.5,
            BuyingRole::Influencer => 1.3,
            BuyingRole::Gatekeeper => 1.2,
            BuyingRole::User => 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoverageRole {
    Primary,
    Secondary,
}

impl CoverageRole {
    /// The role a new coverer takes when none is named: the first is primary.
    pub fn next(has_primary: bool) -> CoverageRole {
        if has_primary {
            CoverageRole::Secondary
        } else {
            CoverageRole::Primary
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    Meeting,
    Call,
    Email,
    Event,
}

/// Stored enums are their JSON names.
pub fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

pub fn enum_parse<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, Error> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(Error::internal)
}

/// A strength in [0, 1]; `pointer` names the field when it is not.
pub fn check_strength(violations: &mut Violations, value: f64, pointer: &str) {
    if !value.is_finite() || !(0.0..=1.0).contains(&value) {
        violations.add(pointer, "must be a number from 0 to 1");
    }
}

/// A capacity in [0, CAPACITY_MAX].
pub fn check_capacity(violations: &mut Violations, value: i64, pointer: &str) -> u32 {
    if !(0..=CAPACITY_MAX).contains(&value) {
        violations.add(pointer, format!("must be a whole number from 0 to {CAPACITY_MAX}"));
        return 0;
    }
    value as u32
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRelationship {
    pub from_person_id: Uuid,
    pub to_person_id: Uuid,
    pub kind: RelationshipKind,
    pub strength: f64,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub notes: Option<String>,
}

impl NewRelationship {
    pub fn validate(self) -> Result<Self, Error> {
        let mut violations = Violations::default();
        if self.from_person_id == self.to_person_id {
            violations.add("/to_person_id", "must be another person than from_person_id");
        }
        check_strength(&mut violations, self.strength, "/strength");
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until) {
            if until < from {
                violations.add("/valid_until", "must not be before valid_from");
            }
        }
        let notes = violations.check(text::optional(self.notes.as_deref(), "/notes", 2_000));
        violations.into_result()?;
        Ok(NewRelationship { notes: notes.flatten(), ..self })
    }

    /// Whether the relationship holds on `date` (`valid_until` is exclusive).
    pub fn holds_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date)
            && self.valid_until.is_none_or(|until| date < until)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCoverage {
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    pub role: CoverageRole,
    /// Stated strength; without it the strength is derived from interactions.
    pub strength: Option<f64>,
}

impl NewCoverage {
    pub fn validate(self) -> Result<Self, Error> {
        let mut violations = Violations::default();
        if self.salesperson_id == self.stakeholder_id {
            violations.add("/stakeholder_id", "a salesperson does not cover themselves");
        }
        if let Some(strength) = self.strength {
            check_strength(&mut violations, strength, "/strength");
        }
        violations.into_result()?;
        Ok(self)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewInteraction {
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    pub kind: InteractionKind,
    pub occurred_at: NaiveDateTime,
    pub summary: Option<String>,
}

impl NewInteraction {
    pub fn validate(self, now: NaiveDateTime) -> Result<Self, Error> {
        let mut violations = Violations::default();
        if self.salesperson_id == self.stakeholder_id {
            violations.add("/stakeholder_id", "must be another person than salesperson_id");
        }
        if self.occurred_at > now + chrono::Duration::days(1) {
            violations.add("/occurred_at", "must not be in the future: log touches that happened");
        }
        let summary = violations.check(text::optional(self.summary.as_deref(), "/summary", 2_000));
        violations.into_result()?;
        Ok(NewInteraction { summary: summary.flatten(), ..self })
    }
}

/// A tenant's coverage settings; every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CoverageSettings {
    /// Half-life of an interaction's weight in derived coverage strength, in days.
    pub interaction_half_life_days: i64,
    /// Stakeholders a salesperson can cover when their tenure does not say.
    pub default_capacity: i64,
    /// A coverage link without an interaction for this many days is stale.
    pub stale_after_days: i64,
    /// A tenure younger than this many days, with no crafting recorded, is a new holder.
    pub new_holder_days: i64,
    /// Coverage strength from which a thread counts as strong.
    pub strong_thread: f64,
    /// Influence factor per buying role; a stakeholder's factor is the largest of their roles'.
    #[schema(value_type = BTreeMap<String, f64>)]
    pub role_weights: BTreeMap<BuyingRole, f64>,
    /// What covering a stakeholder is worth in a suggestion before any fit, as a share of
    /// their influence, 0 to 1: a covered pair earns influence × (this + the rest × fit).
    pub coverage_base: f64,
    /// Relationship kinds that count against a pair in a suggestion: their strength is taken
    /// from what ties the pair, and a pair left with a negative tie keeps only 1 + tie of its
    /// worth.
    pub negative_relationship_kinds: Vec<RelationshipKind>,
}

impl Default for CoverageSettings {
    fn default() -> Self {
        CoverageSettings {
            interaction_half_life_days: 90,
            default_capacity: 25,
            stale_after_days: 60,
            new_holder_days: 90,
            strong_thread: 0.5,
            role_weights: BuyingRole::ALL.iter().map(|r| (*r, r.default_weight())).collect(),
            coverage_base: 0.25,
            negative_relationship_kinds: vec![RelationshipKind::Blocks],
        }
    }
}

impl CoverageSettings {
    /// A salesperson's capacity: their tenure's own, else the tenant's default.
    pub fn capacity(&self, of_tenure: Option<u32>) -> u32 {
        of_tenure.unwrap_or(self.default_capacity.max(0) as u32)
    }

    pub fn validate(mut self) -> Result<Self, Error> {
        let mut violations = Violations::default();
        for (value, pointer) in [
            (self.interaction_half_life_days, "/interaction_half_life_days"),
            (self.stale_after_days, "/stale_after_days"),
            (self.new_holder_days, "/new_holder_days"),
        ] {
            if !(1..=DAYS_MAX).contains(&value) {
                violations
                    .add(pointer, format!("must be a whole number of days from 1 to {DAYS_MAX}"));
            }
        }
        check_capacity(&mut violations, self.default_capacity, "/default_capacity");
        check_strength(&mut violations, self.strong_thread, "/strong_thread");
        check_strength(&mut violations, self.coverage_base, "/coverage_base");
        for (role, weight) in &self.role_weights {
            if !weight.is_finite() || !(0.0..=100.0).contains(weight) {
                violations.add(
                    format!("/role_weights/{}", enum_name(role)),
                    "must be a number from 0 to 100",
                );
            }
        }
        violations.into_result()?;
        self.negative_relationship_kinds.sort();
        self.negative_relationship_kinds.dedup();
        // Roles left out keep their default weight.
        for role in BuyingRole::ALL {
            self.role_weights.entry(role).or_insert(role.default_weight());
        }
        Ok(self)
    }

    /// The influence factor of a stakeholder with these roles: the largest role weight, 1
    /// without roles.
    pub fn role_factor(&self, roles: &[BuyingRole]) -> f64 {
        roles
            .iter()
            .map(|r| self.role_weights.get(r).copied().unwrap_or(1.0))
            .fold(None, |best: Option<f64>, w| Some(best.map_or(w, |b| b.max(w))))
            .unwrap_or(1.0)
    }

    pub fn half_life(&self) -> chrono::Duration {
        chrono::Duration::days(self.interaction_half_life_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_factor_is_the_strongest_role() {
        let settings = CoverageSettings::default();
        assert_eq!(settings.role_factor(&[]), 1.0);
        assert_eq!(settings.role_factor(&[BuyingRole::User, BuyingRole::DecisionMaker]), 3.0);
    }

    #[test]
    fn settings_name_every_bad_field() {
        let mut bad = CoverageSettings { interaction_half_life_days: 0, ..Default::default() };
        bad.strong_thread = f64::NAN;
        bad.role_weights.insert(BuyingRole::Champion, -1.0);
        let Err(Error::Invalid(errors)) = bad.validate() else { panic!("accepted") };
        let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/interaction_half_life_days", "/strong_thread", "/role_weights/champion"]
        );
    }
}
