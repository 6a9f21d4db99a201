//! The store at scale: 1,000,000 items over 50 topics, written through the same
//! `record_fetch` a run uses (one transaction per feed of 1,000 items). Measures the ingest
//! rate into an empty store against the rate at the full size, query latency percentiles
//! for the writer's queries, and the time to cut a version of a 10,000-item topic.

use crate::report::fmt_spread;
use anyhow::Result;
use chrono::{Duration, TimeZone, Utc};
use dossier_model::{DateSource, FeedKind, FeedSpec, IdentityRule, Item, TopicReason, TopicSpec};
use dossier_store::{FeedUpdate, ItemQuery, Store};
use std::fmt::Write as _;
use std::time::Instant;

const TOPICS: usize = 50;
const PER_FEED: usize = 1_000;
const VOCABULARY: usize = 5_000;

fn word(n: usize) -> String {
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

fn items(feed: usize, topic: &str, now: chrono::DateTime<Utc>) -> Vec<Item> {
    (0..PER_FEED)
        .map(|i| {
            let n = feed * PER_FEED + i;
            let title: Vec<String> = (0..10)
                .map(|k| word((n * 7919 + k * 104_729) % VOCABULARY))
                .collect();
            let at = now - Duration::minutes(((n * 37) % (365 * 24 * 60)) as i64);
            Item {
                guid: Some(format!("g{n}")),
                url: Some(format!("https://site{}.example/{n}", feed % 97)),
                original_url: None,
                title: title.join(" "),
                summary: Some(format!("Summary of story {n}: {}", title[..5].join(" "))),
                author: None,
                published_at: Some(at),
                date_source: DateSource::Feed,
                date_evidence: None,
                identity: IdentityRule::Guid,
                keys: vec![
                    format!("guid:f{feed}\u{1f}g{n}"),
                    format!("url:site{}.example/{n}", feed % 97),
                ],
                topics: vec![(topic.to_string(), TopicReason::FeedTopics)],
            }
        })
        .collect()
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

pub fn run(total: usize) -> Result<String> {
    let dir = std::env::temp_dir().join(format!("dossier-bench-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("store.sqlite");
    let mut store = Store::open(&path)?;
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
        })
        .collect();
    store.sync_config(&feeds, &topics)?;
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let update = FeedUpdate {
        status: "200".into(),
        ..FeedUpdate::new(now)
    };

    let mut rates: Vec<(usize, f64)> = Vec::new();
    let started = Instant::now();
    for f in 0..feeds_n {
        let mut batch = items(f, &format!("t{}", f % TOPICS), now);
        if f < 10 {
            // The first 10,000 items also join the topic whose version is cut below.
            for it in &mut batch {
                it.topics
                    .push(("big".into(), TopicReason::Keyword("big".into())));
            }
        }
        let t = Instant::now();
        store.record_fetch(&format!("f{f}"), &update, &batch, now)?;
        rates.push((f * PER_FEED, PER_FEED as f64 / t.elapsed().as_secs_f64()));
        if f % 100 == 99 {
            eprintln!(
                "store: {} items, {:.0} items/s",
                (f + 1) * PER_FEED,
                rates.last().map_or(0.0, |r| r.1)
            );
        }
    }
    let ingest_wall = started.elapsed().as_secs_f64();
    let window = (feeds_n / 20).max(5);
    let first: Vec<f64> = rates.iter().take(window).map(|r| r.1).collect();
    let last: Vec<f64> = rates.iter().rev().take(window).map(|r| r.1).collect();
    // The rate over a whole window (its items over its time): the feeds that pay for a
    // WAL checkpoint or an index merge count in full, which a median would hide.
    let overall = |rates: &[f64]| rates.len() as f64 / rates.iter().map(|r| 1.0 / r).sum::<f64>();

    // Queries a writer runs: a topic since a date, a full-text search.
    let mut topic_ms = Vec::new();
    let mut search_ms = Vec::new();
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
    }
    let mut cut_s = Vec::new();
    for k in 0..5 {
        let t = Instant::now();
        let v = store.cut_version("big", now + Duration::minutes(k))?;
        cut_s.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(
            v.item_count == 10 * PER_FEED as i64,
            "big topic holds {} items",
            v.item_count
        );
    }
    let size_mb = std::fs::metadata(&path)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(0.0);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);

    let mut t = String::new();
    let _ = writeln!(
        t,
        "{total} items over {TOPICS} topics from {feeds_n} feeds of {PER_FEED} items, written through `record_fetch` \
         (one transaction per feed: items, keys, sightings, topic links, full-text index), into a {size_mb:.0} MB store.\n"
    );
    let _ = writeln!(t, "| measure | value | goal |");
    let _ = writeln!(t, "|---|---|---|");
    let _ = writeln!(
        t,
        "| ingest, first {window} feeds (empty store), items/s: whole window; per feed | {:.0}; {} | |",
        overall(&first),
        fmt_spread(&first, 0)
    );
    let _ = writeln!(
        t,
        "| ingest, last {window} feeds (store near {total}), items/s: whole window; per feed | {:.0}; {} | ≥ half the empty rate |",
        overall(&last),
        fmt_spread(&last, 0)
    );
    let ratio = overall(&last) / overall(&first);
    let _ = writeln!(
        t,
        "| full-size / empty ingest rate (whole windows) | {ratio:.2} | ≥ 0.5 |"
    );
    let _ = writeln!(t, "| whole ingest, wall s | {ingest_wall:.0} | |");
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
    let _ = writeln!(
        t,
        "| `version cut` of a 10,000-item topic, s | {} | < 1 |",
        fmt_spread(&cut_s, 3)
    );
    Ok(t)
}
