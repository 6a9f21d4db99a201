//! Serving writers: `dossier serve` at the store's full size, with and without a writer.
//!
//! The store is built as the store benchmark builds it ([`crate::store::fill`]: items over
//! 50 topics, ten feeds per transaction), plus version 1 of its 10,000-item topic `big`.
//! The release `dossier serve --listen 127.0.0.1:0` reads it; a closed-loop load generator
//! in this process (hyper's HTTP/1.1 client on one tokio thread, one keep-alive connection
//! per simulated client, each sending its next request when the last answer is read) asks
//! each endpoint for a fixed time and records every latency. Each measure runs once with
//! the store quiet and once with a writer storing new items into it, through the same
//! `record_fetches` a run's writer calls, in a thread of this process, at a busy run's
//! pace (500 items four times a second: flat out, it would grow the store several times
//! over its stated size before the rows were done). The same
//! three queries then run through the command line, one process at a time.

use crate::store::{self, PER_FEED, RUN_BATCH, TOPICS, VOCABULARY};
use anyhow::{Context, Result, bail, ensure};
use chrono::{Duration, TimeZone, Utc};
use dossier_model::{FeedUpdate, FetchStatus};
use dossier_store::{SqliteStore as Store, VersionStore};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// The writer's pace: one transaction of `RUN_BATCH` feeds every this often.
const WRITER_GAP: std::time::Duration = std::time::Duration::from_millis(250);

/// Items each feed brings per transaction of the writer: the ingest benchmark's feeds.
const WRITER_ITEMS_PER_FEED: usize = 50;
/// Simulated clients, each on its own keep-alive connection.
const CONCURRENCY: &[usize] = &[1, 8];
/// Requests whose answers are not counted, per connection, before each measure.
const WARM_UP: usize = 3;

/// One endpoint, asked over HTTP and through the command line.
struct Endpoint {
    name: &'static str,
    /// The `n`th request's path and query.
    path: fn(usize) -> String,
    /// The `n`th command's arguments.
    args: fn(usize) -> Vec<String>,
    /// Command-line runs per measure.
    cli_runs: usize,
}

fn search_word(n: usize) -> String {
    store::word((n * 31) % VOCABULARY)
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "items listing, 100 newest",
        path: |_| "/api/v1/items?limit=100".into(),
        args: |_| {
            ["items", "--limit", "100", "--json"]
                .map(String::from)
                .to_vec()
        },
        cli_runs: 40,
    },
    Endpoint {
        name: "version 1 of `big` (10,000 sources)",
        path: |_| "/api/v1/topics/big/versions/1".into(),
        args: |_| {
            ["version", "show", "big", "1", "--json"]
                .map(String::from)
                .to_vec()
        },
        cli_runs: 20,
    },
    Endpoint {
        name: "search, one word, 50 items",
        path: |n| format!("/api/v1/items?q={}&limit=50", search_word(n)),
        args: |n| {
            vec![
                "items".into(),
                "--search".into(),
                search_word(n),
                "--limit".into(),
                "50".into(),
                "--json".into(),
            ]
        },
        cli_runs: 40,
    },
];

/// Every latency of one measure, in milliseconds, and how long it ran.
struct Sample {
    latencies: Vec<f64>,
    wall: f64,
}

impl Sample {
    fn row(&self) -> (f64, f64, f64) {
        let mut v = self.latencies.clone();
        v.sort_by(f64::total_cmp);
        let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
        (v.len() as f64 / self.wall, at(0.5), at(0.99))
    }
}

/// `dossier serve` as a child, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `dossier --config CONFIG serve --listen 127.0.0.1:0` and reads the address it
/// listens on from the line it prints on stderr.
fn start_server(dossier: &Path, config: &Path) -> Result<Server> {
    let mut child = Command::new(dossier)
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("DOSSIER_STORE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start dossier serve")?;
    let mut stderr = BufReader::new(child.stderr.take().context("no stderr")?);
    let mut line = String::new();
    let mut seen = String::new();
    let addr = loop {
        line.clear();
        if stderr.read_line(&mut line)? == 0 {
            let _ = child.kill();
            bail!("dossier serve exited before saying where it listens:\n{seen}");
        }
        seen.push_str(&line);
        if let Some(addr) = listen_address(&line) {
            break addr;
        }
    };
    // Keep reading stderr so that the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while stderr.read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
    Ok(Server { child, addr })
}

/// The `127.0.0.1:PORT` in a line such as `dossier serve: listening on http://127.0.0.1:PORT/`.
fn listen_address(line: &str) -> Option<SocketAddr> {
    let at = line.find("127.0.0.1:")?;
    let rest = &line[at..];
    let end = rest
        .char_indices()
        .skip("127.0.0.1:".len())
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].parse().ok()
}

