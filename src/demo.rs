//! `jobcraft demo`: a tenant that tells the README's story, loaded through the public API the
//! way a CRM would (one atomic sync batch under the `demo` source, then crafting revisions,
//! interactions and affinity rules), so every rule the API enforces holds for it too.
//!
//! The cast: Northwind sells from two units (DACH: small, certified; Enterprise: large) with a
//! sales team that crafts its jobs differently — Max commission first, Carla client first and a
//! sustainability champion, Jonas the technical advisor, Sofia the risk-minded one. Three client
//! accounts: at Acme Insurance, Nina took over procurement from Olga and brought carbon
//! footprint and small suppliers with her (nobody covers her yet); Mara frames claims handling
//! as helping people; Peter, the claims champion Max covered, has just moved to Globex.
//! Borealis Energy hangs on a single thread. Lea, the SDR, crafts toward the account executive
//! post, with a development plan, a mentor and a questionnaire her manager answered. Dates are
//! relative to today, so the alerts are live.
//!
//! Over 400 lines as one responsibility: the story is data, written out in one place so it
//! reads as the README tells it.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::domain::api_key::Scope;
use crate::error::Error;
use crate::store::{api_keys, organizations, Db};

/// The source of the demo's external ids: `GET /v1/sync/posts/demo/acme-head-of-procurement`.
pub const SOURCE: &str = "demo";
pub const TENANT: &str = "demo";

/// An admin key of the demo tenant, and whether the demo is still to be loaded: the tenant is
/// new, or an earlier `demo` made it and stopped before its first batch landed (that batch is
/// atomic, and makes the demo's own organizations).
pub fn tenant_key(db: &Db) -> Result<(String, bool), Error> {
    db.write(|c| {
        let tenant = match api_keys::find_tenant_by_name(c, TENANT) {
            Ok(tenant) => tenant,
            Err(Error::NotFound) => api_keys::create_tenant(c, TENANT)?,
            Err(other) => return Err(other),
        };
        let empty = organizations::own_ids(c, tenant.id)?.is_empty();
        let (_, token) = api_keys::create_key(c, tenant.id, "demo", &[Scope::Admin])?;
        Ok((token, empty))
    })
}

/// (external id, name, kind, parent, size band, industry, region, tags)
type OrgSpec = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

#[rustfmt::skip]
const ORGANIZATIONS: &[OrgSpec] = &[
    ("northwind", "Northwind", "own", None, "mid_market", "software", "dach", &[]),
    ("northwind-dach", "Northwind DACH", "own", Some("northwind"), "sme", "software", "dach", &["iso14001", "b_corp"]),
    ("northwind-enterprise", "Northwind Enterprise", "own", Some("northwind"), "enterprise", "software", "nordics", &["iso27001"]),
    ("acme", "Acme Insurance", "client", None, "enterprise", "insurance", "dach", &[]),
    ("acme-claims", "Acme Claims Services", "client", Some("acme"), "mid_market", "insurance", "dach", &[]),
    ("acme-digital", "Acme Digital", "client", Some("acme"), "sme", "insurance", "dach", &[]),
    ("globex", "Globex Logistics", "client", None, "mid_market", "logistics", "nordics", &[]),
    ("globex-freight", "Globex Freight", "client", Some("globex"), "mid_market", "logistics", "nordics", &[]),
    ("globex-warehousing", "Globex Warehousing", "client", Some("globex"), "sme", "logistics", "nordics", &[]),
    ("borealis", "Borealis Energy", "client", None, "enterprise", "energy", "nordics", &["iso14001"]),
    ("borealis-grid", "Borealis Grid", "client", Some("borealis"), "enterprise", "energy", "nordics", &[]),
    ("borealis-renewables", "Borealis Renewables", "client", Some("borealis"), "mid_market", "energy", "nordics", &[]),
];

/// A facet: (dimension, key, weight); a formal one listed in `CORE` is a core responsibility.
type FacetSpec = (&'static str, &'static str, f64);

/// (external id, organization, title, function, reports to, headcount, formal facets)
type PostSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    u32,
    &'static [FacetSpec],
);

