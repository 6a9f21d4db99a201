//! SQLite against PostgreSQL, measured in one run: the ingest workload of `ingest` (a
//! first run into a fresh store, then an all-304 rerun) on each backend, interleaved; 1,
//! 2 and 4 runs at once on one PostgreSQL store over slow loopback servers (a fetch-bound
//! workload: the runs share it by claiming hosts); and `store copy` of a large store to
//! PostgreSQL and back.
//!
//! Needs PostgreSQL (`DOSSIER_TEST_PG_URL`, else the local server); each measurement gets
//! a fresh schema.

use crate::ingest::{Measured, doc, measure_with, run_child_with, write_config_with};
use crate::report::fmt_spread;
use crate::server::{self, Docs};
use anyhow::{Context, Result, bail};
use dossier_store::pg::testing::TestSchema;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const HOSTS: u8 = 50;

fn schema(name: &str) -> Result<TestSchema> {
    TestSchema::new(name).context("the backends benchmark needs PostgreSQL")
}

fn loopback(
    rt: &tokio::runtime::Runtime,
    docs: Docs,
    delay: Option<Duration>,
) -> Result<Vec<std::net::SocketAddr>> {
    let ips: Vec<IpAddr> = (1..=HOSTS)
        .map(|h| IpAddr::V4(Ipv4Addr::new(127, 0, 2, h)))
        .collect();
    Ok(rt.block_on(server::serve_slow(&ips, docs, delay))?)
}

fn fill_docs(docs: &Docs, feeds: usize, items: usize) {
    let mut d = docs.write().unwrap();
    d.clear();
    for f in 0..feeds {
        d.insert(format!("/feed/{f}.rss"), doc(f, items, 0));
    }
}

