//! What a delete cascades across aggregates: the tenures of a deleted organization, post or
//! person and, with a person's, the crafting revisions that record how they were held and the
//! development plans made in them. It imports only tables, changes and external ids (the
//! feed's tombstones drop them), so every aggregate may call it.

use diesel::prelude::*;

use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::{self, Entity};
use crate::store::schema::{administrations, crafting_revisions, development_plans, tenures};
use crate::store::DbConn;

/// Deletes tenures that have no crafting revisions, development plans or questionnaire
/// administrations; refuses (409) if any has some.
pub fn delete_without_history(
    conn: &mut DbConn,
    tenant: TenantId,
    ids: Vec<String>,
) -> Result<(), Error> {
    let t = tenant.to_string();
    let revisions: i64 = crafting_revisions::table
        .filter(crafting_revisions::tenant_id.eq(&t))
        .filter(crafting_revisions::tenure_id.eq_any(&ids))
        .count()
        .get_result(conn)?;
    if revisions > 0 {
        return Err(Error::conflict(format!(
            "{revisions} crafting revision(s) record how the tenure(s) were held; that history \
             is kept, and only erasing the person (DELETE /v1/persons/{{id}}?cascade=true) removes it"
        )));
    }
    let plans: i64 = development_plans::table
        .filter(development_plans::tenant_id.eq(&t))
        .filter(development_plans::tenure_id.eq_any(&ids))
        .count()
        .get_result(conn)?;
    if plans > 0 {
        return Err(Error::conflict(format!(
            "{plans} development plan(s) were made in the tenure(s); delete them first \
             (DELETE /v1/development-plans/{{id}}), or erase the person"
        )));
    }
    let answered: i64 = administrations::table
        .filter(administrations::tenant_id.eq(&t))
        .filter(administrations::tenure_id.eq_any(&ids))
        .count()
        .get_result(conn)?;
    if answered > 0 {
        return Err(Error::conflict(format!(
            "{answered} questionnaire administration(s) were answered about the tenure(s); \
             delete them first (DELETE /v1/administrations/{{id}}), or erase the person"
        )));
    }
    changes::deleted(conn, tenant, Entity::Tenure, &changes::parse_ids(&ids)?)?;
    diesel::delete(
        tenures::table.filter(tenures::tenant_id.eq(&t)).filter(tenures::id.eq_any(&ids)),
    )
    .execute(conn)?;
    Ok(())
}

/// Deletes tenures together with their crafting revisions, development plans and
/// questionnaire administrations: the erasure of a person.
pub fn delete_with_history(
    conn: &mut DbConn,
    tenant: TenantId,
    ids: Vec<String>,
) -> Result<(), Error> {
    let t = tenant.to_string();
    let revisions: Vec<String> = crafting_revisions::table
        .filter(crafting_revisions::tenant_id.eq(&t))
        .filter(crafting_revisions::tenure_id.eq_any(&ids))
        .select(crafting_revisions::id)
        .load(conn)?;
    let plans: Vec<String> = development_plans::table
        .filter(development_plans::tenant_id.eq(&t))
        .filter(development_plans::tenure_id.eq_any(&ids))
        .select(development_plans::id)
        .load(conn)?;
    changes::deleted(conn, tenant, Entity::CraftingRevision, &changes::parse_ids(&revisions)?)?;
    changes::deleted(conn, tenant, Entity::DevelopmentPlan, &changes::parse_ids(&plans)?)?;
    changes::deleted(conn, tenant, Entity::Tenure, &changes::parse_ids(&ids)?)?;
    diesel::delete(
        development_plans::table
            .filter(development_plans::tenant_id.eq(&t))
            .filter(development_plans::tenure_id.eq_any(&ids)),
    )
    .execute(conn)?;
    diesel::delete(
        administrations::table
            .filter(administrations::tenant_id.eq(&t))
            .filter(administrations::tenure_id.eq_any(&ids)),
    )
    .execute(conn)?;
    diesel::delete(
        crafting_revisions::table
            .filter(crafting_revisions::tenant_id.eq(&t))
            .filter(crafting_revisions::tenure_id.eq_any(&ids)),
    )
    .execute(conn)?;
    diesel::delete(
        tenures::table.filter(tenures::tenant_id.eq(&t)).filter(tenures::id.eq_any(&ids)),
    )
    .execute(conn)?;
    Ok(())
}
