//! End-to-end ingest: N feeds × M items served on loopback into a fresh store, then an
//! all-304 rerun, then a rerun where 5% of the feeds changed. Each run is the release
//! binary as a child process; wall time from the clock, CPU time and peak memory from
//! `wait4` (the child's own rusage).

use crate::report::fmt_spread;
use crate::server::{self, Doc, Docs};
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// Loopback addresses the feeds are spread over, so per-host limits apply as they would
/// to many sites (all of 127.0.0.0/8 is loopback on Linux).
const HOSTS: u8 = 50;
use crate::report::WORDS;
const KEYWORDS: &[&str] = &[
    "DeepSeek",
    "export controls",
    "Qwen",
    "Nvidia",
    "open-weight",
    "Huawei Ascend",
];

/// One feed's RSS body; `version` > 0 adds five newer items on top.
fn feed_body(feed: usize, items: usize, version: usize) -> Vec<u8> {
    let mut s = String::with_capacity(items * 600);
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Feed {feed}</title>\
         <link>https://site{}.example/</link><description>Benchmark feed {feed}</description>\n",
        feed % 97
    );
    let fresh = if version > 0 { 5 } else { 0 };
    for i in (0..items + fresh).rev().take(items) {
        let id = if i >= items {
            format!("v{version}-{i}")
        } else {
            i.to_string()
        };
        let w = |k: usize| WORDS[(feed * 7 + i * 13 + k * 5) % WORDS.len()];
        let kw = if (feed + i).is_multiple_of(9) {
            KEYWORDS[(feed + i) % KEYWORDS.len()]
        } else {
            "industry"
        };
        let day = 1 + (i % 28);
        let _ = writeln!(
            s,
            "<item><title>{} {} {} as {kw} shifts the {} &amp; {} debate ({feed}/{id})</title>\
             <link>https://site{}.example/{feed}/story-{id}?utm_source=rss&amp;utm_medium=feed</link>\
             <guid isPermaLink=\"false\">bench:{feed}:{id}</guid>\
             <pubDate>Mon, {day:02} Jun 2026 {:02}:{:02}:00 GMT</pubDate>\
             <description>&lt;p&gt;Analysts say the {} {} will reshape {} {} this year, with {} and {} close behind. \
             &lt;a href=\"https://site{}.example/more\"&gt;Read more&lt;/a&gt;&lt;/p&gt;</description></item>",
            w(0),
            w(1),
            w(2),
            w(3),
            w(4),
            feed % 97,
            i % 24,
            (i * 7) % 60,
            w(5),
            w(6),
            w(7),
            w(8),
            w(9),
            w(10),
            feed % 97,
        );
    }
    s.push_str("</channel></rss>\n");
    s.into_bytes()
}

pub(crate) fn doc(feed: usize, items: usize, version: usize) -> Doc {
    Doc {
        body: Arc::new(feed_body(feed, items, version)),
        etag: format!("\"{feed}-{version}\""),
    }
}

fn write_config(dir: &Path, addrs: &[SocketAddr], feeds: usize) -> Result<std::path::PathBuf> {
    write_config_with(dir, addrs, feeds, "concurrency = 32\nper_host = 2\n")
}

/// A config of `feeds` feeds spread over `addrs`, the store `bench.sqlite` beside it,
/// with `fetch` (lines of `[fetch]`) added to the loopback settings.
pub(crate) fn write_config_with(
    dir: &Path,
    addrs: &[SocketAddr],
    feeds: usize,
    fetch: &str,
) -> Result<std::path::PathBuf> {
    let mut cfg = format!(
        "[store]\npath = \"bench.sqlite\"\n\n[fetch]\nallow_private_addresses = true\n{fetch}\
         per_host_gap_ms = 0\nretries = 0\narticle_pages = false\n\n",
    );
    for (t, kw) in KEYWORDS.iter().enumerate() {
        let _ = write!(
            cfg,
            "[[topic]]\nslug = \"topic-{t}\"\ntitle = \"Topic {t}\"\nmatch_any = [\"{kw}\"]\n\n"
        );
    }
    for f in 0..feeds {
        let addr = addrs[f % addrs.len()];
        let _ = write!(
            cfg,
            "[[feed]]\nname = \"feed-{f}\"\nurl = \"http://{addr}/feed/{f}.rss\"\n\n"
        );
    }
    let path = dir.join("dossier.toml");
    std::fs::write(&path, cfg)?;
    Ok(path)
}

