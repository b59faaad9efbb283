//! The rows a generated tenant is made of: one builder per table, each adding a row to the
//! batch (the row types are in `tables`).

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::facet::{Dimension, Facet};
use crate::domain::vocabulary::DEFAULTS;
use crate::generate::tables::{
    CoverageRow, CraftingRow, InteractionRow, OrganizationRow, PersonRow, PostRevisionRow, PostRow,
    RelationshipRow, TenureRow,
};
use crate::generate::{Batch, FIRST_NAMES, INDUSTRIES, LAST_NAMES, REGIONS, SIZE_BANDS};
use crate::store::to_json;

impl Batch {
    pub(super) fn organization(
        &mut self,
        rng: &mut StdRng,
        name: &str,
        kind: &str,
        parent: Option<Uuid>,
    ) -> Uuid {
        let id = random_id(rng);
        let tags: Vec<&str> = ["iso14001", "b_corp", "iso27001"]
            .into_iter()
            .filter(|_| rng.gen_ratio(1, 4))
            .collect();
        self.organizations.push(OrganizationRow {
            tenant_id: self.tenant.clone(),
            id: id.to_string(),
            name: name.to_owned(),
            kind: kind.to_owned(),
            parent_id: parent.map(|p| p.to_string()),
            size_band: Some(SIZE_BANDS[rng.gen_range(0..SIZE_BANDS.len())].to_owned()),
            industry: Some(INDUSTRIES[rng.gen_range(0..INDUSTRIES.len())].to_owned()),
            region: Some(REGIONS[rng.gen_range(0..REGIONS.len())].to_owned()),
            tags: json_or_empty(&tags),
            version: 1,
            created_at: self.at,
            updated_at: self.at,
        });
        id
    }

    pub(super) fn person(&mut self, rng: &mut StdRng) -> Uuid {
        let id = random_id(rng);
        let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
        let email = format!(
            "{}.{}.{}@example.com",
            first.to_lowercase(),
            last.to_lowercase(),
            &id.simple().to_string()[..6]
        );
        self.persons.push(PersonRow {
            tenant_id: self.tenant.clone(),
            id: id.to_string(),
            display_name: format!("{first} {last}"),
            emails: json_or_empty(&[email]),
            phone: None,
            notes: None,
            version: 1,
            created_at: self.at,
            updated_at: self.at,
            erased_at: None,
        });
        id
    }

