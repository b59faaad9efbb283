//! Webhooks: the change feed POSTed to subscribers, signed, in order, at least once, retried
//! on 5xx with backoff and given up on other 4xx, with a delivery log.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use jobcraft::domain::webhook::signature;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    events_arrive_signed_in_order_and_5xx_is_retried_with_the_same_event_id,
    a_4xx_is_given_up_on_and_delivery_goes_on,
    a_redirect_is_not_followed,
    webhook_urls_and_secrets_are_checked,
    a_receiver_at_an_ipv6_address_is_delivered_to,
    a_slow_or_dead_receiver_holds_only_its_own_subscription,
);

/// How long `/slow` takes to answer.
const SLOW: Duration = Duration::from_millis(1500);

async fn a_slow_or_dead_receiver_holds_only_its_own_subscription(app: &TestApp) {
    let (base, log) = receiver().await;
    for path in ["/slow", "/dead", "/quick"] {
        let url = format!("{base}{path}");
        app.create("/v1/webhooks", json!({"url": url, "entities": ["person"]})).await;
    }
    let mut persons = Vec::new();
    for i in 0..3 {
        persons.push(app.create("/v1/persons", json!({"display_name": format!("P{i}")})).await);
    }
    // The quick receiver has every change while the slow one is still on its first two (each
    // send takes `SLOW`) and the dead one has none answered.
    wait_for("every change at the quick receiver", || persons_received(&log, "/quick").len() == 3)
        .await;
    assert!(persons_received(&log, "/slow").len() < 3, "the slow receiver kept up");
    assert_eq!(persons_received(&log, "/quick"), persons);
    // The slow one gets them all, in order; the dead one is still sent its first, again.
    wait_for("every change at the slow receiver", || persons_received(&log, "/slow").len() == 3)
        .await;
    assert_eq!(persons_received(&log, "/slow"), persons);
    let dead = persons_received(&log, "/dead");
    assert!(!dead.is_empty() && dead.iter().all(|id| *id == persons[0]), "{dead:?}");
}

async fn a_receiver_at_an_ipv6_address_is_delivered_to(app: &TestApp) {
    let (base, log) = receiver_on("[::1]:0").await;
    assert!(base.starts_with("http://[::1]:"), "{base}");
    app.create("/v1/webhooks", json!({"url": format!("{base}/v6"), "entities": ["person"]})).await;
    app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    wait_for("the event at [::1]", || !delivered(&log, "/v6").is_empty()).await;
}

#[derive(Clone)]
pub(crate) struct Received {
    pub path: String,
    pub signature: String,
    pub event_id: String,
    pub request_id: String,
    pub traceparent: String,
    pub body: Vec<u8>,
}

/// A receiver: `/flaky` answers 503 twice, then 200; `/gone` always 410; `/moved` redirects
/// to `/elsewhere`; `/slow` answers 200 after `SLOW`; `/dead` answers long after the server
/// under test gives up (2 s); anything else 200. Each request is logged as it arrives.
pub(crate) async fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    receiver_on("127.0.0.1:0").await
}

