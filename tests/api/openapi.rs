//! The committed `openapi/openapi.json` is what the code generates. To refresh it after an API
//! change: `cargo run -- openapi > openapi/openapi.json`.

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = jobcraft::http::openapi::document().to_pretty_json().unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json exists");
    assert!(
        generated.trim() == committed.trim(),
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_has_an_id_a_description_and_a_problem_response() {
    let document = jobcraft::http::openapi::document();
    let json = serde_json::to_value(&document).unwrap();
    assert_eq!(json["openapi"], "3.1.0");
    for (path, item) in json["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            assert!(operation["operationId"].is_string(), "{method} {path}");
            assert!(
                operation["description"].is_string() || operation["summary"].is_string(),
                "{method} {path}"
            );
            if !path.starts_with("/v1/") {
                continue;
            }
            let problem = &operation["responses"]["401"]["content"]["application/problem+json"];
            assert!(problem.is_object(), "{method} {path} documents no problem response");
        }
    }
}

/// Every `$ref` in the document, with where it is.
/// The component schema a local reference names.
fn lookup<'a>(json: &'a serde_json::Value, reference: &str) -> Option<&'a serde_json::Value> {
    let name = reference.strip_prefix("#/components/schemas/")?;
    json["components"]["schemas"].get(name)
}

fn references(value: &serde_json::Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(fields) => {
            for (name, field) in fields {
                match (name.as_str(), field.as_str()) {
                    ("$ref", Some(reference)) => found.push((at.to_owned(), reference.to_owned())),
                    _ => references(field, &format!("{at}/{name}"), found),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                references(item, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    let json = serde_json::to_value(jobcraft::http::openapi::document()).unwrap();
    let mut found = Vec::new();
    references(&json, "", &mut found);
    assert!(!found.is_empty());
    let dangling: Vec<_> =
        found.iter().filter(|(_, reference)| lookup(&json, reference).is_none()).collect();
    assert!(dangling.is_empty(), "references naming no schema: {dangling:?}");
}

#[test]
fn no_all_of_combines_a_closed_schema() {
    let json = serde_json::to_value(jobcraft::http::openapi::document()).unwrap();
    for (name, schema) in json["components"]["schemas"].as_object().unwrap() {
        for part in schema["allOf"].as_array().into_iter().flatten() {
            let part = match part["$ref"].as_str() {
                Some(reference) => lookup(&json, reference).unwrap(),
                None => part,
            };
            assert_ne!(
                part["additionalProperties"],
                serde_json::Value::Bool(false),
                "{name}: an allOf part that admits no other property makes the schema unsatisfiable"
            );
        }
    }
}

#[test]
fn page_items_are_references() {
    let json = serde_json::to_value(jobcraft::http::openapi::document()).unwrap();
    for (name, schema) in json["components"]["schemas"].as_object().unwrap() {
        if name.starts_with("Page_") {
            assert!(schema["properties"]["items"]["items"]["$ref"].is_string(), "{name}");
        }
    }
}

/// utoipa keys schemas by name: two types of one name leave one schema, and every reference
/// to the other describes the wrong thing (the way a diff's changes once read as change-feed
/// entries). Every `ToSchema` type in `src/` has a name of its own (`#[schema(as = …)]`
/// included).
#[test]
fn every_schema_type_has_a_name_of_its_own() {
    fn sources(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    sources(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")), &mut files);
    let mut names: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let derive = line.contains("derive(") || i > 0 && lines[i - 1].ends_with("#[derive(");
            if !(derive && line.contains("ToSchema")) {
                continue;
            }
            let mut alias = None;
            for next in lines.iter().skip(i + 1).take(8) {
                if let Some(rest) = next.trim().strip_prefix("#[schema(as = ") {
                    alias = rest.split([')', ',']).next().map(|a| a.rsplit("::").next().unwrap());
                }
                let declared = next.trim_start().trim_start_matches("pub ").trim_start();
                let name = declared.strip_prefix("struct ").or(declared.strip_prefix("enum "));
                if let Some(name) = name {
                    let name = name.split(|c: char| !c.is_alphanumeric() && c != '_').next();
                    let name = alias.or(name).unwrap().to_owned();
                    names.entry(name).or_default().push(file.display().to_string());
                    break;
                }
            }
        }
    }
    assert!(names.len() > 50, "found only {names:?}");
    let twice: Vec<_> = names.iter().filter(|(_, files)| files.len() > 1).collect();
    assert!(twice.is_empty(), "schema names used by more than one type: {twice:?}");
}
