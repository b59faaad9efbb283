//! A batch (`POST /v1/sync/batch`): up to 1,000 ordered upserts and deletes of mixed entity
//! types, in one transaction (`atomic`) or each on its own (`partial`).

use std::ops::Range;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::api::problem::Problem;
use crate::domain::sync::Entity;
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::changes::savepoint;
use crate::store::DbConn;
use crate::sync::{self as synced, key_of};

/// Most operations in one batch.
pub const BATCH_MAX: usize = 1_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchMode {
    /// All operations or none: the first failure rolls the whole batch back.
    #[default]
    Atomic,
    /// Each operation applied or rejected on its own.
    Partial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchOp {
    Upsert,
    Delete,
}

/// One operation, on the entity another system knows as `source`/`external_id`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchOperation {
    pub op: BatchOp,
    /// `organizations`, `persons`, `posts`, `tenures`, `relationships` or `coverage`.
    pub entity: String,
    pub source: String,
    pub external_id: String,
    /// For `upsert`: the entity, as for `PUT /v1/sync/{entity}/{source}/{external_id}`;
    /// references may name entities upserted earlier in the batch.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub body: Option<Value>,
    /// For `delete`: also delete what depends on the entity.
    #[serde(default)]
    pub cascade: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    #[serde(default)]
    pub mode: BatchMode,
    /// 1 to 1,000 operations, applied in order.
    #[schema(min_items = 1, max_items = 1000)]
    pub operations: Vec<BatchOperation>,
}

/// What became of one operation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    pub index: usize,
    /// 201 created, 200 updated (or unchanged), 204 deleted, or the problem's status.
    pub status: u16,
    /// The entity's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// The entity's version after the operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Why the operation was rejected (`partial` mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResponse {
    pub mode: BatchMode,
    /// One result per operation, in request order.
    pub results: Vec<BatchResult>,
}

fn run_one(
    conn: &mut DbConn,
    tenant: TenantId,
    index: usize,
    op: &BatchOperation,
) -> Result<BatchResult, Error> {
    let (entity, key) = key_of(&op.entity, &op.source, &op.external_id)?;
    match (op.op, &op.body) {
        (BatchOp::Upsert, Some(body)) => {
            let done = synced::upsert(conn, tenant, entity, &key, body.clone())?;
            Ok(BatchResult {
                index,
                status: if done.created { 201 } else { 200 },
                id: Some(done.answer.id),
                version: Some(done.answer.version),
                problem: None,
            })
        }
        (BatchOp::Upsert, None) => Err(body_required()),
        (BatchOp::Delete, None) => {
            let id = synced::delete(conn, tenant, entity, &key, op.cascade)?;
            Ok(BatchResult { index, status: 204, id: Some(id), version: None, problem: None })
        }
        (BatchOp::Delete, Some(_)) => Err(Error::Malformed {
            detail: "a delete takes no body".into(),
            errors: vec![FieldError::new("body", "not allowed for delete")],
        }),
    }
}

/// Applies the operations in order. `atomic`: all or nothing, the first failure is the
/// batch's, with its `operation_index`. `partial`: each operation on its own; every result is
/// listed, failures with their problem.
pub fn apply(
    conn: &mut DbConn,
    tenant: TenantId,
    mode: BatchMode,
    operations: &[BatchOperation],
) -> Result<Vec<BatchResult>, Error> {
    let mut results = Vec::with_capacity(operations.len());
    for run in runs(operations) {
        if run.len() > 1 {
            // Set-wise in a savepoint; if anything in it fails, it leaves nothing and the
            // operations go one by one below, which finds and names the failure.
            match savepoint(conn, |c| run_set_wise(c, tenant, run.start, &operations[run.clone()]))
            {
                Ok(done) => {
                    results.extend(done);
                    continue;
                }
                Err(e @ (Error::Unavailable(_) | Error::Internal(_) | Error::Raced)) => {
                    return Err(e)
                }
                Err(e) => {
                    tracing::debug!(?run, error = %e, "set-wise run failed; one by one instead");
                }
            }
        }
        for index in run {
            let op = &operations[index];
            if mode == BatchMode::Atomic {
                results.push(run_one(conn, tenant, index, op).map_err(|e| e.in_operation(index))?);
                continue;
            }
            // Each operation in a savepoint: a rejected one leaves nothing, not even changes.
            match savepoint(conn, |c| run_one(c, tenant, index, op)) {
                Ok(result) => results.push(result),
                Err(e @ (Error::Unavailable(_) | Error::Internal(_) | Error::Raced)) => {
                    return Err(e)
                }
                Err(e) => {
                    let problem = e.in_operation(index).problem();
                    results.push(BatchResult {
                        index,
                        status: problem.status,
                        id: None,
                        version: None,
                        problem: Some(problem),
                    });
                }
            }
        }
    }
    Ok(results)
}

/// The batch cut into runs: consecutive upserts of one entity type that may be written
/// set-wise, else single operations; in order.
fn runs(operations: &[BatchOperation]) -> Vec<Range<usize>> {
    let set_wise = |op: &BatchOperation| {
        op.op == BatchOp::Upsert
            && Entity::from_path(&op.entity).is_some_and(synced::writes_set_wise)
    };
    let mut runs: Vec<Range<usize>> = Vec::new();
    for (index, op) in operations.iter().enumerate() {
        match runs.last_mut() {
            Some(last)
                if set_wise(op)
                    && set_wise(&operations[last.start])
                    && operations[last.start].entity == op.entity =>
            {
                last.end = index + 1;
            }
            _ => runs.push(index..index + 1),
        }
    }
    runs
}

/// Upserts a run at once; the operations start at `first` in the batch.
fn run_set_wise(
    conn: &mut DbConn,
    tenant: TenantId,
    first: usize,
    operations: &[BatchOperation],
) -> Result<Vec<BatchResult>, Error> {
    let mut entity = Entity::Person;
    let mut items = Vec::with_capacity(operations.len());
    for op in operations {
        let (kind, key) = key_of(&op.entity, &op.source, &op.external_id)?;
        let body = op.body.clone().ok_or_else(body_required)?;
        entity = kind;
        items.push((key, body));
    }
    let written = synced::upsert_many(conn, tenant, entity, items)?;
    Ok(written
        .into_iter()
        .enumerate()
        .map(|(i, done)| BatchResult {
            index: first + i,
            status: if done.created { 201 } else { 200 },
            id: Some(done.id),
            version: Some(done.version),
            problem: None,
        })
        .collect())
}

fn body_required() -> Error {
    Error::Malformed {
        detail: "an upsert needs a body".into(),
        errors: vec![FieldError::new("body", "required for upsert")],
    }
}
