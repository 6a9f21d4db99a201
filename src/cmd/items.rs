//! `dossier items`: stored items, newest first, read without writing to the store.

use crate::cli::ItemsArgs;
use crate::config::Config;
use crate::output;
use anyhow::Result;
use dossier_store::{ItemQuery, ReadStore};

pub fn run(cfg: &Config, a: ItemsArgs) -> Result<()> {
    let q = ItemQuery {
        topic: a.topic,
        feed: a.feed,
        since: a.since,
        until: a.until,
        search: a.search,
        limit: a.limit,
        after: None,
    };
    let rows = match super::open_read(cfg)? {
        Some(store) => store.items(&q)?,
        None => Vec::new(),
    };
    output::print_items(&rows, a.json)
}
