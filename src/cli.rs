//! The `jobcraft` command line: every flag has its environment variable.
//!
//! Over 400 lines as one responsibility: the flags of every subcommand and their dispatch, one
//! `clap` tree read top to bottom.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::domain::rate_limit::RateLimit;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::startup::{Application, ServerSettings};
use crate::store::api_keys;
use crate::store::pool::{Backend, PoolOptions};
use crate::store::Db;

#[derive(Debug, Parser)]
#[command(name = "jobcraft", version, about = "The post, the person and the crafted job, apart.")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    // The database's and the server's flags are global: before or after the subcommand.
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Load the demo tenant (the README's story: a sales team, three client accounts), print
    /// its key and where to look, and serve.
    Demo(DemoArgs),
    /// Ask the service listening on `--bind` (on this machine) whether it is ready; exit 0 if
    /// it is (a container's health check).
    Health,
    /// Fill the database with synthetic tenants for benchmarks; prints what it made as JSON
    /// (tenant ids, an admin key each, sample ids, row counts).
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Stop once the demo is loaded instead of serving.
    #[arg(long)]
    load_only: bool,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Tenants to create (named `generated-SEED-N`).
    #[arg(long, default_value_t = 1)]
    tenants: u32,
    /// Client accounts per tenant.
    #[arg(long, default_value_t = 100)]
    accounts: u32,
    /// Held posts per account (each with a current holder; one in four had a predecessor).
    #[arg(long, default_value_t = 1000)]
    stakeholders_per_account: u32,
    /// Salespeople per tenant.
    #[arg(long, default_value_t = 200)]
    salespeople: u32,
    /// Crafting revisions per current tenure.
    #[arg(long, default_value_t = 2)]
    revisions_per_tenure: u32,
    /// The same seed makes the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Create a tenant; prints its id and a first admin key (shown once).
    Create { name: String },
    /// Give a tenant's API keys a rate limit of their own (or, with --default, the instance's
    /// again). Running instances apply it within the key cache's time.
    RateLimit {
        /// Tenant id or name.
        tenant: String,
        /// Requests per second each key gets back.
        #[arg(long, required_unless_present = "default")]
        per_second: Option<f64>,
        /// Requests each key may make at once.
        #[arg(long, required_unless_present = "default")]
        burst: Option<u32>,
        /// Back to the instance's default limit.
        #[arg(long, conflicts_with_all = ["per_second", "burst"])]
        default: bool,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Create an API key; prints it (shown once).
    Create {
        /// Tenant id or name.
        #[arg(long)]
        tenant: String,
        /// Comma-separated scopes: read, write, admin.
        #[arg(long, default_value = "read,write")]
        scopes: String,
        /// A name for the key, shown in logs and audits instead of the key.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Revoke an API key by id.
    Revoke { id: Uuid },
}

#[derive(Debug, Clone, Args)]
struct DbArgs {
    /// `postgres://…` for PostgreSQL; otherwise a SQLite file path (or `sqlite://path`).
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "jobcraft.db")]
    database_url: String,
    /// Most database connections held at once.
    #[arg(long, global = true, env = "JOBCRAFT_DB_POOL_SIZE", default_value_t = 16)]
    db_pool_size: u32,
    /// How long a request waits for a database connection before a 503, in milliseconds.
    #[arg(long, global = true, env = "JOBCRAFT_DB_TIMEOUT_MS", default_value_t = 5000)]
    db_timeout_ms: u64,
    /// A PostgreSQL streaming standby of `--database-url` for the reads that may lag a moment
    /// (reports, the network, diffs, exports, the change feed, similar crafters, readiness,
    /// the team profile); repeat, or separate by commas. Used only while it keeps up; a key
    /// that wrote in the last 5 s reads from the primary.
    #[arg(long, global = true, env = "JOBCRAFT_READ_DATABASE_URL", value_delimiter = ',')]
    read_database_url: Vec<String>,
}

