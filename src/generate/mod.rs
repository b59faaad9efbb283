//! `jobcraft generate`: synthetic but plausible tenants at scale, written straight into the
//! database with multi-row inserts — no HTTP, no per-row checks — so a benchmark can start from
//! hundreds of thousands of persons and millions of facets in seconds. The same seed gives the
//! same data (ids included). Generated rows are a bulk load: they are not in the change feed.
//!
//! Each tenant: a seller with four regional units and its sales team (each salesperson with a
//! crafted job and a capacity); then accounts, each a client group with three subsidiaries,
//! a reporting tree of posts with formal facets, a current holder per post whose crafting
//! differs from the post, a predecessor on one post in four (a succession), buying roles on one
//! in five, relationships, and coverage of about a third of the stakeholders with interactions.

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::facet::Facet;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{
    coverage_links, crafting_revisions, interactions, organizations, persons, post_revisions,
    posts, relationships, tenures,
};
use crate::store::{api_keys, execute_natively, now, Db, DbConn, INSERT_CHUNK};

mod rows;
mod tables;

use rows::BUYING_ROLES;
use tables::{
    CoverageRow, CraftingRow, InteractionRow, OrganizationRow, PersonRow, PostRevisionRow, PostRow,
    RelationshipRow, TenureRow,
};

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub tenants: u32,
    pub accounts: u32,
    pub stakeholders_per_account: u32,
    pub salespeople: u32,
    pub revisions_per_tenure: u32,
    pub seed: u64,
}

/// What was generated, printed as JSON so scripts can pick ids and keys out of it.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub tenants: Vec<TenantReport>,
    pub rows: Rows,
    /// Facets in formal post revisions and crafting revisions together.
    pub facets: u64,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct TenantReport {
    pub id: Uuid,
    pub name: String,
    /// An admin key of the tenant (shown once).
    pub key: String,
    pub accounts: Vec<Uuid>,
    /// One stakeholder of the first account: a person, the post they hold (which had a
    /// predecessor), that tenure.
    pub sample: Sample,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sample {
    pub person: Uuid,
    pub post: Uuid,
    pub tenure: Uuid,
}

#[derive(Debug, Default, Serialize)]
pub struct Rows {
    pub organizations: u64,
    pub persons: u64,
    pub posts: u64,
    pub post_revisions: u64,
    pub tenures: u64,
    pub crafting_revisions: u64,
    pub relationships: u64,
    pub coverage_links: u64,
    pub interactions: u64,
}

pub fn generate(db: &Db, shape: Shape) -> Result<Report, Error> {
    let started = std::time::Instant::now();
    let mut rng = StdRng::seed_from_u64(shape.seed);
    rows::restart_ids();
    let mut report = Report::default();
    for t in 0..shape.tenants {
        let name = format!("generated-{}-{}", shape.seed, t + 1);
        let (tenant, key) = db.write(|c| {
            let tenant = api_keys::create_tenant(c, &name)?;
            let (_, key) = api_keys::create_key(c, tenant.id, "generator", &[Scope::Admin])?;
            Ok((tenant.id, key))
        })?;
        let mut batch = Batch::new(tenant);
        let team = batch.sales_team(&mut rng, shape);
        db.write(|c| batch.flush(c, &mut report))?;
        let mut accounts = Vec::new();
        let mut sample = None;
        for a in 0..shape.accounts {
            let (account, first) = batch.account(&mut rng, shape, a, &team);
            accounts.push(account);
            sample = sample.or(first);
            db.write(|c| batch.flush(c, &mut report))?;
        }
        let sample =
            sample.unwrap_or(Sample { person: team[0].0, post: team[0].1, tenure: team[0].2 });
        report.tenants.push(TenantReport { id: tenant.0, name, key, accounts, sample });
    }
    db.read(crate::store::statistics::refresh_all)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Rows of one tenant waiting to be inserted, table by table.
struct Batch {
    tenant: String,
    at: NaiveDateTime,
    today: NaiveDate,
    organizations: Vec<OrganizationRow>,
    persons: Vec<PersonRow>,
    posts: Vec<PostRow>,
    post_revisions: Vec<PostRevisionRow>,
    tenures: Vec<TenureRow>,
    crafting_revisions: Vec<CraftingRow>,
    relationships: Vec<RelationshipRow>,
    coverage_links: Vec<CoverageRow>,
    interactions: Vec<InteractionRow>,
    facets: u64,
    /// The formal facets of the post made last: its holders' crafting reweighs some of them.
    formal: Vec<Facet>,
}

/// A salesperson: person, post, tenure.
type Seller = (Uuid, Uuid, Uuid);

const REGIONS: [&str; 4] = ["dach", "nordics", "benelux", "iberia"];
const SIZE_BANDS: [&str; 3] = ["sme", "mid_market", "enterprise"];
const INDUSTRIES: [&str; 5] = ["insurance", "manufacturing", "retail", "logistics", "energy"];
const FIRST_NAMES: [&str; 16] = [
    "Nina", "Olga", "Peter", "Max", "Carla", "Jonas", "Aylin", "Lars", "Sofia", "Tomás", "Ines",
    "Henrik", "Mara", "Kenji", "Lea", "Omar",
];
const LAST_NAMES: [&str; 16] = [
    "Roth", "Berg", "Keller", "Novak", "Silva", "Lund", "Demir", "Weber", "Costa", "Jansen",
    "Moreau", "Haas", "Ferreira", "Sato", "Vogel", "Nilsen",
];
/// Titles of an account's posts by level of its reporting tree: chiefs, heads, the rest.
const TITLES: [&[&str]; 3] = [
    &["CEO", "CFO", "COO", "CIO", "Chief Procurement Officer"],
    &[
        "Head of Procurement",
        "Head of Claims",
        "Head of IT",
        "Head of Operations",
        "Head of Finance",
    ],
    &["Buyer", "Claims Manager", "IT Architect", "Operations Manager", "Controller", "Analyst"],
];
const FUNCTIONS: [&str; 5] = ["procurement", "claims", "it", "operations", "finance"];

/// Multi-row inserts of what `rows` holds, emptying it; the number of rows. (A macro: the
/// insert statement's type differs per table, and spelling its bounds out is worse.)
macro_rules! insert {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let mut inserted = 0u64;
        for chunk in $rows.chunks(INSERT_CHUNK) {
            inserted += execute_natively($conn, diesel::insert_into($table).values(chunk))? as u64;
        }
        $rows.clear();
        inserted
    }};
}

