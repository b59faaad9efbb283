//! What a delete cascades across aggregates: the tenures of a deleted organization, post or
//! person and, with a person's, the crafting revisions that record how they were held and the
//! development plans made in them; a person's id where others' plans and answers name them. It
//! imports only tables, changes and external ids (the feed's tombstones drop them), so every
//! aggregate may call it.

use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::development::Sought;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::{self, Entity, Operation};
use crate::store::schema::{administrations, crafting_revisions, development_plans, tenures};
use crate::store::{from_json, now, parse_id, to_json, DbConn};

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
    changes::deleted(conn, tenant, Entity::CraftingRevision, &changes::parse_ids(&revisions)?)?;
    delete_growth(conn, tenant, &ids)?;
    changes::deleted(conn, tenant, Entity::Tenure, &changes::parse_ids(&ids)?)?;
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

/// Where a person answered a questionnaire about someone else, or is sought in someone's
/// development plan, their id goes (the answers and the plan stay): on their erasure and their
/// deletion. Each plan changed is locked at the version read, so a concurrent writer of it is
/// not overwritten (the request runs again).
pub fn forget_in_growth(conn: &mut DbConn, tenant: TenantId, person: Uuid) -> Result<(), Error> {
    let (t, p) = (tenant.to_string(), person.to_string());
    diesel::update(
        administrations::table
            .filter(administrations::tenant_id.eq(&t))
            .filter(administrations::respondent_person_id.eq(&p)),
    )
    .set(administrations::respondent_person_id.eq(None::<String>))
    .execute(conn)?;
    let seeking: Vec<(String, String, i64)> = development_plans::table
        .filter(development_plans::tenant_id.eq(&t))
        .filter(development_plans::sought.like(format!("%{p}%")))
        .select((development_plans::id, development_plans::sought, development_plans::version))
        .load(conn)?;
    for (plan, sought, version) in seeking {
        let mut sought: Vec<Sought> = from_json(&sought)?;
        sought.retain(|s| s.person_id != person);
        lock_version!(conn, development_plans, tenant, plan, version)?;
        changes::record(
            conn,
            tenant,
            Entity::DevelopmentPlan,
            parse_id(&plan)?,
            Operation::Update,
        )?;
        diesel::update(
            development_plans::table
                .filter(development_plans::tenant_id.eq(&t))
                .filter(development_plans::id.eq(&plan)),
        )
        .set((
            development_plans::sought.eq(to_json(&sought)?),
            development_plans::version.eq(version + 1),
            development_plans::updated_at.eq(now()),
        ))
        .execute(conn)?;
    }
    Ok(())
}

/// Deletes the development plans made in these tenures and the questionnaires answered about
/// their holders: personal through and through, they go with the person (a crafting revision
/// made from answers stays).
pub fn delete_growth(conn: &mut DbConn, tenant: TenantId, tenures: &[String]) -> Result<(), Error> {
    let t = tenant.to_string();
    let plans: Vec<String> = development_plans::table
        .filter(development_plans::tenant_id.eq(&t))
        .filter(development_plans::tenure_id.eq_any(tenures))
        .select(development_plans::id)
        .load(conn)?;
    changes::deleted(conn, tenant, Entity::DevelopmentPlan, &changes::parse_ids(&plans)?)?;
    diesel::delete(
        development_plans::table
            .filter(development_plans::tenant_id.eq(&t))
            .filter(development_plans::tenure_id.eq_any(tenures)),
    )
    .execute(conn)?;
    diesel::delete(
        administrations::table
            .filter(administrations::tenant_id.eq(&t))
            .filter(administrations::tenure_id.eq_any(tenures)),
    )
    .execute(conn)?;
    Ok(())
}
