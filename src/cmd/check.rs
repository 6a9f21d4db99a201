//! `dossier check`: the config validated (loading it did that) and summarised.

use crate::config::Config;
use crate::output;
use anyhow::Result;

pub fn run(cfg: &Config) -> Result<()> {
    output::print_check(cfg)
}
