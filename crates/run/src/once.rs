//! Fetching outside a run: `parse URL`, `inspect URL…` and `feeds discover URL` fetch a
//! page or a feed once, politely (the config's `[fetch]` settings, SSRF guard included),
//! and want its bytes or one line saying why not.

use crate::FetchSettings;
use dossier_fetch::{FetchOutcome, FetchRequest, Fetched, Fetcher};

/// A fetcher and the runtime it needs, for fetches one at a time.
pub struct OneShot {
    runtime: tokio::runtime::Runtime,
    fetcher: Fetcher,
}

/// Whether `source` names something to fetch rather than a file.
pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

impl OneShot {
    pub fn new(settings: &FetchSettings) -> Result<OneShot, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let fetcher = Fetcher::new(settings.into()).map_err(|e| e.to_string())?;
        Ok(OneShot { runtime, fetcher })
    }

    /// Fetches `url` without validators; `Err` says why there is no body, in one line
    /// (`http_4xx: HTTP 404 Not Found`, `HTTP 429: the server asks to retry after 3600 s`).
    pub fn get(&self, url: &str, no_redirects: bool) -> Result<Fetched, String> {
        let request = FetchRequest {
            url: url.to_string(),
            no_redirects,
            ..Default::default()
        };
        match self.runtime.block_on(self.fetcher.fetch(&request)) {
            FetchOutcome::Fetched(f) => Ok(f),
            FetchOutcome::Failed(f) => Err(format!("{}: {}", f.class.as_str(), f.message)),
            FetchOutcome::NotModified { .. } => {
                Err("answered 304 to an unconditional request".into())
            }
            FetchOutcome::Deferred {
                status,
                retry_after,
                ..
            } => Err(format!(
                "HTTP {status}: the server asks to retry after {} s",
                retry_after.as_secs()
            )),
        }
    }
}
