//! `dossier-bench`: the benchmark suite. It generates its inputs deterministically, runs
//! the release `dossier` binary against them, and rewrites its tables in BENCHMARKS.md.
//!
//! Machines here are noisy: every figure is a median with min–max over several runs, and
//! comparisons are ratios measured in the same run. Timing goals live here, never in tests.

mod ingest;
mod report;
mod server;

use anyhow::{Context, Result, bail};
use std::path::PathBuf;

fn usage() -> ! {
    eprintln!(
        "usage: dossier-bench [--dossier PATH] [--runs N] [--out BENCHMARKS.md] <ingest|all> [--feeds N] [--items N]"
    );
    std::process::exit(2)
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut dossier = PathBuf::from("target/release/dossier");
    let mut runs = 5usize;
    let mut out = PathBuf::from("BENCHMARKS.md");
    let mut feeds = 2000usize;
    let mut items = 50usize;
    let mut command = None;
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--dossier" => dossier = value().into(),
            "--runs" => runs = value().parse().context("--runs")?,
            "--out" => out = value().into(),
            "--feeds" => feeds = value().parse().context("--feeds")?,
            "--items" => items = value().parse().context("--items")?,
            "ingest" | "all" => command = Some(a),
            _ => usage(),
        }
    }
    let Some(command) = command else { usage() };
    if !dossier.exists() {
        bail!("{} not found: build it first (cargo build --release)", dossier.display());
    }
    let machine = report::machine();
    eprintln!("machine: {machine}");
    match command.as_str() {
        "ingest" | "all" => {
            let table = ingest::run(&dossier, feeds, items, runs)?;
            report::replace_section(&out, "ingest", &format!("{machine}\n\n{table}"))?;
        }
        _ => usage(),
    }
    eprintln!("wrote {}", out.display());
    Ok(())
}
