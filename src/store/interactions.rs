//! Interactions: logged touches between a salesperson and a stakeholder.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::{enum_name, enum_parse, InteractionKind, NewInteraction};
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::{self, Entity, Operation};
use crate::store::people::{holder_ids_in, texts, People};
use crate::store::schema::interactions;
use crate::store::{now, parse_id, persons as person_store, DbConn, PageRequest};

#[derive(Debug, Clone)]
pub struct Interaction {
    pub id: Uuid,
    pub fields: NewInteraction,
    pub created_at: NaiveDateTime,
}

type InteractionRow =
    (String, String, String, String, NaiveDateTime, Option<String>, NaiveDateTime);

fn interaction_columns() -> (
    interactions::id,
    interactions::salesperson_id,
    interactions::stakeholder_id,
    interactions::kind,
    interactions::occurred_at,
    interactions::summary,
    interactions::created_at,
) {
    use interactions::*;
    (id, salesperson_id, stakeholder_id, kind, occurred_at, summary, created_at)
}

fn interaction(
    (id, salesperson, stakeholder, kind, occurred_at, summary, created): InteractionRow,
) -> Result<Interaction, Error> {
    Ok(Interaction {
        id: parse_id(&id)?,
        fields: NewInteraction {
            salesperson_id: parse_id(&salesperson)?,
            stakeholder_id: parse_id(&stakeholder)?,
            kind: enum_parse::<InteractionKind>(&kind)?,
            occurred_at,
            summary,
        },
        created_at: created,
    })
}

/// Which pairs a list of coverage links or interactions shows: a salesperson's, a
/// stakeholder's, or both.
#[derive(Debug, Clone, Copy, Default)]
pub struct PairFilter {
    pub salesperson_id: Option<Uuid>,
    pub stakeholder_id: Option<Uuid>,
}

pub fn find_interaction(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
) -> Result<Interaction, Error> {
    let row = interactions::table
        .filter(interactions::tenant_id.eq(tenant))
        .filter(interactions::id.eq(id.to_string()))
        .select(interaction_columns())
        .first(conn)?;
    interaction(row)
}

/// A stakeholder's latest interactions, newest first.
pub fn latest(
    conn: &mut DbConn,
    tenant: TenantId,
    stakeholder: Uuid,
    limit: i64,
) -> Result<Vec<Interaction>, Error> {
    let rows = interactions::table
        .filter(interactions::tenant_id.eq(tenant))
        .filter(interactions::stakeholder_id.eq(stakeholder.to_string()))
        .order((interactions::occurred_at.desc(), interactions::id.desc()))
        .limit(limit)
        .select(interaction_columns())
        .load(conn)?;
    rows.into_iter().map(interaction).collect()
}

pub fn list_interactions(
    conn: &mut DbConn,
    tenant: TenantId,
    filter: PairFilter,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Interaction>, bool), Error> {
    let mut query = interactions::table
        .filter(interactions::tenant_id.eq(tenant))
        .select(interaction_columns())
        .into_boxed();
    if let Some(s) = filter.salesperson_id {
        query = query.filter(interactions::salesperson_id.eq(s.to_string()));
    }
    if let Some(s) = filter.stakeholder_id {
        query = query.filter(interactions::stakeholder_id.eq(s.to_string()));
    }
    let (rows, more) = page_by_id!(conn, query, interactions, page);
    Ok((rows.into_iter().map(interaction).collect::<Result<_, _>>()?, more))
}

/// When a pair met: the times, and the interactions that say so (a view kept between requests
/// keeps their ids, to tell when one is deleted: `store::footprint`).
#[derive(Debug, Clone, Default)]
pub struct Met {
    pub times: Vec<NaiveDateTime>,
    pub ids: Vec<Uuid>,
}

/// When each (salesperson, stakeholder) pair met, for stakeholders among these persons, as logged
/// by `known_at`.
pub fn touches(
    conn: &mut DbConn,
    tenant: TenantId,
    stakeholders: People<'_>,
    known_at: NaiveDateTime,
) -> Result<HashMap<(Uuid, Uuid), Met>, Error> {
    let query = interactions::table.filter(interactions::tenant_id.eq(tenant)).into_boxed();
    let query = match stakeholders {
        People::Listed(ids) => query.filter(interactions::stakeholder_id.eq_any(texts(ids))),
        People::HoldingPostsIn(organizations) => {
            query.filter(interactions::stakeholder_id.eq_any(holder_ids_in(tenant, organizations)))
        }
    };
    let rows: Vec<(String, String, String, NaiveDateTime)> = query
        .filter(interactions::created_at.le(known_at))
        .select((
            interactions::id,
            interactions::salesperson_id,
            interactions::stakeholder_id,
            interactions::occurred_at,
        ))
        .load(conn)?;
    let mut by_pair: HashMap<(Uuid, Uuid), Met> = HashMap::new();
    for (id, s, t, at) in rows {
        let met = by_pair.entry((parse_id(&s)?, parse_id(&t)?)).or_default();
        met.times.push(at);
        met.ids.push(parse_id(&id)?);
    }
    Ok(by_pair)
}

pub fn create_interaction(
    conn: &mut DbConn,
    tenant: TenantId,
    new: &NewInteraction,
) -> Result<Interaction, Error> {
    person_store::require(conn, tenant, &[(new.stakeholder_id, "/stakeholder_id")])?;
    crate::store::salespeople::require_salesperson(
        conn,
        tenant,
        new.salesperson_id,
        new.occurred_at.date(),
        "/salesperson_id",
    )?;
    let id = Uuid::now_v7();
    diesel::insert_into(interactions::table)
        .values((
            interactions::tenant_id.eq(tenant),
            interactions::id.eq(id.to_string()),
            interactions::salesperson_id.eq(new.salesperson_id.to_string()),
            interactions::stakeholder_id.eq(new.stakeholder_id.to_string()),
            interactions::kind.eq(enum_name(&new.kind)),
            interactions::occurred_at.eq(new.occurred_at),
            interactions::summary.eq(&new.summary),
            interactions::created_at.eq(now()),
        ))
        .execute(conn)?;
    changes::record(conn, tenant, Entity::Interaction, id, Operation::Create)?;
    find_interaction(conn, tenant, id)
}

pub fn delete_interaction(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<(), Error> {
    find_interaction(conn, tenant, id)?;
    changes::deleted(conn, tenant, Entity::Interaction, &[id])?;
    diesel::delete(
        interactions::table
            .filter(interactions::tenant_id.eq(tenant))
            .filter(interactions::id.eq(id.to_string())),
    )
    .execute(conn)?;
    Ok(())
}
