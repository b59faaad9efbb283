//! Walking the scope a page of groups at a time and turning each group's diffs into rows.

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{NaiveDateTime, NaiveTime};
use uuid::Uuid;

use super::{BulkDiffParams, DiffKind, DiffRow};
use crate::domain::crafting::TimePoint;
use crate::domain::diff::{diff, Change};
use crate::domain::facet::Dimension;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::crafting::{self, TenureHistory};
use crate::store::tenures::{self, Of};
use crate::store::views::names::{self, Names};
use crate::store::views::scopes::{self, ExportScope};
use crate::store::{now, Db};

/// Groups (tenures, or posts for successions) read per database round trip.
const GROUPS_PER_PAGE: usize = 500;

/// Position of a row: its group (tenure or post) and its index within the group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub(super) group: Uuid,
    pub(super) index: usize,
}

impl Position {
    /// Base64 of `{group}|{index}`: the cursor a client passes back.
    pub(super) fn encode(&self) -> String {
        let mut text = String::new();
        self.encode_into(&mut text);
        text
    }

    /// `encode`, appended to `out` from a buffer on the stack: no allocation a row of an export.
    pub(super) fn encode_into(&self, out: &mut String) {
        use std::io::Write;
        let mut raw = [0u8; 36 + 1 + 20];
        self.group.hyphenated().encode_lower(&mut raw[..36]);
        raw[36] = b'|';
        let mut rest = &mut raw[37..];
        // Twenty digits hold any usize.
        let _ = write!(rest, "{}", self.index);
        let left = rest.len();
        let length = raw.len() - left;
        URL_SAFE_NO_PAD.encode_string(&raw[..length], out);
    }

    /// A row's `cursor` field, as the client will pass it back.
    pub(super) fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }

    pub(super) fn decode(text: &str) -> Option<Position> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let (group, index) = raw.split_once('|')?;
        Some(Position { group: Uuid::parse_str(group).ok()?, index: index.parse().ok()? })
    }
}

/// The export's state between pages: only the position, so memory stays flat.
pub(super) struct Export {
    pub(super) tenant: TenantId,
    /// The API key exporting: its pages may come from a read replica (`store::replicas`).
    pub(super) key: Uuid,
    pub(super) scope: ExportScope,
    pub(super) after: Option<Position>,
    pub(super) done: bool,
    pub(super) rows: Rows,
}

/// What one page read from the database holds: its groups with what their rows are made of,
/// and the position before it (rows of the group there were sent already).
pub(super) struct PageData {
    groups: Groups,
    names: Names,
    after: Option<Position>,
}

enum Groups {
    /// Tenures and their histories, for formal and revision diffs.
    Tenures(Vec<TenureHistory>),
    /// Posts, with the histories of their holders, for successions.
    Posts(Vec<Uuid>, Vec<TenureHistory>),
}

/// Turns pages into rows, with no database: what that needs of the export, for the thread that
/// does it.
#[derive(Clone)]
pub(super) struct Rows {
    pub(super) params: BulkDiffParams,
    pub(super) until: NaiveDateTime,
    /// Labels by dimension, then key: found by a change's key as it is, without a copy of the
    /// key a row.
    pub(super) labels: HashMap<Dimension, HashMap<String, Arc<str>>>,
}

impl Export {
    /// The next page of rows; empty when the export is complete.
    pub(super) fn next_page(&mut self, db: &Db) -> Result<Vec<DiffRow>, Error> {
        while let Some(page) = self.read(db)? {
            let rows = self.rows.of(&page);
            if !rows.is_empty() {
                return Ok(rows);
            }
        }
        Ok(Vec::new())
    }

    /// The next page's data from the database; none when the export is complete.
    pub(super) fn read(&mut self, db: &Db) -> Result<Option<PageData>, Error> {
        if self.done {
            return Ok(None);
        }
        db.read_lagging(Some(self.key), |c| self.read_page(c)).map(Some)
    }

