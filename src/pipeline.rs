//! One ingestion pass, straight through: lock → sync config → pick due feeds → fetch
//! (async, bounded) → extract + normalize (blocking pool) → store (one writer thread, one
//! transaction per feed) → summary.
//!
//! The writer owns the only write connection and is fed through a bounded channel, so a
//! slow disk slows the fetchers instead of piling results up in memory. A failing feed is
//! recorded and counted; only a store failure stops the run.

use crate::config::{Config, FetchSettings};
use crate::lock::{Held, RunLock};
use crate::{EXIT_FAILED, EXIT_LOCKED, EXIT_USAGE, Exit};
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use dossier_extract::ExtractError;
use dossier_fetch::{FetchConfig, FetchOutcome, FetchRequest, Fetcher};
use dossier_model::{ErrorClass, FeedKind, FeedSpec, Item};
use dossier_normalize::{TopicMatcher, normalize_document};
use dossier_store::{FeedState, FeedUpdate, RunStats, Store};
use futures_util::StreamExt;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Instant;

pub struct RunOptions {
    pub all: bool,
    pub feeds: Vec<String>,
    pub verbose: bool,
    /// Show a progress line when stderr is a terminal.
    pub progress: bool,
}

/// A failed feed, for the stderr report.
pub struct FeedFailure {
    pub name: String,
    pub url: String,
    pub class: String,
    pub message: String,
}

pub struct RunReport {
    pub stats: RunStats,
    pub seconds: f64,
    pub failures: Vec<FeedFailure>,
}

impl RunReport {
    /// Every due feed failed: the network (or the machine) is probably down.
    pub fn all_failed(&self) -> bool {
        self.stats.feeds > 0 && self.stats.failed == self.stats.feeds
    }
}

/// What one feed's fetch came to, on its way to the writer.
struct FeedResult {
    feed: FeedSpec,
    update: FeedUpdate,
    items: Vec<Item>,
}

pub fn fetch_config(s: &FetchSettings) -> FetchConfig {
    FetchConfig {
        concurrency: s.concurrency,
        per_host: s.per_host,
        timeout: std::time::Duration::from_secs(s.timeout_secs),
        connect_timeout: std::time::Duration::from_secs(s.timeout_secs.min(10)),
        max_body_bytes: s.max_body_bytes,
        user_agent: s.user_agent.clone(),
        allow_private_addresses: s.allow_private_addresses,
    }
}

/// The feeds this run fetches: the named ones, all, or those due.
fn select_feeds(
    cfg: &Config,
    opts: &RunOptions,
    states: &std::collections::HashMap<String, FeedState>,
    now: DateTime<Utc>,
) -> Result<Vec<FeedSpec>> {
    if !opts.feeds.is_empty() {
        let mut picked = Vec::new();
        for name in &opts.feeds {
            let matching: Vec<_> = cfg
                .feeds
                .iter()
                .filter(|f| &f.name == name || &f.url == name)
                .collect();
            if matching.is_empty() {
                return Err(Exit {
                    code: EXIT_USAGE,
                    message: format!("no feed named `{name}` in {}", cfg.path.display()),
                }
                .into());
            }
            picked.extend(matching.into_iter().cloned());
        }
        picked.dedup_by(|a, b| a.key == b.key);
        return Ok(picked);
    }
    Ok(cfg
        .feeds
        .iter()
        .filter(|f| {
            opts.all
                || states
                    .get(&f.key)
                    .and_then(|s| s.next_due_at)
                    .is_none_or(|due| due <= now)
        })
        .cloned()
        .collect())
}

