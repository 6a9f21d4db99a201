//! Cost against the size of the feed list: the same steps at 1,000, 10,000 and 100,000
//! feeds, each a child process of the release binary, reported per feed so that a cost
//! that grows faster than the list shows as a ratio above 1.
//!
//! Steps: `check`; a first `run` into a fresh store; an all-304 `run --all`; a `run` with
//! nothing due; `feeds --json`; `feeds export-opml`. Feeds carry two items each and are
//! spread over 50 loopback addresses (per_host = 2, so 100 requests in flight at most), the
//! shape of a large subscription list rather than of a few big feeds.

use crate::ingest::{Measured, measure};
use crate::report::fmt_spread;
use crate::server::{self, Doc, Docs};
use anyhow::{Result, bail};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, RwLock};

const HOSTS: u8 = 50;
const ITEMS: usize = 2;

fn body(feed: usize) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Scale {feed}</title><link>https://scale{}.example/</link>",
        feed % 97
    );
    for i in 0..ITEMS {
        let _ = write!(
            s,
            "<item><guid>s:{feed}:{i}</guid><title>Story {i} of feed {feed} on chips and export policy</title>\
             <link>https://scale{}.example/{feed}/{i}</link><pubDate>Mon, 01 Jun 2026 {:02}:00:00 GMT</pubDate>\
             <description>Short text {feed} {i}.</description></item>",
            feed % 97,
            i % 24
        );
    }
    s.push_str("</channel></rss>");
    s.into_bytes()
}

fn write_config(dir: &Path, addrs: &[SocketAddr], feeds: usize) -> Result<std::path::PathBuf> {
    let mut cfg = String::from(
        "[store]\npath = \"scale.sqlite\"\n\n[fetch]\nallow_private_addresses = true\nconcurrency = 64\nper_host = 2\n\
         per_host_gap_ms = 0\nretries = 0\narticle_pages = false\n\n\
         [[topic]]\nslug = \"chips\"\ntitle = \"Chips\"\nmatch_any = [\"export policy\"]\n\n",
    );
    for f in 0..feeds {
        let addr = addrs[f % addrs.len()];
        let _ = write!(
            cfg,
            "[[feed]]\nname = \"feed-{f}\"\nurl = \"http://{addr}/s/{f}.rss\"\n\n"
        );
    }
    let path = dir.join("dossier.toml");
    std::fs::write(&path, cfg)?;
    Ok(path)
}

const STEPS: &[(&str, &[&str])] = &[
    ("`check`", &["check"]),
    ("first `run` (fresh store)", &["run", "--json"]),
    ("all-304 `run --all`", &["run", "--all", "--json"]),
    ("`run`, nothing due", &["run", "--json"]),
    ("`feeds --json`", &["feeds", "--json"]),
    ("`feeds export-opml`", &["feeds", "export-opml"]),
];

/// One pass over every step at `feeds` feeds: each step's measurement.
fn pass(
    dossier: &Path,
    addrs: &[SocketAddr],
    docs: &Docs,
    feeds: usize,
    r: usize,
) -> Result<Vec<Measured>> {
    {
        let mut d = docs.write().unwrap_or_else(|p| p.into_inner());
        d.clear();
        for f in 0..feeds {
            d.insert(
                format!("/s/{f}.rss"),
                Doc {
                    body: Arc::new(body(f)),
                    etag: format!("\"s{f}\""),
                },
            );
        }
    }
    let dir = std::env::temp_dir().join(format!(
        "dossier-bench-scale-{}-{feeds}-{r}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let config = write_config(&dir, addrs, feeds)?;
    let mut out = Vec::new();
    for (name, args) in STEPS {
        let (mut m, stdout) = measure(dossier, &config, args)?;
        if args[0] == "run" {
            m.stats = serde_json::from_slice(&stdout)?;
        }
        eprintln!(
            "scale {feeds} run {r} {name}: {:.3} s wall, {:.0} MiB {}",
            m.wall,
            m.rss_mib,
            if m.stats.is_null() {
                String::new()
            } else {
                m.stats.to_string()
            }
        );
        out.push(m);
    }
    let first = &out[1].stats;
    if first["items_new"].as_u64() != Some((feeds * ITEMS) as u64) {
        bail!("first run at {feeds} feeds: {first}");
    }
    if out[2].stats["not_modified"].as_u64() != Some(feeds as u64) {
        bail!("all-304 run at {feeds} feeds: {}", out[2].stats);
    }
    if out[3].stats["feeds"].as_u64() != Some(0) {
        bail!("nothing-due run at {feeds} feeds: {}", out[3].stats);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

pub fn run(dossier: &Path, sizes: &[usize], runs: usize) -> Result<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let docs: Docs = Arc::new(RwLock::new(HashMap::new()));
    let ips: Vec<IpAddr> = (1..=HOSTS)
        .map(|h| IpAddr::V4(Ipv4Addr::new(127, 0, 2, h)))
        .collect();
    let addrs = rt.block_on(server::serve(&ips, docs.clone()))?;
    // measured[size][step] = one value per run
    let mut walls: Vec<Vec<Vec<f64>>> = Vec::new();
    let mut rss: Vec<Vec<Vec<f64>>> = Vec::new();
    for &n in sizes {
        let mut w = vec![Vec::new(); STEPS.len()];
        let mut m = vec![Vec::new(); STEPS.len()];
        for r in 0..runs {
            for (i, step) in pass(dossier, &addrs, &docs, n, r)?.into_iter().enumerate() {
                w[i].push(step.wall);
                m[i].push(step.rss_mib);
            }
        }
        walls.push(w);
        rss.push(m);
    }
    let median = |v: &[f64]| crate::report::spread(v).0;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Feeds × {ITEMS} items on {HOSTS} loopback addresses (per_host = 2, concurrency = 64), {runs} run(s) per size, \
         each step a child process: wall time as median (min–max), µs per feed from the median, peak RSS (median). \
         The server runs in the benchmark process on one thread.\n"
    );
    let mut head = String::from("| step |");
    let mut rule = String::from("|---|");
    for n in sizes {
        let _ = write!(head, " {n} feeds: s | µs/feed | MiB |");
        rule.push_str("---|---|---|");
    }
    let _ = write!(
        head,
        " µs/feed at {} ÷ at {} |",
        sizes[sizes.len() - 1],
        sizes[0]
    );
    rule.push_str("---|");
    let _ = writeln!(t, "{head}\n{rule}");
    for (i, (name, _)) in STEPS.iter().enumerate() {
        let mut row = format!("| {name} |");
        for (k, n) in sizes.iter().enumerate() {
            let _ = write!(
                row,
                " {} | {:.1} | {:.0} |",
                fmt_spread(&walls[k][i], 3),
                median(&walls[k][i]) / *n as f64 * 1e6,
                median(&rss[k][i])
            );
        }
        let per = |k: usize| median(&walls[k][i]) / sizes[k] as f64;
        let _ = write!(row, " {:.2} |", per(sizes.len() - 1) / per(0));
        let _ = writeln!(t, "{row}");
    }
    Ok(t)
}
