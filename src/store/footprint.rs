//! What a view kept between requests was read from, and which changes since reach it.
//!
//! An account's coverage, its demand: each is read from rows of several tables and kept per
//! process (`kept_accounts`, `account_demand`). A write elsewhere in the tenant should not cost
//! a kept view its rows, and a write that moves one of them must. A view keeps the ids of the
//! rows it was read from — organizations, posts, tenures, people, relationships, links —
//! as its `Footprint`; the changes of the feed since it was kept, with where their rows are
//! now, are a `Reach`. A view is read again when the two meet:
//! - a row it read was changed or deleted (its id is in both);
//! - a row was created or changed into it: a tenure now on one of its posts, or now held by
//!   one of its people; a post now in one of its organizations; an organization now under
//!   one; a revision now on one of its tenures; a relationship, link or interaction now
//!   between one of its people and anyone.
//!
//! A deleted row cannot be found: a view that read it has its id. Rows a view reads only in
//! aggregate (whether a tenure has crafting revisions) have no id kept, so deleting one of
//! those reaches every view of the tenant.

use std::collections::HashSet;

use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::{parse_ids, Entity, Operation};
use crate::store::people::texts;
use crate::store::schema::{coverage_links, interactions, organizations, relationships, tenures};
use crate::store::{chunked, crafting, parse_id, posts, DbConn};

/// The ids of the rows a view was read from, of every kind at once (ids are unique across
/// tables).
#[derive(Debug, Clone, Default)]
pub struct Footprint(HashSet<Uuid>);

impl Footprint {
    pub fn new(ids: impl IntoIterator<Item = Uuid>) -> Footprint {
        Footprint(ids.into_iter().collect())
    }

    pub fn contains(&self, id: &Uuid) -> bool {
        self.0.contains(id)
    }

    /// Adds an id; whether it was new.
    pub fn insert(&mut self, id: Uuid) -> bool {
        self.0.insert(id)
    }

    pub fn extend(&mut self, ids: impl IntoIterator<Item = Uuid>) {
        self.0.extend(ids);
    }

    /// Roughly the bytes it holds: an id and a control byte a slot, at most 7 in 8 used.
    pub fn bytes(&self) -> usize {
        (self.0.capacity() * 8 / 7 + 1) * (size_of::<Uuid>() + 1)
    }
}

/// Changes of the feed, and where their rows are now.
#[derive(Debug, Default)]
pub struct Reach {
    ids: HashSet<Uuid>,
    /// A deletion of a row kept by no view's footprint, yet read in aggregate.
    everything: bool,
}

impl Reach {
    /// Whether these changes can have moved a view read from `footprint`.
    pub fn touches(&self, footprint: &Footprint) -> bool {
        let (small, large) = if self.ids.len() <= footprint.0.len() {
            (&self.ids, &footprint.0)
        } else {
            (&footprint.0, &self.ids)
        };
        self.everything || small.iter().any(|id| large.contains(id))
    }
}

