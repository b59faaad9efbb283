//! Reading the change feed: a tenant's changes after a cursor, in commit order, and where it
//! stands now. How changes are recorded and numbered is `changes.rs`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::{enum_name, enum_parse};
use crate::domain::sync::{Entity, ExternalRef, Operation};
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::changes;
use crate::store::{from_json, parse_id, parse_optional_id, split_page, DbConn};

#[derive(Debug, Clone)]
pub struct Change {
    pub seq: i64,
    pub entity: Entity,
    pub entity_id: Uuid,
    pub operation: Operation,
    pub origin: String,
    pub key_id: Option<Uuid>,
    pub external_refs: Vec<ExternalRef>,
    pub occurred_at: NaiveDateTime,
    /// The request that wrote it, when a request did (not in the API: delivery passes it on).
    pub request_id: Option<String>,
    pub traceparent: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct FeedFilter {
    pub entity: Option<Entity>,
    /// Leave out changes of this origin (a CRM's own echo).
    pub exclude_origin: Option<String>,
}

/// Changes after `after` in commit order, at most `limit`; whether more follow.
pub fn after(
    conn: &mut DbConn,
    tenant: TenantId,
    after: i64,
    limit: usize,
    filter: &FeedFilter,
) -> Result<(Vec<Change>, bool), Error> {
    let mut query = changes::table
        .filter(changes::tenant_id.eq(tenant))
        .filter(changes::seq.gt(after))
        .order(changes::seq)
        .limit(limit as i64 + 1)
        .select((
            changes::seq,
            changes::entity,
            changes::entity_id,
            changes::operation,
            changes::origin,
            changes::key_id,
            changes::external_refs,
            changes::occurred_at,
            changes::request_id,
            changes::traceparent,
        ))
        .into_boxed();
    if let Some(entity) = filter.entity {
        query = query.filter(changes::entity.eq(enum_name(&entity)));
    }
    if let Some(origin) = &filter.exclude_origin {
        query = query.filter(changes::origin.ne(origin.clone()));
    }
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        NaiveDateTime,
        Option<String>,
        Option<String>,
    );
    let (rows, more) = split_page(query.load::<Row>(conn)?, limit);
    let changes = rows
        .into_iter()
        .map(|(seq, entity, id, operation, origin, key_id, refs, at, request_id, traceparent)| {
            Ok(Change {
                seq,
                entity: enum_parse(&entity)?,
                entity_id: parse_id(&id)?,
                operation: enum_parse(&operation)?,
                origin,
                key_id: parse_optional_id(key_id.as_deref())?,
                external_refs: from_json(&refs)?,
                occurred_at: at,
                request_id,
                traceparent,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok((changes, more))
}
