//! Loading and validating `config/dossier.toml`.
//!
//! The file is walked with its spans (toml's `DeTable`), not deserialized in one go, so
//! that *every* problem is found in one pass and each is reported with file, line and key:
//! an operator fixing a config at 3 a.m. should not have to run `check` once per typo.
//! Unknown keys are errors. Defaults fill what is left out.

use dossier_model::{FeedKind, FeedSpec, Selectors, TopicSpec};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// `[fetch]`, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchSettings {
    pub concurrency: usize,
    pub per_host: usize,
    pub timeout_secs: u64,
    pub max_body_bytes: u64,
    pub user_agent: String,
    pub interval_mins: u32,
    pub article_pages: bool,
    pub allow_private_addresses: bool,
    /// Least time between two requests to one host (extension).
    pub per_host_gap_ms: u64,
    /// Retries within a run for transient failures (extension).
    pub retries: u32,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            concurrency: 16,
            per_host: 2,
            timeout_secs: 20,
            max_body_bytes: 5_000_000,
            user_agent: format!(
                "dossier/{} (feed ingestion; +https://example.org/bot)",
                env!("CARGO_PKG_VERSION")
            ),
            interval_mins: 30,
            article_pages: true,
            allow_private_addresses: false,
            per_host_gap_ms: 250,
            retries: 2,
        }
    }
}

/// A validated config.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub store_path: PathBuf,
    pub fetch: FetchSettings,
    pub topics: Vec<TopicSpec>,
    pub feeds: Vec<FeedSpec>,
}

/// One thing wrong with a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub key: String,
    pub message: String,
}

/// Every problem of one config file.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if p.key.is_empty() {
                write!(f, "{}:{}: {}", self.file, p.line, p.message)?;
            } else {
                write!(f, "{}:{}: {}: {}", self.file, p.line, p.key, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

const ROOT_KEYS: &[&str] = &["store", "fetch", "topic", "feed"];
const STORE_KEYS: &[&str] = &["path"];
const FETCH_KEYS: &[&str] = &[
    "concurrency",
    "per_host",
    "timeout_secs",
    "max_body_bytes",
    "user_agent",
    "interval_mins",
    "article_pages",
    "allow_private_addresses",
    "per_host_gap_ms",
    "retries",
];
const TOPIC_KEYS: &[&str] = &["slug", "title", "match_any", "match_none", "feed"];
const TOPIC_FEED_KEYS: &[&str] = &["url", "kind", "interval_mins", "select"];
const FEED_KEYS: &[&str] = &["name", "url", "kind", "interval_mins", "topics", "select"];
const SELECT_KEYS: &[&str] = &["item", "title", "link", "date", "summary"];

/// Reads and validates the config at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.display().to_string(),
        problems: vec![Problem {
            line: 0,
            key: String::new(),
            message: format!("cannot read the config: {e}"),
        }],
    })?;
    parse(&text, path)
}

