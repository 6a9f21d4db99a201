//! Loading and validating `config/dossier.toml`.
//!
//! The file is walked with its spans (toml's `DeTable`), not deserialized in one go, so
//! that *every* problem is found in one pass and each is reported with file, line and key:
//! an operator fixing a config at 3 a.m. should not have to run `check` once per typo.
//! Unknown keys are errors. Defaults fill what is left out. What is allowed but probably
//! not meant (a search provider no topic uses) is a warning: it rides along with a valid
//! config in [`Checked`], for `check` to show, and never makes the config invalid.

use dossier_model::{FeedSpec, TopicSpec};
use dossier_store::Location;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::DeTable;

mod checker;
mod search;
#[cfg(test)]
mod tests;

use checker::{Checker, LineIndex};
use search::Providers;
pub use search::SearchProvider;

pub use dossier_run::{Config, FetchSettings};

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

/// A valid config and what `check` shows besides: the search providers it defines and
/// the warnings (each as `file:line: warning: key: message`).
#[derive(Debug, Clone)]
pub struct Checked {
    pub config: Config,
    pub providers: Vec<SearchProvider>,
    pub warnings: Vec<Problem>,
}

impl Checked {
    /// The warnings, one line each: `file:line: warning: key: message`.
    pub fn warning_lines(&self) -> Vec<String> {
        let file = self.config.path.display();
        self.warnings
            .iter()
            .map(|w| format!("{file}:{}: warning: {}: {}", w.line, w.key, w.message))
            .collect()
    }
}

const ROOT_KEYS: &[&str] = &["store", "fetch", "search", "topic", "feed"];
const STORE_KEYS: &[&str] = &["path", "url"];
/// Every key of `[fetch]`, in the order `check` names them, with how it is read: the one
/// table the known keys and their reading come from, so a setting cannot be read and yet
/// be "unknown", or known and never read.
type ReadFetch = fn(&mut Checker, &DeTable, &mut FetchSettings);
const FETCH: &[(&str, ReadFetch)] = &[
    ("concurrency", |cx, t, f| {
        if let Some(v) = cx.int(t, "fetch", "concurrency", 1, 1024) {
            f.concurrency = v as usize;
        }
    }),
    ("per_host", |cx, t, f| {
        if let Some(v) = cx.int(t, "fetch", "per_host", 1, 64) {
            f.per_host = v as usize;
        }
    }),
    ("timeout_secs", |cx, t, f| {
        if let Some(v) = cx.int(t, "fetch", "timeout_secs", 1, 3600) {
            f.timeout_secs = v as u64;
        }
    }),
    ("max_body_bytes", |cx, t, f| {
        if let Some(v) = cx.int(t, "fetch", "max_body_bytes", 1024, 1 << 31) {
            f.max_body_bytes = v as u64;
        }
    }),
    ("user_agent", |cx, t, f| {
        if let Some(v) = cx.string(t, "fetch", "user_agent") {
            if v.get_ref().trim().is_empty() || v.get_ref().chars().any(|c| c.is_control()) {
                cx.problem(
                    v.span(),
                    "fetch.user_agent",
                    "must be a non-empty single line".into(),
                );
            } else {
                f.user_agent = v.into_inner();
            }
        }
    }),
    ("interval_mins", |cx, t, f| {
        if let Some(v) = cx.int(t, "fetch", "interval_mins", 1, 60 * 24 * 30) {
            f.interval_mins = v as u32;
        }
    }),
    ("article_pages", |cx, t, f| {
        if let Some(v) = cx.bool(t, "fetch", "article_pages") {
            f.article_pages = v;
        }
    }),
    ("allow_private_addresses", |cx, t, f| {
        if let Some(v) = cx.bool(t, "fetch", "allow_private_addresses") {
            f.allow_private_addresses = v;
        }
    }),
    ("per_host_gap_ms", |cx, t, f| {
        if let Some(v) = cx.int(t, "fetch", "per_host_gap_ms", 0, 60_000) {
            f.per_host_gap_ms = v as u64;
        }
    }),
    ("retries", |cx, t, f| {
        if let Some(v) = cx.int(t, "fetch", "retries", 0, 5) {
            f.retries = v as u32;
        }
    }),
    ("lease_secs", |cx, t, f| {
        if let Some(v) = cx.int(t, "fetch", "lease_secs", 5, 3600) {
            f.lease_secs = v as u64;
        }
    }),
];
const TOPIC_KEYS: &[&str] = &[
    "slug",
    "title",
    "match_any",
    "match_none",
    "queries",
    "search",
    "feed",
];
const TOPIC_FEED_KEYS: &[&str] = &["url", "kind", "interval_mins", "select"];
const FEED_KEYS: &[&str] = &["name", "url", "kind", "interval_mins", "topics", "select"];
pub(super) const SELECT_KEYS: &[&str] = &["item", "title", "link", "date", "summary"];

