//! `dossier feeds`: every configured feed with its health, read from the store without
//! writing to it. A feed the config names but no run has fetched yet is shown as never
//! fetched; one the store has but the config no longer names is not shown.

use crate::config::Config;
use crate::output;
use anyhow::Result;
use dossier_store::{FeedRow, ReadStore};
use std::collections::HashMap;

pub fn list(cfg: &Config, json: bool) -> Result<()> {
    let stored = match super::open_read(cfg)? {
        Some(store) => store.feeds()?,
        None => Vec::new(),
    };
    let configured: HashMap<&str, usize> = cfg
        .feeds
        .iter()
        .enumerate()
        .map(|(i, f)| (f.key.as_str(), i))
        .collect();
    // In the order the store first saw them, then the config's new ones in its order.
    let mut rows: Vec<FeedRow> = Vec::with_capacity(cfg.feeds.len());
    let mut shown = vec![false; cfg.feeds.len()];
    for row in stored {
        let Some(&i) = configured.get(row.key.as_str()) else {
            continue;
        };
        let f = &cfg.feeds[i];
        shown[i] = true;
        rows.push(if row.url == f.url {
            // What the config says of it now, with what the store knows of its health.
            FeedRow {
                name: f.name.clone(),
                label: f.label.clone(),
                kind: f.kind,
                topics: FeedRow::never_fetched(f).topics,
                search: f.search.clone(),
                ..row
            }
        } else {
            // A new address is a new resource: the next run starts it afresh.
            FeedRow::never_fetched(f)
        });
    }
    for (f, _) in cfg.feeds.iter().zip(&shown).filter(|(_, shown)| !**shown) {
        rows.push(FeedRow::never_fetched(f));
    }
    output::print_feeds(&rows, json)
}
