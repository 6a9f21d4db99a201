//! Everything the commands print: the contract's JSON shapes (one object per line) and the
//! human-readable forms.
//!
//! Every byte for stdout goes through this module ([`text`], [`json_line`]), and a write
//! that finds stdout closed by its reader (`dossier items | head`) becomes
//! [`StdoutClosed`]: `main` ends the command quietly with exit 0, which is what a
//! pipeline into `head` expects. `print!` would panic on a closed pipe instead, so the
//! binary denies it (`clippy::print_stdout`).

use crate::config::Checked;
use anyhow::Result;
use dossier_model::{FeedSpec, Item, fmt_time};
use dossier_run::RunReport;
use dossier_store::view::short_time;
use dossier_store::{FeedRow, ItemRow, Version, VersionStories, VersionSummary};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{BufWriter, Write};

/// The reader of stdout went away: nothing more can be printed, and nothing is wrong.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Whether `err` is (or was caused by) stdout closed under a command.
pub fn is_stdout_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<StdoutClosed>())
}

/// A failed write to stdout: [`StdoutClosed`] for a closed pipe, else the error itself.
fn stdout_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(e).context("cannot write to stdout")
    }
}

/// Writes one JSON line to `out` (stdout, possibly buffered). serde_json wraps I/O errors
/// in its own type; converted back, a closed pipe is recognised however it surfaced.
pub fn json_line<T: Serialize>(out: &mut impl Write, row: &T) -> Result<()> {
    serde_json::to_writer(&mut *out, row).map_err(|e| stdout_error(e.into()))?;
    out.write_all(b"\n").map_err(stdout_error)
}

/// Flushes what [`json_line`] buffered.
pub fn flush(out: &mut impl Write) -> Result<()> {
    out.flush().map_err(stdout_error)
}

fn json_lines<T: Serialize>(rows: impl IntoIterator<Item = T>) -> Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    for row in rows {
        json_line(&mut out, &row)?;
    }
    flush(&mut out)
}

/// Prints `s` on stdout as it is.
pub fn text(s: &str) -> Result<()> {
    bytes(s.as_bytes())
}

/// Prints `b` on stdout as it is.
pub fn bytes(b: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(b).map_err(stdout_error)?;
    flush(&mut out)
}

/// `check`'s summary: the config's totals, each topic (with the feeds its searches make),
/// each search provider, each standalone feed.
pub fn print_check(checked: &Checked) -> Result<()> {
    let cfg = &checked.config;
    let topic_feeds = cfg.feeds.iter().filter(|f| f.owner_topic.is_some()).count();
    let mut s = format!(
        "{}: ok — {} topics, {} feeds ({} topic feeds, {} standalone); store {}\n",
        cfg.path.display(),
        cfg.topics.len(),
        cfg.feeds.len(),
        topic_feeds,
        cfg.feeds.len() - topic_feeds,
        cfg.store
    );
    // One pass over the feeds, whatever the number of topics.
    let mut own_feeds: HashMap<&str, Vec<&FeedSpec>> = HashMap::new();
    for f in &cfg.feeds {
        if let Some(owner) = &f.owner_topic {
            own_feeds.entry(owner).or_default().push(f);
        }
    }
    for t in &cfg.topics {
        let own = own_feeds
            .get(t.slug.as_str())
            .map_or(&[][..], Vec::as_slice);
        let searched: Vec<&&FeedSpec> = own.iter().filter(|f| f.search.is_some()).collect();
        let from_searches = if searched.is_empty() {
            String::new()
        } else {
            format!(" ({} from searches)", searched.len())
        };
        s += &format!(
            "topic {}: {} — {} own feeds{from_searches}, {} keywords, {} vetoes\n",
            t.slug,
            t.title,
            own.len(),
            t.match_any.len(),
            t.match_none.len()
        );
        for f in searched {
            if let Some(origin) = &f.search {
                s += &format!(
                    "  search {} {:?}: {} {} every {} min\n",
                    origin.provider, origin.query, f.kind, f.url, f.interval_mins
                );
            }
        }
    }
    for p in &checked.providers {
        let made: Vec<&FeedSpec> = cfg
            .feeds
            .iter()
            .filter(|f| f.search.as_ref().is_some_and(|o| o.provider == p.name))
            .collect();
        let mut topics: Vec<&str> = made
            .iter()
            .filter_map(|f| f.owner_topic.as_deref())
            .collect();
        topics.dedup();
        let used = if made.is_empty() {
            "used by no topic".to_string()
        } else {
            format!("{} feeds for {}", made.len(), topics.join(", "))
        };
        s += &format!(
            "search {}: {} {} every {} min → {used}\n",
            p.name, p.kind, p.url, p.interval_mins
        );
    }
    for f in cfg.feeds.iter().filter(|f| f.owner_topic.is_none()) {
        let topics = if f.topics.is_empty() {
            "keywords only".to_string()
        } else {
            f.topics.join(", ")
        };
        s += &format!(
            "feed {}: {} {} every {} min → {}\n",
            f.name, f.kind, f.url, f.interval_mins, topics
        );
    }
    text(&s)
}

#[derive(Serialize)]
struct RunJson {
    #[serde(flatten)]
    stats: dossier_model::RunStats,
    seconds: f64,
}

