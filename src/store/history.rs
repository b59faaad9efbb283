//! Earlier versions of the rows a coverage report reads — tenures, coverage links and
//! relationships. The change feed's record of an update or a delete keeps the row as it was
//! (`keep`), before it changes; a report asked `known_at` a past time reads each row as it was
//! known then (`as_known`), so that what a manager saw can be reproduced after corrections and
//! deletions. Imports only tables.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::IntoSql;
use uuid::Uuid;

use crate::domain::sync::Entity;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{
    coverage_link_versions, coverage_links, relationship_versions, relationships, tenure_versions,
    tenures,
};
use crate::store::{now, parse_id, DbConn};

/// `INSERT INTO $versions (…) SELECT …, now FROM $table WHERE …`: the rows of `$ids` as they
/// are, superseded at `$at`. `$column`s are those between the version and `created_at`.
macro_rules! keep_rows {
    ($conn:expr, $tenant:expr, $ids:expr, $at:expr,
     $table:ident => $versions:ident, [$($column:ident),*]) => {
        diesel::insert_into($versions::table)
            .values(
                $table::table
                    .filter($table::tenant_id.eq($tenant))
                    .filter($table::id.eq_any($ids))
                    .select((
                        $table::tenant_id,
                        $table::id,
                        $table::version,
                        $($table::$column,)*
                        $table::created_at,
                        $table::updated_at,
                        $at.into_sql::<diesel::sql_types::Timestamp>(),
                    )),
            )
            .into_columns((
                $versions::tenant_id,
                $versions::id,
                $versions::version,
                $($versions::$column,)*
                $versions::created_at,
                $versions::updated_at,
                $versions::superseded_at,
            ))
            .execute($conn)
    };
}

/// Keeps the rows of `ids` as they are now, before an update or a delete replaces them (the
/// entities a report does not read as known at a past time keep nothing).
pub fn keep(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    ids: &[Uuid],
) -> Result<(), Error> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let at = now();
    match entity {
        Entity::Tenure => keep_rows!(conn, tenant, &ids, at, tenures => tenure_versions,
            [person_id, post_id, started_on, ended_on, buying_roles, capacity]),
        Entity::Coverage => {
            keep_rows!(conn, tenant, &ids, at, coverage_links => coverage_link_versions,
            [salesperson_id, stakeholder_id, role, stated_strength])
        }
        Entity::Relationship => {
            keep_rows!(conn, tenant, &ids, at, relationships => relationship_versions,
            [from_person_id, to_person_id, kind, strength, valid_from, valid_until, notes])
        }
        _ => return Ok(()),
    }?;
    Ok(())
}

/// A row that can be read as known at a past time.
pub trait Versioned {
    fn id(&self) -> Uuid;
    fn version(&self) -> i64;
    fn created_at(&self) -> NaiveDateTime;
}

/// The rows as they were known at `known_at`, from the rows as they are (`current`) and the
/// versions superseded since (`versions`, with when): for each row, the lowest version
/// superseded after `known_at` — the one in force then — or, if none was, the row as it is;
/// rows recorded after `known_at` are left out. A row deleted since is back; a row updated
/// since is as it was. The order of `current` is kept, the versions follow in id order.
pub fn as_known<T: Versioned>(
    current: Vec<T>,
    versions: Vec<(NaiveDateTime, T)>,
    known_at: NaiveDateTime,
) -> Vec<T> {
    let mut then: HashMap<Uuid, T> = HashMap::new();
    for (_, row) in versions.into_iter().filter(|(at, _)| *at > known_at) {
        match then.entry(row.id()) {
            Entry::Occupied(mut lowest) => {
                if row.version() < lowest.get().version() {
                    lowest.insert(row);
                }
            }
            Entry::Vacant(none) => {
                none.insert(row);
            }
        }
    }
    let mut rows: Vec<T> = current.into_iter().filter(|r| !then.contains_key(&r.id())).collect();
    let mut earlier: Vec<T> = then.into_values().collect();
    earlier.sort_by_key(|row| row.id());
    rows.extend(earlier);
    rows.retain(|r| r.created_at() <= known_at);
    rows
}

/// Erasure: the notes of the earlier versions of the person's relationships go; the rest of
/// their versions is structure (ids, dates, weights), kept like the rows themselves.
pub fn erase_notes(conn: &mut DbConn, tenant: TenantId, person: Uuid) -> Result<(), Error> {
    let p = person.to_string();
    diesel::update(
        relationship_versions::table.filter(relationship_versions::tenant_id.eq(tenant)).filter(
            relationship_versions::from_person_id
                .eq(&p)
                .or(relationship_versions::to_person_id.eq(&p)),
        ),
    )
    .set(relationship_versions::notes.eq(None::<String>))
    .execute(conn)?;
    Ok(())
}