const PROCUREMENT: &[FacetSpec] = &[
    ("task", "supplier_audits", 0.8),
    ("task", "tendering", 0.7),
    ("decision_criterion", "price", 0.9),
    ("priority", "cost_reduction", 0.8),
];
const CLAIMS: &[FacetSpec] =
    &[("task", "claims_handling", 0.9), ("priority", "cost_reduction", 0.5)];
const IT: &[FacetSpec] = &[
    ("task", "technical_advice", 0.6),
    ("priority", "digitalisation", 0.8),
    ("decision_criterion", "quality", 0.6),
];
const FINANCE: &[FacetSpec] =
    &[("task", "budget_planning", 0.9), ("decision_criterion", "total_cost_of_ownership", 0.8)];
const LEADERSHIP: &[FacetSpec] = &[("task", "team_leadership", 0.9), ("priority", "growth", 0.8)];
const OPERATIONS: &[FacetSpec] = &[
    ("task", "reporting", 0.6),
    ("priority", "resilience", 0.7),
    ("decision_criterion", "time_to_deploy", 0.6),
];
const SALES: &[FacetSpec] = &[("task", "quota_attainment", 0.8), ("task", "account_planning", 0.7)];
const PROSPECTING: &[FacetSpec] =
    &[("task", "quota_attainment", 0.5), ("task", "customer_onboarding", 0.6)];
/// Formal facets that crafting may not take below the floor (0.1): the guardrails.
const CORE: &[&str] =
    &["supplier_audits", "claims_handling", "budget_planning", "quota_attainment"];

#[rustfmt::skip]
const POSTS: &[PostSpec] = &[
    ("northwind-head-of-sales", "northwind", "Head of Sales", "sales", None, 1, LEADERSHIP),
    ("northwind-ae-dach", "northwind-dach", "Account Executive", "sales", Some("northwind-head-of-sales"), 2, SALES),
    ("northwind-ae-enterprise", "northwind-enterprise", "Account Executive", "sales", Some("northwind-head-of-sales"), 1, SALES),
    ("northwind-solutions-engineer", "northwind-enterprise", "Solutions Engineer", "sales", Some("northwind-head-of-sales"), 1, SALES),
    ("northwind-sdr", "northwind-dach", "Sales Development Representative", "sales", Some("northwind-head-of-sales"), 1, PROSPECTING),
    // Acme Insurance
    ("acme-ceo", "acme", "CEO", "management", None, 1, LEADERSHIP),
    ("acme-cfo", "acme", "CFO", "finance", Some("acme-ceo"), 1, FINANCE),
    ("acme-head-of-procurement", "acme", "Head of Procurement", "procurement", Some("acme-cfo"), 1, PROCUREMENT),
    ("acme-buyer", "acme", "Buyer", "procurement", Some("acme-head-of-procurement"), 2, PROCUREMENT),
    ("acme-controller", "acme", "Controller", "finance", Some("acme-cfo"), 1, FINANCE),
    ("acme-claims-director", "acme-claims", "Claims Director", "claims", Some("acme-ceo"), 1, CLAIMS),
    ("acme-claims-manager", "acme-claims", "Claims Manager", "claims", Some("acme-claims-director"), 1, CLAIMS),
    ("acme-claims-lead", "acme-claims", "Claims Operations Lead", "claims", Some("acme-claims-director"), 1, CLAIMS),
    ("acme-cio", "acme-digital", "CIO", "it", Some("acme-ceo"), 1, IT),
    ("acme-it-architect", "acme-digital", "IT Architect", "it", Some("acme-cio"), 1, IT),
    ("acme-coo", "acme", "COO", "operations", Some("acme-ceo"), 1, OPERATIONS),
    ("acme-head-of-hr", "acme", "Head of HR", "people", Some("acme-ceo"), 1, LEADERSHIP),
    // Globex Logistics
    ("globex-ceo", "globex", "CEO", "management", None, 1, LEADERSHIP),
    ("globex-cfo", "globex", "CFO", "finance", Some("globex-ceo"), 1, FINANCE),
    ("globex-procurement-lead", "globex", "Procurement Lead", "procurement", Some("globex-cfo"), 1, PROCUREMENT),
    ("globex-head-of-operations", "globex-freight", "Head of Operations", "operations", Some("globex-ceo"), 1, OPERATIONS),
    ("globex-fleet-manager", "globex-freight", "Fleet Manager", "operations", Some("globex-head-of-operations"), 1, OPERATIONS),
    ("globex-dispatch-lead", "globex-freight", "Dispatch Lead", "operations", Some("globex-head-of-operations"), 1, OPERATIONS),
    ("globex-warehouse-director", "globex-warehousing", "Warehouse Director", "operations", Some("globex-ceo"), 1, OPERATIONS),
    ("globex-site-manager", "globex-warehousing", "Site Manager", "operations", Some("globex-warehouse-director"), 2, OPERATIONS),
    ("globex-it-manager", "globex", "IT Manager", "it", Some("globex-cfo"), 1, IT),
    ("globex-controller", "globex", "Controller", "finance", Some("globex-cfo"), 1, FINANCE),
    ("globex-buyer", "globex", "Buyer", "procurement", Some("globex-procurement-lead"), 1, PROCUREMENT),
    ("globex-hse-manager", "globex-freight", "Health, Safety and Environment Manager", "operations", Some("globex-head-of-operations"), 1, OPERATIONS),
    // Borealis Energy
    ("borealis-ceo", "borealis", "CEO", "management", None, 1, LEADERSHIP),
    ("borealis-cfo", "borealis", "CFO", "finance", Some("borealis-ceo"), 1, FINANCE),
    ("borealis-cpo", "borealis", "Chief Procurement Officer", "procurement", Some("borealis-cfo"), 1, PROCUREMENT),
    ("borealis-category-manager", "borealis", "Category Manager IT", "procurement", Some("borealis-cpo"), 1, PROCUREMENT),
    ("borealis-cto", "borealis", "CTO", "it", Some("borealis-ceo"), 1, IT),
    ("borealis-grid-director", "borealis-grid", "Grid Operations Director", "operations", Some("borealis-cto"), 1, OPERATIONS),
    ("borealis-scada-lead", "borealis-grid", "SCADA Lead", "it", Some("borealis-grid-director"), 1, IT),
    ("borealis-renewables-md", "borealis-renewables", "Managing Director", "management", Some("borealis-ceo"), 1, LEADERSHIP),
    ("borealis-project-lead", "borealis-renewables", "Wind Project Lead", "operations", Some("borealis-renewables-md"), 2, OPERATIONS),
    ("borealis-sustainability-head", "borealis", "Head of Sustainability", "sustainability", Some("borealis-ceo"), 1, LEADERSHIP),
    ("borealis-controller", "borealis", "Controller", "finance", Some("borealis-cfo"), 1, FINANCE),
    ("borealis-security-officer", "borealis-grid", "Information Security Officer", "it", Some("borealis-cto"), 1, IT),
];

