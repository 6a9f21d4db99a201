//! One ingestion pass, straight through: lock → sync config → pick due feeds → fetch
//! (async, bounded) → extract + normalize (blocking pool) → store (one writer thread, one
//! transaction per feed) → summary.
//!
//! The writer owns the only write connection and is fed through a bounded channel, so a
//! slow disk slows the fetchers instead of piling results up in memory. A failing feed is
//! recorded and counted; only a store failure stops the run.
//!
//! Scheduling lives here too: a feed's next fetch is its interval, raised (never lowered)
//! by what the server asks (`Cache-Control`, `Expires`, RSS `<ttl>`), pushed out
//! exponentially after consecutive failures (capped at a day), and never for a feed the
//! server said is gone. When nearly every feed fails at the network level, the outage is
//! ours: the failures are recorded but not held against the feeds.

use crate::config::{Config, FetchSettings};
use crate::lock::{Held, RunLock};
use crate::{EXIT_FAILED, EXIT_LOCKED, EXIT_USAGE, Exit};
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use dossier_extract::ExtractError;
use dossier_fetch::{FetchConfig, FetchOutcome, FetchRequest, Fetcher};
use dossier_model::{ErrorClass, FeedKind, FeedSpec, Item};
use dossier_normalize::{TopicMatcher, normalize_document};
use dossier_store::{FeedState, FeedUpdate, FetchRecord, PageFindings, RunStats, Store};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

/// Longest a server's freshness hint or `<ttl>` may stretch a feed's interval.
const MAX_HINTED_INTERVAL: Duration = Duration::hours(24);
/// Longest backoff after consecutive failures.
const MAX_BACKOFF: Duration = Duration::hours(24);
/// Longest a server's `Retry-After` holds its host.
const MAX_HOLD: Duration = Duration::hours(24);
/// A fetch without validators at least this often, for servers whose validators lie.
const FULL_FETCH_EVERY: Duration = Duration::hours(24);
/// The share of network-level failures (of at least [`OUTAGE_MIN_FEEDS`] feeds) that
/// makes a run call the outage its own.
const OUTAGE_SHARE: f64 = 0.9;
const OUTAGE_MIN_FEEDS: usize = 3;

pub struct RunOptions {
    pub all: bool,
    pub feeds: Vec<String>,
    pub verbose: bool,
    /// Show a progress line when stderr is a terminal.
    pub progress: bool,
    /// Stop fetching after this long; what is stored stays, the rest stays due.
    pub deadline: Option<std::time::Duration>,
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
    /// Nearly every feed failed at the network level: our outage, not theirs.
    pub outage: bool,
}

impl RunReport {
    /// Every due feed failed (or the network is down): the run failed.
    pub fn all_failed(&self) -> bool {
        self.outage || (self.stats.feeds > 0 && self.stats.failed == self.stats.feeds)
    }
}

/// What one feed's fetch came to, on its way to the writer.
struct FeedResult {
    feed: FeedSpec,
    update: FeedUpdate,
    items: Vec<Item>,
    /// Whether the feed was (for the stats) fetched, not modified, deferred or failed.
    outcome: Outcome,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Fetched,
    NotModified,
    Deferred,
    Failed,
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
        host_gap: std::time::Duration::from_millis(s.per_host_gap_ms),
        retries: s.retries,
        retry_wait: std::time::Duration::from_secs(1),
        max_retry_after: std::time::Duration::from_secs(30),
        resolve: Vec::new(),
    }
}

