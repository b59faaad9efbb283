//! Bulk diffs as JSON pages, NDJSON and CSV, with filters and cursors.

use awc::http::Method;
use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    bulk_diffs_stream_as_ndjson_and_csv_and_resume_by_cursor,
    bulk_diffs_as_csv_are_the_ndjson_rows_column_by_column,
    bulk_diffs_over_many_pages_come_in_order_once_each_and_resume_across_pages,
    bulk_diffs_filter_by_organization_person_dimension_and_time,
);

/// A group with a subsidiary; two holders in the subsidiary with crafting, one elsewhere.
async fn setup(app: &TestApp) -> (String, String, String) {
    let group = app.create("/v1/organizations", json!({"name": "Group", "kind": "client"})).await;
    let sub = app
        .create(
            "/v1/organizations",
            json!({"name": "Sub, \"Claims\"", "kind": "client", "parent_id": group}),
        )
        .await;
    let other = app.create("/v1/organizations", json!({"name": "Other", "kind": "client"})).await;
    let post = app
        .create(
            "/v1/posts",
            json!({"organization_id": sub, "title": "CPO", "facets": [
        {"dimension": "priority", "key": "cost_reduction", "weight": 0.9}]}),
        )
        .await;
    let elsewhere =
        app.create("/v1/posts", json!({"organization_id": other, "title": "=Buyer()"})).await;
    let olga = app.create("/v1/persons", json!({"display_name": "Olga"})).await;
    let nina = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    let old = app.create("/v1/tenures", json!({"person_id": olga, "post_id": post, "started_on": "2019-01-01", "ended_on": "2026-03-01"})).await;
    let new = app
        .create(
            "/v1/tenures",
            json!({"person_id": nina, "post_id": post, "started_on": "2026-03-01"}),
        )
        .await;
    let far = app
        .create(
            "/v1/tenures",
            json!({"person_id": olga, "post_id": elsewhere, "started_on": "2026-03-01"}),
        )
        .await;
    for (tenure, effective, facets) in [
        (
            &old,
            "2020-01-01T00:00:00Z",
            json!([{"dimension": "priority", "key": "cost_reduction", "weight": 1.0}]),
        ),
        (
            &new,
            "2026-04-01T00:00:00Z",
            json!([{"dimension": "priority", "key": "sustainability", "weight": 0.9}, {"dimension": "priority", "key": "cost_reduction", "weight": 0.2}]),
        ),
        (
            &new,
            "2026-05-01T00:00:00Z",
            json!([{"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.8}]),
        ),
        (
            &far,
            "2026-04-01T00:00:00Z",
            json!([{"dimension": "task", "key": "tendering", "weight": 0.5}]),
        ),
    ] {
        app.create(
            &format!("/v1/tenures/{tenure}/crafting"),
            json!({"effective_at": effective, "facets": facets}),
        )
        .await;
    }
    (group, olga, new)
}

async fn raw(app: &TestApp, path: &str, accept: &str) -> (u16, String, String) {
    let mut response = awc::Client::default()
        .request(Method::GET, format!("{}{path}", app.base))
        .insert_header(("Authorization", format!("Bearer {}", app.key)))
        .insert_header(("Accept", accept))
        .send()
        .await
        .unwrap();
    let body = response.body().limit(64 * 1024 * 1024).await.unwrap();
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    (response.status().as_u16(), content_type, String::from_utf8(body.to_vec()).unwrap())
}

async fn bulk_diffs_stream_as_ndjson_and_csv_and_resume_by_cursor(app: &TestApp) {
    setup(app).await;
    let (status, content_type, body) =
        raw(app, "/v1/diffs?kind=revision", "application/x-ndjson").await;
    assert_eq!((status, content_type.as_str()), (200, "application/x-ndjson"), "{body}");
    let rows: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // old: +cost_reduction(1.0 over 0.9); new: cost_reduction 0.9→0.2, +sustainability, then +carbon; far: +tendering.
    assert_eq!(rows.len(), 5, "{body}");
    assert!(rows.iter().all(|r| r["kind"] == "revision" && r["revision_id"].is_string()));

    let (_, csv_type, csv) = raw(app, "/v1/diffs?kind=revision", "text/csv").await;
    assert!(csv_type.starts_with("text/csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with(
        "kind,organization_id,organization_name,post_id,post_title,tenure_id,person_id,person_name,"
    ));
    assert_eq!(lines.len(), 6);
    // Names beside the ids, quoted where they must be.
    assert!(
        lines.iter().any(|l| l.contains(",\"Sub, \"\"Claims\"\"\",") && l.contains(",CPO,")),
        "{csv}"
    );
    assert!(
        rows.iter().all(|r| r["person_name"] == "Olga" || r["person_name"] == "Nina"),
        "{body}"
    );
    assert!(lines.iter().any(|l| l.contains(",Carbon footprint,added,")));
    // A limit ends the stream after that many rows, the first of the whole.
    let (_, _, first) = raw(app, "/v1/diffs?kind=revision&limit=3", "text/csv").await;
    assert_eq!(first.lines().collect::<Vec<_>>(), lines[..4].to_vec());

    // Resuming after the second row gives exactly the rest.
    let cursor = rows[1]["cursor"].as_str().unwrap();
    let (_, _, rest) =
        raw(app, &format!("/v1/diffs?kind=revision&cursor={cursor}"), "application/x-ndjson").await;
    let rest: Vec<Value> = rest.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rest, rows[2..].to_vec());

    // JSON pages walk the same rows.
    let paged = app.all("/v1/diffs?kind=revision&limit=2").await;
    assert_eq!(paged, rows);
}

/// A whole-tenant formal export as the bytes of its HTTP/1.1 response, read until the server
/// closes the connection.
async fn raw_stream(app: &TestApp, accept: &str) -> String {
    use std::io::{Read, Write};
    let address = app.base.trim_start_matches("http://").to_owned();
    let request = format!(
        "GET /v1/diffs?kind=formal HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n",
        app.key
    );
    actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).expect("connect");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
        stream.write_all(request.as_bytes()).expect("write");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .expect("joined")
}

/// The fields of one CSV line (RFC 4180 quoting).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Every column of every CSV row is the NDJSON row's field of that name, for each kind of
/// diff: a formula-like title behind its `'`, times as the same instants.
async fn bulk_diffs_as_csv_are_the_ndjson_rows_column_by_column(app: &TestApp) {
    setup(app).await;
    for kind in ["formal", "revision", "succession"] {
        let path = format!("/v1/diffs?kind={kind}&until=2026-06-01");
        let (_, _, ndjson) = raw(app, &path, "application/x-ndjson").await;
        let rows: Vec<Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let (_, _, csv) = raw(app, &path, "text/csv").await;
        let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
        let header = csv_fields(lines.next().unwrap());
        let lines: Vec<Vec<String>> = lines.map(csv_fields).collect();
        assert!(!rows.is_empty(), "{kind}");
        assert_eq!(lines.len(), rows.len(), "{kind}: {csv}");
        for (row, fields) in rows.iter().zip(&lines) {
            assert_eq!(fields.len(), header.len(), "{kind}: {fields:?}");
            let mut keys: Vec<&String> = row.as_object().unwrap().keys().collect();
            let mut names: Vec<&String> = header.iter().collect();
            keys.sort();
            names.sort();
            assert_eq!(names, keys, "a column for each field, no more");
            for (name, field) in header.iter().zip(fields) {
                let value = &row[name.as_str()];
                let context = format!("{kind} {name}: {field:?} against {value}");
                match value {
                    Value::Null => assert_eq!(field, "", "{context}"),
                    Value::Number(n) => {
                        assert_eq!(
                            field.trim_start_matches('\'').parse::<f64>().ok(),
                            n.as_f64(),
                            "{context}"
                        )
                    }
                    Value::String(text) if name.ends_with("_time") => {
                        let instant = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
                        assert_eq!(instant(field), instant(text), "{context}");
                    }
                    Value::String(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
                        assert_eq!(*field, format!("'{text}"), "{context}")
                    }
                    Value::String(text) => assert_eq!(field, text, "{context}"),
                    other => panic!("{context}: {other}"),
                }
            }
        }
        if kind == "formal" {
            assert!(rows.iter().any(|r| r["post_title"] == "=Buyer()"), "{ndjson}");
        }
        if kind == "succession" {
            assert!(rows.iter().all(|r| r["from_person_name"] == "Olga"), "{ndjson}");
        }
    }
}

/// 1,100 tenures: pages of 500 are read ahead on their own threads and connections, and a whole
/// tenant's crafting as a range of ids. Crafting on the tenures at the pages' edges (a page
/// re-reads the last group of the one before) gives two rows each; they come in id order, once
/// each, the same through the whole tenant as through its organization (read by ids, not a
/// range), and a cursor in the second page resumes with exactly the rest.
async fn bulk_diffs_over_many_pages_come_in_order_once_each_and_resume_across_pages(app: &TestApp) {
    const N: usize = 1_100;
    let org = app.create("/v1/organizations", json!({"name": "Many", "kind": "client"})).await;
    let sf = |id: String| json!({"source": "crm", "external_id": id});
    let mut operations = Vec::new();
    for i in 0..N {
        operations.push(json!({"op": "upsert", "entity": "posts", "source": "crm",
            "external_id": format!("post-{i}"), "body": {"organization_id": org, "title": format!("Post {i}"),
            "facets": [{"dimension": "priority", "key": "cost_reduction", "weight": 0.9}]}}));
        operations.push(json!({"op": "upsert", "entity": "persons", "source": "crm",
            "external_id": format!("person-{i}"), "body": {"display_name": format!("Person {i}")}}));
        operations.push(json!({"op": "upsert", "entity": "tenures", "source": "crm",
            "external_id": format!("tenure-{i}"), "body": {"person_id": sf(format!("person-{i}")),
            "post_id": sf(format!("post-{i}")), "started_on": "2025-01-01"}}));
    }
    for batch in operations.chunks(999) {
        let answer = app.post("/v1/sync/batch", json!({"operations": batch})).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let mut tenures: Vec<String> = app
        .all("/v1/tenures?limit=500")
        .await
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    tenures.sort();
    assert_eq!(tenures.len(), N);
    let crafted: Vec<&String> =
        [0, 1, 498, 499, 500, 501, 998, 999, 1000, N - 1].iter().map(|&i| &tenures[i]).collect();
    for tenure in &crafted {
        app.create(
            &format!("/v1/tenures/{tenure}/crafting"),
            json!({"effective_at": "2025-06-01T00:00:00Z", "facets": [
                {"dimension": "task", "key": "supplier_audits", "weight": 0.4},
                {"dimension": "task", "key": "tendering", "weight": 0.5}]}),
        )
        .await;
    }
    // A formal diff is as of the call: its two time columns are the moment of each call.
    let rows_of = |body: &str| -> Vec<Value> {
        let untimed = |mut row: Value| {
            let fields = row.as_object_mut().unwrap();
            fields.remove("from_time");
            fields.remove("to_time");
            row
        };
        body.lines().map(|l| untimed(serde_json::from_str(l).unwrap())).collect()
    };
    let csv_untimed = |line: &str| {
        let mut fields: Vec<&str> = line.split(',').collect();
        fields.drain(12..14);
        fields.join(",")
    };
    let (_, _, whole) = raw(app, "/v1/diffs?kind=formal", "application/x-ndjson").await;
    let rows = rows_of(&whole);
    let order: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["tenure_id"].as_str().unwrap(), r["key"].as_str().unwrap()))
        .collect();
    let expected: Vec<(&str, &str)> = crafted
        .iter()
        .flat_map(|t| [(t.as_str(), "supplier_audits"), (t.as_str(), "tendering")])
        .collect();
    assert_eq!(order, expected);
    let (_, _, scoped) =
        raw(app, &format!("/v1/diffs?kind=formal&organization_id={org}"), "application/x-ndjson")
            .await;
    assert_eq!(rows_of(&scoped), rows, "by ids as by the range");
    let (_, _, csv) = raw(app, "/v1/diffs?kind=formal", "text/csv").await;
    assert_eq!(csv.lines().count(), 1 + rows.len());
    // Resuming after the first row of the tenure that opens the second page.
    let at = rows.iter().position(|r| r["tenure_id"] == crafted[4].as_str()).unwrap();
    let cursor = rows[at]["cursor"].as_str().unwrap();
    let (_, _, rest) =
        raw(app, &format!("/v1/diffs?kind=formal&cursor={cursor}"), "application/x-ndjson").await;
    assert_eq!(rows_of(&rest), rows[at + 1..].to_vec());
    let (_, _, rest_csv) =
        raw(app, &format!("/v1/diffs?kind=formal&cursor={cursor}"), "text/csv").await;
    let all_csv: Vec<String> = csv.lines().map(csv_untimed).collect();
    let rest_csv: Vec<String> = rest_csv.lines().skip(1).map(csv_untimed).collect();
    assert_eq!(rest_csv, all_csv[at + 2..].to_vec());

    // A page that cannot be read (the third: a post's facets broken in the store) fails the
    // stream once the first pages' rows are sent (those still queued may be lost with the
    // connection; the client resumes from its last whole row): the chunked transfer is cut,
    // never ended as whole (curl: "transfer closed with outstanding read data remaining").
    // Read raw, as awc takes a closed connection for the end.
    let whole = raw_stream(app, "text/csv").await;
    assert!(whole.ends_with("\r\n0\r\n\r\n"), "a whole export ends with its last chunk");
    let last_post = rows.last().unwrap()["post_id"].as_str().unwrap().to_owned();
    app.db
        .write(|c| {
            diesel::sql_query(format!(
                "UPDATE post_revisions SET facets = 'broken' WHERE post_id = '{last_post}'"
            ))
            .execute(c)
            .map_err(jobcraft::error::Error::from)
        })
        .expect("broken");
    for accept in ["text/csv", "application/x-ndjson"] {
        let cut = raw_stream(app, accept).await;
        assert!(cut.starts_with("HTTP/1.1 200"), "{accept}: the stream had begun");
        assert!(!cut.contains(crafted[7].as_str()), "{accept}: the third page's did not");
        assert!(!cut.ends_with("\r\n0\r\n\r\n"), "{accept}: cut, not ended: {cut}");
    }
    app.get("/v1/diffs?kind=formal&limit=500").await.assert_problem(500);
}

