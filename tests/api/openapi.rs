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
