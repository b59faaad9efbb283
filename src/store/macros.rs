//! The macros every aggregate's module uses alike: the versioned write (`lock_version!`,
//! `locks_rows!`, `write_version!`, `first_version!`) and the reads their rows answer alike.
//! Textually before the aggregates' modules in `mod.rs`, so each can use them.
/// Locks an entity's row at the version its writer read and checked: `UPDATE … SET version =
/// version WHERE … AND version = v`. On PostgreSQL the row lock lasts until the transaction
/// ends, so a concurrent writer of the same row waits here, then finds another version and
/// runs its work again (`Error::Raced`): an `If-Match` is checked against the version really
/// replaced, and no update is lost. SQLite's writers are serialised already.
macro_rules! lock_version {
    ($conn:expr, $table:ident, $tenant:expr, $id:expr, $version:expr) => {
        $crate::store::versioned(
            diesel::update(
                $table::table
                    .filter($table::tenant_id.eq($tenant))
                    .filter($table::id.eq($id.to_string()))
                    .filter($table::version.eq($version)),
            )
            .set($table::version.eq($version))
            .execute($conn)?,
        )
    };
}

/// A `Resource`'s `lock`: its row locked at the version its writer read and checked
/// (`lock_version!`), by `resource::locked`.
macro_rules! locks_rows {
    ($table:ident) => {
        fn lock(conn: &mut DbConn, tenant: TenantId, id: Uuid, version: i64) -> Result<(), Error> {
            lock_version!(conn, $table, tenant, id, version)
        }
    };
}

/// Writes `$fields` over `$current`'s row (anything with its `id` and `version`) as its next
/// version and records the update in the change feed.
macro_rules! write_version {
    ($conn:expr, $table:ident, $entity:expr, $tenant:expr, $current:expr, $fields:expr) => {{
        // The caller's `changes`: every aggregate module imports it. Recorded first, so that
        // the row it replaces is kept as it was (`store::history`).
        changes::record($conn, $tenant, $entity, $current.id, changes::Operation::Update)?;
        diesel::update(
            $table::table
                .filter($table::tenant_id.eq($tenant))
                .filter($table::id.eq($current.id.to_string())),
        )
        .set((
            $fields,
            $table::version.eq($current.version + 1),
            $table::updated_at.eq($crate::store::now()),
        ))
        .execute($conn)
        .map(|_| ())
    }};
}

/// The values every entity's row starts with: its tenant and id, `$fields`, version 1, and the
/// time it was created (also its last change).
macro_rules! first_version {
    ($table:ident, $tenant:expr, $id:expr, $at:expr, $fields:expr) => {
        (
            $table::tenant_id.eq($tenant),
            $table::id.eq($id.to_string()),
            $fields,
            $table::version.eq(1),
            $table::created_at.eq($at),
            $table::updated_at.eq($at),
        )
    };
}

/// One page of a boxed query of `$table` in id order: at most `page.limit` rows after
/// `page.after`, and whether more follow.
macro_rules! page_by_id {
    ($conn:expr, $query:expr, $table:ident, $page:expr) => {{
        let mut query = $query.order($table::id).limit($page.limit as i64 + 1);
        if let Some(after) = $page.after {
            query = query.filter($table::id.gt(after.to_string()));
        }
        $crate::store::split_page(query.load($conn)?, $page.limit)
    }};
}

