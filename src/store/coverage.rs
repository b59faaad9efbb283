//! Coverage: which salesperson covers which stakeholder, and who counts as a salesperson.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::{enum_name, enum_parse, NewCoverage};
use crate::domain::organization::OrganizationKind;
use crate::domain::sync::ExternalRef;
use crate::error::{Error, FieldError};
use crate::store::changes::{self, Entity, Operation};
use crate::store::external_refs::{self, with_refs};
use crate::store::schema::{coverage_links, organizations, posts, tenures};
use crate::store::{
    now, parse_id, persons as person_store, split_page, DbConn, Expected, PageRequest,
};

/// A salesperson's current tenure in an own organization.
#[derive(Debug, Clone)]
pub struct SalesTenure {
    pub person_id: Uuid,
    pub tenure_id: Uuid,
    pub organization_id: Uuid,
    pub capacity: Option<u32>,
}

/// Persons holding a post in an `own` organization on `date`; `only` narrows to these persons.
pub fn salespeople(
    conn: &mut DbConn,
    tenant: Uuid,
    date: NaiveDate,
    only: Option<&[Uuid]>,
) -> Result<HashMap<Uuid, SalesTenure>, Error> {
    let t = tenant.to_string();
    let mut query = tenures::table
        .inner_join(
            posts::table
                .on(posts::tenant_id.eq(tenures::tenant_id).and(posts::id.eq(tenures::post_id))),
        )
        .inner_join(
            organizations::table.on(organizations::tenant_id
                .eq(posts::tenant_id)
                .and(organizations::id.eq(posts::organization_id))),
        )
        .filter(tenures::tenant_id.eq(&t))
        .filter(organizations::kind.eq(OrganizationKind::Own.as_str()))
        .filter(tenures::started_on.le(date))
        .filter(tenures::ended_on.is_null().or(tenures::ended_on.gt(date)))
        .select((tenures::person_id, tenures::id, posts::organization_id, tenures::capacity))
        .order((tenures::person_id, tenures::started_on, tenures::id))
        .into_boxed();
    if let Some(only) = only {
        let ids: Vec<String> = only.iter().map(Uuid::to_string).collect();
        query = query.filter(tenures::person_id.eq_any(ids));
    }
    let rows: Vec<(String, String, String, Option<i32>)> = query.load(conn)?;
    let mut found = HashMap::new();
    // A person with two own tenures counts once, by the latest one started.
    for (person, tenure, organization, capacity) in rows {
        let person_id = parse_id(&person)?;
        found.insert(
            person_id,
            SalesTenure {
                person_id,
                tenure_id: parse_id(&tenure)?,
                organization_id: parse_id(&organization)?,
                capacity: capacity.map(|c| c.max(0) as u32),
            },
        );
    }
    Ok(found)
}

pub fn require_salesperson(
    conn: &mut DbConn,
    tenant: Uuid,
    person: Uuid,
    date: NaiveDate,
    pointer: &str,
) -> Result<(), Error> {
    if salespeople(conn, tenant, date, Some(&[person]))?.contains_key(&person) {
        return Ok(());
    }
    let detail = if person_store::exists(conn, tenant, person)? {
        format!("is not a salesperson: no tenure in an own organization on {date}")
    } else {
        "no such person".to_owned()
    };
    Err(Error::Invalid(vec![FieldError::new(pointer, detail)]))
}

