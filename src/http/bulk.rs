//! `GET /v1/diffs`: crafted-job diffs in bulk, one change per row, for analysts. Streams
//! NDJSON or CSV in constant memory (a page of tenures at a time), resumable by cursor.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::api_key::Scope as KeyScope;
use crate::domain::crafting::TimePoint;
use crate::domain::diff::{diff, Change, Op};
use crate::domain::facet::{dimension_name, Dimension};
use crate::error::{Error, FieldError};
use crate::http::extract::Query;
use crate::http::moment::Moment;
use crate::http::pagination::Page;
use crate::http::read;
use crate::store::api_keys::Principal;
use crate::store::crafting::{self, TenureHistory};
use crate::store::tenures::{self, Scope};
use crate::store::{now, organizations, persons, posts, vocabulary, Db};

/// Groups (tenures, or posts for successions) read per database round trip.
const GROUPS_PER_PAGE: usize = 500;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_diffs);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// Each tenure's formal post against its effective crafted job (at `until`, or its end).
    Formal,
    /// Each crafting revision against the crafted job just before it.
    Revision,
    /// Each handover of a post: predecessor's crafted job at the end against the successor's.
    Succession,
}

/// What to export.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BulkDiffParams {
    /// `formal`, `revision` or `succession`.
    pub kind: DiffKind,
    /// Only this organization and its sub-organizations.
    pub organization_id: Option<Uuid>,
    /// Only this person's career.
    pub person_id: Option<Uuid>,
    /// From this time (RFC 3339 or a date): revisions effective, handovers, tenures running.
    #[param(value_type = Option<String>)]
    pub since: Option<Moment>,
    /// Up to this time (default now).
    #[param(value_type = Option<String>)]
    pub until: Option<Moment>,
    /// Only changes of this dimension.
    pub dimension: Option<Dimension>,
    /// Resume after the row with this `cursor`.
    pub cursor: Option<String>,
    /// Rows at most: for JSON pages 1 to 500 (default 50); unlimited when streaming by default.
    pub limit: Option<u32>,
}

/// One change with its context.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiffRow {
    pub kind: DiffKind,
    pub organization_id: Uuid,
    pub post_id: Uuid,
    /// The tenure whose crafted job is the `to` side.
    pub tenure_id: Uuid,
    pub person_id: Uuid,
    /// In successions: the predecessor's tenure and person.
    pub from_tenure_id: Option<Uuid>,
    pub from_person_id: Option<Uuid>,
    /// In revision diffs: the revision.
    pub revision_id: Option<Uuid>,
    /// The `as_of` times of both sides.
    pub from_time: DateTime<Utc>,
    pub to_time: DateTime<Utc>,
    pub dimension: Dimension,
    pub key: String,
    pub label: Option<String>,
    pub op: Op,
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// `breached` when `after` takes a core facet below its floor.
    pub guardrail: Option<String>,
    /// Pass as `cursor` to resume after this row.
    pub cursor: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Json,
    Ndjson,
    Csv,
}

fn format_of(req: &HttpRequest) -> Format {
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.contains("application/x-ndjson") {
        Format::Ndjson
    } else if accept.contains("text/csv") {
        Format::Csv
    } else {
        Format::Json
    }
}

/// Position of a row: its group (tenure or post) and its index within the group.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Position {
    group: Uuid,
    index: usize,
}

impl Position {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.group, self.index))
    }

    fn decode(text: &str) -> Option<Position> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let (group, index) = raw.split_once('|')?;
        Some(Position { group: Uuid::parse_str(group).ok()?, index: index.parse().ok()? })
    }
}

/// The export's state between pages: only the position, so memory stays flat.
struct Export {
    tenant: Uuid,
    params: BulkDiffParams,
    scope: Scope,
    until: NaiveDateTime,
    labels: HashMap<(Dimension, String), String>,
    after: Option<Position>,
    done: bool,
}