impl Batch {
    fn new(tenant: TenantId) -> Batch {
        Batch {
            tenant: tenant.to_string(),
            at: now(),
            today: Utc::now().date_naive(),
            organizations: Vec::new(),
            persons: Vec::new(),
            posts: Vec::new(),
            post_revisions: Vec::new(),
            tenures: Vec::new(),
            crafting_revisions: Vec::new(),
            relationships: Vec::new(),
            coverage_links: Vec::new(),
            interactions: Vec::new(),
            facets: 0,
            formal: Vec::new(),
        }
    }

    /// The seller, its four units and the sales team spread over them.
    fn sales_team(&mut self, rng: &mut StdRng, shape: Shape) -> Vec<Seller> {
        let seller = self.organization(rng, "Seller", "own", None);
        let units: Vec<Uuid> = REGIONS
            .iter()
            .map(|region| self.organization(rng, &format!("Seller {region}"), "own", Some(seller)))
            .collect();
        (0..shape.salespeople)
            .map(|i| {
                let unit = units[i as usize % units.len()];
                let post = self.post(rng, unit, "Account Executive", Some("sales"), None, 1);
                let person = self.person(rng);
                let started_on = self.days_ago(rng, 200, 2000);
                let tenure = self.tenure(rng, person, post, started_on, None, Vec::new(), Some(15));
                self.crafting(rng, tenure, started_on, shape.revisions_per_tenure);
                (person, post, tenure)
            })
            .collect()
    }