#[derive(Debug, Clone)]
pub struct Coverage {
    pub id: Uuid,
    pub fields: NewCoverage,
    /// Ids in other systems; loaded by `find_coverage` and `list_coverage` only.
    pub external_refs: Option<Vec<ExternalRef>>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

type CoverageRow = (String, String, String, String, Option<f64>, i64, NaiveDateTime, NaiveDateTime);

fn coverage_columns() -> (
    coverage_links::id,
    coverage_links::salesperson_id,
    coverage_links::stakeholder_id,
    coverage_links::role,
    coverage_links::stated_strength,
    coverage_links::version,
    coverage_links::created_at,
    coverage_links::updated_at,
) {
    use coverage_links::*;
    (id, salesperson_id, stakeholder_id, role, stated_strength, version, created_at, updated_at)
}

fn coverage(
    (id, salesperson, stakeholder, role, strength, version, created, updated): CoverageRow,
) -> Result<Coverage, Error> {
    Ok(Coverage {
        id: parse_id(&id)?,
        fields: NewCoverage {
            salesperson_id: parse_id(&salesperson)?,
            stakeholder_id: parse_id(&stakeholder)?,
            role: enum_parse(&role)?,
            strength,
        },
        external_refs: None,
        version,
        created_at: created,
        updated_at: updated,
    })
}

pub fn find_coverage(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<Coverage, Error> {
    let row = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant.to_string()))
        .filter(coverage_links::id.eq(id.to_string()))
        .select(coverage_columns())
        .first(conn)?;
    let mut found = coverage(row)?;
    found.external_refs = Some(external_refs::of(conn, tenant, Entity::Coverage, id)?);
    Ok(found)
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CoverageFilter {
    pub salesperson_id: Option<Uuid>,
    pub stakeholder_id: Option<Uuid>,
}

pub fn list_coverage(
    conn: &mut DbConn,
    tenant: Uuid,
    filter: CoverageFilter,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Coverage>, bool), Error> {
    let mut query = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant.to_string()))
        .select(coverage_columns())
        .order(coverage_links::id)
        .limit(page.limit as i64 + 1)
        .into_boxed();
    if let Some(s) = filter.salesperson_id {
        query = query.filter(coverage_links::salesperson_id.eq(s.to_string()));
    }
    if let Some(s) = filter.stakeholder_id {
        query = query.filter(coverage_links::stakeholder_id.eq(s.to_string()));
    }
    if let Some(after) = page.after {
        query = query.filter(coverage_links::id.gt(after.to_string()));
    }
    let (rows, more) = split_page(query.load(conn)?, page.limit);
    let found = rows.into_iter().map(coverage).collect::<Result<Vec<_>, _>>()?;
    let found = with_refs(
        conn,
        tenant,
        Entity::Coverage,
        found,
        |l| l.id,
        |l, refs| l.external_refs = Some(refs),
    )?;
    Ok((found, more))
}

/// Links whose stakeholder is one of these persons.
pub fn coverage_of(
    conn: &mut DbConn,
    tenant: Uuid,
    stakeholders: &[Uuid],
) -> Result<Vec<Coverage>, Error> {
    let ids: Vec<String> = stakeholders.iter().map(Uuid::to_string).collect();
    let rows: Vec<CoverageRow> = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant.to_string()))
        .filter(coverage_links::stakeholder_id.eq_any(ids))
        .select(coverage_columns())
        .load(conn)?;
    rows.into_iter().map(coverage).collect()
}

/// How many stakeholders each of these salespeople covers, over all accounts.
pub fn loads(
    conn: &mut DbConn,
    tenant: Uuid,
    salespeople: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, Error> {
    let ids: Vec<String> = salespeople.iter().map(Uuid::to_string).collect();
    let rows: Vec<(String, String)> = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant.to_string()))
        .filter(coverage_links::salesperson_id.eq_any(ids))
        .select((coverage_links::salesperson_id, coverage_links::stakeholder_id))
        .load(conn)?;
    rows.into_iter().map(|(s, t)| Ok((parse_id(&s)?, parse_id(&t)?))).collect()
}

fn check_coverage(conn: &mut DbConn, tenant: Uuid, new: &NewCoverage) -> Result<(), Error> {
    person_store::require(conn, tenant, &[(new.stakeholder_id, "/stakeholder_id")])?;
    require_salesperson(conn, tenant, new.salesperson_id, now().date(), "/salesperson_id")
}

