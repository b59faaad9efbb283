//! Relationships: observed links between persons, inside or across organizations.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::coverage::{enum_name, enum_parse, NewRelationship};
use crate::domain::sync::ExternalRef;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::{self, Entity, Operation};
use crate::store::external_refs;
use crate::store::history::Versioned;
use crate::store::people::{holder_ids_in, texts, People};
use crate::store::resource::Resource;
use crate::store::schema::{relationship_versions, relationships};
use crate::store::{now, parse_id, persons as person_store, DbConn, PageRequest};

#[derive(Debug, Clone)]
pub struct Relationship {
    pub id: Uuid,
    pub fields: NewRelationship,
    /// Ids in other systems; loaded by `find` and `list` only.
    pub external_refs: Option<Vec<ExternalRef>>,
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

/// A relationship's columns, alike in its table and in the table of its earlier versions.
macro_rules! columns {
    ($table:ident) => {
        (
            $table::id,
            $table::from_person_id,
            $table::to_person_id,
            $table::kind,
            $table::strength,
            $table::valid_from,
            $table::valid_until,
            $table::notes,
            $table::version,
            $table::created_at,
            $table::updated_at,
        )
    };
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
        external_refs: None,
        version,
        created_at: created,
        updated_at: updated,
    })
}

row_reads!(
    relationships,
    Entity::Relationship,
    Relationship,
    RelationshipRow = columns!(relationships) => relationship
);
versions_since!(relationship_versions, Relationship, columns!(relationship_versions), relationship);

/// Relationships touching any of these persons, valid on `date`.
pub fn relationships_among(
    conn: &mut DbConn,
    tenant: TenantId,
    persons: People<'_>,
    date: NaiveDate,
) -> Result<Vec<Relationship>, Error> {
    let query = relationships::table.filter(relationships::tenant_id.eq(tenant)).into_boxed();
    let query = match persons {
        People::Listed(ids) => {
            let ids = texts(ids);
            query.filter(
                relationships::from_person_id
                    .eq_any(ids.clone())
                    .or(relationships::to_person_id.eq_any(ids)),
            )
        }
        People::HoldingPostsIn(organizations) => query.filter(
            relationships::from_person_id
                .eq_any(holder_ids_in(tenant, organizations))
                .or(relationships::to_person_id.eq_any(holder_ids_in(tenant, organizations))),
        ),
    };
    let rows: Vec<RelationshipRow> = query.select(columns!(relationships)).load(conn)?;
    let all: Vec<Relationship> = rows.into_iter().map(relationship).collect::<Result<_, _>>()?;
    Ok(all.into_iter().filter(|r| r.fields.holds_on(date)).collect())
}

/// Relationships from a person who holds or held a post in these organizations, valid on
/// `date`: one statement, by organization, for readers of many accounts at once (who keep those
/// whose other end is a stakeholder too).
pub fn from_holders_in(
    conn: &mut DbConn,
    tenant: TenantId,
    organizations: &[Uuid],
    date: NaiveDate,
) -> Result<Vec<Relationship>, Error> {
    let rows: Vec<RelationshipRow> = relationships::table
        .filter(relationships::tenant_id.eq(tenant))
        .filter(relationships::from_person_id.eq_any(holder_ids_in(tenant, organizations)))
        .select(columns!(relationships))
        .load(conn)?;
    let all: Vec<Relationship> = rows.into_iter().map(relationship).collect::<Result<_, _>>()?;
    Ok(all.into_iter().filter(|r| r.fields.holds_on(date)).collect())
}

/// Relationships between one of `persons` and one of `others`, valid on `date`.
pub fn relationships_between(
    conn: &mut DbConn,
    tenant: TenantId,
    persons: &[Uuid],
    others: &[Uuid],
    date: NaiveDate,
) -> Result<Vec<Relationship>, Error> {
    let ids: Vec<String> = persons.iter().map(Uuid::to_string).collect();
    let other_ids: Vec<String> = others.iter().map(Uuid::to_string).collect();
    let rows: Vec<RelationshipRow> = relationships::table
        .filter(relationships::tenant_id.eq(tenant))
        .filter(
            (relationships::from_person_id
                .eq_any(&ids)
                .and(relationships::to_person_id.eq_any(&other_ids)))
            .or(relationships::to_person_id
                .eq_any(&ids)
                .and(relationships::from_person_id.eq_any(&other_ids))),
        )
        .select(columns!(relationships))
        .load(conn)?;
    let all: Vec<Relationship> = rows.into_iter().map(relationship).collect::<Result<_, _>>()?;
    Ok(all.into_iter().filter(|r| r.fields.holds_on(date)).collect())
}

