//! Persons: personal data, kept apart from the posts they hold.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::person::NewPerson;
use crate::domain::sync::ExternalRef;
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::changes::{self, Entity, Operation};
use crate::store::external_refs;
use crate::store::people::{holder_ids_in, texts, People};
use crate::store::resource::Resource;
use crate::store::schema::{coverage_links, interactions, persons, relationships, tenures};
use crate::store::{
    cascades, chunked, execute_natively, from_json, history, now, parse_id, to_json, DbConn,
    PageRequest, INSERT_CHUNK,
};

#[derive(Debug, Clone)]
pub struct Person {
    pub id: Uuid,
    /// Ids in other systems; loaded by `find` and `list` only.
    pub external_refs: Option<Vec<ExternalRef>>,
    pub display_name: String,
    pub emails: Vec<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    /// When the person's personal data was erased; the anonymised record stays.
    pub erased_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = persons)]
struct Row {
    id: String,
    display_name: String,
    emails: String,
    phone: Option<String>,
    notes: Option<String>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    erased_at: Option<NaiveDateTime>,
}

impl Row {
    fn into_person(self) -> Result<Person, Error> {
        Ok(Person {
            external_refs: None,
            id: parse_id(&self.id)?,
            display_name: self.display_name,
            emails: from_json(&self.emails)?,
            phone: self.phone,
            notes: self.notes,
            erased_at: self.erased_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The columns a client writes, shared by insert and update. `None` is NULL, never
/// `DEFAULT`: SQLite has no `DEFAULT` in a multi-row insert, and diesel would fall back to a
/// statement per row.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = persons, treat_none_as_null = true, treat_none_as_default_value = false)]
struct Fields<'a> {
    display_name: &'a str,
    emails: String,
    phone: Option<&'a str>,
    notes: Option<&'a str>,
}

impl<'a> Fields<'a> {
    fn of(new: &'a NewPerson) -> Result<Self, Error> {
        Ok(Fields {
            display_name: &new.display_name,
            emails: to_json(&new.emails)?,
            phone: new.phone.as_deref(),
            notes: new.notes.as_deref(),
        })
    }
}

row_reads!(persons, Entity::Person, Person, Row = Row::as_select() => Row::into_person; pipelined);

pub fn exists(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<bool, Error> {
    Ok(one(tenant, id).count().get_result::<i64>(conn)? > 0)
}

/// Which of these persons exist.
pub fn existing(conn: &mut DbConn, tenant: TenantId, ids: &[Uuid]) -> Result<HashSet<Uuid>, Error> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let found: Vec<String> = persons::table
        .filter(persons::tenant_id.eq(tenant))
        .filter(persons::id.eq_any(ids))
        .select(persons::id)
        .load(conn)?;
    found.iter().map(|id| parse_id(id)).collect()
}

/// Display names of these persons, read in pieces (SQLite binds each id).
pub fn display_names(
    conn: &mut DbConn,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, Error> {
    let names = chunked(ids, |piece| {
        Ok(display_names_of(conn, tenant, People::Listed(piece))?.into_iter().collect())
    })?;
    Ok(names.into_iter().collect())
}

/// The display names of these people, by id.
pub fn display_names_of(
    conn: &mut DbConn,
    tenant: TenantId,
    people: People<'_>,
) -> Result<std::collections::HashMap<Uuid, String>, Error> {
    let query = persons::table.filter(persons::tenant_id.eq(tenant)).into_boxed();
    let query = match people {
        People::Listed(ids) => query.filter(persons::id.eq_any(texts(ids))),
        People::HoldingPostsIn(organizations) => {
            query.filter(persons::id.eq_any(holder_ids_in(tenant, organizations)))
        }
    };
    let rows: Vec<(String, String)> =
        query.select((persons::id, persons::display_name)).load(conn)?;
    rows.into_iter().map(|(id, name)| Ok((parse_id(&id)?, name))).collect()
}

/// These persons must exist: a 422 naming each missing one by its pointer.
pub fn require(conn: &mut DbConn, tenant: TenantId, persons: &[(Uuid, &str)]) -> Result<(), Error> {
    let mut missing = Vec::new();
    for (id, pointer) in persons {
        if !exists(conn, tenant, *id)? {
            missing.push(FieldError::new(*pointer, "no such person"));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(missing))
    }
}

/// Removes the person's relationships, coverage links and interactions (erasure); without
/// `cascade`, refuses while there are any.
fn delete_network(
    conn: &mut DbConn,
    tenant: TenantId,
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
    let ids: Vec<String> = relationships_of.select(relationships::id).load(conn)?;
    changes::deleted(conn, tenant, Entity::Relationship, &changes::parse_ids(&ids)?)?;
    let ids: Vec<String> = links_of.select(coverage_links::id).load(conn)?;
    changes::deleted(conn, tenant, Entity::Coverage, &changes::parse_ids(&ids)?)?;
    let ids: Vec<String> = touches_of.select(interactions::id).load(conn)?;
    changes::deleted(conn, tenant, Entity::Interaction, &changes::parse_ids(&ids)?)?;
    diesel::delete(relationships_of).execute(conn)?;
    diesel::delete(links_of).execute(conn)?;
    diesel::delete(touches_of).execute(conn)?;
    Ok(())
}

/// Persons, as the entity clients write (see `store::resource`).
pub struct Persons;

impl Resource for Persons {
    const ENTITY: Entity = Entity::Person;
    const REFERENCES: &'static [(&'static str, Entity)] = &[];
    type New = NewPerson;
    type Stored = Person;
    type View = Person;
    type Filter = ();

    fn as_written(p: &Person) -> NewPerson {
        NewPerson {
            display_name: p.display_name.clone(),
            emails: p.emails.clone(),
            phone: p.phone.clone(),
            notes: p.notes.clone(),
        }
    }
    stored_is_view!(Person);
    unfiltered_reads!(persons, Entity::Person, Person, Row::as_select() => Row::into_person);
    fn create(conn: &mut DbConn, tenant: TenantId, new: &NewPerson) -> Result<Person, Error> {
        let [id] = Self::create_many(conn, tenant, &[new])?[..] else {
            return Err(Error::internal("one person created, not one id"));
        };
        find(conn, tenant, id)
    }
    /// Creates these persons in multi-row inserts; their ids, in order.
    fn create_many(
        conn: &mut DbConn,
        tenant: TenantId,
        news: &[&NewPerson],
    ) -> Result<Vec<Uuid>, Error> {
        let (t, at) = (tenant.to_string(), now());
        let ids: Vec<Uuid> = news.iter().map(|_| Uuid::now_v7()).collect();
        if let DbConn::Pg(pg) = conn {
            let mut rows = crate::store::unnest::Persons::default();
            for (new, id) in news.iter().zip(&ids) {
                let fields = Fields::of(new)?;
                rows.ids.push(id.to_string());
                rows.names.push(fields.display_name.to_owned());
                rows.emails.push(fields.emails);
                rows.phones.push(fields.phone.map(str::to_owned));
                rows.notes.push(fields.notes.map(str::to_owned));
            }
            crate::store::unnest::persons(pg, &t, at, rows)?;
        } else {
            let rows = news
                .iter()
                .zip(&ids)
                .map(|(new, id)| Ok(first_version!(persons, &t, id, at, Fields::of(new)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            for chunk in rows.chunks(INSERT_CHUNK) {
                execute_natively(conn, diesel::insert_into(persons::table).values(chunk))?;
            }
        }
        changes::record_many(conn, tenant, Entity::Person, &ids, Operation::Create)?;
        Ok(ids)
    }
    locks_rows!(persons);
    fn update(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Person,
        new: &NewPerson,
    ) -> Result<Person, Error> {
        let id = current.id;
        write_version!(conn, persons, Entity::Person, tenant, current, Fields::of(new)?)?;
        find(conn, tenant, id)
    }
    /// Deletes a person. Without `cascade` it refuses while their tenures (their career) exist.
    fn delete(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Person,
        cascade: bool,
    ) -> Result<(), Error> {
        let id = current.id;
        let t = tenant.to_string();
        let career = tenures::table
            .filter(tenures::tenant_id.eq(&t))
            .filter(tenures::person_id.eq(id.to_string()));
        let tenure_count: i64 = career.clone().count().get_result(conn)?;
        if tenure_count > 0 && !cascade {
            return Err(Error::conflict(format!(
                "the person has {tenure_count} tenure(s); delete them first or pass cascade=true"
            )));
        }
        delete_network(conn, tenant, id, cascade)?;
        let tenure_ids = career.select(tenures::id).load(conn)?;
        cascades::delete_with_history(conn, tenant, tenure_ids)?;
        cascades::forget_in_growth(conn, tenant, id)?;
        // Gone with the person: the earlier versions their deletes just kept, and older ones.
        history::forget_person(conn, tenant, id)?;
        changes::deleted(conn, tenant, Entity::Person, &[id])?;
        diesel::delete(
            persons::table.filter(persons::tenant_id.eq(&t)).filter(persons::id.eq(id.to_string())),
        )
        .execute(conn)?;
        Ok(())
    }
}
