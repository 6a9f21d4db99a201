//! One ingestion run, as a library: the binary, the benchmarks and the server call it.
//!
//! Straight through, miniflux's `RefreshFeed` shape for a whole feed list: sync the config
//! → pick the due feeds → fetch (async, bounded, polite; [`feed`]) → read and normalize
//! (blocking pool; [`document`]) → store (one writer thread; [`writer`]) → the passes after
//! the fetches (re-matching, near-duplicates; [`passes`]) → article pages ([`pages`]) →
//! the run's record. A failing feed is recorded and counted; only a store failure stops
//! the run, with the operation it failed in. The store is any [`IngestStore`]; the run
//! takes it and hands it back.
//!
//! What the run tells a person on the way (a line per feed, a progress bar) goes through
//! an [`Observer`], so the library never decides how a terminal looks.

pub mod contain;
pub mod document;
mod feed;
pub mod lock;
pub mod once;
mod pages;
mod passes;
mod settings;
mod shared;
mod writer;

pub use crate::settings::{Config, FetchSettings};

use chrono::{DateTime, Utc};
use dossier_fetch::Fetcher;
use dossier_model::schedule::is_due;
use dossier_model::{ErrorClass, FeedSpec, FeedState, FeedUpdate, RunStats};
use dossier_normalize::TopicMatcher;
use dossier_store::{IngestCounts, IngestStore, RunStatus, StoreError};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `run --feed NAME` named no configured feed: nothing was fetched.
    #[error("no feed named `{name}` in {config}")]
    UnknownFeed { name: String, config: String },
    #[error("the run stopped; every feed stored before the error is kept: {0}")]
    Store(#[from] StoreError),
    #[error("the run stopped storing feed `{feed}`; every feed stored before it is kept: {source}")]
    Feed {
        feed: String,
        #[source]
        source: StoreError,
    },
    #[error("cannot build the fetcher: {0}")]
    Fetcher(#[from] dossier_fetch::FetchError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("the store writer crashed")]
    WriterCrashed,
}

/// What the run is asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Every feed, due or not (not those gone for good).
    pub all: bool,
    /// Only these feeds (names, topic-feed labels or URLs), due or not.
    pub feeds: Vec<String>,
    /// Stop fetching after this long; what is stored stays, the rest stays due.
    pub deadline: Option<std::time::Duration>,
}

/// A failed feed, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedFailure {
    pub name: String,
    pub url: String,
    pub class: Option<ErrorClass>,
    pub message: String,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub stats: RunStats,
    pub seconds: f64,
    pub failures: Vec<FeedFailure>,
    /// Nearly every feed failed at the network level: our outage, not theirs.
    pub outage: bool,
}

impl RunReport {
    /// Every due feed failed (or the network is down): the run failed.
    pub fn all_failed(&self) -> bool {
        self.outage || (self.stats.feeds > 0 && self.stats.failed == self.stats.feeds)
    }
}

/// Who is told what the run does as it goes. Every method has a quiet default.
pub trait Observer: Send + Sync {
    /// A feed's fetch was stored.
    fn feed_stored(&self, _feed: &FeedSpec, _update: &FeedUpdate, _counts: IngestCounts) {}
    /// `done` of `total` feeds are stored, `items` new items in all.
    fn progress(&self, _done: usize, _total: usize, _items: u64) {}
    /// The fetching part is over.
    fn done(&self) {}
}

/// An observer that hears nothing.
pub struct Quiet;
impl Observer for Quiet {}

