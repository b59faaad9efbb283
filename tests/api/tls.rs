//! TLS end to end: a real PostgreSQL that accepts only TLS (a cluster of the test's own, on its
//! own port, with a certificate authority the test makes), reached through libpq (the pool) and
//! the pipelined reads, refused with the reason when it should be; and webhook receivers over
//! HTTPS, verified against an extra CA file.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslAcceptor, SslMethod};
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use serde_json::json;

use jobcraft::domain::webhook::signature;
use jobcraft::store::pipelined::Pipelined;

use crate::harness::{running_as_root, TestApp};

/// A certificate authority of the test's own.
struct Authority {
    cert: X509,
    key: PKey<Private>,
}

fn new_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

/// A certificate for `common_name`, valid for `dns_names`, signed by `issuer` (or by itself).
fn certificate(
    common_name: &str,
    dns_names: &[&str],
    key: &PKey<Private>,
    issuer: Option<&Authority>,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", common_name).unwrap();
    let name = name.build();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    builder.set_serial_number(&serial.to_asn1_integer().unwrap()).unwrap();
    builder.set_subject_name(&name).unwrap();
    builder.set_issuer_name(issuer.map_or(&name, |i| i.cert.subject_name())).unwrap();
    builder.set_pubkey(key).unwrap();
    builder.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    builder.set_not_after(&Asn1Time::days_from_now(30).unwrap()).unwrap();
    match issuer {
        None => builder.append_extension(BasicConstraints::new().critical().ca().build().unwrap()),
        Some(issuer) => {
            let mut names = SubjectAlternativeName::new();
            for dns in dns_names {
                names.dns(dns);
            }
            let context = builder.x509v3_context(Some(&issuer.cert), None);
            let names = names.build(&context).unwrap();
            builder.append_extension(names).unwrap();
            builder.append_extension(
                ExtendedKeyUsage::new().server_auth().client_auth().build().unwrap(),
            )
        }
    }
    .unwrap();
    builder.sign(issuer.map_or(key, |i| &i.key), MessageDigest::sha256()).unwrap();
    builder.build()
}

impl Authority {
    fn new(name: &str) -> Authority {
        let key = new_key();
        Authority { cert: certificate(name, &[], &key, None), key }
    }

    /// A certificate and its key for `common_name` at `dns_names`.
    fn issue(&self, common_name: &str, dns_names: &[&str]) -> (X509, PKey<Private>) {
        let key = new_key();
        (certificate(common_name, dns_names, &key, Some(self)), key)
    }
}

/// Writes `bytes` to `dir/name`, readable by its owner only (libpq refuses a key others can read).
fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    let mut file =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&path);
    file.as_mut().unwrap().write_all(bytes).unwrap();
    path
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The server binaries: `JOBCRAFT_TEST_PG_BIN`, else the newest under /usr/lib/postgresql.
/// None found fails the test: CI never skips it.
pub(crate) fn server_binaries() -> PathBuf {
    if let Some(dir) = std::env::var_os("JOBCRAFT_TEST_PG_BIN") {
        return dir.into();
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).expect(
        "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql: install Debian's \
         postgresql, or set JOBCRAFT_TEST_PG_BIN",
    )
}

/// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user.
pub(crate) fn server_command(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

pub(crate) fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{command:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// A PostgreSQL cluster that accepts only TLS connections, with a certificate for `localhost`
/// from `authority`: `certified` signs in with a client certificate, `secret` with a password,
/// everyone else as they are. Stopped and removed when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
}

impl Cluster {
    fn start(authority: &Authority) -> Cluster {
        let bin = server_binaries();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        if running_as_root() {
            run(Command::new("chown").arg("postgres:postgres").arg(dir.path()));
        }
        run(server_command(&bin.join("initdb"))
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "-D"])
            .arg(&data)
            .stdout(Stdio::null()));
        let (cert, key) = authority.issue("localhost", &["localhost"]);
        write(&data, "server.crt", &cert.to_pem().unwrap());
        write(&data, "server.key", &key.private_key_to_pem_pkcs8().unwrap());
        write(&data, "ca.crt", &authority.cert.to_pem().unwrap());
        let port = free_port();
        let settings = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n\
             ssl_ca_file = 'ca.crt'\nfsync = off\nmax_connections = 50\n",
            dir.path().display()
        );
        let access = "local all all trust\n\
                      hostssl all certified 127.0.0.1/32 cert\n\
                      hostssl all secret 127.0.0.1/32 scram-sha-256\n\
                      hostssl all all 127.0.0.1/32 trust\n";
        let conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap() + &settings;
        write(&data, "postgresql.conf", conf.as_bytes());
        write(&data, "pg_hba.conf", access.as_bytes());
        if running_as_root() {
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&data));
        }
        run(server_command(&bin.join("pg_ctl"))
            .args(["-w", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("log"))
            .arg("start")
            .stdout(Stdio::null()));
        Cluster { dir, port, bin }
    }

    fn url(&self, user: &str, host: &str, parameters: &str) -> String {
        format!("postgres://{user}@{host}:{}/postgres?{parameters}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        server_command(&self.bin.join("pg_ctl"))
            .args(["-m", "immediate", "-w", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .stdout(Stdio::null())
            .status()
            .ok();
    }
}

/// Runs the binary to completion; its exit status, its stderr and how long it took.
fn jobcraft(args: &[&str]) -> (bool, String, Duration) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(args)
        .env("JOBCRAFT_LOG", "warn")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        started.elapsed(),
    )
}