/// One line on stdout (cron mails any output, so nothing else when all is well); failed
/// feeds are reported on stderr, one line each.
pub fn print_run(report: &RunReport, json: bool) -> Result<()> {
    for f in &report.failures {
        eprintln!(
            "dossier: feed `{}` failed: {}: {} ({})",
            f.name,
            f.class.map_or("other", |c| c.as_str()),
            f.message,
            f.url
        );
    }
    let s = &report.stats;
    if json {
        let seconds = (report.seconds * 1000.0).round() / 1000.0;
        return json_lines([RunJson { stats: *s, seconds }]);
    }
    let mut later = String::new();
    if s.deferred > 0 {
        later += &format!(", {} deferred", s.deferred);
    }
    if s.not_fetched > 0 {
        later += &format!(", {} not fetched (deadline)", s.not_fetched);
    }
    text(&format!(
        "dossier: {} feeds, {} fetched, {} not modified, {} failed{later}; {} new items, {} duplicates ({:.1} s)\n",
        s.feeds,
        s.fetched,
        s.not_modified,
        s.failed,
        s.items_new,
        s.items_duplicate,
        report.seconds
    ))
}

pub fn print_feeds(rows: &[FeedRow], json: bool) -> Result<()> {
    if json {
        return json_lines(rows);
    }
    let mut s = String::new();
    for f in rows {
        s += &format!(
            "{}  [{}]  items {}  failures {}  last {}  next {}\n    {}\n",
            f.name,
            f.status_label(),
            f.items,
            f.consecutive_failures,
            short_time(f.last_fetch_at),
            short_time(f.next_due_at),
            f.url
        );
        if let Some(origin) = &f.search {
            s += &format!(
                "    search: provider {}, query {:?}\n",
                origin.provider, origin.query
            );
        }
        if let Some(e) = &f.last_error {
            s += &format!("    error: {e}\n");
        }
        if let Some(m) = &f.moved_to {
            s += &format!("    moved permanently to {m} — fetched there now; update the config\n");
        }
        if let Some(d) = &f.disabled {
            s += &format!("    disabled: {d}\n");
        }
        if let Some(w) = &f.warning {
            s += &format!("    warning: {w}\n");
        }
        if let Some(until) = f.held_until {
            let by = f
                .held_by
                .map(|st| format!(" (HTTP {st})"))
                .unwrap_or_default();
            s += &format!(
                "    held: its server asked for a rest{by}; no request before {}\n",
                short_time(Some(until))
            );
        }
    }
    text(&s)
}

pub fn print_items(rows: &[ItemRow], json: bool) -> Result<()> {
    if json {
        return json_lines(rows);
    }
    let mut s = String::new();
    for i in rows {
        let day = i.day().unwrap_or_else(|| "undated   ".into());
        s += &format!(
            "{:>6}  {}  {} — {}\n",
            i.id,
            day,
            dossier_store::cut_title(&i.title),
            i.label
        );
        if let Some(u) = &i.url {
            s += &format!("        {u}\n");
        }
    }
    text(&s)
}

pub fn print_version(v: &Version, json: bool) -> Result<()> {
    if json {
        return json_lines([v]);
    }
    text(&v.render())
}

/// A version's stories; `version` is the one they are of, whose sources the text lists. A
/// version cut before stories were kept says so on stderr: its stories were grouped now.
pub fn print_stories(stories: &VersionStories, version: &Version, json: bool) -> Result<()> {
    if !stories.frozen {
        eprintln!(
            "dossier: version {} of `{}` was cut before dossier kept stories; \
             these are its frozen sources grouped now, and not stored",
            stories.version, stories.topic
        );
    }
    if json {
        return json_lines([stories]);
    }
    text(&stories.render(version))
}

pub fn print_version_list(rows: &[VersionSummary], json: bool) -> Result<()> {
    if json {
        return json_lines(rows);
    }
    let s: String = rows
        .iter()
        .map(|v| {
            format!(
                "version {}  {}  {} items  {} new\n",
                v.version,
                fmt_time(v.created_at),
                v.item_count,
                v.new_items
            )
        })
        .collect();
    text(&s)
}

/// `parse` output: the item keys it can know without a store.
#[derive(Serialize)]
struct ParsedJson<'a> {
    guid: Option<&'a str>,
    url: Option<&'a str>,
    original_url: Option<&'a str>,
    title: &'a str,
    summary: Option<&'a str>,
    author: Option<&'a str>,
    published_at: Option<String>,
    date_source: &'static str,
    feed: &'a str,
    label: &'a str,
    duplicate_of: Option<i64>,
}

pub fn print_parsed(items: &[Item], feed: &FeedSpec) -> Result<()> {
    json_lines(items.iter().map(|i| ParsedJson {
        guid: i.guid.as_deref(),
        url: i.url.as_deref(),
        original_url: i.original_url.as_deref(),
        title: &i.title,
        summary: i.summary.as_deref(),
        author: i.author.as_deref(),
        published_at: i.published_at.map(fmt_time),
        date_source: i.date_source.as_str(),
        feed: &feed.name,
        label: &feed.label,
        duplicate_of: None,
    }))
}
