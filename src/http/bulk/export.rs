//! Walking the scope a page of groups at a time and turning each group's diffs into rows.

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc};
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
use crate::store::views::scopes::{self, ExportScope, Stretch};
use crate::store::{now, Db, DbConn};

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
        Position::encode_group(self.group, &mut text);
        Position::encode_index(self.index, &mut text);
        text
    }

    /// The first 48 characters of the cursors of `group`'s rows. Its 36 characters are twelve
    /// whole groups of three bytes for base64, so the encoding of the rest (`encode_index`)
    /// follows it unchanged: a CSV export encodes a group's part once for all its rows.
    pub(super) fn encode_group(group: Uuid, out: &mut String) {
        let mut raw = [0u8; 36];
        group.hyphenated().encode_lower(&mut raw);
        URL_SAFE_NO_PAD.encode_string(raw, out);
    }

    /// The rest of a cursor after its group's part: `|{index}`.
    pub(super) fn encode_index(index: usize, out: &mut String) {
        use std::io::Write;
        let mut raw = [0u8; 1 + 20];
        raw[0] = b'|';
        let mut rest = &mut raw[1..];
        // Twenty digits hold any usize.
        let _ = write!(rest, "{index}");
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
    pub(super) scope: Arc<ExportScope>,
    pub(super) after: Option<Position>,
    pub(super) done: bool,
    pub(super) rows: Rows,
}

/// The stretch of the scope one page covers: from where the page before ended (or the cursor)
/// to the page's last group. Found first, so that the next page's stretch is found while this
/// one's groups and what their rows are made of are read, on one connection (`PageSpan::read`).
pub(super) struct PageSpan {
    tenant: TenantId,
    key: Uuid,
    kind: DiffKind,
    scope: Arc<ExportScope>,
    stretch: Stretch,
    /// The groups the stretch was found to hold.
    groups: Vec<Uuid>,
    after: Option<Position>,
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
    pub(super) labels: HashMap<Dimension, foldhash::HashMap<String, Arc<str>>>,
}

/// The columns every row of one diff shares: where, who, which revision, the times of its two
/// sides. A diff's rows are written from one of these, so a million-row CSV export formats
/// these columns once a diff, not once a row.
pub(super) struct Shared {
    pub(super) kind: DiffKind,
    pub(super) organization_id: Uuid,
    pub(super) organization_name: Arc<str>,
    pub(super) post_id: Uuid,
    pub(super) post_title: Arc<str>,
    pub(super) tenure_id: Uuid,
    pub(super) person_id: Uuid,
    pub(super) person_name: Arc<str>,
    /// In successions: the predecessor's tenure, person and name.
    pub(super) predecessor: Option<(Uuid, Uuid, Arc<str>)>,
    pub(super) revision_id: Option<Uuid>,
    pub(super) from_time: DateTime<Utc>,
    pub(super) to_time: DateTime<Utc>,
}

/// Where the rows of a page go: `DiffRow`s (JSON), or CSV text written as they come.
pub(super) trait Sink {
    /// The rows that follow, until the next call, are of this diff.
    fn diff(&mut self, shared: &Shared);
    /// One row: the diff's columns (`shared`, as last given to `diff`), then the change's.
    fn row(&mut self, shared: &Shared, change: Change, label: Option<&Arc<str>>, cursor: Position);
}

impl Sink for Vec<DiffRow> {
    fn diff(&mut self, _: &Shared) {}

    fn row(&mut self, shared: &Shared, change: Change, label: Option<&Arc<str>>, cursor: Position) {
        let predecessor = shared.predecessor.as_ref();
        self.push(DiffRow {
            kind: shared.kind,
            organization_id: shared.organization_id,
            organization_name: shared.organization_name.clone(),
            post_id: shared.post_id,
            post_title: shared.post_title.clone(),
            tenure_id: shared.tenure_id,
            person_id: shared.person_id,
            person_name: shared.person_name.clone(),
            from_tenure_id: predecessor.map(|p| p.0),
            from_person_id: predecessor.map(|p| p.1),
            from_person_name: predecessor.map(|p| p.2.clone()),
            revision_id: shared.revision_id,
            from_time: shared.from_time,
            to_time: shared.to_time,
            dimension: change.dimension,
            label: label.cloned(),
            key: change.key,
            op: change.op,
            before: change.before,
            after: change.after,
            guardrail: change.breached.then_some("breached"),
            cursor,
        });
    }
}

