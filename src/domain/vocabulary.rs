//! The vocabulary: per tenant and dimension, the keys a facet may use. New tenants start with
//! the default set below, written for B2B sales; tenants add and retire keys.

use crate::domain::facet::Dimension;

/// `(dimension, key, label, description)` of the default vocabulary.
pub const DEFAULTS: &[(Dimension, &str, &str, &str)] = &[
    // Task crafting: what the holder adds, drops or stresses.
    (Dimension::Task, "supplier_audits", "Supplier audits", "Visits and audits suppliers"),
    (Dimension::Task, "tendering", "Tendering", "Runs tenders and requests for proposal"),
    (
        Dimension::Task,
        "contract_negotiation",
        "Contract negotiation",
        "Negotiates terms and prices",
    ),
    (
        Dimension::Task,
        "vendor_consolidation",
        "Vendor consolidation",
        "Reduces the number of suppliers",
    ),
    (Dimension::Task, "claims_handling", "Claims handling", "Processes claims case by case"),
    (Dimension::Task, "reporting", "Reporting", "Prepares figures and reports for management"),
    (Dimension::Task, "team_leadership", "Team leadership", "Leads and develops a team"),
    (Dimension::Task, "budget_planning", "Budget planning", "Plans and defends budgets"),
    (
        Dimension::Task,
        "innovation_scouting",
        "Innovation scouting",
        "Looks out for new solutions and vendors",
    ),
    (
        Dimension::Task,
        "quota_attainment",
        "Quota attainment",
        "Closes deals to reach the sales quota",
    ),
    (
        Dimension::Task,
        "account_planning",
        "Account planning",
        "Plans accounts and their stakeholders",
    ),
    (
        Dimension::Task,
        "technical_advice",
        "Technical advice",
        "Advises clients on technical solutions",
    ),
    (
        Dimension::Task,
        "customer_onboarding",
        "Customer onboarding",
        "Brings new customers up to speed",
    ),
    // Relational crafting: whom the holder seeks out or avoids.
    (
        Dimension::Relational,
        "executive_access",
        "Executive access",
        "Seeks contact with top management",
    ),
    (
        Dimension::Relational,
        "peer_network",
        "Peer network",
        "Exchanges with peers in other companies",
    ),
    (
        Dimension::Relational,
        "supplier_partnership",
        "Supplier partnership",
        "Works closely with suppliers",
    ),
    (
        Dimension::Relational,
        "internal_stakeholders",
        "Internal stakeholders",
        "Involves colleagues across departments",
    ),
    (
        Dimension::Relational,
        "customer_contact",
        "Customer contact",
        "Seeks direct contact with end customers",
    ),
    (Dimension::Relational, "mentoring", "Mentoring", "Mentors or is mentored"),
    // Cognitive crafting: how the holder frames the purpose.
    (Dimension::Cognitive, "helping_people", "Helping people", "Sees the job as helping people"),
    (
        Dimension::Cognitive,
        "cost_guardian",
        "Cost guardian",
        "Sees the job as protecting the budget",
    ),
    (
        Dimension::Cognitive,
        "strategic_enabler",
        "Strategic enabler",
        "Sees the job as enabling the strategy",
    ),
    (Dimension::Cognitive, "risk_manager", "Risk manager", "Sees the job as keeping risk low"),
    (
        Dimension::Cognitive,
        "sustainability_champion",
        "Sustainability champion",
        "Sees the job as making the business sustainable",
    ),
    (
        Dimension::Cognitive,
        "client_success",
        "Client success",
        "Sees the job as making clients successful",
    ),
    (
        Dimension::Cognitive,
        "commission_first",
        "Commission first",
        "Sees the job as closing deals and earning commission",
    ),
    (
        Dimension::Cognitive,
        "trusted_advisor",
        "Trusted advisor",
        "Sees the job as advising with expertise",
    ),
    // Context crafting: when, where and with which means.
    (Dimension::Context, "remote_first", "Remote first", "Works mostly remotely"),
    (Dimension::Context, "on_site", "On site", "Works mostly on site"),
    (Dimension::Context, "data_driven", "Data driven", "Decides with data and dashboards"),
    (Dimension::Context, "flexible_hours", "Flexible hours", "Works at flexible times"),
    (Dimension::Context, "travel_heavy", "Travel heavy", "Travels a lot for the job"),
    // Priorities.
    (Dimension::Priority, "new_market_entry", "New market entry", "Entering new markets"),
    (Dimension::Priority, "cost_reduction", "Cost reduction", "Reducing costs"),
    (Dimension::Priority, "growth", "Growth", "Growing revenue"),
    (Dimension::Priority, "compliance", "Compliance", "Meeting regulation and policy"),
    (Dimension::Priority, "digitalisation", "Digitalisation", "Digitalising processes"),
    (Dimension::Priority, "sustainability", "Sustainability", "Reducing environmental impact"),
    (
        Dimension::Priority,
        "customer_experience",
        "Customer experience",
        "Improving the customer experience",
    ),
    (Dimension::Priority, "resilience", "Resilience", "Making supply and operations resilient"),
    (Dimension::Priority, "talent", "Talent", "Attracting and keeping people"),
    // Decision criteria.
    (Dimension::DecisionCriterion, "price", "Price", "The lowest price"),
    (
        Dimension::DecisionCriterion,
        "total_cost_of_ownership",
        "Total cost of ownership",
        "Cost over the whole life cycle",
    ),
    (Dimension::DecisionCriterion, "time_to_deploy", "Time to deploy", "How fast it is running"),
    (
        Dimension::DecisionCriterion,
        "carbon_footprint",
        "Carbon footprint",
        "Emissions of the product and supplier",
    ),
    (
        Dimension::DecisionCriterion,
        "ethical_business",
        "Ethical business",
        "The supplier's ethics and labour practices",
    ),
    (Dimension::DecisionCriterion, "local_sourcing", "Local sourcing", "Sourcing close to home"),
    (Dimension::DecisionCriterion, "innovation", "Innovation", "How new and forward-looking it is"),
    (Dimension::DecisionCriterion, "risk_reduction", "Risk reduction", "How much risk it removes"),
    (
        Dimension::DecisionCriterion,
        "long_term_partnership",
        "Long-term partnership",
        "A partner for years, not a deal",
    ),
    (Dimension::DecisionCriterion, "quality", "Quality", "Quality and reliability"),
    (Dimension::DecisionCriterion, "references", "References", "Proof from comparable customers"),
    // Partner preferences.
    (
        Dimension::PartnerPreference,
        "supplier_size_small",
        "Small suppliers",
        "Prefers small suppliers",
    ),
    (
        Dimension::PartnerPreference,
        "supplier_size_large",
        "Large suppliers",
        "Prefers large suppliers",
    ),
    (
        Dimension::PartnerPreference,
        "regional_presence",
        "Regional presence",
        "Prefers suppliers present in the region",
    ),
    (
        Dimension::PartnerPreference,
        "certified_sustainability",
        "Certified sustainability",
        "Prefers suppliers with sustainability certificates",
    ),
    (
        Dimension::PartnerPreference,
        "industry_expertise",
        "Industry expertise",
        "Prefers suppliers who know the industry",
    ),
    (
        Dimension::PartnerPreference,
        "single_vendor",
        "Single vendor",
        "Prefers one vendor for everything",
    ),
    (
        Dimension::PartnerPreference,
        "best_of_breed",
        "Best of breed",
        "Prefers the best specialist for each need",
    ),
];

