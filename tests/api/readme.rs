//! The curl walkthrough of the README's guides (`docs/guides/`), run as written against a live server.

use std::process::Command;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(the_readme_walkthrough_runs);

async fn the_readme_walkthrough_runs(app: &TestApp) {
    let stdout = run_readme_blocks(
        "# walkthrough",
        &[
            ("JC=http://127.0.0.1:8080", &format!("JC={}", app.base)),
            ("KEY=jc_paste_your_key_here", &format!("KEY={}", app.key)),
        ],
    )
    .await;
    for expected in [
        "\"post_title\":\"Claims Director\"",
        "\"display_name\":\"Nina Roth\"",
        "\"display_name\":\"Olga Berg\"",
        "\"status\":409",
        "\"origin\":\"overridden\"",
        "\"guardrail\":\"breached\"",
        "\"op\":\"add\",\"path\":\"/facets/decision_criterion/carbon_footprint\"",
        "kind,organization_id,organization_name,post_id,post_title,tenure_id",
        "formal,",
        "\"type\":\"covered_person_left\"",
        "\"type\":\"uncovered_buying_role\"",
        "\"type\":\"champion_lost\"",
        "\"state\":\"acknowledged\",\"returned\":false,\"decision\":{\"state\":\"acknowledged\"",
        "\"note\":\"Max calls Peter at Globex\"",
        "\"to_name\":\"Olga Berg\"",
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

/// The README and its guides, in the order their walkthrough blocks run: each guide's blocks
/// go on from the variables and data of those before.
const GUIDES: [&str; 6] = [
    "README.md",
    "docs/guides/integrators.md",
    "docs/guides/analysts.md",
    "docs/guides/sales-managers.md",
    "docs/guides/crm-sync.md",
    "docs/guides/operators.md",
];

/// Runs the `sh` blocks of the README and its guides that start with `marker`, in order as one
/// script, with each `(text, replacement)` applied (the server's address, a key); what the
/// script printed.
pub async fn run_readme_blocks(marker: &str, replacements: &[(&str, &str)]) -> String {
    let readme: String = GUIDES
        .iter()
        .map(|guide| {
            let path = format!("{}/{guide}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut script: String = readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .filter(|block| block.starts_with(marker))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!script.is_empty(), "no block of the README or its guides starts with {marker}");
    for (text, replacement) in replacements {
        script = script.replace(text, replacement);
    }
    // Off the test's thread: the server under test runs on the same runtime.
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("bash").args(["-euo", "pipefail", "-c", &script]).output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    stdout
}
