//! Retention: the change feed, delivery logs, audit log and idempotency keys pruned past each
//! tenant's windows, in batches beside writers and off the request path; a cursor older than
//! what is kept is `410 Gone`, never a jump.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use jobcraft::api::changes::decode;
use jobcraft::domain::api_key::Scope;
use jobcraft::pruning::round;
use jobcraft::store::retention;
use jobcraft::store::schema::{audit_log, changes, feed_horizons, idempotency_keys};
use serde_json::{json, Value};

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    a_cursor_older_than_the_kept_feed_is_gone_and_says_where_to_resume,
    pruning_beside_writers_keeps_every_recent_change_once_and_in_order,
    retention_windows_are_checked_and_kept,
    no_pruning_batch_passes_a_held_turn,
    a_round_that_finds_nothing_to_prune_takes_no_turn,
    idempotency_keys_are_answered_for_the_tenants_window_then_pruned_by_a_round,
);

/// Makes these idempotency keys of the tenant look `hours` old.
fn age_keys(app: &TestApp, keys: &[&str], hours: i64) {
    let then = Utc::now().naive_utc() - Duration::hours(hours);
    let tenant = app.tenant_id.0.to_string();
    app.db
        .write(|c| {
            let theirs = idempotency_keys::table
                .filter(idempotency_keys::tenant_id.eq(&tenant))
                .filter(idempotency_keys::idempotency_key.eq_any(keys));
            diesel::update(theirs).set(idempotency_keys::created_at.eq(then)).execute(c)?;
            Ok(())
        })
        .unwrap();
}

async fn idempotency_keys_are_answered_for_the_tenants_window_then_pruned_by_a_round(
    app: &TestApp,
) {
    let post = |key: &'static str| {
        let body = json!({"display_name": "Kept"});
        async move {
            let headers = [("Idempotency-Key", key)];
            let made = app
                .call(awc::http::Method::POST, "/v1/persons", Some(&app.key), &headers, Some(&body))
                .await;
            assert_eq!(made.status, 201, "{}", made.body);
            made.body["id"].as_str().unwrap().to_owned()
        }
    };
    let window = json!({"feed_days": 30, "deliveries_days": 30, "audit_days": null,
                        "idempotency_hours": 72});
    assert_eq!(app.put("/v1/settings/retention", window).await.status, 200);
    let first = post("k-1").await;
    // Three days is the tenant's window: at 60 hours the key still answers, and a round
    // leaves it.
    age_keys(app, &["k-1"], 60);
    assert_eq!(post("k-1").await, first, "replayed within the window");
    assert_eq!(round(&app.db, 1000).unwrap().idempotency_keys, 0);
    // Past it, a round prunes it, and the key is free again: a new person.
    age_keys(app, &["k-1"], 80);
    assert_eq!(round(&app.db, 1000).unwrap().idempotency_keys, 1);
    let again = post("k-1").await;
    assert_ne!(again, first, "a key past the window is a new request");
    // A key past the window that no round has pruned yet is not answered either, and its
    // new answer takes its place, and its alone: another key past it is left to the rounds.
    post("k-2").await;
    post("k-3").await;
    age_keys(app, &["k-1", "k-2"], 80);
    age_keys(app, &["k-3"], 90);
    let newer = post("k-1").await;
    assert_ne!(newer, again);
    assert_eq!(post("k-1").await, newer, "the new answer is kept");
    // Batch by batch, the oldest first: the two keys past the window, one a batch.
    let batches: Vec<usize> = (0..3).map(|_| retention_batch(app, 1).idempotency_keys).collect();
    assert_eq!(batches, [1, 1, 0]);
    assert_eq!(post("k-1").await, newer, "the answer within the window stays");
}

/// One pruning batch of the tenant, of at most `batch` rows of each kind.
fn retention_batch(app: &TestApp, batch: i64) -> retention::Pruned {
    let at = Utc::now().naive_utc();
    app.db
        .write(|c| {
            assert!(retention::take_turn(c, app.tenant_id)?);
            retention::prune(c, app.tenant_id, at, batch)
        })
        .unwrap()
}