/// The known keys closest to an unknown one, best first: what the user probably meant.
pub fn closest<'a>(
    unknown: &str,
    known: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .map(|key| {
            let distance = levenshtein(unknown, key);
            // A key that contains the input (or the reverse) is a strong hint.
            let bonus =
                if key.contains(unknown) || unknown.contains(key) { key.len() / 2 } else { 0 };
            (distance.saturating_sub(bonus), key)
        })
        .filter(|(score, key)| *score <= key.len().max(unknown.len()) / 2 + 1)
        .collect();
    scored.sort();
    scored.into_iter().take(n).map(|(_, key)| key.to_owned()).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_key() {
        let known = ["carbon_footprint", "price", "time_to_deploy"];
        assert_eq!(closest("carbon_foot_print", known, 3), vec!["carbon_footprint"]);
        assert_eq!(closest("carbon", known, 3), vec!["carbon_footprint"]);
        assert_eq!(closest("prize", known, 3), vec!["price"]);
        assert!(closest("zzzzzzzz", known, 3).is_empty());
    }

    #[test]
    fn the_defaults_are_unique_valid_keys() {
        let mut seen = std::collections::HashSet::new();
        for (dimension, key, _, _) in DEFAULTS {
            assert!(crate::domain::text::slug(key, "/k", 64).is_ok(), "{key}");
            assert!(seen.insert((*dimension, *key)), "{key} twice");
        }
    }
}
