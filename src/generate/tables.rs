//! The insertable row types of a generated tenant, one per table.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::store::schema::{
    coverage_links, crafting_revisions, interactions, organizations, persons, post_revisions,
    posts, relationships, tenures,
};

#[derive(Insertable)]
#[diesel(table_name = organizations, treat_none_as_default_value = false)]
pub(super) struct OrganizationRow {
    pub(super) tenant_id: String,
    pub(super) id: String,
    pub(super) name: String,
    pub(super) kind: String,
    pub(super) parent_id: Option<String>,
    pub(super) size_band: Option<String>,
    pub(super) industry: Option<String>,
    pub(super) region: Option<String>,
    pub(super) tags: String,
    pub(super) version: i64,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = persons, treat_none_as_default_value = false)]
pub(super) struct PersonRow {
    pub(super) tenant_id: String,
    pub(super) id: String,
    pub(super) display_name: String,
    pub(super) emails: String,
    pub(super) phone: Option<String>,
    pub(super) notes: Option<String>,
    pub(super) version: i64,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
    pub(super) erased_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = posts, treat_none_as_default_value = false)]
pub(super) struct PostRow {
    pub(super) tenant_id: String,
    pub(super) id: String,
    pub(super) organization_id: String,
    pub(super) title: String,
    pub(super) function: Option<String>,
    pub(super) reports_to_post_id: Option<String>,
    pub(super) headcount: i32,
    pub(super) established_on: Option<NaiveDate>,
    pub(super) abolished_on: Option<NaiveDate>,
    pub(super) version: i64,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = post_revisions, treat_none_as_default_value = false)]
pub(super) struct PostRevisionRow {
    pub(super) tenant_id: String,
    pub(super) id: String,
    pub(super) post_id: String,
    pub(super) facets: String,
    pub(super) effective_at: NaiveDateTime,
    pub(super) recorded_at: NaiveDateTime,
    pub(super) recorded_by: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = tenures, treat_none_as_default_value = false)]
pub(super) struct TenureRow {
    pub(super) tenant_id: String,
    pub(super) id: String,
    pub(super) person_id: String,
    pub(super) post_id: String,
    pub(super) started_on: NaiveDate,
    pub(super) ended_on: Option<NaiveDate>,
    pub(super) buying_roles: String,
    pub(super) capacity: Option<i32>,
    pub(super) version: i64,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = crafting_revisions, treat_none_as_default_value = false)]
pub(super) struct CraftingRow {
    pub(super) tenant_id: String,
    pub(super) id: String,
    pub(super) tenure_id: String,
    pub(super) dimensions: String,
    pub(super) facets: String,
    pub(super) source: Option<String>,
    pub(super) confidence: f64,
    pub(super) effective_at: NaiveDateTime,
    pub(super) recorded_at: NaiveDateTime,
    pub(super) recorded_by_key_id: Option<String>,
    pub(super) recorded_by: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = relationships, treat_none_as_default_value = false)]
pub(super) struct RelationshipRow {
    pub(super) tenant_id: String,
    pub(super) id: String,
    pub(super) from_person_id: String,
    pub(super) to_person_id: String,
    pub(super) kind: String,
    pub(super) strength: f64,
    pub(super) valid_from: Option<NaiveDate>,
    pub(super) valid_until: Option<NaiveDate>,
    pub(super) notes: Option<String>,
    pub(super) version: i64,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = coverage_links, treat_none_as_default_value = false)]
pub(super) struct CoverageRow {
    pub(super) tenant_id: String,
    pub(super) id: String,
    pub(super) salesperson_id: String,
    pub(super) stakeholder_id: String,
    pub(super) role: String,
    pub(super) stated_strength: Option<f64>,
    pub(super) version: i64,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = interactions, treat_none_as_default_value = false)]
pub(super) struct InteractionRow {
    pub(super) tenant_id: String,
    pub(super) id: String,
    pub(super) salesperson_id: String,
    pub(super) stakeholder_id: String,
    pub(super) kind: String,
    pub(super) occurred_at: NaiveDateTime,
    pub(super) summary: Option<String>,
    pub(super) created_at: NaiveDateTime,
}
