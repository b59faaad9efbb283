//! An organization on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::Wire;
use crate::domain::organization::{NewOrganization, OrganizationKind, Profile};
use crate::domain::sync::ExternalRef;
use crate::error::Error;
use crate::store::organizations::{Organization, Organizations};
use crate::store::resource::GivenRefs;

/// An organization as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRequest {
    /// Display name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `own` (the seller and its units), `client`, `partner` or `other`.
    pub kind: OrganizationKind,
    /// The organization this one belongs to (group → subsidiary → unit); no cycles.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// The profile matched against partner preferences.
    #[serde(default)]
    pub profile: Profile,
    /// Ids of this entity in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl Wire for Organizations {
    const COLLECTION: &'static str = "/v1/organizations";
    type Request = OrganizationRequest;
    type Response = OrganizationResponse;

    fn parse(r: OrganizationRequest) -> Result<(NewOrganization, GivenRefs), Error> {
        let new = NewOrganization::parse(&r.name, r.kind, r.parent_id, r.profile);
        Ok((new?, r.external_refs))
    }
    fn request(new: &NewOrganization) -> OrganizationRequest {
        OrganizationRequest {
            name: new.name.clone(),
            kind: new.kind,
            parent_id: new.parent_id,
            profile: new.profile.clone(),
            external_refs: None,
        }
    }
}

/// An organization.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrganizationResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// `own`, `client`, `partner` or `other`.
    pub kind: OrganizationKind,
    /// The organization this one belongs to.
    pub parent_id: Option<Uuid>,
    /// The profile matched against partner preferences.
    pub profile: Profile,
    /// Increases with every change; the ETag.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Ids of this entity in other systems.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl From<Organization> for OrganizationResponse {
    fn from(o: Organization) -> Self {
        OrganizationResponse {
            external_refs: o.external_refs.clone(),
            id: o.id,
            name: o.name,
            kind: o.kind,
            parent_id: o.parent_id,
            profile: o.profile,
            version: o.version,
            created_at: o.created_at.and_utc(),
            updated_at: o.updated_at.and_utc(),
        }
    }
}
