//! `dossier parse`: the items one source would yield, as JSON Lines, without a store.

use crate::config::Config;
use crate::{Exit, output};
use anyhow::{Context, Result};
use chrono::Utc;
use dossier_model::{FeedKind, FeedSpec};
use dossier_normalize::TopicMatcher;
use dossier_run::contain::contain;
use dossier_run::once::{OneShot, is_url};

pub fn run(source: &str, kind: &str, cfg: Option<&Config>) -> Result<()> {
    // A source that is a configured feed speaks with that feed's name, label and (for a
    // web page) selectors.
    let configured = cfg.and_then(|c| c.feeds.iter().find(|f| f.url == source || f.name == source));
    let select = configured.and_then(|f| f.select.clone());
    if kind == "web" && select.is_none() {
        return Err(Exit::usage(format!(
            "--kind web reads a page with a feed's selectors: add `{source}` to the config as a \
             kind = \"web\" feed with [feed.select]"
        ))
        .into());
    }
    let fetch_url = configured.map_or(source, |f| f.url.as_str());
    let (bytes, base, content_type) = if is_url(fetch_url) {
        let settings = cfg.map(|c| c.fetch.clone()).unwrap_or_default();
        let page = OneShot::new(&settings)
            .map_err(Exit::failed)?
            .get(fetch_url, false)
            .map_err(|why| Exit::failed(format!("{source}: {why}")))?;
        (page.body, page.final_url, page.content_type)
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
        search: None,
    };
    let doc = contain(|| {
        dossier_run::document::read(
            &spec,
            &bytes,
            &base,
            content_type.as_deref(),
            &TopicMatcher::default(),
            Utc::now(),
        )
    })
    .map_err(|crash| Exit::failed(format!("{source}: the reader crashed on it ({crash})")))?
    .map_err(|f| Exit::failed(format!("{source}: {}", f.message)))?;
    if let Some(w) = &doc.warning {
        eprintln!("dossier: {source}: warning: {w}");
    }
    output::print_parsed(&doc.items, &spec)
}
