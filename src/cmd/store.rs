//! `dossier store copy --to URL`: the configured store, whole, into an empty one of
//! either backend (moving up from SQLite to PostgreSQL, or back), with a progress bar on
//! a terminal. The source is opened read-only; a copy that stops halfway leaves the
//! target marked unfinished, and every command refuses it.

use crate::cli::StoreCommand;
use crate::config::Config;
use crate::output;
use anyhow::Result;
use dossier_store::Location;
use dossier_store::copy::{CopyProgress, copy_store};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub fn run(cfg: &Config, command: StoreCommand) -> Result<()> {
    let StoreCommand::Copy { to } = command;
    let to = Location::parse(&to);
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(4))
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>16} [{bar:30}] {pos}/{len} rows ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let report = copy_store(&cfg.store, &to, &mut |p: CopyProgress<'_>| {
        bar.set_message(p.table.to_string());
        bar.set_length(p.total);
        bar.set_position(p.done);
    });
    bar.finish_and_clear();
    let report = report?;
    let count = |table: &str| {
        report
            .rows
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    };
    output::text(&format!(
        "dossier: copied {} to {} in {:.1} s: {} feeds, {} items, {} sightings, {} topic links, {} versions ({} sources, {} stories), {} runs\n",
        cfg.store,
        to,
        started.elapsed().as_secs_f64(),
        count("feeds"),
        count("items"),
        count("sightings"),
        count("item_topics"),
        count("versions"),
        count("version_sources"),
        count("version_stories"),
        count("runs"),
    ))
}