impl Export {
    /// The next page of rows; empty when the export is complete.
    pub(super) fn next_page(&mut self, db: &Db) -> Result<Vec<DiffRow>, Error> {
        while let Some(span) = self.span(db)? {
            let mut rows = Vec::new();
            self.rows.of(&span.read(db)?, &mut rows);
            if !rows.is_empty() {
                return Ok(rows);
            }
        }
        Ok(Vec::new())
    }

    /// The next page's stretch; none when the export is complete.
    pub(super) fn span(&mut self, db: &Db) -> Result<Option<PageSpan>, Error> {
        if self.done {
            return Ok(None);
        }
        let from = self.after.map(|p| p.group);
        let page = Stretch { from, to: None, limit: Some(GROUPS_PER_PAGE) };
        let (tenant, scope, kind) = (self.tenant, &*self.scope, self.rows.params.kind);
        let groups = db.read_lagging(Some(self.key), |c| match kind {
            DiffKind::Formal | DiffKind::Revision => {
                scopes::tenure_ids_in_scope(c, tenant, scope, page)
            }
            DiffKind::Succession => scopes::posts_in_scope(c, tenant, scope, page),
        })?;
        let last = groups.last().copied();
        let span = last.map(|to| PageSpan {
            tenant,
            key: self.key,
            kind,
            scope: Arc::clone(&self.scope),
            stretch: Stretch { from, to: Some(to), limit: None },
            groups,
            after: self.after,
        });
        match last {
            Some(group) if last != from => {
                // A page holds whole groups: the next one starts after the last.
                self.after = Some(Position { group, index: usize::MAX });
            }
            _ => self.done = true,
        }
        Ok(span)
    }
}

impl PageSpan {
    /// The page's groups and what their rows are made of, all from one server. A standby
    /// behind the server the stretch was found on may lack some of its groups, which no later
    /// stretch reads again: then the page is read again on the primary, which has every one
    /// (or knows it deleted).
    pub(super) fn read(self, db: &Db) -> Result<PageData, Error> {
        let page = db.read_lagging(Some(self.key), |c| self.read_on(c))?;
        if page.groups.hold(&self.groups) {
            return Ok(page);
        }
        db.read(|c| self.read_on(c))
    }

    /// The page's groups and what their rows are made of: names, and the histories of its
    /// tenures (of the holders of its posts, for successions).
    fn read_on(&self, c: &mut DbConn) -> Result<PageData, Error> {
        let (tenant, scope, stretch) = (self.tenant, &*self.scope, self.stretch);
        let (groups, names) = match self.kind {
            DiffKind::Formal | DiffKind::Revision => {
                let page = scopes::tenures_in_scope(c, tenant, scope, stretch)?;
                let post_ids: Vec<Uuid> = page.iter().map(|t| t.post_id).collect();
                let person_ids: Vec<Uuid> = page.iter().map(|t| t.person_id).collect();
                let names = names::of(c, tenant, &post_ids, &person_ids)?;
                let histories = match (scope, stretch.to) {
                    (ExportScope::Tenant, Some(to)) => {
                        crafting::histories_between(c, tenant, page, stretch.from, to)?
                    }
                    _ => crafting::histories(c, tenant, page)?,
                };
                (Groups::Tenures(histories), names)
            }
            DiffKind::Succession => {
                let post_ids = scopes::posts_in_scope(c, tenant, scope, stretch)?;
                let holders = tenures::of(c, tenant, Of::Posts(&post_ids))?;
                let person_ids: Vec<Uuid> = holders.iter().map(|t| t.person_id).collect();
                let names = names::of(c, tenant, &post_ids, &person_ids)?;
                let histories = crafting::histories(c, tenant, holders)?;
                (Groups::Posts(post_ids, histories), names)
            }
        };
        Ok(PageData { groups, names, after: self.after })
    }
}

