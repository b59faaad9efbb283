//! The service behind PgBouncer (Debian's) in session mode: each client connection keeps one
//! server connection for its life, so the prepared statements diesel and the pipelined reads
//! keep per connection stay valid. Transaction mode would hand them to other clients; it needs
//! PgBouncer 1.21's `max_prepared_statements`, newer than Debian 12's 1.18.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{json, Value};

use crate::harness::running_as_root;

/// A PgBouncer of the test's own, in session mode, in front of `upstream` (host, port).
struct Bouncer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn pgbouncer_binary() -> PathBuf {
    ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("PgBouncer is not installed: install Debian's pgbouncer (.ci/run does)")
}

impl Bouncer {
    fn start(upstream_host: &str, upstream_port: u16) -> Bouncer {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        let config = format!(
            "[databases]\n* = host={upstream_host} port={upstream_port}\n\n[pgbouncer]\n\
             listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {}\npool_mode = session\nmax_client_conn = 200\n\
             default_pool_size = 60\nlogfile = {}\npidfile = {}\n",
            path("users.txt"),
            path("pgbouncer.log"),
            path("pgbouncer.pid"),
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), config).unwrap();
        std::fs::write(dir.path().join("users.txt"), "\"postgres\" \"\"\n").unwrap();
        // PgBouncer refuses to run as root. `setpriv` execs it (unlike `runuser`, which would
        // stay its parent), so the child killed when dropped is PgBouncer itself.
        let mut command = if running_as_root() {
            let owned = Command::new("chown").args(["-R", "postgres"]).arg(dir.path()).status();
            assert!(owned.unwrap().success());
            let mut command = Command::new("setpriv");
            command.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]);
            command.arg(pgbouncer_binary());
            command
        } else {
            Command::new(pgbouncer_binary())
        };
        let child = command
            .arg(dir.path().join("pgbouncer.ini"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("PgBouncer starts");
        // Stopped when dropped, also by the panic below.
        let bouncer = Bouncer { child, port, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return bouncer;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = bouncer.dir.path().join("pgbouncer.log");
        panic!("PgBouncer did not listen: {}", std::fs::read_to_string(log).unwrap_or_default());
    }
}

/// A database of the test's own, dropped when the test ends, however it ends.
struct Database {
    admin_url: String,
    name: String,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .ok();
        }
    }
}

#[actix_web::test]
async fn the_service_runs_behind_pgbouncer_in_session_mode() {
    let Ok(admin_url) = std::env::var("JOBCRAFT_TEST_PG_URL") else {
        assert!(std::env::var_os("JOBCRAFT_REQUIRE_PG").is_none(), "PostgreSQL is required");
        return;
    };
    // A database of its own: PgBouncer does not pass the `options` the other tests use to give
    // each test a schema.
    let database = format!("jobcraft_bouncer_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&admin_url).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
    let _dropped = Database { admin_url: admin_url.clone(), name: database.clone() };
    let upstream = url::Url::parse(&admin_url).unwrap();
    let bouncer = Bouncer::start(upstream.host_str().unwrap(), upstream.port().unwrap_or(5432));
    let url = format!("postgres://postgres@127.0.0.1:{}/{database}", bouncer.port);

    let created = Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(["tenant", "create", "bounced", "--database-url", &url])
        .env("JOBCRAFT_LOG", "warn")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&created.stdout).into_owned();
    assert!(created.status.success(), "{printed}{}", String::from_utf8_lossy(&created.stderr));
    let key = printed.lines().last().unwrap().rsplit(' ').next().unwrap().to_owned();
    let bind = format!(
        "127.0.0.1:{}",
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let base = format!("http://{bind}");
    // Killed when dropped, also when the test fails.
    let serve = crate::faults::Service {
        child: Command::new(env!("CARGO_BIN_EXE_jobcraft"))
            .args(["serve", "--bind", &bind, "--database-url", &url])
            .env("JOBCRAFT_LOG", "warn")
            .env("JOBCRAFT_RATE_LIMIT_PER_SECOND", "0")
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap(),
        base: base.clone(),
    };
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let mut ready = false;
    for _ in 0..100 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the service came up behind PgBouncer");

    // Writers at once, each reading its write back (the point read is a pipelined one), then a
    // sync batch: every statement, prepared or not, over PgBouncer's connections.
    let writes = (0..24).map(|i| {
        let (client, base, key) = (client.clone(), base.clone(), key.clone());
        async move {
            let mut created = client
                .post(format!("{base}/v1/persons"))
                .bearer_auth(&key)
                .send_json(&json!({"display_name": format!("Person {i}")}))
                .await
                .unwrap();
            assert_eq!(created.status(), 201);
            let body: Value = created.json().await.unwrap();
            let id = body["id"].as_str().unwrap().to_owned();
            for _ in 0..3 {
                let read = client.get(format!("{base}/v1/persons/{id}")).bearer_auth(&key).send();
                assert_eq!(read.await.unwrap().status(), 200);
            }
        }
    });
    futures_util::future::join_all(writes).await;
    let batch = json!({"operations": (0..50).map(|i| json!({"op": "upsert", "entity": "persons",
        "source": "crm", "external_id": format!("b{i}"), "body": {"display_name": format!("B {i}")}}))
        .collect::<Vec<_>>()});
    let mut synced = client
        .post(format!("{base}/v1/sync/batch"))
        .bearer_auth(&key)
        .send_json(&batch)
        .await
        .unwrap();
    assert_eq!(synced.status(), 200, "{:?}", synced.body().await);
    let mut listed =
        client.get(format!("{base}/v1/persons?limit=500")).bearer_auth(&key).send().await.unwrap();
    let listed: Value = listed.json().limit(1 << 20).await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 74);

    drop(serve);
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        !logged.contains("pipelin"),
        "the pipelined reads connected through PgBouncer: {logged}"
    );
    drop(bouncer);
}
