//! Back-pressure and recovery: a slow client is cut off, and a database that goes away and
//! comes back needs no restart.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    a_client_that_never_finishes_its_request_is_cut_off,
    a_request_that_gets_no_database_connection_in_time_is_a_503,
);

async fn a_request_that_gets_no_database_connection_in_time_is_a_503(app: &TestApp) {
    // The test's pool has 4 connections and a 10 s wait: hold all of them past that.
    let holders: Vec<_> = (0..4)
        .map(|_| {
            let db = app.db.clone();
            std::thread::spawn(move || {
                db.read(|_| {
                    std::thread::sleep(Duration::from_secs(12));
                    Ok(())
                })
            })
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let response = app.get("/v1/persons").await;
    response.assert_problem(503);
    assert_eq!(response.header("retry-after").as_deref(), Some("1"));
    assert!(started.elapsed() >= Duration::from_secs(9), "it waited for a connection first");
    for holder in holders {
        holder.join().expect("holder").expect("held");
    }
    assert_eq!(app.get("/v1/persons").await.status, 200, "served again once connections return");
}

async fn a_client_that_never_finishes_its_request_is_cut_off(app: &TestApp) {
    let address = app.base.trim_start_matches("http://").to_owned();
    let started = Instant::now();
    let answer = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        // Half a request head, then silence.
        stream.write_all(b"GET /v1/persons HTTP/1.1\r\nHost: x\r\n").expect("write");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    })
    .await
    .expect("joined");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "cut off after the 1.5 s client timeout");
    // The server serves everyone else meanwhile and after.
    assert_eq!(app.get("/v1/persons").await.status, 200);
}

mod postgres_only {
    use super::*;

    #[actix_web::test]
    async fn the_database_going_away_and_coming_back_needs_no_restart() {
        let Some(app) = TestApp::postgres().await else { return };
        let nina = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
        let one = format!("/v1/persons/{nina}");
        // The list reads through the pool; one person through the worker's pipelining
        // connection, which is made on its first read.
        assert_eq!(app.get(&one).await.status, 200);
        assert!(app.cut_database_connections());
        // Each request is answered — a 503 problem while a connection is found gone, then 200
        // again — without restarting anything.
        for path in ["/v1/persons", one.as_str()] {
            let mut statuses = Vec::new();
            for _ in 0..20 {
                let response = app.get(path).await;
                statuses.push(response.status.as_u16());
                if response.status == 200 {
                    break;
                }
                response.assert_problem(503);
                assert_eq!(response.header("retry-after").as_deref(), Some("1"));
            }
            assert_eq!(statuses.last(), Some(&200), "{path}: {statuses:?}");
        }
        let listed = app.get("/v1/persons").await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.get(&one).await.body["display_name"], "Nina");
        app.stop().await;
    }
}
