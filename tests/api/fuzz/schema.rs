//! The OpenAPI document's schemas, for the fuzzer: random values shaped by a schema (valid or
//! nearly), mutations that break them, and a check that an answer matches its schema (the
//! subset utoipa writes: `$ref`, `oneOf`/`anyOf`/`allOf`, `type` (also as a list), `enum`,
//! `properties`, `required`, `additionalProperties: false`, `items`). A reference that does
//! not resolve is a broken document, never "no constraint": it panics.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Map, Value};

/// Identifiers the fixture created, so that some generated ids name real things.
pub struct Ids(pub Vec<String>);

/// The schema a `$ref` names (followed until it is no reference); panics when it names none.
pub fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => match lookup(doc, reference) {
            Some(target) => resolve(doc, target),
            None => panic!("the document's reference `{reference}` names no schema"),
        },
        None => schema,
    }
}

/// The schema a local reference (`#/components/schemas/Name`) names, if any.
pub fn lookup<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let name = reference.strip_prefix("#/components/schemas/")?;
    doc["components"]["schemas"].get(name).filter(|schema| schema.is_object())
}

fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

const WORDS: [&str; 12] = [
    "Acme",
    "salesforce",
    "carbon_footprint",
    "x",
    "",
    " ",
    "ü—名",
    "client",
    "procurement",
    "2026-01-01",
    "price",
    "../../etc",
];

fn string_for(schema: &Value, rng: &mut StdRng, ids: &Ids) -> Value {
    if let Some(options) = schema["enum"].as_array() {
        return options.choose(rng).cloned().unwrap_or(Value::Null);
    }
    let text = match schema["format"].as_str() {
        Some("uuid") => match rng.gen_range(0..4) {
            0 => uuid::Uuid::now_v7().to_string(),
            1 => "not-a-uuid".into(),
            _ => ids.0.choose(rng).cloned().unwrap_or_default(),
        },
        Some("date") => {
            ["2025-01-01", "2026-12-31", "1900-02-30", "2024-06-15"][rng.gen_range(0..4)].into()
        }
        Some("date-time") => ["2026-11-03T10:00:00Z", "2099-01-01T00:00:00Z", "yesterday"]
            [rng.gen_range(0..3)]
        .into(),
        _ if rng.gen_bool(0.05) => "x".repeat(rng.gen_range(201..12_000)),
        _ => WORDS.choose(rng).copied().unwrap_or("x").to_owned(),
    };
    Value::String(text)
}

/// A value shaped by `schema`: mostly valid, sometimes at or past its bounds.
pub fn value_for(doc: &Value, schema: &Value, rng: &mut StdRng, ids: &Ids, depth: usize) -> Value {
    let schema = resolve(doc, schema);
    for combinator in ["oneOf", "anyOf"] {
        if let Some(branches) = schema[combinator].as_array() {
            let branch = branches.choose(rng).cloned().unwrap_or(Value::Null);
            return value_for(doc, &branch, rng, ids, depth);
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(fields) = value_for(doc, part, rng, ids, depth) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    let kinds = types(schema);
    let kind = match kinds.iter().filter(|k| **k != "null").copied().collect::<Vec<_>>() {
        ref non_null if !non_null.is_empty() && (rng.gen_bool(0.9) || !kinds.contains(&"null")) => {
            non_null[rng.gen_range(0..non_null.len())]
        }
        _ if kinds.contains(&"null") => "null",
        _ if schema.get("properties").is_some() => "object",
        _ => "any",
    };
    match kind {
        "null" => Value::Null,
        "string" => string_for(schema, rng, ids),
        "integer" => json!([0, 1, 2, 15, -1, 10_001, i64::MAX][rng.gen_range(0..7)]),
        "number" => json!([0.0, 0.5, -0.5, 1.0, 1.5, -7.25][rng.gen_range(0..6)]),
        "boolean" => Value::Bool(rng.gen()),
        "array" if depth < 4 => {
            let n = if rng.gen_bool(0.03) { 1_001 } else { rng.gen_range(0..4) };
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array((0..n).map(|_| value_for(doc, &items, rng, ids, depth + 1)).collect())
        }
        "object" if depth < 4 => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut fields = Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (name, property) in properties {
                    if required.contains(&name.as_str()) || rng.gen_bool(0.5) {
                        fields.insert(name.clone(), value_for(doc, property, rng, ids, depth + 1));
                    }
                }
            }
            Value::Object(fields)
        }
        // An open schema (`{}`: merge patches, sync bodies): fields real bodies use.
        _ => {
            let names = [
                "display_name",
                "name",
                "kind",
                "title",
                "organization_id",
                "person_id",
                "post_id",
                "started_on",
                "headcount",
                "facets",
            ];
            let mut fields = Map::new();
            let count = rng.gen_range(0..4);
            let chosen: Vec<&str> = names.choose_multiple(rng, count).copied().collect();
            for name in chosen {
                let value = match rng.gen_range(0..3) {
                    0 => Value::String(WORDS.choose(rng).copied().unwrap_or("x").into()),
                    1 => ids.0.choose(rng).map_or(Value::Null, |id| Value::String(id.clone())),
                    _ => json!(rng.gen_range(-2..3)),
                };
                fields.insert(name.to_owned(), value);
            }
            Value::Object(fields)
        }
    }
}