/// The feeds this run fetches: the named ones (even if disabled), all, or those due.
fn select_feeds(
    cfg: &Config,
    opts: &RunOptions,
    states: &HashMap<String, FeedState>,
    now: DateTime<Utc>,
) -> Result<Vec<FeedSpec>> {
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
                return Err(Exit {
                    code: EXIT_USAGE,
                    message: format!("no feed named `{name}` in {}", cfg.path.display()),
                }
                .into());
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
        .filter(|f| {
            let state = states.get(&f.key);
            state.is_none_or(|s| s.disabled_reason.is_none())
                && (opts.all
                    || state
                        .and_then(|s| s.next_due_at)
                        .is_none_or(|due| due <= now))
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
    // The run's new items are the ones stored above this id.
    let last_before_run = store.last_item_id()?;

    let fetcher = Arc::new(Fetcher::new(fetch_config(&cfg.fetch))?);
    // A server's Retry-After outlasts the run that heard it.
    for hold in store.active_holds(now)? {
        if let Ok(left) = (hold.until - now).to_std() {
            fetcher.hold(&hold.host, left, hold.status);
        }
    }
    let matcher = Arc::new(TopicMatcher::new(&cfg.topics));
    let total = selected.len();
    let progress = crate::progress::Progress::new(total, opts.progress);
    let verbose = opts.verbose;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<FeedResult>(32);
    let writer = std::thread::spawn(
        move || -> Result<(Store, RunStats, Vec<FeedFailure>, bool)> {
            let mut stats = RunStats {
                feeds: total as u64,
                ..RunStats::default()
            };
            let mut failures = Vec::new();
            // Network-level failures wait for the end of the run: if nearly every feed failed
            // that way, the outage is ours and they are not held against the feeds.
            let mut network_failed: Vec<FeedResult> = Vec::new();
            let mut done = 0;
            let mut progress_done = 0;
            // Feeds are stored in batches: whatever finished while the last batch was
            // written goes in one transaction (one commit, one full-text index flush);
            // a feed the store refuses sends the batch back one feed per transaction, so
            // each feed is whole or not at all.
            let record =
                |store: &mut Store, batch: &[FeedResult], stats: &mut RunStats| -> Result<()> {
                    let records: Vec<FetchRecord<'_>> = batch
                        .iter()
                        .map(|r| FetchRecord {
                            feed_key: &r.feed.key,
                            update: &r.update,
                            items: &r.items,
                        })
                        .collect();
                    let results = store.record_fetches(&records, now).with_context(|| {
                        format!(
                            "cannot store {} feeds (`{}`, …)",
                            batch.len(),
                            batch[0].feed.name
                        )
                    })?;
                    for (r, counts) in batch.iter().zip(results) {
                        let counts = counts
                            .with_context(|| format!("cannot store feed `{}`", r.feed.name))?;
                        stats.items_new += counts.new;
                        stats.items_duplicate += counts.duplicate;
                        match r.outcome {
                            Outcome::Fetched => stats.fetched += 1,
                            Outcome::NotModified => stats.not_modified += 1,
                            Outcome::Deferred => stats.deferred += 1,
                            Outcome::Failed => stats.failed += 1,
                        }
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
                            progress.line(&format!("feed `{}`: {outcome}", r.feed.name));
                        }
                    }
                    Ok(())
                };
            let is_network = |r: &FeedResult| {
                r.outcome == Outcome::Failed
                    && r.update.error_class.as_deref().is_some_and(|c| {
                        [ErrorClass::Dns, ErrorClass::Connect, ErrorClass::Timeout]
                            .iter()
                            .any(|n| n.as_str() == c)
                    })
            };
            while let Some(first) = rx.blocking_recv() {
                let mut batch = vec![first];
                // The channel is bounded, so is the batch.
                while let Ok(r) = rx.try_recv() {
                    batch.push(r);
                }
                done += batch.len();
                let (network, batch): (Vec<FeedResult>, Vec<FeedResult>) =
                    batch.into_iter().partition(|r| is_network(r));
                network_failed.extend(network);
                if !batch.is_empty() {
                    record(&mut store, &batch, &mut stats)?;
                    failures.extend(
                        batch
                            .iter()
                            .filter(|r| r.outcome == Outcome::Failed)
                            .map(failure_of),
                    );
                }
                progress.advance(done - progress_done, stats.items_new);
                progress_done = done;
            }
            progress.finish();
            let outage = network_failed.len() >= OUTAGE_MIN_FEEDS
                && network_failed.len() as f64 >= OUTAGE_SHARE * done as f64;
            for r in network_failed.iter_mut().filter(|_| outage) {
                r.update.counted = false;
                r.update.next_due_at = None;
            }
            if !network_failed.is_empty() {
                record(&mut store, &network_failed, &mut stats)?;
                failures.extend(network_failed.iter().map(failure_of));
            }
            Ok((store, stats, failures, outage))
        },
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let sent = runtime.block_on(async {
        let mut results = futures_util::stream::iter(selected)
            .map(|feed| {
                let state = states.get(&feed.key).cloned();
                process_feed(fetcher.clone(), matcher.clone(), feed, state)
            })
            .buffer_unordered(cfg.fetch.concurrency.max(1));
        let mut sent = 0u64;
        let pass = async {
            while let Some(result) = results.next().await {
                if tx.send(result).await.is_err() {
                    // The writer stopped on a store error; it reports it below.
                    break;
                }
                sent += 1;
            }
        };
        match opts.deadline {
            Some(limit) => {
                // Past the deadline the fetches still in flight are dropped; their feeds
                // stay due for the next run.
                let _ = tokio::time::timeout(limit, pass).await;
            }
            None => pass.await,
        }
        sent
    });
    drop(tx);
    let (mut store, mut stats, failures, outage) = match writer.join() {
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
    stats.not_fetched = total as u64 - sent;
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        "feeds fetched and stored"
    );
    rematch_changed_topics(&mut store, cfg, now)?;
    if stats.items_new > 0 {
        let at = Instant::now();
        let marked = mark_near_duplicates(&mut store, last_before_run)?;
        tracing::debug!(
            marked,
            seconds = at.elapsed().as_secs_f64(),
            "near-duplicate pass"
        );
    }
    if cfg.fetch.article_pages && !outage {
        let left = opts.deadline.map(|d| d.saturating_sub(started.elapsed()));
        if left.is_none_or(|l| !l.is_zero()) {
            stats.dated_from_pages =
                read_article_pages(&runtime, &mut store, &fetcher, cfg.fetch.concurrency, left)?;
        }
    }
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    let status = if outage || (stats.feeds > 0 && stats.failed == stats.feeds) {
        "failed"
    } else {
        "done"
    };
    store.finish_run(run_id, &stats, status, Utc::now())?;
    Ok(RunReport {
        stats,
        seconds: started.elapsed().as_secs_f64(),
        failures,
        outage,
    })
}

/// How far back items are matched again when a topic's rules change.
const REMATCH_WINDOW: Duration = Duration::days(30);

/// A topic's rules as a hash: its keywords, vetoes, and the feeds that list it
/// (`listing`, sorted).
fn rules_hash(topic: &dossier_model::TopicSpec, listing: &[&str]) -> String {
    let text = format!(
        "{:?}\u{1e}{:?}\u{1e}{:?}",
        topic.match_any, topic.match_none, listing
    );
    hash_hex(text.as_bytes())
}

/// The keys of the feeds that list each topic in their `topics`, sorted: one pass over the
/// feeds, whatever the number of topics.
fn listings(cfg: &Config) -> HashMap<&str, Vec<&str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in &cfg.feeds {
        for t in &f.topics {
            out.entry(t.as_str()).or_default().push(f.key.as_str());
        }
    }
    for keys in out.values_mut() {
        keys.sort_unstable();
    }
    out
}

/// When a topic's rules changed since the last run (or the topic is new), its items of
/// the last 30 days are matched again: new matches attached, keyword and feed-list
/// attachments that no longer hold removed. Published versions never change.
fn rematch_changed_topics(store: &mut Store, cfg: &Config, now: DateTime<Utc>) -> Result<()> {
    let stored = store.topic_rule_hashes()?;
    let listings = listings(cfg);
    let changed: Vec<(&dossier_model::TopicSpec, String)> = cfg
        .topics
        .iter()
        .map(|t| {
            let listing = listings.get(t.slug.as_str()).map_or(&[][..], Vec::as_slice);
            (t, rules_hash(t, listing))
        })
        .filter(|(t, h)| stored.get(&t.slug).and_then(|s| s.as_deref()) != Some(h.as_str()))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let items = store.items_for_rematch(now - REMATCH_WINDOW)?;
    let considered: Vec<i64> = items.iter().map(|i| i.id).collect();
    for (topic, hash) in changed {
        let matcher = TopicMatcher::new(std::slice::from_ref(topic));
        let own: HashSet<&str> = cfg
            .feeds
            .iter()
            .filter(|f| f.owner_topic.as_deref() == Some(&topic.slug))
            .map(|f| f.key.as_str())
            .collect();
        let listing: HashSet<&str> = cfg
            .feeds
            .iter()
            .filter(|f| f.topics.contains(&topic.slug))
            .map(|f| f.key.as_str())
            .collect();
        let matches: Vec<(i64, &str, Option<String>)> = items
            .iter()
            .filter_map(|i| {
                if i.feed_keys.iter().any(|k| own.contains(k.as_str())) {
                    Some((i.id, "topic_feed", None))
                } else if i.feed_keys.iter().any(|k| listing.contains(k.as_str())) {
                    Some((i.id, "feed_topics", None))
                } else {
                    let (_, keyword) = matcher
                        .matches(&i.title, i.summary.as_deref())
                        .into_iter()
                        .next()?;
                    Some((i.id, "keyword", Some(keyword)))
                }
            })
            .collect();
        let (added, removed) = store.retag_topic(&topic.slug, &considered, &matches, now)?;
        if added + removed > 0 {
            tracing::debug!(topic = %topic.slug, added, removed, "topic rules changed: recent items matched again");
        }
        store.set_topic_rule_hash(&topic.slug, &hash)?;
    }
    Ok(())
}

/// Words of a title (its rarest) whose earlier occurrences are compared.
const NEAR_DUP_RARE_WORDS: usize = 3;
/// Earlier items compared per word, nearest in time first.
const NEAR_DUP_CANDIDATES: usize = 200;

/// How far apart two copies of one story may be published and still be found.
const NEAR_DUP_WINDOW: Duration = Duration::days(3);

/// Marks this run's new items that repeat an earlier item: a retweet, a syndicated copy
/// under another title suffix, a post quoting the earlier item's link. The earliest item
/// stays the source; the others become `duplicate_of` it.
fn mark_near_duplicates(store: &mut Store, new_after: i64) -> Result<u64> {
    use dossier_normalize::TitleKey;
    let Some(earliest) = store.earliest_new(new_after)? else {
        return Ok(0);
    };
    let since = earliest - NEAR_DUP_WINDOW;
    // Two passes over the window, oldest first. The first keeps, of each item, only its
    // title reduced to word hashes, its date and flags; the second reads the new items'
    // summaries (for quoted links) one at a time. Titles and summaries are dropped as
    // soon as they are read: memory is a few dozen bytes per item of the window.
    struct Row {
        id: i64,
        at: i64,
        is_new: bool,
        duplicate_of: Option<i64>,
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut keys: Vec<TitleKey> = Vec::new();
    store.titles_since(since, new_after, false, |r| -> Result<()> {
        keys.push(TitleKey::new(&r.title));
        rows.push(Row {
            id: r.id,
            at: dossier_model::parse_time(&r.sort_at).map_or(i64::MIN / 2, |t| t.timestamp()),
            is_new: r.is_new,
            duplicate_of: r.duplicate_of,
        });
        Ok(())
    })?;
    // One flat, sorted list of (candidate key, row): a fraction of the memory of a map
    // of lists when most keys are a title's own (its numbers are), built in one sort.
    let mut index: Vec<(u64, u32)> = Vec::with_capacity(keys.iter().map(TitleKey::len).sum());
    for (i, k) in keys.iter().enumerate() {
        index.extend(k.candidate_keys().map(|w| (w, i as u32)));
    }
    index.sort_unstable();
    // Where each key's rows lie in it, for keys shared by two titles or more (a key of
    // one title brings no candidate, and most keys are).
    let mut shared: HashMap<u64, (u32, u32)> = HashMap::new();
    let mut start = 0;
    while start < index.len() {
        let len = index[start..].partition_point(|p| p.0 == index[start].0);
        if len > 1 {
            shared.insert(index[start].0, (start as u32, len as u32));
        }
        start += len;
    }
    let postings = |w: u64| -> &[(u64, u32)] {
        shared.get(&w).map_or(&[], |&(start, len)| {
            &index[start as usize..(start + len) as usize]
        })
    };
    let window =
        |a: usize, b: usize| (rows[a].at - rows[b].at).abs() <= NEAR_DUP_WINDOW.num_seconds();
    let by_id: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    // Items made duplicates in this pass are never the original of another.
    let mut marked_ids: HashSet<i64> = HashSet::new();
    // The last new item each row was a candidate for (no hashing per candidate).
    let mut seen_for: Vec<usize> = vec![usize::MAX; rows.len()];
    let mut marks: Vec<(i64, i64)> = Vec::new();
    let threshold = dossier_normalize::neardup::THRESHOLD;
    let mut i = 0;
    store.titles_since(since, new_after, true, |r| -> Result<()> {
        // The same rows in the same order (the run holds the store's lock).
        let at = i;
        i += 1;
        let Some(row) = rows.get(at).filter(|row| row.id == r.id) else {
            anyhow::bail!(
                "the store changed during the near-duplicate pass (item {} where {:?} was read)",
                r.id,
                rows.get(at).map(|row| row.id)
            );
        };
        if !row.is_new || row.duplicate_of.is_some() || keys[at].is_empty() {
            return Ok(());
        }
        let i = at;
        // A post that quotes another item's link is that item ...
        let text = format!("{} {}", r.title, r.summary.as_deref().unwrap_or(""));
        // ... when the quoted item is earlier and within the window, and not a copy itself.
        let quoted = dossier_normalize::neardup::quoted_link_keys(&text)
            .into_iter()
            .filter_map(|key| store.item_by_key(&format!("url:{key}")).ok().flatten())
            .find(|of| {
                *of != row.id
                    && !marked_ids.contains(of)
                    && by_id
                        .get(of)
                        .is_some_and(|&j| j < i && rows[j].duplicate_of.is_none() && window(j, i))
            });
        if let Some(of) = quoted {
            marks.push((row.id, of));
            marked_ids.insert(row.id);
            return Ok(());
        }
        // Else the earliest earlier item whose title tells the same story.
        // Candidates come from the title's rarest keys only (a copy shares them all),
        // nearest in time first and a bounded number of them: common words ("the", or a
        // niche feed's every-day vocabulary) must not make this pass quadratic. Only
        // titles with the same numbers share keys, so a title whose words are common but
        // whose numbers are its own finds few candidates.
        let mut rare: Vec<&[(u64, u32)]> = keys[i].candidate_keys().map(postings).collect();
        rare.sort_by_key(|p| p.len());
        let best = rare
            .iter()
            .take(NEAR_DUP_RARE_WORDS)
            .flat_map(|p| {
                let before = p.partition_point(|&(_, j)| (j as usize) < i);
                p[..before]
                    .iter()
                    .rev()
                    .take(NEAR_DUP_CANDIDATES)
                    .map(|&(_, j)| j as usize)
            })
            .filter(|&j| std::mem::replace(&mut seen_for[j], i) != i)
            .filter(|&j| keys[j].may_reach(&keys[i], threshold) && window(j, i))
            .filter(|&j| rows[j].duplicate_of.is_none() && !marked_ids.contains(&rows[j].id))
            .filter(|&j| keys[j].similarity(&keys[i]) >= threshold)
            .min();
        if let Some(j) = best {
            marks.push((row.id, rows[j].id));
            marked_ids.insert(row.id);
        }
        Ok(())
    })?;
    // Every check the store makes was made above (not itself, not yet a duplicate, not
    // the duplicate of its own copy), so what is recorded is what was decided.
    Ok(store.mark_duplicates(&marks)?)
}

/// Most item pages read in one run: dating old backlogs is spread over runs.
const ARTICLE_PAGES_PER_RUN: usize = 100;

/// Reads the pages of items whose `page_reason` asks for it (undated, AMP or opaquely
/// redirected links), politely through the same fetcher, at most
/// [`ARTICLE_PAGES_PER_RUN`] a run, and stores what they tell. A page is fetched at the
/// link its feed gave (never at an address worked out from it: an AMP link's article may
/// live anywhere, and the page's own canonical link says where). Returns how many items a
/// page dated.
fn read_article_pages(
    runtime: &tokio::runtime::Runtime,
    store: &mut Store,
    fetcher: &Arc<Fetcher>,
    concurrency: usize,
    deadline: Option<std::time::Duration>,
) -> Result<u64> {
    let candidates = store.page_candidates(ARTICLE_PAGES_PER_RUN)?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let mut done: Vec<(i64, PageFindings)> = Vec::with_capacity(candidates.len());
    runtime.block_on(async {
        let mut pages = futures_util::stream::iter(candidates)
            .map(|c| {
                let fetcher = fetcher.clone();
                async move {
                    let request = FetchRequest {
                        url: dossier_normalize::page_address_of(&c.url, c.canonical.as_deref())
                            .map_or_else(|| c.url.clone(), String::from),
                        ..Default::default()
                    };
                    let findings = match fetcher.fetch(&request).await {
                        FetchOutcome::Fetched(page) if is_html(&page) => {
                            let url = page.final_url.clone();
                            tokio::task::spawn_blocking(move || {
                                crate::contain::contain(|| page_findings(&page))
                            })
                            .await
                            .unwrap_or_else(|join| Err(join.to_string()))
                            .unwrap_or_else(|crash| {
                                tracing::warn!(
                                    "article page {url}: the page reader crashed ({crash})"
                                );
                                PageFindings::default()
                            })
                        }
                        _ => PageFindings::default(),
                    };
                    (c.item_id, findings)
                }
            })
            .buffer_unordered(concurrency.max(1));
        let collect = async {
            while let Some(found) = pages.next().await {
                done.push(found);
            }
        };
        match deadline {
            Some(limit) => {
                let _ = tokio::time::timeout(limit, collect).await;
            }
            None => collect.await,
        }
    });
    let now = Utc::now();
    let mut dated = 0;
    for (item_id, findings) in &done {
        if store.apply_page(*item_id, findings, now)? {
            dated += 1;
        }
    }
    Ok(dated)
}

/// Only HTML is read as an article page (a PDF or an image link is checked and left).
fn is_html(page: &dossier_fetch::Fetched) -> bool {
    match page.content_type.as_deref() {
        Some(ct) => ct.to_ascii_lowercase().contains("html"),
        None => page.body.trim_ascii_start().first() == Some(&b'<'),
    }
}

fn page_findings(page: &dossier_fetch::Fetched) -> PageFindings {
    let info = dossier_extract::inspect_page(
        &page.body,
        page.content_type.as_deref(),
        Some(&page.final_url),
        Utc::now(),
    );
    PageFindings {
        published_at: info.date.as_ref().map(|d| d.found.instant),
        date_source: info.date.as_ref().map(|d| d.source),
        date_evidence: info.date.map(|d| d.evidence),
        canonical: info.canonical.and_then(|c| {
            let url = dossier_normalize::canonical_url(&c)?;
            Some((url.to_string(), dossier_normalize::dedup_key(&url)))
        }),
        title: info.title,
        summary: info.summary,
    }
}

fn failure_of(r: &FeedResult) -> FeedFailure {
    FeedFailure {
        name: r.feed.name.clone(),
        url: r.feed.url.clone(),
        class: r.update.error_class.clone().unwrap_or_default(),
        message: r.update.error.clone().unwrap_or_default(),
    }
}

/// The next fetch after a success: the interval, raised by the server's hint within a cap.
fn next_after_success(
    now: DateTime<Utc>,
    interval_mins: u32,
    hint: Option<std::time::Duration>,
) -> DateTime<Utc> {
    let interval = Duration::minutes(i64::from(interval_mins));
    let hinted = hint
        .and_then(|h| Duration::from_std(h).ok())
        .map_or(interval, |h| h.min(MAX_HINTED_INTERVAL).max(interval));
    now + hinted
}

/// The next fetch after the `failures`-th consecutive failure: the interval, doubled for
/// each failure after the first, capped at a day.
fn next_after_failure(now: DateTime<Utc>, interval_mins: u32, failures: u32) -> DateTime<Utc> {
    let interval = Duration::minutes(i64::from(interval_mins));
    let factor = 1i32
        .checked_shl(failures.saturating_sub(1).min(20))
        .unwrap_or(i32::MAX);
    now + interval
        .checked_mul(factor)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF.max(interval))
}

fn hash_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fetches, parses and normalizes one feed. Never fails: what goes wrong is recorded.
async fn process_feed(
    fetcher: Arc<Fetcher>,
    matcher: Arc<TopicMatcher>,
    feed: FeedSpec,
    state: Option<FeedState>,
) -> FeedResult {
    let now = Utc::now();
    let mut update = FeedUpdate::new(now);
    let failures_before = state.as_ref().map_or(0, |s| s.consecutive_failures);
    let fail = |mut update: FeedUpdate, class: ErrorClass, status: Option<u16>, message: String| {
        update.status = status.map_or_else(|| class.as_str().to_string(), |s| s.to_string());
        update.error_class = Some(class.as_str().to_string());
        update.error = Some(message);
        update.next_due_at = Some(next_after_failure(
            now,
            feed.interval_mins,
            failures_before + 1,
        ));
        update
    };
    let full_fetch = state
        .as_ref()
        .and_then(|s| s.last_full_fetch_at)
        .is_none_or(|t| now - t >= FULL_FETCH_EVERY);
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
            update.status = "not_modified".into();
            update.full_fetch = full_fetch;
            update.moved_to = moved_to;
            update.next_due_at = Some(next_after_success(now, feed.interval_mins, fresh_for));
            FeedResult {
                feed,
                update,
                items: Vec::new(),
                outcome: Outcome::NotModified,
            }
        }
        FetchOutcome::Deferred {
            status,
            retry_after,
            requested,
            host,
        } => {
            update.status = status.to_string();
            update.counted = false;
            let wait = Duration::from_std(retry_after)
                .unwrap_or(MAX_HOLD)
                .min(MAX_HOLD);
            if requested {
                // The server said it to this feed's request: the host is held across runs.
                update.hold = Some(dossier_store::HostHold {
                    host,
                    until: now + wait,
                    status,
                });
                update.next_due_at =
                    Some(now + wait.max(Duration::minutes(i64::from(feed.interval_mins))));
            } else {
                // Held before asking: nothing was sent, so the row keeps its last real
                // fetch, and the feed is due again when the hold ends.
                update.requested = false;
                update.next_due_at = Some(now + wait);
            }
            FeedResult {
                feed,
                update,
                items: Vec::new(),
                outcome: Outcome::Deferred,
            }
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
            FeedResult {
                feed,
                update,
                items: Vec::new(),
                outcome: Outcome::Failed,
            }
        }
        FetchOutcome::Fetched(body) => {
            update.moved_to = body.moved_to.clone();
            update.final_url = Some(body.final_url.clone());
            update.full_fetch = full_fetch;
            let known_etag = state.as_ref().and_then(|s| s.etag.clone());
            let known_hash = state.as_ref().and_then(|s| s.body_hash.clone());
            let parse_feed = feed.clone();
            let parsed = tokio::task::spawn_blocking(move || {
                let hash = hash_hex(&body.body);
                // A 200 that repeats the last body (same bytes, or the same ETag on a
                // conditional request the server ignored) is not parsed again. The daily
                // full fetch trusts only the bytes: it exists for validators that lie.
                if known_hash.as_deref() == Some(hash.as_str())
                    || (!full_fetch
                        && body.etag.is_some()
                        && body.etag == known_etag
                        && known_hash.is_some())
                {
                    return Ok((None, body, hash));
                }
                crate::contain::contain(|| {
                    read_document(
                        &parse_feed,
                        &body.body,
                        &body.final_url,
                        body.content_type.as_deref(),
                        &matcher,
                    )
                })
                .unwrap_or_else(|crash| {
                    Err((
                        ErrorClass::Parse,
                        format!("the reader crashed on this document ({crash})"),
                    ))
                })
                .map(|(items, ttl, warning)| (Some((items, ttl, warning)), body, hash))
            })
            .await;
            match parsed {
                Ok(Ok((None, body, _))) => {
                    update.status = "not_modified".into();
                    update.validators = Some((body.etag, body.last_modified));
                    update.next_due_at =
                        Some(next_after_success(now, feed.interval_mins, body.fresh_for));
                    FeedResult {
                        feed,
                        update,
                        items: Vec::new(),
                        outcome: Outcome::NotModified,
                    }
                }
                Ok(Ok((Some((items, ttl, warning)), body, hash))) => {
                    update.status = body.status.to_string();
                    update.validators = Some((body.etag, body.last_modified));
                    update.body_hash = Some(hash);
                    update.warning = Some(warning);
                    let hint = body.fresh_for.max(ttl);
                    update.next_due_at = Some(next_after_success(now, feed.interval_mins, hint));
                    FeedResult {
                        feed,
                        update,
                        items,
                        outcome: Outcome::Fetched,
                    }
                }
                Ok(Err((class, message))) => {
                    let update = fail(update, class, None, message);
                    FeedResult {
                        feed,
                        update,
                        items: Vec::new(),
                        outcome: Outcome::Failed,
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
                        outcome: Outcome::Failed,
                    }
                }
            }
        }
    }
}

