//! The README's curl walkthrough, run as written against a live server.

use std::process::Command;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(the_readme_walkthrough_runs);

async fn the_readme_walkthrough_runs(app: &TestApp) {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let block: String = readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .filter(|block| block.starts_with("# walkthrough"))
        .collect::<Vec<_>>()
        .join("\n");
    let script = block
        .replace("JC=http://127.0.0.1:8080", &format!("JC={}", app.base))
        .replace("KEY=jc_paste_your_key_here", &format!("KEY={}", app.key));
    // Off the test's thread: the server under test runs on the same runtime.
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("bash").args(["-euo", "pipefail", "-c", &script]).output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    for expected in [
        "\"post_title\":\"Claims Director\"",
        "\"display_name\":\"Nina Roth\"",
        "\"display_name\":\"Olga Berg\"",
        "\"status\":409",
        "\"origin\":\"overridden\"",
        "\"guardrail\":\"breached\"",
        "\"op\":\"add\",\"path\":\"/facets/decision_criterion/carbon_footprint\"",
        "kind,organization_id,post_id,tenure_id",
        "formal,",
        "\"type\":\"covered_person_left\"",
        "\"type\":\"uncovered_buying_role\"",
        "\"key\":\"sustainability_champion\"},\"stakeholder\":{\"dimension\":\"decision_criterion\",\"key\":\"carbon_footprint\"}",
        "\"created\":[\"",
        "idempotent-replayed: true",
        "\"display_name\":\"Bill Lumbergh\"",
        "\"entity\":\"person\",\"id\"",
        "\"url\":\"http://127.0.0.1:9/jobcraft-events\"",
    ] {
        assert!(stdout.contains(expected), "missing {expected} in:\n{stdout}");
    }
}
