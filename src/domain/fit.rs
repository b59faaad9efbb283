//! Fit of a salesperson to a stakeholder, in [0, 1], from explainable parts:
//! crafting alignment (the salesperson's crafted priorities and framing against the
//! stakeholder's decision criteria and priorities, through same keys and affinity rules),
//! partner-preference fit (the stakeholder's supplier preferences against the profile of the
//! salesperson's own unit), relationship strength, and continuity (already covering them).

use crate::domain::crafting::FacetKey;
use crate::domain::facet::{Dimension, Facet};
use crate::domain::organization::Profile;

/// "A salesperson who does `from` suits a stakeholder who wants `to`", with a weight in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Affinity {
    pub from: FacetKey,
    pub to: FacetKey,
    pub weight: f64,
}

/// How much each part counts; parts that do not apply (nothing to compare) are left out and
/// the others share their weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitWeights {
    pub alignment: f64,
    pub partner: f64,
    pub relationship: f64,
    pub continuity: f64,
}

impl Default for FitWeights {
    fn default() -> Self {
        FitWeights { alignment: 0.4, partner: 0.25, relationship: 0.2, continuity: 0.15 }
    }
}

/// A facet pair that made the alignment: the salesperson's facet, the stakeholder's facet and
/// how much it added.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub salesperson: FacetKey,
    pub stakeholder: FacetKey,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub alignment: Option<f64>,
    pub partner: Option<f64>,
    pub relationship: f64,
    pub continuity: f64,
    pub fit: f64,
    pub contributions: Vec<Contribution>,
    /// Partner preferences the salesperson's unit meets (positive) or breaks (avoided).
    pub partner_matches: Vec<(String, f64)>,
}

/// What a stakeholder wants, as the alignment reads it.
pub fn wants(facet: &Facet) -> bool {
    matches!(facet.dimension, Dimension::DecisionCriterion | Dimension::Priority)
        && facet.weight > 0.0
}

/// What a salesperson brings, as the alignment reads it.
pub fn brings(facet: &Facet) -> bool {
    matches!(facet.dimension, Dimension::Priority | Dimension::Cognitive | Dimension::Task)
        && facet.weight > 0.0
}

