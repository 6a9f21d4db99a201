//! Profiling harness: parses the given files in process, over and over, so a profiler sees
//! dossier's extraction + normalisation and little else. Prints the median throughput of
//! plain feed-rs and of dossier, measured alternately, and their ratio.
//!
//!     cargo build --release -p dossier-bench --example parse_loop
//!     target/release/dossier-bench parse-inputs /tmp/parse-inputs
//!     target/release/examples/parse_loop --rounds 20 /tmp/parse-inputs/RSS_20
//!     perf record -g target/release/examples/parse_loop --only-dossier /tmp/parse-inputs/RSS_20

use std::time::{Duration, Instant};

fn main() {
    let mut rounds = 10usize;
    let mut only_dossier = false;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(rounds),
            "--only-dossier" => only_dossier = true,
            _ => files.push(std::fs::read(&a).unwrap_or_else(|e| panic!("{a}: {e}"))),
        }
    }
    let feed = dossier_model::FeedSpec {
        key: "bench".into(),
        name: "bench".into(),
        label: "bench".into(),
        url: "https://news.example/feed".into(),
        kind: dossier_model::FeedKind::Feed,
        interval_mins: 30,
        topics: vec![],
        owner_topic: None,
        select: None,
    };
    let matcher = dossier_normalize::TopicMatcher::default();
    let mb = files.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    let (mut floor, mut ours, mut normalising) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        if !only_dossier {
            let started = Instant::now();
            for f in &files {
                std::hint::black_box(feed_rs::parser::parse(f.as_slice()).expect("parses"));
            }
            floor.push(started.elapsed());
        }
        let started = Instant::now();
        let mut in_normalize = Duration::ZERO;
        for f in &files {
            let doc = dossier_extract::parse_feed(f, Some("https://news.example/feed"), None)
                .expect("parses");
            let at = Instant::now();
            let items = dossier_normalize::normalize_document(
                doc.items,
                &feed,
                &matcher,
                chrono::Utc::now(),
            );
            std::hint::black_box(items);
            in_normalize += at.elapsed();
        }
        ours.push(started.elapsed());
        normalising.push(in_normalize);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v.get(v.len() / 2).map_or(f64::NAN, Duration::as_secs_f64)
    };
    let (f, o, n) = (
        median(&mut floor),
        median(&mut ours),
        median(&mut normalising),
    );
    eprintln!(
        "feed-rs {:.1} MB/s, dossier {:.1} MB/s ({:.0}% normalising), ratio {:.2}",
        mb / f,
        mb / o,
        100.0 * n / o,
        f / o
    );
}