#[actix_web::test]
async fn postgres_over_tls_is_verified_and_every_refusal_says_why() {
    let authority = Authority::new("jobcraft test CA");
    let stranger = Authority::new("a CA nobody trusts");
    let cluster = Cluster::start(&authority);
    let files = tempfile::tempdir().unwrap();
    let root = write(files.path(), "root.pem", &authority.cert.to_pem().unwrap());
    let unknown_root = write(files.path(), "unknown.pem", &stranger.cert.to_pem().unwrap());
    let (client_cert, client_key) = authority.issue("certified", &[]);
    let client_cert = write(files.path(), "client.pem", &client_cert.to_pem().unwrap());
    let client_key =
        write(files.path(), "client.key", &client_key.private_key_to_pem_pkcs8().unwrap());
    let verified = format!("sslmode=verify-full&sslrootcert={}", root.display());

    // verify-full passes, for libpq (the pool) and for the pipelined reads.
    let mut admin = PgConnection::establish(&cluster.url("postgres", "localhost", &verified))
        .unwrap_or_else(|e| panic!("verify-full: {e}"));
    #[derive(diesel::QueryableByName)]
    struct Ssl {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ssl: bool,
    }
    let ssl: Ssl = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result(&mut admin)
        .unwrap();
    assert!(ssl.ssl, "the connection is encrypted");
    diesel::sql_query("CREATE ROLE certified LOGIN SUPERUSER").execute(&mut admin).unwrap();
    diesel::sql_query("CREATE ROLE secret LOGIN SUPERUSER PASSWORD 'pa:ss'")
        .execute(&mut admin)
        .unwrap();
    let pipelined = |url: &str| Pipelined::new(url, Duration::from_secs(5)).unwrap();
    let connected = pipelined(&cluster.url("postgres", "localhost", &verified)).connect().await;
    assert!(connected.is_ok(), "pipelined, verify-full: {:?}", connected.err());

    // A client certificate from the URL.
    let certified =
        format!("{verified}&sslcert={}&sslkey={}", client_cert.display(), client_key.display());
    let url = cluster.url("certified", "localhost", &certified);
    PgConnection::establish(&url).unwrap_or_else(|e| panic!("client certificate: {e}"));
    assert!(pipelined(&url).connect().await.is_ok(), "pipelined, client certificate");

    // Each refusal, by libpq and by the pipelined connection, with its reason.
    let port = cluster.port;
    let ip_url = format!("postgres://postgres@127.0.0.1:{port}/postgres?{verified}");
    let unknown = format!("sslmode=verify-full&sslrootcert={}", unknown_root.display());
    let refusals = [
        // The certificate names localhost, not 127.0.0.1.
        (ip_url, "does not match host name", "certificate verify failed"),
        (
            cluster.url("postgres", "localhost", &unknown),
            "certificate verify failed",
            "certificate verify failed",
        ),
        (cluster.url("postgres", "localhost", "sslmode=disable"), "no encryption", "no encryption"),
        (cluster.url("certified", "localhost", &verified), "certificate", "certificate"),
    ];
    for (url, by_libpq, by_pipelined) in &refusals {
        let refused = PgConnection::establish(url).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains(by_libpq), "{url}: libpq said {refused:?}");
        let refused = pipelined(url).connect().await.err().unwrap_or_default();
        assert!(refused.contains(by_pipelined), "{url}: pipelined said {refused:?}");
        // The service fails at once, in one line naming the cause: not an outage to wait for.
        let (ok, stderr, took) = jobcraft(&["migrate", "--database-url", url]);
        assert!(!ok && took < Duration::from_secs(10), "{url}: {stderr} after {took:?}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("jobcraft: cannot use the database") && last.contains(by_libpq),
            "{stderr}"
        );
    }

    // The service, set up the way libpq users do it: TLS from PGSSLMODE and PGSSLROOTCERT, the
    // password from a password file. It serves, and its pipelined reads connect.
    let passfile =
        write(files.path(), "pgpass", format!("localhost:{port}:*:secret:pa\\:ss\n").as_bytes());
    let url = format!("postgres://secret@localhost:{port}/postgres");
    let env = [
        ("PGSSLMODE", "verify-full"),
        ("PGSSLROOTCERT", root.to_str().unwrap()),
        ("PGPASSFILE", passfile.to_str().unwrap()),
    ];
    let output = Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(["tenant", "create", "tls", "--database-url", &url])
        .envs(env)
        .output()
        .unwrap();
    let created = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "tenant create over TLS: {created}");
    let key = created.lines().last().unwrap().rsplit(' ').next().unwrap().to_owned();
    let log = files.path().join("serve.log");
    let bind = format!("127.0.0.1:{}", free_port());
    let mut serve = Command::new(env!("CARGO_BIN_EXE_jobcraft"))
        .args(["serve", "--bind", &bind, "--database-url", &url])
        .envs(env)
        .env("JOBCRAFT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let client = awc::Client::default();
    let base = format!("http://{bind}");
    let mut person = None;
    for _ in 0..100 {
        let created = client
            .post(format!("{base}/v1/persons"))
            .bearer_auth(&key)
            .send_json(&json!({"display_name": "Tess"}))
            .await;
        if let Ok(mut created) = created {
            let body: serde_json::Value = created.json().await.unwrap();
            person = body["id"].as_str().map(str::to_owned);
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let person = person.expect("the service serves over TLS");
    for _ in 0..5 {
        let read = client.get(format!("{base}/v1/persons/{person}")).bearer_auth(&key).send().await;
        assert_eq!(read.unwrap().status(), 200);
    }
    serve.kill().ok();
    serve.wait().ok();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(!logged.contains("pipelin"), "the pipelined reads did not connect: {logged}");
}

/// What an HTTPS receiver got: when, the request's head, its body.
type Requests = Arc<Mutex<Vec<(Instant, String, Vec<u8>)>>>;

/// An HTTPS receiver on 127.0.0.1 with `cert` for localhost, answering its requests with
/// `answers` in turn (the last one again after that), one connection per request.
fn https_receiver(cert: &X509, key: &PKey<Private>, answers: Vec<&'static str>) -> (u16, Requests) {
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    acceptor.set_certificate(cert).unwrap();
    acceptor.set_private_key(key).unwrap();
    let acceptor = acceptor.build();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests: Requests = Arc::default();
    let log = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // A client that does not trust the certificate ends the handshake.
            let Ok(mut tls) = acceptor.accept(stream) else { continue };
            let mut bytes = Vec::new();
            let mut buffer = [0u8; 4096];
            let (head, body_start) = loop {
                let Ok(n @ 1..) = tls.read(&mut buffer) else { break (String::new(), 0) };
                bytes.extend_from_slice(&buffer[..n]);
                if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                    break (String::from_utf8_lossy(&bytes[..end]).into_owned(), end + 4);
                }
            };
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            while bytes.len() < body_start + length {
                let Ok(n @ 1..) = tls.read(&mut buffer) else { break };
                bytes.extend_from_slice(&buffer[..n]);
            }
            let body = bytes[body_start..].to_vec();
            let mut log = log.lock().unwrap();
            let answer = answers[log.len().min(answers.len() - 1)];
            log.push((Instant::now(), head, body));
            drop(log);
            tls.write_all(answer.as_bytes()).ok();
            tls.shutdown().ok();
        }
    });
    (port, requests)
}

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const LATER: &str =
    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

