//! A PostgreSQL URL read as libpq reads it, for the connections that do not go through libpq.
//!
//! The pool connects through libpq, which understands every parameter of the URL and the `PG*`
//! environment variables. The pipelined reads connect through tokio-postgres, which knows
//! fewer: here the URL is completed as libpq would complete it — TLS (`sslmode` `disable` …
//! `verify-full`, `sslrootcert`, `sslcert`, `sslkey`), the password from `PGPASSWORD` or the
//! password file, the `PGHOST`-style defaults — so that both kinds of connection reach the same
//! server the same way, or neither does.

use std::path::{Path, PathBuf};

use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use postgres_openssl::MakeTlsConnector;
use tokio_postgres::config::{Host, SslMode};

/// Where a connection goes and how it protects itself.
pub struct Target {
    pub config: tokio_postgres::Config,
    pub tls: MakeTlsConnector,
}

/// libpq's `sslmode`, in its order of strictness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Mode {
    fn parse(text: &str) -> Result<Mode, String> {
        Ok(match text {
            "disable" => Mode::Disable,
            "allow" => Mode::Allow,
            "prefer" => Mode::Prefer,
            "require" => Mode::Require,
            "verify-ca" => Mode::VerifyCa,
            "verify-full" => Mode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode `{other}` is not one of disable, allow, prefer, require, \
                     verify-ca, verify-full"
                ))
            }
        })
    }
}

/// The URL's parameters that tokio-postgres does not take; read here instead. Any other it
/// does not know (`sslcrl`, `sslpassword`, `gssencmode` …) makes `target` an error: the pool
/// (libpq) then does every read, rather than a connection that ignores what was asked.
const TLS_PARAMETERS: [&str; 4] = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

/// The connection `url` names, completed from `env` (the process environment, or a test's) as
/// libpq completes it. An error says what cannot be read or honoured.
pub fn target(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Target, String> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut tls_parameters = std::collections::HashMap::new();
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if TLS_PARAMETERS.contains(&key.as_ref()) {
            tls_parameters.insert(key.into_owned(), value.into_owned());
        } else {
            rest.append_pair(&key, &value);
        }
    }
    let rest = rest.finish();
    if env("PGSSLCRL").is_some() || env("PGSSLCRLDIR").is_some() {
        return Err("certificate revocation lists (PGSSLCRL) are read by libpq only".into());
    }
    let base = hosts_from_env(base, env)?;
    let url = if rest.is_empty() { base } else { format!("{base}?{rest}") };
    // tokio-postgres keeps what it could not read (an unknown option, say) in the source.
    let mut config: tokio_postgres::Config =
        url.parse().map_err(|e: tokio_postgres::Error| crate::error::cause_chain(&e))?;
    let parameter = |name: &str, variable: &str| {
        tls_parameters.get(name).cloned().or_else(|| env(variable)).filter(|v| !v.is_empty())
    };
    complete_from_env(&mut config, env);

    let mode = Mode::parse(&parameter("sslmode", "PGSSLMODE").unwrap_or_else(|| "prefer".into()))?;
    let home = env("HOME").map(PathBuf::from);
    let default_file =
        |name: &str| home.as_ref().map(|h| h.join(".postgresql").join(name)).filter(|p| p.exists());
    let root = parameter("sslrootcert", "PGSSLROOTCERT")
        .map(PathBuf::from)
        .or_else(|| default_file("root.crt"));
    // As libpq: `require` with a root certificate at hand verifies the chain too.
    let mode = match mode {
        Mode::Require if root.is_some() => Mode::VerifyCa,
        mode => mode,
    };
    let tls_error = |e: openssl::error::ErrorStack| format!("TLS setup: {e}");
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(tls_error)?;
    if matches!(mode, Mode::VerifyCa | Mode::VerifyFull) {
        match root.as_deref() {
            Some(path) if path == Path::new("system") => {
                builder.set_default_verify_paths().map_err(tls_error)?;
                if let Some(file) = openssl_probe::probe().cert_file {
                    builder.set_ca_file(file).map_err(tls_error)?;
                }
            }
            Some(path) if path.exists() => builder.set_ca_file(path).map_err(tls_error)?,
            Some(path) => {
                return Err(format!("root certificate file \"{}\" does not exist", path.display()))
            }
            None => {
                return Err(format!(
                    "sslmode {} needs a root certificate: set sslrootcert (a file, or `system`)",
                    if mode == Mode::VerifyCa { "verify-ca" } else { "verify-full" }
                ))
            }
        }
    } else {
        builder.set_verify(SslVerifyMode::NONE);
    }
    let cert = parameter("sslcert", "PGSSLCERT").map(PathBuf::from);
    let key = parameter("sslkey", "PGSSLKEY").map(PathBuf::from);
    let cert_given = cert.is_some();
    if let Some(cert) = cert.or_else(|| default_file("postgresql.crt")) {
        if cert.exists() {
            let key = key.or_else(|| default_file("postgresql.key")).ok_or_else(|| {
                format!("certificate file \"{}\" has no key: set sslkey", cert.display())
            })?;
            builder
                .set_certificate_chain_file(&cert)
                .map_err(|e| format!("could not load certificate \"{}\": {e}", cert.display()))?;
            builder
                .set_private_key_file(&key, SslFiletype::PEM)
                .map_err(|e| format!("could not load key \"{}\": {e}", key.display()))?;
        } else if cert_given {
            return Err(format!("certificate file \"{}\" does not exist", cert.display()));
        }
    }
    let mut tls = MakeTlsConnector::new(builder.build());
    if mode != Mode::VerifyFull {
        tls.set_callback(|connection, _| {
            connection.set_verify_hostname(false);
            Ok(())
        });
    }
    config.ssl_mode(match mode {
        Mode::Disable => SslMode::Disable,
        // tokio-postgres has no `allow` (plain first, then TLS): it tries TLS first, and
        // takes either, like libpq.
        Mode::Allow | Mode::Prefer => SslMode::Prefer,
        Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
    });
    Ok(Target { config, tls })
}

