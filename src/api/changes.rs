//! The change feed on the wire: its entries and its cursors (also the payload of webhooks).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::store::changes::{Entity, ExternalRef, Operation};
use crate::store::feed::Change;

/// One committed change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeResponse {
    /// Resume right after this change with `after=<cursor>`.
    pub cursor: String,
    pub entity: Entity,
    /// The entity's id.
    pub id: Uuid,
    pub operation: Operation,
    /// The entity's external ids when the change was made (a deletion keeps the last ones).
    pub external_refs: Vec<ExternalRef>,
    /// The sync source named by the writer (`X-Jobcraft-Origin`), else the API key's name.
    pub origin: String,
    /// The API key that wrote it.
    pub key_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangesResponse {
    pub items: Vec<ChangeResponse>,
    /// Where to continue: pass it as `after` next time, also when `items` is empty.
    pub next_cursor: String,
    /// Whether more changes are there already.
    pub has_more: bool,
}

/// The cursor of the place after change `seq` in `tenant`'s feed: the position and a tag that
/// binds it to the tenant. A cursor that was cut short, edited, or issued to another tenant
/// fails the tag; the tag is a digest, not a secret (its job is to detect, not to authorize:
/// the key already decides the tenant).
pub fn encode(tenant: TenantId, seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("change:{seq}:{}", tag(tenant, seq)))
}

fn tag(tenant: TenantId, seq: i64) -> String {
    let digest = Sha256::digest(format!("jobcraft change cursor v2:{tenant}:{seq}"));
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// The position a cursor of `tenant`'s feed stands for, if it is one.
pub fn decode(tenant: TenantId, cursor: &str) -> Option<i64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (seq, given) = text.strip_prefix("change:")?.split_once(':')?;
    let seq: i64 = seq.parse().ok().filter(|seq: &i64| *seq >= 0)?;
    (given == tag(tenant, seq)).then_some(seq)
}

impl ChangeResponse {
    pub fn new(tenant: TenantId, c: Change) -> Self {
        ChangeResponse {
            cursor: encode(tenant, c.seq),
            entity: c.entity,
            id: c.entity_id,
            operation: c.operation,
            external_refs: c.external_refs,
            origin: c.origin,
            key_id: c.key_id,
            occurred_at: c.occurred_at.and_utc(),
        }
    }
}