impl DbArgs {
    /// Read replicas are PostgreSQL standbys of a PostgreSQL primary.
    fn check_replicas(&self) -> Result<(), Error> {
        let postgres = |url: &str| matches!(Backend::from_url(url), Backend::Postgres(_));
        if self.read_database_url.is_empty() {
            return Ok(());
        }
        if !postgres(&self.database_url) {
            return Err(Error::Setup(
                "--read-database-url needs a PostgreSQL --database-url: SQLite has no replicas"
                    .into(),
            ));
        }
        match self.read_database_url.iter().find(|url| !postgres(url)) {
            Some(url) => Err(Error::Setup(format!(
                "--read-database-url `{url}` is not a postgres:// URL; a read replica is a \
                 PostgreSQL standby"
            ))),
            None => Ok(()),
        }
    }

    fn open(&self) -> Db {
        Db::open(
            &self.database_url,
            &PoolOptions {
                max_size: self.db_pool_size,
                acquire_timeout: Duration::from_millis(self.db_timeout_ms),
                read_replicas: self.read_database_url.clone(),
            },
        )
    }
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, global = true, env = "JOBCRAFT_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, global = true, env = "JOBCRAFT_BODY_LIMIT", default_value_t = crate::http::extract::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Largest `POST /v1/sync/batch` body accepted, in bytes.
    #[arg(long, global = true, env = "JOBCRAFT_BATCH_BODY_LIMIT", default_value_t = crate::http::extract::DEFAULT_BATCH_BODY_LIMIT)]
    batch_body_limit: usize,
    /// HTTP worker threads (default: half the cores, at least one).
    #[arg(long, global = true, env = "JOBCRAFT_WORKERS")]
    workers: Option<usize>,
    /// How long a verified API key is trusted without a database lookup, in milliseconds; a
    /// revoked key stops working within this time (0: look up every request).
    #[arg(long, global = true, env = "JOBCRAFT_KEY_CACHE_TTL_MS", default_value_t = 5000)]
    key_cache_ttl_ms: u64,
    /// How often webhook deliveries that are due are looked for, in milliseconds.
    #[arg(long, global = true, env = "JOBCRAFT_WEBHOOK_INTERVAL_MS", default_value_t = 1000)]
    webhook_interval_ms: u64,
    /// How long a webhook receiver may take to answer, in milliseconds.
    #[arg(long, global = true, env = "JOBCRAFT_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    webhook_timeout_ms: u64,
    /// Apply pending migrations when `serve` starts (the default). With `false` the instance
    /// only checks that the schema is this build's and refuses to start otherwise: schema
    /// changes become a release step of their own (`jobcraft migrate`).
    #[arg(long, global = true, env = "JOBCRAFT_MIGRATE_ON_START", default_value_t = true, action = clap::ArgAction::Set)]
    migrate_on_start: bool,
    /// Deliver webhooks from this instance (turn off on all but the instances that should).
    #[arg(long, global = true, env = "JOBCRAFT_WEBHOOK_DELIVERY", default_value_t = true, action = clap::ArgAction::Set)]
    webhook_delivery: bool,
    /// Allow webhook receivers on loopback, private, link-local and cloud metadata addresses
    /// (refused by default, when subscribing and again when delivering).
    #[arg(
        long,
        global = true,
        env = "JOBCRAFT_WEBHOOK_ALLOW_PRIVATE",
        alias = "webhook-allow-link-local",
        default_value_t = false
    )]
    webhook_allow_private: bool,
    /// A PEM file of certificate authorities that webhook receivers' certificates may chain
    /// to, besides the system's roots (receivers under a private authority).
    #[arg(long, global = true, env = "JOBCRAFT_WEBHOOK_CA_FILE")]
    webhook_ca_file: Option<std::path::PathBuf>,
    /// Requests per second each API key gets back (its sustained rate), unless its tenant has
    /// a limit of its own; 0: unlimited.
    #[arg(long, global = true, env = "JOBCRAFT_RATE_LIMIT_PER_SECOND", default_value_t = 100.0)]
    rate_limit_per_second: f64,
    /// Requests each API key may make at once (its bucket), unless its tenant has its own.
    #[arg(long, global = true, env = "JOBCRAFT_RATE_LIMIT_BURST", default_value_t = 200)]
    rate_limit_burst: u32,
    /// How long a client may take to send a request's head, in milliseconds (408 after).
    #[arg(long, global = true, env = "JOBCRAFT_CLIENT_TIMEOUT_MS", default_value_t = 5000)]
    client_timeout_ms: u64,
    /// An origin whose web pages may call the API (CORS), e.g. `https://crm.example.com`;
    /// repeat, or separate by commas. None by default: no CORS headers.
    #[arg(long, global = true, env = "JOBCRAFT_CORS_ORIGIN", value_delimiter = ',')]
    cors_origin: Vec<String>,
    /// How often this instance prunes what is past each tenant's retention windows (the change
    /// feed, webhook delivery logs, audit logs), in milliseconds; 0 turns pruning off here.
    #[arg(long, global = true, env = "JOBCRAFT_RETENTION_INTERVAL_MS", default_value_t = 60_000)]
    retention_interval_ms: u64,
    /// Mark the web workspace's cookies `Secure` on every request; they already are on requests
    /// that came over HTTPS (directly, or as a proxy's `X-Forwarded-Proto` says).
    #[arg(long, global = true, env = "JOBCRAFT_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Serve `/metrics` on this address instead of beside the API (e.g. 127.0.0.1:9090).
    #[arg(long, global = true, env = "JOBCRAFT_METRICS_BIND")]
    metrics_bind: Option<String>,
    /// For the crash tests only: let a request ask to be held just before or after its commit.
    #[arg(long, global = true, env = "JOBCRAFT_TEST_PAUSES", default_value_t = false, hide = true)]
    test_pauses: bool,
}

pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    trust_system_roots();
    crate::telemetry::init();
    let (db, serve_args) = (cli.db, cli.serve);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(serve_args, &db),
        Command::Demo(args) => demo(args, serve_args, &db),
        Command::Migrate => Ok(db.open().migrate()?),
        Command::Health => health(&serve_args.bind),
        Command::Openapi => {
            println!("{}", crate::http::openapi::document().to_pretty_json()?);
            Ok(())
        }
        Command::Tenant(TenantCommand::Create { name }) => {
            let db = db.open();
            db.migrate()?;
            let (tenant, token) = db.write(|c| {
                let tenant = api_keys::create_tenant(c, &name)?;
                let (_, token) =
                    api_keys::create_key(c, tenant.id, "first admin key", &[Scope::Admin])?;
                Ok((tenant, token))
            })?;
            println!("tenant {} ({})\nadmin key (shown once): {token}", tenant.id, tenant.name);
            Ok(())
        }
        Command::Tenant(TenantCommand::RateLimit { tenant, per_second, burst, default }) => {
            let limit = match (per_second, burst) {
                (Some(per_second), Some(burst)) if !default => {
                    Some(RateLimit::parse(per_second, burst)?)
                }
                _ => None,
            };
            let db = db.open();
            db.migrate()?;
            db.write(|c| {
                let tenant_id = tenant_id(c, &tenant)?;
                api_keys::set_rate_limit(c, tenant_id, limit)
            })?;
            match limit {
                Some(l) => {
                    println!("tenant {tenant}: {} requests/s, bursts of {}", l.per_second, l.burst)
                }
                None => println!("tenant {tenant}: the instance's default rate limit"),
            }
            Ok(())
        }
        Command::Key(KeyCommand::Create { tenant, scopes, name }) => {
            let scopes = parse_scopes(&scopes)?;
            let db = db.open();
            db.migrate()?;
            let (key, token) = db.write(|c| {
                let tenant_id = tenant_id(c, &tenant)?;
                api_keys::create_key(c, tenant_id, &name, &scopes)
            })?;
            println!("key {} ({})\n{token}", key.id, Scope::join(&key.scopes));
            Ok(())
        }
        Command::Generate(args) => {
            let db = db.open();
            db.migrate()?;
            let shape = crate::generate::Shape {
                tenants: args.tenants,
                accounts: args.accounts,
                stakeholders_per_account: args.stakeholders_per_account,
                salespeople: args.salespeople.max(1),
                revisions_per_tenure: args.revisions_per_tenure,
                seed: args.seed,
            };
            let report = crate::generate::generate(&db, shape)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Key(KeyCommand::Revoke { id }) => {
            let db = db.open();
            db.migrate()?;
            db.write(|c| api_keys::revoke_key(c, id))?;
            println!("key {id} revoked");
            Ok(())
        }
    }
}

