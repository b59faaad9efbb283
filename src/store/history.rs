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
use crate::store::{now, DbConn};

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
    fn created_at(&self) -> NaiveDateTime;
}

/// The rows as they were known at `known_at`, from the rows as they are (`current`) and the
/// versions superseded since (`versions`, with when): for each row, the version superseded
/// first after `known_at` — the one in force then — or, if none was, the row as it is; rows
/// recorded after `known_at` are left out. A row deleted since is back; a row updated since is
/// as it was. The order of `current` is kept, the versions follow.
pub fn as_known<T: Versioned>(
    current: Vec<T>,
    versions: Vec<(NaiveDateTime, T)>,
    known_at: NaiveDateTime,
) -> Vec<T> {
    let mut then: HashMap<Uuid, (NaiveDateTime, T)> = HashMap::new();
    for (superseded_at, row) in versions.into_iter().filter(|(at, _)| *at > known_at) {
        match then.entry(row.id()) {
            Entry::Occupied(mut earliest) => {
                if superseded_at < earliest.get().0 {
                    earliest.insert((superseded_at, row));
                }
            }
            Entry::Vacant(none) => {
                none.insert((superseded_at, row));
            }
        }
    }
    let mut rows: Vec<T> = current.into_iter().filter(|r| !then.contains_key(&r.id())).collect();
    let mut earlier: Vec<(NaiveDateTime, T)> = then.into_values().collect();
    earlier.sort_by_key(|(_, row)| row.id());
    rows.extend(earlier.into_iter().map(|(_, row)| row));
    rows.retain(|r| r.created_at() <= known_at);
    rows
}

/// Erasure: the earlier versions of the person's tenures, coverage links and relationships go
/// (the rows themselves are anonymised or deleted by the erasure).
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

    #[derive(Debug, Clone, PartialEq)]
    struct Row(Uuid, NaiveDateTime, &'static str);

    impl Versioned for Row {
        fn id(&self) -> Uuid {
            self.0
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
        let current = vec![Row(a, day(1), "a now"), Row(c, day(7), "c"), Row(d, day(1), "d")];
        let versions = vec![
            (day(9), Row(a, day(1), "a after the 5th")),
            (day(5), Row(a, day(1), "a at first")),
            (day(8), Row(b, day(2), "b before its delete")),
        ];
        let known = |at| as_known(current.clone(), versions.clone(), at);
        assert_eq!(
            known(day(6)),
            vec![
                Row(d, day(1), "d"),
                Row(a, day(1), "a after the 5th"),
                Row(b, day(2), "b before its delete")
            ]
        );
        assert_eq!(known(day(4))[1], Row(a, day(1), "a at first"));
        assert_eq!(known(day(10)), current);
    }
}
