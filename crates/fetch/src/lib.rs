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
use std::time::{Duration, Instant};
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
    /// Least time between the starts of two requests to one host.
    pub host_gap: Duration,
    /// Retries within one fetch for transient failures (connect, timeout, 5xx).
    pub retries: u32,
    /// Wait before the first retry; each further retry waits twice as long.
    pub retry_wait: Duration,
    /// The longest `Retry-After` waited out within a fetch; a longer one defers the feed.
    pub max_retry_after: Duration,
    /// Names resolved to fixed addresses, bypassing DNS and the address guard (like
    /// curl's `--resolve`); for tests and for pinning a feed host.
    pub resolve: Vec<(String, std::net::SocketAddr)>,
}

impl FetchConfig {
    /// Settings for tests and tools: short timeouts, no gap, no retries.
    pub fn quick(allow_private_addresses: bool) -> FetchConfig {
        FetchConfig {
            concurrency: 8,
            per_host: 2,
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            max_body_bytes: 5_000_000,
            user_agent: concat!("dossier/", env!("CARGO_PKG_VERSION")).into(),
            allow_private_addresses,
            host_gap: Duration::ZERO,
            retries: 0,
            retry_wait: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(10),
            resolve: Vec::new(),
        }
    }
}

/// One conditional GET.
#[derive(Debug, Clone, Default)]
pub struct FetchRequest {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Treat a redirect as a failure instead of following it (feed discovery probes
    /// well-known paths and wants only what is really there).
    pub no_redirects: bool,
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
    /// The new address: the target of the leading run of permanent redirects (301/308).
    pub moved_to: Option<String>,
    /// How long the server says the response stays fresh (`Cache-Control: max-age`,
    /// else `Expires`).
    pub fresh_for: Option<Duration>,
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
        fresh_for: Option<Duration>,
    },
    /// The server asked for patience (429, or 503 with `Retry-After`) for longer than a run
    /// waits: back-pressure, not a failure. Come back after `retry_after`.
    Deferred {
        status: u16,
        retry_after: Duration,
        /// Whether this fetch sent a request and heard the answer itself; `false` when
        /// the host was already held (by an earlier answer, in this run or a past one)
        /// and nothing was sent.
        requested: bool,
        /// The host (`host:port`) that is held: the feed's, or the one a redirect led to.
        host: String,
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

/// Politeness state of one `host:port`.
struct Host {
    /// Requests in flight (`per_host`).
    slots: Semaphore,
    /// When the next request may start: the gap after the last start, or a `Retry-After`.
    next_start: Mutex<Instant>,
    /// Until when the server asked us to wait (`Retry-After`).
    retry_hold: Mutex<Option<Instant>>,
    /// The status of the last `Retry-After` hold (429 or 503), for deferrals it causes.
    held_by: std::sync::atomic::AtomicU16,
}

pub struct Fetcher {
    client: reqwest::Client,
    config: FetchConfig,
    global: Semaphore,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

/// What one attempt came to, before retries are decided.
enum Attempt {
    Done(FetchOutcome),
    /// Worth another try after the wait (at least), e.g. a 5xx or a timeout.
    Transient(Failure),
    /// The server named its wait: a 429, or a 503 with `Retry-After`.
    RetryAfter {
        status: u16,
        wait: Duration,
        host: String,
    },
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
        for (name, addr) in &config.resolve {
            builder = builder.resolve(name, *addr);
        }
        Ok(Fetcher {
            client: builder.build()?,
            global: Semaphore::new(config.concurrency.max(1)),
            hosts: Mutex::new(HashMap::new()),
            config,
        })
    }

    fn host(&self, key: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(key.to_string())
            .or_insert_with(|| {
                Arc::new(Host {
                    slots: Semaphore::new(self.config.per_host.max(1)),
                    next_start: Mutex::new(Instant::now()),
                    retry_hold: Mutex::new(None),
                    held_by: std::sync::atomic::AtomicU16::new(429),
                })
            })
            .clone()
    }

    /// Waits for this host's turn: its gap since the last request, or its `Retry-After`.
    /// A host held for longer than a run waits is not waited for: `Err` gives the time
    /// left, and the fetch is deferred without a request.
    async fn host_turn(&self, host: &Host) -> Result<(), Duration> {
        let wait = {
            let now = Instant::now();
            // A server's Retry-After: waited out when short, a deferral when long.
            let hold = *host.retry_hold.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(until) = hold.filter(|u| *u > now)
                && until - now > self.config.max_retry_after
            {
                return Err(until - now);
            }
            // Our own gap between requests: always waited, however long it is set.
            let mut next = host.next_start.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(now).max(hold.unwrap_or(now));
            *next = start + self.config.host_gap;
            start - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Holds `host` (`host:port`, as [`dossier_model::host_key`] makes it) for `wait` from
    /// now, as if its server had just answered `status` with that `Retry-After`: how a
    /// hold heard by an earlier run is carried into this one. No jitter: the time is the
    /// server's, already spread when it was first heard.
    pub fn hold(&self, host: &str, wait: Duration, status: u16) {
        let host = self.host(host);
        host.held_by
            .store(status, std::sync::atomic::Ordering::Relaxed);
        let until = Instant::now() + wait;
        let mut hold = host.retry_hold.lock().unwrap_or_else(|p| p.into_inner());
        *hold = Some(hold.map_or(until, |h| h.max(until)));
    }

    /// Pushes the host's next start out by a server-requested wait, with up to 10% jitter so
    /// that fetchers told the same time do not all return at once.
    fn hold_host(&self, host: &Host, wait: Duration, status: u16) {
        host.held_by
            .store(status, std::sync::atomic::Ordering::Relaxed);
        let jitter = wait.mul_f64(fastrand::f64() * 0.1);
        let until = Instant::now() + wait + jitter;
        let mut hold = host.retry_hold.lock().unwrap_or_else(|p| p.into_inner());
        *hold = Some(hold.map_or(until, |h| h.max(until)));
    }

    /// Fetches one URL, conditionally when validators are given. Never panics, never errs:
    /// every way it can go wrong is a value. Transient failures are retried a few times
    /// with growing waits; a `Retry-After` is honoured for the host (short ones waited out,
    /// long ones turned into [`FetchOutcome::Deferred`]).
    pub async fn fetch(&self, req: &FetchRequest) -> FetchOutcome {
        let Ok(_slot) = self.global.acquire().await else {
            return FetchOutcome::Failed(Failure::new(
                ErrorClass::Other,
                "fetcher is shutting down",
            ));
        };
        let mut retries_left = self.config.retries;
        let mut wait = self.config.retry_wait;
        loop {
            match self.attempt(req).await {
                Attempt::Done(outcome) => return outcome,
                Attempt::Transient(failure) => {
                    if retries_left == 0 {
                        return FetchOutcome::Failed(failure);
                    }
                    tracing::debug!(url = %req.url, class = failure.class.as_str(), ?wait, "retrying");
                    retries_left -= 1;
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Attempt::RetryAfter {
                    status,
                    wait: asked,
                    host,
                } => {
                    if retries_left == 0 || asked > self.config.max_retry_after {
                        return FetchOutcome::Deferred {
                            status,
                            retry_after: asked,
                            requested: true,
                            host,
                        };
                    }
                    tracing::debug!(url = %req.url, status, ?asked, "waiting out Retry-After");
                    retries_left -= 1;
                    // The host's next start was pushed out; the next attempt waits for it.
                }
            }
        }
    }

    async fn attempt(&self, req: &FetchRequest) -> Attempt {
        let mut url = match Url::parse(&req.url) {
            Ok(u) => u,
            Err(e) => {
                return Attempt::Done(FetchOutcome::Failed(Failure::new(
                    ErrorClass::Refused,
                    format!("bad URL {}: {e}", req.url),
                )));
            }
        };
        let mut moved_to: Option<String> = None;
        let mut all_permanent = true;
        for hop in 0..=MAX_REDIRECTS {
            if let Err(msg) = guard::check_url(&url, self.config.allow_private_addresses) {
                return Attempt::Done(FetchOutcome::Failed(Failure::new(ErrorClass::Refused, msg)));
            }
            let key = host_key(url.as_str());
            let host = self.host(&key);
            let Ok(_host_slot) = host.slots.acquire().await else {
                return Attempt::Done(FetchOutcome::Failed(Failure::new(
                    ErrorClass::Other,
                    "fetcher is shutting down",
                )));
            };
            if let Err(left) = self.host_turn(&host).await {
                let status = host.held_by.load(std::sync::atomic::Ordering::Relaxed);
                return Attempt::Done(FetchOutcome::Deferred {
                    status,
                    retry_after: left,
                    requested: false,
                    host: key,
                });
            }
            let mut request = self.client.get(url.clone());
            if let Some(etag) = &req.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &req.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    let failure = classify(&e);
                    return match failure.class {
                        ErrorClass::Connect | ErrorClass::Timeout | ErrorClass::Other => {
                            Attempt::Transient(failure)
                        }
                        _ => Attempt::Done(FetchOutcome::Failed(failure)),
                    };
                }
            };
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS
                || (status == StatusCode::SERVICE_UNAVAILABLE
                    && response.headers().contains_key(header::RETRY_AFTER))
            {
                let wait = retry_after(response.headers()).unwrap_or(Duration::from_secs(60));
                self.hold_host(&host, wait, status.as_u16());
                return Attempt::RetryAfter {
                    status: status.as_u16(),
                    wait,
                    host: key,
                };
            }
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED && req.no_redirects {
                return Attempt::Done(FetchOutcome::Failed(Failure {
                    class: ErrorClass::Redirect,
                    status: Some(status.as_u16()),
                    message: format!("HTTP {status} (redirects not followed here)"),
                }));
            }
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let Some(next) = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                else {
                    return Attempt::Done(FetchOutcome::Failed(Failure {
                        class: ErrorClass::Redirect,
                        status: Some(status.as_u16()),
                        message: format!("HTTP {status} without a usable Location"),
                    }));
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
                return Attempt::Done(FetchOutcome::NotModified {
                    moved_to,
                    fresh_for: fresh_for(response.headers()),
                });
            }
            if !status.is_success() {
                let failure = Failure {
                    class: if status.is_server_error() {
                        ErrorClass::Http5xx
                    } else {
                        ErrorClass::Http4xx
                    },
                    status: Some(status.as_u16()),
                    message: format!("HTTP {status}"),
                };
                return if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
                    Attempt::Transient(failure)
                } else {
                    Attempt::Done(FetchOutcome::Failed(failure))
                };
            }
            return match self.read_body(response).await {
                Ok(fetched) => Attempt::Done(FetchOutcome::Fetched(Fetched {
                    final_url: url.to_string(),
                    moved_to,
                    ..fetched
                })),
                Err(f) if matches!(f.class, ErrorClass::Timeout | ErrorClass::Other) => {
                    Attempt::Transient(f)
                }
                Err(f) => Attempt::Done(FetchOutcome::Failed(f)),
            };
        }
        Attempt::Done(FetchOutcome::Failed(Failure::new(
            ErrorClass::Redirect,
            format!("more than {MAX_REDIRECTS} redirects (last hop to {url})"),
        )))
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
        let fresh = fresh_for(response.headers());
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
            fresh_for: fresh,
        })
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// How long a response stays fresh: `Cache-Control: max-age` (or `s-maxage`), else
/// `Expires` against the server's `Date` (or our clock).
pub fn fresh_for(headers: &HeaderMap) -> Option<Duration> {
    if let Some(cc) = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
    {
        let max_age = cc.split(',').find_map(|d| {
            let (k, v) = d.trim().split_once('=')?;
            matches!(
                k.trim().to_ascii_lowercase().as_str(),
                "max-age" | "s-maxage"
            )
            .then(|| v.trim().trim_matches('"').parse::<u64>().ok())
            .flatten()
        });
        if let Some(secs) = max_age {
            return Some(Duration::from_secs(secs));
        }
    }
    let date = |h| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
    };
    let expires = date(header::EXPIRES)?;
    let now = date(header::DATE).unwrap_or_else(std::time::SystemTime::now);
    expires.duration_since(now).ok()
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
