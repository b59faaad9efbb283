//! Careers and successions: tenures with the names of their persons and posts beside them.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::dsl;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{persons, posts, tenures};
use crate::store::tenures::{Row, Tenure};
use crate::store::{
    parse_id, persons as person_store, pipelined, posts as post_store, split_page, DbConn,
    PageRequest,
};

/// A tenure with the names a reader of a career or a succession wants beside it.
#[derive(Debug, Clone)]
pub struct TenureView {
    pub tenure: Tenure,
    pub person_display_name: String,
    pub post_title: String,
    pub organization_id: Uuid,
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

/// The query of a career or a succession page, boxed for whichever connection loads it.
macro_rules! holding_query {
    ($tenant:expr, $holding:expr, $as_of:expr, $page:expr) => {{
        let (holding, as_of, page): (&Holding, AsOf, &PageRequest<(NaiveDate, Uuid)>) =
            ($holding, $as_of, $page);
        let mut query = tenures::table
            .filter(tenures::tenant_id.eq($tenant))
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
    tenant: TenantId,
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
    tenant: TenantId,
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

/// The tenures holding any of `post_ids` on `date`.
pub fn holders_on(
    conn: &mut DbConn,
    tenant: TenantId,
    post_ids: &[Uuid],
    date: NaiveDate,
) -> Result<Vec<TenureView>, Error> {
    let ids: Vec<String> = post_ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<Row> = tenures::table
        .filter(tenures::tenant_id.eq(tenant))
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
    tenant: TenantId,
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
fn display_names_query(tenant: TenantId, ids: Vec<String>) -> _ {
    let tenant: String = tenant.to_string();
    persons::table
        .filter(persons::tenant_id.eq(tenant))
        .filter(persons::id.eq_any(ids))
        .select((persons::id, persons::display_name))
}

#[dsl::auto_type(no_type_alias)]
fn titles_query(tenant: TenantId, ids: Vec<String>) -> _ {
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
