//! Citations of a version's sources, and the citation check of a draft.
//!
//! `cite` exports chosen numbers as the contract's source lines (`[n] TITLE — LABEL
//! (DATE)`), as CSL-JSON (what pandoc and reference managers read), BibTeX or RIS.
//! Numbers the version does not hold are never silently left out: `lines` lists them in
//! its JSON object's `unknown`, the other formats (whose bodies are the citations alone,
//! ready to save as a file) in the `Dossier-Unknown-Numbers` header.
//!
//! `check` reads every citation in a draft (`[6]`, `[6][7]`, `[6, 7]`, `[6-8]`) and says
//! which numbers the version holds and which it does not.

use crate::error::ApiError;
use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use dossier_store::{Source, Version};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The most numbers one request may name (a range counts each of its numbers).
pub const MAX_NUMBERS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Lines,
    CslJson,
    Bibtex,
    Ris,
}

impl Format {
    pub fn parse(s: Option<&str>) -> Result<Format, ApiError> {
        Ok(match s.unwrap_or("lines") {
            "lines" => Format::Lines,
            "csl-json" => Format::CslJson,
            "bibtex" => Format::Bibtex,
            "ris" => Format::Ris,
            other => {
                return Err(ApiError::bad_request(format!(
                    "parameter `format`: `{other}` is not one of lines, csl-json, bibtex, ris"
                )));
            }
        })
    }
}

/// `1,17`, `6-8`, `1, 3-4`: the numbers, ascending, each once.
pub fn parse_numbers(s: &str) -> Result<Vec<i64>, ApiError> {
    let bad = |part: &str| {
        ApiError::bad_request(format!(
            "parameter `numbers`: `{part}` is not a source number or a range like 6-8"
        ))
    };
    let mut out = BTreeSet::new();
    for part in s.split(',').map(str::trim) {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let (Ok(lo), Ok(hi)) = (lo.parse::<i64>(), hi.parse::<i64>()) else {
            return Err(bad(part));
        };
        if lo < 1 || hi < lo {
            return Err(bad(part));
        }
        if (hi - lo) as usize >= MAX_NUMBERS || out.len() + ((hi - lo) as usize) > MAX_NUMBERS {
            return Err(ApiError::bad_request(format!(
                "parameter `numbers`: at most {MAX_NUMBERS} numbers"
            )));
        }
        out.extend(lo..=hi);
    }
    Ok(out.into_iter().collect())
}

/// The version's sources among `numbers`, and the numbers it does not hold.
fn pick<'a>(v: &'a Version, numbers: &[i64]) -> (Vec<&'a Source>, Vec<i64>) {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for n in numbers {
        match v.sources.binary_search_by_key(n, |s| s.n) {
            Ok(at) => found.push(&v.sources[at]),
            Err(_) => unknown.push(*n),
        }
    }
    (found, unknown)
}

#[derive(Serialize)]
struct Lines {
    topic: String,
    version: i64,
    lines: Vec<String>,
    unknown: Vec<i64>,
}

pub fn answer(v: &Version, numbers: &[i64], format: Format) -> Response {
    let (found, unknown) = pick(v, numbers);
    let (body, kind) = match format {
        Format::Lines => {
            let lines = found
                .iter()
                .map(|s| s.line().trim_end().to_string())
                .collect();
            return Json(Lines {
                topic: v.topic.clone(),
                version: v.version,
                lines,
                unknown,
            })
            .into_response();
        }
        Format::CslJson => (
            crate::api::json_bytes(&found.iter().map(|s| csl(v, s)).collect::<Vec<_>>()),
            "application/vnd.citationstyles.csl+json",
        ),
        Format::Bibtex => (
            found
                .iter()
                .map(|s| bibtex(v, s))
                .collect::<String>()
                .into_bytes(),
            "application/x-bibtex; charset=utf-8",
        ),
        Format::Ris => (
            found
                .iter()
                .map(|s| ris(v, s))
                .collect::<String>()
                .into_bytes(),
            "application/x-research-info-systems; charset=utf-8",
        ),
    };
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    let list: Vec<String> = unknown.iter().map(i64::to_string).collect();
    if let Ok(h) = HeaderValue::from_str(&list.join(", ")) {
        res.headers_mut().insert("dossier-unknown-numbers", h);
    }
    res
}

fn cite_key(v: &Version, s: &Source) -> String {
    format!("{}-{}", v.topic, s.n)
}

fn note(v: &Version, s: &Source) -> String {
    format!("[{}] in {}, version {}", s.n, v.title, v.version)
}

