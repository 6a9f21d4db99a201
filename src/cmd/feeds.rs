//! `dossier feeds`: every configured feed with its health, read from the store without
//! writing to it. A feed the config names but no run has fetched yet is shown as never
//! fetched; one the store has but the config no longer names is not shown.

use crate::config::Config;
use crate::output;
use anyhow::Result;
use dossier_store::ReadStore;
use dossier_store::view::configured_feeds;

pub fn list(cfg: &Config, json: bool) -> Result<()> {
    let stored = match super::open_read(cfg)? {
        Some(store) => store.feeds()?,
        None => Vec::new(),
    };
    output::print_feeds(&configured_feeds(stored, &cfg.feeds), json)
}