    fn read_page(&mut self, c: &mut crate::store::DbConn) -> Result<PageData, Error> {
        let from = self.after.map(|p| p.group);
        let (groups, names, last_group) = match self.rows.params.kind {
            DiffKind::Formal | DiffKind::Revision => {
                let page =
                    scopes::page_in_scope(c, self.tenant, &self.scope, from, GROUPS_PER_PAGE)?;
                let last = page.last().map(|t| t.id);
                let post_ids: Vec<Uuid> = page.iter().map(|t| t.post_id).collect();
                let person_ids: Vec<Uuid> = page.iter().map(|t| t.person_id).collect();
                let names = names::of(c, self.tenant, &post_ids, &person_ids)?;
                (Groups::Tenures(crafting::histories(c, self.tenant, page)?), names, last)
            }
            DiffKind::Succession => {
                let post_ids =
                    scopes::posts_in_scope(c, self.tenant, &self.scope, from, GROUPS_PER_PAGE)?;
                let last = post_ids.last().copied();
                let holders = tenures::of(c, self.tenant, Of::Posts(&post_ids))?;
                let person_ids: Vec<Uuid> = holders.iter().map(|t| t.person_id).collect();
                let names = names::of(c, self.tenant, &post_ids, &person_ids)?;
                let histories = crafting::histories(c, self.tenant, holders)?;
                (Groups::Posts(post_ids, histories), names, last)
            }
        };
        let page = PageData { groups, names, after: self.after };
        match last_group {
            Some(group) if last_group != from => {
                // A page holds whole groups: the next one starts after the last.
                self.after = Some(Position { group, index: usize::MAX });
            }
            _ => self.done = true,
        }
        Ok(page)
    }
}

impl Rows {
    /// The rows of a page, in order; of the group at the cursor (read again), only those after
    /// it.
    pub(super) fn of(&self, page: &PageData) -> Vec<DiffRow> {
        let mut out = PageRows { after: page.after, rows: Vec::new() };
        match &page.groups {
            Groups::Tenures(histories) => {
                for history in histories {
                    self.tenure_rows(history, &page.names, &mut out);
                }
            }
            Groups::Posts(post_ids, histories) => {
                for post in post_ids {
                    let succession: Vec<&TenureHistory> =
                        histories.iter().filter(|h| h.tenure.post_id == *post).collect();
                    self.succession_rows(*post, &succession, &page.names, &mut out);
                }
            }
        }
        out.rows
    }

    fn wanted(&self, change: &Change) -> bool {
        self.params.dimension.is_none_or(|d| d == change.dimension)
    }

    fn tenure_rows(&self, history: &TenureHistory, names: &Names, out: &mut PageRows) {
        let tenure = &history.tenure;
        let since = self.params.since.map(|m| m.0);
        let end = tenure.period.ended_on.map(crate::domain::calendar::just_before);
        let mut sides: Vec<Side> = Vec::new();
        match self.params.kind {
            DiffKind::Formal => {
                let as_of = end.map_or(self.until, |e| e.min(self.until));
                let running = tenure.period.started_on.and_time(NaiveTime::MIN) <= self.until
                    && since.is_none_or(|s| end.is_none_or(|e| e >= s));
                if running {
                    let at = TimePoint { as_of, known_at: self.until.max(now()) };
                    let (_, changes) = history.formal_diff_at(at);
                    sides.push(Side { from_at: at, to_at: at, revision_id: None, changes });
                }
            }
            DiffKind::Revision => {
                for revision in &history.crafting {
                    let effective = revision.effective_at;
                    if since.is_some_and(|s| effective < s) || effective > self.until {
                        continue;
                    }
                    let known_at = now();
                    let after_at = TimePoint { as_of: effective, known_at };
                    let before_at = TimePoint {
                        as_of: crate::domain::calendar::instant_before(effective),
                        known_at,
                    };
                    let job_before = history.job_at(before_at);
                    let job = history.job_at(after_at);
                    let changes = diff(&job_before.weights(), &job.weights(), &job.floors());
                    sides.push(Side {
                        from_at: before_at,
                        to_at: after_at,
                        revision_id: Some(revision.id),
                        changes,
                    });
                }
            }
            DiffKind::Succession => {}
        }
        let mut index = 0;
        for Side { from_at, to_at, revision_id, changes } in sides {
            for change in changes.into_iter().filter(|c| self.wanted(c)) {
                let position = Position { group: tenure.id, index };
                index += 1;
                out.push(position, || {
                    self.row(position, names, tenure, None, revision_id, from_at, to_at, change)
                });
            }
        }
    }