/// Validates config `text` that was read from `path` (relative paths resolve against its folder).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let mut cx = Checker {
        lines: LineIndex::new(text),
        problems: Vec::new(),
    };
    let file = path.display().to_string();
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let line = e.span().map_or(1, |s| cx.line(s.start));
            let message = e.message().trim().to_string();
            return Err(ConfigError {
                file,
                problems: vec![Problem {
                    line,
                    key: String::new(),
                    message,
                }],
            });
        }
    };
    let root = root.get_ref();
    cx.check_keys(root, "", ROOT_KEYS);

    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut store_path = base.join("dossier.sqlite");
    if let Some(store) = cx.table(root, "", "store") {
        if let Some(p) = cx.string(store, "store", "path") {
            store_path = base.join(p.get_ref());
        }
        cx.check_keys(store, "store", STORE_KEYS);
    }

    let mut fetch = FetchSettings::default();
    if let Some(t) = cx.table(root, "", "fetch") {
        cx.check_keys(t, "fetch", FETCH_KEYS);
        if let Some(v) = cx.int(t, "fetch", "concurrency", 1, 1024) {
            fetch.concurrency = v as usize;
        }
        if let Some(v) = cx.int(t, "fetch", "per_host", 1, 64) {
            fetch.per_host = v as usize;
        }
        if let Some(v) = cx.int(t, "fetch", "timeout_secs", 1, 3600) {
            fetch.timeout_secs = v as u64;
        }
        if let Some(v) = cx.int(t, "fetch", "max_body_bytes", 1024, 1 << 31) {
            fetch.max_body_bytes = v as u64;
        }
        if let Some(v) = cx.string(t, "fetch", "user_agent") {
            if v.get_ref().trim().is_empty() || v.get_ref().chars().any(|c| c.is_control()) {
                cx.problem(
                    v.span(),
                    "fetch.user_agent",
                    "must be a non-empty single line".into(),
                );
            } else {
                fetch.user_agent = v.into_inner();
            }
        }
        if let Some(v) = cx.int(t, "fetch", "interval_mins", 1, 60 * 24 * 30) {
            fetch.interval_mins = v as u32;
        }
        if let Some(v) = cx.bool(t, "fetch", "article_pages") {
            fetch.article_pages = v;
        }
        if let Some(v) = cx.bool(t, "fetch", "allow_private_addresses") {
            fetch.allow_private_addresses = v;
        }
        if let Some(v) = cx.int(t, "fetch", "per_host_gap_ms", 0, 60_000) {
            fetch.per_host_gap_ms = v as u64;
        }
        if let Some(v) = cx.int(t, "fetch", "retries", 0, 5) {
            fetch.retries = v as u32;
        }
    }

    let mut topics: Vec<TopicSpec> = Vec::new();
    let mut feeds: Vec<FeedSpec> = Vec::new();
    let mut slugs: HashMap<String, usize> = HashMap::new();
    for (i, (t, span)) in cx.tables(root, "", "topic").into_iter().enumerate() {
        let path = format!("topic[{i}]");
        cx.check_keys(t, &path, TOPIC_KEYS);
        let slug = cx.required_string(t, &path, "slug", &span);
        if let Some(slug) = &slug {
            let s = slug.get_ref();
            if s.is_empty()
                || !s
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                cx.problem(
                    slug.span(),
                    &format!("{path}.slug"),
                    format!("`{s}` must match [a-z0-9-]+"),
                );
            } else if let Some(first) = slugs.insert(s.clone(), cx.line(slug.span().start)) {
                cx.problem(
                    slug.span(),
                    &format!("{path}.slug"),
                    format!("duplicate topic `{s}` (first on line {first})"),
                );
            }
        }
        let title = cx.required_string(t, &path, "title", &span);
        let match_any = cx.strings(t, &path, "match_any").unwrap_or_default();
        let match_none = cx.strings(t, &path, "match_none").unwrap_or_default();
        let slug = slug.map(Spanned::into_inner).unwrap_or_default();
        for (j, (f, fspan)) in cx.tables(t, &path, "feed").into_iter().enumerate() {
            let fpath = format!("{path}.feed[{j}]");
            cx.check_keys(f, &fpath, TOPIC_FEED_KEYS);
            let label = format!("reactive:{slug}");
            if let Some(feed) = cx.feed(
                f,
                &fpath,
                &fspan,
                label.clone(),
                label.clone(),
                Some(slug.clone()),
                &fetch,
            ) {
                feeds.push(FeedSpec {
                    key: format!("{label} {}", feed.url),
                    ..feed
                });
            }
        }
        topics.push(TopicSpec {
            slug,
            title: title.map(Spanned::into_inner).unwrap_or_default(),
            match_any,
            match_none,
        });
    }

    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, (f, span)) in cx.tables(root, "", "feed").into_iter().enumerate() {
        let path = format!("feed[{i}]");
        cx.check_keys(f, &path, FEED_KEYS);
        let Some(name) = cx.required_string(f, &path, "name", &span) else {
            continue;
        };
        let n = name.get_ref().trim().to_string();
        if n.is_empty() {
            cx.problem(
                name.span(),
                &format!("{path}.name"),
                "must not be empty".into(),
            );
            continue;
        }
        if n.starts_with("reactive:") {
            cx.problem(
                name.span(),
                &format!("{path}.name"),
                format!("`{n}`: names starting with `reactive:` are kept for topic feeds"),
            );
        }
        let duplicate = names.get(&n).copied();
        if let Some(first) = duplicate {
            cx.problem(
                name.span(),
                &format!("{path}.name"),
                format!("duplicate feed name `{n}` (first on line {first})"),
            );
        } else {
            names.insert(n.clone(), cx.line(name.span().start));
        }
        let mut topics_of_feed = Vec::new();
        if let Some(list) = cx.spanned_strings(f, &path, "topics") {
            for t in list {
                if !slugs.contains_key(t.get_ref()) {
                    cx.problem(
                        t.span(),
                        &format!("{path}.topics"),
                        format!("feed `{n}` names unknown topic `{}`", t.get_ref()),
                    );
                } else {
                    topics_of_feed.push(t.into_inner());
                }
            }
        }
        if let Some(feed) = cx.feed(f, &path, &span, n.clone(), n.clone(), None, &fetch) {
            feeds.push(FeedSpec {
                key: n,
                topics: topics_of_feed,
                ..feed
            });
        }
    }

    let mut keys = HashSet::new();
    for f in &feeds {
        if f.owner_topic.is_some() && !keys.insert(f.key.clone()) {
            cx.problems.push(Problem {
                line: 0,
                key: "topic.feed.url".into(),
                message: format!(
                    "`{}` is listed twice for topic `{}`",
                    f.url,
                    f.owner_topic.as_deref().unwrap_or("")
                ),
            });
        }
    }

    if cx.problems.is_empty() {
        Ok(Config {
            path: path.to_path_buf(),
            store_path,
            fetch,
            topics,
            feeds,
        })
    } else {
        cx.problems.sort_by_key(|p| p.line);
        Err(ConfigError {
            file,
            problems: cx.problems,
        })
    }
}

