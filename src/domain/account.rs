//! An account (a client organization and its sub-organizations) as sales managers read it:
//! who holds which post, each stakeholder's influence, who covers them, and what needs action.
//!
//! Over 400 lines with its tests (the rules of the report, about 100 lines); the code alone is
//! under 400.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use uuid::Uuid;

use crate::domain::coverage::{BuyingRole, CoverageRole, CoverageSettings, RelationshipKind};
use crate::domain::influence::{influence, Influence};

/// Everything the report reads, loaded in one go.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub posts: Vec<AccountPost>,
    /// Tenures of the account's posts that ended, whose holders someone covers.
    pub departures: Vec<Departure>,
    /// Coverage links whose stakeholder holds or held an account post.
    pub links: Vec<Link>,
    /// Relationships valid today between persons holding account posts.
    pub relationships: Vec<Relationship>,
}

#[derive(Debug, Clone)]
pub struct AccountPost {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub reports_to: Option<Uuid>,
    pub headcount: u32,
    pub holders: Vec<Holder>,
}

#[derive(Debug, Clone)]
pub struct Holder {
    pub tenure_id: Uuid,
    pub person_id: Uuid,
    pub display_name: String,
    pub started_on: NaiveDate,
    pub buying_roles: Vec<BuyingRole>,
    pub crafting_recorded: bool,
    /// The post they held last outside the account, when they came from elsewhere.
    pub came_from: Option<Whereabouts>,
}

#[derive(Debug, Clone)]
pub struct Departure {
    pub tenure_id: Uuid,
    pub person_id: Uuid,
    pub post_id: Uuid,
    pub ended_on: NaiveDate,
    /// The buying roles they held in it.
    pub buying_roles: Vec<BuyingRole>,
    /// Where the person holds a post now, outside the account: a lead worth following.
    pub now_at: Option<Whereabouts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Whereabouts {
    pub organization_id: Uuid,
    pub post_id: Uuid,
    pub tenure_id: Uuid,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub id: Uuid,
    pub salesperson_id: Uuid,
    pub stakeholder_id: Uuid,
    pub role: CoverageRole,
    /// Stated strength, or derived from interactions.
    pub strength: f64,
    pub last_interaction_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone)]
pub struct Relationship {
    pub from_person_id: Uuid,
    pub to_person_id: Uuid,
    pub kind: RelationshipKind,
    pub strength: f64,
}

/// The influence of each current stakeholder of the account, by person.
pub fn influences(account: &Account, settings: &CoverageSettings) -> HashMap<Uuid, Influence> {
    let mut people: Vec<(Uuid, Vec<BuyingRole>)> = Vec::new();
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    for holder in account.posts.iter().flat_map(|p| &p.holders) {
        match index.get(&holder.person_id) {
            Some(i) => people[*i].1.extend(holder.buying_roles.iter().copied()),
            None => {
                index.insert(holder.person_id, people.len());
                people.push((holder.person_id, holder.buying_roles.clone()));
            }
        }
    }
    let mut edges: Vec<(usize, usize, f64)> = Vec::new();
    // Formal lines: every holder defers to the holders of the nearest held post above.
    let posts: HashMap<Uuid, &AccountPost> = account.posts.iter().map(|p| (p.id, p)).collect();
    for post in &account.posts {
        let mut above = post.reports_to;
        let mut steps = 0;
        let managers: &[Holder] = loop {
            match above.and_then(|id| posts.get(&id)) {
                Some(manager) if !manager.holders.is_empty() => break &manager.holders,
                Some(manager) if steps < posts.len() => {
                    above = manager.reports_to;
                    steps += 1;
                }
                _ => break &[],
            }
        };
        for holder in &post.holders {
            for manager in managers {
                edges.push((index[&holder.person_id], index[&manager.person_id], 1.0));
            }
        }
    }
    for r in &account.relationships {
        let (Some(from), Some(to)) = (index.get(&r.from_person_id), index.get(&r.to_person_id))
        else {
            continue;
        };
        for defers in r.kind.deference() {
            let (a, b) = if *defers { (*from, *to) } else { (*to, *from) };
            edges.push((a, b, r.strength));
        }
    }
    let factors: Vec<f64> = people.iter().map(|(_, roles)| settings.role_factor(roles)).collect();
    let result = influence(people.len(), &edges, &factors);
    people.into_iter().map(|(id, _)| id).zip(result).collect()
}

