//! The progress bar of a long run: on a terminal only.
//!
//! A person watching `dossier run` over thousands of feeds wants to know how far it is and
//! how long is left; cron mail and log files want none of it. So the bar is drawn only
//! when stderr is a terminal (and never for `--json`), redrawn in place at most a few
//! times a second, and cleared when the run ends. Lines printed while it shows (`-v`)
//! go above it.

use dossier_model::{FeedSpec, FeedUpdate};
use dossier_store::IngestCounts;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::OnceLock;

/// What a run tells the person who started it: with `-v` a line per feed, and on a
/// terminal the bar.
pub struct Progress {
    wanted: bool,
    verbose: bool,
    bar: OnceLock<ProgressBar>,
}

impl Progress {
    /// A bar shown when `wanted` and stderr is a terminal; a line per feed when `verbose`.
    pub fn new(wanted: bool, verbose: bool) -> Progress {
        Progress {
            wanted,
            verbose,
            bar: OnceLock::new(),
        }
    }

    /// The bar, made when the run knows how many feeds it fetches.
    fn bar(&self, total: usize) -> &ProgressBar {
        self.bar.get_or_init(|| make_bar(total, self.wanted))
    }
}

impl dossier_run::Observer for Progress {
    fn feed_stored(&self, feed: &FeedSpec, update: &FeedUpdate, counts: IngestCounts) {
        if !self.verbose {
            return;
        }
        let outcome = match &update.failure {
            Some(f) => format!("failed: {}: {}", f.class.as_str(), f.message),
            None => format!(
                "{}, {} new, {} duplicate",
                update.status, counts.new, counts.duplicate
            ),
        };
        let line = format!("feed `{}`: {outcome}", feed.name);
        match self.bar.get() {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn progress(&self, done: usize, total: usize, items: u64) {
        let bar = self.bar(total);
        if !bar.is_hidden() {
            bar.set_message(format!("{items} items stored"));
            bar.set_position(done as u64);
        }
    }

    fn done(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// The bar over `total` feeds, or a hidden one off a terminal.
fn make_bar(total: usize, wanted: bool) -> ProgressBar {
    if !wanted || total == 0 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar =
        ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr_with_hz(4));
    // The template is a constant: it parses, and a bad one would only lose the bar.
    if let Ok(style) = ProgressStyle::with_template(
        "dossier {spinner} {pos}/{len} feeds [{wide_bar}] {msg}, {per_sec}, {eta} left",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("0 items stored");
    bar
}
