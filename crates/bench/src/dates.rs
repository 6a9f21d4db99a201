//! Page dating, scored the way the field scores it, side by side with htmldate.
//!
//! Input: a labelled page set (`labels.tsv`: file, date, url, and `pages/`). For each page
//! the day a tool gives is compared with the label: TP = the labelled day, FP = another
//! day, FN = no date; accuracy = TP/N, precision = TP/(TP+FP), recall = TP/(TP+FN).
//!
//! The set is split in two by a hash of each file name (FNV-1a, 64 bits, even: tuning,
//! odd: held out), so that rules can be tuned by looking at the failures of one half and
//! judged on the other; both halves and the whole set are scored.
//!
//! Speed compares whole processes over the same files in the same run: one `dossier
//! inspect` process over every page (start-up and file reads included), on all cores and
//! with `--jobs 1`, against one Python process running htmldate over the same pages
//! (interpreter start-up, imports and file reads included). htmldate's time inside
//! `find_date` alone is reported too. Runs are interleaved (dossier, then htmldate, then
//! again) so that a noisy machine slows both alike. The set is read in place and never
//! copied; when it or Python is absent, that part is skipped.

use crate::report::fmt_spread;
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Which half of the set a page is in: FNV-1a of its file name, even for tuning.
pub fn is_tuning(file: &str) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in file.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h.is_multiple_of(2)
}

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

    fn accuracy(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp + self.fn_).max(1) as f64
    }

    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }

    fn row(&self) -> String {
        format!(
            "{:.3} | {:.3} | {:.3} | {} / {} / {}",
            self.accuracy(),
            self.precision(),
            self.tp as f64 / (self.tp + self.fn_).max(1) as f64,
            self.tp,
            self.fp,
            self.fn_
        )
    }
}

/// Scores of one tool on the tuning half, the held-out half and the whole set.
#[derive(Default, Clone, Copy)]
struct Scores {
    tune: Score,
    held_out: Score,
    all: Score,
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

/// Each page's date (or none) by file name.
type Days = HashMap<String, Option<String>>;

/// One `dossier inspect` pass: the day per file, the wall time and the CPU time.
fn run_dossier(
    dossier: &Path,
    dir: &Path,
    rows: &[(String, String, String)],
    jobs: Option<usize>,
) -> Result<(Days, f64, Option<f64>)> {
    let mut input = String::new();
    for (file, _, url) in rows {
        let _ = writeln!(input, "{}\t{url}", dir.join("pages").join(file).display());
    }
    let cpu = children_cpu();
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
    let cpu = cpu.zip(children_cpu()).map(|(a, b)| b - a);
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
    Ok((days, wall, cpu))
}

/// Each page's date (or none) by file name, the seconds spent inside `find_date`, the
/// wall time of the whole process and its CPU time.
type Dated = (Days, f64, f64, Option<f64>);

/// CPU seconds (user and system) of the children this process has waited for, from
/// `/proc/self/stat` (in clock ticks of 1/100 s); `None` where there is no such file.
/// Wall time on a shared machine counts the other tenants too; CPU time does not.
fn children_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split_whitespace().collect();
    // Fields 16 and 17 of the file (cutime, cstime), counted from `state` as field 3.
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(13)? + ticks(14)?) / 100.0)
}

/// One htmldate pass in `mode` (fast or extensive). `None` when Python or htmldate is not
/// available.
fn run_htmldate(script: &Path, dir: &Path, mode: &str) -> Result<Option<Dated>> {
    let cpu = children_cpu();
    let started = Instant::now();
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
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu.zip(children_cpu()).map(|(a, b)| b - a);
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
    Ok(Some((days, secs, wall, cpu)))
}

