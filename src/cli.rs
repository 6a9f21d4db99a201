//! The command line, described once: `--help`, the man page and the shell completions
//! (`dossier generate`) are all made from these definitions, so they cannot disagree.

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "dossier",
    version,
    about = "Turns feeds into numbered, citable dossier sources",
    long_about = "Turns feeds into numbered, citable dossier sources.\n\n\
        dossier reads RSS, Atom, RDF and JSON feeds and web pages on a schedule, keeps their \
        items normalized and deduplicated in a store with where each came from, and freezes a \
        topic's items into numbered versions that writers cite as [n].\n\n\
        Exit codes: 0 done; 1 the command failed (for run: every due feed failed); 2 bad \
        usage or an invalid config; 75 another run holds the store's lock."
)]
pub struct Cli {
    /// The config file [default: config/dossier.toml]
    #[arg(long, global = true, env = "DOSSIER_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Say more: for `run`, a line per feed and the time each phase took; for `feeds
    /// import-opml`, every outline that was already configured
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Validate the config and summarise it (topics, feeds); touches no store
    Check,
    /// One ingestion pass over the feeds that are due
    Run(RunArgs),
    /// Serve the bundled fixtures on loopback, ingest them and print version 1 of each topic
    Demo,
    /// Show the items a feed file or URL would yield, as JSON Lines, storing nothing
    Parse {
        /// A feed file, an http(s) URL, or (with `--kind web`) a configured web feed's name
        source: String,
        /// How to read the source: as a feed, or as a page with a configured feed's selectors
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
        /// One JSON object per feed (JSON Lines) instead of text
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<FeedsCommand>,
    },
    /// Query stored items, newest first
    Items(ItemsArgs),
    /// Cut, show and list dossier versions, and a version's stories
    #[command(subcommand)]
    Version(VersionCommand),
    /// A read-only HTTP server over the store: the JSON API, pages and Atom feeds
    Serve(ServeArgs),
    /// Move the store: copy it whole into another, empty store
    #[command(subcommand)]
    Store(StoreCommand),
    /// Print the man page or a shell's completions, made from these definitions
    Generate {
        /// What to print
        what: Generated,
    },
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Copy the configured store, whole, into an empty store (the source is not changed)
    Copy {
        /// The target: a `postgres://` or `postgresql://` URL, or the path of a SQLite file
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Args)]
pub struct RunArgs {
    /// Fetch every feed, due or not (not those disabled after `410 Gone`)
    #[arg(long)]
    pub all: bool,
    /// Fetch only this feed, due or not: its name, a topic feed's label, or its URL;
    /// repeat for several
    #[arg(long = "feed", value_name = "NAME")]
    pub feeds: Vec<String>,
    /// Print the summary as one JSON object
    #[arg(long)]
    pub json: bool,
    /// Stop fetching SECS seconds after fetching began; what was fetched is stored, the
    /// rest stays due
    #[arg(long, value_name = "SECS")]
    pub deadline: Option<u64>,
}

#[derive(Args)]
pub struct ItemsArgs {
    /// Only items attached to this topic
    #[arg(long, value_name = "SLUG")]
    pub topic: Option<String>,
    /// Only items delivered by this feed (its name, or a topic feed's label)
    #[arg(long, value_name = "NAME")]
    pub feed: Option<String>,
    /// Only items dated at or after DATE (YYYY-MM-DD or RFC 3339)
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Only items dated before the end of DATE (YYYY-MM-DD) or before it (RFC 3339)
    #[arg(long, value_name = "DATE", value_parser = parse_until)]
    pub until: Option<DateTime<Utc>>,
    /// Full-text search over title and summary: every word must occur (in scripts
    /// written without spaces, as a substring)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// At most N items
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// JSON Lines, one item per line
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ServeArgs {
    /// The address and port to listen on; a non-loopback address needs --token-file
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// A file holding the token every request must carry as `Authorization: Bearer TOKEN`
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// An origin (`https://app.example`) whose pages may read /api/ from a browser;
    /// repeat for several. Without one, CORS is off
    #[arg(long = "cors-origin", value_name = "URL")]
    pub cors_origins: Vec<String>,
    /// Another host name requests may carry in `Host` (besides localhost, 127.0.0.1,
    /// [::1] and the listen address), e.g. the name a proxy forwards; repeat for several
    #[arg(long = "allowed-host", value_name = "NAME")]
    pub allowed_hosts: Vec<String>,
}

#[derive(Subcommand)]
pub enum FeedsCommand {
    /// List the feeds a site offers, as a config snippet to paste
    Discover {
        /// The site's page (or a feed's URL)
        url: String,
        /// One JSON object per feed found instead of a config snippet
        #[arg(long)]
        json: bool,
    },
    /// Add the feeds of an OPML file to the config, keeping its comments and layout
    ImportOpml {
        /// The OPML file
        file: PathBuf,
    },
    /// Print every configured feed as OPML
    ExportOpml,
}

#[derive(Subcommand)]
pub enum VersionCommand {
    /// Freeze the topic's next version and print it
    Cut {
        /// The topic's slug
        slug: String,
        /// Print the version as one JSON object
        #[arg(long)]
        json: bool,
    },
    /// Print version N of the topic (default: the latest)
    Show {
        /// The topic's slug
        slug: String,
        /// The version's number
        n: Option<i64>,
        /// Print the version as one JSON object
        #[arg(long)]
        json: bool,
    },
    /// The versions of a topic: number, time, item count, new items
    List {
        /// The topic's slug
        slug: String,
        /// One JSON object per version (JSON Lines)
        #[arg(long)]
        json: bool,
    },
    /// The sources of version N (default: the latest) grouped into stories: the sources
    /// that report one event, as frozen when the version was cut
    Stories {
        /// The topic's slug
        slug: String,
        /// The version's number
        n: Option<i64>,
        /// Print the stories as one JSON object
        #[arg(long)]
        json: bool,
    },
}

/// What `dossier generate` prints.
#[derive(Clone, Copy, ValueEnum)]
pub enum Generated {
    /// The man page (roff)
    Man,
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every argument and flag of every command says what it is for.
    #[test]
    fn every_argument_is_described() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() && !cmd.is_hide_set() {
                missing.push(format!("{path}: no description"));
            }
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}: no description"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        // The shells of `generate` are names that describe themselves.
        missing.retain(|m| !m.contains(" generate what"));
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }

    #[test]
    fn the_definitions_hold_together() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dates_on_the_command_line() {
        assert_eq!(
            parse_until("2026-05-22").unwrap().to_rfc3339(),
            "2026-05-23T00:00:00+00:00"
        );
        assert!(parse_since("yesterday").is_err());
    }
}
