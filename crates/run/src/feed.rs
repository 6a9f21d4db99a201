//! One feed's fetch, read and normalized: what the writer then stores. Never fails: what
//! goes wrong is recorded on the feed's row. The schedule's rules are
//! `dossier_model::schedule`'s; this applies them to what the fetch came to.

use crate::contain::contain;
use crate::document;
use chrono::{DateTime, Utc};
use dossier_fetch::{FetchOutcome, FetchRequest, Fetched, Fetcher};
use dossier_model::schedule::{
    after_deferral, needs_full_fetch, next_after_failure, next_after_success,
};
use dossier_model::{
    Change, ErrorClass, FeedSpec, FeedState, FeedUpdate, FetchFailure, FetchStatus, HostHold, Item,
    Validators,
};
use dossier_normalize::TopicMatcher;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// How a feed's fetch counts in the run's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Fetched,
    NotModified,
    Deferred,
    Failed,
}

/// What one feed's fetch came to, on its way to the writer.
pub struct FeedResult {
    pub feed: FeedSpec,
    pub update: FeedUpdate,
    pub items: Vec<Item>,
    pub outcome: Outcome,
}

impl FeedResult {
    /// A failure of the network path (DNS, connect, timeout): ours, perhaps, not the feed's.
    pub fn is_network_failure(&self) -> bool {
        self.outcome == Outcome::Failed
            && self
                .update
                .failure
                .as_ref()
                .is_some_and(|f| f.class.is_network())
    }
}

fn hash_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One feed's fetch in progress: what every outcome's handling needs.
struct Attempt {
    feed: FeedSpec,
    update: FeedUpdate,
    /// The fetch's own time: it stamps the row and the schedule.
    now: DateTime<Utc>,
    failures_before: u32,
    full_fetch: bool,
}

impl Attempt {
    fn done(self, outcome: Outcome) -> FeedResult {
        self.done_with(Vec::new(), outcome)
    }

    fn done_with(self, items: Vec<Item>, outcome: Outcome) -> FeedResult {
        FeedResult {
            feed: self.feed,
            update: self.update,
            items,
            outcome,
        }
    }

    /// A successful fetch is due again after the feed's interval, or the server's hint.
    fn succeeded(&mut self, hint: Option<Duration>) {
        let next = next_after_success(self.now, self.feed.interval_mins, hint);
        self.update.next_due_at = Some(next);
    }

    /// A failure is recorded and backs the feed off.
    fn failed(mut self, class: ErrorClass, status: Option<u16>, message: String) -> FeedResult {
        self.update.fail(class, status, message);
        let next = next_after_failure(self.now, self.feed.interval_mins, self.failures_before + 1);
        self.update.next_due_at = Some(next);
        if status == Some(410) {
            self.update.disable = Some(format!(
                "gone (HTTP 410) since {}: no longer fetched; fix the URL in the config or remove the feed",
                self.now.format("%Y-%m-%d")
            ));
        }
        self.done(Outcome::Failed)
    }

    fn deferred(
        mut self,
        status: u16,
        retry_after: Duration,
        requested: bool,
        host: String,
    ) -> FeedResult {
        self.update.status = FetchStatus::Http(status);
        self.update.counted = false;
        let (until, next) =
            after_deferral(self.now, self.feed.interval_mins, retry_after, requested);
        self.update.next_due_at = Some(next);
        if requested {
            // The server said it to this feed's request: the host is held across runs.
            self.update.hold = Some(HostHold {
                host,
                until,
                status,
            });
        } else {
            // Held before asking: nothing was sent, so the row keeps its last real fetch.
            self.update.requested = false;
        }
        self.done(Outcome::Deferred)
    }

