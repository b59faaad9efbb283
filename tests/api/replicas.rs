//! Read replicas against a real streaming standby: a primary cluster of the test's own and a
//! standby made from it by `pg_basebackup -R`, both on ports of their own and removed after.
//! Reports are served by the standby; a key reads its own writes at once (from the primary);
//! the change feed read on the standby never skips a change while writers commit on the
//! primary; a standby that stops replaying, or goes away, leaves the reads to the primary.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::faults::Service;
use crate::harness::running_as_root;
use crate::tls::{free_port, run, server_binaries, server_command};

/// A PostgreSQL cluster of the test's own: a primary, or a streaming standby of one.
/// Stopped and removed when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
}

impl Cluster {
    /// A directory the server user owns, and the server binaries.
    fn directory() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        if running_as_root() {
            run(Command::new("chown").arg("postgres:postgres").arg(dir.path()));
        }
        (dir, server_binaries())
    }

    /// Its own port and socket directory, appended to the configuration it has.
    fn configure(dir: &tempfile::TempDir, port: u16) {
        let conf = dir.path().join("data/postgresql.conf");
        let settings = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nmax_connections = 60\nwal_level = replica\nmax_wal_senders = 4\n",
            dir.path().display()
        );
        let text = std::fs::read_to_string(&conf).unwrap() + &settings;
        std::fs::write(&conf, text).unwrap();
    }

    fn start(dir: tempfile::TempDir, port: u16, bin: PathBuf) -> Cluster {
        run(server_command(&bin.join("pg_ctl"))
            .args(["-w", "-t", "60", "-D"])
            .arg(dir.path().join("data"))
            .arg("-l")
            .arg(dir.path().join("log"))
            .arg("start")
            .stdout(Stdio::null()));
        Cluster { dir, port, bin }
    }

    fn primary() -> Cluster {
        let (dir, bin) = Cluster::directory();
        run(server_command(&bin.join("initdb"))
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "-D"])
            .arg(dir.path().join("data"))
            .stdout(Stdio::null()));
        let port = free_port();
        Cluster::configure(&dir, port);
        Cluster::start(dir, port, bin)
    }

    /// A hot standby streaming from `primary` (`pg_basebackup -R` writes the connection).
    fn standby_of(primary: &Cluster) -> Cluster {
        let (dir, bin) = Cluster::directory();
        run(server_command(&bin.join("pg_basebackup"))
            .args(["-h", "127.0.0.1", "-p", &primary.port.to_string(), "-U", "postgres"])
            .args(["-R", "-X", "stream", "--no-sync", "-D"])
            .arg(dir.path().join("data")));
        let port = free_port();
        Cluster::configure(&dir, port);
        Cluster::start(dir, port, bin)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs one statement on it, as its superuser.
    fn execute(&self, statement: &str) {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::PgConnection::establish(&self.url()).unwrap();
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }

    fn stop(&self) {
        server_command(&self.bin.join("pg_ctl"))
            .args(["-m", "immediate", "-w", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs the binary to completion: its stdout, or a failed assertion with its stderr.
fn jobcraft(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(args)
        .env("JOBCRAFT_LOG", "warn")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?}: {printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    printed
}

struct Api {
    client: awc::Client,
    base: String,
}

impl Api {
    async fn call(&self, method: &str, path: &str, key: &str, body: Option<Value>) -> (u16, Value) {
        let request = match method {
            "POST" => self.client.post(format!("{}{path}", self.base)),
            _ => self.client.get(format!("{}{path}", self.base)),
        }
        .bearer_auth(key);
        let mut response = match body {
            Some(body) => request.send_json(&body).await.unwrap(),
            None => request.send().await.unwrap(),
        };
        let status = response.status().as_u16();
        let bytes = response.body().limit(16 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn create(&self, path: &str, key: &str, body: Value) -> String {
        let (status, created) = self.call("POST", path, key, Some(body)).await;
        assert_eq!(status, 201, "{path}: {created}");
        created["id"].as_str().unwrap().to_owned()
    }

    /// A metric's value, summed over its labels.
    async fn metric(&self, name: &str) -> f64 {
        let mut response = self.client.get(format!("{}/metrics", self.base)).send().await.unwrap();
        let text =
            String::from_utf8(response.body().limit(1 << 20).await.unwrap().to_vec()).unwrap();
        text.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Waits until the metric reaches `at_least`; false after 20 s.
    async fn metric_reaches(&self, name: &str, at_least: f64) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if self.metric(name).await >= at_least {
                return true;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Reads the change feed from `cursor` (empty: from the start) to its end: the changed
    /// entities' ids, in order.
    async fn feed(&self, key: &str, cursor: &mut String) -> Vec<String> {
        let mut ids = Vec::new();
        loop {
            let after = if cursor.is_empty() { String::new() } else { format!("after={cursor}&") };
            let (status, page) =
                self.call("GET", &format!("/v1/changes?{after}limit=100"), key, None).await;
            assert_eq!(status, 200, "{page}");
            for item in page["items"].as_array().unwrap() {
                ids.push(item["id"].as_str().unwrap().to_owned());
            }
            *cursor = page["next_cursor"].as_str().unwrap().to_owned();
            if page["has_more"] != true {
                return ids;
            }
        }
    }
}

/// The holders a coverage report shows.
fn holders(report: &Value) -> usize {
    report["posts"].as_array().unwrap().iter().map(|p| p["holders"].as_array().unwrap().len()).sum()
}

#[actix_web::test]
async fn reads_that_may_lag_go_to_a_streaming_standby() {
    if std::env::var_os("JOBCRAFT_TEST_PG_URL").is_none() {
        assert!(std::env::var_os("JOBCRAFT_REQUIRE_PG").is_none(), "PostgreSQL is required");
        return;
    }
    let primary = Cluster::primary();
    let standby = Cluster::standby_of(&primary);
    let printed = jobcraft(&["tenant", "create", "replicated", "--database-url", &primary.url()]);
    let writer = printed.lines().last().unwrap().rsplit(' ').next().unwrap().to_owned();
    let printed = jobcraft(&[
        "key",
        "create",
        "--tenant",
        "replicated",
        "--scopes",
        "read",
        "--name",
        "reader",
        "--database-url",
        &primary.url(),
    ]);
    let reader = printed.split_whitespace().find(|w| w.starts_with("jc_")).unwrap().to_owned();

    let bind = format!("127.0.0.1:{}", free_port());
    let log = tempfile::NamedTempFile::new().unwrap();
    let _serve = Service {
        child: Command::new(env!("CARGO_BIN_EXE_jobcraft"))
            .args(["serve", "--bind", &bind, "--database-url", &primary.url()])
            .args(["--read-database-url", &standby.url()])
            .env("JOBCRAFT_LOG", "info")
            .env("JOBCRAFT_RATE_LIMIT_PER_SECOND", "0")
            .env("JOBCRAFT_KEY_CACHE_TTL_MS", "0")
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap(),
        base: format!("http://{bind}"),
    };
    let api = Api {
        client: awc::Client::builder().timeout(Duration::from_secs(30)).finish(),
        base: format!("http://{bind}"),
    };
    let logged = || std::fs::read_to_string(log.path()).unwrap_or_default();
    let mut ready = false;
    for _ in 0..100 {
        let answer = api.client.get(format!("{}/readyz", api.base)).send().await;
        if answer.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the service came up: {}", logged());
    assert!(api.metric_reaches("jobcraft_read_replica_fresh", 1.0).await, "{}", logged());

    // A key reads its own writes at once: each new stakeholder is in the report it asks next.
    let acme =
        api.create("/v1/organizations", &writer, json!({"name": "Acme", "kind": "client"})).await;
    let report = format!("/v1/accounts/{acme}/coverage");
    for i in 1..=8 {
        let post = api
            .create(
                "/v1/posts",
                &writer,
                json!({"title": format!("Post {i}"), "organization_id": acme}),
            )
            .await;
        let person = api
            .create("/v1/persons", &writer, json!({"display_name": format!("Person {i}")}))
            .await;
        api.create(
            "/v1/tenures",
            &writer,
            json!({"person_id": person, "post_id": post, "started_on": "2025-01-01"}),
        )
        .await;
        let (status, body) = api.call("GET", &report, &writer, None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(holders(&body), i, "{body}");
    }

    // Another key's reports come from the standby.
    assert!(api.metric_reaches("jobcraft_read_replica_fresh", 1.0).await, "{}", logged());
    let served = api.metric("jobcraft_read_replica_reads_total").await;
    for _ in 0..20 {
        let (status, body) = api.call("GET", &report, &reader, None).await;
        assert_eq!(status, 200, "{body}");
    }
    let now_served = api.metric("jobcraft_read_replica_reads_total").await;
    assert!(now_served >= served + 18.0, "{served} → {now_served}: {}", logged());

    // The feed on the standby while four writers commit on the primary: every change once, in
    // the order of the writes of each writer.
    let mut cursor = "latest".to_owned();
    api.feed(&reader, &mut cursor).await;
    let writers = (0..4).map(|w| {
        let api = Api { client: api.client.clone(), base: api.base.clone() };
        let writer = writer.clone();
        async move {
            let mut ids = Vec::new();
            for i in 0..25 {
                let body = json!({"display_name": format!("Writer {w} person {i}")});
                ids.push(api.create("/v1/persons", &writer, body).await);
                // Spread over a second or more, so the feed is read many times meanwhile.
                actix_web::rt::time::sleep(Duration::from_millis(10)).await;
            }
            ids
        }
    });
    let reading = async {
        let mut seen = Vec::new();
        let started = Instant::now();
        while seen.len() < 100 && started.elapsed() < Duration::from_secs(60) {
            seen.extend(api.feed(&reader, &mut cursor).await);
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        seen
    };
    let (written, seen) =
        futures_util::future::join(futures_util::future::join_all(writers), reading).await;
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "a change read twice");
    for ids in &written {
        let order: Vec<&String> = seen.iter().filter(|id| ids.contains(id)).collect();
        assert_eq!(order, ids.iter().collect::<Vec<_>>(), "a change skipped or out of order");
    }
    let during = api.metric("jobcraft_read_replica_reads_total").await - now_served;
    assert!(during >= 5.0, "the feed was read on the standby while the writers wrote: {during}");
    // Once the standby has caught up, the whole feed read there holds every change, in order.
    assert!(api.metric_reaches("jobcraft_read_replica_fresh", 1.0).await, "{}", logged());
    let before = api.metric("jobcraft_read_replica_reads_total").await;
    let all = api.feed(&reader, &mut String::new()).await;
    for ids in &written {
        let order: Vec<&String> = all.iter().filter(|id| ids.contains(id)).collect();
        assert_eq!(order, ids.iter().collect::<Vec<_>>(), "the whole feed, on the standby");
    }
    assert!(api.metric("jobcraft_read_replica_reads_total").await > before);

    // The standby stops replaying: once the watcher sees it behind, another key's reads go to
    // the primary and see the newest write; replaying again, the standby serves again.
    standby.execute("SELECT pg_wal_replay_pause()");
    let post = json!({"title": "Post 9", "organization_id": acme});
    let post = api.create("/v1/posts", &writer, post).await;
    let person = api.create("/v1/persons", &writer, json!({"display_name": "Person 9"})).await;
    let tenure = json!({"person_id": person, "post_id": post, "started_on": "2025-01-01"});
    api.create("/v1/tenures", &writer, tenure).await;
    let started = Instant::now();
    while api.metric("jobcraft_read_replica_fresh").await > 0.0 {
        assert!(started.elapsed() < Duration::from_secs(10), "a paused standby counts as fresh");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let served = api.metric("jobcraft_read_replica_reads_total").await;
    for _ in 0..5 {
        let (status, body) = api.call("GET", &report, &reader, None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(holders(&body), 9, "the newest write, from the primary: {body}");
    }
    let lagging = api.metric("jobcraft_read_replica_reads_total").await;
    assert_eq!(lagging, served, "reads went to the lagging standby");
    standby.execute("SELECT pg_wal_replay_resume()");
    assert!(api.metric_reaches("jobcraft_read_replica_fresh", 1.0).await, "{}", logged());
    for _ in 0..5 {
        let (status, body) = api.call("GET", &report, &reader, None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(holders(&body), 9, "{body}");
    }
    assert!(api.metric("jobcraft_read_replica_reads_total").await > lagging, "{}", logged());

    // The standby goes away: its reads fall back to the primary, answered in full.
    standby.stop();
    for _ in 0..5 {
        let (status, body) = api.call("GET", &report, &reader, None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(holders(&body), 9);
    }
    let started = Instant::now();
    while api.metric("jobcraft_read_replica_fresh").await > 0.0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the standby still counts as fresh");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(api.metric("jobcraft_read_replica_fallbacks_total").await >= 1.0);
    drop(primary);
}

#[test]
fn read_replicas_need_a_postgresql_primary() {
    let output = Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(["serve", "--database-url", "/tmp/jobcraft-replicas-refused.db"])
        .args(["--read-database-url", "postgres://postgres@127.0.0.1:1/none"])
        .env("JOBCRAFT_LOG", "warn")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("needs a PostgreSQL --database-url"), "{said}");
}
