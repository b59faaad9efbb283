//! The tenant's coverage settings (defaults until an admin saves some), and the settings each
//! save replaced, for reports as known at a past time.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::IntoSql;

use crate::domain::coverage::CoverageSettings;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::schema::{coverage_settings, coverage_settings_versions};
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

/// The settings as they were known at `known_at`: the current ones if saved by then, else
/// the version superseded first after it (the one in force then), else the defaults.
pub fn settings_as_known(
    conn: &mut DbConn,
    tenant: TenantId,
    known_at: NaiveDateTime,
) -> Result<CoverageSettings, Error> {
    let current: Option<(String, NaiveDateTime)> = coverage_settings::table
        .filter(coverage_settings::tenant_id.eq(tenant))
        .filter(coverage_settings::updated_at.le(known_at))
        .select((coverage_settings::settings, coverage_settings::updated_at))
        .first(conn)
        .optional()?;
    let then: Option<String> = match current {
        Some((settings, _)) => Some(settings),
        None => coverage_settings_versions::table
            .filter(coverage_settings_versions::tenant_id.eq(tenant))
            .filter(coverage_settings_versions::superseded_at.gt(known_at))
            .filter(coverage_settings_versions::updated_at.le(known_at))
            .order(coverage_settings_versions::superseded_at)
            .select(coverage_settings_versions::settings)
            .first(conn)
            .optional()?,
    };
    then.map_or_else(|| Ok(CoverageSettings::default()), |s| from_json(&s))
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
        // The settings replaced are kept, for reports as known at a past time.
        diesel::insert_into(coverage_settings_versions::table)
            .values(
                coverage_settings::table
                    .filter(coverage_settings::tenant_id.eq(&t))
                    .filter(coverage_settings::version.eq(version))
                    .select((
                        coverage_settings::tenant_id,
                        coverage_settings::version,
                        coverage_settings::settings,
                        coverage_settings::updated_at,
                        now().into_sql::<diesel::sql_types::Timestamp>(),
                    )),
            )
            .into_columns((
                coverage_settings_versions::tenant_id,
                coverage_settings_versions::version,
                coverage_settings_versions::settings,
                coverage_settings_versions::updated_at,
                coverage_settings_versions::superseded_at,
            ))
            .execute(conn)?;
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
