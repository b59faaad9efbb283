//! `GET /v1/diffs`: crafted-job diffs in bulk, one change per row, for analysts. Streams
//! NDJSON or CSV in constant memory (a few pages of 500 tenures at a time), resumable by
//! cursor.

pub mod csv;
mod export;

use export::{Export, PageData, Position, Rows};

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::moment::Moment;
use crate::domain::api_key::Scope as KeyScope;
use crate::domain::diff::Op;
use crate::domain::facet::Dimension;
use crate::error::{Error, FieldError};
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::pagination::Page;
use crate::http::read_lagging;
use crate::store::views::scopes::ExportScope;
use crate::store::{now, organizations, persons, vocabulary, Db};

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
    #[param(minimum = 1)]
    pub limit: Option<u32>,
}

// Names and labels are shared with the page they were read for, and the cursor is written out
// only when the row is (`Position`). CSV is written without these (`csv::CsvRows`).
/// One change with its context.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiffRow {
    pub kind: DiffKind,
    pub organization_id: Uuid,
    #[schema(value_type = String)]
    pub organization_name: Arc<str>,
    pub post_id: Uuid,
    #[schema(value_type = String)]
    pub post_title: Arc<str>,
    /// The tenure whose crafted job is the `to` side.
    pub tenure_id: Uuid,
    pub person_id: Uuid,
    /// The holder's display name.
    #[schema(value_type = String)]
    pub person_name: Arc<str>,
    /// In successions: the predecessor's tenure and person.
    pub from_tenure_id: Option<Uuid>,
    pub from_person_id: Option<Uuid>,
    #[schema(value_type = Option<String>)]
    pub from_person_name: Option<Arc<str>>,
    /// In revision diffs: the revision.
    pub revision_id: Option<Uuid>,
    /// The `as_of` times of both sides.
    pub from_time: DateTime<Utc>,
    pub to_time: DateTime<Utc>,
    pub dimension: Dimension,
    pub key: String,
    #[schema(value_type = Option<String>)]
    pub label: Option<Arc<str>>,
    pub op: Op,
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// `breached` when `after` takes a core facet below its floor.
    #[schema(value_type = Option<String>)]
    pub guardrail: Option<&'static str>,
    /// Pass as `cursor` to resume after this row.
    #[schema(value_type = String)]
    #[serde(serialize_with = "Position::serialize")]
    pub cursor: Position,
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