/// Makes the tenant's changes up to `seq` (and its audit entries) look `days` old.
fn age(app: &TestApp, through_seq: i64, days: i64) {
    let then = Utc::now().naive_utc() - Duration::days(days);
    let tenant = app.tenant_id.0.to_string();
    app.db
        .write(|c| {
            diesel::update(
                changes::table
                    .filter(changes::tenant_id.eq(&tenant))
                    .filter(changes::seq.le(through_seq)),
            )
            .set(changes::occurred_at.eq(then))
            .execute(c)?;
            diesel::update(audit_log::table.filter(audit_log::tenant_id.eq(&tenant)))
                .set(audit_log::at.eq(then))
                .execute(c)?;
            Ok(())
        })
        .unwrap();
}

/// The change numbers of a feed page, read from its items' cursors.
fn seqs(app: &TestApp, page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| decode(app.tenant_id, c["cursor"].as_str().unwrap()).unwrap())
        .collect()
}

async fn a_cursor_older_than_the_kept_feed_is_gone_and_says_where_to_resume(app: &TestApp) {
    // A subscription from the start holds what it has not delivered (it has no receiver).
    let hook = app.create("/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook"})).await;
    for n in 0..5 {
        app.create("/v1/persons", json!({"display_name": format!("P{n}")})).await;
    }
    let first = app.get("/v1/changes?limit=2").await;
    let early_cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    age(app, 3, 40);
    assert_eq!(round(&app.db, 1000).unwrap().changes, 0, "held by the subscription's cursor");
    let paused = app.patch(&format!("/v1/webhooks/{hook}"), json!({"active": false})).await;
    assert_eq!(paused.status, 200, "{}", paused.body);

    let pruned = round(&app.db, 2).unwrap();
    assert_eq!(pruned.changes, 3, "the three changes past the 30 days, two per batch");
    assert_eq!(round(&app.db, 2).unwrap().changes, 0, "nothing more to prune");
    for path in ["/v1/changes".to_owned(), format!("/v1/changes?after={early_cursor}")] {
        let gone = app.get(&path).await;
        gone.assert_problem(410);
        assert!(gone.body["detail"].as_str().unwrap().contains("resynchronise"), "{}", gone.body);
        let resume = gone.body["resume_after"].as_str().unwrap().to_owned();
        let kept = app.get(&format!("/v1/changes?after={resume}")).await;
        assert_eq!(kept.status, 200);
        assert_eq!(seqs(app, &kept.body), vec![4, 5], "what is kept, from its start");
    }
    // `latest` and cursors inside what is kept are unaffected.
    assert_eq!(app.get("/v1/changes?after=latest").await.status, 200);
    // The paused subscription cannot resume past what was pruned: it would skip it.
    let resumed = app.patch(&format!("/v1/webhooks/{hook}"), json!({"active": true})).await;
    resumed.assert_problem(409);
    assert!(resumed.body["detail"].as_str().unwrap().contains("pruned"), "{}", resumed.body);

    // An audit window prunes the audit log (kept for good by default).
    let audit_before = app.all("/v1/audit").await.len();
    assert!(audit_before > 0);
    let put = app
        .put(
            "/v1/settings/retention",
            json!({"feed_days": 30, "deliveries_days": 30, "audit_days": 10}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    age(app, 0, 40);
    assert!(round(&app.db, 1000).unwrap().audit >= audit_before);
    let left = app.all("/v1/audit").await;
    assert!(left.len() <= 1, "only the settings' own entry, written after the ageing: {left:?}");
}

async fn pruning_beside_writers_keeps_every_recent_change_once_and_in_order(app: &TestApp) {
    for n in 0..60 {
        app.create("/v1/persons", json!({"display_name": format!("Old {n}")})).await;
    }
    age(app, 60, 40);
    // Four writers add 25 persons each while pruning runs in batches of 7.
    let db = app.db.clone();
    let pruner = actix_web::rt::spawn(async move {
        let mut pruned = 0;
        for _ in 0..50 {
            let db = db.clone();
            pruned += actix_web::web::block(move || round(&db, 7)).await.unwrap().unwrap().changes;
            actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        pruned
    });
    let writers = (0..4).map(|w| async move {
        let mut ids = Vec::new();
        for n in 0..25 {
            ids.push(
                app.create("/v1/persons", json!({"display_name": format!("New {w}-{n}")})).await,
            );
        }
        ids
    });
    let written: Vec<String> =
        futures_util::future::join_all(writers).await.into_iter().flatten().collect();
    let pruned = pruner.await.unwrap();
    assert_eq!(pruned + round(&app.db, 1000).unwrap().changes, 60, "exactly the old ones");

    let gone = app.get("/v1/changes").await;
    gone.assert_problem(410);
    let mut cursor = gone.body["resume_after"].as_str().unwrap().to_owned();
    let mut seen = Vec::new();
    let mut numbers = Vec::new();
    loop {
        let page = app.get(&format!("/v1/changes?after={cursor}&limit=37")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        numbers.extend(seqs(app, &page.body));
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
        if !page.body["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(numbers, (61..=160).collect::<Vec<i64>>(), "gapless, in order, from the first kept");
    let mut expected = written.clone();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected, "every acknowledged write, once");
}

async fn retention_windows_are_checked_and_kept(app: &TestApp) {
    let defaults = app.get("/v1/settings/retention").await;
    assert_eq!(
        defaults.body,
        json!({"feed_days": 30, "deliveries_days": 30, "audit_days": null,
               "idempotency_hours": 48})
    );
    let short = app
        .put(
            "/v1/settings/retention",
            json!({"feed_days": 3, "deliveries_days": 0, "audit_days": null,
                   "idempotency_hours": 24}),
        )
        .await;
    short.assert_problem(422);
    assert_eq!(short.pointers(), vec!["/feed_days", "/deliveries_days", "/idempotency_hours"]);
    let unknown = app
        .put(
            "/v1/settings/retention",
            json!({"feed_days": 7, "deliveries_days": 7, "audit_days": null, "forever": true}),
        )
        .await;
    unknown.assert_problem(400);
    let reader = app.key_with(&[Scope::Read, Scope::Write]);
    let refused = app
        .call(
            awc::http::Method::PUT,
            "/v1/settings/retention",
            Some(&reader),
            &[],
            Some(&json!({"feed_days": 7, "deliveries_days": 7, "audit_days": 90})),
        )
        .await;
    refused.assert_problem(403);
    let set = app
        .put(
            "/v1/settings/retention",
            json!({"feed_days": 7, "deliveries_days": 7, "audit_days": 90}),
        )
        .await;
    assert_eq!(set.status, 200);
    let kept = app.get("/v1/settings/retention").await.body;
    assert_eq!((&kept["audit_days"], &kept["idempotency_hours"]), (&json!(90), &json!(48)));
    // Another tenant keeps its own.
    let other = app.other_tenant("elsewhere");
    let theirs =
        app.call(awc::http::Method::GET, "/v1/settings/retention", Some(&other), &[], None).await;
    assert_eq!(theirs.body["feed_days"], json!(30));
}

/// While a transaction holds the tenant's pruning turn, rounds on other threads prune nothing:
/// on PostgreSQL they find the turn taken and skip the tenant without waiting (their results
/// come back while it is still held); on SQLite they wait for the one writer. Two holders: a
/// webhook subscription resuming (`hold_turn`, which reads the horizon twice), and another
/// instance's batch (`take_turn` and a prune, which updates the horizon row). Afterwards every
/// old change is pruned, once.
async fn no_pruning_batch_passes_a_held_turn(app: &TestApp) {
    use std::sync::mpsc::channel;
    use std::time::Duration as Wait;
    for n in 0..30 {
        app.create("/v1/persons", json!({"display_name": format!("Old {n}")})).await;
    }
    age(app, 30, 40);
    let postgres = app.url.starts_with("postgres");
    let tenant = app.tenant_id;
    let mut pruned_by_holders = 0;
    for batch in [None, Some(10)] {
        let db = app.db.clone();
        let (held, turn_held) = channel();
        let (release, released) = channel::<()>();
        let holder = std::thread::spawn(move || {
            db.write(|c| {
                let pruned = match batch {
                    None => {
                        retention::hold_turn(c, tenant)?;
                        0
                    }
                    Some(batch) => {
                        assert!(retention::take_turn(c, tenant)?);
                        retention::prune(c, tenant, Utc::now().naive_utc(), batch)?.changes
                    }
                };
                let before = retention::first_kept(c, tenant)?;
                held.send(()).unwrap();
                released.recv_timeout(Wait::from_secs(30)).unwrap();
                Ok((pruned, before, retention::first_kept(c, tenant)?))
            })
            .unwrap()
        });
        turn_held.recv().unwrap();
        let (results, rounds_done) = channel();
        for _ in 0..3 {
            let (db, results) = (app.db.clone(), results.clone());
            std::thread::spawn(move || results.send(round(&db, 7).unwrap().changes).unwrap());
        }
        let mut meanwhile = 0;
        if postgres {
            for _ in 0..3 {
                let pruned = rounds_done
                    .recv_timeout(Wait::from_secs(10))
                    .expect("a round that found the turn taken waited for it");
                meanwhile += pruned;
            }
            assert_eq!(meanwhile, 0, "rounds that found the turn taken skip the tenant");
            release.send(()).unwrap();
        } else {
            std::thread::sleep(Wait::from_millis(300));
            release.send(()).unwrap();
        }
        let (pruned, before, after) = holder.join().unwrap();
        assert_eq!(after, before, "no batch pruned while the turn was held ({batch:?})");
        if !postgres {
            for _ in 0..3 {
                meanwhile += rounds_done.recv().unwrap();
            }
        }
        pruned_by_holders += pruned + meanwhile;
    }
    let total = pruned_by_holders + round(&app.db, 1000).unwrap().changes;
    assert_eq!(total, 30, "every old change, once");
    assert_eq!(app.db.read(|c| retention::first_kept(c, tenant)).unwrap(), 31);
}

/// A round reads before it takes a tenant's turn: taking it is a write (on PostgreSQL a row
/// lock, so a transaction id and WAL, for every tenant, every round, on every instance), and
/// most rounds find nothing past the windows. On PostgreSQL the horizon row, written with the
/// tenant, keeps `xmax` 0 until a transaction locks it.
async fn a_round_that_finds_nothing_to_prune_takes_no_turn(app: &TestApp) {
    #[derive(diesel::QueryableByName)]
    struct Locker {
        #[diesel(sql_type = diesel::sql_types::Text)]
        xmax: String,
    }
    for n in 0..3 {
        app.create("/v1/persons", json!({"display_name": format!("P{n}")})).await;
    }
    let tenant = app.tenant_id.0.to_string();
    let horizon = || {
        app.db
            .read(|c| {
                let through: i64 = feed_horizons::table
                    .filter(feed_horizons::tenant_id.eq(&tenant))
                    .select(feed_horizons::pruned_through)
                    .first(c)?;
                let locker = match c {
                    jobcraft::store::DbConn::Pg(pg) => Some(
                        diesel::sql_query(
                            "SELECT xmax::text AS xmax FROM feed_horizons WHERE tenant_id = $1",
                        )
                        .bind::<diesel::sql_types::Text, _>(&tenant)
                        .get_result::<Locker>(pg)?
                        .xmax,
                    ),
                    _ => None,
                };
                Ok((through, locker))
            })
            .unwrap()
    };
    let never_locked = app.url.starts_with("postgres").then(|| "0".to_owned());
    assert_eq!(horizon(), (0, never_locked.clone()), "written with the tenant");
    for _ in 0..3 {
        assert_eq!(round(&app.db, 1000).unwrap().changes, 0);
    }
    assert_eq!(horizon(), (0, never_locked), "no round took the turn");
    age(app, 2, 40);
    assert_eq!(round(&app.db, 1000).unwrap().changes, 2);
    assert_eq!(horizon().0, 2);
}