impl Export {
    /// The next page of rows; empty when the export is complete.
    fn next_page(&mut self, db: &Db) -> Result<Vec<DiffRow>, Error> {
        while !self.done {
            let rows = db.read(|c| self.read_page(c))?;
            if !rows.is_empty() {
                return Ok(rows);
            }
        }
        Ok(Vec::new())
    }

    fn read_page(&mut self, c: &mut crate::store::DbConn) -> Result<Vec<DiffRow>, Error> {
        let from = self.after.map(|p| p.group);
        let mut rows = Vec::new();
        let last_group = match self.params.kind {
            DiffKind::Formal | DiffKind::Revision => {
                let page =
                    tenures::page_in_scope(c, self.tenant, &self.scope, from, GROUPS_PER_PAGE)?;
                let last = page.last().map(|t| t.id);
                let post_ids: Vec<Uuid> = page.iter().map(|t| t.post_id).collect();
                let orgs = posts::organizations_of(c, self.tenant, &post_ids)?;
                for history in crafting::histories(c, self.tenant, page)? {
                    let org = orgs.get(&history.tenure.post_id).copied().unwrap_or_default();
                    self.tenure_rows(&history, org, &mut rows);
                }
                last
            }
            DiffKind::Succession => {
                let post_ids =
                    tenures::posts_in_scope(c, self.tenant, &self.scope, from, GROUPS_PER_PAGE)?;
                let last = post_ids.last().copied();
                let orgs = posts::organizations_of(c, self.tenant, &post_ids)?;
                let holders = tenures::of_posts(c, self.tenant, &post_ids)?;
                let histories = crafting::histories(c, self.tenant, holders)?;
                for post in &post_ids {
                    let succession: Vec<&TenureHistory> =
                        histories.iter().filter(|h| h.tenure.post_id == *post).collect();
                    let org = orgs.get(post).copied().unwrap_or_default();
                    self.succession_rows(*post, &succession, org, &mut rows);
                }
                last
            }
        };
        // The group at the cursor was read again: skip what was already sent.
        if let Some(after) = self.after {
            rows.retain(|(position, _)| {
                position.group != after.group || position.index > after.index
            });
        }
        match last_group {
            Some(group) if last_group != from => {
                // A page holds whole groups: the next one starts after the last.
                self.after = Some(Position { group, index: usize::MAX });
            }
            _ => self.done = true,
        }
        Ok(rows.into_iter().map(|(_, row)| row).collect())
    }

    fn wanted(&self, change: &Change) -> bool {
        self.params.dimension.is_none_or(|d| d == change.dimension)
    }

