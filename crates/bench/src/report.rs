//! Figures and BENCHMARKS.md: medians with min–max, and sections rewritten in place
//! between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` markers.

use anyhow::{Context, Result};
use std::path::Path;

/// The vocabulary generated titles and texts are made of (shared by the generators, so
/// that every benchmark reads the same kind of text).
pub const WORDS: &[&str] = &[
    "model",
    "chips",
    "export",
    "inference",
    "training",
    "cluster",
    "benchmark",
    "release",
    "weights",
    "policy",
    "startup",
    "funding",
    "datacenter",
    "latency",
    "agents",
    "robotics",
    "sovereign",
    "compute",
    "open",
    "market",
];

/// Median, min and max of a sample.
pub fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    (mid, v[0], v[v.len() - 1])
}

/// `median (min–max)` with the given number of decimals.
pub fn fmt_spread(values: &[f64], decimals: usize) -> String {
    let (m, lo, hi) = spread(values);
    format!("{m:.decimals$} ({lo:.decimals$}–{hi:.decimals$})")
}

/// One line on the machine the figures come from.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().next().map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0);
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!(
        "Measured {date} on {cpu}, {cores} cores, {} GiB RAM.",
        mem / 1024 / 1024
    )
}

/// Rewrites (or appends) the section `name` of the file.
pub fn replace_section(path: &Path, name: &str, body: &str) -> Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let begin = format!("<!-- bench:{name} -->");
    let end = format!("<!-- /bench:{name} -->");
    let block = format!("{begin}\n{}\n{end}", body.trim_end());
    let new = match (text.find(&begin), text.find(&end)) {
        (Some(b), Some(e)) if e > b => format!("{}{block}{}", &text[..b], &text[e + end.len()..]),
        _ => format!("{}\n\n{block}\n", text.trim_end()),
    };
    std::fs::write(path, new).with_context(|| format!("cannot write {}", path.display()))
}
