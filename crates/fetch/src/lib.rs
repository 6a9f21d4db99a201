//! The fetcher: async HTTP with the manners of a good citizen, turning every request into
//! a [`FetchOutcome`] value.
//!
//! A failing feed is data, not an `Err`: DNS, connect, TLS, timeout, HTTP status, an
//! oversized body, a refused address all come back as [`Failure`] with an [`ErrorClass`],
//! to be recorded on the feed's row while the run goes on. Concurrency is bounded twice:
//! overall (`concurrency`) and per `host:port` (`per_host`). Redirects are followed by
//! hand (at most [`MAX_REDIRECTS`] hops) so each hop passes the SSRF guard and a chain of
//! permanent redirects can be reported as the feed's new address.

pub mod guard;

use dossier_model::{ErrorClass, host_key};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use url::Url;

/// Redirect hops followed before a fetch fails as a redirect loop.
pub const MAX_REDIRECTS: usize = 5;

/// What the fetcher needs from `[fetch]`.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub concurrency: usize,
    pub per_host: usize,
    /// Whole request, connect to last byte.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Bodies larger than this (after decompression) fail as `too_large`.
    pub max_body_bytes: u64,
    pub user_agent: String,
    pub allow_private_addresses: bool,
}

/// One conditional GET.
#[derive(Debug, Clone, Default)]
pub struct FetchRequest {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A body the server sent.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub body: Vec<u8>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    /// Where the body came from after redirects.
    pub final_url: String,
    /// The new address when every redirect on the way was permanent (301/308).
    pub moved_to: Option<String>,
}

/// Why a fetch gave nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub class: ErrorClass,
    pub status: Option<u16>,
    pub message: String,
}