fn duplicate_coverage(
    conn: &mut DbConn,
    tenant: Uuid,
    new: &NewCoverage,
    except: Option<Uuid>,
) -> Result<(), Error> {
    let existing: Option<String> = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant.to_string()))
        .filter(coverage_links::salesperson_id.eq(new.salesperson_id.to_string()))
        .filter(coverage_links::stakeholder_id.eq(new.stakeholder_id.to_string()))
        .select(coverage_links::id)
        .first(conn)
        .optional()?;
    match existing.map(|id| parse_id(&id)).transpose()? {
        Some(id) if Some(id) != except => Err(Error::Conflict {
            detail: format!("the salesperson already covers this stakeholder: coverage {id}"),
            conflicting: vec![id],
        }),
        _ => Ok(()),
    }
}

pub fn create_coverage(
    conn: &mut DbConn,
    tenant: Uuid,
    new: &NewCoverage,
) -> Result<Coverage, Error> {
    check_coverage(conn, tenant, new)?;
    duplicate_coverage(conn, tenant, new, None)?;
    let id = Uuid::now_v7();
    let at = now();
    diesel::insert_into(coverage_links::table)
        .values((
            coverage_links::tenant_id.eq(tenant.to_string()),
            coverage_links::id.eq(id.to_string()),
            coverage_links::salesperson_id.eq(new.salesperson_id.to_string()),
            coverage_links::stakeholder_id.eq(new.stakeholder_id.to_string()),
            coverage_links::role.eq(enum_name(&new.role)),
            coverage_links::stated_strength.eq(new.strength),
            coverage_links::version.eq(1),
            coverage_links::created_at.eq(at),
            coverage_links::updated_at.eq(at),
        ))
        .execute(conn)?;
    changes::record(conn, tenant, Entity::Coverage, id, Operation::Create)?;
    find_coverage(conn, tenant, id)
}

pub fn update_coverage(
    conn: &mut DbConn,
    tenant: Uuid,
    id: Uuid,
    expected: &Expected,
    new: &NewCoverage,
) -> Result<Coverage, Error> {
    let current = find_coverage(conn, tenant, id)?;
    expected.check(current.version)?;
    lock_version!(conn, coverage_links, tenant, id, current.version)?;
    if current.fields.salesperson_id != new.salesperson_id
        || current.fields.stakeholder_id != new.stakeholder_id
    {
        check_coverage(conn, tenant, new)?;
        duplicate_coverage(conn, tenant, new, Some(id))?;
    }
    diesel::update(
        coverage_links::table
            .filter(coverage_links::tenant_id.eq(tenant.to_string()))
            .filter(coverage_links::id.eq(id.to_string())),
    )
    .set((
        coverage_links::salesperson_id.eq(new.salesperson_id.to_string()),
        coverage_links::stakeholder_id.eq(new.stakeholder_id.to_string()),
        coverage_links::role.eq(enum_name(&new.role)),
        coverage_links::stated_strength.eq(new.strength),
        coverage_links::version.eq(current.version + 1),
        coverage_links::updated_at.eq(now()),
    ))
    .execute(conn)?;
    changes::record(conn, tenant, Entity::Coverage, id, Operation::Update)?;
    find_coverage(conn, tenant, id)
}

pub fn delete_coverage(
    conn: &mut DbConn,
    tenant: Uuid,
    id: Uuid,
    expected: &Expected,
) -> Result<(), Error> {
    let current = find_coverage(conn, tenant, id)?;
    expected.check(current.version)?;
    lock_version!(conn, coverage_links, tenant, id, current.version)?;
    delete_coverage_ids(conn, tenant, &[id])
}

pub fn delete_coverage_ids(conn: &mut DbConn, tenant: Uuid, ids: &[Uuid]) -> Result<(), Error> {
    changes::deleted(conn, tenant, Entity::Coverage, ids)?;
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    diesel::delete(
        coverage_links::table
            .filter(coverage_links::tenant_id.eq(tenant.to_string()))
            .filter(coverage_links::id.eq_any(ids)),
    )
    .execute(conn)?;
    Ok(())
}