/// The feeds this run fetches: the named ones (even if disabled), all, or those due.
fn select_feeds(
    cfg: &Config,
    opts: &RunOptions,
    states: &std::collections::HashMap<String, dossier_model::FeedState>,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<FeedSpec>, Error> {
    if !opts.feeds.is_empty() {
        let mut picked = Vec::new();
        let mut seen = HashSet::new();
        for name in &opts.feeds {
            let matching: Vec<_> = cfg
                .feeds
                .iter()
                .filter(|f| &f.name == name || &f.url == name)
                .collect();
            if matching.is_empty() {
                return Err(Error::UnknownFeed {
                    name: name.clone(),
                    config: cfg.path.display().to_string(),
                });
            }
            picked.extend(
                matching
                    .into_iter()
                    .filter(|f| seen.insert(f.key.clone()))
                    .cloned(),
            );
        }
        return Ok(picked);
    }
    Ok(cfg
        .feeds
        .iter()
        .filter(|f| is_due(states.get(&f.key), now, opts.all))
        .cloned()
        .collect())
}

/// One ingestion pass over `store`, which it hands back with the report.
pub fn run<S: IngestStore + 'static>(
    mut store: S,
    cfg: &Config,
    opts: &RunOptions,
    observer: Arc<dyn Observer>,
) -> Result<(RunReport, S), Error> {
    let started = Instant::now();
    store.sync_config(&cfg.feeds, &cfg.topics)?;
    let states = store.feed_states()?;
    let now = Utc::now();
    // Before the fetches, not after: what this run stores is matched by today's rules
    // already, so only what earlier runs stored is matched again (on a new store, nothing).
    passes::rematch_changed_topics(&mut store, &cfg.feeds, &cfg.topics, now)?;
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        feeds = states.len(),
        "config synced, feed states read, changed topics matched again"
    );
    let selected = select_feeds(cfg, opts, &states, now)?;
    let run_id = store.begin_run(now)?;
    let fetcher = Arc::new(Fetcher::new((&cfg.fetch).into())?);
    // A server's Retry-After outlasts the run that heard it.
    for hold in store.active_holds(now)? {
        if let Ok(left) = (hold.until - now).to_std() {
            fetcher.hold(&hold.host, left, hold.status);
        }
    }
    let matcher = Arc::new(TopicMatcher::new(&cfg.topics));
    let total = selected.len();
    // Runs on several machines share a PostgreSQL store: this one fetches the hosts it
    // claims. On SQLite (one run at a time, behind the lock) it takes every due feed.
    let lease = std::time::Duration::from_secs(cfg.fetch.lease_secs);
    let leases = store.leases(lease)?;

    let (tx, rx) = tokio::sync::mpsc::channel::<feed::FeedResult>(32);
    let writer_observer = observer.clone();
    let writer = std::thread::spawn(move || writer::write(store, rx, total, now, writer_observer));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let fetched = match leases {
        None => {
            let feeds = Feeds {
                selected,
                states: &states,
                fetcher: &fetcher,
                matcher: &matcher,
                started: now,
            };
            let sent = runtime.block_on(feeds.fetch(tx, cfg.fetch.concurrency, opts.deadline));
            Ok(shared::Fetched {
                sent,
                handed_out: total as u64,
                leases: None,
            })
        }
        Some(leases) => {
            let named = (opts.all || !opts.feeds.is_empty())
                .then(|| selected.iter().map(|f| f.key.clone()).collect());
            let pass = shared::Shared {
                leases,
                specs: cfg
                    .feeds
                    .iter()
                    .map(|f| (f.key.clone(), f.clone()))
                    .collect(),
                named,
                fetcher: &fetcher,
                matcher: &matcher,
                started: now,
                concurrency: cfg.fetch.concurrency,
                lease,
            };
            pass.fetch(&runtime, tx, opts.deadline)
        }
    };
    // The writer must finish (and say why it stopped) before a claim error is told.
    let written = writer.join().map_err(|_| Error::WriterCrashed)??;
    finish(FinishArgs {
        written,
        fetched: fetched?,
        cfg,
        opts,
        run_id,
        fetcher: &fetcher,
        runtime,
        started,
    })
}

