//! Crafting questionnaires: instruments, their administrations, the statistics across them,
//! and an administration turned into a crafting revision (once).
//!
//! An instrument's items, subscales and scale are fixed once it has been administered (its
//! scores and alphas would otherwise mix two instruments): a change is a new instrument. An
//! administration locks its instrument's row while it checks its answers against it, so a
//! concurrent change of the instrument either comes first (and the answers meet it) or is
//! refused.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::crafting::{apply_patch, TimePoint};
use crate::domain::facet::Facet;
use crate::domain::questionnaire::{
    check_answers, scores, statistics, Answer, NewInstrument, RespondentKind, SubscaleStatistics,
};
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::crafting::{self, NewRevision, StoredRevision};
use crate::store::schema::{administrations, instruments};
use crate::store::{
    from_json, now, parse_id, persons, to_json, vocabulary, DbConn, Expected, PageRequest,
};

#[derive(Debug, Clone)]
pub struct Instrument {
    pub id: Uuid,
    pub fields: NewInstrument,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An administration as a client states it, checked on its own.
#[derive(Debug, Clone)]
pub struct NewAdministration {
    pub tenure_id: Uuid,
    pub respondent_kind: RespondentKind,
    pub respondent_person_id: Option<Uuid>,
    pub administered_at: NaiveDateTime,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone)]
pub struct Administration {
    pub id: Uuid,
    pub instrument_id: Uuid,
    pub fields: NewAdministration,
    /// The crafting revision made from it, once it was.
    pub revision_id: Option<Uuid>,
    pub created_at: NaiveDateTime,
}

type InstrumentRow =
    (String, String, Option<String>, String, String, String, i64, NaiveDateTime, NaiveDateTime);

fn instrument(row: InstrumentRow) -> Result<Instrument, Error> {
    let (id, name, description, scale, subscales, items, version, created_at, updated_at) = row;
    Ok(Instrument {
        id: parse_id(&id)?,
        fields: NewInstrument {
            name,
            description,
            scale: from_json(&scale)?,
            subscales: from_json(&subscales)?,
            items: from_json(&items)?,
        },
        version,
        created_at,
        updated_at,
    })
}

macro_rules! instrument_columns {
    () => {
        (
            instruments::id,
            instruments::name,
            instruments::description,
            instruments::scale,
            instruments::subscales,
            instruments::items,
            instruments::version,
            instruments::created_at,
            instruments::updated_at,
        )
    };
}

type AdministrationRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    NaiveDateTime,
    String,
    Option<String>,
    NaiveDateTime,
);

fn administration(row: AdministrationRow) -> Result<Administration, Error> {
    let (id, instrument_id, tenure_id, kind, person, at, answers, revision, created_at) = row;
    Ok(Administration {
        id: parse_id(&id)?,
        instrument_id: parse_id(&instrument_id)?,
        fields: NewAdministration {
            tenure_id: parse_id(&tenure_id)?,
            respondent_kind: RespondentKind::parse(&kind)
                .ok_or_else(|| Error::internal(format!("stored respondent kind `{kind}`")))?,
            respondent_person_id: person.as_deref().map(parse_id).transpose()?,
            administered_at: at,
            answers: from_json(&answers)?,
        },
        revision_id: revision.as_deref().map(parse_id).transpose()?,
        created_at,
    })
}

macro_rules! administration_columns {
    () => {
        (
            administrations::id,
            administrations::instrument_id,
            administrations::tenure_id,
            administrations::respondent_kind,
            administrations::respondent_person_id,
            administrations::administered_at,
            administrations::answers,
            administrations::revision_id,
            administrations::created_at,
        )
    };
}

/// The facets the subscales measure use the tenant's vocabulary (named at their `facet_key`).
fn check_vocabulary(conn: &mut DbConn, tenant: TenantId, new: &NewInstrument) -> Result<(), Error> {
    vocabulary::check_keys(conn, tenant, &new.measured(), "/subscales").map_err(|e| match e {
        Error::Invalid(errors) => Error::Invalid(
            errors
                .into_iter()
                .map(|e| FieldError { pointer: e.pointer.replace("/key", "/facet_key"), ..e })
                .collect(),
        ),
        other => other,
    })
}

pub fn create_instrument(
    conn: &mut DbConn,
    tenant: TenantId,
    new: &NewInstrument,
) -> Result<Instrument, Error> {
    check_vocabulary(conn, tenant, new)?;
    let (id, at) = (Uuid::now_v7(), now());
    diesel::insert_into(instruments::table)
        .values((
            instruments::tenant_id.eq(tenant),
            instruments::id.eq(id.to_string()),
            instruments::name.eq(&new.name),
            instruments::description.eq(&new.description),
            instruments::scale.eq(to_json(&new.scale)?),
            instruments::subscales.eq(to_json(&new.subscales)?),
            instruments::items.eq(to_json(&new.items)?),
            instruments::version.eq(1),
            instruments::created_at.eq(at),
            instruments::updated_at.eq(at),
        ))
        .execute(conn)?;
    find_instrument(conn, tenant, id)
}

