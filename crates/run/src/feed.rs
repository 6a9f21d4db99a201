//! One feed's fetch, read and normalized: what the writer then stores. Never fails: what
//! goes wrong is recorded on the feed's row. The schedule's rules are
//! `dossier_model::schedule`'s; this applies them to what the fetch came to.

use crate::contain::contain;
use crate::document;
use chrono::{DateTime, Utc};
use dossier_fetch::{FetchOutcome, FetchRequest, Fetcher};
use dossier_model::schedule::{
    after_deferral, needs_full_fetch, next_after_failure, next_after_success,
};
use dossier_model::{
    Change, ErrorClass, FeedSpec, FeedState, FeedUpdate, FetchStatus, HostHold, Item, Validators,
};
use dossier_normalize::TopicMatcher;
use sha2::{Digest, Sha256};
use std::sync::Arc;

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

fn done(feed: FeedSpec, update: FeedUpdate, outcome: Outcome) -> FeedResult {
    FeedResult {
        feed,
        update,
        items: Vec::new(),
        outcome,
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
    let mut update = FeedUpdate::new(now);
    let failures_before = state.as_ref().map_or(0, |s| s.consecutive_failures);
    let fail = |mut update: FeedUpdate, class: ErrorClass, status: Option<u16>, message: String| {
        update.fail(class, status, message);
        update.next_due_at = Some(next_after_failure(
            now,
            feed.interval_mins,
            failures_before + 1,
        ));
        update
    };
    let full_fetch = needs_full_fetch(state.as_ref(), now);
    let validators = |f: fn(&FeedState) -> &Option<String>| {
        if full_fetch {
            None
        } else {
            state.as_ref().and_then(|s| f(s).clone())
        }
    };
    let request = FetchRequest {
        url: state
            .as_ref()
            .and_then(|s| s.moved_to.clone())
            .unwrap_or_else(|| feed.url.clone()),
        etag: validators(|s| &s.etag),
        last_modified: validators(|s| &s.last_modified),
        no_redirects: false,
    };
    match fetcher.fetch(&request).await {
        FetchOutcome::NotModified {
            moved_to,
            fresh_for,
        } => {
            update.status = FetchStatus::NotModified;
            update.full_fetch = full_fetch;
            update.moved_to = moved_to;
            update.next_due_at = Some(next_after_success(now, feed.interval_mins, fresh_for));
            done(feed, update, Outcome::NotModified)
        }
        FetchOutcome::Deferred {
            status,
            retry_after,
            requested,
            host,
        } => {
            update.status = FetchStatus::Http(status);
            update.counted = false;
            let (until, next) = after_deferral(now, feed.interval_mins, retry_after, requested);
            update.next_due_at = Some(next);
            if requested {
                // The server said it to this feed's request: the host is held across runs.
                update.hold = Some(HostHold {
                    host,
                    until,
                    status,
                });
            } else {
                // Held before asking: nothing was sent, so the row keeps its last real fetch.
                update.requested = false;
            }
            done(feed, update, Outcome::Deferred)
        }
        FetchOutcome::Failed(f) => {
            let gone = f.status == Some(410);
            let mut update = fail(update, f.class, f.status, f.message);
            if gone {
                update.disable = Some(format!(
                    "gone (HTTP 410) since {}: no longer fetched; fix the URL in the config or remove the feed",
                    now.format("%Y-%m-%d")
                ));
            }
            done(feed, update, Outcome::Failed)
        }
        FetchOutcome::Fetched(body) => {
            update.moved_to = body.moved_to.clone();
            update.final_url = Some(body.final_url.clone());
            update.full_fetch = full_fetch;
            let known_etag = state.as_ref().and_then(|s| s.etag.clone());
            let known_hash = state.as_ref().and_then(|s| s.body_hash.clone());
            let read_feed = feed.clone();
            let parsed = tokio::task::spawn_blocking(move || {
                let hash = hash_hex(&body.body);
                // A 200 that repeats the last body (same bytes, or the same ETag on a
                // conditional request the server ignored) is not read again. The daily
                // full fetch trusts only the bytes: it exists for validators that lie.
                if known_hash.as_deref() == Some(hash.as_str())
                    || (!full_fetch
                        && body.etag.is_some()
                        && body.etag == known_etag
                        && known_hash.is_some())
                {
                    return (Ok(None), body, hash);
                }
                let read = contain(|| {
                    document::read(
                        &read_feed,
                        &body.body,
                        &body.final_url,
                        body.content_type.as_deref(),
                        &matcher,
                        run_started,
                    )
                })
                .unwrap_or_else(|crash| {
                    Err(dossier_model::FetchFailure {
                        class: ErrorClass::Parse,
                        status: None,
                        message: format!("the reader crashed on this document ({crash})"),
                    })
                });
                (read.map(Some), body, hash)
            })
            .await;
            match parsed {
                Ok((Ok(None), body, _)) => {
                    update.status = FetchStatus::NotModified;
                    update.validators = Change::Set(Validators {
                        etag: body.etag,
                        last_modified: body.last_modified,
                    });
                    update.next_due_at =
                        Some(next_after_success(now, feed.interval_mins, body.fresh_for));
                    done(feed, update, Outcome::NotModified)
                }
                Ok((Ok(Some(doc)), body, hash)) => {
                    update.status = FetchStatus::Http(body.status);
                    update.validators = Change::Set(Validators {
                        etag: body.etag,
                        last_modified: body.last_modified,
                    });
                    update.body_hash = Some(hash);
                    update.warning = Change::to(doc.warning);
                    let hint = body.fresh_for.max(doc.ttl);
                    update.next_due_at = Some(next_after_success(now, feed.interval_mins, hint));
                    FeedResult {
                        feed,
                        update,
                        items: doc.items,
                        outcome: Outcome::Fetched,
                    }
                }
                Ok((Err(f), _, _)) => {
                    let update = fail(update, f.class, None, f.message);
                    done(feed, update, Outcome::Failed)
                }
                Err(join) => {
                    let update = fail(
                        update,
                        ErrorClass::Other,
                        None,
                        format!("the reader stopped: {join}"),
                    );
                    done(feed, update, Outcome::Failed)
                }
            }
        }
    }
}
