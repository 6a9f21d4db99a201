//! Parser regression: every file in `fixtures/feeds/` sits beside the output it must give
//! (`name.expected.jsonl`, what `dossier parse` prints). Adding a fixture adds a test; run
//! with `DOSSIER_BLESS=1` to write the expected files for new fixtures, then review them.

use std::path::Path;
use std::process::Command;

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
        let out = Command::new(env!("CARGO_BIN_EXE_dossier"))
            .current_dir(&dir)
            .args(["parse", &name])
            .env_remove("DOSSIER_CONFIG")
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
