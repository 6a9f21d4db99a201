//! The single writer: it owns the store for the fetching part of a run, fed by a bounded
//! channel, so a slow disk slows the fetchers instead of piling results up in memory.
//!
//! Feeds are stored in batches: whatever finished while the last batch was written goes in
//! one transaction (one commit, one full-text index flush); a feed the store refuses sends
//! the batch back one feed per transaction, so each feed is whole or not at all.
//! Network-level failures wait for the end of the run: if nearly every feed failed that
//! way, the outage is ours and they are not held against the feeds.

use crate::feed::{FeedResult, Outcome};
use crate::{Error, FeedFailure, Observer};
use chrono::{DateTime, Utc};
use dossier_model::RunStats;
use dossier_model::schedule::is_outage;
use dossier_store::{FetchRecord, IngestStore};
use std::sync::Arc;

/// What the writer hands back when the fetches are done.
pub struct Written<S> {
    pub store: S,
    pub stats: RunStats,
    pub failures: Vec<FeedFailure>,
    pub outage: bool,
}

fn failure_of(r: &FeedResult) -> FeedFailure {
    let f = r.update.failure.as_ref();
    FeedFailure {
        name: r.feed.name.clone(),
        url: r.feed.url.clone(),
        class: f.map(|f| f.class),
        message: f.map(|f| f.message.clone()).unwrap_or_default(),
    }
}

fn record<S: IngestStore>(
    store: &mut S,
    batch: &[FeedResult],
    stats: &mut RunStats,
    seen_at: DateTime<Utc>,
    observer: &dyn Observer,
) -> Result<(), Error> {
    let records: Vec<FetchRecord<'_>> = batch
        .iter()
        .map(|r| FetchRecord {
            feed_key: &r.feed.key,
            update: &r.update,
            items: &r.items,
        })
        .collect();
    let results = store.record_fetches(&records, seen_at)?;
    for (r, counts) in batch.iter().zip(results) {
        let counts = counts.map_err(|source| Error::Feed {
            feed: r.feed.name.clone(),
            source,
        })?;
        stats.items_new += counts.new;
        stats.items_duplicate += counts.duplicate;
        match r.outcome {
            Outcome::Fetched => stats.fetched += 1,
            Outcome::NotModified => stats.not_modified += 1,
            Outcome::Deferred => stats.deferred += 1,
            Outcome::Failed => stats.failed += 1,
        }
        observer.feed_stored(&r.feed, &r.update, counts);
    }
    Ok(())
}

/// Stores every result the channel brings until it closes; then the network failures,
/// judged against the run as a whole.
pub fn write<S: IngestStore>(
    mut store: S,
    mut rx: tokio::sync::mpsc::Receiver<FeedResult>,
    total: usize,
    seen_at: DateTime<Utc>,
    observer: Arc<dyn Observer>,
) -> Result<Written<S>, Error> {
    let mut stats = RunStats {
        feeds: total as u64,
        ..RunStats::default()
    };
    let mut failures = Vec::new();
    let mut network_failed: Vec<FeedResult> = Vec::new();
    let mut done = 0;
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        // The channel is bounded, so is the batch.
        while let Ok(r) = rx.try_recv() {
            batch.push(r);
        }
        done += batch.len();
        let (network, batch): (Vec<FeedResult>, Vec<FeedResult>) =
            batch.into_iter().partition(FeedResult::is_network_failure);
        network_failed.extend(network);
        if !batch.is_empty() {
            record(&mut store, &batch, &mut stats, seen_at, observer.as_ref())?;
            failures.extend(
                batch
                    .iter()
                    .filter(|r| r.outcome == Outcome::Failed)
                    .map(failure_of),
            );
        }
        observer.progress(done, total, stats.items_new);
    }
    let outage = is_outage(network_failed.len(), done);
    for r in network_failed.iter_mut().filter(|_| outage) {
        r.update.counted = false;
        r.update.next_due_at = None;
    }
    if !network_failed.is_empty() {
        record(
            &mut store,
            &network_failed,
            &mut stats,
            seen_at,
            observer.as_ref(),
        )?;
        failures.extend(network_failed.iter().map(failure_of));
    }
    observer.done();
    Ok(Written {
        store,
        stats,
        failures,
        outage,
    })
}