/// A holder: (person, name, post, started days ago, ended days ago, buying roles, capacity,
/// crafting as observed). Persons appear once per tenure; a career is several rows.
type TenureSpec = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<i64>,
    &'static [&'static str],
    Option<u32>,
    &'static [FacetSpec],
);

#[rustfmt::skip]
const TENURES: &[TenureSpec] = &[
    // The sales team.
    ("ines", "Ines Moreau", "northwind-head-of-sales", 2000, None, &[], Some(3), &[("cognitive", "strategic_enabler", 0.8), ("relational", "executive_access", 0.8)]),
    ("max", "Max Lind", "northwind-ae-enterprise", 1100, None, &[], Some(12), &[("cognitive", "commission_first", 1.0), ("priority", "growth", 0.9), ("task", "quota_attainment", 1.0), ("relational", "executive_access", 0.6)]),
    ("carla", "Carla Diaz", "northwind-ae-dach", 900, None, &[], Some(12), &[("cognitive", "client_success", 0.9), ("cognitive", "sustainability_champion", 0.8), ("relational", "customer_contact", 0.8), ("priority", "sustainability", 0.7), ("priority", "growth", 0.7)]),
    ("sofia", "Sofia Costa", "northwind-ae-dach", 400, None, &[], Some(10), &[("cognitive", "risk_manager", 0.8), ("priority", "compliance", 0.8), ("priority", "resilience", 0.6), ("priority", "growth", 0.6)]),
    ("jonas", "Jonas Lund", "northwind-solutions-engineer", 1500, None, &[], Some(8), &[("cognitive", "trusted_advisor", 0.9), ("task", "technical_advice", 1.0), ("priority", "digitalisation", 0.8), ("task", "quota_attainment", 0.2)]),
    ("lea-sdr", "Lea Vogel", "northwind-sdr", 200, None, &[], Some(6), &[("relational", "peer_network", 0.7)]),
    // Acme: the succession in procurement, Olga's career, Peter's move.
    ("henrik", "Henrik Haas", "acme-ceo", 2500, None, &["decision_maker"], None, &[("priority", "growth", 0.9), ("cognitive", "strategic_enabler", 0.7)]),
    ("ana", "Ana Weber", "acme-cfo", 1800, None, &["economic_buyer"], None, &[("decision_criterion", "total_cost_of_ownership", 1.0), ("priority", "cost_reduction", 0.9)]),
    ("olga", "Olga Berg", "acme-head-of-procurement", 1900, Some(151), &[], None, &[("decision_criterion", "price", 1.0), ("priority", "cost_reduction", 0.9), ("partner_preference", "supplier_size_large", 0.6), ("cognitive", "cost_guardian", 0.9)]),
    ("olga", "Olga Berg", "acme-claims-director", 150, None, &["decision_maker"], None, &[("priority", "customer_experience", 0.7), ("decision_criterion", "risk_reduction", 0.8)]),
    ("nina", "Nina Roth", "acme-head-of-procurement", 150, None, &["economic_buyer"], None, &[("decision_criterion", "carbon_footprint", 0.9), ("decision_criterion", "price", 0.3), ("partner_preference", "supplier_size_small", 0.8), ("priority", "sustainability", 0.9), ("task", "supplier_audits", 0.05)]),
    ("tomas", "Tomás Ferreira", "acme-buyer", 700, None, &["gatekeeper"], None, &[("decision_criterion", "price", 0.9)]),
    ("mara", "Mara Jansen", "acme-claims-manager", 1200, None, &["user"], None, &[("cognitive", "helping_people", 0.9), ("relational", "customer_contact", 0.8), ("priority", "customer_experience", 0.8), ("task", "claims_handling", 0.6)]),
    ("peter", "Peter Falk", "acme-claims-lead", 1400, Some(31), &["champion"], None, &[("priority", "digitalisation", 0.8), ("decision_criterion", "time_to_deploy", 0.8)]),
    ("kenji", "Kenji Sato", "acme-cio", 1000, None, &["technical_buyer"], None, &[("decision_criterion", "innovation", 0.8), ("decision_criterion", "time_to_deploy", 0.7), ("priority", "digitalisation", 0.9)]),
    ("omar", "Omar Demir", "acme-it-architect", 800, None, &["influencer"], None, &[("decision_criterion", "quality", 0.9), ("decision_criterion", "risk_reduction", 0.7)]),
    ("lars", "Lars Nilsen", "acme-coo", 1600, None, &[], None, &[("priority", "resilience", 0.8)]),
    ("ida", "Ida Lang", "acme-head-of-hr", 20, None, &[], None, &[]),
    // Globex: Peter arrives; a single sale-relevant thread.
    ("peter", "Peter Falk", "globex-head-of-operations", 30, None, &["champion"], None, &[]),
    ("erik", "Erik Solberg", "globex-ceo", 2200, None, &["decision_maker"], None, &[("decision_criterion", "carbon_footprint", 0.8), ("priority", "sustainability", 0.7)]),
    ("hanna", "Hanna Lie", "globex-cfo", 900, None, &["economic_buyer"], None, &[("decision_criterion", "price", 0.8), ("decision_criterion", "total_cost_of_ownership", 0.6)]),
    ("mikkel", "Mikkel Dahl", "globex-procurement-lead", 600, None, &[], None, &[("decision_criterion", "local_sourcing", 0.8), ("partner_preference", "regional_presence", 0.9)]),
    ("sven", "Sven Aas", "globex-fleet-manager", 1300, None, &["user"], None, &[("decision_criterion", "carbon_footprint", 0.7), ("priority", "sustainability", 0.6)]),
    ("noor", "Noor Haddad", "globex-dispatch-lead", 500, None, &["user"], None, &[("context", "data_driven", 0.8)]),
    ("jens", "Jens Holm", "globex-warehouse-director", 1700, None, &[], None, &[("priority", "resilience", 0.9)]),
    ("eva", "Eva Berg", "globex-site-manager", 800, None, &[], None, &[]),
    ("tariq", "Tariq Aziz", "globex-it-manager", 1000, None, &["technical_buyer"], None, &[("decision_criterion", "references", 0.8), ("partner_preference", "single_vendor", 0.7)]),
    ("liv", "Liv Strand", "globex-controller", 400, None, &[], None, &[]),
    ("ola", "Ola Bakke", "globex-buyer", 300, None, &["gatekeeper"], None, &[("decision_criterion", "price", 1.0)]),
    // Borealis: a big account covered by one thread.
    ("astrid", "Astrid Nygaard", "borealis-ceo", 3000, None, &["decision_maker"], None, &[("priority", "sustainability", 0.9), ("cognitive", "strategic_enabler", 0.8)]),
    ("magnus", "Magnus Eide", "borealis-cfo", 1500, None, &["economic_buyer"], None, &[("decision_criterion", "total_cost_of_ownership", 0.9)]),
    ("sara", "Sara Lindqvist", "borealis-cpo", 700, None, &[], None, &[("decision_criterion", "ethical_business", 0.9), ("partner_preference", "certified_sustainability", 0.9), ("decision_criterion", "carbon_footprint", 0.7)]),
    ("emil", "Emil Karlsson", "borealis-category-manager", 400, None, &["gatekeeper"], None, &[("decision_criterion", "price", 0.7), ("partner_preference", "best_of_breed", 0.6)]),
    ("freya", "Freya Olsen", "borealis-cto", 1100, None, &["technical_buyer"], None, &[("decision_criterion", "innovation", 0.9), ("decision_criterion", "risk_reduction", 0.8)]),
    ("nils", "Nils Berget", "borealis-grid-director", 2000, None, &["user"], None, &[("priority", "resilience", 1.0), ("decision_criterion", "quality", 0.8)]),
    ("maja", "Maja Rask", "borealis-scada-lead", 600, None, &["influencer"], None, &[("decision_criterion", "references", 0.8), ("task", "technical_advice", 0.7)]),
    ("anders", "Anders Vik", "borealis-renewables-md", 900, None, &[], None, &[("priority", "new_market_entry", 0.9)]),
    ("kari", "Kari Moe", "borealis-project-lead", 300, None, &[], None, &[]),
    ("linnea", "Linnea Ek", "borealis-sustainability-head", 45, None, &["influencer"], None, &[]),
    ("oskar", "Oskar Dahl", "borealis-security-officer", 800, None, &[], None, &[("priority", "compliance", 1.0), ("decision_criterion", "risk_reduction", 0.9)]),
];

