//! The wire: what clients send and receive (serde + utoipa; no actix, no diesel), read the same
//! way by the REST handlers (`http`) and the sync engine (`sync`). May import `store` (for the
//! types it maps) and `domain`; never `http` or `sync`.

pub mod accounts;
pub mod alerts;
pub mod changes;
pub mod coverage;
pub mod crafting;
pub mod development_plans;
pub mod diffs;
pub mod json;
pub mod moment;
pub mod organizations;
pub mod persons;
pub mod posts;
pub mod problem;
pub mod questionnaires;
pub mod readiness;
pub mod relationships;
pub mod strict_json;
pub mod team_profile;
pub mod tenures;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;
use crate::store::resource::{GivenRefs, Resource};

/// An entity clients write, on the wire: the request its `POST`, `PUT` and sync upserts take,
/// and the response its `GET` answers.
pub trait Wire: Resource {
    /// Where its collection lives, e.g. `/v1/persons`.
    const COLLECTION: &'static str;
    type Request: Serialize + DeserializeOwned + Send + 'static;
    type Response: Serialize + From<Self::View>;

    /// Checks a request: the entity to write and the external ids it gives.
    fn parse(request: Self::Request) -> Result<(Self::New, GivenRefs), Error>;
    /// The entity as a request that would write it again (external ids left out, so they stay
    /// as they are): what a merge patch applies to.
    fn request(new: &Self::New) -> Self::Request;
}
