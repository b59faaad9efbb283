//! An in-memory index of every tenure's formal-vs-crafted diff vector and effective crafted job,
//! per tenant, for "who crafts alike?" and "who is ready for this post?" over many tenures. It is refreshed on each use from what changed since its
//! watermark (revisions recorded, tenures written, post facets revised), so several instances
//! stay correct without talking to each other; a deleted tenure triggers a full rebuild.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::similarity::{diff_vector, CompactVector, KeyTable};
use crate::domain::tenant::TenantId;
use crate::domain::tenure::Period;
use crate::error::Error;
use crate::store::crafting::{histories, TenureHistory};
use crate::store::schema::{crafting_revisions, post_revisions, tenures};
use crate::store::tenures::{self as tenure_store, Tenure};
use crate::store::views::scopes::{self, ExportScope};
use crate::store::{now, now_point, parse_id, posts, DbConn};

/// Rows recorded this long before the watermark are read again: clocks of instances differ a
/// little, and a transaction may commit a moment after it stamped its rows.
const SAFETY_MARGIN_SECONDS: i64 = 10;
const CHUNK: usize = 5_000;

#[derive(Debug, Clone)]
pub struct Entry {
    pub tenure_id: Uuid,
    pub person_id: Uuid,
    pub organization_id: Uuid,
    pub period: Period,
    /// The formal-vs-crafted diff now.
    pub vector: CompactVector,
    /// The effective crafted job now: each facet's weight (readiness reads it).
    pub job: CompactVector,
}

#[derive(Debug, Clone, Default)]
pub struct TenantIndex {
    pub keys: KeyTable,
    pub entries: HashMap<Uuid, Entry>,
    watermark: Option<NaiveDateTime>,
}

#[derive(Default)]
pub struct CraftingIndex {
    tenants: Mutex<HashMap<TenantId, Arc<TenantIndex>>>,
}

impl CraftingIndex {
    /// The tenant's index, brought up to date with the database.
    pub fn snapshot(&self, conn: &mut DbConn, tenant: TenantId) -> Result<Arc<TenantIndex>, Error> {
        let current = self.tenants.lock().unwrap_or_else(|p| p.into_inner()).get(&tenant).cloned();
        let started = now();
        let count: i64 =
            tenures::table.filter(tenures::tenant_id.eq(tenant)).count().get_result(conn)?;
        let incremental = match current {
            Some(index) => {
                let since =
                    index.watermark.map(|w| w - chrono::Duration::seconds(SAFETY_MARGIN_SECONDS));
                let changed = changed_tenures(conn, tenant, since)?;
                if changed.is_empty() && index.entries.len() as i64 == count {
                    return Ok(index);
                }
                let mut index = (*index).clone();
                let tenures = tenure_store::find_many(conn, tenant, &changed)?;
                index.update(conn, tenant, tenures)?;
                // More entries than tenures: some were deleted; only a rebuild finds which.
                Some(index).filter(|i| i.entries.len() as i64 == count)
            }
            None => None,
        };
        let mut index = match incremental {
            Some(index) => index,
            None => {
                let mut index = TenantIndex::default();
                let mut from = None;
                loop {
                    let page =
                        scopes::page_in_scope(conn, tenant, &ExportScope::Tenant, from, CHUNK)?;
                    let last = page.last().map(|t| t.id);
                    let fresh: Vec<Tenure> =
                        page.into_iter().filter(|t| Some(t.id) != from).collect();
                    index.update(conn, tenant, fresh)?;
                    if last.is_none() || last == from {
                        break;
                    }
                    from = last;
                }
                index
            }
        };
        index.watermark = Some(started);
        let index = Arc::new(index);
        self.tenants.lock().unwrap_or_else(|p| p.into_inner()).insert(tenant, index.clone());
        Ok(index)
    }
}

impl TenantIndex {
    fn update(
        &mut self,
        conn: &mut DbConn,
        tenant: TenantId,
        tenures: Vec<Tenure>,
    ) -> Result<(), Error> {
        for chunk in tenures.chunks(CHUNK) {
            let post_ids: Vec<Uuid> = chunk.iter().map(|t| t.post_id).collect();
            let organizations = posts::organizations_of(conn, tenant, &post_ids)?;
            for history in histories(conn, tenant, chunk.to_vec())? {
                let entry = Entry {
                    tenure_id: history.tenure.id,
                    person_id: history.tenure.person_id,
                    organization_id: organizations
                        .get(&history.tenure.post_id)
                        .copied()
                        .unwrap_or_default(),
                    period: history.tenure.period,
                    vector: CompactVector::of(&vector_now(&history), &mut self.keys),
                    job: CompactVector::of(&history.job_at(now_point()).weights(), &mut self.keys),
                };
                self.entries.insert(entry.tenure_id, entry);
            }
        }
        Ok(())
    }
}

/// A tenure's formal-vs-crafted diff as it stands now.
pub fn vector_now(history: &TenureHistory) -> crate::domain::similarity::DiffVector {
    diff_vector(&history.formal_diff_at(now_point()).1)
}

/// Tenures whose vector may have changed since `since`.
fn changed_tenures(
    conn: &mut DbConn,
    tenant: TenantId,
    since: Option<NaiveDateTime>,
) -> Result<Vec<Uuid>, Error> {
    let since = since.unwrap_or(NaiveDateTime::MIN);
    let t = tenant.to_string();
    let mut ids: Vec<String> = crafting_revisions::table
        .filter(crafting_revisions::tenant_id.eq(&t))
        .filter(crafting_revisions::recorded_at.gt(since))
        .select(crafting_revisions::tenure_id)
        .load(conn)?;
    ids.extend(
        tenures::table
            .filter(tenures::tenant_id.eq(&t))
            .filter(tenures::updated_at.gt(since))
            .select(tenures::id)
            .load::<String>(conn)?,
    );
    let revised_posts: Vec<String> = post_revisions::table
        .filter(post_revisions::tenant_id.eq(&t))
        .filter(post_revisions::recorded_at.gt(since))
        .select(post_revisions::post_id)
        .load(conn)?;
    if !revised_posts.is_empty() {
        ids.extend(
            tenures::table
                .filter(tenures::tenant_id.eq(&t))
                .filter(tenures::post_id.eq_any(revised_posts))
                .select(tenures::id)
                .load::<String>(conn)?,
        );
    }
    ids.sort();
    ids.dedup();
    ids.iter().map(|id| parse_id(id)).collect()
}