/// Who covers whom today (salesperson, stakeholder, role, interactions days ago).
#[rustfmt::skip]
const COVERAGE: &[(&str, &str, &str, &[i64])] = &[
    ("max", "olga", "primary", &[12, 40]),
    ("max", "peter", "primary", &[45, 90]),
    ("max", "henrik", "primary", &[60]),
    ("carla", "mara", "primary", &[8, 35]),
    ("jonas", "kenji", "primary", &[5, 30]),
    ("jonas", "omar", "secondary", &[20]),
    ("sofia", "ana", "primary", &[140]),
    ("sofia", "hanna", "primary", &[25]),
    ("carla", "mikkel", "secondary", &[50]),
    ("ines", "astrid", "primary", &[70]),
];

/// (from, to, kind, strength)
#[rustfmt::skip]
const RELATIONSHIPS: &[(&str, &str, &str, f64)] = &[
    ("nina", "ana", "influences", 0.8),
    ("olga", "nina", "allies_with", 0.6),
    ("kenji", "henrik", "advises", 0.7),
    ("omar", "kenji", "reports_informally_to", 0.6),
    ("peter", "mara", "allies_with", 0.7),
    ("tomas", "nina", "blocks", 0.4),
    ("sven", "peter", "influences", 0.6),
    ("sara", "astrid", "advises", 0.8),
    ("maja", "freya", "influences", 0.7),
    ("linnea", "sara", "allies_with", 0.7),
    ("emil", "sara", "blocks", 0.5),
];

