//! The progress bar of a long run: on a terminal only.
//!
//! A person watching `dossier run` over thousands of feeds wants to know how far it is and
//! how long is left; cron mail and log files want none of it. So the bar is drawn only
//! when stderr is a terminal (and never for `--json`), redrawn in place at most a few
//! times a second, and cleared when the run ends. Lines printed while it shows (`-v`)
//! go above it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `total` feeds, shown when `wanted` and stderr is a terminal.
    pub fn new(total: usize, wanted: bool) -> Progress {
        if !wanted || total == 0 || !std::io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::with_draw_target(
            Some(total as u64),
            ProgressDrawTarget::stderr_with_hz(4),
        );
        // The template is a constant: it parses, and a bad one would only lose the bar.
        if let Ok(style) = ProgressStyle::with_template(
            "dossier {spinner} {pos}/{len} feeds [{wide_bar}] {msg}, {per_sec}, {eta} left",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("0 items stored");
        Progress { bar }
    }

    pub fn shown(&self) -> bool {
        !self.bar.is_hidden()
    }

    /// `feeds` more are done; `items` have been stored in all.
    pub fn advance(&self, feeds: usize, items: u64) {
        if self.shown() {
            self.bar.set_message(format!("{items} items stored"));
            self.bar.inc(feeds as u64);
        }
    }

    /// Prints a line to stderr, above the bar when it shows.
    pub fn line(&self, text: &str) {
        self.bar.suspend(|| eprintln!("{text}"));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
