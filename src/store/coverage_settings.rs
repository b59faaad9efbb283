//! The tenant's coverage settings (defaults until an admin saves some).

use diesel::prelude::*;

use crate::domain::coverage::CoverageSettings;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::coverage_settings;
use crate::store::{from_json, now, to_json, DbConn, Expected};

/// The tenant's coverage settings and their version (0 while only defaults apply).
pub fn settings(conn: &mut DbConn, tenant: TenantId) -> Result<(CoverageSettings, i64), Error> {
    let row: Option<(String, i64)> = coverage_settings::table
        .filter(coverage_settings::tenant_id.eq(tenant))
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
    tenant: TenantId,
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
            .execute(conn)
            // Two first saves at once: the one that lost runs again as an update.
            .map_err(crate::store::first_write_raced)?;
    } else {
        let rows = diesel::update(
            coverage_settings::table
                .filter(coverage_settings::tenant_id.eq(&t))
                .filter(coverage_settings::version.eq(version)),
        )
        .set((
            coverage_settings::settings.eq(to_json(new)?),
            coverage_settings::version.eq(version + 1),
            coverage_settings::updated_at.eq(now()),
        ))
        .execute(conn)?;
        crate::store::versioned(rows)?;
    }
    settings(conn, tenant)
}
