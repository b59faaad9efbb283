//! Coverage: which salesperson covers which stakeholder, and who counts as a salesperson.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::{enum_name, enum_parse, NewCoverage};
use crate::domain::strength::derived_strength;
use crate::domain::sync::ExternalRef;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::{self, Entity, Operation};
use crate::store::external_refs;
use crate::store::history::Versioned;
use crate::store::interactions::PairFilter;
use crate::store::people::{holder_ids_in, texts, People};
use crate::store::resource::Resource;
use crate::store::schema::coverage_links;
use crate::store::{
    coverage_settings, interactions, now, parse_id, persons as person_store, salespeople, DbConn,
    PageRequest,
};

#[derive(Debug, Clone)]
pub struct Coverage {
    pub id: Uuid,
    pub fields: NewCoverage,
    /// Ids in other systems; loaded by `find` and `list` only.
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

row_reads!(coverage_links, Entity::Coverage, Coverage, CoverageRow = coverage_columns() => coverage);
versions_since!(
    coverage_link_versions,
    Coverage,
    [id, salesperson_id, stakeholder_id, role, stated_strength, version, created_at, updated_at],
    coverage
);

/// Which end of a link a list of persons is.
#[derive(Debug, Clone, Copy)]
pub enum End {
    Stakeholders,
    Salespeople,
}

/// Links whose stakeholder (or salesperson) is one of these persons.
pub fn coverage_of(
    conn: &mut DbConn,
    tenant: TenantId,
    end: End,
    people: People<'_>,
) -> Result<Vec<Coverage>, Error> {
    let query = coverage_links::table.filter(coverage_links::tenant_id.eq(tenant)).into_boxed();
    let query = match (end, people) {
        (End::Stakeholders, People::Listed(ids)) => {
            query.filter(coverage_links::stakeholder_id.eq_any(texts(ids)))
        }
        (End::Stakeholders, People::HoldingPostsIn(organizations)) => query
            .filter(coverage_links::stakeholder_id.eq_any(holder_ids_in(tenant, organizations))),
        (End::Salespeople, People::Listed(ids)) => {
            query.filter(coverage_links::salesperson_id.eq_any(texts(ids)))
        }
        (End::Salespeople, People::HoldingPostsIn(organizations)) => query
            .filter(coverage_links::salesperson_id.eq_any(holder_ids_in(tenant, organizations))),
    };
    let rows: Vec<CoverageRow> = query.select(coverage_columns()).load(conn)?;
    rows.into_iter().map(coverage).collect()
}

/// The links of these salespeople, as (salesperson, stakeholder) pairs, over all accounts.
pub fn loads(
    conn: &mut DbConn,
    tenant: TenantId,
    salespeople: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, Error> {
    let ids: Vec<String> = salespeople.iter().map(Uuid::to_string).collect();
    let rows: Vec<(String, String)> = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant))
        .filter(coverage_links::salesperson_id.eq_any(ids))
        .select((coverage_links::salesperson_id, coverage_links::stakeholder_id))
        .load(conn)?;
    rows.into_iter().map(|(s, t)| Ok((parse_id(&s)?, parse_id(&t)?))).collect()
}

fn check_coverage(conn: &mut DbConn, tenant: TenantId, new: &NewCoverage) -> Result<(), Error> {
    person_store::require(conn, tenant, &[(new.stakeholder_id, "/stakeholder_id")])?;
    salespeople::require_salesperson(
        conn,
        tenant,
        new.salesperson_id,
        now().date(),
        "/salesperson_id",
    )
}

fn duplicate_coverage(
    conn: &mut DbConn,
    tenant: TenantId,
    new: &NewCoverage,
    except: Option<Uuid>,
) -> Result<(), Error> {
    let existing: Option<String> = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant))
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

pub fn delete_coverage_ids(conn: &mut DbConn, tenant: TenantId, ids: &[Uuid]) -> Result<(), Error> {
    changes::deleted(conn, tenant, Entity::Coverage, ids)?;
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    diesel::delete(
        coverage_links::table
            .filter(coverage_links::tenant_id.eq(tenant))
            .filter(coverage_links::id.eq_any(ids)),
    )
    .execute(conn)?;
    Ok(())
}

/// The columns a client writes, shared by insert and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = coverage_links, treat_none_as_null = true)]
struct Fields {
    salesperson_id: String,
    stakeholder_id: String,
    role: String,
    stated_strength: Option<f64>,
}

impl Fields {
    fn of(new: &NewCoverage) -> Self {
        Fields {
            salesperson_id: new.salesperson_id.to_string(),
            stakeholder_id: new.stakeholder_id.to_string(),
            role: enum_name(&new.role),
            stated_strength: new.strength,
        }
    }
}

/// Coverage links, as the entity clients write (see `store::resource`).
pub struct CoverageLinks;

