//! `dossier-bench`: the benchmark suite. It generates its inputs deterministically, runs
//! the release `dossier` binary against them, and rewrites its tables in BENCHMARKS.md.
//!
//! Machines here are noisy: every figure is a median with min–max over several runs, and
//! comparisons are ratios measured in the same run. Timing goals live here, never in tests.

mod backends;
mod dates;
mod ingest;
mod neardup;
mod parse;
mod report;
mod scale;
mod serve;
mod server;
mod store;
mod stories;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

fn usage() -> ! {
    eprintln!(
        "usage: dossier-bench [--dossier PATH] [--runs N] [--out BENCHMARKS.md] <ingest|parse|store|serve|dates|neardup|stories|scale|backends|all|parse-inputs DIR|parse-loop [--rounds N] [--only-dossier] FILE...> [--feeds N] [--items N] [--dates DIR] [--store-items N] [--serve-secs S] [--scale-sizes 1000,10000,100000] [--cjk-share 0.1] [--only ingest|concurrent|copy]"
    );
    std::process::exit(2)
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut dossier = PathBuf::from("target/release/dossier");
    let mut runs = 5usize;
    let mut out = PathBuf::from("BENCHMARKS.md");
    let mut feeds = 2000usize;
    let mut store_items = 1_000_000usize;
    let mut items = 50usize;
    let mut command = None;
    let mut dates_dir = PathBuf::from("../shared/bench/dates");
    let mut scale_sizes = vec![1_000usize, 10_000, 100_000];
    let mut cjk_share = 0.1f64;
    let mut serve_secs = 10.0f64;
    let mut only = None;
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--dossier" => dossier = value().into(),
            "--runs" => runs = value().parse().context("--runs")?,
            "--out" => out = value().into(),
            "--feeds" => feeds = value().parse().context("--feeds")?,
            "--items" => items = value().parse().context("--items")?,
            "--store-items" => store_items = value().parse().context("--store-items")?,
            "--dates" => dates_dir = value().into(),
            "--cjk-share" => cjk_share = value().parse().context("--cjk-share")?,
            "--serve-secs" => serve_secs = value().parse().context("--serve-secs")?,
            // One part of `backends` alone (ingest, concurrent or copy): for profiling.
            "--only" => only = Some(value()),
            "--scale-sizes" => {
                scale_sizes = value()
                    .split(',')
                    .map(|n| n.trim().replace('_', "").parse())
                    .collect::<Result<_, _>>()
                    .context("--scale-sizes")?
            }
            "ingest" | "dates" | "neardup" | "stories" | "parse" | "store" | "scale" | "serve"
            | "backends" | "all" => command = Some(a),
            // Parses the files left on the command line over and over, and stops: for
            // profiling (`perf record`, `valgrind --tool=callgrind`).
            "parse-loop" => {
                let mut rounds = 10;
                let mut only_dossier = false;
                let mut files = Vec::new();
                while let Some(a) = args.next() {
                    match a.as_str() {
                        "--rounds" => {
                            rounds = args
                                .next()
                                .unwrap_or_else(|| usage())
                                .parse()
                                .context("--rounds")?
                        }
                        "--only-dossier" => only_dossier = true,
                        _ => files.push(PathBuf::from(a)),
                    }
                }
                return parse::profile(&files, rounds, only_dossier);
            }
            // Writes the parse inputs to DIR and stops: for profiling with `parse-loop`.
            "parse-inputs" => {
                let dir = PathBuf::from(value());
                parse::write_inputs(&dir)?;
                eprintln!("wrote the parse inputs to {}", dir.display());
                return Ok(());
            }
            _ => usage(),
        }
    }
    let Some(command) = command else { usage() };
    // Only the benchmarks that run the binary need it built.
    let needs_binary = !matches!(command.as_str(), "store" | "neardup" | "stories");
    if needs_binary && !dossier.exists() {
        bail!(
            "{} not found: build it first (cargo build --release)",
            dossier.display()
        );
    }
    let dossier = std::fs::canonicalize(&dossier).unwrap_or(dossier);
    let dates_dir = std::fs::canonicalize(&dates_dir).unwrap_or(dates_dir);
    let machine = report::machine();
    eprintln!("machine: {machine}");
    if matches!(command.as_str(), "ingest" | "all") {
        let table = ingest::run(&dossier, feeds, items, runs)?;
        report::replace_section(&out, "ingest", &format!("{machine}\n\n{table}"))?;
    }
    if matches!(command.as_str(), "backends" | "all") {
        let table = backends::run(
            &dossier,
            feeds,
            items,
            runs.min(3),
            store_items,
            only.as_deref(),
        )?;
        if only.is_some() {
            // A part alone would leave the section without the others: printed instead.
            println!("{table}");
        } else {
            report::replace_section(&out, "backends", &format!("{machine}\n\n{table}"))?;
        }
    }
    if matches!(command.as_str(), "scale" | "all") {
        // The largest size costs minutes a pass: a few runs give the medians.
        let table = scale::run(&dossier, &scale_sizes, runs.min(3))?;
        report::replace_section(&out, "scale", &format!("{machine}\n\n{table}"))?;
    }
    if matches!(command.as_str(), "store" | "all") {
        let table = store::run(store_items, cjk_share)?;
        report::replace_section(&out, "store", &format!("{machine}\n\n{table}"))?;
    }
    if matches!(command.as_str(), "serve" | "all") {
        let table = serve::run(&dossier, store_items, serve_secs)?;
        report::replace_section(&out, "serve", &format!("{machine}\n\n{table}"))?;
    }
    if matches!(command.as_str(), "parse" | "all") {
        let table = parse::run(&dossier, runs)?;
        report::replace_section(&out, "parse", &format!("{machine}\n\n{table}"))?;
    }
    if matches!(command.as_str(), "neardup" | "all") {
        let table = neardup::run(Path::new("fixtures/near-dups/pairs.tsv"))?;
        report::replace_section(&out, "neardup", &table)?;
    }
    if matches!(command.as_str(), "stories" | "all") {
        let table = stories::run(Path::new("fixtures/stories/items.jsonl"), runs)?;
        report::replace_section(&out, "stories", &format!("{machine}\n\n{table}"))?;
    }
    if matches!(command.as_str(), "dates" | "all") {
        let script = PathBuf::from("scripts/htmldate_bench.py");
        if let Some(table) = dates::run(&dossier, &dates_dir, &script, runs)? {
            report::replace_section(&out, "dates", &format!("{machine}\n\n{table}"))?;
        }
    }
    eprintln!("wrote {}", out.display());
    Ok(())
}