/// (dimension, key)
type FacetRef = (&'static str, &'static str);

/// Tenant rules: what a salesperson's crafting offers to what a stakeholder wants.
#[rustfmt::skip]
const AFFINITIES: &[(FacetRef, FacetRef, f64)] = &[
    (("cognitive", "sustainability_champion"), ("decision_criterion", "carbon_footprint"), 1.0),
    (("cognitive", "sustainability_champion"), ("priority", "sustainability"), 0.8),
    (("cognitive", "client_success"), ("cognitive", "helping_people"), 0.8),
    (("cognitive", "trusted_advisor"), ("decision_criterion", "risk_reduction"), 0.8),
    (("task", "technical_advice"), ("decision_criterion", "innovation"), 0.7),
    (("task", "technical_advice"), ("decision_criterion", "quality"), 0.6),
    (("cognitive", "risk_manager"), ("priority", "compliance"), 0.7),
    (("cognitive", "commission_first"), ("decision_criterion", "price"), 0.5),
];

/// Loads the story into the tenant of `key` through the API at `base` (e.g.
/// `http://127.0.0.1:8080`).
pub async fn load(base: &str, key: &str) -> Result<(), Error> {
    let api = Api { client: awc::Client::default(), base: base.trim_end_matches('/'), key };
    let today = Utc::now().date_naive();
    let ago = |days: i64| (today - Duration::days(days)).to_string();

    let mut operations = Vec::new();
    let mut upsert = |entity: &str, external_id: String, body: Value| {
        operations.push(json!({"op": "upsert", "entity": entity, "source": SOURCE,
                               "external_id": external_id, "body": body}));
    };
    let by = |id: &str| json!({"source": SOURCE, "external_id": id});
    for (id, name, kind, parent, size_band, industry, region, tags) in ORGANIZATIONS {
        upsert(
            "organizations",
            (*id).into(),
            json!({"name": name, "kind": kind,
            "parent_id": parent.map(by), "profile": {"size_band": size_band,
            "industry": industry, "region": region, "tags": tags}}),
        );
    }
    for (id, org, title, function, reports_to, headcount, facets) in POSTS {
        let facets: Vec<Value> = facets
            .iter()
            .map(|(dimension, key, weight)| {
                json!({"dimension": dimension, "key": key, "weight": weight, "core": CORE.contains(key)})
            })
            .collect();
        upsert(
            "posts",
            (*id).into(),
            json!({"organization_id": by(org), "title": title,
            "function": function, "reports_to_post_id": reports_to.map(by),
            "headcount": headcount, "established_on": ago(4000), "facets_effective_at": format!("{}T00:00:00Z", ago(4000)),
            "facets": facets}),
        );
    }
    let mut persons: Vec<&str> = Vec::new();
    for (person, name, ..) in TENURES {
        if !persons.contains(person) {
            persons.push(person);
            let email = format!("{}@{}.example", name.to_lowercase().replace(' ', "."), person);
            upsert("persons", (*person).into(), json!({"display_name": name, "emails": [email]}));
        }
    }
    for (person, _, post, since, until, roles, capacity, _) in TENURES {
        upsert(
            "tenures",
            tenure_key(person, post),
            json!({"person_id": by(person),
            "post_id": by(post), "started_on": ago(*since), "ended_on": until.map(&ago),
            "buying_roles": roles, "capacity": capacity}),
        );
    }
    for (from, to, kind, strength) in RELATIONSHIPS {
        upsert(
            "relationships",
            format!("{from}-{kind}-{to}"),
            json!({"from_person_id": by(from),
            "to_person_id": by(to), "kind": kind, "strength": strength, "valid_from": ago(300)}),
        );
    }
    for (salesperson, stakeholder, role, _) in COVERAGE {
        upsert(
            "coverage",
            format!("{salesperson}-{stakeholder}"),
            json!({
            "salesperson_id": by(salesperson), "stakeholder_id": by(stakeholder), "role": role}),
        );
    }
    api.post("/v1/sync/batch", json!({"mode": "atomic", "operations": operations})).await?;

    // What was observed of each holder: one revision a few weeks into the tenure (the
    // Enterprise AE's and the new holders' crafting stays unknown where the list is empty).
    for (person, _, post, since, until, _, _, facets) in TENURES {
        if facets.is_empty() {
            continue;
        }
        let tenure = api.lookup("tenures", &tenure_key(person, post)).await?;
        let observed_days_ago = until.map_or(since / 2, |u| (since + u) / 2).max(1);
        let facets: Vec<Value> = facets
            .iter()
            .map(|(dimension, key, weight)| json!({"dimension": dimension, "key": key, "weight": weight}))
            .collect();
        api.post(
            &format!("/v1/tenures/{tenure}/crafting"),
            json!({"facets": facets, "effective_at": format!("{}T09:00:00Z", ago(observed_days_ago)),
                   "source": format!("Account review {}", ago(observed_days_ago)), "confidence": 0.8}),
        )
        .await?;
    }
    for (salesperson, stakeholder, _, days) in COVERAGE {
        let salesperson = api.lookup("persons", salesperson).await?;
        let stakeholder = api.lookup("persons", stakeholder).await?;
        for (i, days_ago) in days.iter().enumerate() {
            let kind = if i == 0 { "meeting" } else { "call" };
            api.post(
                "/v1/interactions",
                json!({"salesperson_id": salesperson,
                "stakeholder_id": stakeholder, "kind": kind,
                "occurred_at": format!("{}T10:00:00Z", ago(*days_ago))}),
            )
            .await?;
        }
    }
    for ((from_dimension, from_key), (to_dimension, to_key), weight) in AFFINITIES {
        api.post(
            "/v1/affinities",
            json!({"weight": weight,
            "from": {"dimension": from_dimension, "key": from_key},
            "to": {"dimension": to_dimension, "key": to_key}}),
        )
        .await?;
    }
    grow_lea(&api, &ago).await
}