fn temp_dir(what: &str, r: usize) -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("dossier-bench-{what}-{}-{r}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub fn run(
    dossier: &Path,
    feeds: usize,
    items: usize,
    runs: usize,
    copy_items: usize,
    only: Option<&str>,
) -> Result<String> {
    let part = |name: &str| only.is_none_or(|o| o == name);
    if let Some(o) = only.filter(|o| !["ingest", "concurrent", "copy"].contains(o)) {
        bail!("--only {o}: backends has the parts ingest, concurrent and copy");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let mut parts = Vec::new();
    if part("ingest") {
        parts.push(ingest(&rt, dossier, feeds, items, runs)?);
    }
    if part("concurrent") {
        parts.push(concurrent(&rt, dossier, runs)?);
    }
    if part("copy") {
        parts.push(copy(dossier, copy_items)?);
    }
    Ok(parts.join("\n"))
}

/// The `ingest` workload on each backend, runs interleaved.
fn ingest(
    rt: &tokio::runtime::Runtime,
    dossier: &Path,
    feeds: usize,
    items: usize,
    runs: usize,
) -> Result<String> {
    let docs: Docs = Arc::new(RwLock::new(HashMap::new()));
    let addrs = loopback(rt, docs.clone(), None)?;
    let mut by: HashMap<&str, (Vec<Measured>, Vec<Measured>)> = HashMap::new();
    for r in 0..runs {
        for backend in ["SQLite", "PostgreSQL"] {
            fill_docs(&docs, feeds, items);
            let dir = temp_dir("backends", r)?;
            let config =
                write_config_with(&dir, &addrs, feeds, "concurrency = 32\nper_host = 2\n")?;
            let pg = (backend == "PostgreSQL")
                .then(|| schema("backends"))
                .transpose()?;
            let env: Vec<(&str, &str)> = pg
                .as_ref()
                .map(|s| vec![("DOSSIER_STORE_URL", s.url.as_str())])
                .unwrap_or_default();
            let first = run_child_with(dossier, &config, &["run", "--json"], &env)?;
            let rerun = run_child_with(dossier, &config, &["run", "--all", "--json"], &env)?;
            eprintln!(
                "backends run {r} {backend}: first {:.2} s ({}), all-304 {:.2} s",
                first.wall, first.stats, rerun.wall
            );
            if first.stats["items_new"].as_u64() != Some((feeds * items) as u64) {
                bail!("{backend}: first run stored {}", first.stats["items_new"]);
            }
            if rerun.stats["not_modified"].as_u64() != Some(feeds as u64) {
                bail!("{backend}: all-304 rerun: {}", rerun.stats);
            }
            let e = by.entry(backend).or_default();
            e.0.push(first);
            e.1.push(rerun);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let rate = |ms: &[Measured]| -> Vec<f64> {
        ms.iter()
            .map(|m| m.stats["items_new"].as_f64().unwrap_or(0.0) / m.wall)
            .collect()
    };
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{feeds} feeds × {items} items on {HOSTS} loopback addresses (per_host = 2, concurrency = 32), \
         {runs} runs of each backend, interleaved; median (min–max). PostgreSQL is the local \
         server (loopback TCP), a fresh schema per run.\n"
    );
    let _ = writeln!(
        t,
        "| backend | first run s | items/s | first run CPU s | all-304 rerun s | all-304 CPU s |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|");
    for backend in ["SQLite", "PostgreSQL"] {
        let (first, rerun) = &by[backend];
        let col = |ms: &[Measured], f: fn(&Measured) -> f64| {
            fmt_spread(&ms.iter().map(f).collect::<Vec<_>>(), 2)
        };
        let _ = writeln!(
            t,
            "| {backend} | {} | {} | {} | {} | {} |",
            col(first, |m| m.wall),
            fmt_spread(&rate(first), 0),
            col(first, |m| m.cpu),
            col(rerun, |m| m.wall),
            col(rerun, |m| m.cpu),
        );
    }
    let ratios: Vec<f64> = rate(&by["PostgreSQL"].0)
        .iter()
        .zip(rate(&by["SQLite"].0))
        .map(|(pg, lite)| pg / lite)
        .collect();
    let _ = writeln!(
        t,
        "\nPostgreSQL / SQLite first-run items/s, run by run: {}",
        fmt_spread(&ratios, 2)
    );
    Ok(t)
}

/// 1, 2 and 4 runs at once on one PostgreSQL store, every response 50 ms late.
fn concurrent(rt: &tokio::runtime::Runtime, dossier: &Path, runs: usize) -> Result<String> {
    const FEEDS: usize = 2000;
    const ITEMS: usize = 5;
    const DELAY_MS: u64 = 50;
    let docs: Docs = Arc::new(RwLock::new(HashMap::new()));
    let addrs = loopback(rt, docs.clone(), Some(Duration::from_millis(DELAY_MS)))?;
    // The same feeds with no delay: what a run costs besides waiting for its fetches.
    let quick = loopback(rt, docs.clone(), None)?;
    let mut walls: HashMap<usize, Vec<f64>> = HashMap::new();
    let mut fixed = Vec::new();
    for r in 0..runs {
        {
            fill_docs(&docs, FEEDS, ITEMS);
            let dir = temp_dir("concurrent-quick", r)?;
            let config = write_config_with(&dir, &quick, FEEDS, "concurrency = 8\nper_host = 2\n")?;
            let pg = schema("concurrent")?;
            let started = Instant::now();
            measure_with(
                dossier,
                &config,
                &["run", "--json"],
                &[("DOSSIER_STORE_URL", &pg.url)],
            )?;
            fixed.push(started.elapsed().as_secs_f64());
            let _ = std::fs::remove_dir_all(&dir);
        }
        for k in [1usize, 2, 4] {
            fill_docs(&docs, FEEDS, ITEMS);
            let dir = temp_dir("concurrent", r)?;
            let config = write_config_with(&dir, &addrs, FEEDS, "concurrency = 8\nper_host = 2\n")?;
            let pg = schema("concurrent")?;
            let started = Instant::now();
            let children: Vec<_> = (0..k)
                .map(|_| {
                    let (config, url) = (config.clone(), pg.url.clone());
                    let dossier = dossier.to_path_buf();
                    std::thread::spawn(move || {
                        measure_with(
                            &dossier,
                            &config,
                            &["run", "--json"],
                            &[("DOSSIER_STORE_URL", &url)],
                        )
                    })
                })
                .collect();
            let mut fetched = 0;
            for c in children {
                let (_, out) = c
                    .join()
                    .map_err(|_| anyhow::anyhow!("a run thread panicked"))??;
                let stats: serde_json::Value = serde_json::from_slice(&out)?;
                fetched += stats["fetched"].as_u64().unwrap_or(0);
            }
            let wall = started.elapsed().as_secs_f64();
            eprintln!("concurrent run {r}: {k} runs at once, {wall:.2} s, {fetched} feeds fetched");
            if fetched != FEEDS as u64 {
                bail!("{k} runs at once fetched {fetched} feeds, not {FEEDS}");
            }
            walls.entry(k).or_default().push(wall);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Runs at once on one PostgreSQL store, fetch-bound: {FEEDS} feeds × {ITEMS} items on {HOSTS} \
         loopback addresses, every response {DELAY_MS} ms late, each run with concurrency = 8 and \
         per_host = 2; wall time until the last run is done, {runs} rounds, median (min–max).\n"
    );
    let _ = writeln!(
        t,
        "| runs at once | wall s | / one run | waiting on fetches, s | / one run's |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|");
    let one = walls[&1].clone();
    // A round's fixed part: one run of the same feeds answered at once.
    let waiting = |k: usize| -> Vec<f64> {
        walls[&k]
            .iter()
            .zip(&fixed)
            .map(|(w, f)| (w - f).max(0.0))
            .collect()
    };
    let one_waiting = waiting(1);
    for k in [1usize, 2, 4] {
        let ratio: Vec<f64> = walls[&k].iter().zip(&one).map(|(w, o)| w / o).collect();
        let wait = waiting(k);
        let wait_ratio: Vec<f64> = wait.iter().zip(&one_waiting).map(|(w, o)| w / o).collect();
        let _ = writeln!(
            t,
            "| {k} | {} | {} | {} | {} |",
            fmt_spread(&walls[&k], 2),
            fmt_spread(&ratio, 2),
            fmt_spread(&wait, 2),
            fmt_spread(&wait_ratio, 2)
        );
    }
    let _ = writeln!(
        t,
        "\nOne run of the same feeds answered without delay (what a run costs besides waiting \
         for its fetches: start, config, storing, the passes after the feeds): {} s; \
         \"waiting on fetches\" is the wall time less that.",
        fmt_spread(&fixed, 2)
    );
    Ok(t)
}

/// `store copy` of a store of `total` items to PostgreSQL, and from there to a new SQLite
/// file, each a child process timed whole.
fn copy(dossier: &Path, total: usize) -> Result<String> {
    let dir = temp_dir("copy", 0)?;
    let source = dir.join("bench.sqlite");
    eprintln!("copy: filling a store of {total} items");
    drop(crate::store::fill(&source, total, crate::store::RUN_BATCH, 0.1)?.store);
    let config = dir.join("dossier.toml");
    std::fs::write(&config, "[store]\npath = \"bench.sqlite\"\n")?;
    let pg = schema("copy")?;
    let (up, out) = measure_with(dossier, &config, &["store", "copy", "--to", &pg.url], &[])?;
    eprintln!(
        "copy to PostgreSQL: {:.1} s: {}",
        up.wall,
        String::from_utf8_lossy(&out).trim()
    );
    let back = dir.join("back.sqlite");
    let (down, out) = measure_with(
        dossier,
        &config,
        &["store", "copy", "--to", back.to_str().unwrap_or_default()],
        &[("DOSSIER_STORE_URL", &pg.url)],
    )?;
    eprintln!(
        "copy back to SQLite: {:.1} s: {}",
        down.wall,
        String::from_utf8_lossy(&out).trim()
    );
    let _ = std::fs::remove_dir_all(&dir);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "`store copy` of a store of {total} items (the `store` benchmark's, with its sightings, \
         keys and topic links), one run each, the child process timed whole:\n"
    );
    let _ = writeln!(t, "| copy | wall s | CPU s | peak RSS MiB | items/s |");
    let _ = writeln!(t, "|---|---|---|---|---|");
    for (what, m) in [("SQLite → PostgreSQL", &up), ("PostgreSQL → SQLite", &down)] {
        let _ = writeln!(
            t,
            "| {what} | {:.1} | {:.1} | {:.0} | {:.0} |",
            m.wall,
            m.cpu,
            m.rss_mib,
            total as f64 / m.wall
        );
    }
    Ok(t)
}