pub fn run(cfg: &Config, opts: &RunOptions) -> Result<RunReport> {
    let started = Instant::now();
    let _lock = match RunLock::acquire(&cfg.store_path)? {
        Ok(lock) => lock,
        Err(Held::By(note)) => {
            let who = if note.is_empty() {
                String::new()
            } else {
                format!(" ({note})")
            };
            return Err(Exit {
                code: EXIT_LOCKED,
                message: format!(
                    "another run holds the lock on {}{who}; nothing done",
                    cfg.store_path.display()
                ),
            }
            .into());
        }
    };
    let mut store = Store::open(&cfg.store_path)
        .with_context(|| format!("cannot open the store {}", cfg.store_path.display()))?;
    store.sync_config(&cfg.feeds, &cfg.topics)?;
    let states = store.feed_states()?;
    let now = Utc::now();
    let selected = select_feeds(cfg, opts, &states, now)?;
    let run_id = store.begin_run(now)?;

    let fetcher = Arc::new(Fetcher::new(fetch_config(&cfg.fetch))?);
    let matcher = Arc::new(TopicMatcher::new(&cfg.topics));
    let total = selected.len();
    let show_progress = opts.progress && std::io::stderr().is_terminal() && total > 0;
    let verbose = opts.verbose;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<FeedResult>(32);
    let writer = std::thread::spawn(move || -> Result<(Store, RunStats, Vec<FeedFailure>)> {
        let mut stats = RunStats {
            feeds: total as u64,
            ..RunStats::default()
        };
        let mut failures = Vec::new();
        let mut done = 0;
        while let Some(r) = rx.blocking_recv() {
            let counts = store
                .record_fetch(&r.feed.key, &r.update, &r.items, now)
                .with_context(|| format!("cannot store feed `{}`", r.feed.name))?;
            stats.items_new += counts.new;
            stats.items_duplicate += counts.duplicate;
            match (&r.update.error_class, r.update.status.as_str()) {
                (Some(class), _) => {
                    stats.failed += 1;
                    failures.push(FeedFailure {
                        name: r.feed.name.clone(),
                        url: r.feed.url.clone(),
                        class: class.clone(),
                        message: r.update.error.clone().unwrap_or_default(),
                    });
                }
                (None, "not_modified") => stats.not_modified += 1,
                (None, _) => stats.fetched += 1,
            }
            done += 1;
            if verbose {
                let outcome = match &r.update.error_class {
                    Some(class) => format!(
                        "failed: {class}: {}",
                        r.update.error.as_deref().unwrap_or("")
                    ),
                    None => format!(
                        "{}, {} new, {} duplicate",
                        r.update.status, counts.new, counts.duplicate
                    ),
                };
                eprintln!(
                    "{}feed `{}`: {outcome}",
                    if show_progress { "\r\x1b[2K" } else { "" },
                    r.feed.name
                );
            }
            if show_progress {
                eprint!("\r\x1b[2Kdossier: {done}/{total} feeds");
            }
        }
        if show_progress {
            eprint!("\r\x1b[2K");
        }
        Ok((store, stats, failures))
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut results = futures_util::stream::iter(selected)
            .map(|feed| {
                let state = states.get(&feed.key).cloned();
                process_feed(fetcher.clone(), matcher.clone(), feed, state)
            })
            .buffer_unordered(cfg.fetch.concurrency.max(1));
        while let Some(result) = results.next().await {
            if tx.send(result).await.is_err() {
                // The writer stopped on a store error; it reports it below.
                break;
            }
        }
    });
    drop(tx);
    let (store, stats, failures) = match writer.join() {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => {
            return Err(e.context("the run stopped; every feed stored before the error is kept"));
        }
        Err(_) => {
            return Err(Exit {
                code: EXIT_FAILED,
                message: "the store writer crashed".into(),
            }
            .into());
        }
    };
    let status = if stats.feeds > 0 && stats.failed == stats.feeds {
        "failed"
    } else {
        "done"
    };
    store.finish_run(run_id, &stats, status, Utc::now())?;
    Ok(RunReport {
        stats,
        seconds: started.elapsed().as_secs_f64(),
        failures,
    })
}

