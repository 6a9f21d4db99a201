//! `dossier`: the command line. Parses arguments, loads the config, and hands each command
//! to the stage that does the work; the exit codes are part of the contract (0 done,
//! 1 failed, 2 bad usage or config, 75 another run holds the lock).

// Stdout is written only through `output`, which turns a closed pipe into a quiet stop;
// `print!` would panic there instead.
#![deny(clippy::print_stdout)]

mod config;
mod contain;
mod demo;
mod feeds_cmd;
mod inspect;
mod lock;
mod output;
mod pipeline;
mod progress;
mod serve;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};
use dossier_store::{ItemQuery, Store};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dossier",
    version,
    about = "Turns feeds into numbered, citable dossier sources"
)]
struct Cli {
    /// Config file [default: config/dossier.toml]
    #[arg(long, global = true, env = "DOSSIER_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// Print a line per feed (run) and more detail on failures
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate the config and summarise it
    Check,
    /// One ingestion pass over the feeds that are due
    Run {
        /// Fetch every feed, due or not
        #[arg(long)]
        all: bool,
        /// Fetch only this feed (its name, or a topic feed's label); repeatable
        #[arg(long = "feed", value_name = "NAME")]
        feeds: Vec<String>,
        /// Print the summary as one JSON object
        #[arg(long)]
        json: bool,
        /// Stop fetching after SECS seconds; what was fetched is stored, the rest stays due
        #[arg(long, value_name = "SECS")]
        deadline: Option<u64>,
    },
    /// Serve the bundled fixtures on loopback, ingest them and print version 1 of each topic
    Demo,
    /// Show the items a feed file or URL would yield, as JSON Lines, storing nothing
    Parse {
        /// A file path or an http(s) URL
        source: String,
        #[arg(long, default_value = "feed", value_parser = ["feed", "web"])]
        kind: String,
    },
    /// Read article pages and show what dossier takes from them, one JSON line each
    Inspect {
        /// Files or http(s) URLs; `-` reads inputs from stdin, one per line, each
        /// optionally followed by a tab and the page's URL
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Pages read in parallel [default: the number of cores]
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
    },
    /// Every feed with its health; or find, import and export feeds
    Feeds {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<FeedsCommand>,
    },
    /// Query stored items, newest first
    Items(ItemsArgs),
    /// Cut, show and list dossier versions
    #[command(subcommand)]
    Version(VersionCommand),
}

