//! JSON as clients send it: one strict reading for every body (REST, merge patches, sync
//! operations), with any error located by JSON pointer.

use std::collections::HashSet;

use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::Value;
use serde_path_to_error::{Path, Segment};

use crate::api::strict_json::Strict;
use crate::error::{Error, FieldError};

/// Reads a JSON document into `T`, locating any error by JSON pointer. Before `T` sees it, the
/// document must be an object, with no key twice in any object and no NUL in any string (text
/// in PostgreSQL cannot hold one; both backends refuse it alike).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    check_document(body)?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(Strict(&mut deserializer)).map_err(|e| {
        let pointer = pointer(e.path(), e.inner().to_string().as_str());
        malformed(pointer, e.inner().to_string())
    })?;
    deserializer.end().map_err(|e| malformed(String::new(), e.to_string()))?;
    Ok(value)
}

/// Reads a JSON value into `T` (used after a merge patch), locating errors by pointer.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(Strict(value)).map_err(|e| {
        let pointer = pointer(e.path(), e.inner().to_string().as_str());
        malformed(pointer, e.inner().to_string())
    })
}

fn malformed(pointer: String, detail: String) -> Error {
    Error::Malformed {
        detail: format!("the request body is not acceptable JSON: {detail}"),
        errors: vec![FieldError::new(pointer, detail)],
    }
}

/// RFC 6901 pointer for a serde path. serde reports an unknown or missing field at its parent, so the
/// field's own name is taken from the message.
pub fn pointer(path: &Path, message: &str) -> String {
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    let named = ["unknown field `", "missing field `"].iter().find_map(|p| message.strip_prefix(p));
    if let Some(rest) = named {
        if let Some(field) = rest.split('`').next() {
            if !pointer.ends_with(&format!("/{field}")) {
                pointer.push('/');
                pointer.push_str(field);
            }
        }
    }
    pointer
}

/// The rules every JSON body keeps whatever its schema; the first break is named by pointer.
/// Syntax errors are left to the typed parse, which locates them the same way.
fn check_document(body: &[u8]) -> Result<(), Error> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|&b| b != b'{') {
        return Err(malformed(String::new(), "the request body must be a JSON object".into()));
    }
    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let _syntax_left_to_the_typed_parse =
        Node { pointer: String::new(), found: &mut found }.deserialize(&mut deserializer);
    match found {
        // Well-formed JSON that no field can hold: invalid (422), like a control character
        // in a name.
        Some((pointer, detail)) if detail.contains("NUL") => {
            Err(Error::Invalid(vec![FieldError::new(pointer, detail)]))
        }
        Some((pointer, detail)) => Err(malformed(pointer, detail)),
        None => Ok(()),
    }
}

/// One JSON value at `pointer`; records the first break of the rules in `found` and stops.
struct Node<'a> {
    pointer: String,
    found: &'a mut Option<(String, String)>,
}

impl Node<'_> {
    fn refuse<E: serde::de::Error>(self, pointer: String, detail: &str) -> Result<(), E> {
        *self.found = Some((pointer, detail.to_owned()));
        Err(E::custom(detail))
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
        if text.contains('\0') {
            let pointer = self.pointer.clone();
            return self.refuse(pointer, "must not contain a NUL character");
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let pointer = format!("{}/{index}", self.pointer);
            if seq.next_element_seed(Node { pointer, found: &mut *self.found })?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let pointer = format!("{}/{}", self.pointer, key.replace('~', "~0").replace('/', "~1"));
            if key.contains('\0') {
                return self.refuse(pointer, "a key must not contain a NUL character");
            }
            if !seen.insert(key) {
                return self.refuse(pointer, "a key must not appear twice in an object");
            }
            map.next_value_seed(Node { pointer, found: &mut *self.found })?;
        }
        Ok(())
    }
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
