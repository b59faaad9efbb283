//! Affinity rules: a salesperson's facet that meets a stakeholder's wanted facet.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::crafting::FacetKey;
use crate::domain::facet::{dimension_name, Dimension};
use crate::domain::fit::Affinity;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::affinities;
use crate::store::{now, parse_id, split_page, DbConn, PageRequest};

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

pub fn list_affinities(conn: &mut DbConn, tenant: TenantId) -> Result<Vec<StoredAffinity>, Error> {
    let rows: Vec<AffinityRow> = affinities::table
        .filter(affinities::tenant_id.eq(tenant))
        .order(affinities::id)
        .select(affinity_columns())
        .load(conn)?;
    rows.into_iter().map(stored_affinity).collect()
}

/// A page of the tenant's affinity rules in id order.
pub fn affinities_page(
    conn: &mut DbConn,
    tenant: TenantId,
    page: PageRequest<Uuid>,
) -> Result<(Vec<StoredAffinity>, bool), Error> {
    let mut query = affinities::table
        .filter(affinities::tenant_id.eq(tenant))
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

pub fn find_affinity(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
) -> Result<StoredAffinity, Error> {
    let row = affinities::table
        .filter(affinities::tenant_id.eq(tenant))
        .filter(affinities::id.eq(id.to_string()))
        .select(affinity_columns())
        .first(conn)?;
    stored_affinity(row)
}

pub fn create_affinity(
    conn: &mut DbConn,
    tenant: TenantId,
    affinity: &Affinity,
) -> Result<StoredAffinity, Error> {
    let key = |k: &FacetKey| (dimension_name(k.0), k.1.clone());
    let ((fd, fk), (td, tk)) = (key(&affinity.from), key(&affinity.to));
    let existing: Option<String> = affinities::table
        .filter(affinities::tenant_id.eq(tenant))
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
            affinities::tenant_id.eq(tenant),
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

pub fn delete_affinity(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<(), Error> {
    find_affinity(conn, tenant, id)?;
    diesel::delete(
        affinities::table
            .filter(affinities::tenant_id.eq(tenant))
            .filter(affinities::id.eq(id.to_string())),
    )
    .execute(conn)?;
    Ok(())
}
