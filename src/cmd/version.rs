//! `dossier version cut|show|list|stories`: freezing a topic's sources, and reading what
//! was frozen. Showing, listing and stories read the store without writing to it; cutting
//! writes one version with its stories (and first brings the store's topics in line with
//! the config, so a topic added since the last run can be cut).

use super::{open_read, open_write, usage_if_unknown};
use crate::cli::VersionCommand;
use crate::config::Config;
use crate::{Exit, output};
use anyhow::Result;
use chrono::Utc;
use dossier_normalize::stories;
use dossier_store::{IngestStore, ReadStore, StoreError, VersionStore};

pub fn run(cfg: &Config, v: VersionCommand) -> Result<()> {
    match v {
        VersionCommand::Cut { slug, json } => {
            let mut store = open_write(cfg)?;
            store.sync_config(&cfg.feeds, &cfg.topics)?;
            let version = store
                .cut_version(&slug, Utc::now(), stories::group)
                .map_err(usage_if_unknown)?;
            output::print_version(&version, json)
        }
        VersionCommand::Show { slug, n, json } => {
            known(cfg, &slug)?;
            let version = match open_read(cfg)? {
                Some(store) => store.version(&slug, n).or_else(none_if_unsynced)?,
                None => None,
            };
            output::print_version(&version.ok_or_else(|| no_version(&slug, n))?, json)
        }
        VersionCommand::Stories { slug, n, json } => {
            known(cfg, &slug)?;
            let Some(store) = open_read(cfg)? else {
                return Err(no_version(&slug, n).into());
            };
            // The version first, then its stories by number: both are frozen, so the two
            // reads agree even when a cut comes between them.
            let version = store
                .version(&slug, n)
                .or_else(none_if_unsynced)?
                .ok_or_else(|| no_version(&slug, n))?;
            let found = store
                .stories(&slug, Some(version.version), stories::group)?
                .ok_or_else(|| no_version(&slug, n))?;
            output::print_stories(&found, &version, json)
        }
        VersionCommand::List { slug, json } => {
            known(cfg, &slug)?;
            let list = match open_read(cfg)? {
                Some(store) => store.versions(&slug).or_else(|e| match e {
                    StoreError::UnknownTopic(_) => Ok(Vec::new()),
                    e => Err(e),
                })?,
                None => Vec::new(),
            };
            output::print_version_list(&list, json)
        }
    }
}

/// What a reading command says of a version that is not there (exit 1).
fn no_version(slug: &str, n: Option<i64>) -> Exit {
    Exit::failed(match n {
        Some(n) => format!("topic `{slug}` has no version {n}"),
        None => {
            format!("topic `{slug}` has no version yet (cut one with `dossier version cut {slug}`)")
        }
    })
}

/// A topic the config does not name is a usage error.
fn known(cfg: &Config, slug: &str) -> Result<()> {
    if cfg.topics.iter().any(|t| t.slug == slug) {
        Ok(())
    } else {
        Err(usage_if_unknown(StoreError::UnknownTopic(slug.to_string())))
    }
}

/// A configured topic the store does not know yet (no run since it was added) has no
/// version.
fn none_if_unsynced<T>(e: StoreError) -> Result<Option<T>, StoreError> {
    match e {
        StoreError::UnknownTopic(_) => Ok(None),
        e => Err(e),
    }
}