/// Lea, the SDR, crafts toward the account executive post Carla holds: her self-report and her
/// manager Ines's observation on the example questionnaire (the observation becomes a crafting
/// revision), a development plan with two stretch crafts, Carla as her mentor, learning time
/// and an artifact, then a revision that moves her toward it.
async fn grow_lea(api: &Api<'_>, ago: &dyn Fn(i64) -> String) -> Result<(), Error> {
    let lea = api.lookup("persons", "lea-sdr").await?;
    let ines = api.lookup("persons", "ines").await?;
    let carla = api.lookup("persons", "carla").await?;
    let tenure = api.lookup("tenures", &tenure_key("lea-sdr", "northwind-sdr")).await?;
    let ae = api.lookup("posts", "northwind-ae-dach").await?;
    let instrument: Value =
        serde_json::from_str(include_str!("../docs/examples/crafting-check-in.json"))
            .map_err(Error::internal)?;
    let instrument = api.post("/v1/instruments", instrument).await?;
    let administer = format!(
        "/v1/instruments/{}/administrations",
        instrument["id"].as_str().unwrap_or_default()
    );
    let answers = |values: &[(&str, i64)]| -> Vec<Value> {
        values.iter().map(|(item, value)| json!({"item": item, "value": value})).collect()
    };
    api.post(
        &administer,
        json!({"tenure_id": tenure, "respondent": "self", "respondent_person_id": lea,
               "administered_at": format!("{}T16:00:00Z", ago(9)),
               "answers": answers(&[("q1", 4), ("q2", 2), ("q3", 4), ("q4", 3), ("q5", 5), ("q6", 4)])}),
    )
    .await?;
    let observed = api
        .post(
            &administer,
            json!({"tenure_id": tenure, "respondent": "manager", "respondent_person_id": ines,
                   "administered_at": format!("{}T16:00:00Z", ago(8)),
                   "answers": answers(&[("q1", 3), ("q2", 3), ("q3", 3), ("q4", 2), ("q5", 4), ("q6", 3)])}),
        )
        .await?;
    let observed = observed["id"].as_str().unwrap_or_default();
    api.post(&format!("/v1/administrations/{observed}/crafting-revision"), json!({})).await?;
    api.post(
        "/v1/development-plans",
        json!({"tenure_id": tenure, "target_post_id": ae, "title": "Toward account executive",
               "learning_hours_per_week": 3,
               "goals": [
                   {"dimension": "relational", "key": "customer_contact", "target_weight": 0.7,
                    "description": "Lead two client calls a month"},
                   {"dimension": "task", "key": "account_planning", "target_weight": 0.6,
                    "description": "Own the account plan for Globex Warehousing"}],
               "sought": [{"person_id": carla, "role": "mentor"}],
               "artifacts": [{"title": "Globex Warehousing account plan, first draft",
                              "link": "https://wiki.northwind.example/plans/globex-warehousing",
                              "date": ago(3)}],
               "check_ins": [{"date": ago(2), "notes": "Ran the Globex Warehousing call with Carla listening in."}],
               "external_refs": [{"source": SOURCE, "external_id": "lea-toward-ae"}]}),
    )
    .await?;
    api.post(
        &format!("/v1/tenures/{tenure}/crafting"),
        json!({"mode": "patch", "source": "One-on-one with Ines", "confidence": 0.8,
               "facets": [{"dimension": "relational", "key": "customer_contact", "weight": 0.6},
                          {"dimension": "task", "key": "account_planning", "weight": 0.5}]}),
    )
    .await?;
    Ok(())
}

