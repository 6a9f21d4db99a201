//! The store at scale: 1,000,000 items over 50 topics, written through the same
//! `record_fetches` a run uses, once one feed per transaction and once ten feeds per
//! transaction (as a busy run's writer does). Measures the ingest rate into an empty store
//! against the rate at the full size, query latency percentiles for the writer's queries,
//! the time to cut a version of a 10,000-item topic (its sources grouped into stories in
//! the same transaction, as `version cut` does), and the time to find a later run's new
//! items.

use crate::report::fmt_spread;
use anyhow::Result;
use chrono::{Duration, TimeZone, Utc};
use dossier_model::{DateSource, FeedKind, FeedSpec, IdentityRule, Item, TopicReason, TopicSpec};
use dossier_model::{FeedUpdate, FetchStatus, ItemKey};
use dossier_store::{
    FetchRecord, IngestStore, ItemQuery, ReadStore, SqliteStore as Store, VersionStore,
};
use std::fmt::Write as _;
use std::time::Instant;

pub(crate) const TOPICS: usize = 50;
pub(crate) const PER_FEED: usize = 1_000;
pub(crate) const VOCABULARY: usize = 5_000;

pub(crate) fn word(n: usize) -> String {
    // Pronounceable, distinct words: "ba", "bebo", ... from a small alphabet.
    let syllables = [
        "ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe", "qui", "ro", "su",
        "ta",
    ];
    let mut n = n + 1;
    let mut w = String::new();
    while n > 0 {
        w.push_str(syllables[n % syllables.len()]);
        n /= syllables.len();
    }
    w
}

/// Two-character Chinese words from a small set of common characters, so that a store
/// with Chinese items has the pairs a Chinese dossier's would.
fn han_word(n: usize) -> String {
    const CHARS: &[char] = &[
        '人', '工', '智', '能', '模', '型', '芯', '片', '出', '口', '管', '制', '中', '国', '开',
        '源', '算', '力', '数', '据', '训', '练', '推', '理', '发', '布', '公', '司', '市', '场',
        '政', '策', '美', '华', '为', '大', '语', '言', '机', '器',
    ];
    let a = CHARS[n % CHARS.len()];
    let b = CHARS[(n / CHARS.len() + 7) % CHARS.len()];
    [a, b].iter().collect()
}

/// Every item whose number this divides is written in Chinese (`--cjk-share`).
fn is_chinese(n: usize, share: f64) -> bool {
    share > 0.0 && n.is_multiple_of((1.0 / share).round().max(1.0) as usize)
}

/// The first `count` (at most [`PER_FEED`]) items of generated feed `feed`, in `topic`.
pub(crate) fn items_n(
    feed: usize,
    count: usize,
    topic: &str,
    now: chrono::DateTime<Utc>,
    cjk_share: f64,
) -> Vec<Item> {
    (0..count.min(PER_FEED))
        .map(|i| {
            let n = feed * PER_FEED + i;
            let title: Vec<String> = if is_chinese(n, cjk_share) {
                // No spaces, as Chinese is written: the pair index is what finds its words.
                vec![(0..8).map(|k| han_word(n * 31 + k * 977)).collect()]
            } else {
                (0..10)
                    .map(|k| word((n * 7919 + k * 104_729) % VOCABULARY))
                    .collect()
            };
            let at = now - Duration::minutes(((n * 37) % (365 * 24 * 60)) as i64);
            Item {
                guid: Some(format!("g{n}")),
                url: Some(format!("https://site{}.example/{n}", feed % 97)),
                original_url: None,
                title: title.join(" "),
                summary: Some(format!(
                    "Summary of story {n}: {}",
                    title[..title.len().min(5)].join(" ")
                )),
                author: None,
                published_at: Some(at),
                date_source: DateSource::Feed,
                date_evidence: None,
                page_reason: None,
                identity: IdentityRule::Guid,
                keys: vec![
                    ItemKey::Guid {
                        feed: format!("f{feed}"),
                        guid: format!("g{n}"),
                    },
                    ItemKey::Url(format!("site{}.example/{n}", feed % 97)),
                ],
                topics: vec![(topic.to_string(), TopicReason::FeedTopics)],
            }
        })
        .collect()
}