/// The URL with `PGHOST` and `PGPORT` written in where it names no host or port: the hosts
/// and ports of a parsed configuration can only be added to, and a URL without a port already
/// has 5432. Read by hand rather than with the `url` crate: a PostgreSQL URL may list several
/// hosts (`h1:5432,h2:5433`), which the URL standard does not accept.
fn hosts_from_env(base: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let Some((scheme, rest)) = base.split_once("://") else { return Ok(base.to_owned()) };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, hosts) = match authority.rsplit_once('@') {
        Some((user, hosts)) => (format!("{user}@"), hosts.to_owned()),
        None => (String::new(), authority.to_owned()),
    };
    let hosts = if hosts.is_empty() {
        // libpq would use its compiled-in socket directory, which tokio-postgres cannot know.
        let hosts = env("PGHOST").ok_or("the URL names no host (and PGHOST is not set)")?;
        // A socket directory is written percent-encoded in a URL.
        hosts.replace('/', "%2F")
    } else {
        hosts
    };
    let hosts = match env("PGPORT") {
        Some(port) => {
            let has_port = |host: &str| host.rsplit(']').next().unwrap_or(host).contains(':');
            let with_port = |host: &str| match has_port(host) {
                true => host.to_owned(),
                false => format!("{host}:{port}"),
            };
            hosts.split(',').map(with_port).collect::<Vec<_>>().join(",")
        }
        None => hosts,
    };
    Ok(format!("{scheme}://{user}{hosts}/{path}"))
}

