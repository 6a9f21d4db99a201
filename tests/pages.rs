//! Article-page reading, fixture by fixture: every page in `fixtures/pages/` sits beside
//! `NAME.expected.json` (the canonical URL, title, day, date source and a word the
//! evidence must contain). `urls.tsv` gives the URL each page is read as.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn every_page_fixture_reads_as_expected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages");
    let urls = std::fs::read_to_string(dir.join("urls.tsv")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .current_dir(&dir)
        .args(["inspect", "-"])
        .env_remove("DOSSIER_CONFIG")
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
