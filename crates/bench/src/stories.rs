//! Stories: pairwise precision and recall of "same story" on the labelled set in
//! `fixtures/stories/items.jsonl`, over a curve of thresholds and for each linkage, on the
//! tune topics, the held-out topics and both; cross-language pairs apart; and the time to
//! group a generated version of 10,000 sources.
//!
//! Each topic of the set is grouped as one version (source numbers in file order), and
//! every pair of sources within a topic is judged: grouped together or not, against
//! labelled together or not. `STORIES_DEBUG=tune` (or `held-out`, `all`) prints every
//! wrongly judged pair of that part with its evidence, to stderr.

use crate::report::fmt_spread;
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use dossier_normalize::stories::{self, Linkage, Options, StorySource};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

#[derive(Clone)]
struct Item {
    id: String,
    topic: String,
    split: String,
    story: String,
    language: String,
    source: StorySource,
}

fn load(file: &Path) -> Result<Vec<Item>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut items = Vec::new();
    let mut numbers: HashMap<String, u32> = HashMap::new();
    for (k, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{} line {}", file.display(), k + 1))?;
        let s = |f: &str| v[f].as_str().map(str::to_string);
        let topic = s("topic").context("topic")?;
        let n = numbers.entry(topic.clone()).or_default();
        *n += 1;
        items.push(Item {
            id: s("id").context("id")?,
            split: s("split").context("split")?,
            story: s("story").context("story")?,
            language: s("language").context("language")?,
            source: StorySource {
                n: *n,
                title: s("title").context("title")?,
                summary: s("summary"),
                url: s("url"),
                published_at: s("published_at")
                    .map(|d| DateTime::parse_from_rfc3339(&d).map(|d| d.with_timezone(&Utc)))
                    .transpose()
                    .context("published_at")?,
                links: v["links"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|l| l.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            topic,
        });
    }
    Ok(items)
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        2.0 * p * r / (p + r).max(f64::EPSILON)
    }
    fn row(&self) -> String {
        format!(
            "{:.3} | {:.3} | {:.3} | {} / {} / {}",
            self.precision(),
            self.recall(),
            self.f1(),
            self.tp,
            self.fp,
            self.fn_
        )
    }
}

/// The pairs of `all` that are not in `cross`.
fn same(all: Counts, cross: Counts) -> Counts {
    Counts {
        tp: all.tp - cross.tp,
        fp: all.fp - cross.fp,
        fn_: all.fn_ - cross.fn_,
    }
}

/// Pair counts of one grouping of `items` (one version): all pairs, and cross-language
/// pairs only.
fn judge(items: &[&Item], options: Options, debug: bool) -> (Counts, Counts) {
    // Numbered as one version (topics number their sources from 1 each).
    let sources: Vec<StorySource> = items
        .iter()
        .enumerate()
        .map(|(k, i)| StorySource {
            n: k as u32 + 1,
            ..i.source.clone()
        })
        .collect();
    let grouped = stories::group_with(&sources, options);
    let mut story_of: HashMap<u32, usize> = HashMap::new();
    for (k, s) in grouped.iter().enumerate() {
        for n in &s.sources {
            story_of.insert(*n, k);
        }
    }
    let (mut all, mut cross) = (Counts::default(), Counts::default());
    for (x, a) in items.iter().enumerate() {
        for (y, b) in items.iter().enumerate().skip(x + 1) {
            let (na, nb) = (sources[x].n, sources[y].n);
            let said = story_of[&na] == story_of[&nb];
            let truth = a.story == b.story;
            let c = Counts {
                tp: usize::from(said && truth),
                fp: usize::from(said && !truth),
                fn_: usize::from(!said && truth),
            };
            all.add(c);
            if a.language != b.language {
                cross.add(c);
            }
            if debug && said != truth {
                let e = stories::explain(&sources, na, nb).expect("both exist");
                eprintln!(
                    "{} {} / {}\n    {}\n    {}\n    {e}",
                    if said { "FP" } else { "FN" },
                    a.id,
                    b.id,
                    a.source.title,
                    b.source.title
                );
            }
        }
    }
    (all, cross)
}

/// Counts per split ("tune", "held-out") and over all, each topic grouped as a version.
fn evaluate(
    by_topic: &BTreeMap<String, Vec<&Item>>,
    options: Options,
    debug: &str,
) -> BTreeMap<&'static str, (Counts, Counts)> {
    let mut out: BTreeMap<&'static str, (Counts, Counts)> = BTreeMap::new();
    for items in by_topic.values() {
        let split: &'static str = if items[0].split == "tune" {
            "tune"
        } else {
            "held-out"
        };
        let (all, cross) = judge(items, options, debug == split || debug == "all");
        for key in [split, "all"] {
            let e = out.entry(key).or_default();
            e.0.add(all);
            e.1.add(cross);
        }
    }
    out
}

/// A version of `size` sources made of copies of the labelled items, each copy's dates
/// moved on by two weeks and its links made its own: the text of the labelled headlines at
/// the size and density of a long-running topic (about a hundred sources a day). Copies
/// of different stories can fall on one day, which no real version has, so only its cost
/// is measured.
fn generated(items: &[Item], size: usize) -> Vec<StorySource> {
    (0..size)
        .map(|k| {
            let item = &items[k % items.len()];
            let copy = (k / items.len()) as u32;
            let mut s = item.source.clone();
            s.n = k as u32 + 1;
            if copy > 0 {
                s.published_at = s
                    .published_at
                    .map(|d| d + Duration::days(14 * i64::from(copy)));
                s.url = s.url.map(|u| format!("{u}-{copy}"));
                s.links = s.links.iter().map(|l| format!("{l}-{copy}")).collect();
            }
            s
        })
        .collect()
}