/// libpq's defaults for what the URL leaves out: user, database and password.
fn complete_from_env(config: &mut tokio_postgres::Config, env: &dyn Fn(&str) -> Option<String>) {
    if config.get_user().is_none() {
        if let Some(user) = env("PGUSER").or_else(|| env("USER")) {
            config.user(user);
        }
    }
    if config.get_dbname().is_none() {
        if let Some(database) = env("PGDATABASE") {
            config.dbname(database);
        }
    }
    if config.get_password().is_none() {
        let password = env("PGPASSWORD").or_else(|| {
            let file = env("PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| env("HOME").map(|h| Path::new(&h).join(".pgpass")))?;
            password_from_file(&std::fs::read_to_string(file).ok()?, config)
        });
        if let Some(password) = password {
            config.password(password);
        }
    }
}

/// The password a `.pgpass` file gives for `config`'s first host: the first line whose
/// `host:port:database:user` fields match (`*` matches anything; `\` escapes `:` and `\`).
fn password_from_file(text: &str, config: &tokio_postgres::Config) -> Option<String> {
    let host = match config.get_hosts().first()? {
        Host::Tcp(name) => name.clone(),
        // libpq matches a socket connection as `localhost`.
        Host::Unix(_) => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = config.get_user().unwrap_or_default();
    let database = config.get_dbname().unwrap_or(user);
    let wanted = [host.as_str(), port.as_str(), database, user];
    text.lines().filter(|line| !line.starts_with('#')).find_map(|line| {
        let fields = split_escaped(line);
        let [h, p, d, u, password] = fields.as_slice() else { return None };
        [h, p, d, u]
            .iter()
            .zip(wanted)
            .all(|(field, wanted)| field.as_str() == "*" || field.as_str() == wanted)
            .then(|| password.clone())
    })
}

fn split_escaped(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        let field = fields.len() - 1;
        match c {
            '\\' => fields[field].extend(chars.next()),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields[field].push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn the_password_file_matches_host_port_database_and_user_with_wildcards_and_escapes() {
        let config: tokio_postgres::Config =
            "postgres://ann@db.example:6432/crm".parse().expect("url");
        let file = "# comment\n\
                    other:6432:crm:ann:wrong\n\
                    db.example:6432:crm:bob:wrong\n\
                    db.example:*:crm:ann:pa\\:ss\\\\word\n\
                    *:*:*:*:fallback\n";
        assert_eq!(password_from_file(file, &config).as_deref(), Some("pa:ss\\word"));
        let other: tokio_postgres::Config = "postgres://carl@h/x".parse().expect("url");
        assert_eq!(password_from_file(file, &other).as_deref(), Some("fallback"));
        assert_eq!(password_from_file("h:5432:x:dan:p\n", &other), None);
    }

    #[test]
    fn the_environment_completes_what_the_url_leaves_out() {
        let env = env_of(&[("PGPASSWORD", "secret"), ("PGSSLMODE", "disable"), ("PGPORT", "6543")]);
        let completed = target("postgres://ann@db.example/crm", &env).expect("target");
        assert_eq!(completed.config.get_password(), Some(&b"secret"[..]));
        assert_eq!(completed.config.get_ports(), &[6543]);
        assert_eq!(completed.config.get_ssl_mode(), SslMode::Disable);
        // The URL wins over the environment.
        let own = target("postgres://ann:own@db.example/crm?sslmode=require", &env);
        let own = own.expect("target");
        assert_eq!(own.config.get_password(), Some(&b"own"[..]));
        assert_eq!(own.config.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn what_cannot_be_honoured_is_said() {
        let none = env_of(&[]);
        let refused = |url: &str| target(url, &none).err().unwrap_or_default();
        assert!(refused("postgres://h/d?sslmode=verify-everything").contains("sslmode"));
        assert!(refused("postgres://h/d?sslmode=verify-full").contains("root certificate"));
        assert!(refused("postgres://h/d?sslmode=verify-ca&sslrootcert=/nowhere/ca.pem")
            .contains("\"/nowhere/ca.pem\" does not exist"));
        assert!(refused("postgres://h/d?sslmode=require&sslcert=/nowhere/c.pem")
            .contains("does not exist"));
        assert!(refused("postgres:///d").contains("no host"));
        assert!(target("postgres://h/d?sslmode=verify-full&sslrootcert=system", &none).is_ok());
        // Asked of libpq only: the pool does every read.
        assert!(refused("postgres://h/d?sslcrl=/etc/crl.pem").contains("sslcrl"));
    }
}
