//! Page dating, scored the way the field scores it, side by side with htmldate.
//!
//! Input: a labelled page set (`labels.tsv`: file, date, url, and `pages/`). For each page
//! the day a tool gives is compared with the label: TP = the labelled day, FP = another
//! day, FN = no date; accuracy = TP/N, precision = TP/(TP+FP), recall = TP/(TP+FN).
//! dossier runs as one `inspect` process over every page (wall time, startup and file
//! reading included); htmldate runs in one Python process, timed around `find_date` only.
//! The set is read in place and never copied; when it or Python is absent, that part is
//! skipped.

use crate::report::fmt_spread;
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

#[derive(Default, Clone, Copy)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn add(&mut self, got: Option<&str>, want: &str) {
        match got {
            None => self.fn_ += 1,
            Some(g) if g == want => self.tp += 1,
            Some(_) => self.fp += 1,
        }
    }

    fn row(&self) -> String {
        let n = (self.tp + self.fp + self.fn_) as f64;
        let tp = self.tp as f64;
        format!(
            "{:.3} | {:.3} | {:.3} | {} / {} / {}",
            tp / n,
            tp / (self.tp + self.fp).max(1) as f64,
            tp / (self.tp + self.fn_).max(1) as f64,
            self.tp,
            self.fp,
            self.fn_
        )
    }
}

fn labels(dir: &Path) -> Result<Vec<(String, String, String)>> {
    let text = std::fs::read_to_string(dir.join("labels.tsv"))?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut p = l.split('\t');
            Some((
                p.next()?.to_string(),
                p.next()?.to_string(),
                p.next().unwrap_or("").to_string(),
            ))
        })
        .collect())
}

/// One `dossier inspect` pass: the day per file, and the wall time.
fn run_dossier(
    dossier: &Path,
    dir: &Path,
    rows: &[(String, String, String)],
    jobs: Option<usize>,
) -> Result<(HashMap<String, Option<String>>, f64)> {
    let mut input = String::new();
    for (file, _, url) in rows {
        let _ = writeln!(input, "{}\t{url}", dir.join("pages").join(file).display());
    }
    let started = Instant::now();
    let mut child = Command::new(dossier)
        .args(["inspect", "-"])
        .args(jobs.map(|j| format!("--jobs={j}")))
        .env_remove("DOSSIER_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start dossier inspect")?;
    let mut stdin = child.stdin.take().context("stdin")?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output()?;
    let _ = writer.join();
    let wall = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!("dossier inspect failed");
    }
    let mut days = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let input = v["input"].as_str().unwrap_or_default();
        let file = Path::new(input)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        days.insert(file, v["published_date"].as_str().map(str::to_string));
    }
    Ok((days, wall))
}

/// One htmldate pass in `mode` (fast or extensive): the day per file, and the summed time
/// spent inside `find_date`. `None` when Python or htmldate is not available.
/// Each page's date (or none) by file name, and the seconds it took.
type Dated = (HashMap<String, Option<String>>, f64);

fn run_htmldate(script: &Path, dir: &Path, mode: &str) -> Result<Option<Dated>> {
    let out = match Command::new("python3")
        .arg(script)
        .arg(dir)
        .arg(mode)
        .stderr(Stdio::piped())
        .output()
    {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!(
                "htmldate skipped: {}",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
            return Ok(None);
        }
        Err(e) => {
            eprintln!("htmldate skipped: python3: {e}");
            return Ok(None);
        }
    };
    let mut days = HashMap::new();
    let mut secs = 0.0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        secs += v["seconds"].as_f64().unwrap_or(0.0);
        days.insert(
            v["file"].as_str().unwrap_or_default().to_string(),
            v["date"].as_str().map(str::to_string),
        );
    }
    Ok(Some((days, secs)))
}

pub fn run(dossier: &Path, dir: &Path, script: &Path, runs: usize) -> Result<Option<String>> {
    if !dir.join("labels.tsv").exists() {
        eprintln!(
            "dates benchmark skipped: {} not found",
            dir.join("labels.tsv").display()
        );
        return Ok(None);
    }
    let rows = labels(dir)?;
    let n = rows.len();
    let score = |days: &HashMap<String, Option<String>>| {
        let mut s = Score::default();
        for (file, want, _) in &rows {
            s.add(days.get(file).cloned().flatten().as_deref(), want);
        }
        s
    };
    let mut ours = Vec::new();
    let mut ours_one = Vec::new();
    let mut ours_score = Score::default();
    for _ in 0..runs {
        let (days, wall) = run_dossier(dossier, dir, &rows, None)?;
        ours_score = score(&days);
        ours.push(n as f64 / wall);
        let (_, wall) = run_dossier(dossier, dir, &rows, Some(1))?;
        ours_one.push(n as f64 / wall);
    }
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{n} labelled pages, {runs} runs, pages/s as median (min–max). dossier: one `inspect` process over all \
         pages, wall time including start-up and file reads. htmldate {}: `find_date(bytes, url=url, \
         original_date=True)`, time inside the call only.\n",
        htmldate_version().unwrap_or_else(|| "(not installed)".into())
    );
    let _ = writeln!(
        t,
        "| tool | accuracy | precision | recall | TP / FP / FN | pages/s |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|");
    let _ = writeln!(
        t,
        "| dossier inspect (all cores) | {} | {} |",
        ours_score.row(),
        fmt_spread(&ours, 0)
    );
    let _ = writeln!(
        t,
        "| dossier inspect --jobs 1 | (same) | | | | {} |",
        fmt_spread(&ours_one, 0)
    );
    let mut fast_rate = None;
    for mode in ["fast", "extensive"] {
        let mut rates = Vec::new();
        let mut s = Score::default();
        for _ in 0..runs {
            match run_htmldate(script, dir, mode)? {
                Some((days, secs)) => {
                    s = score(&days);
                    rates.push(n as f64 / secs);
                }
                None => break,
            }
        }
        if rates.is_empty() {
            let _ = writeln!(
                t,
                "| htmldate {mode} | skipped (python3 or htmldate missing) | | | | |"
            );
            continue;
        }
        if mode == "fast" {
            fast_rate = Some(crate::report::spread(&rates).0);
        }
        let _ = writeln!(
            t,
            "| htmldate {mode} | {} | {} |",
            s.row(),
            fmt_spread(&rates, 0)
        );
    }
    if let Some(fast) = fast_rate {
        let _ = writeln!(
            t,
            "\nSpeed ratio to htmldate fast (medians): dossier on all cores {:.2}, on one core {:.2}.",
            crate::report::spread(&ours).0 / fast,
            crate::report::spread(&ours_one).0 / fast
        );
    }
    Ok(Some(t))
}

fn htmldate_version() -> Option<String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('htmldate'))",
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