/// The median of one tool's runs, in pages per second.
fn rate(n: usize, secs: &[f64]) -> Vec<f64> {
    secs.iter().map(|s| n as f64 / s).collect()
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
        let mut s = Scores::default();
        for (file, want, _) in &rows {
            let got = days.get(file).cloned().flatten();
            let half = if is_tuning(file) {
                &mut s.tune
            } else {
                &mut s.held_out
            };
            half.add(got.as_deref(), want);
            s.all.add(got.as_deref(), want);
        }
        s
    };
    let (mut ours_all, mut ours_one) = (Vec::new(), Vec::new());
    let (mut cpu_all, mut cpu_one) = (Vec::new(), Vec::new());
    let mut ours = Scores::default();
    // Per htmldate mode: scores, whole-process seconds, seconds inside find_date, CPU
    // seconds of the whole process.
    type Theirs<'a> = (&'a str, Option<Scores>, Vec<f64>, Vec<f64>, Vec<f64>);
    let mut theirs: Vec<Theirs> = ["fast", "extensive"]
        .into_iter()
        .map(|m| (m, None, Vec::new(), Vec::new(), Vec::new()))
        .collect();
    for run in 0..runs {
        eprintln!("dates: run {} of {runs}", run + 1);
        let (days, wall, cpu) = run_dossier(dossier, dir, &rows, None)?;
        ours = score(&days);
        ours_all.push(wall);
        cpu_all.extend(cpu);
        let (_, wall, cpu) = run_dossier(dossier, dir, &rows, Some(1))?;
        ours_one.push(wall);
        cpu_one.extend(cpu);
        for (mode, s, whole, inside, cpu) in &mut theirs {
            if run > 0 && s.is_none() {
                continue;
            }
            if let Some((days, secs, wall, c)) = run_htmldate(script, dir, mode)? {
                *s = Some(score(&days));
                whole.push(wall);
                inside.push(secs);
                cpu.extend(c);
            }
        }
    }
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{n} labelled pages ({} in the tuning half, {} held out), {runs} interleaved runs. \
         htmldate {}: `find_date(bytes, url=url, original_date=True)`, fast and extensive.\n",
        rows.iter().filter(|r| is_tuning(&r.0)).count(),
        rows.iter().filter(|r| !is_tuning(&r.0)).count(),
        htmldate_version().unwrap_or_else(|| "(not installed)".into())
    );
    let _ = writeln!(
        t,
        "| tool | half | accuracy | precision | recall | TP / FP / FN |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|");
    let mut score_rows = vec![("dossier inspect", Some(ours))];
    for (mode, s, ..) in &theirs {
        score_rows.push((
            if *mode == "fast" {
                "htmldate fast"
            } else {
                "htmldate extensive"
            },
            *s,
        ));
    }
    for (tool, s) in &score_rows {
        match s {
            Some(s) => {
                for (half, sc) in [("tuning", s.tune), ("held out", s.held_out), ("all", s.all)] {
                    let _ = writeln!(t, "| {tool} | {half} | {} |", sc.row());
                }
            }
            None => {
                let _ = writeln!(
                    t,
                    "| {tool} | skipped (python3 or htmldate missing) | | | | |"
                );
            }
        }
    }
    let _ = writeln!(
        t,
        "\nSpeed, pages/s as median (min–max) of whole processes over the same {n} files \
         (start-up and file reads included); htmldate also timed inside `find_date` only.\n"
    );
    let _ = writeln!(
        t,
        "| tool | whole process, pages/s | pages per CPU second | inside find_date only, pages/s |"
    );
    let _ = writeln!(t, "|---|---|---|---|");
    let cpu_col = |v: &[f64]| {
        if v.is_empty() {
            String::new()
        } else {
            fmt_spread(&rate(n, v), 0)
        }
    };
    let _ = writeln!(
        t,
        "| dossier inspect --jobs 1 | {} | {} | |",
        fmt_spread(&rate(n, &ours_one), 0),
        cpu_col(&cpu_one)
    );
    let _ = writeln!(
        t,
        "| dossier inspect (all cores) | {} | {} | |",
        fmt_spread(&rate(n, &ours_all), 0),
        cpu_col(&cpu_all)
    );
    for (mode, _, whole, inside, cpu) in &theirs {
        if whole.is_empty() {
            continue;
        }
        let _ = writeln!(
            t,
            "| htmldate {mode} | {} | {} | {} |",
            fmt_spread(&rate(n, whole), 0),
            cpu_col(cpu),
            fmt_spread(&rate(n, inside), 0)
        );
    }
    if let Some((_, _, whole, inside, cpu)) =
        theirs.iter().find(|m| m.0 == "fast" && !m.2.is_empty())
    {
        let med = |v: &[f64]| crate::report::spread(&rate(n, v)).0;
        let (one, all) = (med(&ours_one), med(&ours_all));
        let (whole, inside) = (med(whole), med(inside));
        let _ = writeln!(
            t,
            "\nSpeed ratio to htmldate fast (medians of the same run): dossier on one core \
             {:.2}× whole process to whole process ({:.2}× against htmldate's time inside \
             `find_date`); on all cores {:.2}× ({:.2}×).",
            one / whole,
            one / inside,
            all / whole,
            all / inside
        );
        if !cpu.is_empty() && !cpu_one.is_empty() {
            let _ = writeln!(
                t,
                "In CPU time of the whole processes (less swayed than wall time by other work \
                 on the machine): dossier on one core {:.2}× htmldate fast.",
                med(&cpu_one) / med(cpu)
            );
        }
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