/// Breaks a value the way clients do: a field missing, of the wrong type, unknown; the wrong
/// kind of body altogether.
pub fn mutate(mut value: Value, rng: &mut StdRng) -> Value {
    match rng.gen_range(0..6) {
        0 => json!([value]),
        1 => [json!("x"), json!(1), Value::Null, json!(true)][rng.gen_range(0..4)].clone(),
        _ => {
            if let Value::Object(fields) = &mut value {
                let keys: Vec<String> = fields.keys().cloned().collect();
                match (rng.gen_range(0..3), keys.choose(rng)) {
                    (0, Some(key)) => {
                        fields.remove(key);
                    }
                    (1, Some(key)) => {
                        fields.insert(key.clone(), json!([{"deep": [1, "two", null]}]));
                    }
                    _ => {
                        fields.insert("unexpected_field".into(), json!(1));
                    }
                }
            }
            value
        }
    }
}

/// Whether `value` matches `schema`; the path of the first mismatch otherwise.
pub fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if let Some(branches) = schema["oneOf"].as_array().or_else(|| schema["anyOf"].as_array()) {
        return if branches.iter().any(|b| conforms(doc, b, value, at).is_ok()) {
            Ok(())
        } else {
            Err(format!("{at}: {value} matches none of {}", Value::Array(branches.clone())))
        };
    }
    if let Some(parts) = schema["allOf"].as_array() {
        return parts.iter().try_for_each(|p| conforms(doc, p, value, at));
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            return Err(format!("{at}: {value} is not one of {}", Value::Array(options.clone())));
        }
    }
    let kinds = types(schema);
    let kind_ok = kinds.is_empty()
        || kinds.iter().any(|kind| match *kind {
            "null" => value.is_null(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        });
    if !kind_ok {
        return Err(format!("{at}: {value} is not of type {kinds:?}"));
    }
    if let (Some(items), Value::Array(values)) = (schema.get("items"), value) {
        for (i, item) in values.iter().enumerate() {
            conforms(doc, items, item, &format!("{at}/{i}"))?;
        }
    }
    if let Value::Object(fields) = value {
        for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !fields.contains_key(name) {
                return Err(format!("{at}: required `{name}` missing"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, field) in fields {
            match properties.and_then(|properties| properties.get(name)) {
                Some(property) => conforms(doc, property, field, &format!("{at}/{name}"))?,
                None if schema["additionalProperties"] == Value::Bool(false) => {
                    return Err(format!(
                        "{at}: `{name}` is not allowed (additionalProperties: false)"
                    ));
                }
                None => {}
            }
        }
    }
    Ok(())
}
