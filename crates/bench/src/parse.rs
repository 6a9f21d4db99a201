//! Parsing throughput, side by side on the same bytes: plain feed-rs (the floor), dossier's
//! extraction + normalisation in process, `dossier parse` as a command (start-up and JSON
//! output included), and Python feedparser. Inputs are generated: 10,000-item RSS 2.0,
//! Atom and JSON Feed documents, a 5,000-item full-text RSS feed as blogging software
//! writes it (HTML excerpt, whole article in `content:encoded`), and 500 small feeds.

use crate::report::{fmt_spread, spread};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::report::WORDS;

fn words(seed: usize, n: usize) -> String {
    (0..n)
        .map(|k| WORDS[(seed * 31 + k * 7 + k * k) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn rss(items: usize, tag: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Bench</title><link>https://news.example/</link>",
    );
    for i in 0..items {
        let _ = write!(
            s,
            "<item><title>{} {i}</title><link>https://news.example/{tag}/{i}?utm_source=rss</link><guid>g{tag}-{i}</guid>\
             <pubDate>Mon, 18 May 2026 10:{:02}:00 GMT</pubDate><description><![CDATA[<p>{} &amp; <a href=\"https://x.example/{i}\">more</a></p>]]></description></item>",
            words(i, 10),
            i % 60,
            words(i + 1, 120)
        );
    }
    s + "</channel></rss>"
}

/// A full-text RSS 2.0 feed as blogging software writes it: an escaped HTML excerpt, the
/// whole article in `content:encoded` (paragraphs, links, emphasis, a figure, entities),
/// an author and categories per item.
fn rss_full_text(items: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>Bench blog</title><link>https://blog.example/</link>",
    );
    for i in 0..items {
        let para = |k: usize| {
            format!(
                "<p>{} <a href=\"https://blog.example/{i}/{k}\">{}</a> &mdash; <em>{}</em> &amp; <strong>{}</strong>.</p>",
                words(i * 5 + k, 40),
                words(i + k, 3),
                words(i * 3 + k, 4),
                words(i * 7 + k, 2)
            )
        };
        let body: String = (0..6).map(para).collect();
        let _ = write!(
            s,
            "<item><title>{} {i}</title><link>https://blog.example/{i}/post/</link>\
             <dc:creator><![CDATA[Author {}]]></dc:creator><pubDate>Mon, 18 May 2026 10:{:02}:00 +0000</pubDate>\
             <category><![CDATA[{}]]></category><category><![CDATA[{}]]></category>\
             <guid isPermaLink=\"false\">https://blog.example/?p={i}</guid>\
             <description><![CDATA[<p>{} [&#8230;]</p>]]></description>\
             <content:encoded><![CDATA[{body}<figure><img src=\"https://blog.example/img/{i}.jpg\" alt=\"\"/><figcaption>{}</figcaption></figure>]]></content:encoded></item>",
            words(i, 9),
            i % 17,
            i % 60,
            words(i, 1),
            words(i + 3, 1),
            words(i + 1, 55),
            words(i + 2, 6),
        );
    }
    s + "</channel></rss>"
}

fn atom(items: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Bench</title><id>tag:bench</id><updated>2026-05-18T10:00:00Z</updated>",
    );
    for i in 0..items {
        let _ = write!(
            s,
            "<entry><title>{} {i}</title><link href=\"https://news.example/a/{i}\"/><id>tag:bench,{i}</id>\
             <updated>2026-05-18T10:{:02}:00Z</updated><summary type=\"html\">&lt;p&gt;{} &amp;amp; more&lt;/p&gt;</summary></entry>",
            words(i, 10),
            i % 60,
            words(i + 1, 120)
        );
    }
    s + "</feed>"
}

