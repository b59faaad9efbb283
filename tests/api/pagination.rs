use std::collections::HashSet;

use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(a_walk_visits_every_existing_row_once_while_rows_are_inserted);

async fn a_walk_visits_every_existing_row_once_while_rows_are_inserted(app: &TestApp) {
    let mut existing = HashSet::new();
    for i in 0..23 {
        existing.insert(app.create("/v1/persons", json!({"display_name": format!("P{i}")})).await);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/persons?limit=5&cursor={c}"),
            None => "/v1/persons?limit=5".to_owned(),
        };
        let page = app.get(&path).await;
        assert_eq!(page.status, 200);
        seen.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned()),
        );
        // A writer keeps inserting while the walk goes on.
        app.create("/v1/persons", json!({"display_name": "late"})).await;
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "a row was visited twice");
    assert!(existing.is_subset(&unique), "a row that existed was skipped");
}
