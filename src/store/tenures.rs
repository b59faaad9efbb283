//! Tenures: who holds which post when. Read as careers (by person) and successions (by post)
//! in `views::holdings`.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::BuyingRole;
use crate::domain::sync::ExternalRef;
use crate::domain::tenant::TenantId;
use crate::domain::tenure::{NewTenure, Period};
use crate::error::Error;
use crate::store::changes::{self, Entity, Operation};
use crate::store::external_refs;
use crate::store::history::Versioned;
use crate::store::organizations;
use crate::store::resource::Resource;
use crate::store::schema::{self, tenures};
use crate::store::seats::{self, SeatClaim};
use crate::store::{
    cascades, execute_natively, from_json, now, parse_id, persons as person_store, to_json, DbConn,
    PageRequest, INSERT_CHUNK,
};

#[derive(Debug, Clone)]
pub struct Tenure {
    pub id: Uuid,
    /// Ids in other systems; loaded by `find` and `list` only.
    pub external_refs: Option<Vec<ExternalRef>>,
    pub person_id: Uuid,
    pub post_id: Uuid,
    pub period: Period,
    pub buying_roles: Vec<BuyingRole>,
    /// Stakeholders a salesperson in this tenure can cover; `None` for the tenant's default.
    pub capacity: Option<u32>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Tenure {
    /// Whether `other` is this tenure where and when it was: the same person on the same post
    /// over the same period (its buying roles or capacity may differ).
    pub fn same_place(&self, other: &Tenure) -> bool {
        self.person_id == other.person_id
            && self.post_id == other.post_id
            && self.period == other.period
    }
}

/// A stored tenure; the views read it too.
#[derive(Queryable, Selectable)]
#[diesel(table_name = tenures)]
pub(in crate::store) struct Row {
    id: String,
    person_id: String,
    post_id: String,
    started_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    buying_roles: String,
    capacity: Option<i32>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl Row {
    pub(in crate::store) fn into_tenure(self) -> Result<Tenure, Error> {
        Ok(Tenure {
            external_refs: None,
            id: parse_id(&self.id)?,
            person_id: parse_id(&self.person_id)?,
            post_id: parse_id(&self.post_id)?,
            period: Period { started_on: self.started_on, ended_on: self.ended_on },
            buying_roles: from_json(&self.buying_roles)?,
            capacity: self.capacity.map(|c| c.max(0) as u32),
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The columns a client writes, shared by insert and update. `None` is NULL, never
/// `DEFAULT` (see `persons::Fields`).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = tenures, treat_none_as_null = true, treat_none_as_default_value = false)]
struct Fields {
    person_id: String,
    post_id: String,
    started_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    buying_roles: String,
    capacity: Option<i32>,
}

impl Fields {
    fn of(new: &NewTenure) -> Result<Self, Error> {
        Ok(Fields {
            person_id: new.person_id.to_string(),
            post_id: new.post_id.to_string(),
            started_on: new.period.started_on,
            ended_on: new.period.ended_on,
            buying_roles: to_json(&new.buying_roles)?,
            capacity: new.capacity.map(|c| c as i32),
        })
    }
}

row_reads!(tenures, Entity::Tenure, Tenure, Row = Row::as_select() => Row::into_tenure; pipelined);
versions_since!(
    tenure_versions,
    Tenure,
    [
        id,
        person_id,
        post_id,
        started_on,
        ended_on,
        buying_roles,
        capacity,
        version,
        created_at,
        updated_at
    ],
    Row::into_tenure
);

/// Whose tenures to read: these posts' (their successions), these persons' (their careers), or
/// those of every post of these organizations (an account's, by one subquery).
#[derive(Debug, Clone, Copy)]
pub enum Of<'a> {
    Posts(&'a [Uuid]),
    Persons(&'a [Uuid]),
    PostsIn(&'a [Uuid]),
}

/// A tenant's tenures joined to their posts, where each post's organization is; each reader
/// adds what it filters on.
#[diesel::dsl::auto_type]
pub fn on_posts(tenant: TenantId) -> _ {
    let tenant: String = tenant.to_string();
    tenures::table
        .inner_join(
            schema::posts::table.on(schema::posts::tenant_id
                .eq(tenures::tenant_id)
                .and(schema::posts::id.eq(tenures::post_id))),
        )
        .filter(tenures::tenant_id.eq(tenant))
}

/// Every tenure of these posts or persons, in the order they started (then by id).
pub fn of(conn: &mut DbConn, tenant: TenantId, whose: Of<'_>) -> Result<Vec<Tenure>, Error> {
    let texts = |ids: &[Uuid]| ids.iter().map(Uuid::to_string).collect::<Vec<_>>();
    let query = tenures::table.filter(tenures::tenant_id.eq(tenant)).into_boxed();
    let query = match whose {
        Of::Posts(ids) => query.filter(tenures::post_id.eq_any(texts(ids))),
        Of::Persons(ids) => query.filter(tenures::person_id.eq_any(texts(ids))),
        Of::PostsIn(organizations) => {
            query.filter(tenures::post_id.eq_any(organizations::post_ids_in(tenant, organizations)))
        }
    };
    let rows: Vec<Row> = query.select(Row::as_select()).load(conn)?;
    let mut tenures: Vec<Tenure> =
        rows.into_iter().map(Row::into_tenure).collect::<Result<_, _>>()?;
    // Sorted here rather than by PostgreSQL, whose sort of text by collation took 24 of the
    // 80 ms of an account's 10,000 tenures. A uuid's bytes order as its text.
    tenures.sort_by_key(|t| (t.period.started_on, t.id));
    Ok(tenures)
}

/// The persons and posts must exist, and each post must have a free seat for each period, the
/// holdings checked in order (`seats::check_free_seats`; a holding's own id, when it is an
/// update, is not one of the others).
fn check_holdings(
    conn: &mut DbConn,
    tenant: TenantId,
    holdings: &[(Uuid, &NewTenure)],
) -> Result<(), Error> {
    // Each id once: an import fills a post of many seats with one batch, and a thousand copies
    // of its id made the planner expect a thousand matches per copy.
    let distinct = |ids: BTreeSet<Uuid>| ids.into_iter().collect::<Vec<_>>();
    let persons = distinct(holdings.iter().map(|(_, new)| new.person_id).collect());
    let posts = distinct(holdings.iter().map(|(_, new)| new.post_id).collect());
    let persons = person_store::existing(conn, tenant, &persons)?;
    let headcounts = seats::lock_seats(conn, tenant, &posts)?;
    for (_, new) in holdings {
        let mut missing = Vec::new();
        if !persons.contains(&new.person_id) {
            missing.push(crate::error::FieldError::new("/person_id", "no such person"));
        }
        if !headcounts.contains_key(&new.post_id) {
            missing.push(crate::error::FieldError::new("/post_id", "no such post"));
        }
        if !missing.is_empty() {
            return Err(Error::Invalid(missing));
        }
    }
    let claims: Vec<SeatClaim> = holdings
        .iter()
        .map(|(id, new)| SeatClaim { tenure: *id, post: new.post_id, period: new.period })
        .collect();
    seats::check_free_seats(conn, tenant, &posts, &headcounts, &claims)
}

/// Tenures, as the entity clients write (see `store::resource`).
pub struct Tenures;

impl Resource for Tenures {
    const ENTITY: Entity = Entity::Tenure;
    const REFERENCES: &'static [(&'static str, Entity)] =
        &[("person_id", Entity::Person), ("post_id", Entity::Post)];
    type New = NewTenure;
    type Stored = Tenure;
    type View = Tenure;
    type Filter = ();

    fn as_written(t: &Tenure) -> NewTenure {
        NewTenure {
            person_id: t.person_id,
            post_id: t.post_id,
            period: t.period,
            buying_roles: t.buying_roles.clone(),
            capacity: t.capacity,
        }
    }
    stored_is_view!(Tenure);
    unfiltered_reads!(tenures, Entity::Tenure, Tenure, Row::as_select() => Row::into_tenure);
    fn create(conn: &mut DbConn, tenant: TenantId, new: &NewTenure) -> Result<Tenure, Error> {
        let [id] = Self::create_many(conn, tenant, &[new])?[..] else {
            return Err(Error::internal("one tenure created, not one id"));
        };
        find(conn, tenant, id)
    }
    /// Creates these tenures, checked in order as `create` checks one, in multi-row inserts;
    /// their ids, in order.
    fn create_many(
        conn: &mut DbConn,
        tenant: TenantId,
        news: &[&NewTenure],
    ) -> Result<Vec<Uuid>, Error> {
        let holdings: Vec<(Uuid, &NewTenure)> =
            news.iter().map(|new| (Uuid::now_v7(), *new)).collect();
        check_holdings(conn, tenant, &holdings)?;
        let (t, at) = (tenant.to_string(), now());
        let ids: Vec<Uuid> = holdings.iter().map(|(id, _)| *id).collect();
        if let DbConn::Pg(pg) = conn {
            let mut rows = crate::store::unnest::Tenures::default();
            for (id, new) in &holdings {
                let fields = Fields::of(new)?;
                rows.ids.push(id.to_string());
                rows.person_ids.push(fields.person_id);
                rows.post_ids.push(fields.post_id);
                rows.started_on.push(fields.started_on);
                rows.ended_on.push(fields.ended_on);
                rows.buying_roles.push(fields.buying_roles);
                rows.capacities.push(fields.capacity);
            }
            crate::store::unnest::tenures(pg, &t, at, rows)?;
        } else {
            let rows = holdings
                .iter()
                .map(|(id, new)| Ok(first_version!(tenures, &t, id, at, Fields::of(new)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            for chunk in rows.chunks(INSERT_CHUNK) {
                execute_natively(conn, diesel::insert_into(tenures::table).values(chunk))?;
            }
        }
        changes::record_many(conn, tenant, Entity::Tenure, &ids, Operation::Create)?;
        Ok(ids)
    }
    locks_rows!(tenures);
    fn update(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Tenure,
        new: &NewTenure,
    ) -> Result<Tenure, Error> {
        let id = current.id;
        check_holdings(conn, tenant, &[(id, new)])?;
        write_version!(conn, tenures, Entity::Tenure, tenant, current, Fields::of(new)?)?;
        find(conn, tenant, id)
    }
    /// Deletes a tenure recorded by mistake. A tenure with crafting revisions stays: its
    /// history is only ever removed by erasing the person.
    fn delete(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Tenure,
        _cascade: bool,
    ) -> Result<(), Error> {
        let id = current.id;
        cascades::delete_without_history(conn, tenant, vec![id.to_string()])
    }
}
