//! `dossier run`: take the store's lock, run one ingestion pass, print the summary, and
//! exit 1 when every due feed failed (the network is probably down).

use crate::cli::RunArgs;
use crate::config::Config;
use crate::progress::Progress;
use crate::{EXIT_LOCKED, Exit, output};
use anyhow::Result;
use dossier_run::lock::{LockError, RunLock};
use dossier_run::{RunOptions, RunReport};
use dossier_store::Location;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(cfg: &Config, args: &RunArgs, verbose: bool) -> Result<ExitCode> {
    // One run at a time on a SQLite file; runs on PostgreSQL share the store by leases.
    let _lock = match &cfg.store {
        Location::Sqlite(path) => Some(match RunLock::acquire(path) {
            Ok(lock) => lock,
            Err(held @ LockError::Held { .. }) => {
                return Err(Exit {
                    code: EXIT_LOCKED,
                    message: format!("{held}; nothing done"),
                }
                .into());
            }
            Err(e) => return Err(e.into()),
        }),
        Location::Postgres(_) => None,
    };
    let opened = std::time::Instant::now();
    let store = super::open_write(cfg)?;
    tracing::debug!(seconds = opened.elapsed().as_secs_f64(), "store opened");
    let opts = RunOptions {
        all: args.all,
        feeds: args.feeds.clone(),
        deadline: args.deadline.map(std::time::Duration::from_secs),
    };
    let observer = Arc::new(Progress::new(!args.json, verbose));
    let (report, _store) = match dossier_run::run(store, cfg, &opts, observer) {
        Ok(done) => done,
        Err(dossier_run::Error::UnknownFeed { name, config }) => {
            return Err(Exit::usage(format!("no feed named `{name}` in {config}")).into());
        }
        Err(e) => return Err(e.into()),
    };
    // The run is done whether or not anyone still reads its summary; a closed stdout
    // must not turn "every feed failed" into exit 0.
    if let Err(e) = output::print_run(&report, args.json)
        && !output::is_stdout_closed(&e)
    {
        return Err(e);
    }
    if report.all_failed() {
        return Err(Exit::failed(all_failed(&report)).into());
    }
    Ok(ExitCode::SUCCESS)
}

fn all_failed(report: &RunReport) -> String {
    if report.outage {
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
    }
}
