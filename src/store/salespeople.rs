//! Salespeople: who counts as one on a day (a person holding a post in an `own` organization).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::organization::OrganizationKind;
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError};
use crate::store::schema::{organizations, posts, tenures};
use crate::store::{parse_id, persons as person_store, tenures as tenure_store, DbConn};

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
    tenant: TenantId,
    date: NaiveDate,
    only: Option<&[Uuid]>,
) -> Result<HashMap<Uuid, SalesTenure>, Error> {
    let held: tenure_store::on_posts = tenure_store::on_posts(tenant);
    let mut query = held
        .inner_join(
            organizations::table.on(organizations::tenant_id
                .eq(posts::tenant_id)
                .and(organizations::id.eq(posts::organization_id))),
        )
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

pub fn require_salesperson(
    conn: &mut DbConn,
    tenant: TenantId,
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