    fn succession_rows(
        &self,
        post: Uuid,
        succession: &[&TenureHistory],
        names: &Names,
        out: &mut PageRows,
    ) {
        let since = self.params.since.map(|m| m.0);
        let known_at = now();
        let mut index = 0;
        for pair in succession.windows(2) {
            let (before, after) = (pair[0], pair[1]);
            let handover_day =
                before.tenure.period.ended_on.map_or(after.tenure.period.started_on, |e| {
                    e.min(after.tenure.period.started_on)
                });
            let handover = handover_day.and_time(NaiveTime::MIN);
            if since.is_some_and(|s| handover < s) || handover > self.until {
                continue;
            }
            let from_at =
                TimePoint { as_of: crate::domain::calendar::instant_before(handover), known_at };
            let to_end = after.tenure.period.ended_on.map(crate::domain::calendar::just_before);
            let to_at =
                TimePoint { as_of: to_end.map_or(self.until, |e| e.min(self.until)), known_at };
            let job = after.job_at(to_at);
            let changes = diff(&before.job_at(from_at).weights(), &job.weights(), &job.floors());
            for change in changes.into_iter().filter(|c| self.wanted(c)) {
                let position = Position { group: post, index };
                index += 1;
                out.push(position, || {
                    self.row(
                        position,
                        names,
                        &after.tenure,
                        Some(&before.tenure),
                        None,
                        from_at,
                        to_at,
                        change,
                    )
                });
            }
        }
    }

    #[expect(clippy::too_many_arguments, reason = "one argument per column group of the row")]
    fn row(
        &self,
        position: Position,
        names: &Names,
        tenure: &tenures::Tenure,
        predecessor: Option<&tenures::Tenure>,
        revision_id: Option<Uuid>,
        from_at: TimePoint,
        to_at: TimePoint,
        change: Change,
    ) -> DiffRow {
        let organization_id = names.organization_of(tenure.post_id);
        DiffRow {
            kind: self.params.kind,
            organization_id,
            organization_name: names.organization(organization_id),
            post_id: tenure.post_id,
            post_title: names.post(tenure.post_id),
            tenure_id: tenure.id,
            person_id: tenure.person_id,
            person_name: names.person(tenure.person_id),
            from_tenure_id: predecessor.map(|t| t.id),
            from_person_id: predecessor.map(|t| t.person_id),
            from_person_name: predecessor.map(|t| names.person(t.person_id)),
            revision_id,
            from_time: from_at.as_of.and_utc(),
            to_time: to_at.as_of.and_utc(),
            dimension: change.dimension,
            label: self.labels.get(&change.dimension).and_then(|l| l.get(&change.key)).cloned(),
            key: change.key,
            op: change.op,
            before: change.before,
            after: change.after,
            guardrail: change.breached.then_some("breached"),
            cursor: position,
        }
    }
}

/// The rows of a page as they are made.
struct PageRows {
    /// The cursor the page was read after: rows of its group up to it were sent already.
    after: Option<Position>,
    rows: Vec<DiffRow>,
}

impl PageRows {
    /// Adds the row at `position`, made only if it was not sent already.
    fn push(&mut self, position: Position, row: impl FnOnce() -> DiffRow) {
        if self.after.is_none_or(|a| position.group != a.group || position.index > a.index) {
            self.rows.push(row());
        }
    }
}

/// The two sides of one diff of a tenure, and what changed between them.
struct Side {
    from_at: TimePoint,
    to_at: TimePoint,
    revision_id: Option<Uuid>,
    changes: Vec<Change>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_encodes_as_it_always_did_and_reads_back() {
        for (group, index) in
            [(Uuid::nil(), 0), (Uuid::from_u128(u128::MAX), usize::MAX), (Uuid::now_v7(), 12_345)]
        {
            let position = Position { group, index };
            let encoded = position.encode();
            assert_eq!(encoded, URL_SAFE_NO_PAD.encode(format!("{group}|{index}")), "as before");
            assert_eq!(Position::decode(&encoded), Some(position));
        }
    }
}
