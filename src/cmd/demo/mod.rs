//! `dossier demo`: the whole pipeline on bundled fixtures, with no network and no config.
//!
//! The fixtures are compiled into the binary and served from a loopback port; the demo
//! writes a real config for them into a fresh folder, loads it through the same loader an
//! operator's config goes through, runs one ingestion pass, and prints version 1 of each
//! topic. The folder is kept so the store can be explored afterwards.

mod fixture_server;

use crate::config;
use anyhow::{Context, Result};
use chrono::Utc;
use dossier_run::{Quiet, RunOptions};
use dossier_store::VersionStore;
use fixture_server::StaticFile;
use std::collections::HashMap;
use std::path::PathBuf;

const FIXTURES: &[(&str, &[u8], &str)] = &[
    (
        "/china-ai-search.rss",
        include_bytes!("../../../fixtures/demo/china-ai-search.rss"),
        "application/rss+xml",
    ),
    (
        "/chip-export-search.atom",
        include_bytes!("../../../fixtures/demo/chip-export-search.atom"),
        "application/atom+xml",
    ),
    (
        "/rohanpaul.json",
        include_bytes!("../../../fixtures/demo/rohanpaul.json"),
        "application/feed+json",
    ),
    (
        "/lab-news.rdf",
        include_bytes!("../../../fixtures/demo/lab-news.rdf"),
        "application/rdf+xml",
    ),
    // The search provider's results, one document per query: the path is the query
    // percent-encoded as the config's `{query}` makes it.
    (
        "/news-search/coding%20agents/rss",
        include_bytes!("../../../fixtures/demo/search-coding-agents.rss"),
        "application/rss+xml",
    ),
    (
        "/news-search/AI%20pair%20programming/rss",
        include_bytes!("../../../fixtures/demo/search-ai-pair-programming.rss"),
        "application/rss+xml",
    ),
];

/// The demo's config; `{base}` becomes the loopback server's address.
const CONFIG: &str = r#"# Written by `dossier demo` for its loopback fixtures.
[store]
path = "dossier.sqlite"

[fetch]
allow_private_addresses = true   # the fixtures are served on 127.0.0.1
per_host_gap_ms = 0              # one loopback host serves every fixture
article_pages = false            # the fixtures' article links point at made-up hosts

[[search]]                       # a search provider: each query of a topic fills {query}
name = "news-search"
url = "{base}/news-search/{query}/rss"

[[topic]]
slug = "china-ai-rising"
title = "China's AI Ecosystem Gaining Ground on the West"
match_any = ["China", "Chinese", "DeepSeek", "Qwen", "Huawei Ascend", "人工智能"]
  [[topic.feed]]
  url = "{base}/china-ai-search.rss"

[[topic]]
slug = "us-china-chip-export-debate"
title = "The US–China Chip Export Debate"
match_any = ["export controls", "H20", "Nvidia", "entity list"]
match_none = ["gaming"]
  [[topic.feed]]
  url = "{base}/chip-export-search.atom"

[[topic]]
slug = "open-models"
title = "Open-Weight Models in Production"
match_any = ["open-weight", "open-source model", "open weights"]

[[topic]]
slug = "coding-agents"
title = "Coding Agents at Work"
match_any = ["coding agent", "pair programming"]
queries = ["coding agents", "AI pair programming"]   # × news-search: two reactive feeds

[[feed]]
name = "Rohan Paul Twitter"
url = "{base}/rohanpaul.json"
topics = []

[[feed]]
name = "Lab newsroom"
url = "{base}/lab-news.rdf"
topics = ["open-models"]
"#;

fn fresh_dir() -> Result<PathBuf> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%S");
    let dir = std::env::temp_dir().join(format!("dossier-demo-{stamp}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

pub fn run() -> Result<()> {
    let files: HashMap<String, StaticFile> = FIXTURES
        .iter()
        .map(|(path, body, content_type)| (path.to_string(), StaticFile { body, content_type }))
        .collect();
    let addr = fixture_server::spawn(files).context("cannot start the loopback fixture server")?;
    let dir = fresh_dir()?;
    let config_path = dir.join("dossier.toml");
    std::fs::write(
        &config_path,
        CONFIG.replace("{base}", &format!("http://{addr}")),
    )
    .with_context(|| format!("cannot write {}", config_path.display()))?;
    let cfg = config::load(&config_path)?;

    let store = dossier_store::AnyStore::open(&cfg.store)?;
    let opts = RunOptions {
        all: true,
        ..RunOptions::default()
    };
    let (report, mut store) = dossier_run::run(store, &cfg, &opts, std::sync::Arc::new(Quiet))?;
    if !report.failures.is_empty() {
        crate::output::print_run(&report, false)?;
        anyhow::bail!("the demo's own fixtures failed to load");
    }
    let mut out = String::new();
    for (i, topic) in cfg.topics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out += &store
            .cut_version(&topic.slug, Utc::now(), dossier_normalize::stories::group)?
            .render();
    }
    crate::output::text(&out)?;
    eprintln!(
        "\ndossier demo: {} items from {} feeds; store and config kept in {}\n  explore: dossier --config {} items --topic china-ai-rising",
        report.stats.items_new,
        report.stats.feeds,
        dir.display(),
        config_path.display()
    );
    Ok(())
}
