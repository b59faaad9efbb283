//! The network around stakeholders: relationships between persons, coverage links from
//! salespeople, logged interactions, affinity rules and the tenant's coverage settings.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::{
    enum_name, enum_parse, CoverageSettings, InteractionKind, NewCoverage, NewInteraction,
    NewRelationship,
};
use crate::domain::crafting::FacetKey;
use crate::domain::facet::{dimension_name, Dimension};
use crate::domain::fit::Affinity;
use crate::domain::organization::OrganizationKind;
use crate::error::{Error, FieldError};
use crate::store::schema::{
    affinities, coverage_links, coverage_settings, interactions, organizations, posts,
    relationships, tenures,
};
use crate::store::{
    from_json, now, parse_id, persons as person_store, split_page, to_json, DbConn, Expected,
    PageRequest,
};

// ---------------------------------------------------------------------------------------------
// Relationships

#[derive(Debug, Clone)]
pub struct Relationship {
    pub id: Uuid,
    pub fields: NewRelationship,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

type RelationshipRow = (
    String,
    String,
    String,
    String,
    f64,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<String>,
    i64,
    NaiveDateTime,
    NaiveDateTime,
);

fn relationship_columns() -> (
    relationships::id,
    relationships::from_person_id,
    relationships::to_person_id,
    relationships::kind,
    relationships::strength,
    relationships::valid_from,
    relationships::valid_until,
    relationships::notes,
    relationships::version,
    relationships::created_at,
    relationships::updated_at,
) {
    use relationships::*;
    (
        id,
        from_person_id,
        to_person_id,
        kind,
        strength,
        valid_from,
        valid_until,
        notes,
        version,
        created_at,
        updated_at,
    )
}

fn relationship(row: RelationshipRow) -> Result<Relationship, Error> {
    let (id, from, to, kind, strength, valid_from, valid_until, notes, version, created, updated) =
        row;
    Ok(Relationship {
        id: parse_id(&id)?,
        fields: NewRelationship {
            from_person_id: parse_id(&from)?,
            to_person_id: parse_id(&to)?,
            kind: enum_parse(&kind)?,
            strength,
            valid_from,
            valid_until,
            notes,
        },
        version,
        created_at: created,
        updated_at: updated,
    })
}

/// Both persons must exist: a 422 naming the missing ones.
fn check_persons(conn: &mut DbConn, tenant: Uuid, persons: &[(Uuid, &str)]) -> Result<(), Error> {
    let mut missing = Vec::new();
    for (id, pointer) in persons {
        if !person_store::exists(conn, tenant, *id)? {
            missing.push(FieldError::new(*pointer, "no such person"));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(missing))
    }
}

pub fn find_relationship(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<Relationship, Error> {
    let row = relationships::table
        .filter(relationships::tenant_id.eq(tenant.to_string()))
        .filter(relationships::id.eq(id.to_string()))
        .select(relationship_columns())
        .first(conn)?;
    relationship(row)
}

/// Relationships in id order; with `person`, those from or to that person.
pub fn list_relationships(
    conn: &mut DbConn,
    tenant: Uuid,
    person: Option<Uuid>,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Relationship>, bool), Error> {
    let mut query = relationships::table
        .filter(relationships::tenant_id.eq(tenant.to_string()))
        .select(relationship_columns())
        .order(relationships::id)
        .limit(page.limit as i64 + 1)
        .into_boxed();
    if let Some(person) = person {
        let person = person.to_string();
        query = query.filter(
            relationships::from_person_id
                .eq(person.clone())
                .or(relationships::to_person_id.eq(person)),
        );
    }
    if let Some(after) = page.after {
        query = query.filter(relationships::id.gt(after.to_string()));
    }
    let (rows, more) = split_page(query.load(conn)?, page.limit);
    Ok((rows.into_iter().map(relationship).collect::<Result<_, _>>()?, more))
}

/// Relationships touching any of these persons, valid on `date`.
pub fn relationships_among(
    conn: &mut DbConn,
    tenant: Uuid,
    persons: &[Uuid],
    date: NaiveDate,
) -> Result<Vec<Relationship>, Error> {
    let ids: Vec<String> = persons.iter().map(Uuid::to_string).collect();
    let rows: Vec<RelationshipRow> = relationships::table
        .filter(relationships::tenant_id.eq(tenant.to_string()))
        .filter(
            relationships::from_person_id.eq_any(&ids).or(relationships::to_person_id.eq_any(&ids)),
        )
        .select(relationship_columns())
        .load(conn)?;
    let all: Vec<Relationship> = rows.into_iter().map(relationship).collect::<Result<_, _>>()?;
    Ok(all.into_iter().filter(|r| r.fields.holds_on(date)).collect())
}

pub fn create_relationship(
    conn: &mut DbConn,
    tenant: Uuid,
    new: &NewRelationship,
) -> Result<Relationship, Error> {
    check_persons(
        conn,
        tenant,
        &[(new.from_person_id, "/from_person_id"), (new.to_person_id, "/to_person_id")],
    )?;
    let id = Uuid::now_v7();
    let at = now();
    diesel::insert_into(relationships::table)
        .values((
            relationships::tenant_id.eq(tenant.to_string()),
            relationships::id.eq(id.to_string()),
            relationships::from_person_id.eq(new.from_person_id.to_string()),
            relationships::to_person_id.eq(new.to_person_id.to_string()),
            relationships::kind.eq(enum_name(&new.kind)),
            relationships::strength.eq(new.strength),
            relationships::valid_from.eq(new.valid_from),
            relationships::valid_until.eq(new.valid_until),
            relationships::notes.eq(&new.notes),
            relationships::version.eq(1),
            relationships::created_at.eq(at),
            relationships::updated_at.eq(at),
        ))
        .execute(conn)?;
    find_relationship(conn, tenant, id)
}

pub fn update_relationship(
    conn: &mut DbConn,
    tenant: Uuid,
    id: Uuid,
    expected: &Expected,
    new: &NewRelationship,
) -> Result<Relationship, Error> {
    let current = find_relationship(conn, tenant, id)?;
    expected.check(current.version)?;
    check_persons(
        conn,
        tenant,
        &[(new.from_person_id, "/from_person_id"), (new.to_person_id, "/to_person_id")],
    )?;
    diesel::update(
        relationships::table
            .filter(relationships::tenant_id.eq(tenant.to_string()))
            .filter(relationships::id.eq(id.to_string())),
    )
    .set((
        relationships::from_person_id.eq(new.from_person_id.to_string()),
        relationships::to_person_id.eq(new.to_person_id.to_string()),
        relationships::kind.eq(enum_name(&new.kind)),
        relationships::strength.eq(new.strength),
        relationships::valid_from.eq(new.valid_from),
        relationships::valid_until.eq(new.valid_until),
        relationships::notes.eq(&new.notes),
        relationships::version.eq(current.version + 1),
        relationships::updated_at.eq(now()),
    ))
    .execute(conn)?;
    find_relationship(conn, tenant, id)
}

pub fn delete_relationship(
    conn: &mut DbConn,
    tenant: Uuid,
    id: Uuid,
    expected: &Expected,
) -> Result<(), Error> {
    let current = find_relationship(conn, tenant, id)?;
    expected.check(current.version)?;
    diesel::delete(
        relationships::table
            .filter(relationships::tenant_id.eq(tenant.to_string()))
            .filter(relationships::id.eq(id.to_string())),
    )
    .execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Salespeople

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

fn require_salesperson(
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

// ---------------------------------------------------------------------------------------------
// Coverage links

#[derive(Debug, Clone)]
pub struct Coverage {
    pub id: Uuid,
    pub fields: NewCoverage,
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
    coverage(row)
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
    Ok((rows.into_iter().map(coverage).collect::<Result<_, _>>()?, more))
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
    check_persons(conn, tenant, &[(new.stakeholder_id, "/stakeholder_id")])?;
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
    delete_coverage_ids(conn, tenant, &[id])
}

pub fn delete_coverage_ids(conn: &mut DbConn, tenant: Uuid, ids: &[Uuid]) -> Result<(), Error> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    diesel::delete(
        coverage_links::table
            .filter(coverage_links::tenant_id.eq(tenant.to_string()))
            .filter(coverage_links::id.eq_any(ids)),
    )
    .execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Interactions

#[derive(Debug, Clone)]
pub struct Interaction {
    pub id: Uuid,
    pub fields: NewInteraction,
    pub created_at: NaiveDateTime,
}

type InteractionRow =
    (String, String, String, String, NaiveDateTime, Option<String>, NaiveDateTime);

fn interaction_columns() -> (
    interactions::id,
    interactions::salesperson_id,
    interactions::stakeholder_id,
    interactions::kind,
    interactions::occurred_at,
    interactions::summary,
    interactions::created_at,
) {
    use interactions::*;
    (id, salesperson_id, stakeholder_id, kind, occurred_at, summary, created_at)
}

fn interaction(
    (id, salesperson, stakeholder, kind, occurred_at, summary, created): InteractionRow,
) -> Result<Interaction, Error> {
    Ok(Interaction {
        id: parse_id(&id)?,
        fields: NewInteraction {
            salesperson_id: parse_id(&salesperson)?,
            stakeholder_id: parse_id(&stakeholder)?,
            kind: enum_parse::<InteractionKind>(&kind)?,
            occurred_at,
            summary,
        },
        created_at: created,
    })
}

pub fn find_interaction(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<Interaction, Error> {
    let row = interactions::table
        .filter(interactions::tenant_id.eq(tenant.to_string()))
        .filter(interactions::id.eq(id.to_string()))
        .select(interaction_columns())
        .first(conn)?;
    interaction(row)
}

pub fn list_interactions(
    conn: &mut DbConn,
    tenant: Uuid,
    filter: CoverageFilter,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Interaction>, bool), Error> {
    let mut query = interactions::table
        .filter(interactions::tenant_id.eq(tenant.to_string()))
        .select(interaction_columns())
        .order(interactions::id)
        .limit(page.limit as i64 + 1)
        .into_boxed();
    if let Some(s) = filter.salesperson_id {
        query = query.filter(interactions::salesperson_id.eq(s.to_string()));
    }
    if let Some(s) = filter.stakeholder_id {
        query = query.filter(interactions::stakeholder_id.eq(s.to_string()));
    }
    if let Some(after) = page.after {
        query = query.filter(interactions::id.gt(after.to_string()));
    }
    let (rows, more) = split_page(query.load(conn)?, page.limit);
    Ok((rows.into_iter().map(interaction).collect::<Result<_, _>>()?, more))
}

/// When each (salesperson, stakeholder) pair met, for stakeholders among these persons.
pub fn touches(
    conn: &mut DbConn,
    tenant: Uuid,
    stakeholders: &[Uuid],
) -> Result<HashMap<(Uuid, Uuid), Vec<NaiveDateTime>>, Error> {
    let ids: Vec<String> = stakeholders.iter().map(Uuid::to_string).collect();
    let rows: Vec<(String, String, NaiveDateTime)> = interactions::table
        .filter(interactions::tenant_id.eq(tenant.to_string()))
        .filter(interactions::stakeholder_id.eq_any(ids))
        .select((
            interactions::salesperson_id,
            interactions::stakeholder_id,
            interactions::occurred_at,
        ))
        .load(conn)?;
    let mut by_pair: HashMap<(Uuid, Uuid), Vec<NaiveDateTime>> = HashMap::new();
    for (s, t, at) in rows {
        by_pair.entry((parse_id(&s)?, parse_id(&t)?)).or_default().push(at);
    }
    Ok(by_pair)
}

pub fn create_interaction(
    conn: &mut DbConn,
    tenant: Uuid,
    new: &NewInteraction,
) -> Result<Interaction, Error> {
    check_persons(conn, tenant, &[(new.stakeholder_id, "/stakeholder_id")])?;
    require_salesperson(
        conn,
        tenant,
        new.salesperson_id,
        new.occurred_at.date(),
        "/salesperson_id",
    )?;
    let id = Uuid::now_v7();
    diesel::insert_into(interactions::table)
        .values((
            interactions::tenant_id.eq(tenant.to_string()),
            interactions::id.eq(id.to_string()),
            interactions::salesperson_id.eq(new.salesperson_id.to_string()),
            interactions::stakeholder_id.eq(new.stakeholder_id.to_string()),
            interactions::kind.eq(enum_name(&new.kind)),
            interactions::occurred_at.eq(new.occurred_at),
            interactions::summary.eq(&new.summary),
            interactions::created_at.eq(now()),
        ))
        .execute(conn)?;
    find_interaction(conn, tenant, id)
}

pub fn delete_interaction(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(), Error> {
    find_interaction(conn, tenant, id)?;
    diesel::delete(
        interactions::table
            .filter(interactions::tenant_id.eq(tenant.to_string()))
            .filter(interactions::id.eq(id.to_string())),
    )
    .execute(conn)?;
    Ok(())
}

/// Removes the person's relationships, coverage links and interactions (erasure); without
/// `cascade`, refuses while there are any.
pub fn delete_of_person(
    conn: &mut DbConn,
    tenant: Uuid,
    person: Uuid,
    cascade: bool,
) -> Result<(), Error> {
    let (t, p) = (tenant.to_string(), person.to_string());
    let relationships_of = relationships::table
        .filter(relationships::tenant_id.eq(&t))
        .filter(relationships::from_person_id.eq(&p).or(relationships::to_person_id.eq(&p)));
    let links_of = coverage_links::table
        .filter(coverage_links::tenant_id.eq(&t))
        .filter(coverage_links::salesperson_id.eq(&p).or(coverage_links::stakeholder_id.eq(&p)));
    let touches_of = interactions::table
        .filter(interactions::tenant_id.eq(&t))
        .filter(interactions::salesperson_id.eq(&p).or(interactions::stakeholder_id.eq(&p)));
    if !cascade {
        let count: i64 = relationships_of.count().get_result::<i64>(conn)?
            + links_of.count().get_result::<i64>(conn)?
            + touches_of.count().get_result::<i64>(conn)?;
        if count > 0 {
            return Err(Error::conflict(format!(
                "the person has {count} relationship(s), coverage link(s) or interaction(s); \
                 pass cascade=true to delete them too"
            )));
        }
        return Ok(());
    }
    diesel::delete(relationships_of).execute(conn)?;
    diesel::delete(links_of).execute(conn)?;
    diesel::delete(touches_of).execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Affinity rules

#[derive(Debug, Clone)]
pub struct StoredAffinity {
    pub id: Uuid,
    pub affinity: Affinity,
    pub created_at: NaiveDateTime,
}

type AffinityRow = (String, String, String, String, String, f64, NaiveDateTime);

fn affinity_columns() -> (
    affinities::id,
    affinities::from_dimension,
    affinities::from_key,
    affinities::to_dimension,
    affinities::to_key,
    affinities::weight,
    affinities::created_at,
) {
    use affinities::*;
    (id, from_dimension, from_key, to_dimension, to_key, weight, created_at)
}

fn stored_affinity(
    (id, fd, fk, td, tk, weight, created): AffinityRow,
) -> Result<StoredAffinity, Error> {
    let dimension =
        |d: &str| Dimension::parse(d).ok_or_else(|| Error::internal(format!("dimension {d}")));
    Ok(StoredAffinity {
        id: parse_id(&id)?,
        affinity: Affinity { from: (dimension(&fd)?, fk), to: (dimension(&td)?, tk), weight },
        created_at: created,
    })
}

pub fn list_affinities(conn: &mut DbConn, tenant: Uuid) -> Result<Vec<StoredAffinity>, Error> {
    let rows: Vec<AffinityRow> = affinities::table
        .filter(affinities::tenant_id.eq(tenant.to_string()))
        .order(affinities::id)
        .select(affinity_columns())
        .load(conn)?;
    rows.into_iter().map(stored_affinity).collect()
}

/// A page of the tenant's affinity rules in id order.
pub fn affinities_page(
    conn: &mut DbConn,
    tenant: Uuid,
    page: PageRequest<Uuid>,
) -> Result<(Vec<StoredAffinity>, bool), Error> {
    let mut query = affinities::table
        .filter(affinities::tenant_id.eq(tenant.to_string()))
        .order(affinities::id)
        .limit(page.limit as i64 + 1)
        .select(affinity_columns())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(affinities::id.gt(after.to_string()));
    }
    let (rows, more) = split_page(query.load::<AffinityRow>(conn)?, page.limit);
    Ok((rows.into_iter().map(stored_affinity).collect::<Result<_, _>>()?, more))
}

pub fn find_affinity(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<StoredAffinity, Error> {
    let row = affinities::table
        .filter(affinities::tenant_id.eq(tenant.to_string()))
        .filter(affinities::id.eq(id.to_string()))
        .select(affinity_columns())
        .first(conn)?;
    stored_affinity(row)
}

pub fn create_affinity(
    conn: &mut DbConn,
    tenant: Uuid,
    affinity: &Affinity,
) -> Result<StoredAffinity, Error> {
    let key = |k: &FacetKey| (dimension_name(k.0), k.1.clone());
    let ((fd, fk), (td, tk)) = (key(&affinity.from), key(&affinity.to));
    let existing: Option<String> = affinities::table
        .filter(affinities::tenant_id.eq(tenant.to_string()))
        .filter(affinities::from_dimension.eq(fd))
        .filter(affinities::from_key.eq(&fk))
        .filter(affinities::to_dimension.eq(td))
        .filter(affinities::to_key.eq(&tk))
        .select(affinities::id)
        .first(conn)
        .optional()?;
    if let Some(existing) = existing {
        let existing = parse_id(&existing)?;
        return Err(Error::Conflict {
            detail: format!(
                "the same rule exists: affinity {existing}; delete it to change its weight"
            ),
            conflicting: vec![existing],
        });
    }
    let id = Uuid::now_v7();
    diesel::insert_into(affinities::table)
        .values((
            affinities::tenant_id.eq(tenant.to_string()),
            affinities::id.eq(id.to_string()),
            affinities::from_dimension.eq(fd),
            affinities::from_key.eq(&fk),
            affinities::to_dimension.eq(td),
            affinities::to_key.eq(&tk),
            affinities::weight.eq(affinity.weight),
            affinities::created_at.eq(now()),
        ))
        .execute(conn)?;
    find_affinity(conn, tenant, id)
}

pub fn delete_affinity(conn: &mut DbConn, tenant: Uuid, id: Uuid) -> Result<(), Error> {
    find_affinity(conn, tenant, id)?;
    diesel::delete(
        affinities::table
            .filter(affinities::tenant_id.eq(tenant.to_string()))
            .filter(affinities::id.eq(id.to_string())),
    )
    .execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Settings

/// The tenant's coverage settings and their version (0 while only defaults apply).
pub fn settings(conn: &mut DbConn, tenant: Uuid) -> Result<(CoverageSettings, i64), Error> {
    let row: Option<(String, i64)> = coverage_settings::table
        .filter(coverage_settings::tenant_id.eq(tenant.to_string()))
        .select((coverage_settings::settings, coverage_settings::version))
        .first(conn)
        .optional()?;
    match row {
        Some((settings, version)) => Ok((from_json(&settings)?, version)),
        None => Ok((CoverageSettings::default(), 0)),
    }
}

pub fn save_settings(
    conn: &mut DbConn,
    tenant: Uuid,
    expected: &Expected,
    new: &CoverageSettings,
) -> Result<(CoverageSettings, i64), Error> {
    let (_, version) = settings(conn, tenant)?;
    expected.check(version)?;
    let t = tenant.to_string();
    if version == 0 {
        diesel::insert_into(coverage_settings::table)
            .values((
                coverage_settings::tenant_id.eq(&t),
                coverage_settings::settings.eq(to_json(new)?),
                coverage_settings::version.eq(1),
                coverage_settings::updated_at.eq(now()),
            ))
            .execute(conn)?;
    } else {
        diesel::update(coverage_settings::table.filter(coverage_settings::tenant_id.eq(&t)))
            .set((
                coverage_settings::settings.eq(to_json(new)?),
                coverage_settings::version.eq(version + 1),
                coverage_settings::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    settings(conn, tenant)
}
