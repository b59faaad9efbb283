//! The service killed (SIGKILL) in the middle of a stream of batch writes loses nothing it
//! acknowledged, leaves no batch half-written, replays acknowledged batches from their stored
//! answers, and its change feed holds every committed change exactly once.

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(a_killed_service_loses_no_acknowledged_batch);

const PERSONS_PER_BATCH: usize = 20;

pub(crate) struct Service {
    pub child: Child,
    pub base: String,
}

/// A test that fails before it stops its service still leaves none running (it would go on
/// delivering webhooks and taking the cores of the tests after it).
impl Drop for Service {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The release or debug binary of this package, serving the test's database.
async fn start(app: &TestApp) -> Service {
    start_with(app, &[]).await
}

/// The binary with more arguments (`--test-pauses` lets a request be held at its commit).
pub(crate) async fn start_with(app: &TestApp, args: &[&str]) -> Service {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", &app.url])
        .args(args)
        .env("JOBCRAFT_KEY_CACHE_TTL_MS", "0")
        // Writers here stream as fast as they can; limits are tested elsewhere.
        .env("JOBCRAFT_RATE_LIMIT_PER_SECOND", "0")
        .env("JOBCRAFT_LOG", "warn")
        .env("JOBCRAFT_WEBHOOK_INTERVAL_MS", "20")
        // The test receivers listen on 127.0.0.1.
        .env("JOBCRAFT_WEBHOOK_ALLOW_PRIVATE", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = awc::Client::default();
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await {
            if response.status().is_success() {
                return Service { child, base };
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().ok();
    child.wait().ok();
    panic!("the service did not become ready");
}

fn batch(number: usize) -> Value {
    let operations: Vec<Value> = (0..PERSONS_PER_BATCH)
        .map(|i| {
            json!({"op": "upsert", "entity": "persons", "source": "crm",
                   "external_id": format!("{number}-{i}"), "body": {"display_name": format!("P {number}-{i}")}})
        })
        .collect();
    json!({"operations": operations})
}

async fn send(base: &str, key: &str, number: usize) -> Option<Value> {
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    let mut response = client
        .post(format!("{base}/v1/sync/batch"))
        .insert_header(("Authorization", format!("Bearer {key}")))
        .insert_header(("Idempotency-Key", format!("batch-{number}")))
        .send_json(&batch(number))
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json::<Value>().limit(1 << 24).await.ok()
}

/// Sends batches until the service dies, killing it once a few are in; the numbers of the
/// batches acknowledged (with their answers) and of all attempted.
async fn stream_until_killed(service: &mut Service, key: &str) -> (HashMap<usize, Value>, usize) {
    let base = service.base.clone();
    let acknowledged: std::cell::RefCell<HashMap<usize, Value>> = Default::default();
    let attempted = std::cell::Cell::new(0usize);
    let writer = async {
        for number in 0..10_000 {
            attempted.set(number + 1);
            match send(&base, key, number).await {
                Some(answer) => {
                    acknowledged.borrow_mut().insert(number, answer);
                }
                None => return,
            }
        }
    };
    let killer = async {
        // Let some batches land, then kill without warning while one is in flight.
        while acknowledged.borrow().len() < 5 {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        actix_web::rt::time::sleep(Duration::from_millis(7)).await;
        service.child.kill().expect("SIGKILL");
        service.child.wait().expect("reaped");
    };
    futures_util::future::join(writer, killer).await;
    (acknowledged.into_inner(), attempted.get())
}

async fn a_killed_service_loses_no_acknowledged_batch(app: &TestApp) {
    let mut service = start(app).await;
    let (acknowledged, attempted) = stream_until_killed(&mut service, &app.key).await;
    assert!(acknowledged.len() >= 5);

    let mut service = start(app).await;
    let present = |number: usize| async move {
        let mut found = 0;
        for i in 0..PERSONS_PER_BATCH {
            if app.get(&format!("/v1/sync/persons/crm/{number}-{i}")).await.status == 200 {
                found += 1;
            }
        }
        found
    };
    for number in 0..attempted {
        let found = present(number).await;
        if acknowledged.contains_key(&number) {
            assert_eq!(found, PERSONS_PER_BATCH, "acknowledged batch {number} is incomplete");
        } else {
            assert!(
                found == 0 || found == PERSONS_PER_BATCH,
                "batch {number} is half-written: {found}"
            );
        }
    }
    // Replays of acknowledged batches get their original answers.
    for (number, answer) in acknowledged.iter().take(3) {
        let replay = send(&service.base, &app.key, *number).await.expect("replay answered");
        assert_eq!(&replay, answer, "batch {number}");
    }
    // Every committed person appears in the feed exactly once.
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/v1/changes?limit=1000&entity=person&after={c}"),
            None => "/v1/changes?limit=1000&entity=person".to_owned(),
        };
        let page = app.get(&url).await.body;
        seen.extend(
            page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        if page["has_more"] == false {
            break;
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a change appears twice");
    let persons = app.all("/v1/persons").await;
    let ids: HashSet<String> =
        persons.iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(unique.into_iter().cloned().collect::<HashSet<String>>(), ids);
    service.child.kill().ok();
    service.child.wait().ok();
}

#[actix_web::test]
async fn sqlite_webhook_delivery_resumes_after_a_kill() {
    let app = TestApp::sqlite_with(false).await;
    webhook_delivery_resumes_after_a_kill(&app).await;
    app.stop().await;
}

#[actix_web::test]
async fn postgres_webhook_delivery_resumes_after_a_kill() {
    let Some(app) = TestApp::postgres_with(false).await else { return };
    webhook_delivery_resumes_after_a_kill(&app).await;
    app.stop().await;
}

/// Only the killed-and-restarted binary delivers (the test's own server does not): every
/// committed person change still reaches the subscriber, at least once, once the killed
/// instance's lease has expired (3 × the receiver timeout, a second here, + the interval).
async fn webhook_delivery_resumes_after_a_kill(app: &TestApp) {
    let short_lease = ["--webhook-timeout-ms", "1000"];
    let (receiver, log) = crate::webhooks::receiver().await;
    let hook = app
        .post("/v1/webhooks", json!({"url": format!("{receiver}/ok"), "entities": ["person"]}))
        .await;
    assert_eq!(hook.status, 201, "{}", hook.body);
    let mut service = start_with(app, &short_lease).await;
    let (acknowledged, _) = stream_until_killed(&mut service, &app.key).await;
    assert!(acknowledged.len() >= 5);
    let delivered_before_restart = log.lock().unwrap().len();
    let mut service = start_with(app, &short_lease).await;
    let persons: HashSet<String> =
        app.all("/v1/persons").await.iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    let received = || -> HashSet<String> {
        log.lock()
            .unwrap()
            .iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .map(|event| event["change"]["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    for _ in 0..400 {
        if persons.is_subset(&received()) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let missing = persons.difference(&received()).count();
    assert_eq!(
        missing, 0,
        "{missing} person changes never delivered ({delivered_before_restart} before the restart)"
    );
    service.child.kill().ok();
    service.child.wait().ok();
}