/// One child run: wall seconds, CPU seconds, peak RSS in MiB, and its JSON summary.
pub struct Measured {
    pub wall: f64,
    pub cpu: f64,
    pub rss_mib: f64,
    pub stats: serde_json::Value,
}

fn run_child(dossier: &Path, config: &Path, args: &[&str]) -> Result<Measured> {
    run_child_with(dossier, config, args, &[])
}

/// [`run_child`] with environment variables set for the child (`DOSSIER_STORE_URL`).
pub(crate) fn run_child_with(
    dossier: &Path,
    config: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<Measured> {
    let (m, stdout) = measure_with(dossier, config, args, env)?;
    let stats = serde_json::from_slice(&stdout).context("run --json output")?;
    Ok(Measured { stats, ..m })
}

/// One child run of `dossier --config CONFIG ARGS`, which must exit 0: its wall, CPU and
/// peak memory, and what it printed on stdout.
pub fn measure(dossier: &Path, config: &Path, args: &[&str]) -> Result<(Measured, Vec<u8>)> {
    measure_with(dossier, config, args, &[])
}

/// [`measure`] with environment variables set for the child.
pub(crate) fn measure_with(
    dossier: &Path,
    config: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<(Measured, Vec<u8>)> {
    let started = Instant::now();
    let child = std::process::Command::new(dossier)
        .arg("--config")
        .arg(config)
        .args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("cannot start dossier")?;
    let pid = child.id() as libc::pid_t;
    // Read the pipes before reaping, so a chatty child cannot block on a full pipe.
    let out = child.wait_with_output_rusage(pid)?;
    let wall = started.elapsed().as_secs_f64();
    if out.status != 0 {
        bail!(
            "dossier {args:?} exited {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if std::env::var_os("DOSSIER_LOG").is_some() {
        // Asked for the child's log (phase timings at `debug`): pass it on.
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((
        Measured {
            wall,
            cpu: out.cpu,
            rss_mib: out.maxrss_kib as f64 / 1024.0,
            stats: serde_json::Value::Null,
        },
        out.stdout,
    ))
}

struct ChildOutput {
    status: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    cpu: f64,
    maxrss_kib: i64,
}

trait WaitRusage {
    fn wait_with_output_rusage(self, pid: libc::pid_t) -> Result<ChildOutput>;
}

impl WaitRusage for std::process::Child {
    fn wait_with_output_rusage(mut self, pid: libc::pid_t) -> Result<ChildOutput> {
        use std::io::Read;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let mut err_pipe = self.stderr.take().context("stderr")?;
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err_pipe.read_to_end(&mut buf);
            buf
        });
        self.stdout
            .take()
            .context("stdout")?
            .read_to_end(&mut stdout)?;
        stderr.extend(err_reader.join().unwrap_or_default());
        let mut status = 0;
        // SAFETY: `rusage` is plain old data filled in by the kernel; `pid` is our child,
        // not yet reaped (std only reaps in wait/try_wait, which are never called here).
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped != pid {
            bail!("wait4 failed: {}", std::io::Error::last_os_error());
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Ok(ChildOutput {
            status: if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -1
            },
            stdout,
            stderr,
            cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
            maxrss_kib: usage.ru_maxrss,
        })
    }
}

pub fn run(dossier: &Path, feeds: usize, items: usize, runs: usize) -> Result<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let docs: Docs = Arc::new(RwLock::new(HashMap::new()));
    let ips: Vec<IpAddr> = (1..=HOSTS)
        .map(|h| IpAddr::V4(Ipv4Addr::new(127, 0, 1, h)))
        .collect();
    let addrs = rt.block_on(server::serve(&ips, docs.clone()))?;
    let changed: Vec<usize> = (0..feeds).filter(|f| f % 20 == 7).collect();

    let mut first = Vec::new();
    let mut rerun = Vec::new();
    let mut changed_run = Vec::new();
    for r in 0..runs {
        {
            let mut d = docs.write().unwrap();
            d.clear();
            for f in 0..feeds {
                d.insert(format!("/feed/{f}.rss"), doc(f, items, 0));
            }
        }
        let dir =
            std::env::temp_dir().join(format!("dossier-bench-ingest-{}-{r}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let config = write_config(&dir, &addrs, feeds)?;
        let a = run_child(dossier, &config, &["run", "--json"])?;
        let b = run_child(dossier, &config, &["run", "--all", "--json"])?;
        {
            let mut d = docs.write().unwrap();
            for &f in &changed {
                d.insert(format!("/feed/{f}.rss"), doc(f, items, 1));
            }
        }
        let c = run_child(dossier, &config, &["run", "--all", "--json"])?;
        for (m, what) in [(&a, "first"), (&b, "all-304"), (&c, "5% changed")] {
            eprintln!(
                "ingest run {r} {what}: {:.2} s wall, {:.2} s CPU, {:.0} MiB, {}",
                m.wall, m.cpu, m.rss_mib, m.stats
            );
        }
        if a.stats["items_new"].as_u64() != Some((feeds * items) as u64) {
            bail!(
                "first run stored {} items, expected {}",
                a.stats["items_new"],
                feeds * items
            );
        }
        if b.stats["not_modified"].as_u64() != Some(feeds as u64) {
            bail!("all-304 rerun: {}", b.stats);
        }
        if c.stats["items_new"].as_u64() != Some(changed.len() as u64 * 5) {
            bail!("changed rerun: {}", c.stats);
        }
        first.push(a);
        rerun.push(b);
        changed_run.push(c);
        let _ = std::fs::remove_dir_all(&dir);
    }

    let col = |ms: &[Measured], f: fn(&Measured) -> f64, d: usize| {
        fmt_spread(&ms.iter().map(f).collect::<Vec<_>>(), d)
    };
    let items_per_s = |ms: &[Measured]| {
        fmt_spread(
            &ms.iter()
                .map(|m| m.stats["items_new"].as_f64().unwrap_or(0.0) / m.wall)
                .collect::<Vec<_>>(),
            0,
        )
    };
    let ratio: Vec<f64> = first
        .iter()
        .zip(&rerun)
        .map(|(a, b)| b.wall / a.wall)
        .collect();
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{feeds} feeds × {items} items on {HOSTS} loopback addresses (per_host = 2, concurrency = 32), \
         {runs} runs, median (min–max). The server runs in the benchmark process on one thread.\n"
    );
    let _ = writeln!(
        t,
        "| run | wall s | CPU s | peak RSS MiB | items stored | items/s |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|");
    for (name, ms) in [
        ("first run (fresh store)", &first),
        ("all-304 rerun", &rerun),
        ("5% of feeds changed", &changed_run),
    ] {
        let _ = writeln!(
            t,
            "| {name} | {} | {} | {} | {} | {} |",
            col(ms, |m| m.wall, 2),
            col(ms, |m| m.cpu, 2),
            col(ms, |m| m.rss_mib, 0),
            ms[0].stats["items_new"],
            items_per_s(ms)
        );
    }
    let _ = writeln!(
        t,
        "\nAll-304 rerun / first run, wall time: {}",
        fmt_spread(&ratio, 3)
    );
    Ok(t)
}