/// One simulated client: a keep-alive connection sending `count` warm-up requests, then
/// requests until `until`; returns its latencies (ms) after the warm-up.
async fn client(
    addr: SocketAddr,
    path: fn(usize) -> String,
    first: usize,
    until: Instant,
) -> Result<Vec<f64>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut send, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let host = addr.to_string();
    let mut latencies = Vec::new();
    let mut n = first;
    loop {
        let req = hyper::Request::get(path(n))
            .header("host", &host)
            .body(Empty::<Bytes>::new())?;
        let t = Instant::now();
        send.ready().await?;
        let res = send.send_request(req).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        ensure!(
            status == 200,
            "{} answered {status}: {}",
            path(n),
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        if n - first >= WARM_UP {
            latencies.push(ms);
            if Instant::now() >= until {
                return Ok(latencies);
            }
        }
        n += 1;
    }
}

/// `connections` clients asking for `path` for `secs` seconds (after their warm-up).
fn load(
    rt: &tokio::runtime::Runtime,
    addr: SocketAddr,
    path: fn(usize) -> String,
    connections: usize,
    secs: f64,
) -> Result<Sample> {
    rt.block_on(async {
        let started = Instant::now();
        let until = started + std::time::Duration::from_secs_f64(secs);
        let tasks: Vec<_> = (0..connections)
            .map(|c| tokio::spawn(client(addr, path, c * 100_000, until)))
            .collect();
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await??);
        }
        Ok(Sample {
            latencies,
            wall: started.elapsed().as_secs_f64(),
        })
    })
}