/// An entity's `versions_since`: its earlier versions superseded after `since`, with when, as
/// `store::history::as_known` reads them; `$columns` of `$versions` in the order `$build` (a
/// row into the stored entity) reads them. The module imports `store::history::Versioned`.
macro_rules! versions_since {
    ($versions:ident, $Stored:ty, [$($column:ident),*], $build:expr) => {
        versions_since!($versions, $Stored, ($($crate::store::schema::$versions::$column,)*), $build);
    };
    ($versions:ident, $Stored:ty, $columns:expr, $build:expr) => {
        pub fn versions_since(
            conn: &mut DbConn,
            tenant: TenantId,
            since: chrono::NaiveDateTime,
        ) -> Result<Vec<(chrono::NaiveDateTime, $Stored)>, Error> {
            use $crate::store::schema::$versions as v;
            let rows: Vec<(_, chrono::NaiveDateTime)> = v::table
                .filter(v::tenant_id.eq(tenant))
                .filter(v::superseded_at.gt(since))
                .select(($columns, v::superseded_at))
                .load(conn)?;
            rows.into_iter().map(|(row, at)| Ok((at, $build(row)?))).collect()
        }

        impl Versioned for $Stored {
            fn id(&self) -> Uuid {
                self.id
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn created_at(&self) -> chrono::NaiveDateTime {
                self.created_at
            }
        }
    };
}

/// `key` and `views` of a `Resource` whose stored entity is also its view.
macro_rules! stored_is_view {
    ($stored:ty) => {
        fn key(stored: &$stored) -> (Uuid, i64) {
            (stored.id, stored.version)
        }
        fn views(_: &mut DbConn, _: TenantId, stored: Vec<$stored>) -> Result<Vec<$stored>, Error> {
            Ok(stored)
        }
    };
}

/// The reads every aggregate's rows answer alike: `one` (the query of one of the tenant's
/// rows), `find` (the entity with its external ids) and `find_many` (those of some ids that
/// exist, without them); with `pipelined`, also `find_pipelined` (`find` in one round trip).
/// `$row` is read by `$select` and made the entity by `$into`; `external_refs` is the caller's.
macro_rules! row_reads {
    ($table:ident, $entity:expr, $stored:ty, $row:ty = $select:expr => $into:path) => {
        #[diesel::dsl::auto_type(no_type_alias)]
        fn one(tenant: TenantId, id: Uuid) -> _ {
            let (tenant, id): (String, String) = (tenant.to_string(), id.to_string());
            $table::table.filter($table::tenant_id.eq(tenant)).filter($table::id.eq(id))
        }

        pub fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<$stored, Error> {
            let row: $row = one(tenant, id).select($select).first(conn)?;
            let mut found = $into(row)?;
            found.external_refs = Some(external_refs::of(conn, tenant, $entity, id)?);
            Ok(found)
        }

        /// Those of `ids` that exist, without their external ids.
        pub fn find_many(
            conn: &mut DbConn,
            tenant: TenantId,
            ids: &[Uuid],
        ) -> Result<Vec<$stored>, Error> {
            let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            let rows: Vec<$row> = $table::table
                .filter($table::tenant_id.eq(tenant))
                .filter($table::id.eq_any(ids))
                .select($select)
                .load(conn)?;
            rows.into_iter().map($into).collect()
        }
    };
    ($table:ident, $entity:expr, $stored:ty, $row:ty = $select:expr => $into:path; pipelined) => {
        row_reads!($table, $entity, $stored, $row = $select => $into);

        /// `find` on a pipelining connection: the row and its external ids in one round trip.
        pub async fn find_pipelined(
            conn: $crate::store::pipelined::Connection,
            tenant: TenantId,
            id: Uuid,
        ) -> Result<$stored, Error> {
            let query = one(tenant, id).select($select).limit(1);
            let (row, refs) =
                external_refs::found_pipelined::<$row, _>(conn, tenant, $entity, id, query).await?;
            let mut found = $into(row)?;
            found.external_refs = Some(refs);
            Ok(found)
        }
    };
}

/// A page of a boxed query of `$table`'s rows (`page_by_id!`), each made the entity by
/// `$into`, with their external ids: what a `Resource`'s `list` answers.
/// (`external_refs` is the caller's: every aggregate module imports it.)
macro_rules! page_with_refs {
    ($conn:expr, $tenant:expr, $query:expr, $table:ident, $page:expr, $into:path, $entity:expr) => {{
        let (rows, more): (Vec<_>, bool) = page_by_id!($conn, $query, $table, $page);
        let found = rows.into_iter().map($into).collect::<Result<Vec<_>, Error>>()?;
        let found = external_refs::with_refs(
            $conn,
            $tenant,
            $entity,
            found,
            |x| x.id,
            |x, refs| x.external_refs = Some(refs),
        )?;
        Ok((found, more))
    }};
}

/// `find`, `find_many` and `list` of a `Resource` listed whole (no filter), from its
/// `row_reads!`.
macro_rules! unfiltered_reads {
    ($table:ident, $entity:expr, $stored:ty, $select:expr => $into:path) => {
        fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<$stored, Error> {
            find(conn, tenant, id)
        }
        fn find_many(
            conn: &mut DbConn,
            tenant: TenantId,
            ids: &[Uuid],
        ) -> Result<Vec<$stored>, Error> {
            find_many(conn, tenant, ids)
        }
        fn list(
            conn: &mut DbConn,
            tenant: TenantId,
            _: (),
            page: PageRequest<Uuid>,
        ) -> Result<(Vec<$stored>, bool), Error> {
            let query =
                $table::table.filter($table::tenant_id.eq(tenant)).select($select).into_boxed();
            page_with_refs!(conn, tenant, query, $table, page, $into, $entity)
        }
    };
}
