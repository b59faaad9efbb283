//! Crafting revisions: append-only observations of how a holder crafts their post.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::crafting::{
    effective_crafted_job, formal_weights, in_force, CraftingRevision, EffectiveJob, FacetKey,
    FormalRevision, TimePoint,
};
use crate::domain::diff::{diff, Change};
use crate::domain::facet::{Dimension, Facet};
use crate::domain::sync::ExternalRef;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::store::changes::{self, Entity, Operation};
use crate::store::external_refs::{self, with_refs};
use crate::store::organizations::post_ids_in;
use crate::store::people::texts;
use crate::store::schema::{crafting_revisions, tenures as tenure_rows};
use crate::store::tenures::{self, Tenure};
use crate::store::{
    chunked, from_json, now, parse_id, pipelined, post_revisions, split_page, to_json, vocabulary,
    DbConn, PageRequest,
};

/// A crafting revision with its provenance.
#[derive(Debug, Clone)]
pub struct StoredRevision {
    pub revision: CraftingRevision,
    pub tenure_id: Uuid,
    pub source: Option<String>,
    pub confidence: f64,
    /// The name of the API key that recorded it, and the key's id.
    pub recorded_by: Option<String>,
    pub recorded_by_key_id: Option<Uuid>,
    /// Ids in other systems; loaded by `find` and `list` only.
    pub external_refs: Option<Vec<ExternalRef>>,
}

/// A revision as a client states it, already parsed and merged (for patches).
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub dimensions: Vec<Dimension>,
    pub facets: Vec<Facet>,
    pub source: Option<String>,
    pub confidence: f64,
    pub effective_at: NaiveDateTime,
}

/// Everything that decides a tenure's crafted job over time.
#[derive(Debug, Clone)]
pub struct TenureHistory {
    pub tenure: Tenure,
    pub formal: Vec<FormalRevision>,
    pub crafting: Vec<CraftingRevision>,
}

impl TenureHistory {
    /// The effective crafted job at `at`.
    pub fn job_at(&self, at: TimePoint) -> EffectiveJob {
        effective_crafted_job(self.formal_at(at), &self.crafting, at)
    }

    /// The post's formal facets in force at `at`.
    pub fn formal_at(&self, at: TimePoint) -> Option<&FormalRevision> {
        in_force(&self.formal, at, |_| true)
    }

    pub fn formal_weights_at(&self, at: TimePoint) -> BTreeMap<FacetKey, f64> {
        formal_weights(self.formal_at(at).map(|f| f.facets.as_slice()).unwrap_or_default())
    }

    /// What the holder does differently from the post at `at`.
    pub fn formal_diff_at(&self, at: TimePoint) -> (EffectiveJob, Vec<Change>) {
        let job = self.job_at(at);
        let changes = diff(&self.formal_weights_at(at), &job.weights(), &job.floors());
        (job, changes)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = crafting_revisions)]
pub(in crate::store) struct Row {
    id: String,
    tenure_id: String,
    dimensions: String,
    facets: String,
    source: Option<String>,
    confidence: f64,
    effective_at: NaiveDateTime,
    recorded_at: NaiveDateTime,
    recorded_by_key_id: Option<String>,
    recorded_by: Option<String>,
}

impl Row {
    pub(in crate::store) fn into_revision(self) -> Result<StoredRevision, Error> {
        Ok(StoredRevision {
            revision: CraftingRevision {
                id: parse_id(&self.id)?,
                dimensions: from_json(&self.dimensions)?,
                facets: from_json(&self.facets)?,
                effective_at: self.effective_at,
                recorded_at: self.recorded_at,
            },
            tenure_id: parse_id(&self.tenure_id)?,
            source: self.source,
            confidence: self.confidence,
            recorded_by: self.recorded_by,
            recorded_by_key_id: self.recorded_by_key_id.as_deref().map(parse_id).transpose()?,
            external_refs: None,
        })
    }
}

