//! What changed between two versions of a topic, from their frozen sources alone: the
//! numbers added, the numbers dropped (found to be duplicates after they were cited), and
//! the numbers in both whose frozen title, URL, label, date or date source differ — a
//! source corrected between two cuts, which a writer who cited it must look at again.

use crate::error::ApiError;
use crate::params::version_number;
use dossier_model::fmt_time;
use dossier_store::{Source, Version};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Serialize, PartialEq)]
pub struct Diff {
    pub added: Vec<i64>,
    pub dropped: Vec<i64>,
    pub changed: Vec<Changed>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Changed {
    pub n: i64,
    /// Each field that differs: `[old, new]`.
    pub fields: BTreeMap<&'static str, [Value; 2]>,
}

/// `a..b`: two version numbers (or `latest`).
pub fn parse_range(s: &str) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let Some((a, b)) = s.split_once("..") else {
        return Err(ApiError::bad_request(format!(
            "`{s}` is not a range of versions like 1..2"
        )));
    };
    Ok((version_number(a)?, version_number(b)?))
}

fn fields(s: &Source) -> [(&'static str, Value); 5] {
    [
        ("title", s.title.clone().into()),
        ("url", s.url.clone().into()),
        ("label", s.label.clone().into()),
        ("published_at", s.published_at.map(fmt_time).into()),
        ("date_source", s.date_source.as_str().into()),
    ]
}

pub fn diff(a: &Version, b: &Version) -> Diff {
    let old: HashMap<i64, &Source> = a.sources.iter().map(|s| (s.n, s)).collect();
    let new: HashMap<i64, &Source> = b.sources.iter().map(|s| (s.n, s)).collect();
    let mut out = Diff {
        added: b
            .sources
            .iter()
            .map(|s| s.n)
            .filter(|n| !old.contains_key(n))
            .collect(),
        dropped: a
            .sources
            .iter()
            .map(|s| s.n)
            .filter(|n| !new.contains_key(n))
            .collect(),
        changed: Vec::new(),
    };
    for s in &b.sources {
        let Some(before) = old.get(&s.n) else {
            continue;
        };
        let fields: BTreeMap<_, _> = fields(before)
            .into_iter()
            .zip(fields(s))
            .filter(|((_, was), (_, is))| was != is)
            .map(|((name, was), (_, is))| (name, [was, is]))
            .collect();
        if !fields.is_empty() {
            out.changed.push(Changed { n: s.n, fields });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_model::DateSource;

    fn source(n: i64, title: &str) -> Source {
        Source {
            n,
            item_id: n,
            title: title.into(),
            url: Some(format!("https://x.example/{n}")),
            label: "Wire".into(),
            published_at: None,
            date_source: DateSource::FirstSeen,
        }
    }

    fn version(sources: Vec<Source>) -> Version {
        Version {
            topic: "t".into(),
            title: "T".into(),
            version: 1,
            created_at: chrono::Utc::now(),
            item_count: sources.len() as i64,
            new_items: 0,
            sources,
        }
    }

    #[test]
    fn added_dropped_and_changed() {
        let a = version(vec![source(1, "One"), source(2, "Two"), source(3, "Three")]);
        let b = version(vec![
            source(1, "One"),
            source(3, "Three, corrected"),
            source(4, "Four"),
        ]);
        let d = diff(&a, &b);
        assert_eq!((d.added, d.dropped), (vec![4], vec![2]));
        assert_eq!(
            serde_json::to_string(&d.changed).unwrap(),
            r#"[{"n":3,"fields":{"title":["Three","Three, corrected"]}}]"#
        );
        assert!(parse_range("1..latest").is_ok());
        assert!(parse_range("1-2").is_err());
        assert!(parse_range("1..x").is_err());
    }
}