fn items(feed: usize, topic: &str, now: chrono::DateTime<Utc>, cjk_share: f64) -> Vec<Item> {
    items_n(feed, PER_FEED, topic, now, cjk_share)
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Feeds stored in one transaction by a busy run: its writer takes whatever results are
/// ready, up to the fetch channel's 32.
pub(crate) const RUN_BATCH: usize = 10;

pub(crate) struct Filled {
    pub(crate) store: Store,
    /// Items/s of each transaction, oldest first.
    rates: Vec<f64>,
    wall: f64,
    feeds: usize,
}

/// A store of `total` items, written `batch` feeds per transaction.
pub(crate) fn fill(
    path: &std::path::Path,
    total: usize,
    batch: usize,
    cjk_share: f64,
) -> Result<Filled> {
    let mut store = Store::open(path)?;
    let feeds_n = total / PER_FEED;
    let topics: Vec<TopicSpec> = (0..TOPICS)
        .map(|t| TopicSpec {
            slug: format!("t{t}"),
            title: format!("Topic {t}"),
            match_any: vec![],
            match_none: vec![],
        })
        .chain(std::iter::once(TopicSpec {
            slug: "big".into(),
            title: "Big".into(),
            match_any: vec![],
            match_none: vec![],
        }))
        .collect();
    let feeds: Vec<FeedSpec> = (0..feeds_n)
        .map(|f| FeedSpec {
            key: format!("f{f}"),
            name: format!("f{f}"),
            label: format!("f{f}"),
            url: format!("https://site{f}.example/rss"),
            kind: FeedKind::Feed,
            interval_mins: 30,
            topics: vec![format!("t{}", f % TOPICS)],
            owner_topic: None,
            select: None,
            search: None,
        })
        .collect();
    store.sync_config(&feeds, &topics)?;
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let update = FeedUpdate {
        status: FetchStatus::Http(200),
        ..FeedUpdate::new(now)
    };
    let mut rates = Vec::new();
    let started = Instant::now();
    for first in (0..feeds_n).step_by(batch) {
        let feeds: Vec<(String, Vec<Item>)> = (first..(first + batch).min(feeds_n))
            .map(|f| {
                let mut items = items(f, &format!("t{}", f % TOPICS), now, cjk_share);
                if f < 10 {
                    // The first 10,000 items also join the topic whose version is cut below.
                    for it in &mut items {
                        it.topics
                            .push(("big".into(), TopicReason::Keyword("big".into())));
                    }
                }
                (format!("f{f}"), items)
            })
            .collect();
        let t = Instant::now();
        record_all(&mut store, &feeds, &update)?;
        rates.push((feeds.len() * PER_FEED) as f64 / t.elapsed().as_secs_f64());
        if (first / batch).is_multiple_of((100 / batch).max(1)) {
            eprintln!(
                "store ({batch} feeds a transaction): {} items, {:.0} items/s",
                (first + feeds.len()) * PER_FEED,
                rates.last().copied().unwrap_or(0.0)
            );
        }
    }
    Ok(Filled {
        store,
        rates,
        wall: started.elapsed().as_secs_f64(),
        feeds: feeds_n,
    })
}

/// The rate over the first and the last `window_feeds` feeds of a fill (their items over
/// their time: the transactions that pay for a WAL checkpoint or an index merge count in
/// full, which a median would hide), with each transaction's rate.
fn windows(f: &Filled, batch: usize, window_feeds: usize) -> ((f64, Vec<f64>), (f64, Vec<f64>)) {
    let n = (window_feeds / batch).max(1);
    let overall = |rates: &[f64]| rates.len() as f64 / rates.iter().map(|r| 1.0 / r).sum::<f64>();
    let first: Vec<f64> = f.rates.iter().take(n).copied().collect();
    let last: Vec<f64> = f.rates.iter().rev().take(n).copied().collect();
    ((overall(&first), first), (overall(&last), last))
}

pub fn run(total: usize, cjk_share: f64) -> Result<String> {
    let dir = std::env::temp_dir().join(format!("dossier-bench-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    // One feed per transaction first (a quiet run, or the worst case), in a store of its
    // own; then the store the queries run on, written as a busy run writes.
    let single = fill(&dir.join("single.sqlite"), total, 1, cjk_share)?;
    let window = (single.feeds / 20).max(5);
    let (single_first, single_last) = windows(&single, 1, window);
    drop(single);
    let path = dir.join("store.sqlite");
    let filled = fill(&path, total, RUN_BATCH, cjk_share)?;
    let (batch_first, batch_last) = windows(&filled, RUN_BATCH, window);
    let ingest_wall = filled.wall;
    let feeds_n = filled.feeds;
    let mut store = filled.store;
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let update = FeedUpdate {
        status: FetchStatus::Http(200),
        ..FeedUpdate::new(now)
    };

    // Queries a writer runs: a topic since a date, a full-text search.
    let mut topic_ms = Vec::new();
    let mut search_ms = Vec::new();
    let mut han_ms = Vec::new();
    for q in 0..400 {
        let t = Instant::now();
        let rows = store.items(&ItemQuery {
            topic: Some(format!("t{}", q % TOPICS)),
            since: Some(now - Duration::days(2)),
            ..Default::default()
        })?;
        topic_ms.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(rows);
        let t = Instant::now();
        let rows = store.items(&ItemQuery {
            search: Some(word((q * 31) % VOCABULARY)),
            limit: Some(50),
            ..Default::default()
        })?;
        search_ms.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(rows);
        if cjk_share > 0.0 {
            let t = Instant::now();
            let rows = store.items(&ItemQuery {
                search: Some(han_word(q * 13)),
                limit: Some(50),
                ..Default::default()
            })?;
            han_ms.push(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(rows);
        }
    }
    let mut cut_s = Vec::new();
    for k in 0..5 {
        let t = Instant::now();
        let v = store.cut_version(
            "big",
            now + Duration::minutes(k),
            dossier_normalize::stories::group,
        )?;
        cut_s.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(
            v.item_count == 10 * PER_FEED as i64,
            "big topic holds {} items",
            v.item_count
        );
    }
    // A later run brings a feed's worth of new items: how long finding that run's new
    // items takes (the near-duplicate pass starts there) at the full size.
    let later = now + Duration::hours(1);
    let fresh: Vec<Item> = items(feeds_n, "t0", later, cjk_share)
        .into_iter()
        .map(|mut it| {
            for k in &mut it.keys {
                match k {
                    ItemKey::Guid { guid, .. } => guid.push_str("-later"),
                    ItemKey::Url(u) => u.push_str("-later"),
                    ItemKey::Hash { hex, .. } => hex.push_str("-later"),
                }
            }
            it
        })
        .collect();
    let run = store.begin_run(later)?;
    let rec = FetchRecord {
        feed_key: "f0",
        update: &update,
        items: &fresh,
    };
    for r in store.record_fetches(&[rec], later)? {
        r?;
    }
    let mut new_ms = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(store.earliest_new(run)?);
        new_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let size_mb = std::fs::metadata(&path)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(0.0);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);

    let mut t = String::new();
    let _ = writeln!(
        t,
        "{total} items over {TOPICS} topics from {feeds_n} feeds of {PER_FEED} items, written through `record_fetches` \
         as a run writes them (items, keys, sightings, topic links, full-text index), once one feed per transaction and \
         once ten feeds per transaction as a busy run's writer does, into a {size_mb:.0} MB store. Items arrive in no \
         order of date (the worst case for the time index). {}\n",
        if cjk_share > 0.0 {
            format!(
                "One item in {:.0} is written in Chinese, without spaces (`--cjk-share {cjk_share}`), so the character-pair \
                 index holds that share.",
                1.0 / cjk_share
            )
        } else {
            "Every item is in Latin script (`--cjk-share 0`).".to_string()
        }
    );
    let _ = writeln!(t, "| measure | value | goal |");
    let _ = writeln!(t, "|---|---|---|");
    for (what, batch, (first_rate, first), (last_rate, last)) in [
        ("one feed", 1, &single_first, &single_last),
        (
            "10 feeds (a busy run)",
            RUN_BATCH,
            &batch_first,
            &batch_last,
        ),
    ] {
        let per = if batch == 1 { "feed" } else { "transaction" };
        let _ = writeln!(
            t,
            "| ingest, {what} per transaction: first {window} feeds (empty store), items/s: whole window; per {per} | {first_rate:.0}; {} | |",
            fmt_spread(first, 0)
        );
        let _ = writeln!(
            t,
            "| ingest, {what} per transaction: last {window} feeds (store near {total}), items/s: whole window; per {per} | {last_rate:.0}; {} | ≥ half the empty rate |",
            fmt_spread(last, 0)
        );
        let _ = writeln!(
            t,
            "| full-size / empty ingest rate, {what} per transaction | {:.2} | ≥ 0.5 |",
            last_rate / first_rate
        );
    }
    let _ = writeln!(
        t,
        "| whole ingest, 10 feeds per transaction, wall s | {ingest_wall:.0} | |"
    );
    let _ = writeln!(
        t,
        "| `items --topic T --since` (2 days, ~{} rows), p50 / p99 ms | {:.2} / {:.2} | p99 < 5 |",
        total / TOPICS / 365 * 2,
        percentile(topic_ms.clone(), 0.5),
        percentile(topic_ms, 0.99)
    );
    let _ = writeln!(
        t,
        "| `items --search WORD --limit 50`, p50 / p99 ms | {:.2} / {:.2} | p99 < 50 |",
        percentile(search_ms.clone(), 0.5),
        percentile(search_ms, 0.99)
    );
    if !han_ms.is_empty() {
        let _ = writeln!(
            t,
            "| `items --search 智能 --limit 50` (a two-character Chinese word), p50 / p99 ms | {:.2} / {:.2} | p99 < 50 |",
            percentile(han_ms.clone(), 0.5),
            percentile(han_ms, 0.99)
        );
    }
    let _ = writeln!(
        t,
        "| `version cut` of a 10,000-item topic, s | {} | < 1 |",
        fmt_spread(&cut_s, 3)
    );
    let _ = writeln!(
        t,
        "| finding a later run's {PER_FEED} new items (where the near-duplicate pass starts), ms | {} | flat as the store grows |",
        fmt_spread(&new_ms, 2)
    );
    Ok(t)
}

/// Records one fetch of each `(feed key, items)` with `update`, in one transaction as a
/// run's writer does; any fetch the store refuses is an error.
pub(crate) fn record_all(
    store: &mut Store,
    feeds: &[(String, Vec<dossier_model::Item>)],
    update: &FeedUpdate,
) -> Result<()> {
    let records: Vec<FetchRecord<'_>> = feeds
        .iter()
        .map(|(key, items)| FetchRecord {
            feed_key: key,
            update,
            items,
        })
        .collect();
    for r in store.record_fetches(&records, update.fetched_at)? {
        r?;
    }
    Ok(())
}