/// A document's items, with the hint (RSS `<ttl>`) and repairs it carries.
type Read = (Vec<Item>, Option<std::time::Duration>, Option<String>);

/// Reads one fetched document of `feed` into normalized items: a feed through feed-rs,
/// a web page through its selectors. CPU work: called on the blocking pool.
fn read_document(
    feed: &FeedSpec,
    body: &[u8],
    url: &str,
    content_type: Option<&str>,
    matcher: &TopicMatcher,
) -> Result<Read, (ErrorClass, String)> {
    let now = Utc::now();
    let mut elements = 0;
    let (raw, ttl, warnings) = match (&feed.kind, &feed.select) {
        (FeedKind::Web, Some(select)) => {
            let page = dossier_extract::parse_page_items(body, content_type, url, select, now)
                .map_err(|e| match e {
                    dossier_extract::SelectError::NoItems(_) => {
                        (ErrorClass::Selector, e.to_string())
                    }
                    dossier_extract::SelectError::BadSelector(_) => {
                        (ErrorClass::Selector, e.to_string())
                    }
                })?;
            (page.items, None, page.problems)
        }
        _ => {
            let base = Some(url).filter(|u| !u.is_empty());
            let doc =
                dossier_extract::parse_feed(body, base, content_type).map_err(|e| match e {
                    ExtractError::NotAFeed(_) => (ErrorClass::NotAFeed, e.to_string()),
                    ExtractError::Parse(_) => (ErrorClass::Parse, e.to_string()),
                })?;
            let ttl = doc
                .ttl_mins
                .map(|m| std::time::Duration::from_secs(u64::from(m) * 60));
            elements = doc.elements;
            (doc.items, ttl, doc.warnings)
        }
    };
    let mut warnings = warnings;
    warnings.extend(guid_warning(&raw));
    let offered = raw.len();
    let mut items = normalize_document(raw, feed, matcher, now);
    date_from_urls(&mut items, now);
    warnings.extend(yield_warning(elements.max(offered), offered, items.len()));
    let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
    Ok((items, ttl, warning))
}

