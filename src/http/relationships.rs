//! `/v1/relationships`: observed links between persons, inside or across organizations.

use actix_web::{delete, get, patch, post, put};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::relationships::{RelationshipRequest, RelationshipResponse};
use crate::http::pagination::{page_request, Page};
use crate::http::resource;
use crate::store::relationships::Relationships;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_relationships)
        .service(create_relationship)
        .service(find_relationship)
        .service(replace_relationship)
        .service(update_relationship)
        .service(delete_relationship);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RelationshipListParams {
    /// Only relationships from or to this person.
    pub person_id: Option<Uuid>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

resource::crud_routes!(
    Relationships,
    tag = "network",
    collection = "/v1/relationships",
    item = "/v1/relationships/{id}",
    request = RelationshipRequest,
    response = RelationshipResponse,
    /// List relationships in id order.
    list = list_relationships(RelationshipListParams) => |params| (params.person_id, page_request(params.limit, params.cursor.as_deref())?),
    /// Record a relationship.
    create = create_relationship,
    find {
        /// Read a relationship.
        find_relationship
    },
    /// Replace a relationship.
    replace = replace_relationship,
    /// Change some of a relationship's fields (JSON merge patch, RFC 7396).
    patch = update_relationship,
    /// Delete a relationship.
    delete = delete_relationship,
);