    pub(super) fn post(
        &mut self,
        rng: &mut StdRng,
        organization: Uuid,
        title: &str,
        function: Option<&str>,
        reports_to: Option<Uuid>,
        headcount: i32,
    ) -> Uuid {
        let id = random_id(rng);
        let established_on = self.days_ago(rng, 2500, 5000);
        self.posts.push(PostRow {
            tenant_id: self.tenant.clone(),
            id: id.to_string(),
            organization_id: organization.to_string(),
            title: title.to_owned(),
            function: function.map(str::to_owned),
            reports_to_post_id: reports_to.map(|p| p.to_string()),
            headcount,
            established_on: Some(established_on),
            abolished_on: None,
            version: 1,
            created_at: self.at,
            updated_at: self.at,
        });
        let mut facets = facets(
            rng,
            &[Dimension::Task, Dimension::Priority, Dimension::DecisionCriterion],
            5,
            4,
        );
        if let Some(task) = facets.iter_mut().find(|f| f.dimension == Dimension::Task) {
            task.core = true;
        }
        self.facets += facets.len() as u64;
        self.formal.clone_from(&facets);
        self.post_revisions.push(PostRevisionRow {
            tenant_id: self.tenant.clone(),
            id: random_id(rng).to_string(),
            post_id: id.to_string(),
            facets: json_or_empty(&facets),
            effective_at: established_on.and_hms_opt(0, 0, 0).unwrap_or_default(),
            recorded_at: self.at,
            recorded_by: Some("generator".to_owned()),
        });
        id
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn tenure(
        &mut self,
        rng: &mut StdRng,
        person: Uuid,
        post: Uuid,
        started_on: NaiveDate,
        ended_on: Option<NaiveDate>,
        buying_roles: Vec<&str>,
        capacity: Option<i32>,
    ) -> Uuid {
        let id = random_id(rng);
        self.tenures.push(TenureRow {
            tenant_id: self.tenant.clone(),
            id: id.to_string(),
            person_id: person.to_string(),
            post_id: post.to_string(),
            started_on,
            ended_on,
            buying_roles: json_or_empty(&buying_roles),
            capacity,
            version: 1,
            created_at: self.at,
            updated_at: self.at,
        });
        id
    }

    /// `count` revisions a few months apart from the start of the tenure, each observing
    /// three of the sales dimensions (and sometimes how the holder frames the job).
    pub(super) fn crafting(
        &mut self,
        rng: &mut StdRng,
        tenure: Uuid,
        started_on: NaiveDate,
        count: u32,
    ) {
        let mut effective = started_on.and_hms_opt(9, 0, 0).unwrap_or_default();
        for r in 0..count {
            effective += Duration::days(rng.gen_range(20..120));
            let mut dims = vec![
                Dimension::Priority,
                Dimension::DecisionCriterion,
                Dimension::PartnerPreference,
            ];
            if rng.gen_ratio(1, 3) {
                dims.push(Dimension::Cognitive);
            }
            let mut facets = facets(rng, &dims, 5, -3);
            // The holder reweighs one of the post's formal facets of these dimensions.
            let formal: Vec<&Facet> =
                self.formal.iter().filter(|f| dims.contains(&f.dimension)).collect();
            if let Some(formal) = formal.choose(rng) {
                if !facets.iter().any(|f| f.dimension == formal.dimension && f.key == formal.key) {
                    let weight = f64::from(rng.gen_range(-2..=10i8)) / 10.0;
                    facets.push(Facet { weight, core: false, floor: None, ..(*formal).clone() });
                }
            }
            let mut dimensions: Vec<Dimension> = facets.iter().map(|f| f.dimension).collect();
            dimensions.sort();
            dimensions.dedup();
            self.facets += facets.len() as u64;
            self.crafting_revisions.push(CraftingRow {
                tenant_id: self.tenant.clone(),
                id: random_id(rng).to_string(),
                tenure_id: tenure.to_string(),
                dimensions: json_or_empty(&dimensions),
                facets: json_or_empty(&facets),
                source: Some(format!("generated observation {}", r + 1)),
                confidence: f64::from(rng.gen_range(5..=10u8)) / 10.0,
                effective_at: effective.min(self.at),
                recorded_at: self.at,
                recorded_by_key_id: None,
                recorded_by: Some("generator".to_owned()),
            });
        }
    }

    pub(super) fn relationship(&mut self, rng: &mut StdRng, from: Uuid, to: Uuid) {
        const KINDS: [&str; 5] =
            ["influences", "advises", "allies_with", "blocks", "reports_informally_to"];
        self.relationships.push(RelationshipRow {
            tenant_id: self.tenant.clone(),
            id: random_id(rng).to_string(),
            from_person_id: from.to_string(),
            to_person_id: to.to_string(),
            kind: KINDS[rng.gen_range(0..KINDS.len())].to_owned(),
            strength: f64::from(rng.gen_range(2..=10u8)) / 10.0,
            valid_from: None,
            valid_until: None,
            notes: None,
            version: 1,
            created_at: self.at,
            updated_at: self.at,
        });
    }

    pub(super) fn coverage(&mut self, rng: &mut StdRng, salesperson: Uuid, stakeholder: Uuid) {
        self.coverage_links.push(CoverageRow {
            tenant_id: self.tenant.clone(),
            id: random_id(rng).to_string(),
            salesperson_id: salesperson.to_string(),
            stakeholder_id: stakeholder.to_string(),
            role: "primary".to_owned(),
            stated_strength: None,
            version: 1,
            created_at: self.at,
            updated_at: self.at,
        });
        for kind in ["meeting", "email"] {
            self.interactions.push(InteractionRow {
                tenant_id: self.tenant.clone(),
                id: random_id(rng).to_string(),
                salesperson_id: salesperson.to_string(),
                stakeholder_id: stakeholder.to_string(),
                kind: kind.to_owned(),
                occurred_at: self.at - Duration::days(rng.gen_range(1..365)),
                summary: None,
                created_at: self.at,
            });
        }
    }
}

pub(super) const BUYING_ROLES: [&str; 7] = [
    "decision_maker",
    "economic_buyer",
    "technical_buyer",
    "user",
    "champion",
    "gatekeeper",
    "influencer",
];

/// `count` facets over `dims` (each at least once), keys from the default vocabulary, no key
/// twice, weights from `lowest` tenths to 1 (formal facets positive, crafted ones mostly).
pub(super) fn facets(rng: &mut StdRng, dims: &[Dimension], count: usize, lowest: i8) -> Vec<Facet> {
    let mut chosen: Vec<Facet> = Vec::with_capacity(count);
    for i in 0..count.max(dims.len()) {
        let dimension = dims[if i < dims.len() { i } else { rng.gen_range(0..dims.len()) }];
        let keys: Vec<&str> = DEFAULTS
            .iter()
            .filter(|(d, key, _, _)| {
                *d == dimension && !chosen.iter().any(|f| f.dimension == dimension && f.key == *key)
            })
            .map(|(_, key, _, _)| *key)
            .collect();
        let Some(key) = keys.choose(rng) else { continue };
        let weight = f64::from(rng.gen_range(lowest..=10)) / 10.0;
        chosen.push(Facet {
            dimension,
            key: (*key).to_owned(),
            weight,
            note: None,
            core: false,
            floor: None,
        });
    }
    chosen
}

thread_local! {
    /// Milliseconds after `ID_EPOCH_MS` of the next generated id (`restart_ids`).
    static NEXT_ID_MS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// 2026-01-01T00:00:00Z: generated ids count their time from here.
const ID_EPOCH_MS: u64 = 1_767_225_600_000;

/// Generated ids start again from `ID_EPOCH_MS`: a seed makes the same ids in every run.
pub(super) fn restart_ids() {
    NEXT_ID_MS.with(|next| next.set(0));
}

/// A UUID v7, as the service makes, one millisecond after the previous generated id (so ids
/// are time-ordered in the order made), its random bits from `rng`.
pub(super) fn random_id(rng: &mut StdRng) -> Uuid {
    let ms = NEXT_ID_MS.with(|next| next.replace(next.get() + 1));
    let random: [u8; 10] = rng.gen();
    uuid::Builder::from_unix_timestamp_millis(ID_EPOCH_MS + ms, &random).into_uuid()
}

fn json_or_empty<T: Serialize>(value: &T) -> String {
    to_json(value).unwrap_or_else(|_| "[]".to_owned())
}
