//! The tenant's vocabulary of facet keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::facet::{dimension_name, Dimension, Facet};
use crate::domain::tenant::TenantId;
use crate::domain::vocabulary::{closest, DEFAULTS};
use crate::error::{Error, FieldError};
use crate::store::schema::{tenants, vocabulary};
use crate::store::{now, parse_id, DbConn};

#[derive(Debug, Clone)]
pub struct Entry {
    pub dimension: Dimension,
    pub key: String,
    pub label: String,
    pub description: Option<String>,
    pub retired_at: Option<NaiveDateTime>,
}

type Row = (String, String, String, Option<String>, Option<NaiveDateTime>);

fn entry((dimension, key, label, description, retired_at): Row) -> Option<Entry> {
    Some(Entry { dimension: Dimension::parse(&dimension)?, key, label, description, retired_at })
}

fn columns() -> (
    vocabulary::dimension,
    vocabulary::key,
    vocabulary::label,
    vocabulary::description,
    vocabulary::retired_at,
) {
    (
        vocabulary::dimension,
        vocabulary::key,
        vocabulary::label,
        vocabulary::description,
        vocabulary::retired_at,
    )
}

/// Gives a tenant the default vocabulary.
pub fn seed(conn: &mut DbConn, tenant: TenantId) -> Result<(), Error> {
    let at = now();
    // Row by row: batch inserts are not available across backends (and this runs once).
    for (dimension, key, label, description) in DEFAULTS {
        diesel::insert_into(vocabulary::table)
            .values((
                vocabulary::tenant_id.eq(tenant),
                vocabulary::dimension.eq(dimension_name(*dimension)),
                vocabulary::key.eq(*key),
                vocabulary::label.eq(*label),
                vocabulary::description.eq(Some(*description)),
                vocabulary::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Seeds every tenant that has no vocabulary yet (tenants created before vocabularies existed).
pub fn seed_missing(conn: &mut DbConn) -> Result<(), Error> {
    let seeded: Vec<String> =
        vocabulary::table.select(vocabulary::tenant_id).distinct().load(conn)?;
    let tenants: Vec<String> =
        tenants::table.filter(tenants::id.ne_all(seeded)).select(tenants::id).load(conn)?;
    for tenant in tenants {
        seed(conn, TenantId(parse_id(&tenant)?))?;
    }
    Ok(())
}

pub fn list(
    conn: &mut DbConn,
    tenant: TenantId,
    dimension: Option<Dimension>,
    include_retired: bool,
) -> Result<Vec<Entry>, Error> {
    let mut query = vocabulary::table
        .filter(vocabulary::tenant_id.eq(tenant))
        .select(columns())
        .order((vocabulary::dimension, vocabulary::key))
        .into_boxed();
    if let Some(dimension) = dimension {
        query = query.filter(vocabulary::dimension.eq(dimension_name(dimension)));
    }
    if !include_retired {
        query = query.filter(vocabulary::retired_at.is_null());
    }
    Ok(query.load::<Row>(conn)?.into_iter().filter_map(entry).collect())
}

pub fn find(
    conn: &mut DbConn,
    tenant: TenantId,
    dimension: Dimension,
    key: &str,
) -> Result<Entry, Error> {
    let row: Row = vocabulary::table
        .filter(vocabulary::tenant_id.eq(tenant))
        .filter(vocabulary::dimension.eq(dimension_name(dimension)))
        .filter(vocabulary::key.eq(key))
        .select(columns())
        .first(conn)?;
    entry(row).ok_or(Error::NotFound)
}

/// Adds a key, or brings a retired one back with the new label.
pub fn add(conn: &mut DbConn, tenant: TenantId, new: &Entry) -> Result<Entry, Error> {
    match find(conn, tenant, new.dimension, &new.key) {
        Ok(existing) if existing.retired_at.is_none() => Err(Error::conflict(format!(
            "`{}:{}` is in the vocabulary already",
            dimension_name(new.dimension),
            new.key
        ))),
        Ok(_) => {
            diesel::update(
                vocabulary::table
                    .filter(vocabulary::tenant_id.eq(tenant))
                    .filter(vocabulary::dimension.eq(dimension_name(new.dimension)))
                    .filter(vocabulary::key.eq(&new.key)),
            )
            .set((
                vocabulary::label.eq(&new.label),
                vocabulary::description.eq(&new.description),
                vocabulary::retired_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
            find(conn, tenant, new.dimension, &new.key)
        }
        Err(Error::NotFound) => {
            diesel::insert_into(vocabulary::table)
                .values((
                    vocabulary::tenant_id.eq(tenant),
                    vocabulary::dimension.eq(dimension_name(new.dimension)),
                    vocabulary::key.eq(&new.key),
                    vocabulary::label.eq(&new.label),
                    vocabulary::description.eq(&new.description),
                    vocabulary::created_at.eq(now()),
                ))
                .execute(conn)?;
            find(conn, tenant, new.dimension, &new.key)
        }
        Err(other) => Err(other),
    }
}

/// Retires a key: new facets may no longer use it; history keeps it readable.
pub fn retire(
    conn: &mut DbConn,
    tenant: TenantId,
    dimension: Dimension,
    key: &str,
) -> Result<(), Error> {
    let entry = find(conn, tenant, dimension, key)?;
    if entry.retired_at.is_some() {
        return Ok(());
    }
    diesel::update(
        vocabulary::table
            .filter(vocabulary::tenant_id.eq(tenant))
            .filter(vocabulary::dimension.eq(dimension_name(dimension)))
            .filter(vocabulary::key.eq(key)),
    )
    .set(vocabulary::retired_at.eq(Some(now())))
    .execute(conn)?;
    Ok(())
}

pub type Labels = HashMap<(Dimension, String), String>;

/// Labels by tenant, kept a few seconds: they change rarely and are wanted on every read of a
/// crafted job. A label changed on another instance shows here within `ttl`.
pub struct LabelCache {
    ttl: Duration,
    entries: Mutex<HashMap<TenantId, (Arc<Labels>, Instant)>>,
}

impl LabelCache {
    pub fn new(ttl: Duration) -> LabelCache {
        LabelCache { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// The tenant's labels if they were read less than the time to live ago.
    pub fn cached(&self, tenant: TenantId) -> Option<Arc<Labels>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(&tenant).filter(|(_, at)| at.elapsed() < self.ttl).map(|(l, _)| l.clone())
    }

    pub fn labels(&self, conn: &mut DbConn, tenant: TenantId) -> Result<Arc<Labels>, Error> {
        if let Some(labels) = self.cached(tenant) {
            return Ok(labels);
        }
        let fresh = Arc::new(labels(conn, tenant)?);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.insert(tenant, (fresh.clone(), Instant::now()));
        Ok(fresh)
    }

    /// Drops a tenant's labels after its vocabulary changed here.
    pub fn forget(&self, tenant: TenantId) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(&tenant);
    }
}

/// Labels of every key, retired ones included (diffs of old revisions still name them).
pub fn labels(conn: &mut DbConn, tenant: TenantId) -> Result<Labels, Error> {
    Ok(list(conn, tenant, None, true)?
        .into_iter()
        .map(|e| ((e.dimension, e.key), e.label))
        .collect())
}

/// Every facet must use an active key of its dimension; an unknown key is answered with the
/// closest known ones.
pub fn check_keys(
    conn: &mut DbConn,
    tenant: TenantId,
    facets: &[Facet],
    pointer: &str,
) -> Result<(), Error> {
    if facets.is_empty() {
        return Ok(());
    }
    let known = list(conn, tenant, None, true)?;
    let mut errors = Vec::new();
    for (i, facet) in facets.iter().enumerate() {
        let found = known.iter().find(|e| e.dimension == facet.dimension && e.key == facet.key);
        let mut suggestions = Vec::new();
        let detail = match found {
            Some(entry) if entry.retired_at.is_none() => continue,
            Some(_) => format!(
                "`{}` is retired from the {} vocabulary",
                facet.key,
                dimension_name(facet.dimension)
            ),
            None => {
                let active = known
                    .iter()
                    .filter(|e| e.dimension == facet.dimension && e.retired_at.is_none())
                    .map(|e| e.key.as_str());
                suggestions = closest(&facet.key, active, 3);
                let hint = if suggestions.is_empty() {
                    "add it to the vocabulary first (POST /v1/vocabulary)".to_owned()
                } else {
                    format!(
                        "did you mean {}?",
                        suggestions.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                    )
                };
                format!("unknown {} key `{}`: {hint}", dimension_name(facet.dimension), facet.key)
            }
        };
        errors.push(FieldError {
            suggestions,
            ..FieldError::new(format!("{pointer}/{i}/key"), detail)
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}