/// The same query through the command line, one process at a time: each run's wall time.
fn cli(dossier: &Path, config: &Path, e: &Endpoint) -> Result<Sample> {
    let started = Instant::now();
    let mut latencies = Vec::new();
    for n in 0..e.cli_runs {
        let t = Instant::now();
        let out = Command::new(dossier)
            .arg("--config")
            .arg(config)
            .args((e.args)(n))
            .env_remove("DOSSIER_STORE_URL")
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output()?;
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        ensure!(
            out.status.success() && !out.stdout.is_empty(),
            "dossier {:?} failed: {}",
            (e.args)(n),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(Sample {
        latencies,
        wall: started.elapsed().as_secs_f64(),
    })
}

/// What the writers of the rows stored, and where the next one starts.
struct Written {
    path: PathBuf,
    feeds: usize,
    next_feed: Arc<AtomicU64>,
    items: u64,
    rates: Vec<f64>,
}

impl Written {
    /// Runs `measure`, with a writer storing meanwhile when `writing`.
    fn around<T>(&mut self, writing: bool, measure: impl FnOnce() -> Result<T>) -> Result<T> {
        let writer = writing
            .then(|| Writer::start(&self.path, self.feeds, self.next_feed.clone()))
            .transpose()?;
        let out = measure();
        if let Some(w) = writer {
            let (n, rate) = w.stop()?;
            self.items += n;
            self.rates.push(rate);
        }
        out
    }
}

/// A writer storing new items into the store until stopped, ten feeds of 50 items per
/// transaction: how many items it stored, and in how many seconds.
struct Writer {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
    started: Instant,
}

impl Writer {
    fn start(path: &Path, feeds: usize, next_feed: Arc<AtomicU64>) -> Result<Writer> {
        let mut store = Store::open(path)?;
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let (s, w) = (stop.clone(), written.clone());
        let thread = std::thread::spawn(move || -> Result<()> {
            let base = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
            let began = Instant::now();
            let mut transactions = 0u32;
            while !s.load(Ordering::Relaxed) {
                // At a busy run's pace, not flat out: a writer racing at full speed for the
                // whole benchmark would grow the store several times over its stated size.
                let due = began + WRITER_GAP * transactions;
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                transactions += 1;
                let first = next_feed.fetch_add(RUN_BATCH as u64, Ordering::Relaxed) as usize;
                // Newer than anything in the store, as a run's new items are.
                let now = base + Duration::hours(1) + Duration::seconds(first as i64);
                let update = FeedUpdate {
                    status: FetchStatus::Http(200),
                    ..FeedUpdate::new(now)
                };
                let batch: Vec<(String, Vec<dossier_model::Item>)> = (first..first + RUN_BATCH)
                    .map(|g| {
                        // Generated feed `g` has items no other has; it is stored under
                        // one of the store's feeds, as a feed's later fetch would be.
                        let key = format!("f{}", g % feeds);
                        let topic = format!("t{}", (g % feeds) % TOPICS);
                        (
                            key,
                            store::items_n(g, WRITER_ITEMS_PER_FEED, &topic, now, 0.0),
                        )
                    })
                    .collect();
                store::record_all(&mut store, &batch, &update)?;
                w.fetch_add(
                    (RUN_BATCH * WRITER_ITEMS_PER_FEED) as u64,
                    Ordering::Relaxed,
                );
            }
            Ok(())
        });
        Ok(Writer {
            stop,
            written,
            thread: Some(thread),
            started: Instant::now(),
        })
    }

    /// Stops the writer: items stored and their rate.
    fn stop(mut self) -> Result<(u64, f64)> {
        self.stop.store(true, Ordering::Relaxed);
        let wall = self.started.elapsed().as_secs_f64();
        if let Some(t) = self.thread.take() {
            t.join().map_err(|_| anyhow::anyhow!("writer panicked"))??;
        }
        let n = self.written.load(Ordering::Relaxed);
        Ok((n, n as f64 / wall))
    }
}

pub fn run(dossier: &Path, total: usize, secs: f64) -> Result<String> {
    ensure!(
        total >= 10 * PER_FEED,
        "--store-items must be at least {} for the serve benchmark",
        10 * PER_FEED
    );
    let dir = std::env::temp_dir().join(format!("dossier-bench-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let result = run_in(dossier, &dir, total, secs);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(dossier: &Path, dir: &Path, total: usize, secs: f64) -> Result<String> {
    let path: PathBuf = dir.join("store.sqlite");
    let filled = store::fill(&path, total, RUN_BATCH, 0.0)?;
    let feeds = total / PER_FEED;
    let mut st = filled.store;
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let v = st.cut_version("big", now, dossier_normalize::stories::group)?;
    let big = v.item_count;
    drop(st);
    let config = dir.join("dossier.toml");
    // `version show` reads only the topics the config names.
    std::fs::write(
        &config,
        "[store]\npath = \"store.sqlite\"\n\n[[topic]]\nslug = \"big\"\ntitle = \"Big\"\n",
    )?;
    let server = start_server(dossier, &config)?;
    eprintln!("serve: dossier serve listens on {}", server.addr);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut written = Written {
        path: path.clone(),
        feeds,
        // Generated feeds the writer has not used yet: past the ones the store was filled with.
        next_feed: Arc::new(AtomicU64::new(feeds as u64 + 1)),
        items: 0,
        rates: Vec::new(),
    };
    let mut rows = String::new();
    for e in ENDPOINTS {
        for writing in [false, true] {
            for &c in CONCURRENCY {
                let sample = written.around(writing, || load(&rt, server.addr, e.path, c, secs))?;
                let (rps, p50, p99) = sample.row();
                eprintln!(
                    "serve: {} writer {} c={c}: {rps:.0} req/s, p50 {p50:.2} ms, p99 {p99:.2} ms",
                    e.name,
                    if writing { "on" } else { "off" }
                );
                let _ = writeln!(
                    rows,
                    "| {} `{}` | {} | {c} | {} | {rps:.0} | {p50:.2} | {p99:.2} |",
                    e.name,
                    (e.path)(0),
                    if writing { "on" } else { "off" },
                    sample.latencies.len()
                );
            }
        }
    }
    drop(server);
    for e in ENDPOINTS {
        for writing in [false, true] {
            let sample = written.around(writing, || cli(dossier, &config, e))?;
            let (rps, p50, p99) = sample.row();
            eprintln!(
                "serve: CLI {} writer {}: p50 {p50:.1} ms, p99 {p99:.1} ms",
                e.name,
                if writing { "on" } else { "off" }
            );
            let _ = writeln!(
                rows,
                "| `dossier {}` | {} | 1 process at a time | {} | {rps:.1} | {p50:.1} | {p99:.1} |",
                (e.args)(0).join(" "),
                if writing { "on" } else { "off" },
                sample.latencies.len()
            );
        }
    }

    let mut t = String::new();
    let _ = writeln!(
        t,
        "A store of {total} items over {TOPICS} topics (built as in \"The store at scale\"), with version 1 of a \
         {big}-item topic; the release `dossier serve` reads it, a closed-loop load generator in the benchmark \
         process (one keep-alive HTTP/1.1 connection per client, each request sent when the last answer is read, \
         {secs:.0} s per row, every latency recorded) asks each endpoint. \"writer on\": a thread of the benchmark \
         stores new items into the same store meanwhile, through the `record_fetches` a run's writer calls, \
         {RUN_BATCH} feeds of {WRITER_ITEMS_PER_FEED} new items per transaction, one transaction every {} ms \
         (a busy run's pace; flat out it would grow the store several times over while the rows run); it stored \
         {} items in all, {} items/s per row (median (min–max)). The command-line rows run the same query \
         as one `dossier` process at a time (its whole wall time: start, open, query, print); with few runs, their \
         p99 is close to their maximum. Search words change with every request. Server, load generator and writer \
         share the machine's cores.\n",
        WRITER_GAP.as_millis(),
        written.items,
        crate::report::fmt_spread(&written.rates, 0)
    );
    let _ = writeln!(
        t,
        "| endpoint | writer | connections | requests | req/s | p50 ms | p99 ms |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|");
    t.push_str(&rows);
    Ok(t)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_listen_line() {
        assert_eq!(
            super::listen_address("dossier serve: listening on http://127.0.0.1:41234/\n"),
            Some("127.0.0.1:41234".parse().unwrap())
        );
        assert_eq!(
            super::listen_address("listening on 127.0.0.1:80"),
            Some("127.0.0.1:80".parse().unwrap())
        );
        assert_eq!(super::listen_address("starting"), None);
    }
}