pub fn find_instrument(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Instrument, Error> {
    let row: InstrumentRow = instruments::table
        .filter(instruments::tenant_id.eq(tenant))
        .filter(instruments::id.eq(id.to_string()))
        .select(instrument_columns!())
        .first(conn)?;
    instrument(row)
}

pub fn list_instruments(
    conn: &mut DbConn,
    tenant: TenantId,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Instrument>, bool), Error> {
    let query = instruments::table
        .filter(instruments::tenant_id.eq(tenant))
        .select(instrument_columns!())
        .into_boxed();
    let (rows, more): (Vec<InstrumentRow>, bool) = page_by_id!(conn, query, instruments, page);
    Ok((rows.into_iter().map(instrument).collect::<Result<_, _>>()?, more))
}

fn administered(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<i64, Error> {
    Ok(administrations::table
        .filter(administrations::tenant_id.eq(tenant))
        .filter(administrations::instrument_id.eq(id.to_string()))
        .count()
        .get_result(conn)?)
}

/// Locks the instrument's row at the version its writer read and checked, and refuses (409) an
/// instrument already administered.
fn lock_unadministered(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    expected: &Expected,
) -> Result<Instrument, Error> {
    let current = find_instrument(conn, tenant, id)?;
    expected.check(current.version)?;
    lock_version!(conn, instruments, tenant, id, current.version)?;
    let count = administered(conn, tenant, id)?;
    if count > 0 {
        return Err(Error::conflict(format!(
            "the instrument has {count} administration(s); its items, subscales and scale stay as \
             they were answered: create a new instrument instead"
        )));
    }
    Ok(current)
}

pub fn replace_instrument(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    expected: &Expected,
    new: &NewInstrument,
) -> Result<Instrument, Error> {
    let current = lock_unadministered(conn, tenant, id, expected)?;
    check_vocabulary(conn, tenant, new)?;
    diesel::update(
        instruments::table
            .filter(instruments::tenant_id.eq(tenant))
            .filter(instruments::id.eq(id.to_string())),
    )
    .set((
        instruments::name.eq(&new.name),
        instruments::description.eq(&new.description),
        instruments::scale.eq(to_json(&new.scale)?),
        instruments::subscales.eq(to_json(&new.subscales)?),
        instruments::items.eq(to_json(&new.items)?),
        instruments::version.eq(current.version + 1),
        instruments::updated_at.eq(now()),
    ))
    .execute(conn)?;
    find_instrument(conn, tenant, id)
}

pub fn delete_instrument(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    expected: &Expected,
) -> Result<(), Error> {
    lock_unadministered(conn, tenant, id, expected)?;
    diesel::delete(
        instruments::table
            .filter(instruments::tenant_id.eq(tenant))
            .filter(instruments::id.eq(id.to_string())),
    )
    .execute(conn)?;
    Ok(())
}

/// Records an administration of the instrument, its answers checked against it.
pub fn administer(
    conn: &mut DbConn,
    tenant: TenantId,
    instrument_id: Uuid,
    new: &NewAdministration,
) -> Result<(Instrument, Administration), Error> {
    // The row lock first: a concurrent change of the instrument waits, then finds it
    // administered.
    let locked = diesel::update(
        instruments::table
            .filter(instruments::tenant_id.eq(tenant))
            .filter(instruments::id.eq(instrument_id.to_string())),
    )
    .set(instruments::version.eq(instruments::version))
    .execute(conn)?;
    if locked == 0 {
        return Err(Error::NotFound);
    }
    let instrument = find_instrument(conn, tenant, instrument_id)?;
    check_answers(&instrument.fields, &new.answers)?;
    let history = match crafting::history(conn, tenant, new.tenure_id) {
        Err(Error::NotFound) => return Err(Error::invalid("/tenure_id", "no such tenure")),
        other => other?,
    };
    if let Some(person) = new.respondent_person_id {
        persons::require(conn, tenant, &[(person, "/respondent_person_id")])?;
    }
    // Answers describe the holder while they held the post, as an observation does.
    let now = now();
    let period = history.tenure.period;
    if new.administered_at > now || period.observed_at(Some(new.administered_at), now).is_err() {
        let until = period.ended_on.map_or("now".to_owned(), |end| format!("before {end}"));
        return Err(Error::invalid(
            "/administered_at",
            format!("must be within the tenure: from {} until {until}", period.started_on),
        ));
    }
    let (id, at) = (Uuid::now_v7(), now);
    diesel::insert_into(administrations::table)
        .values((
            administrations::tenant_id.eq(tenant),
            administrations::id.eq(id.to_string()),
            administrations::instrument_id.eq(instrument_id.to_string()),
            administrations::tenure_id.eq(new.tenure_id.to_string()),
            administrations::respondent_kind.eq(new.respondent_kind.as_str()),
            administrations::respondent_person_id
                .eq(new.respondent_person_id.map(|p| p.to_string())),
            administrations::administered_at.eq(new.administered_at),
            administrations::answers.eq(to_json(&new.answers)?),
            administrations::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok((instrument, find_administration(conn, tenant, id)?))
}

pub fn find_administration(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
) -> Result<Administration, Error> {
    let row: AdministrationRow = administrations::table
        .filter(administrations::tenant_id.eq(tenant))
        .filter(administrations::id.eq(id.to_string()))
        .select(administration_columns!())
        .first(conn)?;
    administration(row)
}

/// What an administration list may be narrowed by.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdministrationFilter {
    pub instrument_id: Option<Uuid>,
    pub tenure_id: Option<Uuid>,
}

pub fn list_administrations(
    conn: &mut DbConn,
    tenant: TenantId,
    filter: AdministrationFilter,
    page: PageRequest<Uuid>,
) -> Result<(Vec<Administration>, bool), Error> {
    let mut query = administrations::table
        .filter(administrations::tenant_id.eq(tenant))
        .select(administration_columns!())
        .into_boxed();
    if let Some(instrument) = filter.instrument_id {
        query = query.filter(administrations::instrument_id.eq(instrument.to_string()));
    }
    if let Some(tenure) = filter.tenure_id {
        query = query.filter(administrations::tenure_id.eq(tenure.to_string()));
    }
    let (rows, more): (Vec<AdministrationRow>, bool) =
        page_by_id!(conn, query, administrations, page);
    Ok((rows.into_iter().map(administration).collect::<Result<_, _>>()?, more))
}

pub fn delete_administration(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<(), Error> {
    let deleted = diesel::delete(
        administrations::table
            .filter(administrations::tenant_id.eq(tenant))
            .filter(administrations::id.eq(id.to_string())),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Makes the administration's subscale scores a crafting revision of its tenure (a patch: the
/// facets it measured set, the rest of the crafted job kept), effective when it was
/// administered, with the instrument and the administration as its source and a confidence
/// from who answered. Once per administration: a second time is a conflict.
pub fn to_revision(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<StoredRevision, Error> {
    let a = find_administration(conn, tenant, id)?;
    if let Some(revision) = a.revision_id {
        return Err(Error::conflict(format!("already made crafting revision {revision}")));
    }
    let instrument = find_instrument(conn, tenant, a.instrument_id)?;
    let scale = &instrument.fields.scale;
    let facets: Vec<Facet> = scores(&instrument.fields, &a.fields.answers)
        .iter()
        .filter_map(|s| {
            Some(Facet {
                dimension: s.subscale.dimension,
                key: s.subscale.facet_key.clone(),
                weight: (s.weight(scale)? * 100.0).round() / 100.0,
                note: Some(format!(
                    "{}: mean {:.2} of {} item(s)",
                    s.subscale.name, s.mean?, s.answered
                )),
                core: false,
                floor: None,
            })
        })
        .collect();
    let history = crafting::history(conn, tenant, a.fields.tenure_id)?;
    let at = a.fields.administered_at;
    let (dimensions, facets) =
        apply_patch(&history.crafting, TimePoint { as_of: at, known_at: now() }, facets, &[]);
    let kind = a.fields.respondent_kind;
    let new = NewRevision {
        dimensions,
        facets,
        source: Some(format!(
            "questionnaire: instrument {} ({}), administration {id}, {} answer",
            instrument.fields.name,
            instrument.id,
            kind.as_str()
        )),
        confidence: kind.confidence(),
        effective_at: at,
    };
    let revision = crafting::record(conn, tenant, &history.tenure, &new)?;
    // Claimed only if nobody claimed it since it was read: a concurrent second call waits for
    // the row, finds it claimed, and its revision is rolled back with it.
    let claimed = diesel::update(
        administrations::table
            .filter(administrations::tenant_id.eq(tenant))
            .filter(administrations::id.eq(id.to_string()))
            .filter(administrations::revision_id.is_null()),
    )
    .set(administrations::revision_id.eq(revision.revision.id.to_string()))
    .execute(conn)?;
    if claimed == 0 {
        return Err(Error::conflict("the administration was made a crafting revision meanwhile"));
    }
    Ok(revision)
}

/// Every subscale's statistics across the instrument's administrations, and their number.
pub fn instrument_statistics(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
) -> Result<(Instrument, usize, Vec<SubscaleStatistics>), Error> {
    let instrument = find_instrument(conn, tenant, id)?;
    let answers: Vec<String> = administrations::table
        .filter(administrations::tenant_id.eq(tenant))
        .filter(administrations::instrument_id.eq(id.to_string()))
        .select(administrations::answers)
        .load(conn)?;
    let answers: Vec<Vec<Answer>> =
        answers.iter().map(|a| from_json(a)).collect::<Result<_, _>>()?;
    let stats = statistics(&instrument.fields, &answers);
    Ok((instrument, answers.len(), stats))
}
