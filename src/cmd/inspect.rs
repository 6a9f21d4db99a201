//! `dossier inspect`: article pages in, one JSON line each out — what the pipeline would
//! take from them (canonical URL, title, summary, publication date and its evidence).
//! Many inputs run in one process so that it can be benchmarked on a corpus.

use crate::config::Config;
use crate::{EXIT_FAILED, Exit, output};
use anyhow::Result;
use chrono::Utc;
use dossier_run::once::{OneShot, is_url};
use serde::Serialize;
use std::io::{BufRead, BufWriter};
use std::process::ExitCode;

#[derive(Serialize)]
struct Inspected<'a> {
    input: &'a str,
    url: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    published_at: Option<String>,
    published_date: Option<String>,
    date_source: Option<&'static str>,
    date_evidence: Option<String>,
    /// Why the input could not be read (extension; absent when it was).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// One input: a file or URL, and the page's own URL when known.
fn inputs(args: &[String]) -> Result<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    for a in args {
        if a == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line?;
                let mut parts = line.split('\t');
                let Some(source) = parts.next().map(str::trim).filter(|s| !s.is_empty()) else {
                    continue;
                };
                out.push((
                    source.to_string(),
                    parts
                        .next()
                        .map(|u| u.trim().to_string())
                        .filter(|u| !u.is_empty()),
                ));
            }
        } else {
            out.push((a.clone(), None));
        }
    }
    Ok(out)
}

/// One input (file or URL) read into page bytes, its content type and its URL.
type Read = Result<(Vec<u8>, Option<String>, Option<String>), String>;

/// An input as the workers get it: a URL already fetched, or a file still to read. Files
/// are read by the worker that inspects them, into a buffer it reuses, so that reading
/// is spread over the workers and a page costs no fresh allocation of its size.
enum Input<'a> {
    Fetched(Read),
    File(&'a str, Option<&'a str>),
}

fn inspect_one<'a>(
    source: &'a str,
    input: Input<'a>,
    buf: &mut Vec<u8>,
    now: chrono::DateTime<Utc>,
) -> Inspected<'a> {
    let read = match input {
        Input::Fetched(read) => read.map(|(bytes, ct, url)| {
            *buf = bytes;
            (ct, url)
        }),
        Input::File(path, url) => {
            buf.clear();
            std::fs::File::open(path)
                .and_then(|mut f| std::io::Read::read_to_end(&mut f, buf))
                .map(|_| (None, url.map(str::to_string)))
                .map_err(|e| format!("cannot read: {e}"))
        }
    };
    match read {
        Ok((content_type, url)) => {
            let info =
                dossier_extract::inspect_page(buf, content_type.as_deref(), url.as_deref(), now);
            let date = info.date.as_ref();
            Inspected {
                input: source,
                url: info.canonical,
                title: info.title,
                summary: info.summary,
                published_at: date.map(|d| dossier_model::fmt_time(d.found.instant)),
                published_date: date.map(|d| d.found.local_date.to_string()),
                date_source: date.map(|d| d.source.as_str()),
                date_evidence: date.map(|d| d.evidence.clone()),
                error: None,
            }
        }
        Err(e) => Inspected {
            input: source,
            url: None,
            title: None,
            summary: None,
            published_at: None,
            published_date: None,
            date_source: None,
            date_evidence: None,
            error: Some(e),
        },
    }
}

pub fn run(args: &[String], jobs: Option<usize>, cfg: Option<&Config>) -> Result<ExitCode> {
    let list = inputs(args)?;
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let fetch = if list.iter().any(|(s, _)| is_url(s)) {
        let settings = cfg.map(|c| c.fetch.clone()).unwrap_or_default();
        Some(OneShot::new(&settings).map_err(Exit::failed)?)
    } else {
        None
    };
    let now = Utc::now();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut failed = 0usize;
    // Pages are read in chunks, each chunk spread over `jobs` threads and printed in input
    // order, so memory stays bounded however long the list.
    for chunk in list.chunks(64 * jobs) {
        let mut reads: Vec<Input> = chunk
            .iter()
            .map(|(source, page_url)| match &fetch {
                Some(fetch) if is_url(source) => Input::Fetched(
                    fetch
                        .get(source, false)
                        .map(|f| (f.body, f.content_type, Some(f.final_url))),
                ),
                _ => Input::File(source, page_url.as_deref()),
            })
            .collect();
        let mut rows: Vec<Option<Inspected>> = (0..chunk.len()).map(|_| None).collect();
        let per = chunk.len().div_ceil(jobs);
        let mut parts: Vec<Vec<Input>> = Vec::new();
        while !reads.is_empty() {
            let rest = reads.split_off(per.min(reads.len()));
            parts.push(std::mem::replace(&mut reads, rest));
        }
        std::thread::scope(|scope| {
            for ((slots, sources), inputs) in rows.chunks_mut(per).zip(chunk.chunks(per)).zip(parts)
            {
                scope.spawn(move || {
                    let mut buf = Vec::new();
                    for ((slot, (source, _)), input) in slots.iter_mut().zip(sources).zip(inputs) {
                        *slot = Some(inspect_one(source, input, &mut buf, now));
                    }
                });
            }
        });
        for row in rows.into_iter().flatten() {
            if let Some(e) = &row.error {
                failed += 1;
                eprintln!("dossier: {}: {e}", row.input);
            }
            output::json_line(&mut out, &row)?;
        }
    }
    output::flush(&mut out)?;
    Ok(if failed == list.len() && failed > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
