//! The HTTP client webhook delivery sends with: HTTPS verified against this machine's root
//! certificates (and an operator's extra CA file), every address of a receiver's name checked
//! when it is resolved, no redirects, and failures worded for the delivery log.

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use actix_tls::connect::{Resolve, Resolver};
use awc::error::{ConnectError, SendRequestError};
use futures_util::future::LocalBoxFuture;
use openssl::ssl::{SslConnector, SslMethod};

use crate::domain::webhook::refuse_address;

/// The TLS side: the system's roots, plus `extra_ca` (a PEM file of one or more certificates)
/// for receivers under a private authority. An unreadable file is refused at start.
pub fn tls(extra_ca: Option<&Path>) -> Result<SslConnector, String> {
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(|e| e.to_string())?;
    builder.set_default_verify_paths().map_err(|e| e.to_string())?;
    // The vendored OpenSSL's default directory is not where distributions keep their roots.
    if let Some(file) = openssl_probe::probe().cert_file {
        builder.set_ca_file(file).map_err(|e| e.to_string())?;
    }
    if let Some(file) = extra_ca {
        builder.set_ca_file(file).map_err(|e| {
            format!(
                "--webhook-ca-file {}: not a readable PEM certificate file ({e})",
                file.display()
            )
        })?;
    }
    Ok(builder.build())
}

/// A client for one delivery loop. No redirects: one could lead delivery to an address the
/// check refused (SSRF); a 3xx is given up on like a 4xx.
pub fn client(tls: SslConnector, timeout: Duration, allow_private: bool) -> awc::Client {
    let resolver = Resolver::custom(CheckedResolver { allow_private });
    let connector = awc::Connector::new()
        .connector(actix_tls::connect::Connector::new(resolver).service())
        .openssl(tls)
        .timeout(timeout);
    awc::Client::builder().connector(connector).timeout(timeout).disable_redirects().finish()
}

/// Resolves a receiver's name and refuses it when any of its addresses is one delivery may
/// not reach. The connection goes to the addresses checked (a name cannot resolve elsewhere in
/// between) while the URL keeps the name, so TLS verifies the certificate against it. An
/// address written in the URL is not resolved: `refuse_url` checked it.
struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> LocalBoxFuture<'a, Result<Vec<SocketAddr>, Box<dyn StdError>>> {
        Box::pin(async move {
            // An IPv6 address in a URL keeps its brackets here.
            let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| format!("the receiver's name could not be resolved: {e}"))?
                .collect();
            if !self.allow_private {
                let refused =
                    addresses.iter().find_map(|a| Some((a.ip(), refuse_address(a.ip())?)));
                if let Some((ip, reason)) = refused {
                    let refusal =
                        format!("refused: the receiver's host resolves to {ip}, which {reason}");
                    return Err(refusal.into());
                }
            }
            Ok(addresses)
        })
    }
}

/// Why a send failed, for the delivery log: the refusal or lookup failure itself rather than
/// the client's wrapping of it, and a failed TLS handshake said to be one.
pub fn reason(error: &SendRequestError) -> String {
    match error {
        SendRequestError::Connect(ConnectError::Resolver(cause)) => cause.to_string(),
        // The TLS connector reports a failed handshake as an I/O error with OpenSSL's words.
        SendRequestError::Connect(ConnectError::Io(cause))
            if cause.to_string().contains("SSL routines") =>
        {
            format!("TLS handshake with the receiver failed: {cause}")
        }
        other => other.to_string(),
    }
}
