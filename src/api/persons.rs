//! A person on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::Wire;
use crate::domain::person::NewPerson;
use crate::domain::sync::ExternalRef;
use crate::error::Error;
use crate::store::persons::{Person, Persons};
use crate::store::resource::GivenRefs;

/// A person as written by a client.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonRequest {
    /// The name shown for the person.
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    /// E-mail addresses, most used first.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub emails: Vec<String>,
    /// Phone number, free form.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    /// Free notes.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Ids of this entity in other systems; absent keeps the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl Wire for Persons {
    const COLLECTION: &'static str = "/v1/persons";
    type Request = PersonRequest;
    type Response = PersonResponse;

    fn parse(r: PersonRequest) -> Result<(NewPerson, GivenRefs), Error> {
        let new =
            NewPerson::parse(&r.display_name, &r.emails, r.phone.as_deref(), r.notes.as_deref());
        Ok((new?, r.external_refs))
    }
    fn request(new: &NewPerson) -> PersonRequest {
        PersonRequest {
            display_name: new.display_name.clone(),
            emails: new.emails.clone(),
            phone: new.phone.clone(),
            notes: new.notes.clone(),
            external_refs: None,
        }
    }
}

/// A person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonResponse {
    /// Id (UUID v7).
    pub id: Uuid,
    /// The name shown for the person.
    pub display_name: String,
    /// E-mail addresses.
    pub emails: Vec<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// When the person's personal data was erased (their record stays, anonymised).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erased_at: Option<DateTime<Utc>>,
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

impl From<Person> for PersonResponse {
    fn from(p: Person) -> Self {
        PersonResponse {
            external_refs: p.external_refs.clone(),
            id: p.id,
            display_name: p.display_name,
            emails: p.emails,
            phone: p.phone,
            notes: p.notes,
            erased_at: p.erased_at.map(|t| t.and_utc()),
            version: p.version,
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
        }
    }
}