/// Points OpenSSL's default roots — what libpq's `sslrootcert=system` reads — at this
/// machine's certificate store, unless the operator already did (`SSL_CERT_FILE`,
/// `SSL_CERT_DIR`): the vendored OpenSSL's compiled-in directory is not where distributions
/// keep them. Before any thread starts, as changing the environment must be.
fn trust_system_roots() {
    if std::env::var_os("SSL_CERT_FILE").is_some() || std::env::var_os("SSL_CERT_DIR").is_some() {
        return;
    }
    let found = openssl_probe::probe();
    if let Some(file) = found.cert_file {
        std::env::set_var("SSL_CERT_FILE", file);
    }
    if let Some(dir) = found.cert_dir {
        std::env::set_var("SSL_CERT_DIR", dir);
    }
}

/// A tenant named by its id or its name.
fn tenant_id(conn: &mut crate::store::DbConn, tenant: &str) -> Result<TenantId, Error> {
    match Uuid::parse_str(tenant) {
        Ok(id) => Ok(TenantId(id)),
        Err(_) => Ok(api_keys::find_tenant_by_name(conn, tenant)?.id),
    }
}

fn parse_scopes(text: &str) -> Result<Vec<Scope>, String> {
    text.split(',')
        .map(|s| {
            Scope::parse(s).ok_or_else(|| format!("unknown scope `{s}`: use read, write, admin"))
        })
        .collect()
}

fn serve(args: ServeArgs, db: &DbArgs) -> Result<(), Box<dyn std::error::Error>> {
    db.check_replicas()?;
    let db = db.open();
    match args.migrate_on_start {
        true => when_reachable(|| db.migrate())?,
        false => when_reachable(|| db.check_schema())?,
    }
    db.watch_replicas();
    if let Some(token) = first_run_key(&db)? {
        println!(
            "\nFirst start: created tenant `default` with an admin API key (shown once):\n\n    \
             {token}\n\nTry:  curl -H 'Authorization: Bearer {token}' http://{}/v1/persons\n",
            args.bind
        );
    }
    let settings = server_settings(args)?;
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(&settings, db)?;
        tracing::info!(port = app.port(), bind = %settings.bind, metrics_port = ?app.metrics_port(), "serving");
        app.run_until_stopped().await
    })?;
    Ok(())
}

/// Serves, and loads the demo through the server's own API once it listens.
fn demo(args: DemoArgs, serve: ServeArgs, db: &DbArgs) -> Result<(), Box<dyn std::error::Error>> {
    let db = db.open();
    migrate_when_reachable(&db)?;
    let settings = server_settings(serve)?;
    actix_web::rt::System::new().block_on(async move {
        // Bound before anything is written: a taken port fails with nothing half-made.
        let app = Application::build(&settings, db.clone())?;
        let (key, new) = crate::demo::tenant_key(&db).map_err(std::io::Error::other)?;
        let host = match settings.bind.rsplit_once(':') {
            Some(("0.0.0.0" | "[::]", _)) | None => "127.0.0.1",
            Some((host, _)) => host,
        };
        let base = format!("http://{host}:{}", app.port());
        let handle = app.handle();
        let serving = actix_web::rt::spawn(app.run_until_stopped());
        if new {
            crate::demo::load(&base, &key).await.map_err(std::io::Error::other)?;
            println!("\nLoaded the demo tenant `{}`.", crate::demo::TENANT);
        } else {
            println!(
                "\nThe demo tenant `{}` was loaded before; here is a new key for it.",
                crate::demo::TENANT
            );
        }
        let welcome = crate::demo::welcome(&base, &key).await.map_err(std::io::Error::other)?;
        println!("{welcome}");
        if args.load_only {
            handle.stop(true).await;
        }
        serving.await.map_err(std::io::Error::other)?
    })?;
    Ok(())
}