#[actix_web::test]
async fn sqlite_webhooks_reach_https_receivers_and_an_untrusted_one_is_logged_with_why() {
    let app = TestApp::sqlite_with(false).await;
    webhooks_reach_https_receivers_and_an_untrusted_one_is_logged_with_why(&app).await;
    app.stop().await;
}

#[actix_web::test]
async fn postgres_webhooks_reach_https_receivers_and_an_untrusted_one_is_logged_with_why() {
    let Some(app) = TestApp::postgres_with(false).await else { return };
    webhooks_reach_https_receivers_and_an_untrusted_one_is_logged_with_why(&app).await;
    app.stop().await;
}

/// The test's own server does not deliver: the binary does, trusting the test's CA through
/// `--webhook-ca-file`.
async fn webhooks_reach_https_receivers_and_an_untrusted_one_is_logged_with_why(app: &TestApp) {
    let authority = Authority::new("receivers' CA");
    let stranger = Authority::new("a CA nobody trusts");
    let (cert, key) = authority.issue("localhost", &["localhost"]);
    let (trusted_port, trusted) = https_receiver(&cert, &key, vec![LATER, OK]);
    let (cert, key) = stranger.issue("localhost", &["localhost"]);
    let (untrusted_port, untrusted) = https_receiver(&cert, &key, vec![OK]);
    let files = tempfile::tempdir().unwrap();
    let ca_file = write(files.path(), "ca.pem", &authority.cert.to_pem().unwrap());

    let secret = "0123456789abcdef-tls-secret";
    let hook =
        |port: u16| json!({"url": format!("https://localhost:{port}/hook"), "secret": secret});
    app.create("/v1/webhooks", hook(trusted_port)).await;
    let untrusted_hook = app.create("/v1/webhooks", hook(untrusted_port)).await;
    let _service =
        crate::faults::start_with(app, &["--webhook-ca-file", ca_file.to_str().unwrap()]).await;
    app.create("/v1/persons", json!({"display_name": "Tess"})).await;

    let deliveries = format!("/v1/webhooks/{untrusted_hook}/deliveries");
    let mut logged = Vec::new();
    for _ in 0..200 {
        logged = app.all(&deliveries).await;
        if trusted.lock().unwrap().len() >= 2 && !logged.is_empty() {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    // The trusted receiver: asked to wait 2 s (a first backoff is at most 1 s), then signed.
    let requests = trusted.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "the trusted receiver got the event, then again after 503");
    let waited = requests[1].0 - requests[0].0;
    assert!(waited >= Duration::from_millis(1900), "Retry-After: 2 honoured, waited {waited:?}");
    let (_, head, body) = &requests[1];
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .starts_with(name)
                    .then(|| l[name.len() + 1..].trim().to_owned())
            })
            .unwrap_or_default()
    };
    let sent = header("x-jobcraft-signature");
    let timestamp: i64 = sent.split(',').next().unwrap()[2..].parse().unwrap();
    assert_eq!(sent, signature(secret, timestamp, body));
    assert!(header("host").starts_with("localhost:"), "{head}");

    // The untrusted one: no request reached it, and the log says why.
    assert!(untrusted.lock().unwrap().is_empty());
    assert!(!logged.is_empty(), "an attempt on the untrusted receiver is logged");
    let error = logged[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("TLS") && error.contains("certificate verify failed"), "{error}");
    assert_eq!(logged[0]["outcome"], "retry");
}
