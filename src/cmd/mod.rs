//! One module per command, as cargo lays out its `commands/`: each turns parsed arguments
//! into calls to the library crates and output, and decides its exit code.

mod check;
mod demo;
mod discover;
mod feeds;
mod generate;
mod inspect;
mod items;
mod opml;
mod parse;
mod run;
mod serve;
mod store;
mod version;

use crate::Exit;
use crate::cli::{Cli, Command, FeedsCommand};
use crate::config::{self, Config};
use anyhow::Result;
use dossier_store::{AnyStore, Location, StoreError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let path = cli
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from("config/dossier.toml"));
    match cli.command {
        Command::Check => check::run(&load_checked(&path)?)?,
        Command::Run(args) => return run::run(&load_config(&path)?, &args, cli.verbose),
        Command::Demo => demo::run()?,
        Command::Parse { source, kind } => {
            parse::run(&source, &kind, config_if_present(&path)?.as_ref())?
        }
        Command::Inspect { inputs, jobs } => {
            return inspect::run(&inputs, jobs, config_if_present(&path)?.as_ref());
        }
        Command::Feeds { json, action } => match action {
            None => feeds::list(&load_config(&path)?, json)?,
            Some(FeedsCommand::Discover { url, json }) => {
                discover::discover(&url, json, config_if_present(&path)?.as_ref())?
            }
            Some(FeedsCommand::ImportOpml { file }) => {
                opml::import_opml(&file, &load_config(&path)?, cli.verbose)?
            }
            Some(FeedsCommand::ExportOpml) => opml::export_opml(&load_config(&path)?)?,
        },
        Command::Items(args) => items::run(&load_config(&path)?, args)?,
        Command::Version(v) => version::run(&load_config(&path)?, v)?,
        Command::Serve(args) => serve::run(&load_config(&path)?, args)?,
        Command::Store(s) => store::run(&load_config(&path)?, s)?,
        Command::Generate { what } => generate::run(what)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The config at `path`, which must exist (a missing config is a usage error).
fn load_config(path: &Path) -> Result<Config> {
    load_checked(path).map(|c| c.config)
}

/// [`load_config`] with what only `check` shows: the search providers and the warnings.
fn load_checked(path: &Path) -> Result<config::Checked> {
    if !path.exists() {
        return Err(Exit::usage(format!(
            "config file {} not found (pass --config PATH or set DOSSIER_CONFIG)",
            path.display()
        ))
        .into());
    }
    let mut checked = config::load_checked(path)?;
    // The environment names the store over the config (another database per machine,
    // a test store): a `postgres://` URL, or the path of a SQLite file.
    if let Some(at) = std::env::var_os("DOSSIER_STORE_URL").filter(|v| !v.is_empty()) {
        checked.config.store = Location::parse(&at.to_string_lossy());
    }
    Ok(checked)
}

/// The config at `path` when there is one: the commands that can do without.
fn config_if_present(path: &Path) -> Result<Option<Config>> {
    if path.exists() {
        load_config(path).map(Some)
    } else {
        Ok(None)
    }
}

/// The store named by the config, opened read-only for the reading commands: nothing is
/// created, synced or written. `None` when no run has created it yet.
fn open_read(cfg: &Config) -> Result<Option<AnyStore>> {
    match AnyStore::open_read_only(&cfg.store) {
        Ok(store) => Ok(Some(store)),
        Err(StoreError::Missing(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The store named by the config, opened to write (created or upgraded as needed).
fn open_write(cfg: &Config) -> Result<AnyStore> {
    use anyhow::Context;
    AnyStore::open(&cfg.store).with_context(|| format!("cannot open the store {}", cfg.store))
}

/// A topic the config does not know is a usage error, not a failure of the store.
fn usage_if_unknown(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::UnknownTopic(slug) => {
            Exit::usage(format!("unknown topic `{slug}` (see `dossier check`)")).into()
        }
        other => other.into(),
    }
}
