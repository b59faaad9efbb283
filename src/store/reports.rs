//! An account's coverage report as the store reads it: the account loaded as of a time, the
//! report on it, what managers decided about its alerts, and warm paths to its uncovered.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use uuid::Uuid;

use crate::domain::account::{report, Report};
use crate::domain::alert::{track, Decided, Tracked};
use crate::domain::crafting::TimePoint;
use crate::domain::paths::{best_paths, Path};
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::accounts::{load, AccountData};
use crate::store::kept_accounts::KeptAccounts;
use crate::store::{alerts, organizations, persons, salespeople, views, DbConn};

/// An account's coverage report as of `now`, with the names its alerts mention and what
/// managers decided about its alerts.
pub struct Reported {
    pub data: AccountData,
    pub report: Report,
    pub decided: HashMap<Uuid, Decided>,
    /// The best warm path to each uncovered stakeholder someone on the team can reach, once
    /// `find_paths` ran.
    pub reachable: HashMap<Uuid, (Uuid, Path)>,
}

impl Reported {
    /// Its alerts, each with its life on `today`.
    pub fn tracked(&self, today: NaiveDate) -> Vec<Tracked<'_>> {
        track(self.data.root.id, &self.report.alerts, &self.decided, today)
    }
}

/// `kept`: the accounts kept between reports, for a report as of now (`at` is the request's
/// moment); `None` reads the account's rows.
pub fn reported(
    conn: &mut DbConn,
    tenant: TenantId,
    root: Uuid,
    at: TimePoint,
    kept: Option<&KeptAccounts>,
) -> Result<Reported, Error> {
    let now = at.as_of;
    let mut data = match kept {
        Some(kept) => kept.account(conn, tenant, root, now)?,
        None => load(conn, tenant, root, at)?,
    };
    // Organizations where departed stakeholders went and newcomers came from, for the alerts'
    // messages.
    let account = &data.account;
    let went = account.departures.iter().filter_map(|d| d.now_at.as_ref());
    let came = account.posts.iter().flat_map(|p| &p.holders).filter_map(|h| h.came_from.as_ref());
    let elsewhere: Vec<Uuid> = went.chain(came).map(|w| w.organization_id).collect();
    for organization in organizations::find_many(conn, tenant, &elsewhere)? {
        data.names.insert(organization.id, organization.name);
    }
    let report = report(&data.account, &data.settings, now);
    let decided = alerts::decided_as_known(conn, tenant, root, at.known_at)?;
    Ok(Reported { data, report, decided, reachable: HashMap::new() })
}

impl Reported {
    /// Finds the best warm path to each uncovered stakeholder (`reachable`), and names the
    /// people on them.
    pub fn find_paths(
        &mut self,
        conn: &mut DbConn,
        tenant: TenantId,
        today: NaiveDate,
    ) -> Result<(), Error> {
        self.reachable = reachable(conn, tenant, &self.data, &self.report, today)?;
        let unnamed: Vec<Uuid> = self
            .reachable
            .values()
            .flat_map(|(_, path)| path.hops.iter().map(|h| h.from))
            .filter(|p| !self.data.names.contains_key(p))
            .collect();
        self.data.names.extend(persons::display_names(conn, tenant, &unnamed)?);
        Ok(())
    }
}

/// How many uncovered stakeholders the report looks for warm paths to.
pub const REACHABLE_MAX: usize = 20;

/// The best warm path (its salesperson and the path) to each of the `REACHABLE_MAX` most
/// influential uncovered stakeholders, over one neighbourhood around all of them.
fn reachable(
    conn: &mut DbConn,
    tenant: TenantId,
    data: &AccountData,
    report: &Report,
    today: NaiveDate,
) -> Result<HashMap<Uuid, (Uuid, Path)>, Error> {
    let mut uncovered: Vec<Uuid> = data
        .account
        .posts
        .iter()
        .flat_map(|p| &p.holders)
        .map(|h| h.person_id)
        .filter(|p| report.coverage.get(p).is_none_or(Vec::is_empty))
        .collect();
    uncovered.sort();
    uncovered.dedup();
    // The most influential first, and only so many: a report is read in a glance, and each
    // stakeholder widens the neighbourhood read.
    let influence = |p: &Uuid| report.influence.get(p).map_or(0.0, |i| i.influence);
    uncovered.sort_by(|a, b| influence(b).total_cmp(&influence(a)).then(a.cmp(b)));
    uncovered.truncate(REACHABLE_MAX);
    if uncovered.is_empty() {
        return Ok(HashMap::new());
    }
    let team: HashSet<Uuid> =
        salespeople::salespeople(conn, tenant, today, None)?.into_keys().collect();
    let sources: Vec<Uuid> = team.iter().copied().collect();
    let near = views::paths::around(conn, tenant, &uncovered, &sources, today, &data.settings)?;
    let mut found = HashMap::new();
    for target in uncovered {
        let sources: HashSet<Uuid> = team.iter().copied().filter(|s| *s != target).collect();
        let best = best_paths(&near.ties, &near.barred, &sources, target)
            .into_iter()
            .max_by(|a, b| a.1.strength.total_cmp(&b.1.strength).then(b.0.cmp(&a.0)));
        if let Some(best) = best {
            found.insert(target, best);
        }
    }
    Ok(found)
}