/// Account-level figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    pub stakeholders: usize,
    pub covered_stakeholders: usize,
    pub covered_share: f64,
    pub influence_covered: f64,
    pub decision_makers: usize,
    pub decision_makers_covered: usize,
    pub economic_buyers: usize,
    pub economic_buyers_covered: usize,
    /// Stakeholders with more than one strong thread.
    pub multi_threaded_stakeholders: usize,
    pub salespeople: usize,
    pub vacant_posts: usize,
    pub alerts: usize,
    /// 0 (safe) to 1: see `risk`.
    pub risk: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Alert {
    VacantPost {
        post_id: Uuid,
        organization_id: Uuid,
        open_seats: u32,
    },
    NewHolder {
        post_id: Uuid,
        tenure_id: Uuid,
        person_id: Uuid,
        started_on: NaiveDate,
    },
    CoveredPersonLeft {
        post_id: Uuid,
        tenure_id: Uuid,
        person_id: Uuid,
        ended_on: NaiveDate,
        salesperson_ids: Vec<Uuid>,
        now_at: Option<Whereabouts>,
    },
    UncoveredBuyingRole {
        post_id: Uuid,
        tenure_id: Uuid,
        person_id: Uuid,
        role: BuyingRole,
    },
    /// A buying role that was held and covered is held by nobody in the account now: the
    /// person who held it left (`champion_lost` when it is the champion).
    BuyingRoleLost {
        role: BuyingRole,
        post_id: Uuid,
        tenure_id: Uuid,
        person_id: Uuid,
        ended_on: NaiveDate,
        salesperson_ids: Vec<Uuid>,
    },
    /// Someone our salespeople already cover has arrived from elsewhere: a warm lead.
    KnownPersonArrived {
        post_id: Uuid,
        tenure_id: Uuid,
        person_id: Uuid,
        started_on: NaiveDate,
        came_from: Whereabouts,
        salesperson_ids: Vec<Uuid>,
        /// The strongest of their coverage links.
        strength: f64,
    },
    SingleThreadedAccount {
        salesperson_id: Uuid,
        stakeholders: usize,
    },
    StaleRelationship {
        coverage_id: Uuid,
        salesperson_id: Uuid,
        stakeholder_id: Uuid,
        last_interaction_at: Option<NaiveDateTime>,
    },
}