pub fn record(
    conn: &mut DbConn,
    tenant: TenantId,
    tenure: &Tenure,
    new: &NewRevision,
) -> Result<StoredRevision, Error> {
    let author = changes::current_actor();
    vocabulary::check_keys(conn, tenant, &new.facets, "/facets")?;
    let id = Uuid::now_v7();
    diesel::insert_into(crafting_revisions::table)
        .values((
            crafting_revisions::tenant_id.eq(tenant),
            crafting_revisions::id.eq(id.to_string()),
            crafting_revisions::tenure_id.eq(tenure.id.to_string()),
            crafting_revisions::dimensions.eq(to_json(&new.dimensions)?),
            crafting_revisions::facets.eq(to_json(&new.facets)?),
            crafting_revisions::source.eq(&new.source),
            crafting_revisions::confidence.eq(new.confidence),
            crafting_revisions::effective_at.eq(new.effective_at),
            crafting_revisions::recorded_at.eq(now()),
            crafting_revisions::recorded_by_key_id.eq(author.key_id.map(|k| k.to_string())),
            crafting_revisions::recorded_by.eq(author.author()),
        ))
        .execute(conn)?;
    changes::record(conn, tenant, Entity::CraftingRevision, id, Operation::Create)?;
    let row: Row = crafting_revisions::table
        .filter(crafting_revisions::tenant_id.eq(tenant))
        .filter(crafting_revisions::id.eq(id.to_string()))
        .select(Row::as_select())
        .first(conn)?;
    row.into_revision()
}

/// One revision, with its external ids.
pub fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<StoredRevision, Error> {
    let row: Row = crafting_revisions::table
        .filter(crafting_revisions::tenant_id.eq(tenant))
        .filter(crafting_revisions::id.eq(id.to_string()))
        .select(Row::as_select())
        .first(conn)?;
    let mut found = row.into_revision()?;
    found.external_refs = Some(external_refs::of(conn, tenant, Entity::CraftingRevision, id)?);
    Ok(found)
}

/// The crafting revisions' rows of a tenant, in effect order; each reader adds which tenures.
#[dsl::auto_type]
fn revision_rows(tenant: TenantId) -> _ {
    let tenant: String = tenant.to_string();
    crafting_revisions::table
        .filter(crafting_revisions::tenant_id.eq(tenant))
        .order((crafting_revisions::effective_at, crafting_revisions::recorded_at))
}

#[dsl::auto_type(no_type_alias)]
fn revisions_query(tenant: TenantId, tenure_ids: &[Uuid]) -> _ {
    let ids: Vec<String> = tenure_ids.iter().map(Uuid::to_string).collect();
    let rows: revision_rows = revision_rows(tenant);
    rows.filter(crafting_revisions::tenure_id.eq_any(ids))
}

/// The revisions of each tenure, in the order of the rows.
fn by_tenure(rows: Vec<Row>) -> Result<HashMap<Uuid, Vec<CraftingRevision>>, Error> {
    let mut by_tenure: HashMap<Uuid, Vec<CraftingRevision>> = HashMap::new();
    for row in rows {
        let stored = row.into_revision()?;
        by_tenure.entry(stored.tenure_id).or_default().push(stored.revision);
    }
    Ok(by_tenure)
}

/// A tenure's revisions in the order they were recorded, paged.
pub fn list(
    conn: &mut DbConn,
    tenant: TenantId,
    tenure: Uuid,
    page: PageRequest<Uuid>,
) -> Result<(Vec<StoredRevision>, bool), Error> {
    let mut query = crafting_revisions::table
        .filter(crafting_revisions::tenant_id.eq(tenant))
        .filter(crafting_revisions::tenure_id.eq(tenure.to_string()))
        .order(crafting_revisions::id)
        .limit(page.limit as i64 + 1)
        .select(Row::as_select())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(crafting_revisions::id.gt(after.to_string()));
    }
    let (rows, more) = split_page(query.load::<Row>(conn)?, page.limit);
    let found = rows.into_iter().map(Row::into_revision).collect::<Result<Vec<_>, _>>()?;
    let found = with_refs(
        conn,
        tenant,
        Entity::CraftingRevision,
        found,
        |r| r.revision.id,
        |r, refs| r.external_refs = Some(refs),
    )?;
    Ok((found, more))
}