/// Walks the spanned tree, collecting problems instead of stopping at the first.
struct Checker {
    lines: LineIndex,
    problems: Vec<Problem>,
}

/// Where each line of a text starts, so that the line of any offset is a binary search:
/// finding it by counting newlines from the start made loading a config quadratic in its
/// size (BENCHMARKS.md, "100,000 feeds").
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
        LineIndex { starts }
    }

    /// The 1-based line of byte `offset`.
    fn line(&self, offset: usize) -> usize {
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
    fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }

    fn problem(&mut self, span: Range<usize>, key: &str, message: String) {
        let line = self.line(span.start);
        self.problems.push(Problem {
            line,
            key: key.to_string(),
            message,
        });
    }

    fn check_keys(&mut self, table: &DeTable, path: &str, allowed: &[&str]) {
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

    fn wrong_type(&mut self, v: &Spanned<DeValue>, key: &str, want: &str) {
        let got = v.get_ref().type_str();
        self.problem(v.span(), key, format!("expected {want}, found {got}"));
    }

    fn table<'a, 'i>(
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
    fn tables<'a, 'i>(
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

    fn string(&mut self, t: &DeTable, path: &str, key: &str) -> Option<Spanned<String>> {
        let (_, v) = find(t, key)?;
        match v.get_ref().as_str() {
            Some(s) => Some(Spanned::new(v.span(), s.to_string())),
            None => {
                self.wrong_type(v, &join(path, key), "a string");
                None
            }
        }
    }

    fn required_string(
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

    fn int(&mut self, t: &DeTable, path: &str, key: &str, min: i64, max: i64) -> Option<i64> {
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

    fn bool(&mut self, t: &DeTable, path: &str, key: &str) -> Option<bool> {
        let (_, v) = find(t, key)?;
        let b = v.get_ref().as_bool();
        if b.is_none() {
            self.wrong_type(v, &join(path, key), "true or false");
        }
        b
    }

    fn spanned_strings(
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

    fn strings(&mut self, t: &DeTable, path: &str, key: &str) -> Option<Vec<String>> {
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

    /// The parts of a feed shared by `[[feed]]` and `[[topic.feed]]`.
    #[allow(clippy::too_many_arguments)]
    fn feed(
        &mut self,
        f: &DeTable,
        path: &str,
        span: &Range<usize>,
        name: String,
        label: String,
        owner_topic: Option<String>,
        fetch: &FetchSettings,
    ) -> Option<FeedSpec> {
        let url = self.required_string(f, path, "url", span);
        let url = url.and_then(|u| match url::Url::parse(u.get_ref().trim()) {
            Ok(parsed)
                if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() =>
            {
                Some(parsed.to_string())
            }
            Ok(_) => {
                self.problem(
                    u.span(),
                    &join(path, "url"),
                    format!("`{}` is not an http or https URL", u.get_ref()),
                );
                None
            }
            Err(e) => {
                self.problem(
                    u.span(),
                    &join(path, "url"),
                    format!("`{}` is not a valid URL: {e}", u.get_ref()),
                );
                None
            }
        });
        let kind = match self.string(f, path, "kind") {
            None => Some(FeedKind::Feed),
            Some(k) => {
                let parsed = FeedKind::parse(k.get_ref());
                if parsed.is_none() {
                    self.problem(
                        k.span(),
                        &join(path, "kind"),
                        format!("`{}` must be \"feed\" or \"web\"", k.get_ref()),
                    );
                }
                parsed
            }
        };
        let interval = self
            .int(f, path, "interval_mins", 1, 60 * 24 * 30)
            .map_or(fetch.interval_mins, |v| v as u32);
        let select = self.table(f, path, "select");
        let select_path = join(path, "select");
        let select = match (kind, select) {
            (Some(FeedKind::Web), None) => {
                self.problem(
                    span.clone(),
                    &select_path,
                    "a kind = \"web\" feed needs [feed.select] with item, title and link".into(),
                );
                None
            }
            (Some(FeedKind::Feed), Some(_)) => {
                self.problem(
                    span.clone(),
                    &select_path,
                    "selectors only apply to kind = \"web\"".into(),
                );
                None
            }
            (_, Some(sel)) => {
                self.check_keys(sel, &select_path, SELECT_KEYS);
                let get = |cx: &mut Self, key: &str, required: bool| -> Option<String> {
                    let v = if required {
                        cx.required_string(sel, &select_path, key, span)
                    } else {
                        cx.string(sel, &select_path, key)
                    }?;
                    match dossier_extract::check_selector(v.get_ref()) {
                        Ok(()) => Some(v.into_inner()),
                        Err(e) => {
                            cx.problem(v.span(), &join(&select_path, key), e);
                            None
                        }
                    }
                };
                let item = get(self, "item", true);
                let title = get(self, "title", true);
                let link = get(self, "link", true);
                let date = get(self, "date", false);
                let summary = get(self, "summary", false);
                Some(Selectors {
                    item: item?,
                    title: title?,
                    link: link?,
                    date,
                    summary,
                })
            }
            _ => None,
        };
        Some(FeedSpec {
            key: String::new(),
            name,
            label,
            url: url?,
            kind: kind?,
            interval_mins: interval,
            topics: Vec::new(),
            owner_topic,
            select,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match parse(text, Path::new("c.toml")) {
            Ok(_) => Vec::new(),
            Err(e) => e.to_string().lines().map(str::to_string).collect(),
        }
    }

    #[test]
    fn the_bundled_example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dossier.toml");
        let cfg = load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!cfg.topics.is_empty() && !cfg.feeds.is_empty());
        assert_eq!(
            cfg.store_path,
            path.parent().unwrap().join("dossier.sqlite")
        );
    }

    /// A feed list of operator size loads whole, and a problem at its very end still names
    /// its line (finding lines was once quadratic; timing lives in the benchmarks).
    #[test]
    fn a_config_of_100000_feeds_loads() {
        let mut text = String::from("[[topic]]\nslug = \"t\"\ntitle = \"T\"\n\n");
        for i in 0..100_000 {
            text += &format!(
                "[[feed]]\nname = \"feed-{i}\"\nurl = \"https://h{}.example/{i}.rss\"\ntopics = [\"t\"]\n\n",
                i % 977
            );
        }
        let cfg = parse(&text, Path::new("big.toml")).unwrap();
        assert_eq!(cfg.feeds.len(), 100_000);
        assert_eq!(cfg.feeds[99_999].name, "feed-99999");
        text += "[[feed]]\nname = \"feed-0\"\nurl = \"https://dup.example/\"\n";
        let err = parse(&text, Path::new("big.toml")).unwrap_err();
        let lines = text.lines().count();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(err.problems[0].line, lines - 1, "{err}");
        assert!(err.problems[0].message.contains("first on line 6"), "{err}");
    }

    #[test]
    fn lines_are_found_by_offset() {
        let idx = LineIndex::new("a\nbc\n\nd");
        let lines: Vec<usize> = (0..8).map(|o| idx.line(o)).collect();
        assert_eq!(lines, [1, 1, 2, 2, 2, 3, 4, 4]);
    }

    #[test]
    fn defaults_fill_what_is_left_out() {
        let cfg = parse("", Path::new("/etc/dossier/d.toml")).unwrap();
        assert_eq!(cfg.fetch, FetchSettings::default());
        assert_eq!(cfg.store_path, Path::new("/etc/dossier/dossier.sqlite"));
    }

    #[test]
    fn every_problem_is_reported_with_line_and_key() {
        let text = r#"[fetch]
concurency = 4
per_host = "two"

[[topic]]
slug = "Bad Slug"
title = "T"

[[topic]]
slug = "ok"
title = "Ok"
  [[topic.feed]]
  url = "ftp://example.org/feed"

[[feed]]
name = "A"
url = "https://a.example/rss"
topics = ["missing"]

[[feed]]
name = "A"
url = "https://b.example/rss"
colour = "red"
"#;
        let got = problems(text);
        assert_eq!(
            got,
            vec![
                "c.toml:2: fetch.concurency: unknown key (did you mean `concurrency`?); known keys here: concurrency, per_host, timeout_secs, max_body_bytes, user_agent, interval_mins, article_pages, allow_private_addresses, per_host_gap_ms, retries",
                "c.toml:3: fetch.per_host: expected an integer, found string",
                "c.toml:6: topic[0].slug: `Bad Slug` must match [a-z0-9-]+",
                "c.toml:13: topic[1].feed[0].url: `ftp://example.org/feed` is not an http or https URL",
                "c.toml:18: feed[0].topics: feed `A` names unknown topic `missing`",
                "c.toml:21: feed[1].name: duplicate feed name `A` (first on line 16)",
                "c.toml:23: feed[1].colour: unknown key; known keys here: name, url, kind, interval_mins, topics, select",
            ]
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let got = problems("[fetch]\nconcurrency = \n");
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("c.toml:2: "), "{got:?}");
    }

    #[test]
    fn missing_required_keys_are_named() {
        let got = problems("[[feed]]\nurl = \"https://a.example/\"\n\n[[topic]]\nslug = \"x\"\n");
        assert_eq!(
            got,
            vec![
                "c.toml:1: feed[0].name: missing (required)",
                "c.toml:4: topic[0].title: missing (required)"
            ]
        );
    }

    #[test]
    fn topic_feeds_get_reactive_labels_and_feeds_get_defaults() {
        let cfg = parse(
            r#"
[fetch]
interval_mins = 45
[[topic]]
slug = "ai"
title = "AI"
match_any = ["DeepSeek"]
  [[topic.feed]]
  url = "https://news.example/rss?q=ai"
[[feed]]
name = "Blog"
url = "https://blog.example/feed"
interval_mins = 15
topics = ["ai"]
"#,
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(cfg.feeds[0].label, "reactive:ai");
        assert_eq!(
            cfg.feeds[0].key,
            "reactive:ai https://news.example/rss?q=ai"
        );
        assert_eq!(cfg.feeds[0].owner_topic.as_deref(), Some("ai"));
        assert_eq!(cfg.feeds[0].interval_mins, 45);
        assert_eq!(cfg.feeds[1].label, "Blog");
        assert_eq!(cfg.feeds[1].interval_mins, 15);
        assert_eq!(cfg.feeds[1].topics, vec!["ai".to_string()]);
    }

    #[test]
    fn web_feeds_need_valid_selectors() {
        let got = problems(
            r#"[[feed]]
name = "Lab"
url = "https://lab.example/news"
kind = "web"
  [feed.select]
  item = "article.post"
  title = "h2"
  link = "h2 a["
"#,
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("c.toml:8: feed[0].select.link: selector `h2 a[` does not parse"),
            "{got:?}"
        );
    }

    proptest::proptest! {
        /// Config loading never panics, and every problem names a line inside the file.
        #[test]
        fn any_text_is_a_config_or_a_list_of_located_problems(text in "(\\[{1,2}[a-z.]{0,8}\\]{1,2}\n|[a-z_]{1,12} = (\"[^\"\\n]{0,20}\"|[0-9_]{1,6}|true|\\[\"[a-z]{0,5}\"\\])\n|#[^\\n]{0,10}\n|\\PC{0,8}\n){0,20}") {
            match parse(&text, Path::new("fuzz.toml")) {
                Ok(_) => {}
                Err(e) => {
                    let lines = text.lines().count().max(1);
                    for p in &e.problems {
                        proptest::prop_assert!(p.line >= 1 && p.line <= lines + 1, "{:?} in {:?}", p, text);
                    }
                }
            }
        }
    }
}