/// What to tell the operator when a document yielded fewer items than it holds: a feed
/// that yields nothing it could have read is a warning, never a quiet success.
fn yield_warning(held: usize, offered: usize, kept: usize) -> Option<String> {
    let empty = offered - kept;
    if kept == 0 && held > 0 {
        Some(format!(
            "the document holds {held} item(s) but yielded none ({empty} without a title, text or link)"
        ))
    } else if empty > 0 {
        Some(format!(
            "left out {empty} of {offered} item(s): no title, text or link"
        ))
    } else {
        None
    }
}

/// What to tell the operator when a document's guids cannot identify its items.
fn guid_warning(raw: &[dossier_model::RawItem]) -> Option<String> {
    match dossier_normalize::guid_quality(raw) {
        dossier_normalize::GuidQuality::Unreliable {
            missing,
            repeated,
            total,
        } => Some(format!(
            "guids unreliable ({missing} of {total} missing, {repeated} repeated): items identified by link instead"
        )),
        dossier_normalize::GuidQuality::Usable => None,
    }
}

/// An item the feed left undated takes a full date its link's path carries.
fn date_from_urls(items: &mut [Item], now: DateTime<Utc>) {
    let cx = dossier_extract::dates::DateContext::new(now);
    for item in items.iter_mut().filter(|i| i.published_at.is_none()) {
        if let Some(d) = item
            .url
            .as_deref()
            .and_then(|u| dossier_extract::dates::from_url(u, &cx))
        {
            item.published_at = Some(d.instant);
            item.date_source = dossier_model::DateSource::Url;
            item.date_evidence = Some("date in the URL path".into());
            item.page_reason = dossier_normalize::page_reason(
                item.original_url.as_deref(),
                item.url.as_deref(),
                item.date_source,
            );
        }
    }
}