fn csl(v: &Version, s: &Source) -> serde_json::Value {
    let mut item = serde_json::json!({
        "id": cite_key(v, s),
        "type": "webpage",
        "title": s.title,
        "container-title": s.label,
        "citation-label": format!("[{}]", s.n),
        "note": note(v, s),
    });
    if let Some(u) = &s.url {
        item["URL"] = u.clone().into();
    }
    if let Some(at) = s.published_at {
        let parts: Vec<i64> = at
            .format("%Y %m %d")
            .to_string()
            .split(' ')
            .filter_map(|p| p.parse().ok())
            .collect();
        item["issued"] = serde_json::json!({ "date-parts": [parts] });
    }
    item
}

/// Text inside a BibTeX brace group: braces and backslashes would end or escape it.
fn bib_text(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '{' | '}' | '\\'))
        .collect()
}

fn bibtex(v: &Version, s: &Source) -> String {
    let mut out = format!(
        "@online{{{},\n  title = {{{}}},\n  organization = {{{}}},\n",
        cite_key(v, s),
        bib_text(&s.title),
        bib_text(&s.label)
    );
    if let Some(u) = &s.url {
        let _ = writeln!(out, "  url = {{{}}},", bib_text(u));
    }
    if let Some(at) = s.published_at {
        let _ = writeln!(out, "  date = {{{}}},", at.format("%Y-%m-%d"));
    }
    let _ = writeln!(out, "  note = {{{}}}\n}}\n", bib_text(&note(v, s)));
    out
}

/// One RIS field: a line break in a value would start a new field.
fn ris_text(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

fn ris(v: &Version, s: &Source) -> String {
    let mut out = format!("TY  - ELEC\r\nTI  - {}\r\n", ris_text(&s.title));
    let _ = write!(out, "T2  - {}\r\n", ris_text(&s.label));
    if let Some(u) = &s.url {
        let _ = write!(out, "UR  - {}\r\n", ris_text(u));
    }
    if let Some(at) = s.published_at {
        let _ = write!(out, "DA  - {}\r\n", at.format("%Y/%m/%d"));
    }
    let _ = write!(
        out,
        "N1  - {}\r\nID  - {}\r\nER  - \r\n",
        ris_text(&note(v, s)),
        cite_key(v, s)
    );
    out
}

/// What the citation check answers.
#[derive(Debug, Serialize, PartialEq)]
pub struct Checked {
    pub topic: String,
    pub version: i64,
    /// The numbers the draft cites that the version holds, ascending.
    pub cited: Vec<i64>,
    /// The numbers the draft cites that the version does not hold.
    pub unknown: Vec<i64>,
}

pub fn check(v: &Version, text: &str) -> Checked {
    let (found, unknown) = pick(v, &citations(text));
    Checked {
        topic: v.topic.clone(),
        version: v.version,
        cited: found.iter().map(|s| s.n).collect(),
        unknown,
    }
}

/// Every number cited in `text`, ascending, each once: a bracket holding only numbers,
/// ranges (`6-8`, `6–8`), commas and spaces is a citation; any other bracket is text.
pub fn citations(text: &str) -> Vec<i64> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let inner = &rest[..close];
        if let Some(numbers) = bracket(inner) {
            out.extend(numbers);
            rest = &rest[close + 1..];
        }
    }
    out.into_iter().collect()
}

fn bracket(inner: &str) -> Option<Vec<i64>> {
    if inner.trim().is_empty() || inner.contains('[') {
        return None;
    }
    let mut out = Vec::new();
    for part in inner.split(',').map(str::trim) {
        let (lo, hi) = match part.split_once(['-', '–']) {
            Some((a, b)) => (a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?),
            None => {
                let n = part.parse::<i64>().ok()?;
                (n, n)
            }
        };
        if lo < 1 || hi < lo || hi - lo >= MAX_NUMBERS as i64 {
            return None;
        }
        out.extend(lo..=hi);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_of_citing_is_read() {
        let draft = "As reported [6][7], and again [6, 9]; see [10-12] and [14–15]. \
                     Not a citation: [note], [a-b], [], [0]. Nested [[3]] counts 3.";
        assert_eq!(citations(draft), vec![3, 6, 7, 9, 10, 11, 12, 14, 15]);
        assert_eq!(citations("no brackets"), Vec::<i64>::new());
        assert_eq!(citations("unclosed [4"), Vec::<i64>::new());
    }

    #[test]
    fn numbers_and_ranges() {
        assert_eq!(parse_numbers("1,17, 3-4").unwrap(), vec![1, 3, 4, 17]);
        for bad in ["", "x", "0", "4-3", "1,,2", "1-"] {
            assert!(
                parse_numbers(bad)
                    .unwrap_err()
                    .message
                    .contains("`numbers`"),
                "{bad}"
            );
        }
        assert!(parse_numbers("1-100000").is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(Format::parse(None).unwrap(), Format::Lines);
        assert!(
            Format::parse(Some("mla"))
                .unwrap_err()
                .message
                .contains("`format`")
        );
        assert_eq!(bib_text("a {b} \\c"), "a b c");
        assert_eq!(ris_text("a\r\nb"), "a  b");
    }
}
