//! Organizations and their group structure.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::hierarchy;
use crate::domain::organization::{NewOrganization, OrganizationKind, Profile};
use crate::domain::sync::ExternalRef;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::{self, Entity, Operation};
use crate::store::external_refs;
use crate::store::resource::Resource;
use crate::store::schema::{organizations, post_revisions, posts, tenants, tenures};
use crate::store::{
    cascades, chunked, from_json, now, parse_id, parse_optional_id, to_json, DbConn, PageRequest,
};

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: Uuid,
    /// Ids in other systems; loaded by `find` and `list` only.
    pub external_refs: Option<Vec<ExternalRef>>,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<Uuid>,
    pub profile: Profile,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = organizations)]
struct Row {
    id: String,
    name: String,
    kind: String,
    parent_id: Option<String>,
    size_band: Option<String>,
    industry: Option<String>,
    region: Option<String>,
    tags: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl Row {
    fn into_organization(self) -> Result<Organization, Error> {
        Ok(Organization {
            external_refs: None,
            id: parse_id(&self.id)?,
            name: self.name,
            kind: OrganizationKind::from_stored(&self.kind),
            parent_id: parse_optional_id(self.parent_id.as_deref())?,
            profile: Profile {
                size_band: self.size_band,
                industry: self.industry,
                region: self.region,
                tags: from_json(&self.tags)?,
            },
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

row_reads!(organizations, Entity::Organization, Organization, Row = Row::as_select() => Row::into_organization);

/// The ids of the tenant's own organizations (the seller and its units: few).
pub fn own_ids(conn: &mut DbConn, tenant: TenantId) -> Result<HashSet<Uuid>, Error> {
    let ids: Vec<String> = organizations::table
        .filter(organizations::tenant_id.eq(tenant))
        .filter(organizations::kind.eq(OrganizationKind::Own.as_str()))
        .select(organizations::id)
        .load(conn)?;
    ids.iter().map(|id| parse_id(id)).collect()
}

/// Accounts: client organizations not part of another client, in name order.
pub fn account_roots(conn: &mut DbConn, tenant: TenantId) -> Result<Vec<Uuid>, Error> {
    let clients: Vec<(String, Option<String>)> = organizations::table
        .filter(organizations::tenant_id.eq(tenant))
        .filter(organizations::kind.eq(OrganizationKind::Client.as_str()))
        .order((organizations::name, organizations::id))
        .select((organizations::id, organizations::parent_id))
        .load(conn)?;
    let ids: std::collections::HashSet<&String> = clients.iter().map(|(id, _)| id).collect();
    clients
        .iter()
        .filter(|(_, parent)| parent.as_ref().is_none_or(|p| !ids.contains(p)))
        .map(|(id, _)| parse_id(id))
        .collect()
}

pub fn exists(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<bool, Error> {
    Ok(one(tenant, id).count().get_result::<i64>(conn)? > 0)
}

/// The columns a client writes, shared by insert and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
struct Fields<'a> {
    name: &'a str,
    kind: &'a str,
    parent_id: Option<String>,
    size_band: Option<&'a str>,
    industry: Option<&'a str>,
    region: Option<&'a str>,
    tags: String,
}

impl<'a> Fields<'a> {
    fn of(new: &'a NewOrganization) -> Result<Self, Error> {
        Ok(Fields {
            name: &new.name,
            kind: new.kind.as_str(),
            parent_id: new.parent_id.map(|p| p.to_string()),
            size_band: new.profile.size_band.as_deref(),
            industry: new.profile.industry.as_deref(),
            region: new.profile.region.as_deref(),
            tags: to_json(&new.profile.tags)?,
        })
    }
}

/// The parent must exist in the tenant and must not be the organization or one below it.
fn check_parent(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    parent_id: Option<Uuid>,
) -> Result<(), Error> {
    let Some(parent_id) = parent_id else {
        return Ok(());
    };
    // Serialise hierarchy changes within the tenant, so two concurrent moves cannot each
    // pass the check and together close a cycle.
    lock_tenant(conn, tenant)?;
    if !exists(conn, tenant, parent_id)? {
        return Err(Error::invalid("/parent_id", "no such organization"));
    }
    let cycle = hierarchy::closes_cycle(id, parent_id, |node| parent_of(conn, tenant, node))?;
    if cycle {
        return Err(Error::invalid("/parent_id", "would make the organization its own ancestor"));
    }
    Ok(())
}

fn parent_of(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Option<Uuid>, Error> {
    let parent: Option<Option<String>> = organizations::table
        .filter(organizations::tenant_id.eq(tenant))
        .filter(organizations::id.eq(id.to_string()))
        .select(organizations::parent_id)
        .first(conn)
        .optional()?;
    parse_optional_id(parent.flatten().as_deref())
}

/// Takes the tenant's row lock, which PostgreSQL holds until commit (`FOR UPDATE`: no new
/// row version, as an update would write). SQLite has one writer at a time already: a write
/// transaction begins `IMMEDIATE`.
pub fn lock_tenant(conn: &mut DbConn, tenant: TenantId) -> Result<(), Error> {
    if let DbConn::Pg(pg) = conn {
        tenants::table
            .filter(tenants::id.eq(tenant.to_string()))
            .select(tenants::id)
            .for_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

/// The top of the organization's group: the account it belongs to.
pub fn root_of(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Uuid, Error> {
    Ok(roots_of(conn, tenant, &[id])?.get(&id).copied().unwrap_or(id))
}

/// `root_of` each of `ids`: one statement per level for all of them.
pub fn roots_of(
    conn: &mut DbConn,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Uuid>, Error> {
    let mut roots: HashMap<Uuid, Uuid> = ids.iter().map(|id| (*id, *id)).collect();
    for _ in 0..hierarchy::DEPTH_MAX {
        let tops: Vec<String> =
            roots.values().collect::<HashSet<_>>().iter().map(|id| id.to_string()).collect();
        let parents: Vec<(String, Option<String>)> = chunked(&tops, |tops| {
            Ok(organizations::table
                .filter(organizations::tenant_id.eq(tenant))
                .filter(organizations::id.eq_any(tops))
                .filter(organizations::parent_id.is_not_null())
                .select((organizations::id, organizations::parent_id))
                .load(conn)?)
        })?;
        if parents.is_empty() {
            break;
        }
        let mut up = HashMap::new();
        for (child, parent) in parents {
            if let Some(parent) = parent {
                up.insert(parse_id(&child)?, parse_id(&parent)?);
            }
        }
        for top in roots.values_mut() {
            if let Some(parent) = up.get(top) {
                *top = *parent;
            }
        }
    }
    Ok(roots)
}

/// The organization and every organization below it, the organization first.
pub fn subtree(conn: &mut DbConn, tenant: TenantId, root: Uuid) -> Result<Vec<String>, Error> {
    let tree = subtrees(conn, tenant, &[root])?.pop().unwrap_or_default();
    Ok(tree.iter().map(Uuid::to_string).collect())
}

/// `subtree` of each root, in the order of `roots`: one statement per level for all of them.
pub fn subtrees(
    conn: &mut DbConn,
    tenant: TenantId,
    roots: &[Uuid],
) -> Result<Vec<Vec<Uuid>>, Error> {
    let mut trees: Vec<Vec<Uuid>> = roots.iter().map(|root| vec![*root]).collect();
    // Each organization of this level, and the trees it is in (a root given twice is in two).
    let mut level: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, root) in roots.iter().enumerate() {
        level.entry(root.to_string()).or_default().push(i);
    }
    for _ in 0..hierarchy::DEPTH_MAX {
        if level.is_empty() {
            break;
        }
        let parents: Vec<&String> = level.keys().collect();
        let children: Vec<(String, Option<String>)> = chunked(&parents, |parents| {
            Ok(organizations::table
                .filter(organizations::tenant_id.eq(tenant))
                .filter(organizations::parent_id.eq_any(parents))
                .order(organizations::id)
                .select((organizations::id, organizations::parent_id))
                .load(conn)?)
        })?;
        let mut next: HashMap<String, Vec<usize>> = HashMap::new();
        for (child, parent) in children {
            let Some(in_trees) = parent.and_then(|p| level.get(&p).cloned()) else { continue };
            let id = parse_id(&child)?;
            for tree in &in_trees {
                trees[*tree].push(id);
            }
            next.entry(child).or_default().extend(in_trees);
        }
        level = next;
    }
    Ok(trees)
}

/// Organizations, as the entity clients write (see `store::resource`).
pub struct Organizations;

impl Resource for Organizations {
    const ENTITY: Entity = Entity::Organization;
    const REFERENCES: &'static [(&'static str, Entity)] = &[("parent_id", Entity::Organization)];
    type New = NewOrganization;
    type Stored = Organization;
    type View = Organization;
    type Filter = ();

    fn as_written(o: &Organization) -> NewOrganization {
        NewOrganization {
            name: o.name.clone(),
            kind: o.kind,
            parent_id: o.parent_id,
            profile: o.profile.clone(),
        }
    }
    stored_is_view!(Organization);
    unfiltered_reads!(
        organizations,
        Entity::Organization,
        Organization,
        Row::as_select() => Row::into_organization
    );
    fn create(
        conn: &mut DbConn,
        tenant: TenantId,
        new: &NewOrganization,
    ) -> Result<Organization, Error> {
        let id = Uuid::now_v7();
        check_parent(conn, tenant, id, new.parent_id)?;
        let at = now();
        diesel::insert_into(organizations::table)
            .values(first_version!(organizations, tenant, id, at, Fields::of(new)?))
            .execute(conn)?;
        changes::record(conn, tenant, Entity::Organization, id, Operation::Create)?;
        find(conn, tenant, id)
    }
    locks_rows!(organizations);
    fn update(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Organization,
        new: &NewOrganization,
    ) -> Result<Organization, Error> {
        let id = current.id;
        if new.parent_id != current.parent_id {
            check_parent(conn, tenant, id, new.parent_id)?;
        }
        write_version!(
            conn,
            organizations,
            Entity::Organization,
            tenant,
            current,
            Fields::of(new)?
        )?;
        find(conn, tenant, id)
    }
    /// Deletes an organization. Without `cascade` it refuses while sub-organizations or posts
    /// depend on it; with it, they go too (with their tenures).
    fn delete(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Organization,
        cascade: bool,
    ) -> Result<(), Error> {
        let id = current.id;
        let orgs = subtree(conn, tenant, id)?;
        let post_ids: Vec<String> = posts::table
            .filter(posts::tenant_id.eq(tenant))
            .filter(posts::organization_id.eq_any(&orgs))
            .select(posts::id)
            .load(conn)?;
        if !cascade && (orgs.len() > 1 || !post_ids.is_empty()) {
            return Err(Error::conflict(format!(
                "the organization has {} sub-organization(s) and {} post(s) of its own or below; \
                 delete them first or pass cascade=true",
                orgs.len() - 1,
                post_ids.len()
            )));
        }
        let t = tenant.to_string();
        let tenure_ids: Vec<String> = tenures::table
            .filter(tenures::tenant_id.eq(&t))
            .filter(tenures::post_id.eq_any(&post_ids))
            .select(tenures::id)
            .load(conn)?;
        cascades::delete_without_history(conn, tenant, tenure_ids)?;
        diesel::delete(
            post_revisions::table
                .filter(post_revisions::tenant_id.eq(&t))
                .filter(post_revisions::post_id.eq_any(&post_ids)),
        )
        .execute(conn)?;
        // Posts elsewhere that reported into the deleted ones lose that reporting line.
        let orphaned: Vec<String> = posts::table
            .filter(posts::tenant_id.eq(&t))
            .filter(posts::reports_to_post_id.eq_any(&post_ids))
            .filter(posts::id.ne_all(&post_ids))
            .select(posts::id)
            .load(conn)?;
        changes::record_many(
            conn,
            tenant,
            Entity::Post,
            &changes::parse_ids(&orphaned)?,
            Operation::Update,
        )?;
        diesel::update(
            posts::table
                .filter(posts::tenant_id.eq(&t))
                .filter(posts::reports_to_post_id.eq_any(&post_ids)),
        )
        .set(posts::reports_to_post_id.eq(None::<String>))
        .execute(conn)?;
        changes::deleted(conn, tenant, Entity::Post, &changes::parse_ids(&post_ids)?)?;
        diesel::delete(
            posts::table.filter(posts::tenant_id.eq(&t)).filter(posts::id.eq_any(&post_ids)),
        )
        .execute(conn)?;
        changes::deleted(conn, tenant, Entity::Organization, &changes::parse_ids(&orgs)?)?;
        // Children first, so no statement leaves a dangling parent behind.
        for org in orgs.iter().rev() {
            diesel::delete(
                organizations::table
                    .filter(organizations::tenant_id.eq(&t))
                    .filter(organizations::id.eq(org)),
            )
            .execute(conn)?;
        }
        Ok(())
    }
}

/// The ids of the posts of these organizations, as a subquery: readers of many accounts at
/// once filter by it rather than send every post's id.
#[dsl::auto_type]
pub fn post_ids_in(tenant: TenantId, organizations: &[Uuid]) -> _ {
    let ids: Vec<String> = organizations.iter().map(Uuid::to_string).collect();
    let tenant: String = tenant.to_string();
    posts::table
        .filter(posts::tenant_id.eq(tenant))
        .filter(posts::organization_id.eq_any(ids))
        .select(posts::id)
}