/// `dossier parse`: the items one source would yield, as JSON Lines, without a store.
pub fn parse_source(source: &str, kind: &str, cfg: Option<&Config>) -> Result<()> {
    // A source that is a configured feed speaks with that feed's name, label and (for a
    // web page) selectors.
    let configured = cfg.and_then(|c| c.feeds.iter().find(|f| f.url == source || f.name == source));
    let select = configured.and_then(|f| f.select.clone());
    if kind == "web" && select.is_none() {
        return Err(Exit {
            code: EXIT_USAGE,
            message: format!("--kind web reads a page with a feed's selectors: add `{source}` to the config as a kind = \"web\" feed with [feed.select]"),
        }
        .into());
    }
    let fetch_url = configured.map_or(source, |f| f.url.as_str());
    let (bytes, base, content_type) =
        if fetch_url.starts_with("http://") || fetch_url.starts_with("https://") {
            let settings = cfg.map(|c| c.fetch.clone()).unwrap_or_default();
            let fetcher = Fetcher::new(fetch_config(&settings))?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let outcome = runtime.block_on(fetcher.fetch(&FetchRequest {
                url: fetch_url.to_string(),
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
                FetchOutcome::Deferred {
                    status,
                    retry_after,
                    ..
                } => {
                    return Err(Exit {
                        code: EXIT_FAILED,
                        message: format!(
                            "{source}: HTTP {status}: the server asks to retry after {} s",
                            retry_after.as_secs()
                        ),
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
    let spec = FeedSpec {
        key: source.to_string(),
        name: configured.map_or_else(|| source.to_string(), |f| f.name.clone()),
        label: configured.map_or_else(|| source.to_string(), |f| f.label.clone()),
        url: base.clone(),
        kind: if kind == "web" {
            FeedKind::Web
        } else {
            FeedKind::Feed
        },
        interval_mins: 30,
        topics: Vec::new(),
        owner_topic: None,
        select,
    };
    // A file has no address of its own: relative links resolve against the feed's link.
    let (items, _, warning) = crate::contain::contain(|| {
        read_document(
            &spec,
            &bytes,
            &base,
            content_type.as_deref(),
            &TopicMatcher::default(),
        )
    })
    .unwrap_or_else(|crash| {
        Err((
            ErrorClass::Parse,
            format!("the reader crashed on this document ({crash})"),
        ))
    })
    .map_err(|(_, message)| Exit {
        code: EXIT_FAILED,
        message: format!("{source}: {message}"),
    })?;
    if let Some(w) = warning {
        eprintln!("dossier: {source}: warning: {w}");
    }
    crate::output::print_parsed(&items, &spec)
}
