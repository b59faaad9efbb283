//! A post's formal revisions: versions of its formal facets, each effective from its own time
//! and never overwritten. `posts` reads a post's facets through them, so this module imports
//! the tables only.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::crafting::{in_force, FormalRevision, TimePoint};
use crate::domain::facet::Facet;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes;
use crate::store::schema::{post_revisions, posts};
use crate::store::{from_json, now, organizations, parse_id, pipelined, to_json, DbConn};

/// The formal facets in force at `at`.
pub fn facets_at(revisions: &[FormalRevision], at: TimePoint) -> Vec<Facet> {
    in_force(revisions, at, |_| true).map(|r| r.facets.clone()).unwrap_or_default()
}

/// Every formal revision of the given posts, by post.
pub fn formal_revisions(
    conn: &mut DbConn,
    tenant: TenantId,
    post_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<FormalRevision>>, Error> {
    by_post(formal_revisions_query(tenant, post_ids).load(conn)?)
}

/// Every formal revision of the posts of these organizations, by post: one statement for
/// readers of many accounts at once, however many posts they hold.
pub fn formal_revisions_in(
    conn: &mut DbConn,
    tenant: TenantId,
    organizations: &[Uuid],
) -> Result<HashMap<Uuid, Vec<FormalRevision>>, Error> {
    let rows: Vec<FormalRow> = formal_rows(tenant)
        .filter(post_revisions::post_id.eq_any(organizations::post_ids_in(tenant, organizations)))
        .load(conn)?;
    by_post(rows)
}

/// `formal_revisions` on a pipelining connection.
pub async fn formal_revisions_pipelined(
    conn: pipelined::Connection,
    tenant: TenantId,
    post_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<FormalRevision>>, Error> {
    by_post(pipelined::load(conn, formal_revisions_query(tenant, post_ids)).await?)
}

/// The formal revisions' rows of a tenant, in the order they take effect; each reader adds
/// which posts.
#[dsl::auto_type]
fn formal_rows(tenant: TenantId) -> _ {
    let tenant: String = tenant.to_string();
    post_revisions::table
        .filter(post_revisions::tenant_id.eq(tenant))
        .select((
            post_revisions::post_id,
            post_revisions::id,
            post_revisions::facets,
            post_revisions::effective_at,
            post_revisions::recorded_at,
        ))
        .order((post_revisions::effective_at, post_revisions::recorded_at))
}

#[dsl::auto_type(no_type_alias)]
fn formal_revisions_query(tenant: TenantId, post_ids: &[Uuid]) -> _ {
    let ids: Vec<String> = post_ids.iter().map(Uuid::to_string).collect();
    let rows: formal_rows = formal_rows(tenant);
    rows.filter(post_revisions::post_id.eq_any(ids))
}

type FormalRow = (String, String, String, NaiveDateTime, NaiveDateTime);

fn by_post(rows: Vec<FormalRow>) -> Result<HashMap<Uuid, Vec<FormalRevision>>, Error> {
    let mut by_post: HashMap<Uuid, Vec<FormalRevision>> = HashMap::new();
    for (post_id, id, facets, effective_at, recorded_at) in rows {
        by_post.entry(parse_id(&post_id)?).or_default().push(FormalRevision {
            id: parse_id(&id)?,
            facets: from_json(&facets)?,
            effective_at,
            recorded_at,
        });
    }
    Ok(by_post)
}

/// A post's formal revisions in the order they were recorded, with who recorded each.
pub fn formal_history(
    conn: &mut DbConn,
    tenant: TenantId,
    post: Uuid,
) -> Result<Vec<(FormalRevision, Option<String>)>, Error> {
    // The post must exist (else 404): an empty history would not tell a reader the id is wrong.
    posts::table
        .filter(posts::tenant_id.eq(tenant))
        .filter(posts::id.eq(post.to_string()))
        .select(posts::id)
        .first::<String>(conn)?;
    let rows: Vec<(String, String, NaiveDateTime, NaiveDateTime, Option<String>)> =
        post_revisions::table
            .filter(post_revisions::tenant_id.eq(tenant))
            .filter(post_revisions::post_id.eq(post.to_string()))
            .select((
                post_revisions::id,
                post_revisions::facets,
                post_revisions::effective_at,
                post_revisions::recorded_at,
                post_revisions::recorded_by,
            ))
            .order(post_revisions::recorded_at)
            .load(conn)?;
    rows.into_iter()
        .map(|(id, facets, effective_at, recorded_at, by)| {
            let revision = FormalRevision {
                id: parse_id(&id)?,
                facets: from_json(&facets)?,
                effective_at,
                recorded_at,
            };
            Ok((revision, by))
        })
        .collect()
}

pub fn record_formal_revision(
    conn: &mut DbConn,
    tenant: TenantId,
    post: Uuid,
    facets: &[Facet],
    effective_at: NaiveDateTime,
) -> Result<(), Error> {
    diesel::insert_into(post_revisions::table)
        .values((
            post_revisions::tenant_id.eq(tenant),
            post_revisions::id.eq(Uuid::now_v7().to_string()),
            post_revisions::post_id.eq(post.to_string()),
            post_revisions::facets.eq(to_json(&facets)?),
            post_revisions::effective_at.eq(effective_at),
            post_revisions::recorded_at.eq(now()),
            post_revisions::recorded_by.eq(changes::current_actor().author()),
        ))
        .execute(conn)?;
    Ok(())
}
