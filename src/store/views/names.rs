//! The names beside the ids of a page of an export, so a spreadsheet reads without lookups:
//! each post's title and organization, each organization's name, each person's display name.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{organizations, persons, posts};
use crate::store::{parse_id, DbConn};

/// Each name is shared (`Arc<str>`): an export puts one on each of a tenure's rows, and a
/// copy a row was a third of the service's allocations in a million-row export.
#[derive(Debug, Default)]
pub struct Names {
    /// A post's organization and title.
    pub posts: HashMap<Uuid, (Uuid, Arc<str>)>,
    pub organizations: HashMap<Uuid, Arc<str>>,
    pub persons: HashMap<Uuid, Arc<str>>,
}

impl Names {
    pub fn organization_of(&self, post: Uuid) -> Uuid {
        self.posts.get(&post).map(|(organization, _)| *organization).unwrap_or_default()
    }

    pub fn post(&self, post: Uuid) -> Arc<str> {
        self.posts.get(&post).map(|(_, title)| title.clone()).unwrap_or_default()
    }

    pub fn organization(&self, organization: Uuid) -> Arc<str> {
        self.organizations.get(&organization).cloned().unwrap_or_default()
    }

    pub fn person(&self, person: Uuid) -> Arc<str> {
        self.persons.get(&person).cloned().unwrap_or_default()
    }
}

/// The names of `post_ids` (with their organizations) and `person_ids`: three reads.
pub fn of(
    conn: &mut DbConn,
    tenant: TenantId,
    post_ids: &[Uuid],
    person_ids: &[Uuid],
) -> Result<Names, Error> {
    let text = |ids: &[Uuid]| ids.iter().map(Uuid::to_string).collect::<Vec<_>>();
    let post_rows: Vec<(String, String, String)> = posts::table
        .filter(posts::tenant_id.eq(tenant))
        .filter(posts::id.eq_any(text(post_ids)))
        .select((posts::id, posts::organization_id, posts::title))
        .load(conn)?;
    let mut names = Names::default();
    for (post, organization, title) in post_rows {
        names.posts.insert(parse_id(&post)?, (parse_id(&organization)?, title.into()));
    }
    let mut organization_ids: Vec<Uuid> = names.posts.values().map(|(o, _)| *o).collect();
    organization_ids.sort_unstable();
    organization_ids.dedup();
    let organization_rows: Vec<(String, String)> = organizations::table
        .filter(organizations::tenant_id.eq(tenant))
        .filter(organizations::id.eq_any(text(&organization_ids)))
        .select((organizations::id, organizations::name))
        .load(conn)?;
    for (organization, name) in organization_rows {
        names.organizations.insert(parse_id(&organization)?, name.into());
    }
    let person_rows: Vec<(String, String)> = persons::table
        .filter(persons::tenant_id.eq(tenant))
        .filter(persons::id.eq_any(text(person_ids)))
        .select((persons::id, persons::display_name))
        .load(conn)?;
    for (person, name) in person_rows {
        names.persons.insert(parse_id(&person)?, name.into());
    }
    Ok(names)
}