/// The reach of `changes` (as `changes::touched_since` returns them): their ids, and the rows
/// each created or changed row now hangs from. `aggregated`: the entities views read without
/// keeping their ids, whose deletion reaches every view.
pub fn reach(
    conn: &mut DbConn,
    tenant: TenantId,
    changes: &[(Entity, Operation, Uuid)],
    aggregated: &[Entity],
) -> Result<Reach, Error> {
    let mut reach = Reach::default();
    if changes.is_empty() {
        return Ok(reach);
    }
    reach.everything = changes
        .iter()
        .any(|(entity, op, _)| *op == Operation::Delete && aggregated.contains(entity));
    reach.ids.extend(changes.iter().map(|(_, _, id)| *id));
    // Rows that exist now, by kind: a deleted one is found by its id alone.
    let now = |entity: Entity| -> Vec<Uuid> {
        changes
            .iter()
            .filter(|(e, op, _)| *e == entity && *op != Operation::Delete)
            .map(|(_, _, id)| *id)
            .collect()
    };
    // A revision reaches its tenure: a view that reads revisions has read every tenure of
    // its posts that they can matter for.
    reach.ids.extend(crafting::tenures_of(conn, tenant, &now(Entity::CraftingRevision))?);
    // Each step up the tree from a changed row: tenures hang from posts (and people), posts
    // from organizations, organizations from their parents.
    let tenure_ids = now(Entity::Tenure);
    let held: Vec<(String, String)> = chunked(&tenure_ids, |ids| {
        Ok(tenures::table
            .filter(tenures::tenant_id.eq(tenant))
            .filter(tenures::id.eq_any(texts(ids)))
            .select((tenures::post_id, tenures::person_id))
            .load(conn)?)
    })?;
    let mut post_ids = now(Entity::Post);
    for (post, person) in &held {
        post_ids.push(parse_id(post)?);
        reach.ids.insert(parse_id(person)?);
    }
    let mut organization_ids = now(Entity::Organization);
    organization_ids.extend(chunked(&post_ids, |ids| {
        Ok(posts::organizations_of(conn, tenant, ids)?.into_values().collect())
    })?);
    let parents = found(conn, &organization_ids, |conn, ids| {
        let parents: Vec<Option<String>> = organizations::table
            .filter(organizations::tenant_id.eq(tenant))
            .filter(organizations::id.eq_any(ids))
            .select(organizations::parent_id)
            .load(conn)?;
        Ok(parents.into_iter().flatten().collect())
    })?;
    reach.ids.extend(post_ids.into_iter().chain(organization_ids).chain(parents));
    // The people at both ends of a relationship, a link or an interaction.
    for entity in [Entity::Relationship, Entity::Coverage, Entity::Interaction] {
        reach.ids.extend(ends(conn, tenant, entity, &now(entity))?);
    }
    Ok(reach)
}

/// The people at both ends of these relationships, links or interactions (`entity`), in no
/// order; rows not found, and rows of other entities, have none.
pub fn ends(
    conn: &mut DbConn,
    tenant: TenantId,
    entity: Entity,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, Error> {
    macro_rules! ends {
        ($table:ident: $from:ident, $to:ident) => {
            found(conn, ids, |conn, ids| {
                let rows: Vec<(String, String)> = $table::table
                    .filter($table::tenant_id.eq(tenant))
                    .filter($table::id.eq_any(ids))
                    .select(($table::$from, $table::$to))
                    .load(conn)?;
                Ok(rows.into_iter().flat_map(|(a, b)| [a, b]).collect())
            })
        };
    }
    match entity {
        Entity::Relationship => ends!(relationships: from_person_id, to_person_id),
        Entity::Coverage => ends!(coverage_links: salesperson_id, stakeholder_id),
        Entity::Interaction => ends!(interactions: salesperson_id, stakeholder_id),
        _ => Ok(Vec::new()),
    }
}

/// The ids `read` finds for these ids, read in pieces.
fn found(
    conn: &mut DbConn,
    ids: &[Uuid],
    mut read: impl FnMut(&mut DbConn, Vec<String>) -> Result<Vec<String>, Error>,
) -> Result<Vec<Uuid>, Error> {
    parse_ids(&chunked(ids, |piece| read(conn, texts(piece)))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reach_touches_a_footprint_it_shares_an_id_with_or_every_one_after_an_aggregated_deletion()
    {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let footprint = Footprint::new([a, b]);
        let reach =
            |ids: &[Uuid], everything| Reach { ids: ids.iter().copied().collect(), everything };
        assert!(reach(&[c, b], false).touches(&footprint));
        assert!(reach(&[a], false).touches(&footprint));
        assert!(!reach(&[c], false).touches(&footprint));
        assert!(!reach(&[], false).touches(&footprint));
        assert!(reach(&[], true).touches(&footprint));
        assert!(reach(&[c], false).touches(&Footprint::new([a, b, c])));
    }
}