fn json(items: usize) -> String {
    let entries: Vec<serde_json::Value> = (0..items)
        .map(|i| {
            serde_json::json!({
                "id": format!("j{i}"), "url": format!("https://news.example/j/{i}"), "title": format!("{} {i}", words(i, 10)),
                "content_html": format!("<p>{} &amp; more</p>", words(i + 1, 120)), "date_published": "2026-05-18T10:00:00Z"
            })
        })
        .collect();
    serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "Bench", "items": entries}).to_string()
}

struct Input {
    name: &'static str,
    files: Vec<PathBuf>,
    bytes: usize,
    items: usize,
}

fn inputs(dir: &Path) -> Result<Vec<Input>> {
    std::fs::create_dir_all(dir)?;
    let mut out = Vec::new();
    for (name, body, items) in [
        ("RSS 2.0, 10,000 items", rss(10_000, 0), 10_000),
        ("Atom, 10,000 items", atom(10_000), 10_000),
        ("JSON Feed, 10,000 items", json(10_000), 10_000),
        (
            "RSS 2.0 full text, 5,000 items",
            rss_full_text(5_000),
            5_000,
        ),
    ] {
        let path = dir.join(
            name.split(',')
                .next()
                .unwrap_or(name)
                .replace(' ', "_")
                .replace('.', ""),
        );
        std::fs::write(&path, &body)?;
        out.push(Input {
            name,
            files: vec![path],
            bytes: body.len(),
            items,
        });
    }
    let mut files = Vec::new();
    let mut bytes = 0;
    for f in 0..500 {
        let body = rss(20, f + 1);
        let path = dir.join(format!("small-{f}.rss"));
        bytes += body.len();
        std::fs::write(&path, body)?;
        files.push(path);
    }
    out.push(Input {
        name: "500 small RSS feeds × 20 items",
        files,
        bytes,
        items: 500 * 20,
    });
    Ok(out)
}

/// Writes the inputs into `dir` (kept), for profiling one of them on its own.
pub fn write_inputs(dir: &Path) -> Result<()> {
    inputs(dir).map(|_| ())
}

fn time_feed_rs(files: &[Vec<u8>]) -> f64 {
    let started = Instant::now();
    for f in files {
        let feed = feed_rs::parser::parse(f.as_slice()).expect("generated feeds parse");
        std::hint::black_box(feed);
    }
    started.elapsed().as_secs_f64()
}

/// The feed the in-process parses are attributed to.
fn bench_feed() -> dossier_model::FeedSpec {
    dossier_model::FeedSpec {
        key: "bench".into(),
        name: "bench".into(),
        label: "bench".into(),
        url: "https://news.example/feed".into(),
        kind: dossier_model::FeedKind::Feed,
        interval_mins: 30,
        topics: vec![],
        owner_topic: None,
        select: None,
        search: None,
    }
}

/// Extraction + normalisation of one document, as a run does it.
fn parse_in_process(
    bytes: &[u8],
    feed: &dossier_model::FeedSpec,
    matcher: &dossier_normalize::TopicMatcher,
) -> Vec<dossier_model::Item> {
    let doc = dossier_extract::parse_feed(bytes, Some("https://news.example/feed"), None)
        .expect("generated feeds parse");
    dossier_normalize::normalize_document(doc.items, feed, matcher, chrono::Utc::now())
}

fn time_in_process(files: &[Vec<u8>]) -> f64 {
    let (feed, matcher) = (bench_feed(), dossier_normalize::TopicMatcher::default());
    let started = Instant::now();
    for f in files {
        std::hint::black_box(parse_in_process(f, &feed, &matcher));
    }
    started.elapsed().as_secs_f64()
}