async fn bulk_diffs_filter_by_organization_person_dimension_and_time(app: &TestApp) {
    let (group, olga, _) = setup(app).await;
    let in_group = app.all(&format!("/v1/diffs?kind=revision&organization_id={group}")).await;
    assert_eq!(in_group.len(), 4, "the sub-organization's rows count, the other's do not");
    let career = app.all(&format!("/v1/diffs?kind=revision&person_id={olga}")).await;
    let keys: Vec<&str> = career.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 2);
    assert!(keys.contains(&"tendering") && keys.contains(&"cost_reduction"));
    let carbon = app.all("/v1/diffs?kind=revision&dimension=decision_criterion").await;
    assert_eq!(carbon.len(), 1);
    let recent = app.all("/v1/diffs?kind=revision&since=2026-04-15").await;
    assert_eq!(recent.len(), 1);
    let succession = app.all("/v1/diffs?kind=succession").await;
    assert_eq!(succession.len(), 3, "{succession:?}");
    assert!(succession.iter().all(|r| r["from_person_id"] == olga.as_str()));
    let formal = app.all(&format!("/v1/diffs?kind=formal&organization_id={group}")).await;
    assert!(formal.iter().any(|r| r["key"] == "carbon_footprint" && r["op"] == "added"));
    app.get("/v1/diffs?kind=everything").await.assert_problem(400);
    app.get("/v1/diffs?kind=formal&since=2026-05-01&until=2026-01-01").await.assert_problem(422);
    app.get(&format!("/v1/diffs?kind=formal&organization_id={}", uuid::Uuid::now_v7()))
        .await
        .assert_problem(404);
}