/// Reads and validates the config at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_checked(path).map(|c| c.config)
}

/// Validates config `text` that was read from `path` (relative paths resolve against its folder).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    parse_checked(text, path).map(|c| c.config)
}

/// [`load`], with the providers and warnings that `check` shows.
pub fn load_checked(path: &Path) -> Result<Checked, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.display().to_string(),
        problems: vec![Problem {
            line: 0,
            key: String::new(),
            message: format!("cannot read the config: {e}"),
        }],
    })?;
    parse_checked(&text, path)
}

/// [`parse`], with the providers and warnings that `check` shows.
pub fn parse_checked(text: &str, path: &Path) -> Result<Checked, ConfigError> {
    let mut cx = Checker {
        lines: LineIndex::new(text),
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let file = path.display().to_string();
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let line = e.span().map_or(1, |s| cx.line(s.start));
            let message = e.message().trim().to_string();
            let key = String::new();
            let problems = vec![Problem { line, key, message }];
            return Err(ConfigError { file, problems });
        }
    };
    let root = root.get_ref();
    cx.check_keys(root, "", ROOT_KEYS);
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let store = read_store(&mut cx, root, &base);
    let fetch = read_fetch(&mut cx, root);
    let mut providers = search::read_providers(&mut cx, root, &fetch);
    let (topics, mut feeds, slugs) = read_topics(&mut cx, root, &fetch, &mut providers);
    search::warn_unused(&mut cx, &providers);
    feeds.extend(read_feeds(&mut cx, root, &slugs, &fetch));
    if cx.problems.is_empty() {
        cx.warnings.sort_by_key(|w| w.line);
        Ok(Checked {
            config: Config {
                path: path.to_path_buf(),
                store,
                fetch,
                topics,
                feeds,
            },
            providers: providers.into_list(),
            warnings: cx.warnings,
        })
    } else {
        cx.problems.sort_by_key(|p| p.line);
        Err(ConfigError {
            file,
            problems: cx.problems,
        })
    }
}

/// `[store]`: a SQLite file (`path`, relative to the config's folder; the default is
/// `dossier.sqlite` beside the config) or a PostgreSQL database (`url`), not both.
fn read_store(cx: &mut Checker, root: &DeTable, base: &Path) -> Location {
    let default = Location::Sqlite(base.join("dossier.sqlite"));
    let Some(store) = cx.table(root, "", "store") else {
        return default;
    };
    cx.check_keys(store, "store", STORE_KEYS);
    let path = cx.string(store, "store", "path");
    let url = cx.string(store, "store", "url");
    match (path, url) {
        (Some(_), Some(url)) => {
            let message = "`path` and `url` are exclusive: the store is a SQLite file or a \
                           PostgreSQL database";
            cx.problem(url.span(), "store.url", message.into());
            default
        }
        (Some(path), None) => Location::Sqlite(base.join(path.get_ref())),
        (None, Some(url)) => match Location::parse(url.get_ref()) {
            postgres @ Location::Postgres(_) => postgres,
            Location::Sqlite(_) => {
                let message = format!(
                    "`{}` is not a postgres:// or postgresql:// URL (a SQLite store is `path`)",
                    url.get_ref()
                );
                cx.problem(url.span(), "store.url", message);
                default
            }
        },
        (None, None) => default,
    }
}

/// `[fetch]`, read key by key from [`FETCH`].
fn read_fetch(cx: &mut Checker, root: &DeTable) -> FetchSettings {
    let mut fetch = FetchSettings::default();
    if let Some(t) = cx.table(root, "", "fetch") {
        let known: Vec<&str> = FETCH.iter().map(|(key, _)| *key).collect();
        cx.check_keys(t, "fetch", &known);
        for (_, read) in FETCH {
            read(cx, t, &mut fetch);
        }
    }
    fetch
}

/// Topic slugs seen so far, each with the line it was first defined on.
type Slugs = HashMap<String, usize>;