    fn tenure_rows(&self, history: &TenureHistory, org: Uuid, rows: &mut Vec<(Position, DiffRow)>) {
        let tenure = &history.tenure;
        let since = self.params.since.map(|m| m.0);
        let end = tenure
            .period
            .ended_on
            .map(|d| d.and_time(NaiveTime::MIN) - chrono::Duration::microseconds(1));
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
                        as_of: effective - chrono::Duration::microseconds(1),
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
            for change in changes.iter().filter(|c| self.wanted(c)) {
                let position = Position { group: tenure.id, index };
                index += 1;
                rows.push((
                    position,
                    self.row(position, org, tenure, None, revision_id, from_at, to_at, change),
                ));
            }
        }
    }

    fn succession_rows(
        &self,
        post: Uuid,
        succession: &[&TenureHistory],
        org: Uuid,
        rows: &mut Vec<(Position, DiffRow)>,
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
                TimePoint { as_of: handover - chrono::Duration::microseconds(1), known_at };
            let to_end = after
                .tenure
                .period
                .ended_on
                .map(|d| d.and_time(NaiveTime::MIN) - chrono::Duration::microseconds(1));
            let to_at =
                TimePoint { as_of: to_end.map_or(self.until, |e| e.min(self.until)), known_at };
            let job = after.job_at(to_at);
            let changes = diff(&before.job_at(from_at).weights(), &job.weights(), &job.floors());
            for change in changes.iter().filter(|c| self.wanted(c)) {
                let position = Position { group: post, index };
                index += 1;
                rows.push((
                    position,
                    self.row(
                        position,
                        org,
                        &after.tenure,
                        Some(&before.tenure),
                        None,
                        from_at,
                        to_at,
                        change,
                    ),
                ));
            }
        }
    }

    #[expect(clippy::too_many_arguments, reason = "one argument per column group of the row")]
    fn row(
        &self,
        position: Position,
        organization_id: Uuid,
        tenure: &tenures::Tenure,
        predecessor: Option<&tenures::Tenure>,
        revision_id: Option<Uuid>,
        from_at: TimePoint,
        to_at: TimePoint,
        change: &Change,
    ) -> DiffRow {
        DiffRow {
            kind: self.params.kind,
            organization_id,
            post_id: tenure.post_id,
            tenure_id: tenure.id,
            person_id: tenure.person_id,
            from_tenure_id: predecessor.map(|t| t.id),
            from_person_id: predecessor.map(|t| t.person_id),
            revision_id,
            from_time: from_at.as_of.and_utc(),
            to_time: to_at.as_of.and_utc(),
            dimension: change.dimension,
            key: change.key.clone(),
            label: self.labels.get(&(change.dimension, change.key.clone())).cloned(),
            op: change.op,
            before: change.before,
            after: change.after,
            guardrail: change.breached.then(|| "breached".to_owned()),
            cursor: position.encode(),
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

const CSV_HEADER: &str = "kind,organization_id,post_id,tenure_id,person_id,from_tenure_id,from_person_id,revision_id,from_time,to_time,dimension,key,label,op,before,after,guardrail,cursor\r\n";

/// RFC 4180: quote a field that holds a comma, a quote or a line break; double its quotes.
fn csv_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn csv_row(out: &mut String, row: &DiffRow) {
    let opt = |id: Option<Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
    let num = |w: Option<f64>| w.map(|w| w.to_string()).unwrap_or_default();
    let op = match row.op {
        Op::Added => "added",
        Op::Removed => "removed",
        Op::Changed => "changed",
    };
    let kind = match row.kind {
        DiffKind::Formal => "formal",
        DiffKind::Revision => "revision",
        DiffKind::Succession => "succession",
    };
    let fields = [
        kind.to_owned(),
        row.organization_id.to_string(),
        row.post_id.to_string(),
        row.tenure_id.to_string(),
        row.person_id.to_string(),
        opt(row.from_tenure_id),
        opt(row.from_person_id),
        opt(row.revision_id),
        row.from_time.to_rfc3339(),
        row.to_time.to_rfc3339(),
        dimension_name(row.dimension).to_owned(),
        row.key.clone(),
        row.label.clone().unwrap_or_default(),
        op.to_owned(),
        num(row.before),
        num(row.after),
        row.guardrail.clone().unwrap_or_default(),
        row.cursor.clone(),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, field);
    }
    out.push_str("\r\n");
}

fn encode(format: Format, rows: &[DiffRow]) -> Result<Bytes, Error> {
    let mut out = String::with_capacity(rows.len() * 300);
    for row in rows {
        match format {
            Format::Csv => csv_row(&mut out, row),
            _ => {
                out.push_str(&serde_json::to_string(row).map_err(Error::internal)?);
                out.push('\n');
            }
        }
    }
    Ok(Bytes::from(out))
}

/// Crafted-job diffs in bulk, one change per row with its context. `Accept:
/// application/x-ndjson` or `text/csv` streams every row in constant memory; JSON (the
/// default) answers pages of up to `limit` rows. Each row carries the `cursor` that resumes after it.
#[utoipa::path(
    tag = "crafted jobs",
    params(BulkDiffParams),
    responses(
        (status = 200, body = Page<DiffRow>, content_type = "application/json"),
        (status = 200, body = String, content_type = "application/x-ndjson", description = "one DiffRow per line"),
        (status = 200, body = String, content_type = "text/csv", description = "a header row, then one DiffRow per line"),
    )
)]
#[get("/v1/diffs")]
pub async fn export_diffs(
    db: web::Data<Db>,
    principal: Principal,
    req: HttpRequest,
    Query(params): Query<BulkDiffParams>,
) -> Result<HttpResponse, Error> {
    principal.require(KeyScope::Read)?;
    let format = format_of(&req);
    let tenant = principal.tenant_id;
    let after = match params.cursor.as_deref() {
        None => None,
        Some(text) => Some(Position::decode(text).ok_or_else(|| Error::Malformed {
            detail: "the cursor is not one this service issued".into(),
            errors: vec![FieldError::new("cursor", "not a cursor of this export")],
        })?),
    };
    let limit = match (format, params.limit) {
        (Format::Json, limit) => Some(limit.unwrap_or(crate::http::pagination::DEFAULT_LIMIT)),
        (_, limit) => limit,
    };
    if limit.is_some_and(|l| l == 0 || (format == Format::Json && l > 500)) {
        return Err(Error::invalid("limit", "must be at least 1 (and at most 500 for JSON pages)"));
    }
    let until = params.until.map_or_else(now, |m| m.0);
    if params.since.is_some_and(|s| s.0 > until) {
        return Err(Error::invalid("since", "is later than `until`"));
    }
    let (organization_id, person_id) = (params.organization_id, params.person_id);
    let (scope, labels) = read(&db, move |c| {
        let scope = match (organization_id, person_id) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "person_id",
                    "give organization_id or person_id, not both",
                ))
            }
            (Some(org), None) => {
                organizations::find(c, tenant, org)?;
                Scope::Organizations(organizations::subtree(c, tenant, org)?)
            }
            (None, Some(person)) => {
                persons::find(c, tenant, person)?;
                Scope::Person(person)
            }
            (None, None) => Scope::Tenant,
        };
        Ok((scope, vocabulary::labels(c, tenant)?))
    })
    .await?;
    let mut export = Export { tenant, params, scope, until, labels, after, done: false };

    if format == Format::Json {
        let limit = limit.unwrap_or(crate::http::pagination::DEFAULT_LIMIT) as usize;
        let db = db.get_ref().clone();
        let (rows, more) = web::block(move || -> Result<_, Error> {
            let mut rows = Vec::new();
            while rows.len() <= limit {
                let page = export.next_page(&db)?;
                if page.is_empty() {
                    break;
                }
                rows.extend(page);
            }
            let more = rows.len() > limit;
            rows.truncate(limit);
            Ok((rows, more))
        })
        .await
        .map_err(Error::internal)??;
        let next_cursor = if more { rows.last().map(|r| r.cursor.clone()) } else { None };
        return Ok(HttpResponse::Ok().json(Page { items: rows, next_cursor }));
    }

    // A bounded channel between the reading thread and the response: the reader waits while
    // the client is slow, so memory stays at a few pages whatever the export's size.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, Error>>(4);
    let db = db.get_ref().clone();
    let mut remaining = limit.map(|l| l as usize);
    actix_web::rt::task::spawn_blocking(move || {
        if format == Format::Csv
            && sender.blocking_send(Ok(Bytes::from_static(CSV_HEADER.as_bytes()))).is_err()
        {
            return;
        }
        loop {
            let mut page = match export.next_page(&db) {
                Ok(page) if page.is_empty() => return,
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(%error, "bulk diff export stopped");
                    let _ = sender.blocking_send(Err(error));
                    return;
                }
            };
            if let Some(left) = remaining.as_mut() {
                page.truncate(*left);
                *left -= page.len();
            }
            if sender.blocking_send(encode(format, &page)).is_err() || remaining == Some(0) {
                return;
            }
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let content_type =
        if format == Format::Csv { "text/csv; charset=utf-8" } else { "application/x-ndjson" };
    Ok(HttpResponse::Ok().content_type(content_type).streaming(body))
}