/// The columns a client writes, shared by insert and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = relationships, treat_none_as_null = true)]
struct Fields<'a> {
    from_person_id: String,
    to_person_id: String,
    kind: String,
    strength: f64,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    notes: Option<&'a str>,
}

impl<'a> Fields<'a> {
    fn of(new: &'a NewRelationship) -> Self {
        Fields {
            from_person_id: new.from_person_id.to_string(),
            to_person_id: new.to_person_id.to_string(),
            kind: enum_name(&new.kind),
            strength: new.strength,
            valid_from: new.valid_from,
            valid_until: new.valid_until,
            notes: new.notes.as_deref(),
        }
    }
}

/// Relationships, as the entity clients write (see `store::resource`).
pub struct Relationships;

impl Resource for Relationships {
    const ENTITY: Entity = Entity::Relationship;
    const REFERENCES: &'static [(&'static str, Entity)] =
        &[("from_person_id", Entity::Person), ("to_person_id", Entity::Person)];
    type New = NewRelationship;
    type Stored = Relationship;
    type View = Relationship;
    /// Only relationships from or to this person.
    type Filter = Option<Uuid>;

    fn as_written(r: &Relationship) -> NewRelationship {
        r.fields.clone()
    }
    stored_is_view!(Relationship);

    fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Relationship, Error> {
        find(conn, tenant, id)
    }

    /// Relationships in id order; with `person`, those from or to that person.
    fn list(
        conn: &mut DbConn,
        tenant: TenantId,
        person: Option<Uuid>,
        page: PageRequest<Uuid>,
    ) -> Result<(Vec<Relationship>, bool), Error> {
        let mut query = relationships::table
            .filter(relationships::tenant_id.eq(tenant))
            .select(columns!(relationships))
            .into_boxed();
        if let Some(person) = person {
            let person = person.to_string();
            query = query.filter(
                relationships::from_person_id
                    .eq(person.clone())
                    .or(relationships::to_person_id.eq(person)),
            );
        }
        page_with_refs!(
            conn,
            tenant,
            query,
            relationships,
            page,
            relationship,
            Entity::Relationship
        )
    }

    fn create(
        conn: &mut DbConn,
        tenant: TenantId,
        new: &NewRelationship,
    ) -> Result<Relationship, Error> {
        person_store::require(
            conn,
            tenant,
            &[(new.from_person_id, "/from_person_id"), (new.to_person_id, "/to_person_id")],
        )?;
        let id = Uuid::now_v7();
        let at = now();
        diesel::insert_into(relationships::table)
            .values(first_version!(relationships, tenant, id, at, Fields::of(new)))
            .execute(conn)?;
        changes::record(conn, tenant, Entity::Relationship, id, Operation::Create)?;
        Self::find(conn, tenant, id)
    }

    locks_rows!(relationships);
    fn update(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Relationship,
        new: &NewRelationship,
    ) -> Result<Relationship, Error> {
        let id = current.id;
        person_store::require(
            conn,
            tenant,
            &[(new.from_person_id, "/from_person_id"), (new.to_person_id, "/to_person_id")],
        )?;
        write_version!(
            conn,
            relationships,
            Entity::Relationship,
            tenant,
            current,
            Fields::of(new)
        )?;
        Self::find(conn, tenant, id)
    }

    /// Nothing depends on it: `cascade` changes nothing.
    fn delete(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Relationship,
        _cascade: bool,
    ) -> Result<(), Error> {
        let id = current.id;
        changes::deleted(conn, tenant, Entity::Relationship, &[id])?;
        diesel::delete(
            relationships::table
                .filter(relationships::tenant_id.eq(tenant))
                .filter(relationships::id.eq(id.to_string())),
        )
        .execute(conn)?;
        Ok(())
    }
}
