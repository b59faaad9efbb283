//! Migrations: every `down.sql` undoes its `up.sql`; instances started at once apply the
//! schema once; an instance older than the schema refuses to start.

use std::process::{Command, Output, Stdio};

use diesel::connection::SimpleConnection;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    every_down_migration_undoes_its_up_migration,
    four_instances_started_at_once_on_an_empty_database_apply_the_schema_once,
    an_instance_older_than_the_schema_refuses_to_start,
    an_instance_that_does_not_migrate_on_start_serves_only_a_schema_that_is_its_own,
);

async fn every_down_migration_undoes_its_up_migration(app: &TestApp) {
    let tables = app.table_names();
    assert!(tables.contains(&"crafting_revisions".to_owned()), "{tables:?}");
    app.db.revert_all_migrations().unwrap();
    assert_eq!(app.table_names(), Vec::<String>::new());
    app.db.migrate().unwrap();
    assert_eq!(app.table_names(), tables);
}

/// `jobcraft migrate` on the test's database, as a process of its own.
fn migrate(app: &TestApp) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(["migrate", "--database-url", &app.url])
        .env("JOBCRAFT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

fn said(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn four_instances_started_at_once_on_an_empty_database_apply_the_schema_once(app: &TestApp) {
    let tables = app.table_names();
    app.db.revert_all_migrations().unwrap();
    assert_eq!(app.table_names(), Vec::<String>::new());
    let started: Vec<_> = (0..4).map(|_| migrate(app)).collect();
    for child in started {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "an instance failed: {}", said(&output));
    }
    assert_eq!(app.table_names(), tables);
}

async fn an_instance_older_than_the_schema_refuses_to_start(app: &TestApp) {
    let add = "INSERT INTO __diesel_schema_migrations (version) VALUES ('29990101000000')";
    app.db.write(|c| Ok(c.batch_execute(add)?)).unwrap();
    let output = migrate(app).wait_with_output().unwrap();
    assert!(!output.status.success());
    let message = said(&output);
    assert!(message.contains("the database has migration 29990101000000"), "{message}");
    assert!(message.contains("the schema is newer than this instance"), "{message}");
    assert_eq!(message.lines().count(), 1, "one line: {message}");
    let remove = "DELETE FROM __diesel_schema_migrations WHERE version = '29990101000000'";
    app.db.write(|c| Ok(c.batch_execute(remove)?)).unwrap();
    assert!(migrate(app).wait_with_output().unwrap().status.success());
}

/// `jobcraft migrate` on `url`: whether it succeeded, its last line on stderr, how long it took.
fn migrate_at(url: &str) -> (bool, String, std::time::Duration) {
    let started = std::time::Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(["migrate", "--database-url", url])
        .env("JOBCRAFT_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    (
        output.status.success(),
        stderr.lines().last().unwrap_or_default().to_owned(),
        started.elapsed(),
    )
}

/// A setup that cannot work fails at once in one line naming the cause; an outage says it is
/// one (`serve` waits for it, up to a minute).
#[actix_web::test]
async fn a_setup_that_cannot_work_fails_at_once_saying_why() {
    let pg = std::env::var("JOBCRAFT_TEST_PG_URL").ok();
    assert!(pg.is_some() || std::env::var_os("JOBCRAFT_REQUIRE_PG").is_none());
    let nobody =
        pg.as_deref().map(|url| url.replacen("postgres://postgres@", "postgres://nobody_here@", 1));
    let mut setups = vec![
        (
            "/nonexistent-dir/jobcraft.db".to_owned(),
            "cannot open the SQLite file `/nonexistent-dir/jobcraft.db`",
        ),
        ("postgres://host:notaport/db".to_owned(), "cannot use the database: invalid"),
    ];
    if let Some(nobody) = nobody {
        setups.push((nobody, "role \"nobody_here\" does not exist"));
    }
    for (url, said) in setups {
        let (ok, last, took) = migrate_at(&url);
        assert!(!ok && last.starts_with("jobcraft: ") && last.contains(said), "{url}: {last}");
        assert!(took < std::time::Duration::from_secs(10), "{url}: {took:?}");
    }
    let (ok, last, _) = migrate_at("postgres://postgres@127.0.0.1:1/jobcraft");
    assert!(
        !ok && last.contains("the database is unavailable") && last.contains("refused"),
        "{last}"
    );
}

/// `jobcraft serve --migrate-on-start false` on the test's database, on a free port.
fn serve_without_migrating(app: &TestApp) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(["serve", "--database-url", &app.url, "--migrate-on-start", "false"])
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .env("JOBCRAFT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    (child, port)
}

async fn an_instance_that_does_not_migrate_on_start_serves_only_a_schema_that_is_its_own(
    app: &TestApp,
) {
    app.db.revert_all_migrations().unwrap();
    let (mut child, _) = serve_without_migrating(app);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "it should have refused to start");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    let message = said(&output);
    assert!(message.contains("run `jobcraft migrate` first"), "{message}");
    assert_eq!(app.table_names(), Vec::<String>::new(), "nothing applied");

    assert!(migrate(app).wait_with_output().unwrap().status.success());
    let (mut child, port) = serve_without_migrating(app);
    let client = awc::Client::default();
    let ready = format!("http://127.0.0.1:{port}/readyz");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(response) = client.get(&ready).send().await {
            if response.status() == 200 {
                break;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "it stopped: {}",
            said(&child.wait_with_output().unwrap())
        );
        assert!(std::time::Instant::now() < deadline, "not ready in 30 s");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The Citus placement of the migrated schema: `tenants` by `id`, every table with a
/// tenant-first primary key colocated with it, and only the tenant names and the migrations
/// table as reference tables; a new table that is not tenant-first shows up here. On plain
/// PostgreSQL `distribute` places nothing.
#[actix_web::test]
async fn every_table_is_placed_by_tenant_for_citus() {
    use jobcraft::store::distribution::{distribute, foreign_keys, plan, statement, Placement};
    let Some(app) = TestApp::postgres().await else { return };
    let (placed, keys, distributed) = app
        .db
        .read(|c| match c {
            jobcraft::store::DbConn::Pg(pg) => Ok((plan(pg)?, foreign_keys(pg)?, distribute(pg)?)),
            jobcraft::store::DbConn::Sqlite(_) => unreachable!("a PostgreSQL test app"),
        })
        .unwrap();
    assert_eq!(distributed, 0, "no Citus here");
    assert_eq!(placed[0], ("tenants".to_owned(), Placement::Distributed { column: "id" }));
    let mut reference: Vec<&str> = placed
        .iter()
        .filter(|(_, p)| *p == Placement::Reference)
        .map(|(t, _)| t.as_str())
        .collect();
    reference.sort();
    assert_eq!(reference, vec!["__diesel_schema_migrations", "tenant_names"]);
    let by_tenant =
        placed.iter().filter(|(_, p)| *p == Placement::Distributed { column: "tenant_id" }).count();
    assert_eq!(by_tenant + 3, placed.len());
    // Citus distributes a table only after the tables it references.
    let position = |table: &str| placed.iter().position(|(t, _)| t == table).unwrap();
    assert!(keys.len() > 20, "{keys:?}");
    for key in keys.iter().filter(|k| k.table != k.references) {
        if placed[position(&key.table)].1 != Placement::Reference {
            assert!(position(&key.references) < position(&key.table), "{key:?}");
        }
    }
    for table in ["persons", "tenures", "crafting_revisions", "changes", "crafting_index_snapshots"]
    {
        assert!(placed.iter().any(|(t, _)| t == table), "{table}");
    }
    assert_eq!(
        statement("persons", &Placement::Distributed { column: "tenant_id" }),
        "SELECT create_distributed_table('persons', 'tenant_id', colocate_with => 'tenants')"
    );
    assert_eq!(
        statement("tenant_names", &Placement::Reference),
        "SELECT create_reference_table('tenant_names')"
    );
    app.stop().await;
}

/// Each piece `store::migrations::statements` cuts from a PostgreSQL migration is exactly one
/// statement (the extended protocol, which `sql_query` uses, refuses two in one), and the pieces
/// in order build the schema the migrations build, and unbuild it.
#[actix_web::test]
async fn postgres_migrations_cut_into_single_statements_build_and_unbuild_the_schema() {
    use diesel::RunQueryDsl;
    use jobcraft::store::migrations::{statements, POSTGRES_SQL};
    let Some(app) = TestApp::postgres().await else { return };
    let tables = app.table_names();
    app.db.revert_all_migrations().unwrap();
    assert_eq!(app.table_names(), Vec::<String>::new());
    let run = |name: &str, sql: &str| {
        app.db
            .read(|c| {
                let jobcraft::store::DbConn::Pg(pg) = c else { unreachable!("PostgreSQL") };
                for statement in statements(sql) {
                    if let Err(e) = diesel::sql_query(statement).execute(pg) {
                        panic!("{name}: {e}: {statement}");
                    }
                }
                Ok(())
            })
            .unwrap()
    };
    for (name, up, _) in POSTGRES_SQL {
        run(name, up);
    }
    assert_eq!(app.table_names(), tables);
    for (name, _, down) in POSTGRES_SQL.iter().rev() {
        run(name, down);
    }
    assert_eq!(app.table_names(), Vec::<String>::new());
    app.db.migrate().unwrap();
    assert_eq!(app.table_names(), tables);
}
