//! A relationship between persons on the wire.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::Wire;
use crate::domain::coverage::{NewRelationship, RelationshipKind};
use crate::domain::sync::ExternalRef;
use crate::error::Error;
use crate::store::relationships::{Relationship, Relationships};
use crate::store::resource::GivenRefs;

/// A relationship as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipRequest {
    /// The person the relationship goes from (who influences, advises, blocks, reports).
    pub from_person_id: Uuid,
    /// The person it goes to.
    pub to_person_id: Uuid,
    pub kind: RelationshipKind,
    /// How strong it is, 0 to 1.
    #[schema(minimum = 0, maximum = 1)]
    pub strength: f64,
    /// First day it holds; absent for "as far as we know, always".
    #[serde(default, deserialize_with = "crate::api::moment::optional_date")]
    pub valid_from: Option<NaiveDate>,
    /// The day it stopped holding (exclusive); absent while it holds.
    #[serde(default, deserialize_with = "crate::api::moment::optional_date")]
    pub valid_until: Option<NaiveDate>,
    /// Free notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Ids of this relationship in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl Wire for Relationships {
    const COLLECTION: &'static str = "/v1/relationships";
    type Request = RelationshipRequest;
    type Response = RelationshipResponse;

    fn parse(r: RelationshipRequest) -> Result<(NewRelationship, GivenRefs), Error> {
        let new = NewRelationship {
            from_person_id: r.from_person_id,
            to_person_id: r.to_person_id,
            kind: r.kind,
            strength: r.strength,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            notes: r.notes,
        };
        Ok((new.validate()?, r.external_refs))
    }
    fn request(new: &NewRelationship) -> RelationshipRequest {
        RelationshipRequest {
            from_person_id: new.from_person_id,
            to_person_id: new.to_person_id,
            kind: new.kind,
            strength: new.strength,
            valid_from: new.valid_from,
            valid_until: new.valid_until,
            notes: new.notes.clone(),
            external_refs: None,
        }
    }
}

/// A relationship.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RelationshipResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    // Inline: the request schema is closed (`additionalProperties: false`), so an `allOf` with
    // it would admit no response.
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: RelationshipRequest,
    /// Whether it holds today.
    pub is_current: bool,
    /// Increases with every change; the ETag.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Relationship> for RelationshipResponse {
    fn from(r: Relationship) -> Self {
        RelationshipResponse {
            id: r.id,
            fields: RelationshipRequest {
                external_refs: r.external_refs,
                ..Relationships::request(&r.fields)
            },
            is_current: r.fields.holds_on(Utc::now().date_naive()),
            version: r.version,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}