    /// One client group with three subsidiaries and `stakeholders_per_account` held posts.
    /// Returns the group and, for the first account, a stakeholder whose post had a predecessor.
    fn account(
        &mut self,
        rng: &mut StdRng,
        shape: Shape,
        index: u32,
        team: &[Seller],
    ) -> (Uuid, Option<Sample>) {
        let group = self.organization(rng, &format!("Client {}", index + 1), "client", None);
        let mut orgs = vec![group];
        for s in 0..3 {
            let name = format!("Client {} subsidiary {}", index + 1, s + 1);
            orgs.push(self.organization(rng, &name, "client", Some(group)));
        }
        let mut holders: Vec<Uuid> = Vec::new();
        let mut posts: Vec<Uuid> = Vec::new();
        let mut sample = None;
        for p in 0..shape.stakeholders_per_account as usize {
            // A tree: post p reports to post (p - 1) / 4, so chiefs, heads, then the rest.
            let level = match p {
                0 => 0,
                1..=4 => 1,
                _ => 2,
            };
            let titles = TITLES[level];
            let title = titles[rng.gen_range(0..titles.len())];
            let function = FUNCTIONS[rng.gen_range(0..FUNCTIONS.len())];
            let manager = (p > 0).then(|| posts[(p - 1) / 4]);
            let org = orgs[if level == 0 { 0 } else { rng.gen_range(0..orgs.len()) }];
            let post = self.post(rng, org, title, Some(function), manager, 1);
            posts.push(post);
            let started_on = self.days_ago(rng, 30, 1500);
            let had_predecessor = rng.gen_ratio(1, 4);
            if had_predecessor {
                let predecessor = self.person(rng);
                let since = started_on - Duration::days(rng.gen_range(400..2000));
                let until = started_on - Duration::days(1);
                let tenure =
                    self.tenure(rng, predecessor, post, since, Some(until), Vec::new(), None);
                self.crafting(rng, tenure, since, 1);
            }
            let person = self.person(rng);
            let roles = if rng.gen_ratio(1, 5) {
                vec![BUYING_ROLES[rng.gen_range(0..BUYING_ROLES.len())]]
            } else {
                Vec::new()
            };
            let tenure = self.tenure(rng, person, post, started_on, None, roles, None);
            self.crafting(rng, tenure, started_on, shape.revisions_per_tenure);
            if index == 0 && had_predecessor && sample.is_none() {
                sample = Some(Sample { person, post, tenure });
            }
            holders.push(person);
        }
        for _ in 0..holders.len() / 2 {
            let (Some(from), Some(to)) = (holders.choose(rng), holders.choose(rng)) else { break };
            if from != to {
                self.relationship(rng, *from, *to);
            }
        }
        if !team.is_empty() {
            for stakeholder in &holders {
                if !rng.gen_ratio(3, 10) {
                    continue;
                }
                let (salesperson, _, _) = team[rng.gen_range(0..team.len())];
                self.coverage(rng, salesperson, *stakeholder);
            }
        }
        (group, sample)
    }

    fn days_ago(&self, rng: &mut StdRng, min: i64, max: i64) -> NaiveDate {
        self.today - Duration::days(rng.gen_range(min..max))
    }

    /// Inserts what is waiting, parents before children, and counts it.
    fn flush(&mut self, conn: &mut DbConn, report: &mut Report) -> Result<(), Error> {
        let rows = &mut report.rows;
        rows.organizations += insert!(conn, organizations::table, self.organizations);
        rows.persons += insert!(conn, persons::table, self.persons);
        rows.posts += insert!(conn, posts::table, self.posts);
        rows.post_revisions += insert!(conn, post_revisions::table, self.post_revisions);
        rows.tenures += insert!(conn, tenures::table, self.tenures);
        rows.crafting_revisions +=
            insert!(conn, crafting_revisions::table, self.crafting_revisions);
        rows.relationships += insert!(conn, relationships::table, self.relationships);
        rows.coverage_links += insert!(conn, coverage_links::table, self.coverage_links);
        rows.interactions += insert!(conn, interactions::table, self.interactions);
        report.facets += std::mem::take(&mut self.facets);
        Ok(())
    }
}
