//! Tenures: who holds which post when. Read as careers (by person) and successions (by post).

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::BuyingRole;
use crate::domain::sync::ExternalRef;
use crate::domain::tenure::Period;
use crate::error::Error;
use crate::store::changes::{self, Entity, Operation};
use crate::store::external_refs::{self, with_refs};
use crate::store::schema::{persons, posts, tenures};
use crate::store::seats::{self, SeatClaim};
use crate::store::{
    cascades, execute_natively, from_json, now, parse_id, persons as person_store, pipelined,
    posts as post_store, split_page, to_json, DbConn, Expected, PageRequest, INSERT_CHUNK,
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

/// A tenure with the names a reader of a career or a succession wants beside it.
#[derive(Debug, Clone)]
pub struct TenureView {
    pub tenure: Tenure,
    pub person_display_name: String,
    pub post_title: String,
    pub organization_id: Uuid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTenure {
    pub person_id: Uuid,
    pub post_id: Uuid,
    pub period: Period,
    pub buying_roles: Vec<BuyingRole>,
    pub capacity: Option<u32>,
}

/// Whose tenures to list.
#[derive(Debug, Clone, Copy)]
pub enum Holding {
    /// A person's career.
    Career(Uuid),
    /// A post's succession.
    Succession(Uuid),
}

/// `current_only` keeps the tenures running on `as_of`.
#[derive(Debug, Clone, Copy)]
pub struct AsOf {
    pub date: NaiveDate,
    pub current_only: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tenures)]
struct Row {
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
    fn into_tenure(self) -> Result<Tenure, Error> {
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

pub fn find(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<Tenure, Error> {
    let row: Row = one(tenant, id).select(Row::as_select()).first(conn)?;
    let mut found = row.into_tenure()?;
    found.external_refs = Some(external_refs::of(conn, tenant, Entity::Tenure, id)?);
    Ok(found)
}

/// `find` on a pipelining connection: the tenure and its external ids in one round trip.
pub async fn find_pipelined(
    conn: pipelined::Connection,
    tenant: Uuid,
    id: Uuid,
) -> Result<Tenure, Error> {
    let query = one(tenant, id).select(Row::as_select()).limit(1);
    let (row, refs) =
        external_refs::found_pipelined::<Row, _>(conn, tenant, Entity::Tenure, id, query).await?;
    let mut found = row.into_tenure()?;
    found.external_refs = Some(refs);
    Ok(found)
}

#[dsl::auto_type(no_type_alias)]
fn one(tenant: Uuid, id: Uuid) -> _ {
    let (tenant, id): (String, String) = (tenant.to_string(), id.to_string());
    tenures::table.filter(tenures::tenant_id.eq(tenant)).filter(tenures::id.eq(id))
}

pub fn list(
    conn: &mut DbConn,
    tenant: Uuid,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Tenure>, bool), Error> {
    let mut query = tenures::table
        .filter(tenures::tenant_id.eq(tenant.to_string()))
        .select(Row::as_select())
        .order(tenures::id)
        .limit(page.limit as i64 + 1)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(tenures::id.gt(after.to_string()));
    }
    let (rows, more) = split_page(query.load::<Row>(conn)?, page.limit);
    let found = rows.into_iter().map(Row::into_tenure).collect::<Result<Vec<_>, _>>()?;
    Ok((
        with_refs(conn, tenant, Entity::Tenure, found, |x| x.id, |x, r| x.external_refs = Some(r))?,
        more,
    ))
}

/// The query of a career or a succession page, boxed for whichever connection loads it.
macro_rules! holding_query {
    ($tenant:expr, $holding:expr, $as_of:expr, $page:expr) => {{
        let (holding, as_of, page): (&Holding, AsOf, &PageRequest<(NaiveDate, Uuid)>) =
            ($holding, $as_of, $page);
        let mut query = tenures::table
            .filter(tenures::tenant_id.eq($tenant.to_string()))
            .select(Row::as_select())
            .order((tenures::started_on, tenures::id))
            .limit(page.limit as i64 + 1)
            .into_boxed();
        query = match holding {
            Holding::Career(person) => query.filter(tenures::person_id.eq(person.to_string())),
            Holding::Succession(post) => query.filter(tenures::post_id.eq(post.to_string())),
        };
        if as_of.current_only {
            query = query
                .filter(tenures::started_on.le(as_of.date))
                .filter(tenures::ended_on.is_null().or(tenures::ended_on.gt(as_of.date)));
        }
        if let Some((started_on, id)) = page.after {
            query = query.filter(
                tenures::started_on
                    .gt(started_on)
                    .or(tenures::started_on.eq(started_on).and(tenures::id.gt(id.to_string()))),
            );
        }
        query
    }};
}

/// A career or a succession in chronological order, paged by `(started_on, id)`. The person
/// or post must exist (else 404): an empty page would not tell a reader the id is wrong.
pub fn list_holding(
    conn: &mut DbConn,
    tenant: Uuid,
    holding: Holding,
    as_of: AsOf,
    page: PageRequest<(NaiveDate, Uuid)>,
) -> Result<(Vec<TenureView>, bool), Error> {
    match holding {
        Holding::Career(person) => person_store::find(conn, tenant, person).map(|_| ())?,
        Holding::Succession(post) => post_store::find(conn, tenant, post).map(|_| ())?,
    }
    let rows = holding_query!(tenant, &holding, as_of, &page).load::<Row>(conn)?;
    let (tenures, more) = page_of(rows, page.limit)?;
    Ok((with_names(conn, tenant, tenures)?, more))
}

/// The tenures of a page loaded with one row more than its limit; whether more follow.
fn page_of(rows: Vec<Row>, limit: usize) -> Result<(Vec<Tenure>, bool), Error> {
    let (rows, more) = split_page(rows, limit);
    Ok((rows.into_iter().map(Row::into_tenure).collect::<Result<_, _>>()?, more))
}

/// A post's succession on a pipelining connection: the post (404 if there is none) and the
/// page in one round trip, then the names beside the page.
pub async fn succession_pipelined(
    conn: pipelined::Connection,
    tenant: Uuid,
    post: Uuid,
    as_of: AsOf,
    page: PageRequest<(NaiveDate, Uuid)>,
) -> Result<(Vec<TenureView>, bool), Error> {
    let query = holding_query!(tenant, &Holding::Succession(post), as_of, &page);
    let (_, rows) = futures_util::future::try_join(
        post_store::find_pipelined(conn.clone(), tenant, post),
        pipelined::load::<Row, _>(conn.clone(), query),
    )
    .await?;
    let (tenures, more) = page_of(rows, page.limit)?;
    let (person_ids, post_ids) = named_in(&tenures);
    let (names, titles) = futures_util::future::try_join(
        pipelined::load(conn.clone(), display_names_query(tenant, person_ids)),
        pipelined::load(conn, titles_query(tenant, post_ids)),
    )
    .await?;
    Ok((beside_names(tenures, names, titles)?, more))
}

/// Which tenures a bulk read walks.
#[derive(Debug, Clone)]
pub enum Scope {
    Tenant,
    /// Tenures of posts in these organizations.
    Organizations(Vec<String>),
    /// One person's career.
    Person(Uuid),
}

type Condition = Box<
    dyn BoxableExpression<
        tenures::table,
        <DbConn as diesel::Connection>::Backend,
        SqlType = diesel::sql_types::Bool,
    >,
>;

/// The tenures a scope covers, within the tenant.
fn in_scope(tenant: Uuid, scope: &Scope) -> Condition {
    let of_tenant = tenures::tenant_id.eq(tenant.to_string());
    match scope {
        Scope::Tenant => Box::new(of_tenant),
        Scope::Person(person) => Box::new(of_tenant.and(tenures::person_id.eq(person.to_string()))),
        Scope::Organizations(orgs) => Box::new(
            of_tenant.and(
                tenures::post_id.eq_any(
                    posts::table
                        .filter(posts::tenant_id.eq(tenant.to_string()))
                        .filter(posts::organization_id.eq_any(orgs.clone()))
                        .select(posts::id),
                ),
            ),
        ),
    }
}

/// Tenures in scope in id order, from `from` on (inclusive), at most `limit`.
pub fn page_in_scope(
    conn: &mut DbConn,
    tenant: Uuid,
    scope: &Scope,
    from: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Tenure>, Error> {
    let mut query = tenures::table
        .filter(in_scope(tenant, scope))
        .select(Row::as_select())
        .order(tenures::id)
        .limit(limit as i64)
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(tenures::id.ge(from.to_string()));
    }
    query.load::<Row>(conn)?.into_iter().map(Row::into_tenure).collect()
}

/// These tenures (those that exist).
pub fn find_many(conn: &mut DbConn, tenant: Uuid, ids: &[Uuid]) -> Result<Vec<Tenure>, Error> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<Row> = tenures::table
        .filter(tenures::tenant_id.eq(tenant.to_string()))
        .filter(tenures::id.eq_any(ids))
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(Row::into_tenure).collect()
}

/// Every tenure of these posts, in succession order.
pub fn of_posts(conn: &mut DbConn, tenant: Uuid, post_ids: &[Uuid]) -> Result<Vec<Tenure>, Error> {
    let ids: Vec<String> = post_ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<Row> = tenures::table
        .filter(tenures::tenant_id.eq(tenant.to_string()))
        .filter(tenures::post_id.eq_any(ids))
        .order((tenures::started_on, tenures::id))
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(Row::into_tenure).collect()
}

/// Every tenure of these persons, in career order.
pub fn of_persons(
    conn: &mut DbConn,
    tenant: Uuid,
    person_ids: &[Uuid],
) -> Result<Vec<Tenure>, Error> {
    let ids: Vec<String> = person_ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<Row> = tenures::table
        .filter(tenures::tenant_id.eq(tenant.to_string()))
        .filter(tenures::person_id.eq_any(ids))
        .order((tenures::started_on, tenures::id))
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(Row::into_tenure).collect()
}

/// Posts held by tenures in scope, in id order, from `from` on (inclusive), at most `limit`.
pub fn posts_in_scope(
    conn: &mut DbConn,
    tenant: Uuid,
    scope: &Scope,
    from: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Uuid>, Error> {
    let mut query = tenures::table
        .filter(in_scope(tenant, scope))
        .select(tenures::post_id)
        .distinct()
        .order(tenures::post_id)
        .limit(limit as i64)
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(tenures::post_id.ge(from.to_string()));
    }
    query.load::<String>(conn)?.iter().map(|id| parse_id(id)).collect()
}

/// The tenures holding any of `post_ids` on `date`.
pub fn holders_on(
    conn: &mut DbConn,
    tenant: Uuid,
    post_ids: &[Uuid],
    date: NaiveDate,
) -> Result<Vec<TenureView>, Error> {
    let ids: Vec<String> = post_ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<Row> = tenures::table
        .filter(tenures::tenant_id.eq(tenant.to_string()))
        .filter(tenures::post_id.eq_any(ids))
        .filter(tenures::started_on.le(date))
        .filter(tenures::ended_on.is_null().or(tenures::ended_on.gt(date)))
        .order((tenures::started_on, tenures::id))
        .select(Row::as_select())
        .load(conn)?;
    let tenures = rows.into_iter().map(Row::into_tenure).collect::<Result<Vec<_>, _>>()?;
    with_names(conn, tenant, tenures)
}

fn with_names(
    conn: &mut DbConn,
    tenant: Uuid,
    tenures: Vec<Tenure>,
) -> Result<Vec<TenureView>, Error> {
    let (person_ids, post_ids) = named_in(&tenures);
    let names = display_names_query(tenant, person_ids).load(conn)?;
    let titles = titles_query(tenant, post_ids).load(conn)?;
    beside_names(tenures, names, titles)
}

/// The persons and the posts the tenures name.
fn named_in(tenures: &[Tenure]) -> (Vec<String>, Vec<String>) {
    let person_ids = tenures.iter().map(|t| t.person_id.to_string()).collect();
    let post_ids = tenures.iter().map(|t| t.post_id.to_string()).collect();
    (person_ids, post_ids)
}

#[dsl::auto_type(no_type_alias)]
fn display_names_query(tenant: Uuid, ids: Vec<String>) -> _ {
    let tenant: String = tenant.to_string();
    persons::table
        .filter(persons::tenant_id.eq(tenant))
        .filter(persons::id.eq_any(ids))
        .select((persons::id, persons::display_name))
}

#[dsl::auto_type(no_type_alias)]
fn titles_query(tenant: Uuid, ids: Vec<String>) -> _ {
    let tenant: String = tenant.to_string();
    posts::table
        .filter(posts::tenant_id.eq(tenant))
        .filter(posts::id.eq_any(ids))
        .select((posts::id, (posts::title, posts::organization_id)))
}

fn beside_names(
    tenures: Vec<Tenure>,
    names: Vec<(String, String)>,
    titles: Vec<(String, (String, String))>,
) -> Result<Vec<TenureView>, Error> {
    let names: HashMap<String, String> = names.into_iter().collect();
    let titles: HashMap<String, (String, String)> = titles.into_iter().collect();
    tenures
        .into_iter()
        .map(|tenure| {
            let name = names.get(&tenure.person_id.to_string()).cloned().unwrap_or_default();
            let (title, organization) =
                titles.get(&tenure.post_id.to_string()).cloned().unwrap_or_default();
            Ok(TenureView {
                person_display_name: name,
                post_title: title,
                organization_id: parse_id(&organization)?,
                tenure,
            })
        })
        .collect()
}

pub fn create(conn: &mut DbConn, tenant: Uuid, new: &NewTenure) -> Result<Tenure, Error> {
    let [id] = create_many(conn, tenant, &[new])?[..] else {
        return Err(Error::internal("one tenure created, not one id"));
    };
    find(conn, tenant, id)
}

/// Creates these tenures, checked in order as `create` checks one, in multi-row inserts;
/// their ids, in order.
pub fn create_many(
    conn: &mut DbConn,
    tenant: Uuid,
    news: &[&NewTenure],
) -> Result<Vec<Uuid>, Error> {
    let holdings: Vec<(Uuid, &NewTenure)> = news.iter().map(|new| (Uuid::now_v7(), *new)).collect();
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
            .map(|(id, new)| {
                Ok((
                    tenures::tenant_id.eq(&t),
                    tenures::id.eq(id.to_string()),
                    Fields::of(new)?,
                    tenures::version.eq(1),
                    tenures::created_at.eq(at),
                    tenures::updated_at.eq(at),
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        for chunk in rows.chunks(INSERT_CHUNK) {
            execute_natively(conn, diesel::insert_into(tenures::table).values(chunk))?;
        }
    }
    changes::record_many(conn, tenant, Entity::Tenure, &ids, Operation::Create)?;
    Ok(ids)
}

pub fn update(
    conn: &mut DbConn,
    tenant: Uuid,
    id: Uuid,
    expected: &Expected,
    new: &NewTenure,
) -> Result<Tenure, Error> {
    let current = find(conn, tenant, id)?;
    expected.check(current.version)?;
    lock_version!(conn, tenures, tenant, id, current.version)?;
    check_holdings(conn, tenant, &[(id, new)])?;
    diesel::update(
        tenures::table
            .filter(tenures::tenant_id.eq(tenant.to_string()))
            .filter(tenures::id.eq(id.to_string())),
    )
    .set((
        Fields::of(new)?,
        tenures::version.eq(current.version + 1),
        tenures::updated_at.eq(now()),
    ))
    .execute(conn)?;
    changes::record(conn, tenant, Entity::Tenure, id, Operation::Update)?;
    find(conn, tenant, id)
}

/// The persons and posts must exist, and each post must have a free seat for each period, the
/// holdings checked in order (`seats::check_free_seats`; a holding's own id, when it is an
/// update, is not one of the others).
fn check_holdings(
    conn: &mut DbConn,
    tenant: Uuid,
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

/// Deletes a tenure recorded by mistake. A tenure with crafting revisions stays: its
/// history is only ever removed by erasing the person.
pub fn delete(conn: &mut DbConn, tenant: Uuid, id: Uuid, expected: &Expected) -> Result<(), Error> {
    let current = find(conn, tenant, id)?;
    expected.check(current.version)?;
    lock_version!(conn, tenures, tenant, id, current.version)?;
    cascades::delete_without_history(conn, tenant, vec![id.to_string()])
}