impl Failure {
    fn new(class: ErrorClass, message: impl Into<String>) -> Failure {
        Failure {
            class,
            status: None,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum FetchOutcome {
    Fetched(Fetched),
    /// 304: the validators still hold.
    NotModified {
        moved_to: Option<String>,
    },
    Failed(Failure),
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("invalid user agent `{0}`")]
    UserAgent(String),
}

pub struct Fetcher {
    client: reqwest::Client,
    config: FetchConfig,
    global: Semaphore,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Fetcher {
    pub fn new(config: FetchConfig) -> Result<Fetcher, FetchError> {
        // One process-wide crypto provider; a second install attempt is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, \
                 application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.5",
            ),
        );
        let mut builder = reqwest::Client::builder()
            .user_agent(
                HeaderValue::from_str(&config.user_agent)
                    .map_err(|_| FetchError::UserAgent(config.user_agent.clone()))?,
            )
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(config.per_host.max(1));
        if !config.allow_private_addresses {
            builder = builder.dns_resolver(Arc::new(guard::GuardedResolver));
        }
        Ok(Fetcher {
            client: builder.build()?,
            global: Semaphore::new(config.concurrency.max(1)),
            hosts: Mutex::new(HashMap::new()),
            config,
        })
    }

    fn host_slots(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(host.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_host.max(1))))
            .clone()
    }

    /// Fetches one URL, conditionally when validators are given. Never panics, never errs:
    /// every way it can go wrong is a [`FetchOutcome::Failed`].
    pub async fn fetch(&self, req: &FetchRequest) -> FetchOutcome {
        let Ok(_slot) = self.global.acquire().await else {
            return FetchOutcome::Failed(Failure::new(
                ErrorClass::Other,
                "fetcher is shutting down",
            ));
        };
        let mut url = match Url::parse(&req.url) {
            Ok(u) => u,
            Err(e) => {
                return FetchOutcome::Failed(Failure::new(
                    ErrorClass::Refused,
                    format!("bad URL {}: {e}", req.url),
                ));
            }
        };
        let mut moved_to: Option<String> = None;
        let mut all_permanent = true;
        for hop in 0..=MAX_REDIRECTS {
            if let Err(msg) = guard::check_url(&url, self.config.allow_private_addresses) {
                return FetchOutcome::Failed(Failure::new(ErrorClass::Refused, msg));
            }
            let host_slots = self.host_slots(&host_key(url.as_str()));
            let Ok(_host_slot) = host_slots.acquire().await else {
                return FetchOutcome::Failed(Failure::new(
                    ErrorClass::Other,
                    "fetcher is shutting down",
                ));
            };
            let mut request = self.client.get(url.clone());
            if let Some(etag) = &req.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &req.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => return FetchOutcome::Failed(classify(&e)),
            };
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let Some(next) = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                else {
                    return FetchOutcome::Failed(Failure {
                        class: ErrorClass::Redirect,
                        status: Some(status.as_u16()),
                        message: format!("HTTP {status} without a usable Location"),
                    });
                };
                if hop == MAX_REDIRECTS {
                    break;
                }
                all_permanent &= matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                if all_permanent {
                    moved_to = Some(next.to_string());
                }
                url = next;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return FetchOutcome::NotModified { moved_to };
            }
            if !status.is_success() {
                return FetchOutcome::Failed(Failure {
                    class: if status.is_server_error() {
                        ErrorClass::Http5xx
                    } else {
                        ErrorClass::Http4xx
                    },
                    status: Some(status.as_u16()),
                    message: format!("HTTP {status}"),
                });
            }
            return match self.read_body(response).await {
                Ok(fetched) => FetchOutcome::Fetched(Fetched {
                    final_url: url.to_string(),
                    moved_to,
                    ..fetched
                }),
                Err(f) => FetchOutcome::Failed(f),
            };
        }
        FetchOutcome::Failed(Failure::new(
            ErrorClass::Redirect,
            format!("more than {MAX_REDIRECTS} redirects (last hop to {url})"),
        ))
    }

    /// Reads the body while counting, so a huge or endless body is cut off at the cap
    /// instead of filling memory. Decompression happens before counting: the cap holds for
    /// what would be parsed, and a gzip bomb stops at the cap too.
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Fetched, Failure> {
        let max = self.config.max_body_bytes;
        let header_str = |h: header::HeaderName| {
            response
                .headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header_str(header::ETAG);
        let last_modified = header_str(header::LAST_MODIFIED);
        let content_type = header_str(header::CONTENT_TYPE);
        let status = response.status().as_u16();
        let too_large = || Failure {
            class: ErrorClass::TooLarge,
            status: Some(status),
            message: format!("body larger than max_body_bytes ({max} bytes)"),
        };
        // Content-Length only counts compressed bytes and may lie; it can refuse early but
        // the count below is what holds.
        if response.headers().get(header::CONTENT_ENCODING).is_none()
            && response.content_length().is_some_and(|n| n > max)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > max {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(Failure {
                        status: Some(status),
                        ..classify(&e)
                    });
                }
            }
        }
        Ok(Fetched {
            status,
            body,
            etag,
            last_modified,
            content_type,
            final_url: String::new(),
            moved_to: None,
        })
    }
}

/// Sorts a transport error into its class by walking its cause chain.
fn classify(err: &reqwest::Error) -> Failure {
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(err);
    let mut refused = None;
    while let Some(e) = source {
        if let Some(r) = e.downcast_ref::<guard::RefusedAddress>() {
            refused = Some(r.to_string());
        }
        if !chain.is_empty() {
            chain.push_str(": ");
        }
        chain.push_str(&e.to_string());
        source = e.source();
    }
    if let Some(msg) = refused {
        return Failure::new(ErrorClass::Refused, msg);
    }
    let lower = chain.to_lowercase();
    let class = if err.is_timeout() || lower.contains("timed out") {
        ErrorClass::Timeout
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        ErrorClass::Dns
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        ErrorClass::Tls
    } else if err.is_connect() {
        ErrorClass::Connect
    } else {
        ErrorClass::Other
    };
    Failure::new(class, chain)
}