/// The ids of every tenure and coverage link of the person, as they are or were: what alerts
/// about them are keyed by.
pub fn ever_held(
    conn: &mut DbConn,
    tenant: TenantId,
    person: Uuid,
) -> Result<(Vec<Uuid>, Vec<Uuid>), Error> {
    let p = person.to_string();
    let mut tenure_ids: Vec<String> = tenures::table
        .filter(tenures::tenant_id.eq(tenant))
        .filter(tenures::person_id.eq(&p))
        .select(tenures::id)
        .load(conn)?;
    tenure_ids.extend(
        tenure_versions::table
            .filter(tenure_versions::tenant_id.eq(tenant))
            .filter(tenure_versions::person_id.eq(&p))
            .select(tenure_versions::id)
            .load::<String>(conn)?,
    );
    let mut link_ids: Vec<String> = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant))
        .filter(coverage_links::salesperson_id.eq(&p).or(coverage_links::stakeholder_id.eq(&p)))
        .select(coverage_links::id)
        .load(conn)?;
    link_ids.extend(
        coverage_link_versions::table
            .filter(coverage_link_versions::tenant_id.eq(tenant))
            .filter(
                coverage_link_versions::salesperson_id
                    .eq(&p)
                    .or(coverage_link_versions::stakeholder_id.eq(&p)),
            )
            .select(coverage_link_versions::id)
            .load::<String>(conn)?,
    );
    let ids = |mut ids: Vec<String>| -> Result<Vec<Uuid>, Error> {
        ids.sort();
        ids.dedup();
        ids.iter().map(|id| parse_id(id)).collect()
    };
    Ok((ids(tenure_ids)?, ids(link_ids)?))
}

/// A person deleted with `cascade`: the earlier versions of their tenures, coverage links and
/// relationships go with the rows.
pub fn forget_person(conn: &mut DbConn, tenant: TenantId, person: Uuid) -> Result<(), Error> {
    let p = person.to_string();
    diesel::delete(
        tenure_versions::table
            .filter(tenure_versions::tenant_id.eq(tenant))
            .filter(tenure_versions::person_id.eq(&p)),
    )
    .execute(conn)?;
    diesel::delete(
        coverage_link_versions::table.filter(coverage_link_versions::tenant_id.eq(tenant)).filter(
            coverage_link_versions::salesperson_id
                .eq(&p)
                .or(coverage_link_versions::stakeholder_id.eq(&p)),
        ),
    )
    .execute(conn)?;
    diesel::delete(
        relationship_versions::table.filter(relationship_versions::tenant_id.eq(tenant)).filter(
            relationship_versions::from_person_id
                .eq(&p)
                .or(relationship_versions::to_person_id.eq(&p)),
        ),
    )
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// (id, created, version, what it says)
    #[derive(Debug, Clone, PartialEq)]
    struct Row(Uuid, NaiveDateTime, i64, &'static str);

    impl Versioned for Row {
        fn id(&self) -> Uuid {
            self.0
        }
        fn version(&self) -> i64 {
            self.2
        }
        fn created_at(&self) -> NaiveDateTime {
            self.1
        }
    }

    fn day(d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap().and_hms_opt(12, 0, 0).unwrap()
    }

    #[test]
    fn each_row_is_read_as_it_was_known_then() {
        let (a, b, c, d) =
            (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3), Uuid::from_u128(4));
        // a: changed on the 5th and the 9th; b: deleted on the 8th; c: recorded on the 7th;
        // d: unchanged since the 1st.
        let current =
            vec![Row(a, day(1), 3, "a now"), Row(c, day(7), 1, "c"), Row(d, day(1), 1, "d")];
        let versions = vec![
            (day(9), Row(a, day(1), 2, "a after the 5th")),
            (day(5), Row(a, day(1), 1, "a at first")),
            (day(8), Row(b, day(2), 1, "b before its delete")),
        ];
        let known = |at| as_known(current.clone(), versions.clone(), at);
        assert_eq!(
            known(day(6)),
            vec![
                Row(d, day(1), 1, "d"),
                Row(a, day(1), 2, "a after the 5th"),
                Row(b, day(2), 1, "b before its delete")
            ]
        );
        assert_eq!(known(day(4))[1], Row(a, day(1), 1, "a at first"));
        assert_eq!(known(day(10)), current);
    }
}