/// The tenure with its post's formal revisions and its own crafting revisions.
pub fn history(
    conn: &mut DbConn,
    tenant: TenantId,
    tenure_id: Uuid,
) -> Result<TenureHistory, Error> {
    let tenure = tenures::find(conn, tenant, tenure_id)?;
    histories(conn, tenant, vec![tenure])?.pop().ok_or(Error::NotFound)
}

/// `history` on a pipelining connection: the tenure, its external ids and its crafting in
/// one round trip, then its post's formal revisions.
pub async fn history_pipelined(
    conn: pipelined::Connection,
    tenant: TenantId,
    tenure_id: Uuid,
) -> Result<TenureHistory, Error> {
    let (tenure, crafting) = futures_util::future::try_join(
        tenures::find_pipelined(conn.clone(), tenant, tenure_id),
        pipelined::load(
            conn.clone(),
            revisions_query(tenant, &[tenure_id]).select(Row::as_select()),
        ),
    )
    .await?;
    let mut formal =
        post_revisions::formal_revisions_pipelined(conn, tenant, &[tenure.post_id]).await?;
    Ok(TenureHistory {
        formal: formal.remove(&tenure.post_id).unwrap_or_default(),
        crafting: by_tenure(crafting)?.remove(&tenure_id).unwrap_or_default(),
        tenure,
    })
}

/// Histories of many tenures with three queries in all.
pub fn histories(
    conn: &mut DbConn,
    tenant: TenantId,
    tenures: Vec<Tenure>,
) -> Result<Vec<TenureHistory>, Error> {
    let tenure_ids: Vec<Uuid> = tenures.iter().map(|t| t.id).collect();
    let crafting = revisions_of(conn, tenant, &tenure_ids)?;
    with_formal(conn, tenant, tenures, crafting)
}

/// Each tenure with its post's formal revisions, read here, and its crafting, given.
fn with_formal(
    conn: &mut DbConn,
    tenant: TenantId,
    tenures: Vec<Tenure>,
    crafting: HashMap<Uuid, Vec<CraftingRevision>>,
) -> Result<Vec<TenureHistory>, Error> {
    let post_ids: Vec<Uuid> = tenures.iter().map(|t| t.post_id).collect();
    let formal = post_revisions::formal_revisions(conn, tenant, &post_ids)?;
    Ok(assembled(tenures, &formal, crafting))
}

/// `histories` of every tenure of the tenant with an id from `from` (where given) to `to`,
/// both inclusive, as an export of a whole tenant reads a page of them: their crafting is read
/// as one range of the index rather than looked up tenure by tenure (for 500 tenures here, 1.8
/// against 2.9 ms). Revisions of a tenure written into the range after `tenures` were read are
/// read and left out.
pub fn histories_between(
    conn: &mut DbConn,
    tenant: TenantId,
    tenures: Vec<Tenure>,
    from: Option<Uuid>,
    to: Uuid,
) -> Result<Vec<TenureHistory>, Error> {
    let mut rows =
        revision_rows(tenant).filter(crafting_revisions::tenure_id.le(to.to_string())).into_boxed();
    if let Some(from) = from {
        rows = rows.filter(crafting_revisions::tenure_id.ge(from.to_string()));
    }
    let crafting = by_tenure(rows.select(Row::as_select()).load(conn)?)?;
    with_formal(conn, tenant, tenures, crafting)
}

