//! Near-duplicate titles: precision and recall of the title matcher on the labelled pairs
//! in `fixtures/near-dups/pairs.tsv`, over a sweep of thresholds, so that the threshold
//! the matcher uses is a measured choice.

use anyhow::{Context, Result};
use dossier_normalize::TitleKey;
use std::fmt::Write as _;
use std::path::Path;

struct Pair {
    same: bool,
    kind: String,
    similarity: f64,
}

pub fn run(file: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let pairs: Vec<Pair> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            let same = f.next()? == "1";
            let kind = f.next()?.to_string();
            let (a, b) = (f.next()?, f.next()?);
            Some(Pair {
                same,
                kind,
                similarity: TitleKey::new(a).similarity(&TitleKey::new(b)),
            })
        })
        .collect();
    let positives = pairs.iter().filter(|p| p.same).count();
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{} labelled pairs ({positives} same story, {} different) from `{}`.\n",
        pairs.len(),
        pairs.len() - positives,
        file.display()
    );
    let _ = writeln!(t, "| threshold | precision | recall | F1 | TP / FP / FN |");
    let _ = writeln!(t, "|---|---|---|---|---|");
    for step in 10..=19 {
        let th = f64::from(step) * 0.05;
        let tp = pairs
            .iter()
            .filter(|p| p.same && p.similarity >= th)
            .count();
        let fp = pairs
            .iter()
            .filter(|p| !p.same && p.similarity >= th)
            .count();
        let fn_ = positives - tp;
        let precision = tp as f64 / (tp + fp).max(1) as f64;
        let recall = tp as f64 / positives.max(1) as f64;
        let f1 = 2.0 * precision * recall / (precision + recall).max(f64::EPSILON);
        let mark = if (th - dossier_normalize::neardup::THRESHOLD).abs() < 1e-9 {
            " (used)"
        } else {
            ""
        };
        let _ = writeln!(
            t,
            "| {th:.2}{mark} | {precision:.3} | {recall:.3} | {f1:.3} | {tp} / {fp} / {fn_} |"
        );
    }
    let th = dossier_normalize::neardup::THRESHOLD;
    let _ = writeln!(t, "\nAt the threshold used ({th:.2}), by kind of pair:\n");
    let _ = writeln!(t, "| kind | label | pairs | judged same |");
    let _ = writeln!(t, "|---|---|---|---|");
    let mut kinds: Vec<(&str, bool)> = pairs.iter().map(|p| (p.kind.as_str(), p.same)).collect();
    kinds.sort();
    kinds.dedup();
    for (kind, same) in kinds {
        let of_kind: Vec<&Pair> = pairs
            .iter()
            .filter(|p| p.kind == kind && p.same == same)
            .collect();
        let judged = of_kind.iter().filter(|p| p.similarity >= th).count();
        let _ = writeln!(
            t,
            "| {kind} | {} | {} | {judged} |",
            u8::from(same),
            of_kind.len()
        );
    }
    Ok(t)
}