/// What to print once the demo is loaded: the key and the URLs to open.
pub async fn welcome(base: &str, key: &str) -> Result<String, Error> {
    let api = Api { client: awc::Client::default(), base: base.trim_end_matches('/'), key };
    let acme = api.lookup("organizations", "acme").await?;
    let procurement = api.lookup("posts", "acme-head-of-procurement").await?;
    let nina = api.lookup("tenures", &tenure_key("nina", "acme-head-of-procurement")).await?;
    let dach = api.lookup("organizations", "northwind-dach").await?;
    let lea = api.lookup("persons", "lea-sdr").await?;
    let ae = api.lookup("posts", "northwind-ae-dach").await?;
    Ok(format!(
        "An admin key of the demo tenant (shown once):\n\n    {key}\n\n\
         Sales managers: open {base}/app/ and paste the key to sign in; Acme's coverage map is\n\
         {base}/app/accounts/{acme}\n\n\
         For the API, send it as `Authorization: Bearer <key>`; the README's \"Demo tour\" uses it:\n\n  \
         {base}/docs/                                  the API, interactive\n  \
         {base}/v1/coverage/overview                   accounts by coverage risk\n  \
         {base}/v1/accounts/{acme}/coverage   Acme's coverage report and alerts\n  \
         {base}/v1/posts/{procurement}/succession   Olga -> Nina in procurement\n  \
         {base}/v1/tenures/{nina}/diff   Nina's crafted job against the post\n  \
         {base}/v1/diffs?kind=succession&organization_id={acme}   bulk diffs (Accept: text/csv)\n  \
         {base}/v1/organizations/{dach}/team-profile   DACH's training needs\n  \
         {base}/v1/persons/{lea}/readiness?post_id={ae}   Lea toward account executive\n\n\
         Suggestions are a POST: curl -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n      \
         {base}/v1/accounts/{acme}/suggestions -d '{{}}'\n"
    ))
}

