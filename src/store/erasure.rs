//! Erasure: a person's personal data removed everywhere, the anonymised structure kept, and
//! the erasure itself recorded.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::account::Alert;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::alerts;
use crate::store::cascades;
use crate::store::changes::{self, Entity};
use crate::store::crafting_index;
use crate::store::persons::{self as person_store, Person};
use crate::store::schema::{
    crafting_revisions, erasures, interactions, persons, relationships, tenures,
};
use crate::store::{
    from_json, history, now, parse_id, parse_optional_id, split_page, to_json, DbConn, Expected,
    PageRequest,
};

/// The display name an erased person keeps.
pub const ERASED_NAME: &str = "Erased person";

/// Erases the person's personal data everywhere — name, contacts and notes, the notes and
/// sources of their crafting revisions, the notes of their relationships and the summaries of
/// their interactions, their development plans and the questionnaires answered about them,
/// their external ids — and keeps the anonymised structure: the person
/// record, their tenures, the weights of their crafted jobs, their relationships and coverage.
/// The feed gets a tombstone; the erasure itself is recorded (who, when), without the data.
pub fn erase(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    expected: &Expected,
) -> Result<Person, Error> {
    let current = person_store::find(conn, tenant, id)?;
    expected.check(current.version)?;
    lock_version!(conn, persons, tenant, id, current.version)?;
    let (t, p) = (tenant.to_string(), id.to_string());
    let at = now();
    diesel::update(persons::table.filter(persons::tenant_id.eq(&t)).filter(persons::id.eq(&p)))
        .set((
            persons::display_name.eq(ERASED_NAME),
            persons::emails.eq("[]"),
            persons::phone.eq(None::<String>),
            persons::notes.eq(None::<String>),
            persons::erased_at.eq(Some(at)),
            persons::version.eq(current.version + 1),
            persons::updated_at.eq(at),
        ))
        .execute(conn)?;
    let tenure_ids: Vec<String> = tenures::table
        .filter(tenures::tenant_id.eq(&t))
        .filter(tenures::person_id.eq(&p))
        .select(tenures::id)
        .load(conn)?;
    let revisions: Vec<(String, String)> = crafting_revisions::table
        .filter(crafting_revisions::tenant_id.eq(&t))
        .filter(crafting_revisions::tenure_id.eq_any(&tenure_ids))
        .select((crafting_revisions::id, crafting_revisions::facets))
        .load(conn)?;
    for (revision, facets) in revisions {
        let mut facets: Vec<crate::domain::facet::Facet> = from_json(&facets)?;
        for facet in &mut facets {
            facet.note = None;
        }
        diesel::update(
            crafting_revisions::table
                .filter(crafting_revisions::tenant_id.eq(&t))
                .filter(crafting_revisions::id.eq(&revision)),
        )
        .set((
            crafting_revisions::facets.eq(to_json(&facets)?),
            crafting_revisions::source.eq(None::<String>),
        ))
        .execute(conn)?;
    }
    diesel::update(
        relationships::table
            .filter(relationships::tenant_id.eq(&t))
            .filter(relationships::from_person_id.eq(&p).or(relationships::to_person_id.eq(&p))),
    )
    .set(relationships::notes.eq(None::<String>))
    .execute(conn)?;
    diesel::update(
        interactions::table
            .filter(interactions::tenant_id.eq(&t))
            .filter(interactions::salesperson_id.eq(&p).or(interactions::stakeholder_id.eq(&p))),
    )
    .set(interactions::summary.eq(None::<String>))
    .execute(conn)?;
    cascades::delete_growth(conn, tenant, &tenure_ids)?;
    cascades::forget_in_growth(conn, tenant, id)?;
    // The earlier versions of their relationships keep notes; managers' notes on alerts about
    // them (any tenure or coverage link they hold or held) may name them.
    history::erase_notes(conn, tenant, id)?;
    let (tenures, links) = history::ever_held(conn, tenant, id)?;
    let about: Vec<Uuid> = alerts::decided_accounts(conn, tenant)?
        .into_iter()
        .flat_map(|account| Alert::ids_about(account, &tenures, &links))
        .collect();
    alerts::forget_notes(conn, tenant, &about, id)?;
    // The similar-crafters snapshot holds their tenures' crafting as numbers: it goes, and is
    // rebuilt from what is left when next needed.
    crafting_index::forget_snapshot(conn, tenant)?;
    // The tombstone carries the external ids the person had, so each CRM can erase its own
    // record; then they go.
    changes::deleted(conn, tenant, Entity::Person, &[id])?;
    let actor = changes::current_actor();
    diesel::insert_into(erasures::table)
        .values((
            erasures::tenant_id.eq(&t),
            erasures::id.eq(Uuid::now_v7().to_string()),
            erasures::person_id.eq(&p),
            erasures::erased_at.eq(at),
            erasures::key_id.eq(actor.key_id.map(|k| k.to_string())),
            erasures::origin.eq(&actor.origin),
        ))
        .execute(conn)?;
    person_store::find(conn, tenant, id)
}

/// A recorded erasure: who erased whom, when — nothing of the erased data.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub id: Uuid,
    pub person_id: Uuid,
    pub erased_at: NaiveDateTime,
    pub key_id: Option<Uuid>,
    pub origin: String,
}

pub fn erasures(
    conn: &mut DbConn,
    tenant: TenantId,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Erasure>, bool), Error> {
    let mut query = erasures::table
        .filter(erasures::tenant_id.eq(tenant))
        .order(erasures::id)
        .limit(page.limit as i64 + 1)
        .select((
            erasures::id,
            erasures::person_id,
            erasures::erased_at,
            erasures::key_id,
            erasures::origin,
        ))
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(erasures::id.gt(after.to_string()));
    }
    type Row = (String, String, NaiveDateTime, Option<String>, String);
    let (rows, more) = split_page(query.load::<Row>(conn)?, page.limit);
    let found = rows
        .into_iter()
        .map(|(id, person, at, key, origin)| {
            Ok(Erasure {
                id: parse_id(&id)?,
                person_id: parse_id(&person)?,
                erased_at: at,
                key_id: parse_optional_id(key.as_deref())?,
                origin,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok((found, more))
}
