//! Fuzzing every endpoint, driven by the OpenAPI document (so an endpoint added later is
//! fuzzed without touching this file): random valid and invalid path ids, parameters, headers
//! and bodies. Every answer must be below 500 and a status the document names; every error a
//! problem document with that status; every JSON answer shaped as its documented schema; and a
//! rejected request must write nothing (no audit entry, no change in the feed).
//!
//! `JOBCRAFT_FUZZ_CASES` (default 3) sets the cases per operation, `JOBCRAFT_FUZZ_SEED` the
//! seed (a failure prints the one it ran with).

mod schema;

use awc::http::{Method, StatusCode};
use diesel::prelude::*;
use jobcraft::domain::api_key::Scope;
use jobcraft::store::schema::audit_log;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};
use schema::{conforms, mutate, resolve, value_for, Ids};

on_both_backends!(every_endpoint_answers_random_requests_as_documented);

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Real things to name: the fuzzer's ids hit them some of the time.
async fn fixture(app: &TestApp) -> Ids {
    let org = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let own = app.create("/v1/organizations", json!({"name": "Northwind", "kind": "own"})).await;
    let post = app
        .create("/v1/posts", json!({"organization_id": org, "title": "Buyer", "headcount": 3}))
        .await;
    let desk = app
        .create("/v1/posts", json!({"organization_id": own, "title": "Account executive"}))
        .await;
    let nina = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    let max = app.create("/v1/persons", json!({"display_name": "Max"})).await;
    let tenure = app
        .create(
            "/v1/tenures",
            json!({"person_id": nina, "post_id": post, "started_on": "2024-01-01"}),
        )
        .await;
    let seller = app
        .create(
            "/v1/tenures",
            json!({"person_id": max, "post_id": desk, "started_on": "2024-01-01"}),
        )
        .await;
    let link = app
        .create(
            "/v1/coverage",
            json!({"salesperson_id": max, "stakeholder_id": nina, "role": "primary"}),
        )
        .await;
    Ids(vec![org, own, post, desk, nina, max, tenure, seller, link])
}

/// What a write would leave behind: audit entries and change numbers of the tenant.
fn writes(app: &TestApp) -> (i64, i64) {
    let tenant = app.tenant_id.to_string();
    app.db
        .read(|c| {
            let audited: i64 =
                audit_log::table.filter(audit_log::tenant_id.eq(&tenant)).count().get_result(c)?;
            let changes = jobcraft::store::changes::head(c, app.tenant_id)?;
            Ok((audited, changes))
        })
        .expect("counts")
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}

