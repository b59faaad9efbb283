//! Posts: the formal job, its reporting line and its formal facets.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::dsl;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::crafting::TimePoint;
use crate::domain::facet::Facet;
use crate::domain::hierarchy;
use crate::domain::post::NewPost;
use crate::domain::sync::ExternalRef;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::{self, Entity, Operation};
use crate::store::external_refs::{self, with_refs};
use crate::store::post_revisions::{
    facets_at, formal_revisions, formal_revisions_pipelined, record_formal_revision,
};
use crate::store::resource::Resource;
use crate::store::schema::{post_revisions, posts, tenures};
use crate::store::{
    cascades, now, now_point, organizations, parse_id, parse_optional_id, pipelined, seats,
    vocabulary, DbConn, PageRequest,
};

#[derive(Debug, Clone)]
pub struct Post {
    pub id: Uuid,
    /// Ids in other systems; loaded by `find` and `list` only.
    pub external_refs: Option<Vec<ExternalRef>>,
    /// Its fields as written (`facets_effective_at` unsaid): the formal facets in effect at the
    /// time it was read for.
    pub fields: NewPost,
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
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl Row {
    fn into_post(self, facets: Vec<Facet>) -> Result<Post, Error> {
        Ok(Post {
            external_refs: None,
            id: parse_id(&self.id)?,
            fields: NewPost {
                organization_id: parse_id(&self.organization_id)?,
                title: self.title,
                function: self.function,
                reports_to_post_id: parse_optional_id(self.reports_to_post_id.as_deref())?,
                headcount: self.headcount,
                established_on: self.established_on,
                abolished_on: self.abolished_on,
                facets,
                facets_effective_at: None,
            },
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
        })
    }
}

/// The post with its formal facets as they are now.
pub fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Post, Error> {
    find_at(conn, tenant, id, now_point())
}

/// The post with its formal facets in force at `at`.
pub fn find_at(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    at: TimePoint,
) -> Result<Post, Error> {
    let row: Row = one(tenant, id).select(Row::as_select()).first(conn)?;
    let revisions = formal_revisions(conn, tenant, &[id])?.remove(&id).unwrap_or_default();
    let mut post = row.into_post(facets_at(&revisions, at))?;
    post.external_refs = Some(external_refs::of(conn, tenant, Entity::Post, id)?);
    Ok(post)
}

/// `find` on a pipelining connection: its three statements in one round trip.
pub async fn find_pipelined(
    conn: pipelined::Connection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Post, Error> {
    let query = one(tenant, id).select(Row::as_select()).limit(1);
    let ((row, refs), mut revisions) = futures_util::future::try_join(
        external_refs::found_pipelined::<Row, _>(conn.clone(), tenant, Entity::Post, id, query),
        formal_revisions_pipelined(conn, tenant, &[id]),
    )
    .await?;
    let revisions = revisions.remove(&id).unwrap_or_default();
    let mut post = row.into_post(facets_at(&revisions, now_point()))?;
    post.external_refs = Some(refs);
    Ok(post)
}

#[dsl::auto_type(no_type_alias)]
fn one(tenant: TenantId, id: Uuid) -> _ {
    let (tenant, id): (String, String) = (tenant.to_string(), id.to_string());
    posts::table.filter(posts::tenant_id.eq(tenant)).filter(posts::id.eq(id))
}

/// The ids of every post of these organizations.
pub fn ids_in_organizations(
    conn: &mut DbConn,
    tenant: TenantId,
    organizations: &[String],
) -> Result<Vec<Uuid>, Error> {
    let ids: Vec<String> = posts::table
        .filter(posts::tenant_id.eq(tenant))
        .filter(posts::organization_id.eq_any(organizations))
        .select(posts::id)
        .load(conn)?;
    ids.iter().map(|id| parse_id(id)).collect()
}

/// The organization of each of these posts.
pub fn organizations_of(
    conn: &mut DbConn,
    tenant: TenantId,
    post_ids: &[Uuid],
) -> Result<HashMap<Uuid, Uuid>, Error> {
    let ids: Vec<String> = post_ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<(String, String)> = posts::table
        .filter(posts::tenant_id.eq(tenant))
        .filter(posts::id.eq_any(ids))
        .select((posts::id, posts::organization_id))
        .load(conn)?;
    rows.iter().map(|(post, org)| Ok((parse_id(post)?, parse_id(org)?))).collect()
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
    tenant: TenantId,
    filter: PostFilter,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Post>, bool), Error> {
    let mut query =
        posts::table.filter(posts::tenant_id.eq(tenant)).select(Row::as_select()).into_boxed();
    if let Some(organization) = filter.organization {
        query = query.filter(posts::organization_id.eq(organization.to_string()));
    }
    if let Some(date) = filter.exists_on {
        query = query
            .filter(posts::established_on.is_null().or(posts::established_on.le(date)))
            .filter(posts::abolished_on.is_null().or(posts::abolished_on.gt(date)));
    }
    let (rows, more): (Vec<Row>, bool) = page_by_id!(conn, query, posts, page);
    let ids = rows.iter().map(|r| parse_id(&r.id)).collect::<Result<Vec<_>, _>>()?;
    let mut revisions = formal_revisions(conn, tenant, &ids)?;
    let at = now_point();
    let posts = rows
        .into_iter()
        .zip(ids)
        .map(|(row, id)| row.into_post(facets_at(&revisions.remove(&id).unwrap_or_default(), at)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        with_refs(conn, tenant, Entity::Post, posts, |p| p.id, |p, r| p.external_refs = Some(r))?,
        more,
    ))
}

fn check_references(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    new: &NewPost,
) -> Result<(), Error> {
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

fn manager_of(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Option<Uuid>, Error> {
    let manager: Option<Option<String>> = posts::table
        .filter(posts::tenant_id.eq(tenant))
        .filter(posts::id.eq(id.to_string()))
        .select(posts::reports_to_post_id)
        .first(conn)
        .optional()?;
    parse_optional_id(manager.flatten().as_deref())
}

/// Posts, as the entity clients write (see `store::resource`).
pub struct Posts;

impl Resource for Posts {
    const ENTITY: Entity = Entity::Post;
    const REFERENCES: &'static [(&'static str, Entity)] =
        &[("organization_id", Entity::Organization), ("reports_to_post_id", Entity::Post)];
    type New = NewPost;
    type Stored = Post;
    type View = Post;
    type Filter = PostFilter;

    fn as_written(p: &Post) -> NewPost {
        // `facets_effective_at` unsaid: a rewrite of the same facets records no revision.
        p.fields.clone()
    }
    stored_is_view!(Post);
    fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Post, Error> {
        find(conn, tenant, id)
    }
    fn list(
        conn: &mut DbConn,
        tenant: TenantId,
        filter: PostFilter,
        page: PageRequest<Uuid>,
    ) -> Result<(Vec<Post>, bool), Error> {
        list(conn, tenant, filter, page)
    }

    fn create(conn: &mut DbConn, tenant: TenantId, new: &NewPost) -> Result<Post, Error> {
        let id = Uuid::now_v7();
        check_references(conn, tenant, id, new)?;
        vocabulary::check_keys(conn, tenant, &new.facets, "/facets")?;
        let at = now();
        diesel::insert_into(posts::table)
            .values(first_version!(posts, tenant, id, at, Fields::of(new)?))
            .execute(conn)?;
        // A new post's facets hold since it was established, or always: the CRM is telling us
        // about a post that already exists.
        let since = new.facets_effective_at.unwrap_or_else(|| {
            new.established_on
                .map_or(chrono::DateTime::UNIX_EPOCH.naive_utc(), |d| d.and_time(NaiveTime::MIN))
        });
        record_formal_revision(conn, tenant, id, &new.facets, since)?;
        changes::record(conn, tenant, Entity::Post, id, Operation::Create)?;
        find(conn, tenant, id)
    }
    locks_rows!(posts);
    fn update(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Post,
        new: &NewPost,
    ) -> Result<Post, Error> {
        let id = current.id;
        if new.facets != current.fields.facets {
            vocabulary::check_keys(conn, tenant, &new.facets, "/facets")?;
            let since = new.facets_effective_at.unwrap_or_else(now);
            record_formal_revision(conn, tenant, id, &new.facets, since)?;
        }
        if new.organization_id != current.fields.organization_id
            || new.reports_to_post_id != current.fields.reports_to_post_id
        {
            check_references(conn, tenant, id, new)?;
        }
        if new.headcount < current.fields.headcount {
            seats::check_holders_fit(conn, tenant, id, new.headcount)?;
        }
        write_version!(conn, posts, Entity::Post, tenant, current, Fields::of(new)?)?;
        find(conn, tenant, id)
    }
    /// Deletes a post. Without `cascade` it refuses while tenures hold it or posts report to it;
    /// with it, the tenures go and the reporting posts lose their reporting line.
    fn delete(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Post,
        cascade: bool,
    ) -> Result<(), Error> {
        let id = current.id;
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
        let tenure_ids = succession.select(tenures::id).load(conn)?;
        cascades::delete_without_history(conn, tenant, tenure_ids)?;
        diesel::delete(
            post_revisions::table
                .filter(post_revisions::tenant_id.eq(&t))
                .filter(post_revisions::post_id.eq(id.to_string())),
        )
        .execute(conn)?;
        let reporting: Vec<String> = reports.clone().select(posts::id).load(conn)?;
        changes::record_many(
            conn,
            tenant,
            Entity::Post,
            &changes::parse_ids(&reporting)?,
            Operation::Update,
        )?;
        diesel::update(reports).set(posts::reports_to_post_id.eq(None::<String>)).execute(conn)?;
        changes::deleted(conn, tenant, Entity::Post, &[id])?;
        diesel::delete(
            posts::table.filter(posts::tenant_id.eq(&t)).filter(posts::id.eq(id.to_string())),
        )
        .execute(conn)?;
        Ok(())
    }
}
