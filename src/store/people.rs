//! Whose rows a read about persons takes: listed persons, or everyone who holds or held a post
//! in some organizations.

use diesel::dsl;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::store::organizations;
use crate::store::schema::tenures;

/// Whose rows a read about persons takes.
#[derive(Debug, Clone, Copy)]
pub enum People<'a> {
    /// These persons.
    Listed(&'a [Uuid]),
    /// Everyone with a tenure (past, current or to come) of a post of these organizations, read
    /// through one subquery (`holder_ids_in`), so a reader of whole accounts sends no list of
    /// ids: PostgreSQL looks the ids of a list up in its index one at a time, 60–75 ms for
    /// 10,000 on this machine against 25 ms for the subquery. Readers keep the rows they need.
    HoldingPostsIn(&'a [Uuid]),
}

/// Listed ids as text, the form the columns store.
pub fn texts(ids: &[Uuid]) -> Vec<String> {
    ids.iter().map(Uuid::to_string).collect()
}

/// The tenures (past, current or to come) of the posts of these organizations.
#[dsl::auto_type]
fn tenures_in(tenant: TenantId, organizations: &[Uuid]) -> _ {
    let posts: organizations::post_ids_in = organizations::post_ids_in(tenant, organizations);
    let tenant: String = tenant.to_string();
    tenures::table.filter(tenures::tenant_id.eq(tenant)).filter(tenures::post_id.eq_any(posts))
}

/// The ids of everyone with a tenure of a post of these organizations, as a subquery.
#[dsl::auto_type(no_type_alias)]
pub fn holder_ids_in(tenant: TenantId, organizations: &[Uuid]) -> _ {
    let held: tenures_in = tenures_in(tenant, organizations);
    held.select(tenures::person_id)
}

/// The ids of the tenures of the posts of these organizations, as a subquery.
#[dsl::auto_type(no_type_alias)]
pub fn tenure_ids_in(tenant: TenantId, organizations: &[Uuid]) -> _ {
    let held: tenures_in = tenures_in(tenant, organizations);
    held.select(tenures::id)
}