/// `[[topic]]` and each topic's own feeds, its `[[topic.feed]]`s and then those its
/// `queries` make with the search `providers`: the topics, their feeds and the slugs (for
/// `[[feed]].topics` to name). A topic has each of its own feeds once.
fn read_topics(
    cx: &mut Checker,
    root: &DeTable,
    fetch: &FetchSettings,
    providers: &mut Providers,
) -> (Vec<TopicSpec>, Vec<FeedSpec>, Slugs) {
    let mut topics = Vec::new();
    let mut feeds = Vec::new();
    let mut slugs = Slugs::new();
    // Each topic feed's key (topic and URL), with the line it was first given on.
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut add = |cx: &mut Checker, feed: FeedSpec, span: Range<usize>, key: &str| {
        if let Some(first) = keys.get(&feed.key) {
            let message = format!(
                "`{}` is listed twice for topic `{}` (first on line {first})",
                feed.url,
                feed.owner_topic.as_deref().unwrap_or("")
            );
            cx.problem(span, key, message);
        } else {
            keys.insert(feed.key.clone(), cx.line(span.start));
            feeds.push(feed);
        }
    };
    for (i, (t, span)) in cx.tables(root, "", "topic").into_iter().enumerate() {
        let path = format!("topic[{i}]");
        cx.check_keys(t, &path, TOPIC_KEYS);
        let slug = cx.required_string(t, &path, "slug", &span);
        if let Some(slug) = &slug {
            check_slug(cx, slug, &path, &mut slugs);
        }
        let title = cx.required_string(t, &path, "title", &span);
        let match_any = cx.strings(t, &path, "match_any").unwrap_or_default();
        let match_none = cx.strings(t, &path, "match_none").unwrap_or_default();
        let slug = slug.map(Spanned::into_inner).unwrap_or_default();
        // The topic's own feeds in the order the file gives them, so that of two with one
        // URL the later is the one reported.
        let mut own = Vec::new();
        for (j, (f, fspan)) in cx.tables(t, &path, "feed").into_iter().enumerate() {
            let fpath = format!("{path}.feed[{j}]");
            cx.check_keys(f, &fpath, TOPIC_FEED_KEYS);
            let label = format!("reactive:{slug}");
            if let Some(feed) = cx.feed(f, &fpath, &fspan, fetch) {
                let feed = FeedSpec {
                    key: format!("{label} {}", feed.url),
                    name: label.clone(),
                    label,
                    owner_topic: Some(slug.clone()),
                    ..feed
                };
                let span = cx.value_span(f, "url").unwrap_or(fspan);
                own.push((feed, span, format!("{fpath}.url")));
            }
        }
        own.extend(search::topic_feeds(cx, t, &path, &slug, providers));
        own.sort_by_key(|(_, span, _)| span.start);
        for (feed, span, key) in own {
            add(cx, feed, span, &key);
        }
        topics.push(TopicSpec {
            slug,
            title: title.map(Spanned::into_inner).unwrap_or_default(),
            match_any,
            match_none,
        });
    }
    (topics, feeds, slugs)
}

/// A slug is `[a-z0-9-]+` and names one topic.
fn check_slug(cx: &mut Checker, slug: &Spanned<String>, path: &str, slugs: &mut Slugs) {
    let s = slug.get_ref();
    let well_formed = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let key = format!("{path}.slug");
    if !well_formed {
        cx.problem(slug.span(), &key, format!("`{s}` must match [a-z0-9-]+"));
    } else if let Some(first) = slugs.insert(s.clone(), cx.line(slug.span().start)) {
        let message = format!("duplicate topic `{s}` (first on line {first})");
        cx.problem(slug.span(), &key, message);
    }
}

/// `[[feed]]`: named feeds, each tagged to topics defined in the same file.
fn read_feeds(
    cx: &mut Checker,
    root: &DeTable,
    slugs: &Slugs,
    fetch: &FetchSettings,
) -> Vec<FeedSpec> {
    let mut feeds = Vec::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, (f, span)) in cx.tables(root, "", "feed").into_iter().enumerate() {
        let path = format!("feed[{i}]");
        cx.check_keys(f, &path, FEED_KEYS);
        let Some(name) = cx.required_string(f, &path, "name", &span) else {
            continue;
        };
        let n = name.get_ref().trim().to_string();
        let key = format!("{path}.name");
        if n.is_empty() {
            cx.problem(name.span(), &key, "must not be empty".into());
            continue;
        }
        if n.starts_with("reactive:") {
            let message =
                format!("`{n}`: names starting with `reactive:` are kept for topic feeds");
            cx.problem(name.span(), &key, message);
        }
        if let Some(first) = names.get(&n).copied() {
            let message = format!("duplicate feed name `{n}` (first on line {first})");
            cx.problem(name.span(), &key, message);
        } else {
            names.insert(n.clone(), cx.line(name.span().start));
        }
        let mut topics_of_feed = Vec::new();
        for t in cx.spanned_strings(f, &path, "topics").unwrap_or_default() {
            if slugs.contains_key(t.get_ref()) {
                topics_of_feed.push(t.into_inner());
            } else {
                let message = format!("feed `{n}` names unknown topic `{}`", t.get_ref());
                cx.problem(t.span(), &format!("{path}.topics"), message);
            }
        }
        if let Some(feed) = cx.feed(f, &path, &span, fetch) {
            feeds.push(FeedSpec {
                key: n.clone(),
                name: n.clone(),
                label: n,
                topics: topics_of_feed,
                ..feed
            });
        }
    }
    feeds
}
