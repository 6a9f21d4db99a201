//! What a run is configured with, once the config file is read and validated (the
//! binary's `config` module does that, with every problem's file, line and key).

use dossier_fetch::FetchConfig;
use dossier_model::{FeedSpec, TopicSpec};
use dossier_store::Location;
use std::path::PathBuf;

/// `[fetch]`, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchSettings {
    pub concurrency: usize,
    pub per_host: usize,
    pub timeout_secs: u64,
    pub max_body_bytes: u64,
    pub user_agent: String,
    pub interval_mins: u32,
    pub article_pages: bool,
    pub allow_private_addresses: bool,
    /// Least time between two requests to one host (extension).
    pub per_host_gap_ms: u64,
    /// Retries within a run for transient failures (extension).
    pub retries: u32,
    /// How long a run's claim on a host lasts without renewal, on a store shared by runs
    /// on several machines: a killed run's hosts are fetched again after this (extension).
    pub lease_secs: u64,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            concurrency: 16,
            per_host: 2,
            timeout_secs: 20,
            max_body_bytes: 5_000_000,
            user_agent: format!(
                "dossier/{} (feed ingestion; +https://example.org/bot)",
                env!("CARGO_PKG_VERSION")
            ),
            interval_mins: 30,
            article_pages: true,
            allow_private_addresses: false,
            per_host_gap_ms: 250,
            retries: 2,
            lease_secs: 60,
        }
    }
}

impl From<&FetchSettings> for FetchConfig {
    fn from(s: &FetchSettings) -> FetchConfig {
        FetchConfig {
            concurrency: s.concurrency,
            per_host: s.per_host,
            timeout: std::time::Duration::from_secs(s.timeout_secs),
            // Connecting alone gets at most ten seconds of the request's time.
            connect_timeout: std::time::Duration::from_secs(s.timeout_secs.min(10)),
            max_body_bytes: s.max_body_bytes,
            user_agent: s.user_agent.clone(),
            allow_private_addresses: s.allow_private_addresses,
            host_gap: std::time::Duration::from_millis(s.per_host_gap_ms),
            retries: s.retries,
            retry_wait: std::time::Duration::from_secs(1),
            // A longer Retry-After defers the feed instead of being waited out.
            max_retry_after: std::time::Duration::from_secs(30),
            resolve: Vec::new(),
        }
    }
}

/// A validated config.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    /// Where the store is: `[store] path` (a SQLite file), `[store] url` (PostgreSQL), or
    /// `DOSSIER_STORE_URL` over both.
    pub store: Location,
    pub fetch: FetchSettings,
    pub topics: Vec<TopicSpec>,
    pub feeds: Vec<FeedSpec>,
}