fn tenure_key(person: &str, post: &str) -> String {
    format!("{person}@{post}")
}

struct Api<'a> {
    client: awc::Client,
    base: &'a str,
    key: &'a str,
}

impl Api<'_> {
    async fn post(&self, path: &str, body: Value) -> Result<Value, Error> {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("Authorization", format!("Bearer {}", self.key)))
            .insert_header(("X-Jobcraft-Origin", SOURCE));
        let mut response =
            request.send_json(&body).await.map_err(|e| Error::internal(e.to_string()))?;
        let value: Value =
            response.json().limit(16 << 20).await.map_err(|e| Error::internal(e.to_string()))?;
        if !response.status().is_success() {
            return Err(Error::internal(format!(
                "demo: POST {path} answered {}: {value}",
                response.status()
            )));
        }
        Ok(value)
    }

    /// The id of the entity the demo knows by `external_id`.
    async fn lookup(&self, entity: &str, external_id: &str) -> Result<String, Error> {
        let path = format!("/v1/sync/{entity}/{SOURCE}/{external_id}");
        let mut response = self
            .client
            .get(format!("{}{path}", self.base))
            .insert_header(("Authorization", format!("Bearer {}", self.key)))
            .send()
            .await
            .map_err(|e| Error::internal(e.to_string()))?;
        let value: Value = response.json().await.map_err(|e| Error::internal(e.to_string()))?;
        value["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Error::internal(format!("demo: GET {path} answered {value}")))
    }
}
