//! The bulk inserts of sync batches on PostgreSQL, as `INSERT … SELECT FROM unnest(…)`: one
//! bound array per column instead of one parameter per value, so a thousand rows are parsed
//! and bound as one small statement. (A 1,000-row multi-row `VALUES` binds 5,000–11,000
//! parameters; its parse and bind cost about as much as inserting the rows.) SQLite keeps its
//! multi-row `VALUES`, where binding is an in-process call.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::pg::PgConnection;
use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, Text, Timestamp};
use diesel::RunQueryDsl;

use crate::error::Error;

/// New persons' columns, one entry per person.
#[derive(Default)]
pub struct Persons {
    pub ids: Vec<String>,
    pub names: Vec<String>,
    pub emails: Vec<String>,
    pub phones: Vec<Option<String>>,
    pub notes: Vec<Option<String>>,
}

pub fn persons(
    pg: &mut PgConnection,
    tenant: &str,
    at: NaiveDateTime,
    rows: Persons,
) -> Result<(), Error> {
    diesel::sql_query(
        "INSERT INTO persons (tenant_id, id, display_name, emails, phone, notes, version, created_at, updated_at) \
         SELECT $1, id, name, emails, phone, notes, 1, $2, $2 \
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS p(id, name, emails, phone, notes)",
    )
    .bind::<Text, _>(tenant)
    .bind::<Timestamp, _>(at)
    .bind::<Array<Text>, _>(rows.ids)
    .bind::<Array<Text>, _>(rows.names)
    .bind::<Array<Text>, _>(rows.emails)
    .bind::<Array<Nullable<Text>>, _>(rows.phones)
    .bind::<Array<Nullable<Text>>, _>(rows.notes)
    .execute(pg)?;
    Ok(())
}

/// New tenures' columns, one entry per tenure.
#[derive(Default)]
pub struct Tenures {
    pub ids: Vec<String>,
    pub person_ids: Vec<String>,
    pub post_ids: Vec<String>,
    pub started_on: Vec<NaiveDate>,
    pub ended_on: Vec<Option<NaiveDate>>,
    pub buying_roles: Vec<String>,
    pub capacities: Vec<Option<i32>>,
}

pub fn tenures(
    pg: &mut PgConnection,
    tenant: &str,
    at: NaiveDateTime,
    rows: Tenures,
) -> Result<(), Error> {
    diesel::sql_query(
        "INSERT INTO tenures (tenant_id, id, person_id, post_id, started_on, ended_on, buying_roles, capacity, version, created_at, updated_at) \
         SELECT $1, id, person_id, post_id, started_on, ended_on, buying_roles, capacity, 1, $2, $2 \
         FROM unnest($3::text[], $4::text[], $5::text[], $6::date[], $7::date[], $8::text[], $9::int[]) \
         AS t(id, person_id, post_id, started_on, ended_on, buying_roles, capacity)",
    )
    .bind::<Text, _>(tenant)
    .bind::<Timestamp, _>(at)
    .bind::<Array<Text>, _>(rows.ids)
    .bind::<Array<Text>, _>(rows.person_ids)
    .bind::<Array<Text>, _>(rows.post_ids)
    .bind::<Array<Date>, _>(rows.started_on)
    .bind::<Array<Nullable<Date>>, _>(rows.ended_on)
    .bind::<Array<Text>, _>(rows.buying_roles)
    .bind::<Array<Nullable<Integer>>, _>(rows.capacities)
    .execute(pg)?;
    Ok(())
}

/// External ids of one entity type: (source, external id, entity id) each.
pub fn external_refs(
    pg: &mut PgConnection,
    tenant: &str,
    entity: &str,
    sources: Vec<&str>,
    external_ids: Vec<&str>,
    entity_ids: Vec<String>,
) -> Result<(), Error> {
    diesel::sql_query(
        "INSERT INTO external_refs (tenant_id, entity, source, external_id, entity_id) \
         SELECT $1, $2, source, external_id, entity_id \
         FROM unnest($3::text[], $4::text[], $5::text[]) AS r(source, external_id, entity_id)",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(entity)
    .bind::<Array<Text>, _>(sources)
    .bind::<Array<Text>, _>(external_ids)
    .bind::<Array<Text>, _>(entity_ids)
    .execute(pg)?;
    Ok(())
}

/// Numbered changes of one transaction: what is the same for all of them, then one entry each.
pub struct Changes<'a> {
    pub tenant: &'a str,
    pub origin: &'a str,
    pub key_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub traceparent: Option<&'a str>,
    pub occurred_at: NaiveDateTime,
    pub seqs: Vec<i64>,
    pub entities: Vec<String>,
    pub entity_ids: Vec<String>,
    pub operations: Vec<String>,
    pub external_refs: Vec<String>,
}

pub fn changes(pg: &mut PgConnection, rows: Changes) -> Result<(), Error> {
    diesel::sql_query(
        "INSERT INTO changes (tenant_id, seq, entity, entity_id, operation, origin, key_id, external_refs, occurred_at, request_id, traceparent) \
         SELECT $1, seq, entity, entity_id, operation, $2, $3, external_refs, $4, $10, $11 \
         FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[]) \
         AS c(seq, entity, entity_id, operation, external_refs)",
    )
    .bind::<Text, _>(rows.tenant)
    .bind::<Text, _>(rows.origin)
    .bind::<Nullable<Text>, _>(rows.key_id)
    .bind::<Timestamp, _>(rows.occurred_at)
    .bind::<Array<BigInt>, _>(rows.seqs)
    .bind::<Array<Text>, _>(rows.entities)
    .bind::<Array<Text>, _>(rows.entity_ids)
    .bind::<Array<Text>, _>(rows.operations)
    .bind::<Array<Text>, _>(rows.external_refs)
    .bind::<Nullable<Text>, _>(rows.request_id)
    .bind::<Nullable<Text>, _>(rows.traceparent)
    .execute(pg)?;
    Ok(())
}