/// Importance-weighted share of the stakeholder's wants that the salesperson meets.
pub fn crafting_alignment(
    salesperson: &[Facet],
    stakeholder: &[Facet],
    affinities: &[Affinity],
) -> (Option<f64>, Vec<Contribution>) {
    let wanted: Vec<&Facet> = stakeholder.iter().filter(|f| wants(f)).collect();
    let total: f64 = wanted.iter().map(|f| f.weight).sum();
    if total <= 0.0 {
        return (None, Vec::new());
    }
    let offered: Vec<&Facet> = salesperson.iter().filter(|f| brings(f)).collect();
    let mut score = 0.0;
    let mut contributions = Vec::new();
    for want in wanted {
        let want_key = (want.dimension, want.key.clone());
        let best = offered
            .iter()
            .filter_map(|offer| {
                let value = meets_want(offer, &want_key, affinities);
                (value > 0.0).then(|| ((offer.dimension, offer.key.clone()), value))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((offer_key, value)) = best {
            score += want.weight * value;
            contributions.push(Contribution {
                salesperson: offer_key,
                stakeholder: want_key,
                value: want.weight * value / total,
            });
        }
    }
    contributions.sort_by(|a, b| b.value.total_cmp(&a.value));
    (Some((score / total).clamp(0.0, 1.0)), contributions)
}

/// How well one facet a salesperson brings meets one want: its weight (at most 1) times the
/// rule linking them — 1 for the same key, else the strongest affinity from it to the want, 0
/// without one. The alignment and the team profile both read a match this way.
pub fn meets_want(offer: &Facet, want: &FacetKey, affinities: &[Affinity]) -> f64 {
    let rule = if offer.key == want.1 {
        1.0
    } else {
        let offer_key = (offer.dimension, offer.key.clone());
        affinities
            .iter()
            .filter(|a| a.from == offer_key && a.to == *want)
            .map(|a| a.weight.clamp(0.0, 1.0))
            .fold(0.0, f64::max)
    };
    offer.weight.min(1.0) * rule
}

/// Whether a unit's profile meets a partner preference; `None` when the key says nothing
/// about profiles.
fn meets(preference: &str, unit: &Profile, client: &Profile) -> Option<bool> {
    let size = unit.size_band.as_deref().unwrap_or("");
    Some(match preference {
        "supplier_size_small" => matches!(size, "micro" | "small" | "sme"),
        "supplier_size_large" => matches!(size, "large" | "enterprise"),
        "regional_presence" => unit.region.is_some() && unit.region == client.region,
        "industry_expertise" => unit.industry.is_some() && unit.industry == client.industry,
        "certified_sustainability" => unit
            .tags
            .iter()
            .any(|t| matches!(t.as_str(), "iso14001" | "b_corp" | "ecovadis" | "emas" | "sbti")),
        other => return unit.tags.iter().any(|t| t == other).then_some(true),
    })
}

/// Share of the stakeholder's partner preferences the unit meets, avoided ones counting
/// against it; `None` without preferences.
pub fn partner_fit(
    stakeholder: &[Facet],
    unit: &Profile,
    client: &Profile,
) -> (Option<f64>, Vec<(String, f64)>) {
    let preferences: Vec<&Facet> = stakeholder
        .iter()
        .filter(|f| f.dimension == Dimension::PartnerPreference && f.weight != 0.0)
        .collect();
    let total: f64 = preferences.iter().map(|f| f.weight.abs()).sum();
    if total == 0.0 {
        return (None, Vec::new());
    }
    let mut met = 0.0;
    let mut matches = Vec::new();
    for preference in preferences {
        let hit = meets(&preference.key, unit, client).unwrap_or(false);
        // A met preference earns its weight; an avoided trait the unit lacks earns it too.
        let earned = match (preference.weight > 0.0, hit) {
            (true, true) | (false, false) => preference.weight.abs(),
            _ => 0.0,
        };
        met += earned;
        if hit {
            matches.push((preference.key.clone(), preference.weight));
        }
    }
    (Some((met / total).clamp(0.0, 1.0)), matches)
}

pub struct FitInput<'a> {
    pub salesperson: &'a [Facet],
    pub stakeholder: &'a [Facet],
    pub affinities: &'a [Affinity],
    pub unit: &'a Profile,
    pub client: &'a Profile,
    /// What ties them now, -1 to 1: coverage or a relationship, less a negative one (see
    /// `suggestion::ties`).
    pub relationship: f64,
    /// Whether the salesperson covers the stakeholder already.
    pub covering: bool,
}

pub fn fit(input: &FitInput, weights: &FitWeights) -> Fit {
    let (alignment, contributions) =
        crafting_alignment(input.salesperson, input.stakeholder, input.affinities);
    let (partner, partner_matches) = partner_fit(input.stakeholder, input.unit, input.client);
    let relationship = input.relationship.clamp(-1.0, 1.0);
    let continuity = if input.covering { 1.0 } else { 0.0 };
    let fit = combine(&[
        (alignment, weights.alignment),
        (partner, weights.partner),
        (Some(relationship), weights.relationship),
        (Some(continuity), weights.continuity),
    ]);
    Fit { alignment, partner, relationship, continuity, fit, contributions, partner_matches }
}

/// The weighted mean of the parts that apply (`Some`), in [0, 1].
pub fn combine(parts: &[(Option<f64>, f64)]) -> f64 {
    let total: f64 = parts.iter().filter(|(p, _)| p.is_some()).map(|(_, w)| w.max(0.0)).sum();
    if total > 0.0 {
        let sum: f64 = parts.iter().filter_map(|(p, w)| p.map(|p| p * w.max(0.0))).sum();
        (sum / total).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facet(dimension: Dimension, key: &str, weight: f64) -> Facet {
        Facet { dimension, key: key.into(), weight, note: None, core: false, floor: None }
    }

    fn green_buyer() -> Vec<Facet> {
        vec![
            facet(Dimension::DecisionCriterion, "carbon_footprint", 0.9),
            facet(Dimension::DecisionCriterion, "long_term_partnership", 0.6),
            facet(Dimension::PartnerPreference, "supplier_size_small", 0.7),
        ]
    }

    #[test]
    fn a_client_first_salesperson_aligns_through_affinity_rules() {
        let client_first = vec![
            facet(Dimension::Cognitive, "client_success", 0.9),
            facet(Dimension::Cognitive, "sustainability_champion", 0.8),
        ];
        let commission_first = vec![facet(Dimension::Cognitive, "commission_first", 1.0)];
        let rules = vec![
            Affinity {
                from: (Dimension::Cognitive, "client_success".into()),
                to: (Dimension::DecisionCriterion, "long_term_partnership".into()),
                weight: 1.0,
            },
            Affinity {
                from: (Dimension::Cognitive, "sustainability_champion".into()),
                to: (Dimension::DecisionCriterion, "carbon_footprint".into()),
                weight: 1.0,
            },
        ];
        let (good, why) = crafting_alignment(&client_first, &green_buyer(), &rules);
        let (poor, _) = crafting_alignment(&commission_first, &green_buyer(), &rules);
        assert!(good.unwrap() > 0.8);
        assert_eq!(poor, Some(0.0));
        assert_eq!(why[0].stakeholder.1, "carbon_footprint");
    }

    #[test]
    fn partner_preferences_meet_the_units_profile() {
        let small = Profile { size_band: Some("sme".into()), ..Profile::default() };
        let large = Profile { size_band: Some("enterprise".into()), ..Profile::default() };
        let client = Profile::default();
        assert_eq!(partner_fit(&green_buyer(), &small, &client).0, Some(1.0));
        assert_eq!(partner_fit(&green_buyer(), &large, &client).0, Some(0.0));
        assert_eq!(partner_fit(&[], &large, &client).0, None);
    }

    #[test]
    fn missing_parts_leave_the_fit_to_the_others() {
        let unit = Profile::default();
        let input = FitInput {
            salesperson: &[],
            stakeholder: &[],
            affinities: &[],
            unit: &unit,
            client: &unit,
            relationship: 0.5,
            covering: true,
        };
        let result = fit(&input, &FitWeights::default());
        assert_eq!((result.alignment, result.partner), (None, None));
        assert!((result.fit - (0.5 * 0.2 + 0.15) / 0.35).abs() < 1e-12);
    }
}