/// NDJSON: one row per line.
fn ndjson(rows: &[DiffRow]) -> Result<Bytes, Error> {
    let mut out = Vec::with_capacity(rows.len() * 600);
    for row in rows {
        serde_json::to_writer(&mut out, row).map_err(Error::internal)?;
        out.push(b'\n');
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
        (status = 200, description = "A page of rows as JSON (the default); with `Accept: application/x-ndjson` one `DiffRow` per line; with `Accept: text/csv` a header row, then one `DiffRow` per line", content(
            (Page<DiffRow> = "application/json"),
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
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
    let (scope, labels) = read_lagging(&db, principal.key_id, move |c| {
        let scope = match (organization_id, person_id) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "person_id",
                    "give organization_id or person_id, not both",
                ))
            }
            (Some(org), None) => {
                organizations::find(c, tenant, org)?;
                ExportScope::Organizations(organizations::subtree(c, tenant, org)?)
            }
            (None, Some(person)) => {
                persons::find(c, tenant, person)?;
                ExportScope::Person(person)
            }
            (None, None) => ExportScope::Tenant,
        };
        Ok((scope, vocabulary::labels(c, tenant)?))
    })
    .await?;
    let key = principal.key_id;
    let mut by_dimension: HashMap<Dimension, foldhash::HashMap<String, Arc<str>>> = HashMap::new();
    for ((dimension, key), label) in labels {
        by_dimension.entry(dimension).or_default().insert(key, label.into());
    }
    let rows = Rows { params, until, labels: by_dimension };
    let scope = Arc::new(scope);
    let mut export = Export { tenant, key, scope, after, done: false, rows };

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
        let next_cursor = if more { rows.last().map(|r| r.cursor.encode()) } else { None };
        return Ok(HttpResponse::Ok().json(Page { items: rows, next_cursor }));
    }

    // A page is read in two steps: the stretch of the scope it covers, then its groups and
    // what their rows are made of. One thread finds stretch after stretch, and each page is
    // read on a thread and a connection of its own where a permit allows (`Db::reads_ahead`,
    // a quarter of the pool across the process's exports), so the database works on the next
    // pages while the service turns this one into rows and bytes (one page at a time, the
    // database and the service each waited for the other).
    // Pages reach the writer in order through a bounded channel, which also stops the reading
    // while the client is slow: memory stays at a few pages whatever the export's size. The
    // channel's last message is `None`: a reader that stopped without it failed the export.
    type Reading = std::sync::mpsc::Receiver<Result<PageData, Error>>;
    let (pages_in, pages) = std::sync::mpsc::sync_channel::<Option<Reading>>(2);
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Option<Bytes>, Error>>(4);
    let db = db.get_ref().clone();
    let rows = export.rows.clone();
    let runtime = tokio::runtime::Handle::current();
    actix_web::rt::task::spawn_blocking(move || loop {
        let span = match export.span(&db) {
            Ok(None) => {
                let _ = pages_in.send(None);
                return;
            }
            Ok(Some(span)) => Ok(span),
            Err(error) => Err(error),
        };
        let (page_in, page) = std::sync::mpsc::sync_channel(1);
        // The writer hung up (the client left, or the limit was reached): stop reading.
        if pages_in.send(Some(page)).is_err() {
            return;
        }
        match span {
            Ok(span) => match db.reads_ahead.clone().try_acquire_owned() {
                Ok(permit) => {
                    let db = db.clone();
                    // The writer gone, the page is dropped.
                    runtime.spawn_blocking(move || {
                        let _ = page_in.send(span.read(&db));
                        drop(permit);
                    });
                }
                // Other exports hold every permit: this one reads its page here, in turn.
                Err(_) => {
                    let _ = page_in.send(span.read(&db));
                }
            },
            Err(error) => {
                let _ = page_in.send(Err(error));
                return;
            }
        }
    });
    let mut remaining = limit.map(|l| l as usize);
    actix_web::rt::task::spawn_blocking(move || {
        if format == Format::Csv
            && sender.blocking_send(Ok(Some(Bytes::from_static(csv::HEADER.as_bytes())))).is_err()
        {
            return;
        }
        // A page's CSV is about as long as the last one's: its buffer is made that big at once.
        let mut last_length = 0;
        loop {
            // A reader that stopped without saying the export is complete (its thread
            // panicked) fails the export: a client must never take a cut export for a whole one.
            let page = match pages.recv() {
                Ok(Some(page)) => {
                    page.recv().unwrap_or_else(|_| Err(Error::internal("a page was not read")))
                }
                Ok(None) => {
                    let _ = sender.blocking_send(Ok(None));
                    return;
                }
                Err(_) => Err(Error::internal("the export's reading stopped")),
            };
            let page = match page {
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(%error, "bulk diff export stopped");
                    let _ = sender.blocking_send(Err(error));
                    return;
                }
            };
            let (chunk, written) = if format == Format::Csv {
                let mut csv = csv::CsvRows::new(remaining);
                csv.out.reserve(last_length);
                rows.of(&page, &mut csv);
                last_length = csv.out.len();
                (Ok(Some(Bytes::from(csv.out))), csv.rows)
            } else {
                let mut page_rows = Vec::new();
                rows.of(&page, &mut page_rows);
                page_rows.truncate(remaining.unwrap_or(usize::MAX));
                (ndjson(&page_rows).map(Some), page_rows.len())
            };
            if written == 0 {
                continue;
            }
            if let Some(left) = remaining.as_mut() {
                *left -= written;
            }
            let failed = chunk.is_err();
            if sender.blocking_send(chunk).is_err() || failed {
                return;
            }
            if remaining == Some(0) {
                let _ = sender.blocking_send(Ok(None));
                return;
            }
        }
    });
    // The writer's last message is `Ok(None)`: a writer that stopped without it (its thread
    // panicked) fails the response rather than end it as if it were whole.
    let body = futures_util::stream::unfold(Some(receiver), |receiver| async move {
        let mut receiver = receiver?;
        match receiver.recv().await {
            Some(Ok(Some(chunk))) => Some((Ok(chunk), Some(receiver))),
            Some(Ok(None)) => None,
            Some(Err(error)) => Some((Err(error), None)),
            None => Some((Err(Error::internal("the export's writer stopped")), None)),
        }
    });
    let content_type =
        if format == Format::Csv { "text/csv; charset=utf-8" } else { "application/x-ndjson" };
    Ok(HttpResponse::Ok().content_type(content_type).streaming(body))
}