fn server_settings(args: ServeArgs) -> Result<ServerSettings, Box<dyn std::error::Error>> {
    // The setting's former variable still works (the former flag is an alias).
    let allow_private = args.webhook_allow_private
        || std::env::var("JOBCRAFT_WEBHOOK_ALLOW_LINK_LOCAL")
            .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on"));
    Ok(ServerSettings {
        bind: args.bind,
        body_limit: args.body_limit,
        batch_body_limit: args.batch_body_limit,
        workers: args.workers,
        key_cache_ttl: Duration::from_millis(args.key_cache_ttl_ms),
        delivery: match args.webhook_delivery {
            true => Some(crate::delivery::DeliverySettings {
                interval: Duration::from_millis(args.webhook_interval_ms.max(10)),
                timeout: Duration::from_millis(args.webhook_timeout_ms.max(100)),
                allow_private,
                tls: crate::delivery::client::tls(args.webhook_ca_file.as_deref())
                    .map_err(Error::Setup)?,
            }),
            false => None,
        },
        webhook_allow_private: allow_private,
        rate_limit: if args.rate_limit_per_second == 0.0 {
            None
        } else {
            Some(RateLimit::parse(args.rate_limit_per_second, args.rate_limit_burst)?)
        },
        metrics_bind: args.metrics_bind,
        client_timeout: Duration::from_millis(args.client_timeout_ms.max(100)),
        cors_origins: args.cors_origin,
        web: crate::web::WebSettings { secure_cookies: args.secure_cookies },
        pruning: (args.retention_interval_ms > 0).then(|| crate::pruning::PruneSettings {
            interval: Duration::from_millis(args.retention_interval_ms),
            batch: crate::pruning::BATCH,
        }),
        test_pauses: args.test_pauses,
    })
}

/// `GET /readyz` of the service on `bind`, over loopback when it listens on every address.
/// Plain HTTP/1.0 over a socket: a health check needs no runtime.
fn health(bind: &str) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::{Read, Write};
    let (host, port) = bind.rsplit_once(':').ok_or("--bind has no port")?;
    let host = match host {
        "0.0.0.0" | "" => "127.0.0.1",
        "[::]" => "[::1]",
        host => host,
    };
    let address = format!("{host}:{port}");
    let timeout = Duration::from_secs(3);
    let socket = address.parse().map_err(|e| format!("{address}: {e}"))?;
    let mut stream = std::net::TcpStream::connect_timeout(&socket, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(format!("GET /readyz HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer.lines().next().unwrap_or_default();
    match status.split(' ').nth(1) {
        Some("200") => Ok(()),
        _ => Err(format!("not ready: {status}").into()),
    }
}

/// Waits up to a minute for the database (a container may start before it), then migrates.
/// Only an outage is waited for: a setup that cannot work fails at once, saying why.
fn migrate_when_reachable(db: &Db) -> Result<(), Error> {
    when_reachable(|| db.migrate())
}

/// Runs `step` (a migration, a schema check), waiting up to a minute while the database is
/// not reachable.
fn when_reachable(step: impl Fn() -> Result<(), Error>) -> Result<(), Error> {
    let mut attempts = 0;
    loop {
        match step() {
            Err(Error::Unavailable(cause)) if attempts < 12 => {
                attempts += 1;
                tracing::warn!(%cause, attempts, "database not reachable yet; retrying");
                std::thread::sleep(Duration::from_secs(5));
            }
            Err(Error::Unavailable(cause)) => {
                return Err(Error::Setup(format!(
                    "the database did not answer in a minute: {cause}"
                )))
            }
            other => return other,
        }
    }
}

/// On an empty database, a `default` tenant and its admin key, so a new user can call the
/// API at once.
fn first_run_key(db: &Db) -> Result<Option<String>, Error> {
    db.write(|c| {
        if api_keys::count_tenants(c)? > 0 {
            return Ok(None);
        }
        let tenant = api_keys::create_tenant(c, "default")?;
        let (_, token) = api_keys::create_key(c, tenant.id, "first admin key", &[Scope::Admin])?;
        Ok(Some(token))
    })
}
