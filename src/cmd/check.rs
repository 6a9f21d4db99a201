//! `dossier check`: the config validated (loading it did that) and summarised. Warnings
//! (what is allowed but probably not meant) go to stderr, one line each; they do not
//! change the exit code, and no other command prints them (a cron `run` stays quiet).

use crate::config::Checked;
use crate::output;
use anyhow::Result;

pub fn run(checked: &Checked) -> Result<()> {
    let warnings = checked.warning_lines();
    for line in &warnings {
        eprintln!("{line}");
    }
    if !warnings.is_empty() {
        eprintln!("dossier: the config has {} warning(s)", warnings.len());
    }
    output::print_check(checked)
}