impl Resource for CoverageLinks {
    const ENTITY: Entity = Entity::Coverage;
    const REFERENCES: &'static [(&'static str, Entity)] =
        &[("salesperson_id", Entity::Person), ("stakeholder_id", Entity::Person)];
    type New = NewCoverage;
    type Stored = Coverage;
    type View = CoverageView;
    type Filter = PairFilter;

    fn as_written(c: &Coverage) -> NewCoverage {
        c.fields.clone()
    }
    fn key(c: &Coverage) -> (Uuid, i64) {
        (c.id, c.version)
    }
    fn views(
        conn: &mut DbConn,
        tenant: TenantId,
        links: Vec<Coverage>,
    ) -> Result<Vec<CoverageView>, Error> {
        with_strength(conn, tenant, links)
    }

    fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Coverage, Error> {
        find(conn, tenant, id)
    }

    fn list(
        conn: &mut DbConn,
        tenant: TenantId,
        filter: PairFilter,
        page: PageRequest<Uuid>,
    ) -> Result<(Vec<Coverage>, bool), Error> {
        let mut query = coverage_links::table
            .filter(coverage_links::tenant_id.eq(tenant))
            .select(coverage_columns())
            .into_boxed();
        if let Some(s) = filter.salesperson_id {
            query = query.filter(coverage_links::salesperson_id.eq(s.to_string()));
        }
        if let Some(s) = filter.stakeholder_id {
            query = query.filter(coverage_links::stakeholder_id.eq(s.to_string()));
        }
        page_with_refs!(conn, tenant, query, coverage_links, page, coverage, Entity::Coverage)
    }

    fn create(conn: &mut DbConn, tenant: TenantId, new: &NewCoverage) -> Result<Coverage, Error> {
        check_coverage(conn, tenant, new)?;
        duplicate_coverage(conn, tenant, new, None)?;
        let id = Uuid::now_v7();
        let at = now();
        diesel::insert_into(coverage_links::table)
            .values(first_version!(coverage_links, tenant, id, at, Fields::of(new)))
            .execute(conn)?;
        changes::record(conn, tenant, Entity::Coverage, id, Operation::Create)?;
        Self::find(conn, tenant, id)
    }

    locks_rows!(coverage_links);
    fn update(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Coverage,
        new: &NewCoverage,
    ) -> Result<Coverage, Error> {
        let id = current.id;
        if current.fields.salesperson_id != new.salesperson_id
            || current.fields.stakeholder_id != new.stakeholder_id
        {
            check_coverage(conn, tenant, new)?;
            duplicate_coverage(conn, tenant, new, Some(id))?;
        }
        write_version!(conn, coverage_links, Entity::Coverage, tenant, current, Fields::of(new))?;
        Self::find(conn, tenant, id)
    }

    /// Nothing depends on it: `cascade` changes nothing.
    fn delete(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Coverage,
        _cascade: bool,
    ) -> Result<(), Error> {
        let id = current.id;
        delete_coverage_ids(conn, tenant, &[id])
    }
}

/// A coverage link with what its pair's interactions say (the strength in effect is the
/// stated one, else the derived one).
#[derive(Debug, Clone)]
pub struct CoverageView {
    pub link: Coverage,
    /// Derived from the pair's interactions with the tenant's half-life.
    pub derived_strength: f64,
    /// The latest logged interaction between the two.
    pub last_interaction_at: Option<NaiveDateTime>,
}

impl CoverageView {
    /// The strength in effect: the stated one, else the derived one.
    pub fn strength(&self) -> f64 {
        self.link.fields.strength.unwrap_or(self.derived_strength)
    }
}

/// Links whose salesperson or stakeholder is one of these persons, with their strengths.
pub fn touching(
    conn: &mut DbConn,
    tenant: TenantId,
    persons: &[Uuid],
) -> Result<Vec<CoverageView>, Error> {
    let ids: Vec<String> = persons.iter().map(Uuid::to_string).collect();
    let rows: Vec<CoverageRow> = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant))
        .filter(
            coverage_links::salesperson_id
                .eq_any(&ids)
                .or(coverage_links::stakeholder_id.eq_any(&ids)),
        )
        .select(coverage_columns())
        .load(conn)?;
    let links = rows.into_iter().map(coverage).collect::<Result<Vec<_>, _>>()?;
    with_strength(conn, tenant, links)
}

/// Links between one of `persons` and one of `others` (either covering the other), with their
/// strengths.
pub fn between(
    conn: &mut DbConn,
    tenant: TenantId,
    persons: &[Uuid],
    others: &[Uuid],
) -> Result<Vec<CoverageView>, Error> {
    let ids: Vec<String> = persons.iter().map(Uuid::to_string).collect();
    let other_ids: Vec<String> = others.iter().map(Uuid::to_string).collect();
    let rows: Vec<CoverageRow> = coverage_links::table
        .filter(coverage_links::tenant_id.eq(tenant))
        .filter(
            (coverage_links::salesperson_id
                .eq_any(&ids)
                .and(coverage_links::stakeholder_id.eq_any(&other_ids)))
            .or(coverage_links::stakeholder_id
                .eq_any(&ids)
                .and(coverage_links::salesperson_id.eq_any(&other_ids))),
        )
        .select(coverage_columns())
        .load(conn)?;
    let links = rows.into_iter().map(coverage).collect::<Result<Vec<_>, _>>()?;
    with_strength(conn, tenant, links)
}

/// Coverage links with their strengths, derived from the interactions of their pairs.
fn with_strength(
    conn: &mut DbConn,
    tenant: TenantId,
    links: Vec<Coverage>,
) -> Result<Vec<CoverageView>, Error> {
    let settings = coverage_settings::settings(conn, tenant)?.0;
    let stakeholders: Vec<Uuid> = links.iter().map(|l| l.fields.stakeholder_id).collect();
    let at = now();
    let touches = interactions::touches(conn, tenant, People::Listed(&stakeholders), at)?;
    Ok(links
        .into_iter()
        .map(|link| {
            let times: &[NaiveDateTime] = touches
                .get(&(link.fields.salesperson_id, link.fields.stakeholder_id))
                .map_or(&[], |met| met.times.as_slice());
            CoverageView {
                derived_strength: derived_strength(times, at, settings.half_life()),
                last_interaction_at: times.iter().filter(|t| **t <= at).max().copied(),
                link,
            }
        })
        .collect())
}