pub fn run(file: &Path, runs: usize) -> Result<String> {
    let items = load(file)?;
    let debug = std::env::var("STORIES_DEBUG").unwrap_or_default();
    let mut by_topic: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
    for i in &items {
        by_topic.entry(i.topic.clone()).or_default().push(i);
    }
    let labelled_stories = {
        let mut s: Vec<&str> = items.iter().map(|i| i.story.as_str()).collect();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    let tune_topics: Vec<&str> = by_topic
        .iter()
        .filter(|(_, v)| v[0].split == "tune")
        .map(|(k, _)| k.as_str())
        .collect();
    let held_topics: Vec<&str> = by_topic
        .iter()
        .filter(|(_, v)| v[0].split != "tune")
        .map(|(k, _)| k.as_str())
        .collect();

    let mut t = String::new();
    let _ = writeln!(
        t,
        "{} labelled items in {labelled_stories} stories from `{}`; each topic grouped as one version. \
         Tune topics: {}; held-out topics: {}.\n",
        items.len(),
        file.display(),
        tune_topics.join(", "),
        held_topics.join(", ")
    );

    let chosen = Options::default();
    let at = evaluate(&by_topic, chosen, &debug);
    let _ = writeln!(
        t,
        "At the threshold used ({:.2}, average linkage), pairwise \"same story\":\n",
        stories::THRESHOLD,
    );
    let _ = writeln!(
        t,
        "| part | pairs | precision | recall | F1 | TP / FP / FN |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|");
    for (name, key) in [("tune", "tune"), ("held-out", "held-out"), ("all", "all")] {
        let (all, cross) = at[key];
        let _ = writeln!(t, "| {name} | same language | {} |", same(all, cross).row());
        let _ = writeln!(t, "| {name} | cross-language | {} |", cross.row());
        let _ = writeln!(t, "| {name} | all | {} |", all.row());
    }

    let _ = writeln!(
        t,
        "\nThe curve (average linkage at each threshold); precision / recall:\n"
    );
    let _ = writeln!(
        t,
        "| threshold | tune, same language | held-out, same language | tune, all pairs | held-out, all pairs | cross-language (tune + held-out) |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|");
    for step in 0..=12 {
        let th = 0.07 + 0.03 * f64::from(step);
        let r = evaluate(
            &by_topic,
            Options {
                threshold: th,
                linkage: Linkage::Average(th),
            },
            "",
        );
        let pr = |c: Counts| format!("{:.3} / {:.3}", c.precision(), c.recall());
        let mark = if (th - stories::THRESHOLD).abs() < 1e-9 {
            " (used)"
        } else {
            ""
        };
        let _ = writeln!(
            t,
            "| {th:.2}{mark} | {} | {} | {} | {} | {} |",
            pr(same(r["tune"].0, r["tune"].1)),
            pr(same(r["held-out"].0, r["held-out"].1)),
            pr(r["tune"].0),
            pr(r["held-out"].0),
            pr(r["all"].1)
        );
    }

    let _ = writeln!(
        t,
        "\nLinkage, at threshold {:.2} (precision / recall):\n",
        stories::THRESHOLD
    );
    let _ = writeln!(
        t,
        "| linkage | tune, same language | held-out, same language | all pairs (tune + held-out) |"
    );
    let _ = writeln!(t, "|---|---|---|---|");
    for (name, linkage) in [
        ("single".to_string(), Linkage::Single),
        (
            "average ≥ threshold (used)".to_string(),
            Linkage::Average(stories::THRESHOLD),
        ),
        (
            "complete ≥ threshold".to_string(),
            Linkage::Complete(stories::THRESHOLD),
        ),
        (
            "complete ≥ half the threshold".to_string(),
            Linkage::Complete(stories::THRESHOLD / 2.0),
        ),
    ] {
        let r = evaluate(
            &by_topic,
            Options {
                threshold: stories::THRESHOLD,
                linkage,
            },
            "",
        );
        let pr = |c: Counts| format!("{:.3} / {:.3}", c.precision(), c.recall());
        let _ = writeln!(
            t,
            "| {name} | {} | {} | {} |",
            pr(same(r["tune"].0, r["tune"].1)),
            pr(same(r["held-out"].0, r["held-out"].1)),
            pr(r["all"].0)
        );
    }

    // All topics as one version: subjects meet (Nvidia's results are in two topics).
    let everything: Vec<&Item> = items.iter().collect();
    let (one, one_cross) = judge(&everything, chosen, false);
    let _ = writeln!(
        t,
        "\nAll {} items grouped as a single version: precision {:.3}, recall {:.3} \
         (cross-language {:.3} / {:.3}).",
        items.len(),
        one.precision(),
        one.recall(),
        one_cross.precision(),
        one_cross.recall()
    );

    let size = 10_000;
    let version = generated(&items, size);
    let mut seconds = Vec::new();
    let mut grouped = Vec::new();
    for _ in 0..runs.max(3) {
        let start = Instant::now();
        grouped = stories::group(&version);
        seconds.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = writeln!(
        t,
        "\nGrouping a generated version of {size} sources (the labelled items copied {} times, \
         each copy two weeks later) takes {} ms, median (min–max) of {} runs, into {} stories.",
        size.div_ceil(items.len()),
        fmt_spread(&seconds, 0),
        seconds.len(),
        grouped.len(),
    );
    Ok(t)
}