/// For profiling: parses `files` `rounds` times, alternating plain feed-rs and dossier in
/// process (dossier only with `only_dossier`, so a profiler sees little else), and prints
/// the median throughput of each and their ratio.
pub fn profile(paths: &[PathBuf], rounds: usize, only_dossier: bool) -> Result<()> {
    anyhow::ensure!(!paths.is_empty(), "parse-loop needs at least one feed file");
    let files = paths
        .iter()
        .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display())))
        .collect::<Result<Vec<_>>>()?;
    let mb = files.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    let (mut floor, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        if !only_dossier {
            floor.push(mb / time_feed_rs(&files));
        }
        ours.push(mb / time_in_process(&files));
    }
    let dossier = spread(&ours).0;
    if floor.is_empty() {
        eprintln!("dossier {dossier:.1} MB/s");
    } else {
        let feed_rs = spread(&floor).0;
        eprintln!(
            "feed-rs {feed_rs:.1} MB/s, dossier {dossier:.1} MB/s, ratio {:.2}",
            dossier / feed_rs
        );
    }
    Ok(())
}

fn time_command(dossier: &Path, files: &[PathBuf]) -> Result<f64> {
    let started = Instant::now();
    for f in files {
        let status = Command::new(dossier)
            .arg("parse")
            .arg(f)
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), "dossier parse {} failed", f.display());
    }
    Ok(started.elapsed().as_secs_f64())
}

/// The version of the feedparser installed, or `None` without it.
fn feedparser_version() -> Option<String> {
    let out = std::process::Command::new("python3")
        .args(["-c", "import feedparser; print(feedparser.__version__)"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Seconds feedparser spends parsing the files (its own timing), or `None` without it.
fn time_feedparser(files: &[PathBuf]) -> Option<f64> {
    let script = "import sys, time, feedparser\nfiles=[open(p,'rb').read() for p in sys.argv[1:]]\nt=time.perf_counter()\nfor f in files: feedparser.parse(f)\nprint(time.perf_counter()-t)";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(files)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

pub fn run(dossier: &Path, runs: usize) -> Result<String> {
    let dir = std::env::temp_dir().join(format!("dossier-bench-parse-{}", std::process::id()));
    let inputs = inputs(&dir).context("cannot write the inputs")?;
    let mut t = String::new();
    let peer = feedparser_version().map_or("feedparser (not installed here)".to_string(), |v| {
        format!("feedparser {v}")
    });
    let _ = writeln!(
        t,
        "Generated inputs, {runs} runs, MB/s as median (min–max), MB = 10^6 bytes. \"in process\" is dossier's \
         extraction + normalisation as a library; `dossier parse` is the command, one process per file, \
         with its JSON output. {peer} is timed inside Python around `feedparser.parse`. Ratios \
         are of medians from the same run.\n"
    );
    let _ = writeln!(
        t,
        "| input | MB | feed-rs | dossier in process | `dossier parse` | feedparser | in process / feed-rs | in process / feedparser |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|");
    for input in &inputs {
        let bytes: Vec<Vec<u8>> = input
            .files
            .iter()
            .map(|f| std::fs::read(f).expect("written above"))
            .collect();
        let mb = input.bytes as f64 / 1e6;
        let (mut floor, mut ours, mut cmd, mut py) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            floor.push(mb / time_feed_rs(&bytes));
            ours.push(mb / time_in_process(&bytes));
            cmd.push(mb / time_command(dossier, &input.files)?);
            if let Some(s) = time_feedparser(&input.files) {
                py.push(mb / s);
            }
        }
        let py_cell = if py.is_empty() {
            "skipped".to_string()
        } else {
            fmt_spread(&py, 2)
        };
        let py_ratio = if py.is_empty() {
            "–".to_string()
        } else {
            format!("{:.0}×", spread(&ours).0 / spread(&py).0)
        };
        let _ = writeln!(
            t,
            "| {} ({} items) | {mb:.1} | {} | {} | {} | {py_cell} | {:.2} | {py_ratio} |",
            input.name,
            input.items,
            fmt_spread(&floor, 1),
            fmt_spread(&ours, 1),
            fmt_spread(&cmd, 1),
            spread(&ours).0 / spread(&floor).0,
        );
        eprintln!("parse: {} done", input.name);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(t)
}