#[derive(Args)]
struct ItemsArgs {
    /// Only items attached to this topic
    #[arg(long, value_name = "SLUG")]
    topic: Option<String>,
    /// Only items delivered by this feed (name or topic-feed label)
    #[arg(long, value_name = "NAME")]
    feed: Option<String>,
    /// Items dated at or after (YYYY-MM-DD or RFC 3339)
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    since: Option<DateTime<Utc>>,
    /// Items dated before the end of (YYYY-MM-DD) or before (RFC 3339)
    #[arg(long, value_name = "DATE", value_parser = parse_until)]
    until: Option<DateTime<Utc>>,
    /// Full-text search over title and summary
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// At most N items
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// JSON Lines, one item per line
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum FeedsCommand {
    /// List the feeds a site offers, with a config snippet to paste
    Discover {
        url: String,
        #[arg(long)]
        json: bool,
    },
    /// Add the feeds of an OPML file to the config (keeping its comments)
    ImportOpml { file: PathBuf },
    /// Print every configured feed as OPML
    ExportOpml,
}

#[derive(Subcommand)]
enum VersionCommand {
    /// Freeze the topic's next version and print it
    Cut {
        slug: String,
        #[arg(long)]
        json: bool,
    },
    /// Print version N of the topic (default: the latest)
    Show {
        slug: String,
        n: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// The versions of a topic
    List {
        slug: String,
        #[arg(long)]
        json: bool,
    },
}

/// An error that carries its own exit code.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_LOCKED: u8 = 75;

fn parse_date(s: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    if let Some(t) = dossier_model::parse_time(s) {
        return Ok(t);
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD or RFC 3339)"))?;
    let day = if end_of_day {
        day.succ_opt().ok_or("date out of range")?
    } else {
        day
    };
    Ok(day
        .and_hms_opt(0, 0, 0)
        .ok_or("date out of range")?
        .and_utc())
}

fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    parse_date(s, false)
}

fn parse_until(s: &str) -> Result<DateTime<Utc>, String> {
    parse_date(s, true)
}

fn main() -> ExitCode {
    contain::install();
    let cli = Cli::parse();
    let filter = if cli.verbose {
        "dossier=debug,warn"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOSSIER_LOG")
                .unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
    match dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            // `dossier items | head`: the reader has all it wanted.
            if output::is_stdout_closed(&err) {
                return ExitCode::SUCCESS;
            }
            if let Some(exit) = err.downcast_ref::<Exit>() {
                if !exit.message.is_empty() {
                    eprintln!("dossier: {}", exit.message);
                }
                return ExitCode::from(exit.code);
            }
            if let Some(cfg) = err.downcast_ref::<config::ConfigError>() {
                eprintln!("{cfg}");
                eprintln!("dossier: the config has {} problem(s)", cfg.problems.len());
                return ExitCode::from(EXIT_USAGE);
            }
            eprintln!("dossier: {err:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn config_path(cli: &Cli) -> PathBuf {
    cli.config
        .clone()
        .unwrap_or_else(|| PathBuf::from("config/dossier.toml"))
}

fn load_config(path: &Path) -> Result<config::Config> {
    if !path.exists() {
        return Err(Exit {
            code: EXIT_USAGE,
            message: format!(
                "config file {} not found (pass --config PATH or set DOSSIER_CONFIG)",
                path.display()
            ),
        }
        .into());
    }
    Ok(config::load(path)?)
}

/// Opens the store named by the config, for the reading commands.
fn open_store(cfg: &config::Config) -> Result<Store> {
    Store::open(&cfg.store_path)
        .with_context(|| format!("cannot open the store {}", cfg.store_path.display()))
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    let path = config_path(&cli);
    match cli.command {
        Command::Check => {
            let cfg = load_config(&path)?;
            output::print_check(&cfg)?;
        }
        Command::Run {
            all,
            feeds,
            json,
            deadline,
        } => {
            let cfg = load_config(&path)?;
            let opts = pipeline::RunOptions {
                all,
                feeds,
                verbose: cli.verbose,
                progress: !json,
                deadline: deadline.map(std::time::Duration::from_secs),
            };
            let report = pipeline::run(&cfg, &opts)?;
            // The run is done whether or not anyone still reads its summary; a closed
            // stdout must not turn "every feed failed" into exit 0.
            if let Err(e) = output::print_run(&report, json)
                && !output::is_stdout_closed(&e)
            {
                return Err(e);
            }
            if report.all_failed() {
                let message = if report.outage {
                    format!(
                        "nearly every feed failed at the network level ({} of {} failed): treating it as \
                         our outage, not held against the feeds; is the network down?",
                        report.stats.failed, report.stats.feeds
                    )
                } else {
                    format!(
                        "every one of the {} due feeds failed (is the network down?)",
                        report.stats.feeds
                    )
                };
                return Err(Exit {
                    code: EXIT_FAILED,
                    message,
                }
                .into());
            }
        }
        Command::Demo => demo::run()?,
        Command::Parse { source, kind } => {
            let cfg = if path.exists() {
                Some(load_config(&path)?)
            } else {
                None
            };
            pipeline::parse_source(&source, &kind, cfg.as_ref())?;
        }
        Command::Inspect { inputs, jobs } => {
            let cfg = if path.exists() {
                Some(load_config(&path)?)
            } else {
                None
            };
            return inspect::run(&inputs, jobs, cfg.as_ref());
        }
        Command::Feeds { json, action: None } => {
            let cfg = load_config(&path)?;
            let mut store = open_store(&cfg)?;
            store.sync_config(&cfg.feeds, &cfg.topics)?;
            output::print_feeds(&store.feeds()?, json)?;
        }
        Command::Feeds {
            action: Some(FeedsCommand::Discover { url, json }),
            ..
        } => {
            let cfg = if path.exists() {
                Some(load_config(&path)?)
            } else {
                None
            };
            feeds_cmd::discover(&url, json, cfg.as_ref())?;
        }
        Command::Feeds {
            action: Some(FeedsCommand::ImportOpml { file }),
            ..
        } => {
            feeds_cmd::import_opml(&file, &load_config(&path)?, cli.verbose)?;
        }
        Command::Feeds {
            action: Some(FeedsCommand::ExportOpml),
            ..
        } => {
            feeds_cmd::export_opml(&load_config(&path)?)?;
        }
        Command::Items(a) => {
            let cfg = load_config(&path)?;
            let store = open_store(&cfg)?;
            let q = ItemQuery {
                topic: a.topic,
                feed: a.feed,
                since: a.since,
                until: a.until,
                search: a.search,
                limit: a.limit,
            };
            output::print_items(&store.items(&q)?, a.json)?;
        }
        Command::Version(v) => {
            let cfg = load_config(&path)?;
            let mut store = open_store(&cfg)?;
            store.sync_config(&cfg.feeds, &cfg.topics)?;
            match v {
                VersionCommand::Cut { slug, json } => {
                    let version = store
                        .cut_version(&slug, Utc::now())
                        .map_err(usage_if_unknown)?;
                    output::print_version(&version, json)?;
                }
                VersionCommand::Show { slug, n, json } => {
                    let version = store.version(&slug, n).map_err(usage_if_unknown)?.ok_or_else(|| Exit {
                        code: EXIT_FAILED,
                        message: match n {
                            Some(n) => format!("topic `{slug}` has no version {n}"),
                            None => format!("topic `{slug}` has no version yet (cut one with `dossier version cut {slug}`)"),
                        },
                    })?;
                    output::print_version(&version, json)?;
                }
                VersionCommand::List { slug, json } => {
                    output::print_version_list(
                        &store.versions(&slug).map_err(usage_if_unknown)?,
                        json,
                    )?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A topic the config does not know is a usage error, not a failure of the store.
fn usage_if_unknown(e: dossier_store::StoreError) -> anyhow::Error {
    match e {
        dossier_store::StoreError::UnknownTopic(slug) => Exit {
            code: EXIT_USAGE,
            message: format!("unknown topic `{slug}` (see `dossier check`)"),
        }
        .into(),
        other => other.into(),
    }
}
