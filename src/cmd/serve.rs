//! `dossier serve`: the read-only HTTP server (crate `dossier-web`), set up safely: on
//! loopback unless told otherwise, a non-loopback address only with a token, the `Host`
//! header held to this server's names, CORS only for listed origins. Stops on SIGINT or
//! SIGTERM after answering the requests in flight.

use crate::Exit;
use crate::cli::ServeArgs;
use crate::config::Config;
use anyhow::{Context, Result};
use dossier_store::{AnyStore, StoreError};
use dossier_web::{Guard, Options};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Stores in the pool, and so store calls at once.
const POOL_SIZE: usize = 3;
/// The longest one store call may take before the request is answered 503.
const QUERY_LIMIT: Duration = Duration::from_secs(5);
/// The longest a whole request may take.
const REQUEST_LIMIT: Duration = Duration::from_secs(30);

pub fn run(cfg: &Config, a: ServeArgs) -> Result<()> {
    let listen: SocketAddr = a.listen.parse().map_err(|_| {
        Exit::usage(format!(
            "--listen `{}` is not an address and port (e.g. 127.0.0.1:8080 or [::1]:8080)",
            a.listen
        ))
    })?;
    let token = match &a.token_file {
        Some(path) => Some(read_token(path)?),
        None if !listen.ip().is_loopback() => {
            return Err(Exit::usage(format!(
                "--listen {listen} is not a loopback address: anyone who can reach it could \
                 read the store, so a token is required (--token-file PATH)"
            ))
            .into());
        }
        None => None,
    };
    let guard = Guard {
        hosts: hosts(listen.ip(), &a.allowed_hosts),
        token: token.as_deref().map(Guard::digest),
        cors_origins: a
            .cors_origins
            .iter()
            .map(|o| origin(o))
            .collect::<Result<_>>()?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let at = cfg.store.clone();
    runtime.block_on(async move {
        // The stores are synchronous; even opening one must not block a worker.
        let opening = at.clone();
        let first = tokio::task::spawn_blocking(move || AnyStore::open_read_only(&opening))
            .await
            .context("cannot open the store")?
            .map_err(|e| match e {
                StoreError::Missing(_) => anyhow::Error::from(Exit::failed(e.to_string())),
                e => anyhow::Error::from(e).context(format!("cannot open the store {at}")),
            })?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let bound = listener.local_addr()?;
        eprintln!("dossier serve: listening on http://{bound}/ (store {at})");
        let opts = Options {
            at,
            feeds: cfg.feeds.clone(),
            guard,
            pool_size: POOL_SIZE,
            query_limit: QUERY_LIMIT,
            request_limit: REQUEST_LIMIT,
        };
        dossier_web::serve(listener, first, opts, stopped())
            .await
            .context("the server stopped")
    })
}

/// The token in `path`: its first line, which must not be empty.
fn read_token(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Exit::usage(format!("cannot read --token-file {}: {e}", path.display())))?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.is_empty() {
        return Err(Exit::usage(format!("--token-file {} holds no token", path.display())).into());
    }
    Ok(token)
}

/// The names `Host` may carry: the loopback names, the listen address when it is one
/// address (not 0.0.0.0 or ::), and the operator's.
fn hosts(ip: IpAddr, extra: &[String]) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "[::1]"].map(String::from).into();
    if !ip.is_unspecified() {
        hosts.push(match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        });
    }
    hosts.extend(extra.iter().map(|h| h.trim().to_ascii_lowercase()));
    hosts
}

/// `https://app.example/` → `https://app.example`, as browsers send it in `Origin`.
fn origin(url: &str) -> Result<String> {
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    match parsed {
        Some(u) => Ok(u.origin().ascii_serialization()),
        None => Err(Exit::usage(format!(
            "--cors-origin `{url}` is not an http(s) origin like https://app.example"
        ))
        .into()),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn stopped() {
    let term = async {
        #[cfg(unix)]
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
    eprintln!("dossier serve: stopping");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_hosts() {
        assert_eq!(
            origin("https://app.example/x").unwrap(),
            "https://app.example"
        );
        assert_eq!(
            origin("http://a.example:8081").unwrap(),
            "http://a.example:8081"
        );
        assert!(origin("javascript:x").is_err());
        let h = hosts("0.0.0.0".parse().unwrap(), &["Dossier.Internal".into()]);
        assert!(h.contains(&"dossier.internal".to_string()) && !h.contains(&"0.0.0.0".to_string()));
        assert!(hosts("::1".parse().unwrap(), &[]).contains(&"[::1]".to_string()));
    }
}