/// What the end of a run needs.
struct FinishArgs<'a, S> {
    written: writer::Written<S>,
    fetched: shared::Fetched,
    cfg: &'a Config,
    opts: &'a RunOptions,
    run_id: dossier_store::RunId,
    fetcher: &'a Arc<Fetcher>,
    runtime: tokio::runtime::Runtime,
    started: Instant,
}

/// The passes after the fetches, then the run's record.
fn finish<S: IngestStore>(a: FinishArgs<'_, S>) -> Result<(RunReport, S), Error> {
    let FinishArgs {
        written,
        fetched,
        cfg,
        opts,
        run_id,
        fetcher,
        runtime,
        started,
    } = a;
    if let Some(mut leases) = fetched.leases {
        // Hosts whose feeds a deadline kept from being fetched go back to the other runs.
        leases.release_all()?;
    }
    let (mut store, mut stats) = (written.store, written.stats);
    stats.feeds = fetched.handed_out;
    stats.not_fetched = fetched.handed_out.saturating_sub(fetched.sent);
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        "feeds fetched and stored"
    );
    if stats.items_new > 0 {
        let at = Instant::now();
        let marked = passes::mark_near_duplicates(&mut store, run_id)?;
        tracing::debug!(
            marked,
            seconds = at.elapsed().as_secs_f64(),
            "near-duplicate pass"
        );
    }
    if cfg.fetch.article_pages && !written.outage {
        let left = opts.deadline.map(|d| d.saturating_sub(started.elapsed()));
        if left.is_none_or(|l| !l.is_zero()) {
            stats.dated_from_pages =
                pages::read(&runtime, &mut store, fetcher, cfg.fetch.concurrency, left)?;
        }
    }
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    let report = RunReport {
        stats,
        seconds: started.elapsed().as_secs_f64(),
        failures: written.failures,
        outage: written.outage,
    };
    let status = if report.all_failed() {
        RunStatus::Failed
    } else {
        RunStatus::Done
    };
    store.finish_run(run_id, &report.stats, status, Utc::now())?;
    Ok((report, store))
}

/// The run's fetching pass: the feeds it fetches and what each fetch needs.
struct Feeds<'a> {
    selected: Vec<FeedSpec>,
    states: &'a HashMap<String, FeedState>,
    fetcher: &'a Arc<Fetcher>,
    matcher: &'a Arc<TopicMatcher>,
    started: DateTime<Utc>,
}

impl Feeds<'_> {
    /// Fetches, reads and normalizes the feeds, `concurrency` at once, and sends each
    /// result to the writer as it finishes; returns how many were sent. Past the
    /// deadline the fetches still in flight are dropped: their feeds stay due.
    async fn fetch(
        self,
        tx: tokio::sync::mpsc::Sender<feed::FeedResult>,
        concurrency: usize,
        deadline: Option<std::time::Duration>,
    ) -> u64 {
        let results = futures_util::stream::iter(self.selected)
            .map(|f| {
                let state = self.states.get(&f.key).cloned();
                let (fetcher, matcher) = (self.fetcher.clone(), self.matcher.clone());
                feed::process(fetcher, matcher, f, state, self.started)
            })
            .buffer_unordered(concurrency.max(1));
        send_results(results, &tx, deadline).await
    }
}

/// Sends each result to the writer as it comes; returns how many were sent. Past the
/// deadline the fetches still in flight are dropped: their feeds stay due.
pub(crate) async fn send_results(
    results: impl futures_util::Stream<Item = feed::FeedResult>,
    tx: &tokio::sync::mpsc::Sender<feed::FeedResult>,
    deadline: Option<std::time::Duration>,
) -> u64 {
    let mut results = std::pin::pin!(results);
    let mut sent = 0u64;
    let pass = async {
        while let Some(result) = results.next().await {
            if tx.send(result).await.is_err() {
                // The writer stopped on a store error; the run says so.
                break;
            }
            sent += 1;
        }
    };
    match deadline {
        Some(limit) => {
            let _ = tokio::time::timeout(limit, pass).await;
        }
        None => pass.await,
    }
    sent
}
