//! Response helpers shared by the resource handlers.

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::error::Error;
use crate::http::etag::etag;
use crate::http::extract::from_value;

/// 200 with the resource and its ETag.
pub fn ok<T: Serialize>(version: i64, body: T) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(body)
}

/// 201 with the new resource, its `Location` and its ETag.
pub fn created<T: Serialize>(collection: &str, id: Uuid, version: i64, body: T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{collection}/{id}")))
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

pub fn deleted() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// Whether a delete may take dependent rows with it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Also delete what depends on the resource instead of refusing with 409.
    pub cascade: Option<bool>,
}

/// Applies an RFC 7396 merge patch to the writable fields of a resource and reads the result
/// back as a full request, so a PATCH is validated exactly like a PUT.
pub fn merge_into<R: Serialize + DeserializeOwned>(current: R, patch: &Value) -> Result<R, Error> {
    if !patch.is_object() {
        return Err(Error::Malformed {
            detail: "a merge patch must be a JSON object".into(),
            errors: vec![crate::error::FieldError::new("", "must be an object")],
        });
    }
    let mut document = serde_json::to_value(current).map_err(Error::internal)?;
    merge_patch(&mut document, patch);
    from_value(document)
}

fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(fields) = target {
        for (name, change) in changes {
            if change.is_null() {
                fields.remove(name);
            } else {
                merge_patch(fields.entry(name.clone()).or_insert(Value::Null), change);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
    }
}