impl Groups {
    /// Whether every one of `groups` is among the page's.
    fn hold(&self, groups: &[Uuid]) -> bool {
        let held: foldhash::HashSet<Uuid> = match self {
            Groups::Tenures(histories) => histories.iter().map(|h| h.tenure.id).collect(),
            Groups::Posts(post_ids, _) => post_ids.iter().copied().collect(),
        };
        groups.iter().all(|group| held.contains(group))
    }
}

impl Rows {
    /// The rows of a page, in order, into `out`; of the group at the cursor (read again), only
    /// those after it.
    pub(super) fn of(&self, page: &PageData, out: &mut impl Sink) {
        let mut out = PageRows { after: page.after, sink: out };
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
    }

    fn wanted(&self, change: &Change) -> bool {
        self.params.dimension.is_none_or(|d| d == change.dimension)
    }

    fn label(&self, change: &Change) -> Option<&Arc<str>> {
        self.labels.get(&change.dimension).and_then(|l| l.get(&change.key))
    }

    fn tenure_rows<S: Sink>(&self, history: &TenureHistory, names: &Names, out: &mut PageRows<S>) {
        let tenure = &history.tenure;
        let since = self.params.since.map(|m| m.0);
        let end = tenure.period.ended_on.map(crate::domain::calendar::just_before);
        let mut index = 0;
        match self.params.kind {
            DiffKind::Formal => {
                let as_of = end.map_or(self.until, |e| e.min(self.until));
                let running = tenure.period.started_on.and_time(NaiveTime::MIN) <= self.until
                    && since.is_none_or(|s| end.is_none_or(|e| e >= s));
                if running {
                    let at = TimePoint { as_of, known_at: self.until.max(now()) };
                    let (_, changes) = history.formal_diff_at(at);
                    let shared = self.shared(names, tenure, None, None, at, at);
                    self.diff_rows(shared, tenure.id, &mut index, changes, out);
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
                    let shared =
                        self.shared(names, tenure, None, Some(revision.id), before_at, after_at);
                    self.diff_rows(shared, tenure.id, &mut index, changes, out);
                }
            }
            DiffKind::Succession => {}
        }
    }

    fn succession_rows<S: Sink>(
        &self,
        post: Uuid,
        succession: &[&TenureHistory],
        names: &Names,
        out: &mut PageRows<S>,
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
            let shared =
                self.shared(names, &after.tenure, Some(&before.tenure), None, from_at, to_at);
            self.diff_rows(shared, post, &mut index, changes, out);
        }
    }

    /// The rows of one diff: its wanted changes, numbered on from `index` within `group`.
    fn diff_rows<S: Sink>(
        &self,
        shared: Shared,
        group: Uuid,
        index: &mut usize,
        changes: Vec<Change>,
        out: &mut PageRows<S>,
    ) {
        out.sink.diff(&shared);
        for change in changes.into_iter().filter(|c| self.wanted(c)) {
            let position = Position { group, index: *index };
            *index += 1;
            if out.wants(position) {
                let label = self.label(&change);
                out.sink.row(&shared, change, label, position);
            }
        }
    }

    fn shared(
        &self,
        names: &Names,
        tenure: &tenures::Tenure,
        predecessor: Option<&tenures::Tenure>,
        revision_id: Option<Uuid>,
        from_at: TimePoint,
        to_at: TimePoint,
    ) -> Shared {
        let organization_id = names.organization_of(tenure.post_id);
        Shared {
            kind: self.params.kind,
            organization_id,
            organization_name: names.organization(organization_id),
            post_id: tenure.post_id,
            post_title: names.post(tenure.post_id),
            tenure_id: tenure.id,
            person_id: tenure.person_id,
            person_name: names.person(tenure.person_id),
            predecessor: predecessor.map(|t| (t.id, t.person_id, names.person(t.person_id))),
            revision_id,
            from_time: from_at.as_of.and_utc(),
            to_time: to_at.as_of.and_utc(),
        }
    }
}

/// Where a page's rows go, past those sent already.
struct PageRows<'a, S> {
    /// The cursor the page was read after: rows of its group up to it were sent already.
    after: Option<Position>,
    sink: &'a mut S,
}

impl<S> PageRows<'_, S> {
    /// Whether the row at `position` is wanted: not sent already.
    fn wants(&self, position: Position) -> bool {
        self.after.is_none_or(|a| position.group != a.group || position.index > a.index)
    }
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
