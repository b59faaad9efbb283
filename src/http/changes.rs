//! `GET /v1/changes`: the tenant's committed creates, updates and deletes in commit order.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

use crate::api::changes::{decode, encode, ChangeResponse, ChangesResponse};
use crate::domain::api_key::Scope;
use crate::error::{Error, FieldError};
use crate::http::auth::Principal;
use crate::http::extract::Query;
use crate::http::read_lagging;
use crate::store::changes::{self, Entity};
use crate::store::feed::{self, FeedFilter};
use crate::store::retention;
use crate::store::Db;

pub const FEED_DEFAULT_LIMIT: u32 = 100;
pub const FEED_MAX_LIMIT: u32 = 1_000;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_changes);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// A `next_cursor` (or an item's `cursor`) this tenant's feed handed out; absent to start
    /// from the first change, `latest` to start after the newest one (only what happens from
    /// now on). Any other value — cut short, edited, another tenant's — is a 400.
    pub after: Option<String>,
    /// Changes per answer, 1 to 1,000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Only changes of this entity type.
    pub entity: Option<Entity>,
    /// Leave out changes of this origin, e.g. your own sync source.
    pub exclude_origin: Option<String>,
}

/// A cursor this tenant's feed did not hand out: cut short, edited, of another tenant, or
/// ahead of the feed.
fn not_ours() -> Error {
    let detail = "not a cursor this feed handed out";
    Error::Malformed { detail: detail.into(), errors: vec![FieldError::new("after", detail)] }
}

/// The change feed: every committed create, update and delete of the tenant in commit order.
/// A consumer polling while others write never misses a change and never sees one twice.
#[utoipa::path(tag = "sync", params(ChangesParams), responses(
    (status = 200, body = ChangesResponse),
    (status = 410, description = "The cursor is older than what the feed keeps: resynchronise, then read after the problem's `resume_after`", body = crate::api::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/v1/changes")]
pub async fn list_changes(
    db: web::Data<Db>,
    principal: Principal,
    Query(params): Query<ChangesParams>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let limit = params.limit.unwrap_or(FEED_DEFAULT_LIMIT);
    if !(1..=FEED_MAX_LIMIT).contains(&limit) {
        return Err(Error::Invalid(vec![FieldError::new(
            "limit",
            format!("must be between 1 and {FEED_MAX_LIMIT}"),
        )]));
    }
    let tenant = principal.tenant_id;
    let after = match params.after.as_deref() {
        None => Some(0),
        Some("latest") => None,
        Some(cursor) => Some(decode(tenant, cursor).ok_or_else(not_ours)?),
    };
    let filter = FeedFilter { entity: params.entity, exclude_origin: params.exclude_origin };
    let (items, next, more) = read_lagging(&db, principal.key_id, move |c| {
        let latest = changes::head(c, tenant)?;
        // A position past the newest change was never handed out: accepting it would have
        // the consumer skip what comes next.
        let after = match after {
            Some(seq) if seq > latest => return Err(not_ours()),
            Some(seq) => seq,
            None => latest,
        };
        let (items, more) = feed::after(c, tenant, after, limit as usize, &filter)?;
        // Changes after the cursor were pruned: answering from what is left would skip them.
        // Read after the page, so that a pruning that committed in between is seen here.
        let first_kept = retention::first_kept(c, tenant)?;
        if after < first_kept - 1 {
            return Err(Error::Gone {
                detail: "changes after this cursor are no longer kept (the feed keeps the \
                         tenant's retention window): resynchronise, then read the feed after \
                         `resume_after`"
                    .into(),
                resume_after: encode(tenant, first_kept - 1),
            });
        }
        let next = items.last().map_or(after, |c| c.seq);
        Ok((items, next, more))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ChangesResponse {
        items: items.into_iter().map(|c| ChangeResponse::new(tenant, c)).collect(),
        next_cursor: encode(tenant, next),
        has_more: more,
    }))
}
