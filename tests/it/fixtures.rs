//! Fixture regressions. Feeds: every file in `fixtures/feeds/` sits beside the output it
//! must give (`name.expected.jsonl`, what `dossier parse` prints); adding a fixture adds a
//! case; run with `DOSSIER_BLESS=1` to write the expected files for new fixtures, then
//! review them. Article pages: every page in `fixtures/pages/` sits beside
//! `NAME.expected.json` (the canonical URL, title, day, date source and a word the
//! evidence must contain); `urls.tsv` gives the URL each page is read as.

use crate::util::*;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

#[test]
fn every_feed_fixture_parses_to_its_expected_output() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/feeds");
    let bless = std::env::var_os("DOSSIER_BLESS").is_some();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for input in entries {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".expected.jsonl") {
            continue;
        }
        let expected_path = dir.join(format!("{name}.expected.jsonl"));
        let out = dossier()
            .current_dir(&dir)
            .args(["parse", &name])
            .output()
            .unwrap();
        let mut got = String::from_utf8(out.stdout).unwrap();
        if !out.status.success() {
            got = format!(
                "error (exit {:?}): {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
            got.push('\n');
        }
        if bless && !expected_path.exists() {
            std::fs::write(&expected_path, &got).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "{} has no {}; run with DOSSIER_BLESS=1",
                name,
                expected_path.display()
            )
        });
        if got != expected {
            failures.push(format!("--- {name}\nexpected:\n{expected}\ngot:\n{got}"));
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} fixtures found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_page_fixture_reads_as_expected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages");
    let urls = std::fs::read_to_string(dir.join("urls.tsv")).unwrap();
    let mut child = dossier()
        .current_dir(&dir)
        .args(["inspect", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(urls.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let rows: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), urls.lines().count());
    let mut failures = Vec::new();
    for row in &rows {
        let input = row["input"].as_str().unwrap();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{input}.expected.json"))).unwrap(),
        )
        .unwrap();
        for key in ["url", "title", "published_date", "date_source"] {
            if row[key] != expected[key] {
                failures.push(format!(
                    "{input}: {key}: expected {}, got {}",
                    expected[key], row[key]
                ));
            }
        }
        match (
            expected["date_evidence_contains"].as_str(),
            row["date_evidence"].as_str(),
        ) {
            (None, None) => {}
            (Some(want), Some(got)) if got.contains(want) => {}
            (want, got) => {
                failures.push(format!("{input}: evidence: expected {want:?} in {got:?}"))
            }
        }
    }
    assert!(rows.len() >= 19, "only {} page fixtures", rows.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