fn as_param(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(as_param).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

struct Request {
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

fn build(
    doc: &Value,
    template: &str,
    method: &str,
    op: &Value,
    rng: &mut StdRng,
    ids: &Ids,
    keys: &[String],
) -> Request {
    let parameters = op["parameters"].as_array().cloned().unwrap_or_default();
    let mut path = template.to_owned();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    for parameter in &parameters {
        let name = parameter["name"].as_str().unwrap_or_default();
        let value = match (name, rng.gen_range(0..10)) {
            (_, 0) => Value::String(
                ["", "%", "null", "x".repeat(300).as_str()][rng.gen_range(0..4)].into(),
            ),
            ("entity", _) => {
                json!(["persons", "organizations", "posts", "tenures", "coverage", "planets"]
                    .choose(rng))
            }
            ("source", _) => json!(["salesforce", "Sales Force", ""].choose(rng)),
            _ => value_for(doc, &parameter["schema"], rng, ids, 0),
        };
        match parameter["in"].as_str() {
            Some("path") => path = path.replace(&format!("{{{name}}}"), &encode(&as_param(&value))),
            Some("query") if rng.gen_bool(0.5) => {
                query.push(format!("{}={}", encode(name), encode(&as_param(&value))))
            }
            Some("header") if rng.gen_bool(0.3) => {
                headers.push((name.to_owned(), as_param(&value)))
            }
            _ => {}
        }
    }
    if rng.gen_bool(0.05) {
        query.push("unknown_parameter=1".into());
    }
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    match rng.gen_range(0..10) {
        0 => {}
        1 => headers.push(("Authorization".into(), "Bearer jc_not-a-key".into())),
        2 => headers.push(("Authorization".into(), format!("Bearer {}", keys[1]))),
        _ => headers.push(("Authorization".into(), format!("Bearer {}", keys[0]))),
    }
    if method != "get" && rng.gen_bool(0.15) {
        headers
            .push(("If-Match".into(), ["\"1\"", "\"999\"", "garbage"][rng.gen_range(0..3)].into()));
    }
    if method == "get" && rng.gen_bool(0.1) {
        headers.push((
            "Accept".into(),
            ["text/csv", "application/x-ndjson"][rng.gen_range(0..2)].into(),
        ));
    }
    let body = op["requestBody"]["content"].as_object().and_then(|content| {
        let (media_type, body) = content.iter().next()?;
        let mut value = value_for(doc, &body["schema"], rng, ids, 0);
        if rng.gen_bool(0.4) {
            value = mutate(value, rng);
        }
        let content_type = if rng.gen_bool(0.05) { "text/plain" } else { media_type.as_str() };
        headers.push(("Content-Type".into(), content_type.into()));
        Some(if rng.gen_bool(0.05) {
            b"{\"broken\": ".to_vec()
        } else {
            value.to_string().into_bytes()
        })
    });
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("an HTTP method");
    Request { method, path, headers, body }
}

/// Everything wrong with one answer.
fn check(
    doc: &Value,
    op: &Value,
    status: StatusCode,
    content_type: &str,
    body: &[u8],
) -> Result<(), String> {
    if status.is_server_error() {
        return Err(format!("answered {status}: {}", String::from_utf8_lossy(body)));
    }
    let documented = &op["responses"][status.as_str()];
    if documented.is_null() {
        return Err(format!("answered {status}, which the document does not list"));
    }
    if status.is_client_error() {
        if !content_type.starts_with("application/problem+json") {
            return Err(format!("a {status} as {content_type}, not a problem"));
        }
        let problem: Value =
            serde_json::from_slice(body).map_err(|e| format!("problem is not JSON: {e}"))?;
        if problem["status"] != status.as_u16()
            || !problem["title"].is_string()
            || !problem["type"].is_string()
        {
            return Err(format!("malformed problem: {problem}"));
        }
        return Ok(());
    }
    let schema = &documented["content"]["application/json"]["schema"];
    if content_type.starts_with("application/json") && !schema.is_null() {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("answer is not JSON: {e}"))?;
        conforms(doc, resolve(doc, schema), &value, "")?;
    }
    Ok(())
}

async fn every_endpoint_answers_random_requests_as_documented(app: &TestApp) {
    let doc = serde_json::to_value(jobcraft::http::openapi::document()).expect("document");
    let seed = env_number("JOBCRAFT_FUZZ_SEED").unwrap_or_else(|| rand::thread_rng().gen());
    let cases = env_number("JOBCRAFT_FUZZ_CASES").unwrap_or(3);
    let mut rng = StdRng::seed_from_u64(seed);
    let ids = fixture(app).await;
    let keys = [app.key.clone(), app.key_with(&[Scope::Read])];
    let paths = doc["paths"].as_object().expect("paths").clone();
    let mut answered: std::collections::BTreeMap<u16, usize> = Default::default();
    for (template, item) in &paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            for case in 0..cases {
                let request = build(&doc, template, method, op, &mut rng, &ids, &keys);
                let before = writes(app);
                let (status, headers, body) = app
                    .send_bytes(
                        request.method.clone(),
                        &request.path,
                        &request.headers,
                        request.body.clone(),
                    )
                    .await;
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let mut verdict = check(&doc, op, status, &content_type, &body);
                if verdict.is_ok() && status.is_client_error() && writes(app) != before {
                    verdict = Err(format!("a rejected request ({status}) wrote"));
                }
                if let Err(problem) = verdict {
                    panic!(
                        "{} {} (case {case}, JOBCRAFT_FUZZ_SEED={seed}): {problem}\nheaders: {:?}\nbody: {}",
                        request.method,
                        request.path,
                        request.headers,
                        request.body.map(|b| String::from_utf8_lossy(&b).chars().take(2_000).collect::<String>()).unwrap_or_default()
                    );
                }
                *answered.entry(status.as_u16()).or_default() += 1;
            }
        }
    }
    eprintln!("fuzz (JOBCRAFT_FUZZ_SEED={seed}): answers by status {answered:?}");
    // Not only refusals: the fuzzer must reach the endpoints' work too.
    let succeeded: usize = answered.range(200..300).map(|(_, n)| n).sum();
    let refused: usize = answered.range(400..500).map(|(_, n)| n).sum();
    assert!(succeeded >= paths.len() / 4 && refused >= paths.len(), "{answered:?}");
}