/// The crafting revisions of these tenures, by tenure, in effect order.
pub fn revisions_of(
    conn: &mut DbConn,
    tenant: TenantId,
    tenure_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<CraftingRevision>>, Error> {
    by_tenure(revisions_query(tenant, tenure_ids).select(Row::as_select()).load(conn)?)
}

/// Effective crafted facets of these tenures now.
pub fn crafted_facets(
    conn: &mut DbConn,
    tenant: TenantId,
    tenures: Vec<Tenure>,
    at: TimePoint,
) -> Result<HashMap<Uuid, Vec<Facet>>, Error> {
    Ok(effective_facets(histories(conn, tenant, tenures)?, at))
}

/// `crafted_facets`, with the first moment after `at` when a revision read (of a post, or
/// crafting) takes effect.
pub fn crafted_facets_until(
    conn: &mut DbConn,
    tenant: TenantId,
    tenures: Vec<Tenure>,
    at: TimePoint,
) -> Result<(FacetsByTenure, Option<NaiveDateTime>), Error> {
    Ok(facets_until(histories(conn, tenant, tenures)?, at))
}

/// The tenures these crafting revisions are of (revisions not found left out).
pub fn tenures_of(
    conn: &mut DbConn,
    tenant: TenantId,
    revisions: &[Uuid],
) -> Result<Vec<Uuid>, Error> {
    let rows: Vec<String> = chunked(revisions, |ids| {
        Ok(crafting_revisions::table
            .filter(crafting_revisions::tenant_id.eq(tenant.to_string()))
            .filter(crafting_revisions::id.eq_any(texts(ids)))
            .select(crafting_revisions::tenure_id)
            .load(conn)?)
    })?;
    changes::parse_ids(&rows)
}

/// Effective facets, by tenure.
pub type FacetsByTenure = HashMap<Uuid, Vec<Facet>>;

/// `crafted_facets` of tenures of the posts of these organizations (an account's), read
/// through the organizations rather than by every tenure's and post's id: PostgreSQL looks
/// listed ids up one by one, which at 10,000 stakeholders was 142 ms of a suggestion's 355 ms
/// of reading. A tenure of a post elsewhere gets no crafting. With them, the first moment after
/// `at` when a revision read (of a post, or crafting) takes effect: until then, if nothing is
/// written, they stay what they are.
pub fn crafted_facets_in(
    conn: &mut DbConn,
    tenant: TenantId,
    organizations: &[Uuid],
    tenures: Vec<Tenure>,
    at: TimePoint,
) -> Result<(FacetsByTenure, Option<NaiveDateTime>), Error> {
    let formal = post_revisions::formal_revisions_in(conn, tenant, organizations)?;
    let held = tenure_rows::table
        .filter(tenure_rows::tenant_id.eq(tenant.to_string()))
        .filter(tenure_rows::post_id.eq_any(post_ids_in(tenant, organizations)))
        .select(tenure_rows::id);
    let crafting = by_tenure(
        revision_rows(tenant)
            .filter(crafting_revisions::tenure_id.eq_any(held))
            .select(Row::as_select())
            .load(conn)?,
    )?;
    Ok(facets_until(assembled(tenures, &formal, crafting), at))
}

/// Each tenure's effective facets at `at`, and the first moment after it when a revision of
/// these histories takes effect: until then, if nothing is written, they stay what they are.
fn facets_until(
    histories: Vec<TenureHistory>,
    at: TimePoint,
) -> (FacetsByTenure, Option<NaiveDateTime>) {
    let next_effective = histories
        .iter()
        .flat_map(|h| {
            let formal = h.formal.iter().map(|r| r.effective_at);
            formal.chain(h.crafting.iter().map(|r| r.effective_at))
        })
        .filter(|effective| *effective > at.as_of)
        .min();
    (effective_facets(histories, at), next_effective)
}

/// Each tenure with its post's formal revisions and its own crafting.
fn assembled(
    tenures: Vec<Tenure>,
    formal: &HashMap<Uuid, Vec<FormalRevision>>,
    mut crafting: HashMap<Uuid, Vec<CraftingRevision>>,
) -> Vec<TenureHistory> {
    tenures
        .into_iter()
        .map(|tenure| TenureHistory {
            formal: formal.get(&tenure.post_id).cloned().unwrap_or_default(),
            crafting: crafting.remove(&tenure.id).unwrap_or_default(),
            tenure,
        })
        .collect()
}

/// Each tenure's effective facets at `at`, by tenure.
fn effective_facets(histories: Vec<TenureHistory>, at: TimePoint) -> FacetsByTenure {
    histories
        .into_iter()
        .map(|h| (h.tenure.id, h.job_at(at).facets.into_iter().map(|f| f.facet).collect()))
        .collect()
}