/// Fetches, parses and normalizes one feed. Never fails: what goes wrong is recorded.
async fn process_feed(
    fetcher: Arc<Fetcher>,
    matcher: Arc<TopicMatcher>,
    feed: FeedSpec,
    state: Option<FeedState>,
) -> FeedResult {
    let started = Utc::now();
    let next_due_at = started + Duration::minutes(i64::from(feed.interval_mins));
    let mut update = FeedUpdate {
        fetched_at: started,
        status: String::new(),
        error_class: None,
        error: None,
        validators: None,
        next_due_at,
        moved_to: None,
    };
    let fail = |mut update: FeedUpdate, class: ErrorClass, status: Option<u16>, message: String| {
        update.status = status.map_or_else(|| class.as_str().to_string(), |s| s.to_string());
        update.error_class = Some(class.as_str().to_string());
        update.error = Some(message);
        update
    };
    if feed.kind == FeedKind::Web {
        let update = fail(
            update,
            ErrorClass::Other,
            None,
            "kind = \"web\" pages are not read by this version yet".into(),
        );
        return FeedResult {
            feed,
            update,
            items: Vec::new(),
        };
    }
    let request = FetchRequest {
        url: feed.url.clone(),
        etag: state.as_ref().and_then(|s| s.etag.clone()),
        last_modified: state.as_ref().and_then(|s| s.last_modified.clone()),
    };
    match fetcher.fetch(&request).await {
        FetchOutcome::NotModified { moved_to } => {
            update.status = "not_modified".into();
            update.moved_to = moved_to;
            FeedResult {
                feed,
                update,
                items: Vec::new(),
            }
        }
        FetchOutcome::Failed(f) => {
            let update = fail(update, f.class, f.status, f.message);
            FeedResult {
                feed,
                update,
                items: Vec::new(),
            }
        }
        FetchOutcome::Fetched(body) => {
            update.moved_to = body.moved_to.clone();
            let parse_feed = feed.clone();
            let parsed = tokio::task::spawn_blocking(move || {
                dossier_extract::parse_feed(
                    &body.body,
                    Some(&body.final_url),
                    body.content_type.as_deref(),
                )
                .map(|doc| normalize_document(doc.items, &parse_feed, &matcher, Utc::now()))
                .map(|items| (items, body))
            })
            .await;
            match parsed {
                Ok(Ok((items, body))) => {
                    update.status = body.status.to_string();
                    update.validators = Some((body.etag, body.last_modified));
                    FeedResult {
                        feed,
                        update,
                        items,
                    }
                }
                Ok(Err(e)) => {
                    let class = match e {
                        ExtractError::NotAFeed(_) => ErrorClass::NotAFeed,
                        ExtractError::Parse(_) => ErrorClass::Parse,
                    };
                    let update = fail(update, class, None, e.to_string());
                    FeedResult {
                        feed,
                        update,
                        items: Vec::new(),
                    }
                }
                Err(join) => {
                    let update = fail(
                        update,
                        ErrorClass::Other,
                        None,
                        format!("the parser crashed: {join}"),
                    );
                    FeedResult {
                        feed,
                        update,
                        items: Vec::new(),
                    }
                }
            }
        }
    }
}

/// `dossier parse`: the items one source would yield, as JSON Lines, without a store.
pub fn parse_source(source: &str, kind: &str, cfg: Option<&Config>) -> Result<()> {
    if kind == "web" {
        return Err(Exit {
            code: EXIT_USAGE,
            message: "--kind web is not supported by this version yet".into(),
        }
        .into());
    }
    let (bytes, base, content_type) =
        if source.starts_with("http://") || source.starts_with("https://") {
            let settings = cfg.map(|c| c.fetch.clone()).unwrap_or_default();
            let fetcher = Fetcher::new(fetch_config(&settings))?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let outcome = runtime.block_on(fetcher.fetch(&FetchRequest {
                url: source.to_string(),
                ..Default::default()
            }));
            match outcome {
                FetchOutcome::Fetched(f) => (f.body, f.final_url, f.content_type),
                FetchOutcome::NotModified { .. } => {
                    return Err(Exit {
                        code: EXIT_FAILED,
                        message: format!("{source}: answered 304 to an unconditional request"),
                    }
                    .into());
                }
                FetchOutcome::Failed(f) => {
                    return Err(Exit {
                        code: EXIT_FAILED,
                        message: format!("{source}: {}: {}", f.class.as_str(), f.message),
                    }
                    .into());
                }
            }
        } else {
            // A file has no web address: relative links resolve against the feed's own link.
            let bytes = std::fs::read(source).with_context(|| format!("cannot read {source}"))?;
            (bytes, String::new(), None)
        };
    let base_url = Some(base.as_str()).filter(|b| !b.is_empty());
    let doc =
        dossier_extract::parse_feed(&bytes, base_url, content_type.as_deref()).map_err(|e| {
            Exit {
                code: EXIT_FAILED,
                message: format!("{source}: {e}"),
            }
        })?;
    for w in &doc.warnings {
        eprintln!("dossier: {source}: warning: {w}");
    }
    // A source that is a configured feed speaks with that feed's name and label.
    let configured = cfg.and_then(|c| c.feeds.iter().find(|f| f.url == source));
    let spec = FeedSpec {
        key: source.to_string(),
        name: configured.map_or_else(|| source.to_string(), |f| f.name.clone()),
        label: configured.map_or_else(|| source.to_string(), |f| f.label.clone()),
        url: base,
        kind: FeedKind::Feed,
        interval_mins: 30,
        topics: Vec::new(),
        owner_topic: None,
        select: None,
    };
    let items = normalize_document(doc.items, &spec, &TopicMatcher::default(), Utc::now());
    crate::output::print_parsed(&items, &spec)
}
