//! Posts: the formal job, its reporting line and its formal facets.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::facet::Facet;
use crate::domain::hierarchy;
use crate::domain::post::NewPost;
use crate::domain::tenure::seat_conflicts;
use crate::error::Error;
use crate::store::schema::{posts, tenures};
use crate::store::{
    from_json, now, organizations, parse_id, parse_optional_id, split_page,
    tenures as tenure_store, to_json, DbConn, Expected, PageRequest,
};

#[derive(Debug, Clone)]
pub struct Post {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub function: Option<String>,
    pub reports_to_post_id: Option<Uuid>,
    pub headcount: i32,
    pub established_on: Option<NaiveDate>,
    pub abolished_on: Option<NaiveDate>,
    pub facets: Vec<Facet>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = posts)]
struct Row {
    id: String,
    organization_id: String,
    title: String,
    function: Option<String>,
    reports_to_post_id: Option<String>,
    headcount: i32,
    established_on: Option<NaiveDate>,
    abolished_on: Option<NaiveDate>,
    facets: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl Row {
    fn into_post(self) -> Result<Post, Error> {
        Ok(Post {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            title: self.title,
            function: self.function,
            reports_to_post_id: parse_optional_id(self.reports_to_post_id.as_deref())?,
            headcount: self.headcount,
            established_on: self.established_on,
            abolished_on: self.abolished_on,
            facets: from_json(&self.facets)?,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The columns a client writes, shared by insert and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = posts, treat_none_as_null = true)]
struct Fields<'a> {
    organization_id: String,
    title: &'a str,
    function: Option<&'a str>,
    reports_to_post_id: Option<String>,
    headcount: i32,
    established_on: Option<NaiveDate>,
    abolished_on: Option<NaiveDate>,
    facets: String,
}

impl<'a> Fields<'a> {
    fn of(new: &'a NewPost) -> Result<Self, Error> {
        Ok(Fields {
            organization_id: new.organization_id.to_string(),
            title: &new.title,
            function: new.function.as_deref(),
            reports_to_post_id: new.reports_to_post_id.map(|p| p.to_string()),
            headcount: new.headcount,
            established_on: new.established_on,
            abolished_on: new.abolished_on,
            facets: to_json(&new.facets)?,
        })
    }
}

pub fn find(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<Post, Error> {
    let row: Row = posts::table
        .filter(posts::tenant_id.eq(tenant.to_string()))
        .filter(posts::id.eq(id.to_string()))
        .select(Row::as_select())
        .first(conn)?;
    row.into_post()
}

/// Which posts a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostFilter {
    pub organization: Option<Uuid>,
    /// Only posts established (or undated) by this day and not yet abolished.
    pub exists_on: Option<NaiveDate>,
}

/// Posts in id order.
pub fn list(
    conn: &mut DbConn,
    tenant: Uuid,
    filter: PostFilter,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Post>, bool), Error> {
    let mut query = posts::table
        .filter(posts::tenant_id.eq(tenant.to_string()))
        .select(Row::as_select())
        .order(posts::id)
        .limit(page.limit as i64 + 1)
        .into_boxed();
    if let Some(organization) = filter.organization {
        query = query.filter(posts::organization_id.eq(organization.to_string()));
    }
    if let Some(date) = filter.exists_on {
        query = query
            .filter(
                posts::established_on
                    .is_null()
                    .or(posts::established_on.le(date)),
            )
            .filter(
                posts::abolished_on
                    .is_null()
                    .or(posts::abolished_on.gt(date)),
            );
    }
    if let Some(after) = page.after {
        query = query.filter(posts::id.gt(after.to_string()));
    }
    let (rows, more) = split_page(query.load::<Row>(conn)?, page.limit);
    Ok((
        rows.into_iter()
            .map(Row::into_post)
            .collect::<Result<_, _>>()?,
        more,
    ))
}

pub fn create(conn: &mut DbConn, tenant: Uuid, new: &NewPost) -> Result<Post, Error> {
    let id = Uuid::now_v7();
    check_references(conn, tenant, id, new)?;
    let at = now();
    diesel::insert_into(posts::table)
        .values((
            posts::tenant_id.eq(tenant.to_string()),
            posts::id.eq(id.to_string()),
            Fields::of(new)?,
            posts::version.eq(1),
            posts::created_at.eq(at),
            posts::updated_at.eq(at),
        ))
        .execute(conn)?;
    find(conn, tenant, id)
}

pub fn update(
    conn: &mut DbConn,
    tenant: Uuid,
    id: Uuid,
    expected: &Expected,
    new: &NewPost,
) -> Result<Post, Error> {
    let current = find(conn, tenant, id)?;
    expected.check(current.version)?;
    if new.organization_id != current.organization_id
        || new.reports_to_post_id != current.reports_to_post_id
    {
        check_references(conn, tenant, id, new)?;
    }
    if new.headcount < current.headcount {
        check_holders_fit(conn, tenant, id, new.headcount)?;
    }
    diesel::update(
        posts::table
            .filter(posts::tenant_id.eq(tenant.to_string()))
            .filter(posts::id.eq(id.to_string())),
    )
    .set((
        Fields::of(new)?,
        posts::version.eq(current.version + 1),
        posts::updated_at.eq(now()),
    ))
    .execute(conn)?;
    find(conn, tenant, id)
}

fn check_references(conn: &mut DbConn, tenant: Uuid, id: Uuid, new: &NewPost) -> Result<(), Error> {
    if !organizations::exists(conn, tenant, new.organization_id)? {
        return Err(Error::invalid("/organization_id", "no such organization"));
    }
    let Some(manager) = new.reports_to_post_id else {
        return Ok(());
    };
    // Serialise reporting-line changes within the tenant (see organizations::check_parent).
    organizations::lock_tenant(conn, tenant)?;
    if manager != id && find(conn, tenant, manager).is_err() {
        return Err(Error::invalid("/reports_to_post_id", "no such post"));
    }
    if hierarchy::closes_cycle(id, manager, |post| manager_of(conn, tenant, post))? {
        return Err(Error::invalid(
            "/reports_to_post_id",
            "would make the post report to itself through its reporting line",
        ));
    }
    Ok(())
}

fn manager_of(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<Option<Uuid>, Error> {
    let manager: Option<Option<String>> = posts::table
        .filter(posts::tenant_id.eq(tenant.to_string()))
        .filter(posts::id.eq(id.to_string()))
        .select(posts::reports_to_post_id)
        .first(conn)
        .optional()?;
    parse_optional_id(manager.flatten().as_deref())
}

/// Fewer seats must still seat every set of simultaneous holders.
fn check_holders_fit(conn: &mut DbConn, tenant: Uuid, id: Uuid, seats: i32) -> Result<(), Error> {
    let holders = tenure_store::periods_of_post(conn, tenant, id, None)?;
    for (i, (tenure, period)) in holders.iter().enumerate() {
        let mut others = holders.clone();
        others.remove(i);
        let conflicting = seat_conflicts(&others, *period, seats as usize);
        if !conflicting.is_empty() {
            let mut ids = vec![*tenure];
            ids.extend(conflicting);
            return Err(Error::Conflict {
                detail: format!(
                    "{} tenures hold the post at the same time, more than {seats} seat(s)",
                    ids.len()
                ),
                conflicting: ids,
            });
        }
    }
    Ok(())
}

/// Takes the post's row lock (a no-op update), so that concurrent tenure writes on one post
/// check its seats one after the other.
pub fn lock(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(), Error> {
    diesel::update(
        posts::table
            .filter(posts::tenant_id.eq(tenant.to_string()))
            .filter(posts::id.eq(id.to_string())),
    )
    .set(posts::version.eq(posts::version))
    .execute(conn)?;
    Ok(())
}

/// Deletes a post. Without `cascade` it refuses while tenures hold it or posts report to it;
/// with it, the tenures go and the reporting posts lose their reporting line.
pub fn delete(
    conn: &mut DbConn,
    tenant: Uuid,
    id: Uuid,
    expected: &Expected,
    cascade: bool,
) -> Result<(), Error> {
    let current = find(conn, tenant, id)?;
    expected.check(current.version)?;
    let t = tenant.to_string();
    let succession = tenures::table
        .filter(tenures::tenant_id.eq(&t))
        .filter(tenures::post_id.eq(id.to_string()));
    let reports = posts::table
        .filter(posts::tenant_id.eq(&t))
        .filter(posts::reports_to_post_id.eq(id.to_string()));
    let tenure_count: i64 = succession.clone().count().get_result(conn)?;
    let report_count: i64 = reports.clone().count().get_result(conn)?;
    if !cascade && (tenure_count > 0 || report_count > 0) {
        return Err(Error::conflict(format!(
            "{tenure_count} tenure(s) hold the post and {report_count} post(s) report to it; \
             delete or move them first or pass cascade=true"
        )));
    }
    diesel::delete(succession).execute(conn)?;
    diesel::update(reports)
        .set(posts::reports_to_post_id.eq(None::<String>))
        .execute(conn)?;
    diesel::delete(
        posts::table
            .filter(posts::tenant_id.eq(&t))
            .filter(posts::id.eq(id.to_string())),
    )
    .execute(conn)?;
    Ok(())
}