/// The receiver on `address`.
async fn receiver_on(address: &str) -> (String, Arc<Mutex<Vec<Received>>>) {
    let log: Arc<Mutex<Vec<Received>>> = Arc::default();
    let state = web::Data::new(log.clone());
    let server = HttpServer::new(move || {
        App::new().app_data(state.clone()).default_service(web::to(
            |req: HttpRequest, body: web::Bytes, log: web::Data<Arc<Mutex<Vec<Received>>>>| async move {
                let header = |name: &str| {
                    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
                };
                let path = req.path().to_owned();
                let wait = match path.as_str() {
                    "/slow" => SLOW,
                    "/dead" => Duration::from_secs(60),
                    _ => Duration::ZERO,
                };
                let flaky_calls = {
                    let mut log = log.lock().unwrap();
                    log.push(Received {
                        path: path.clone(),
                        signature: header("x-jobcraft-signature"),
                        event_id: header("x-jobcraft-event-id"),
                        request_id: header("x-request-id"),
                        traceparent: header("traceparent"),
                        body: body.to_vec(),
                    });
                    log.iter().filter(|r| r.path == "/flaky").count()
                };
                actix_web::rt::time::sleep(wait).await;
                match path.as_str() {
                    "/flaky" if flaky_calls <= 2 => HttpResponse::ServiceUnavailable().finish(),
                    "/gone" => HttpResponse::Gone().finish(),
                    "/moved" => HttpResponse::TemporaryRedirect()
                        .insert_header(("Location", "/elsewhere"))
                        .finish(),
                    _ => HttpResponse::Ok().finish(),
                }
            },
        ))
    })
    .workers(1)
    .bind(address)
    .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    (base, log)
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

fn delivered(log: &Arc<Mutex<Vec<Received>>>, path: &str) -> Vec<Received> {
    log.lock().unwrap().iter().filter(|r| r.path == path).cloned().collect()
}

async fn events_arrive_signed_in_order_and_5xx_is_retried_with_the_same_event_id(app: &TestApp) {
    let (base, log) = receiver().await;
    let secret = "0123456789abcdef-our-secret";
    let hook = app
        .post(
            "/v1/webhooks",
            json!({"url": format!("{base}/flaky"), "entities": ["person"], "secret": secret}),
        )
        .await;
    assert_eq!(hook.status, 201, "{}", hook.body);
    assert_eq!(hook.body["secret"], secret);
    let hook_id = hook.body["id"].as_str().unwrap().to_owned();
    assert!(app.get(&format!("/v1/webhooks/{hook_id}")).await.body.get("secret").is_none());

    app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    // Nina's request names itself and its trace: her event carries both.
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let nina = app
        .call(
            awc::http::Method::POST,
            "/v1/persons",
            Some(&app.key),
            &[("X-Request-Id", "crm-import-nina"), ("traceparent", traceparent)],
            Some(&json!({"display_name": "Nina"})),
        )
        .await
        .id();
    let olga = app.create("/v1/persons", json!({"display_name": "Olga"})).await;
    // Two 503s (1 s and 2 s of backoff), then both events.
    wait_for("two events", || delivered(&log, "/flaky").len() >= 4).await;
    let calls = delivered(&log, "/flaky");
    let bodies: Vec<Value> =
        calls.iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    assert_eq!(bodies[0]["change"]["id"], nina.as_str());
    assert_eq!(calls[0].event_id, calls[2].event_id, "a retry carries the same event id");
    assert_eq!(bodies[2]["change"]["id"], nina.as_str());
    assert_eq!(bodies[3]["change"]["id"], olga.as_str(), "in order, the organization left out");
    assert_eq!(bodies[3]["type"], "person.create");
    assert_ne!(calls[3].event_id, calls[2].event_id);
    assert_eq!(
        (calls[2].request_id.as_str(), calls[2].traceparent.as_str()),
        ("crm-import-nina", traceparent)
    );
    assert!(!calls[3].request_id.is_empty() && calls[3].request_id != calls[2].request_id);
    assert_eq!(calls[3].traceparent, "", "Olga's request sent no trace context");
    for call in &calls {
        let timestamp: i64 = call.signature.split(',').next().unwrap()[2..].parse().unwrap();
        assert_eq!(call.signature, signature(secret, timestamp, &call.body));
    }

    // The delivery log is written after the receiver answers: wait for the fourth entry.
    let mut deliveries = Vec::new();
    for _ in 0..100 {
        deliveries = app.all(&format!("/v1/webhooks/{hook_id}/deliveries")).await;
        if deliveries.len() >= 4 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let outcomes: Vec<&str> = deliveries.iter().map(|d| d["outcome"].as_str().unwrap()).collect();
    assert_eq!(&outcomes[..4], ["retry", "retry", "delivered", "delivered"]);
    assert_eq!(deliveries[0]["status"], 503);
    assert_eq!(deliveries[2]["attempt"], 3);
}

async fn a_4xx_is_given_up_on_and_delivery_goes_on(app: &TestApp) {
    let (base, log) = receiver().await;
    let gone = app.post("/v1/webhooks", json!({"url": format!("{base}/gone")})).await;
    let fine = app.post("/v1/webhooks", json!({"url": format!("{base}/fine")})).await;
    assert_eq!((gone.status.as_u16(), fine.status.as_u16()), (201, 201));
    app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    app.create("/v1/persons", json!({"display_name": "Olga"})).await;
    wait_for("both subscriptions", || {
        delivered(&log, "/gone").len() >= 2 && delivered(&log, "/fine").len() >= 2
    })
    .await;
    assert_eq!(delivered(&log, "/gone").len(), 2, "no retry on 410");
    let id = gone.body["id"].as_str().unwrap();
    let deliveries = app.all(&format!("/v1/webhooks/{id}/deliveries")).await;
    assert!(deliveries.iter().all(|d| d["outcome"] == "failed" && d["status"] == 410));
    // Paused subscriptions receive nothing.
    let fine_id = fine.body["id"].as_str().unwrap();
    assert_eq!(
        app.patch(&format!("/v1/webhooks/{fine_id}"), json!({"active": false})).await.status,
        200
    );
    app.create("/v1/persons", json!({"display_name": "Ivo"})).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(delivered(&log, "/fine").len(), 2);
    assert_eq!(app.delete(&format!("/v1/webhooks/{fine_id}")).await.status, 204);
}

async fn a_redirect_is_not_followed(app: &TestApp) {
    // A redirect could lead delivery anywhere (a metadata address, say): it is given up like
    // a 4xx.
    let (base, log) = receiver().await;
    let moved = app.post("/v1/webhooks", json!({"url": format!("{base}/moved")})).await;
    assert_eq!(moved.status, 201, "{}", moved.body);
    app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    wait_for("the redirect", || !delivered(&log, "/moved").is_empty()).await;
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert!(delivered(&log, "/elsewhere").is_empty(), "the redirect was followed");
    let id = moved.body["id"].as_str().unwrap();
    let deliveries = app.all(&format!("/v1/webhooks/{id}/deliveries")).await;
    assert!(
        deliveries.iter().all(|d| d["outcome"] == "failed" && d["status"] == 307),
        "{deliveries:?}"
    );
}

async fn webhook_urls_and_secrets_are_checked(app: &TestApp) {
    // This server allows private receivers (the test receivers are on 127.0.0.1); the address
    // rules are tested on a guarded server in `hostile::guarded`.
    let response = app
        .post("/v1/webhooks", json!({"url": "http://crm.example.com/a b", "secret": "short"}))
        .await;
    response.assert_problem(422);
    assert_eq!(response.pointers(), vec!["/url", "/secret"]);
    app.post("/v1/webhooks", json!({"url": "ftp://example.com"})).await.assert_problem(422);
    app.post("/v1/webhooks", json!({"url": "https://example.com", "entities": ["planet"]}))
        .await
        .assert_problem(400);
    assert!(app.all("/v1/webhooks").await.is_empty());
}

/// The person ids of the changes a subscription received, in the order they arrived.
fn persons_received(log: &Arc<Mutex<Vec<Received>>>, path: &str) -> Vec<String> {
    delivered(log, path)
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            body["change"]["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

// The test's own server does not deliver here: only the two instances it starts do.
#[actix_web::test]
async fn sqlite_instances_share_the_subscriptions_and_a_killed_ones_are_taken_over() {
    let app = TestApp::sqlite_with(false).await;
    instances_share_the_subscriptions_and_a_killed_ones_are_taken_over(&app).await;
    app.stop().await;
}

#[actix_web::test]
async fn postgres_instances_share_the_subscriptions_and_a_killed_ones_are_taken_over() {
    let Some(app) = TestApp::postgres_with(false).await else { return };
    instances_share_the_subscriptions_and_a_killed_ones_are_taken_over(&app).await;
    app.stop().await;
}

async fn instances_share_the_subscriptions_and_a_killed_ones_are_taken_over(app: &TestApp) {
    let (base, log) = receiver().await;
    let paths = ["/one", "/two", "/three", "/four"];
    for path in paths {
        let url = format!("{base}{path}");
        app.create("/v1/webhooks", json!({"url": url, "entities": ["person"]})).await;
    }
    // Two instances deliver; a send may take a second, so a lease lasts about three.
    let args = ["--webhook-timeout-ms", "1000"];
    let mut first = crate::faults::start_with(app, &args).await;
    let mut second = crate::faults::start_with(app, &args).await;
    let mut persons = Vec::new();
    for i in 0..30 {
        persons.push(app.create("/v1/persons", json!({"display_name": format!("P{i}")})).await);
    }
    // Counted without repeats: a change in flight at a kill may arrive twice.
    let all_of = |n: usize| {
        let log = log.clone();
        move || {
            paths.iter().all(|p| {
                let mut received = persons_received(&log, p);
                received.sort();
                received.dedup();
                received.len() >= n
            })
        }
    };
    wait_for("30 changes at every subscription", all_of(30)).await;
    // Shared, not each delivered by both: every change once, in order.
    for path in paths {
        assert_eq!(persons_received(&log, path), persons, "{path}");
    }

    // The first instance is killed; the second takes its subscriptions over when their leases
    // expire. A change in flight at the kill may arrive twice (at least once), none is skipped
    // and none comes out of order.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    for i in 30..40 {
        persons.push(app.create("/v1/persons", json!({"display_name": format!("P{i}")})).await);
    }
    wait_for("40 changes at every subscription", all_of(40)).await;
    for path in paths {
        let mut received = persons_received(&log, path);
        received.dedup();
        assert_eq!(received, persons, "{path}");
    }
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}