    /// A body arrived: read it off the async reactor, unless it repeats the last one.
    async fn fetched(
        mut self,
        body: Fetched,
        state: Option<&FeedState>,
        matcher: Arc<TopicMatcher>,
        run_started: DateTime<Utc>,
    ) -> FeedResult {
        self.update.moved_to = body.moved_to.clone();
        self.update.final_url = Some(body.final_url.clone());
        self.update.full_fetch = self.full_fetch;
        let known_etag = state.and_then(|s| s.etag.clone());
        let known_hash = state.and_then(|s| s.body_hash.clone());
        let full_fetch = self.full_fetch;
        let feed = self.feed.clone();
        let parsed = tokio::task::spawn_blocking(move || {
            let hash = hash_hex(&body.body);
            // A 200 that repeats the last body (same bytes, or the same ETag on a
            // conditional request the server ignored) is not read again. The daily full
            // fetch trusts only the bytes: it exists for validators that lie.
            let same_etag = !full_fetch && body.etag.is_some() && body.etag == known_etag;
            if known_hash.as_deref() == Some(hash.as_str()) || (same_etag && known_hash.is_some()) {
                return (Ok(None), body, hash);
            }
            let read = contain(|| {
                let content_type = body.content_type.as_deref();
                document::read(
                    &feed,
                    &body.body,
                    &body.final_url,
                    content_type,
                    &matcher,
                    run_started,
                )
            })
            .unwrap_or_else(|crash| {
                Err(FetchFailure {
                    class: ErrorClass::Parse,
                    status: None,
                    message: format!("the reader crashed on this document ({crash})"),
                })
            });
            (read.map(Some), body, hash)
        })
        .await;
        let (read, body, hash) = match parsed {
            Ok(parsed) => parsed,
            Err(join) => {
                let message = format!("the reader stopped: {join}");
                return self.failed(ErrorClass::Other, None, message);
            }
        };
        let validators = Validators {
            etag: body.etag,
            last_modified: body.last_modified,
        };
        match read {
            Ok(None) => {
                self.update.status = FetchStatus::NotModified;
                self.update.validators = Change::Set(validators);
                self.succeeded(body.fresh_for);
                self.done(Outcome::NotModified)
            }
            Ok(Some(doc)) => {
                self.update.status = FetchStatus::Http(body.status);
                self.update.validators = Change::Set(validators);
                self.update.body_hash = Some(hash);
                self.update.warning = Change::to(doc.warning);
                self.succeeded(body.fresh_for.max(doc.ttl));
                self.done_with(doc.items, Outcome::Fetched)
            }
            Err(f) => self.failed(f.class, None, f.message),
        }
    }
}

/// Fetches, reads and normalizes one feed.
pub async fn process(
    fetcher: Arc<Fetcher>,
    matcher: Arc<TopicMatcher>,
    feed: FeedSpec,
    state: Option<FeedState>,
    run_started: DateTime<Utc>,
) -> FeedResult {
    // The fetch's own time stamps the row and the schedule; the normalizer judges dates by
    // the run's start, as the store stamps the run's items.
    let now = Utc::now();
    let full_fetch = needs_full_fetch(state.as_ref(), now);
    let validator = |f: fn(&FeedState) -> &Option<String>| {
        (!full_fetch)
            .then(|| state.as_ref().and_then(|s| f(s).clone()))
            .flatten()
    };
    let request = FetchRequest {
        url: state
            .as_ref()
            .and_then(|s| s.moved_to.clone())
            .unwrap_or_else(|| feed.url.clone()),
        etag: validator(|s| &s.etag),
        last_modified: validator(|s| &s.last_modified),
        no_redirects: false,
    };
    let mut attempt = Attempt {
        feed,
        update: FeedUpdate::new(now),
        now,
        failures_before: state.as_ref().map_or(0, |s| s.consecutive_failures),
        full_fetch,
    };
    match fetcher.fetch(&request).await {
        FetchOutcome::NotModified {
            moved_to,
            fresh_for,
        } => {
            attempt.update.status = FetchStatus::NotModified;
            attempt.update.full_fetch = full_fetch;
            attempt.update.moved_to = moved_to;
            attempt.succeeded(fresh_for);
            attempt.done(Outcome::NotModified)
        }
        FetchOutcome::Deferred {
            status,
            retry_after,
            requested,
            host,
        } => attempt.deferred(status, retry_after, requested, host),
        FetchOutcome::Failed(f) => attempt.failed(f.class, f.status, f.message),
        FetchOutcome::Fetched(body) => {
            attempt
                .fetched(body, state.as_ref(), matcher, run_started)
                .await
        }
    }
}
