//! The walk over a config's spanned tree: every problem collected with its line and key,
//! instead of stopping at the first.

use super::{FetchSettings, Problem, SELECT_KEYS};
use dossier_model::{FeedKind, FeedSpec, Selectors};
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Walks the spanned tree, collecting problems instead of stopping at the first.
pub(super) struct Checker {
    pub(super) lines: LineIndex,
    pub(super) problems: Vec<Problem>,
    /// What is allowed but probably not meant (a search provider no topic uses): `check`
    /// shows these, and they never make a config invalid.
    pub(super) warnings: Vec<Problem>,
}

/// Where each line of a text starts, so that the line of any offset is a binary search:
/// finding it by counting newlines from the start made loading a config quadratic in its
/// size (BENCHMARKS.md, "100,000 feeds").
pub(super) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(super) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
        LineIndex { starts }
    }

    /// The 1-based line of byte `offset`.
    pub(super) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

type Entry<'a, 'i> = (
    &'a Spanned<toml::de::DeString<'i>>,
    &'a Spanned<DeValue<'i>>,
);

fn find<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<Entry<'a, 'i>> {
    table.iter().find(|(k, _)| k.get_ref().as_ref() == key)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Checker {
    pub(super) fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }

    pub(super) fn problem(&mut self, span: Range<usize>, key: &str, message: String) {
        let line = self.line(span.start);
        self.problems.push(Problem {
            line,
            key: key.to_string(),
            message,
        });
    }

    pub(super) fn warning(&mut self, span: Range<usize>, key: &str, message: String) {
        let line = self.line(span.start);
        self.warnings.push(Problem {
            line,
            key: key.to_string(),
            message,
        });
    }

    /// Where the value of `key` is written, when `t` has it.
    pub(super) fn value_span(&self, t: &DeTable, key: &str) -> Option<Range<usize>> {
        find(t, key).map(|(_, v)| v.span())
    }

    pub(super) fn check_keys(&mut self, table: &DeTable, path: &str, allowed: &[&str]) {
        for (k, _) in table.iter() {
            let name = k.get_ref().as_ref();
            if !allowed.contains(&name) {
                let hint = allowed
                    .iter()
                    .find(|a| edit_distance(a, name) <= 2)
                    .map(|a| format!(" (did you mean `{a}`?)"))
                    .unwrap_or_default();
                let known = allowed.join(", ");
                self.problem(
                    k.span(),
                    &join(path, name),
                    format!("unknown key{hint}; known keys here: {known}"),
                );
            }
        }
    }

    pub(super) fn wrong_type(&mut self, v: &Spanned<DeValue>, key: &str, want: &str) {
        let got = v.get_ref().type_str();
        self.problem(v.span(), key, format!("expected {want}, found {got}"));
    }

    pub(super) fn table<'a, 'i>(
        &mut self,
        t: &'a DeTable<'i>,
        path: &str,
        key: &str,
    ) -> Option<&'a DeTable<'i>> {
        let (_, v) = find(t, key)?;
        match v.get_ref() {
            DeValue::Table(inner) => Some(inner),
            _ => {
                self.wrong_type(v, &join(path, key), "a table");
                None
            }
        }
    }

    /// The tables of an array of tables (`[[topic]]`), each with its span.
    pub(super) fn tables<'a, 'i>(
        &mut self,
        t: &'a DeTable<'i>,
        path: &str,
        key: &str,
    ) -> Vec<(&'a DeTable<'i>, Range<usize>)> {
        let Some((_, v)) = find(t, key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(
                v,
                &join(path, key),
                &format!("an array of tables ([[{key}]])"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::Table(inner) => out.push((inner, item.span())),
                _ => self.wrong_type(item, &join(path, key), "a table"),
            }
        }
        out
    }

    pub(super) fn string(&mut self, t: &DeTable, path: &str, key: &str) -> Option<Spanned<String>> {
        let (_, v) = find(t, key)?;
        match v.get_ref().as_str() {
            Some(s) => Some(Spanned::new(v.span(), s.to_string())),
            None => {
                self.wrong_type(v, &join(path, key), "a string");
                None
            }
        }
    }

    pub(super) fn required_string(
        &mut self,
        t: &DeTable,
        path: &str,
        key: &str,
        span: &Range<usize>,
    ) -> Option<Spanned<String>> {
        if find(t, key).is_none() {
            self.problem(span.clone(), &join(path, key), "missing (required)".into());
            return None;
        }
        self.string(t, path, key)
    }

    pub(super) fn int(
        &mut self,
        t: &DeTable,
        path: &str,
        key: &str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let (_, v) = find(t, key)?;
        let key = join(path, key);
        let Some(i) = v.get_ref().as_integer() else {
            self.wrong_type(v, &key, "an integer");
            return None;
        };
        let digits = i.as_str().replace('_', "");
        match i64::from_str_radix(&digits, i.radix()) {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.problem(
                    v.span(),
                    &key,
                    format!("{} is out of range {min}..={max}", i.as_str()),
                );
                None
            }
        }
    }

    pub(super) fn bool(&mut self, t: &DeTable, path: &str, key: &str) -> Option<bool> {
        let (_, v) = find(t, key)?;
        let b = v.get_ref().as_bool();
        if b.is_none() {
            self.wrong_type(v, &join(path, key), "true or false");
        }
        b
    }

    pub(super) fn spanned_strings(
        &mut self,
        t: &DeTable,
        path: &str,
        key: &str,
    ) -> Option<Vec<Spanned<String>>> {
        let (_, v) = find(t, key)?;
        let key = join(path, key);
        let Some(items) = v.get_ref().as_array() else {
            self.wrong_type(v, &key, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref().as_str() {
                Some(s) => out.push(Spanned::new(item.span(), s.to_string())),
                None => self.wrong_type(item, &key, "a string"),
            }
        }
        Some(out)
    }

    pub(super) fn strings(&mut self, t: &DeTable, path: &str, key: &str) -> Option<Vec<String>> {
        let list = self.spanned_strings(t, path, key)?;
        let mut out = Vec::new();
        for s in list {
            if s.get_ref().trim().is_empty() {
                self.problem(
                    s.span(),
                    &join(path, key),
                    "keywords must not be empty".into(),
                );
            } else {
                out.push(s.into_inner());
            }
        }
        Some(out)
    }

    /// The parts of a feed shared by `[[feed]]` and `[[topic.feed]]`: its URL, kind,
    /// interval and selectors. The caller names it (key, name, label, topics, owner).
    pub(super) fn feed(
        &mut self,
        f: &DeTable,
        path: &str,
        span: &Range<usize>,
        fetch: &FetchSettings,
    ) -> Option<FeedSpec> {
        let url = self.feed_url(f, path, span);
        let kind = self.feed_kind(f, path);
        let interval = self
            .int(f, path, "interval_mins", 1, 60 * 24 * 30)
            .map_or(fetch.interval_mins, |v| v as u32);
        let table = if path.starts_with("topic") {
            "topic.feed.select"
        } else {
            "feed.select"
        };
        let select = self.selectors(f, path, span, kind, table);
        Some(FeedSpec {
            key: String::new(),
            name: String::new(),
            label: String::new(),
            url: url?,
            kind: kind?,
            interval_mins: interval,
            topics: Vec::new(),
            owner_topic: None,
            select,
            search: None,
        })
    }

    /// `url`: required, absolute, http or https, with a host.
    fn feed_url(&mut self, f: &DeTable, path: &str, span: &Range<usize>) -> Option<String> {
        let u = self.required_string(f, path, "url", span)?;
        let message = match url::Url::parse(u.get_ref().trim()) {
            Ok(parsed)
                if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() =>
            {
                return Some(parsed.to_string());
            }
            Ok(_) => format!("`{}` is not an http or https URL", u.get_ref()),
            Err(e) => format!("`{}` is not a valid URL: {e}", u.get_ref()),
        };
        self.problem(u.span(), &join(path, "url"), message);
        None
    }

    /// `kind`: "feed" (the default) or "web".
    pub(super) fn feed_kind(&mut self, f: &DeTable, path: &str) -> Option<FeedKind> {
        let Some(k) = self.string(f, path, "kind") else {
            return Some(FeedKind::Feed);
        };
        let parsed = FeedKind::parse(k.get_ref());
        if parsed.is_none() {
            let message = format!("`{}` must be \"feed\" or \"web\"", k.get_ref());
            self.problem(k.span(), &join(path, "kind"), message);
        }
        parsed
    }

    /// `[feed.select]` (or `[topic.feed.select]`, `[search.select]`: `table` says which):
    /// required for a web source (item, title, link; date and summary optional), refused
    /// for any other; each selector must compile.
    pub(super) fn selectors(
        &mut self,
        f: &DeTable,
        path: &str,
        span: &Range<usize>,
        kind: Option<FeedKind>,
        table: &str,
    ) -> Option<Selectors> {
        let select = self.table(f, path, "select");
        let select_path = join(path, "select");
        let sel = match (kind, select) {
            (Some(FeedKind::Web), None) => {
                let what = if table == "search.select" {
                    "provider"
                } else {
                    "feed"
                };
                let message =
                    format!("a kind = \"web\" {what} needs [{table}] with item, title and link");
                self.problem(span.clone(), &select_path, message);
                return None;
            }
            (Some(FeedKind::Feed), Some(_)) => {
                let message = "selectors only apply to kind = \"web\"";
                self.problem(span.clone(), &select_path, message.into());
                return None;
            }
            (_, Some(sel)) => sel,
            (_, None) => return None,
        };
        self.check_keys(sel, &select_path, SELECT_KEYS);
        let mut get = |key: &str, required: bool| -> Option<String> {
            let v = if required {
                self.required_string(sel, &select_path, key, span)
            } else {
                self.string(sel, &select_path, key)
            }?;
            match dossier_extract::check_selector(v.get_ref()) {
                Ok(()) => Some(v.into_inner()),
                Err(e) => {
                    self.problem(v.span(), &join(&select_path, key), e);
                    None
                }
            }
        };
        let item = get("item", true);
        let title = get("title", true);
        let link = get("link", true);
        let date = get("date", false);
        let summary = get("summary", false);
        Some(Selectors {
            item: item?,
            title: title?,
            link: link?,
            date,
            summary,
        })
    }
}

/// Levenshtein distance, for "did you mean" hints on short key names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}