/// A name-based UUID (version 8, of SHA-256) of the account and an alert's key.
fn id_of(account: Uuid, key: &str) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("jobcraft alert {account}/{key}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

impl Alert {
    /// The type's name, as the API writes it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Alert::BuyingRoleLost { role: BuyingRole::Champion, .. } => "champion_lost",
            Alert::BuyingRoleLost { .. } => "buying_role_lost",
            Alert::CoveredPersonLeft { .. } => "covered_person_left",
            Alert::UncoveredBuyingRole { .. } => "uncovered_buying_role",
            Alert::KnownPersonArrived { .. } => "known_person_arrived",
            Alert::SingleThreadedAccount { .. } => "single_threaded_account",
            Alert::NewHolder { .. } => "new_holder",
            Alert::VacantPost { .. } => "vacant_post",
            Alert::StaleRelationship { .. } => "stale_relationship",
        }
    }

    /// What the alert is about: the same alert has the same key on every report.
    fn key(&self) -> String {
        let kind = self.type_name();
        match self {
            Alert::VacantPost { post_id, .. } => format!("{kind}/{post_id}"),
            Alert::NewHolder { tenure_id, .. }
            | Alert::CoveredPersonLeft { tenure_id, .. }
            | Alert::KnownPersonArrived { tenure_id, .. } => format!("{kind}/{tenure_id}"),
            Alert::UncoveredBuyingRole { tenure_id, role, .. }
            | Alert::BuyingRoleLost { tenure_id, role, .. } => {
                format!("{kind}/{tenure_id}/{}", crate::domain::coverage::enum_name(role))
            }
            Alert::SingleThreadedAccount { .. } => kind.to_owned(),
            Alert::StaleRelationship { coverage_id, .. } => format!("{kind}/{coverage_id}"),
        }
    }

    /// The alert's id in the account rooted at `account`: a name-based UUID (version 8, of
    /// SHA-256) of the account and the key, the same every time the report raises it.
    pub fn id(&self, account: Uuid) -> Uuid {
        id_of(account, &self.key())
    }

    /// The ids any alert about these tenures or coverage links has in the account rooted at
    /// `account`: what erasing a person looks for among managers' decisions (their notes may
    /// name the person).
    pub fn ids_about(account: Uuid, tenures: &[Uuid], links: &[Uuid]) -> Vec<Uuid> {
        let mut keys = Vec::new();
        for tenure in tenures {
            for kind in ["new_holder", "covered_person_left", "known_person_arrived"] {
                keys.push(format!("{kind}/{tenure}"));
            }
            for role in BuyingRole::ALL {
                let role = crate::domain::coverage::enum_name(&role);
                for kind in ["uncovered_buying_role", "buying_role_lost", "champion_lost"] {
                    keys.push(format!("{kind}/{tenure}/{role}"));
                }
            }
        }
        keys.extend(links.iter().map(|link| format!("stale_relationship/{link}")));
        keys.iter().map(|key| id_of(account, key)).collect()
    }

    /// The facts the alert states beyond its key: when they change, a decided alert is open
    /// again.
    pub fn condition(&self) -> String {
        let ids = |ids: &[Uuid]| {
            let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            ids.sort();
            ids.join(",")
        };
        match self {
            Alert::VacantPost { open_seats, .. } => format!("open seats {open_seats}"),
            Alert::CoveredPersonLeft { salesperson_ids, now_at, .. } => format!(
                "covered by {}; now at {}",
                ids(salesperson_ids),
                now_at.as_ref().map_or_else(String::new, |w| w.tenure_id.to_string())
            ),
            Alert::BuyingRoleLost { salesperson_ids, .. }
            | Alert::KnownPersonArrived { salesperson_ids, .. } => {
                format!("covered by {}", ids(salesperson_ids))
            }
            Alert::SingleThreadedAccount { salesperson_id, .. } => {
                format!("through {salesperson_id}")
            }
            Alert::StaleRelationship { last_interaction_at, .. } => format!(
                "last {}",
                last_interaction_at.map_or_else(String::new, |at| at.to_string())
            ),
            Alert::NewHolder { .. } | Alert::UncoveredBuyingRole { .. } => String::new(),
        }
    }

    /// Lower is more urgent; alerts are listed in this order.
    pub fn urgency(&self) -> u8 {
        match self {
            Alert::BuyingRoleLost { .. } => 0,
            Alert::CoveredPersonLeft { .. } => 1,
            Alert::UncoveredBuyingRole { .. } => 2,
            Alert::KnownPersonArrived { .. } => 3,
            Alert::SingleThreadedAccount { .. } => 4,
            Alert::NewHolder { .. } => 5,
            Alert::VacantPost { .. } => 6,
            Alert::StaleRelationship { .. } => 7,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub influence: HashMap<Uuid, Influence>,
    /// Links of current stakeholders, by stakeholder.
    pub coverage: HashMap<Uuid, Vec<Link>>,
    pub metrics: Metrics,
    pub alerts: Vec<Alert>,
}

pub fn report(account: &Account, settings: &CoverageSettings, now: NaiveDateTime) -> Report {
    let today = now.date();
    let influence = influences(account, settings);
    let holders: Vec<(&AccountPost, &Holder)> =
        account.posts.iter().flat_map(|p| p.holders.iter().map(move |h| (p, h))).collect();
    let stakeholders: HashSet<Uuid> = holders.iter().map(|(_, h)| h.person_id).collect();
    let mut coverage: HashMap<Uuid, Vec<Link>> = HashMap::new();
    for link in account.links.iter().filter(|l| stakeholders.contains(&l.stakeholder_id)) {
        coverage.entry(link.stakeholder_id).or_default().push(link.clone());
    }
    let covered = |person: &Uuid| coverage.get(person).is_some_and(|links| !links.is_empty());

    let mut metrics = Metrics { stakeholders: stakeholders.len(), ..Metrics::default() };
    metrics.covered_stakeholders = stakeholders.iter().filter(|p| covered(p)).count();
    metrics.covered_share = share(metrics.covered_stakeholders, metrics.stakeholders);
    metrics.influence_covered =
        influence.iter().filter(|(p, _)| covered(p)).map(|(_, i)| i.influence).sum();
    let with_role = |role: BuyingRole| -> HashSet<Uuid> {
        holders
            .iter()
            .filter(|(_, h)| h.buying_roles.contains(&role))
            .map(|(_, h)| h.person_id)
            .collect()
    };
    let decision_makers = with_role(BuyingRole::DecisionMaker);
    let economic_buyers = with_role(BuyingRole::EconomicBuyer);
    metrics.decision_makers = decision_makers.len();
    metrics.decision_makers_covered = decision_makers.iter().filter(|p| covered(p)).count();
    metrics.economic_buyers = economic_buyers.len();
    metrics.economic_buyers_covered = economic_buyers.iter().filter(|p| covered(p)).count();
    metrics.multi_threaded_stakeholders = coverage
        .values()
        .filter(|links| links.iter().filter(|l| l.strength >= settings.strong_thread).count() > 1)
        .count();
    let salespeople: HashSet<Uuid> =
        coverage.values().flatten().map(|l| l.salesperson_id).collect();
    metrics.salespeople = salespeople.len();

    let mut alerts = Vec::new();
    for post in &account.posts {
        let open = post.headcount.saturating_sub(post.holders.len() as u32);
        if open > 0 {
            metrics.vacant_posts += 1;
            alerts.push(Alert::VacantPost {
                post_id: post.id,
                organization_id: post.organization_id,
                open_seats: open,
            });
        }
        for holder in &post.holders {
            let age = (today - holder.started_on).num_days();
            if age < settings.new_holder_days && !holder.crafting_recorded {
                alerts.push(Alert::NewHolder {
                    post_id: post.id,
                    tenure_id: holder.tenure_id,
                    person_id: holder.person_id,
                    started_on: holder.started_on,
                });
            }
            if let (true, Some(came_from)) = (age < settings.new_holder_days, &holder.came_from) {
                let links = coverage.get(&holder.person_id).map(Vec::as_slice).unwrap_or(&[]);
                if !links.is_empty() {
                    alerts.push(Alert::KnownPersonArrived {
                        post_id: post.id,
                        tenure_id: holder.tenure_id,
                        person_id: holder.person_id,
                        started_on: holder.started_on,
                        came_from: came_from.clone(),
                        salesperson_ids: links.iter().map(|l| l.salesperson_id).collect(),
                        strength: links.iter().map(|l| l.strength).fold(0.0, f64::max),
                    });
                }
            }
            if !covered(&holder.person_id) {
                let mut roles = holder.buying_roles.clone();
                roles.sort();
                roles.dedup();
                for role in roles {
                    alerts.push(Alert::UncoveredBuyingRole {
                        post_id: post.id,
                        tenure_id: holder.tenure_id,
                        person_id: holder.person_id,
                        role,
                    });
                }
            }
        }
    }
    let posts: HashMap<Uuid, &AccountPost> = account.posts.iter().map(|p| (p.id, p)).collect();
    let held_roles: HashSet<BuyingRole> =
        holders.iter().flat_map(|(_, h)| h.buying_roles.iter().copied()).collect();
    for departure in account.departures.iter().filter(|d| !stakeholders.contains(&d.person_id)) {
        let salesperson_ids: Vec<Uuid> = account
            .links
            .iter()
            .filter(|l| l.stakeholder_id == departure.person_id)
            .map(|l| l.salesperson_id)
            .collect();
        if salesperson_ids.is_empty() {
            continue;
        }
        let post_now_covered = posts
            .get(&departure.post_id)
            .is_some_and(|p| p.holders.iter().any(|h| covered(&h.person_id)));
        let mut roles = departure.buying_roles.clone();
        roles.sort();
        roles.dedup();
        for role in roles.into_iter().filter(|r| !held_roles.contains(r)) {
            alerts.push(Alert::BuyingRoleLost {
                role,
                post_id: departure.post_id,
                tenure_id: departure.tenure_id,
                person_id: departure.person_id,
                ended_on: departure.ended_on,
                salesperson_ids: salesperson_ids.clone(),
            });
        }
        // Once the post they left is covered again through its new holder, the departure
        // needs no action: the alert clears.
        if post_now_covered {
            continue;
        }
        alerts.push(Alert::CoveredPersonLeft {
            post_id: departure.post_id,
            tenure_id: departure.tenure_id,
            person_id: departure.person_id,
            ended_on: departure.ended_on,
            salesperson_ids,
            now_at: departure.now_at.clone(),
        });
    }
    if salespeople.len() == 1 {
        let salesperson_id = *salespeople.iter().next().unwrap_or(&Uuid::nil());
        alerts.push(Alert::SingleThreadedAccount {
            salesperson_id,
            stakeholders: metrics.covered_stakeholders,
        });
    }
    let stale_after = chrono::Duration::days(settings.stale_after_days);
    let mut stale = 0;
    // The stalest first (never met before met long ago), then by link: the same order on every
    // call, whatever the map's.
    let mut links: Vec<&Link> = coverage.values().flatten().collect();
    links.sort_by_key(|l| (l.last_interaction_at, l.id));
    for link in links {
        if link.last_interaction_at.is_none_or(|at| now - at > stale_after) {
            stale += 1;
            alerts.push(Alert::StaleRelationship {
                coverage_id: link.id,
                salesperson_id: link.salesperson_id,
                stakeholder_id: link.stakeholder_id,
                last_interaction_at: link.last_interaction_at,
            });
        }
    }
    alerts.sort_by_key(Alert::urgency);
    metrics.alerts = alerts.len();
    let key_roles = metrics.decision_makers + metrics.economic_buyers;
    let key_roles_covered = metrics.decision_makers_covered + metrics.economic_buyers_covered;
    let links = coverage.values().map(Vec::len).sum::<usize>();
    metrics.risk = risk(
        metrics.stakeholders,
        metrics.influence_covered,
        1.0 - share(key_roles_covered, key_roles).max(if key_roles == 0 { 1.0 } else { 0.0 }),
        metrics.salespeople == 1,
        share(stale, links),
    );
    Report { influence, coverage, metrics, alerts }
}

/// risk = 0.5 × influence not covered + 0.2 × decision makers and economic buyers not
/// covered + 0.2 if all coverage runs through one salesperson + 0.1 × share of stale links.
/// An account without stakeholders carries no risk.
fn risk(
    stakeholders: usize,
    influence_covered: f64,
    key_roles_uncovered: f64,
    single_threaded: bool,
    stale_share: f64,
) -> f64 {
    if stakeholders == 0 {
        return 0.0;
    }
    let single = if single_threaded { 1.0 } else { 0.0 };
    (0.5 * (1.0 - influence_covered) + 0.2 * key_roles_uncovered + 0.2 * single + 0.1 * stale_share)
        .clamp(0.0, 1.0)
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erasure_finds_every_alert_about_a_persons_tenures_and_links() {
        let (account, post, tenure, person, link) = (id(1), id(2), id(3), id(4), id(5));
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let place = Whereabouts { organization_id: id(6), post_id: id(7), tenure_id: id(8) };
        let mut about = vec![
            Alert::NewHolder {
                post_id: post,
                tenure_id: tenure,
                person_id: person,
                started_on: day,
            },
            Alert::CoveredPersonLeft {
                post_id: post,
                tenure_id: tenure,
                person_id: person,
                ended_on: day,
                salesperson_ids: vec![],
                now_at: None,
            },
            Alert::KnownPersonArrived {
                post_id: post,
                tenure_id: tenure,
                person_id: person,
                started_on: day,
                came_from: place,
                salesperson_ids: vec![],
                strength: 0.5,
            },
            Alert::StaleRelationship {
                coverage_id: link,
                salesperson_id: id(9),
                stakeholder_id: person,
                last_interaction_at: None,
            },
        ];
        for role in BuyingRole::ALL {
            about.push(Alert::UncoveredBuyingRole {
                post_id: post,
                tenure_id: tenure,
                person_id: person,
                role,
            });
            about.push(Alert::BuyingRoleLost {
                role,
                post_id: post,
                tenure_id: tenure,
                person_id: person,
                ended_on: day,
                salesperson_ids: vec![],
            });
        }
        let ids = Alert::ids_about(account, &[tenure], &[link]);
        for alert in &about {
            assert!(ids.contains(&alert.id(account)), "{alert:?}");
        }
        let vacant = Alert::VacantPost { post_id: post, organization_id: id(6), open_seats: 1 };
        assert!(!ids.contains(&vacant.id(account)));
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn holder(person: u128, roles: &[BuyingRole]) -> Holder {
        Holder {
            tenure_id: id(person + 1000),
            person_id: id(person),
            display_name: format!("p{person}"),
            started_on: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            buying_roles: roles.to_vec(),
            crafting_recorded: true,
            came_from: None,
        }
    }

    fn post(n: u128, reports_to: Option<u128>, holders: Vec<Holder>) -> AccountPost {
        AccountPost {
            id: id(n),
            organization_id: id(1),
            title: format!("post {n}"),
            reports_to: reports_to.map(id),
            headcount: 1,
            holders,
        }
    }

    fn link(salesperson: u128, stakeholder: u128) -> Link {
        Link {
            id: id(salesperson * 100 + stakeholder),
            salesperson_id: id(salesperson),
            stakeholder_id: id(stakeholder),
            role: CoverageRole::Primary,
            strength: 0.8,
            last_interaction_at: None,
        }
    }

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap().and_hms_opt(12, 0, 0).unwrap()
    }

    #[test]
    fn the_report_counts_coverage_and_raises_alerts() {
        let account = Account {
            posts: vec![
                post(10, None, vec![holder(1, &[BuyingRole::DecisionMaker])]),
                post(11, Some(10), vec![holder(2, &[BuyingRole::EconomicBuyer])]),
                post(12, Some(10), vec![]),
            ],
            departures: vec![Departure {
                tenure_id: id(77),
                person_id: id(3),
                post_id: id(12),
                ended_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                buying_roles: vec![],
                now_at: None,
            }],
            links: vec![link(50, 1), link(50, 3)],
            relationships: vec![],
        };
        let report = report(&account, &CoverageSettings::default(), now());
        let m = &report.metrics;
        assert_eq!((m.stakeholders, m.covered_stakeholders, m.vacant_posts), (2, 1, 1));
        assert_eq!((m.decision_makers_covered, m.economic_buyers_covered), (1, 0));
        // The boss everyone reports to, and a decision maker: most of the influence.
        assert!(m.influence_covered > 0.6 && m.influence_covered < 1.0);
        let kinds: Vec<u8> = report.alerts.iter().map(Alert::urgency).collect();
        assert_eq!(kinds, vec![1, 2, 4, 6, 7]);
        assert!(matches!(
            &report.alerts[0],
            Alert::CoveredPersonLeft { person_id, .. } if *person_id == id(3)
        ));
        assert!(m.risk > 0.0 && m.risk < 1.0);
    }

    #[test]
    fn stale_relationships_are_listed_stalest_first_then_by_link() {
        let holders = (1..=6).map(|p| holder(p, &[])).collect();
        let met = |days: i64| Some(now() - chrono::Duration::days(days));
        let mut links: Vec<Link> = (1..=6).map(|p| link(50, p)).collect();
        for (link, last) in links.iter_mut().zip([met(200), None, met(400), met(1), met(400), None])
        {
            link.last_interaction_at = last;
        }
        let account = Account { posts: vec![post(10, None, holders)], links, ..Account::default() };
        let stale: Vec<Uuid> = report(&account, &CoverageSettings::default(), now())
            .alerts
            .iter()
            .filter_map(|a| match a {
                Alert::StaleRelationship { stakeholder_id, .. } => Some(*stakeholder_id),
                _ => None,
            })
            .collect();
        assert_eq!(stale, vec![id(2), id(6), id(3), id(5), id(1)]);
    }

    #[test]
    fn an_empty_account_is_a_valid_empty_report() {
        let report = report(&Account::default(), &CoverageSettings::default(), now());
        assert_eq!(report.metrics, Metrics::default());
        assert!(report.alerts.is_empty());
    }

    #[test]
    fn relationships_shift_influence_towards_whom_others_defer_to() {
        let mut account = Account {
            posts: vec![post(10, None, vec![holder(1, &[])]), post(11, None, vec![holder(2, &[])])],
            ..Account::default()
        };
        let even = influences(&account, &CoverageSettings::default());
        assert!((even[&id(1)].influence - even[&id(2)].influence).abs() < 1e-9);
        account.relationships.push(Relationship {
            from_person_id: id(1),
            to_person_id: id(2),
            kind: RelationshipKind::Advises,
            strength: 1.0,
        });
        let advised = influences(&account, &CoverageSettings::default());
        assert!(advised[&id(1)].influence > advised[&id(2)].influence);
    }

    #[test]
    fn losing_the_only_champion_is_an_alert_of_its_own() {
        let champion_left = Departure {
            tenure_id: id(77),
            person_id: id(3),
            post_id: id(11),
            ended_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            buying_roles: vec![BuyingRole::Champion],
            now_at: None,
        };
        let mut account = Account {
            posts: vec![post(10, None, vec![holder(1, &[])]), post(11, Some(10), vec![])],
            departures: vec![champion_left],
            links: vec![link(50, 1), link(50, 3)],
            relationships: vec![],
        };
        let lost = |account: &Account| -> Vec<BuyingRole> {
            report(account, &CoverageSettings::default(), now())
                .alerts
                .iter()
                .filter_map(|a| match a {
                    Alert::BuyingRoleLost { role, salesperson_ids, .. } => {
                        assert_eq!(salesperson_ids, &vec![id(50)]);
                        Some(*role)
                    }
                    _ => None,
                })
                .collect()
        };
        assert_eq!(lost(&account), vec![BuyingRole::Champion]);
        assert_eq!(report(&account, &CoverageSettings::default(), now()).alerts[0].urgency(), 0);
        // Someone else in the account is a champion: the role is still held.
        account.posts[0].holders[0].buying_roles.push(BuyingRole::Champion);
        assert!(lost(&account).is_empty());
        // Nobody covered the one who left: nothing we had is lost.
        account.posts[0].holders[0].buying_roles.clear();
        account.links.retain(|l| l.stakeholder_id != id(3));
        assert!(lost(&account).is_empty());
    }

    #[test]
    fn someone_we_cover_arriving_from_elsewhere_is_a_warm_lead() {
        let mut newcomer = holder(2, &[]);
        newcomer.started_on = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let elsewhere =
            Whereabouts { organization_id: id(900), post_id: id(901), tenure_id: id(902) };
        newcomer.came_from = Some(elsewhere.clone());
        let account = Account {
            posts: vec![post(10, None, vec![holder(1, &[])]), post(11, Some(10), vec![newcomer])],
            links: vec![link(50, 2)],
            ..Account::default()
        };
        let report = report(&account, &CoverageSettings::default(), now());
        let arrived: Vec<&Alert> = report
            .alerts
            .iter()
            .filter(|a| matches!(a, Alert::KnownPersonArrived { .. }))
            .collect();
        assert_eq!(arrived.len(), 1);
        assert!(matches!(
            arrived[0],
            Alert::KnownPersonArrived { person_id, came_from, salesperson_ids, strength, .. }
                if *person_id == id(2) && *came_from == elsewhere
                    && *salesperson_ids == vec![id(50)] && *strength == 0.8
        ));
        // Long in the post, they are no news.
        let mut settled = account.clone();
        settled.posts[1].holders[0].started_on = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let later = super::report(&settled, &CoverageSettings::default(), now());
        assert!(!later.alerts.iter().any(|a| matches!(a, Alert::KnownPersonArrived { .. })));
    }
}
