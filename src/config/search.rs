//! `[[search]]` providers and a topic's `queries`: a topic's own feeds made from what it
//! looks for.
//!
//! A provider is a URL template holding `{query}`. Each (query, provider) pair of a topic
//! becomes one of the topic's own feeds, built exactly like a `[[topic.feed]]` (label
//! `reactive:<slug>`, key `reactive:<slug> <url>`), so that everything after the loader
//! (schedule, fetch, health, topic links, retiring a feed the config no longer names)
//! treats it as one and needs no notion of searches. Only the config knows where such a
//! feed came from ([`SearchOrigin`]), and `check`, `feeds` and OPML export read it there.

use super::FetchSettings;
use super::checker::Checker;
use dossier_model::{FeedKind, FeedSpec, SearchOrigin, Selectors};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::collections::HashMap;
use std::ops::Range;
use toml::de::DeTable;

pub(super) const SEARCH_KEYS: &[&str] = &["name", "url", "kind", "interval_mins", "select"];

/// What `{query}` leaves as it is: RFC 3986's unreserved characters. Everything else (a
/// space, `&`, `#`, `/`, `+`, `?`, `=`, `%`, every byte of a non-ASCII character's UTF-8)
/// is percent-encoded, so that a query is one component wherever the template puts it, a
/// parameter's value or a path segment, and can never add a parameter, a path segment or
/// a fragment of its own.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A search provider as configured (`[[search]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchProvider {
    pub name: String,
    /// The URL template, `{query}` still in it.
    pub url: String,
    pub kind: FeedKind,
    pub interval_mins: u32,
    pub select: Option<Selectors>,
}

/// `template` with every `{query}` replaced by `query` percent-encoded as one URL
/// component (`China AI` → `China%20AI`, `人工智能` → `%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD`).
pub fn fill(template: &str, query: &str) -> String {
    template.replace(
        "{query}",
        &utf8_percent_encode(query, COMPONENT).to_string(),
    )
}

/// A filled template as a feed URL (written as the `url` crate normalizes it, like every
/// configured URL), or why it is none.
fn feed_url(filled: &str) -> Result<String, String> {
    match url::Url::parse(filled) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(u.to_string())
        }
        Ok(_) => Err("not an http or https URL".into()),
        Err(e) => Err(format!("not a valid URL: {e}")),
    }
}

/// One `[[search]]` table as read: its name (for topics to name, even when the rest of
/// it is wrong, so that the one mistake is not reported again at every topic), where the
/// name is, the provider when the table is valid, and whether a topic uses it.
struct Entry {
    name: String,
    path: String,
    span: Range<usize>,
    provider: Option<SearchProvider>,
    used: bool,
}

/// The `[[search]]` providers of a config, by name.
pub(super) struct Providers {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
}

impl Providers {
    /// The valid providers, in the config's order.
    pub(super) fn into_list(self) -> Vec<SearchProvider> {
        self.entries
            .into_iter()
            .filter_map(|e| e.provider)
            .collect()
    }

    fn names(&self) -> String {
        let names: Vec<String> = self
            .entries
            .iter()
            .map(|e| format!("`{}`", e.name))
            .collect();
        names.join(", ")
    }
}

/// `[[search]]`: each provider's name (unique, not empty), URL template (with `{query}`,
/// an http(s) URL once filled), kind, interval and, for `kind = "web"`, selectors.
pub(super) fn read_providers(cx: &mut Checker, root: &DeTable, fetch: &FetchSettings) -> Providers {
    let mut providers = Providers {
        entries: Vec::new(),
        by_name: HashMap::new(),
    };
    for (i, (t, span)) in cx.tables(root, "", "search").into_iter().enumerate() {
        let path = format!("search[{i}]");
        cx.check_keys(t, &path, SEARCH_KEYS);
        let name = cx.required_string(t, &path, "name", &span);
        let template = cx.required_string(t, &path, "url", &span);
        let kind = cx.feed_kind(t, &path);
        let interval = cx
            .int(t, &path, "interval_mins", 1, 60 * 24 * 30)
            .map_or(fetch.interval_mins, |v| v as u32);
        let select = cx.selectors(t, &path, &span, kind, "search.select");
        let template = template.and_then(|u| {
            let tmpl = u.get_ref().trim().to_string();
            let key = format!("{path}.url");
            if !tmpl.contains("{query}") {
                let message = format!("`{tmpl}` has no `{{query}}` for the query to go in");
                cx.problem(u.span(), &key, message);
                return None;
            }
            match feed_url(&fill(&tmpl, "query")) {
                Ok(_) => Some(tmpl),
                Err(why) => {
                    let message = format!("`{tmpl}` is {why} once `{{query}}` is filled in");
                    cx.problem(u.span(), &key, message);
                    None
                }
            }
        });
        let Some(name) = name else { continue };
        let n = name.get_ref().trim().to_string();
        let key = format!("{path}.name");
        if n.is_empty() {
            cx.problem(name.span(), &key, "must not be empty".into());
            continue;
        }
        if let Some(&first) = providers.by_name.get(&n) {
            let line = cx.line(providers.entries[first].span.start);
            let message = format!("duplicate search provider `{n}` (first on line {line})");
            cx.problem(name.span(), &key, message);
            continue;
        }
        let provider = match (template, kind) {
            (Some(url), Some(kind)) if kind == FeedKind::Feed || select.is_some() => {
                Some(SearchProvider {
                    name: n.clone(),
                    url,
                    kind,
                    interval_mins: interval,
                    select,
                })
            }
            _ => None,
        };
        providers.by_name.insert(n.clone(), providers.entries.len());
        providers.entries.push(Entry {
            name: n,
            path,
            span: name.span(),
            provider,
            used: false,
        });
    }
    providers
}

/// A topic's `queries` and `search`: one of the topic's own feeds per valid query and
/// chosen provider (queries in order, each with the providers in order), each with where
/// its query is written and its key there. Marks the providers the topic uses.
pub(super) fn topic_feeds(
    cx: &mut Checker,
    t: &DeTable,
    path: &str,
    slug: &str,
    providers: &mut Providers,
) -> Vec<(FeedSpec, Range<usize>, String)> {
    let queries = cx.spanned_strings(t, path, "queries");
    let search = cx.spanned_strings(t, path, "search");
    let mut valid: Vec<(String, Range<usize>, String)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (j, q) in queries.iter().flatten().enumerate() {
        let key = format!("{path}.queries[{j}]");
        let text = q.get_ref().trim().to_string();
        if text.is_empty() {
            cx.problem(q.span(), &key, "a query must not be empty".into());
        } else if let Some(first) = seen.get(&text) {
            let message = format!("duplicate query `{text}` (first on line {first})");
            cx.problem(q.span(), &key, message);
        } else {
            seen.insert(text.clone(), cx.line(q.span().start));
            valid.push((text, q.span(), key));
        }
    }
    let has_queries = queries.as_ref().is_some_and(|q| !q.is_empty());
    let chosen: Vec<usize> = match &search {
        None => (0..providers.entries.len()).collect(),
        Some(names) => {
            let mut chosen = Vec::new();
            for (k, n) in names.iter().enumerate() {
                let key = format!("{path}.search[{k}]");
                match providers.by_name.get(n.get_ref()) {
                    Some(i) if chosen.contains(i) => {
                        let message = format!("provider `{}` is named twice", n.get_ref());
                        cx.problem(n.span(), &key, message);
                    }
                    Some(&i) => chosen.push(i),
                    None => {
                        let known = if providers.entries.is_empty() {
                            "the config has no [[search]] provider".to_string()
                        } else {
                            format!("known providers: {}", providers.names())
                        };
                        let message = format!("unknown search provider `{}`; {known}", n.get_ref());
                        cx.problem(n.span(), &key, message);
                    }
                }
            }
            if !has_queries && !names.is_empty() {
                let span = cx.value_span(t, "search").unwrap_or_default();
                let message = "names search providers, but the topic has no `queries` for them";
                cx.problem(span, &format!("{path}.search"), message.into());
            }
            chosen
        }
    };
    if has_queries && chosen.is_empty() {
        match &search {
            Some(names) if names.is_empty() => {
                let span = cx.value_span(t, "search").unwrap_or_default();
                let message = "`search = []` leaves the topic's queries no provider to run them";
                cx.problem(span, &format!("{path}.search"), message.into());
            }
            Some(_) => {} // every name it gave is unknown, and each was reported
            None => {
                let span = cx.value_span(t, "queries").unwrap_or_default();
                let message =
                    "the topic has queries, but the config has no [[search]] provider to run them";
                cx.problem(span, &format!("{path}.queries"), message.into());
            }
        }
    }
    if !has_queries {
        return Vec::new();
    }
    // A topic uses the providers it chose even when every one of its queries is wrong.
    for &i in &chosen {
        providers.entries[i].used = true;
    }
    let label = format!("reactive:{slug}");
    let mut feeds = Vec::new();
    for (query, span, key) in &valid {
        for &i in &chosen {
            let Some(p) = &providers.entries[i].provider else {
                continue;
            };
            let filled = fill(&p.url, query);
            let url = match feed_url(&filled) {
                Ok(url) => url,
                Err(why) => {
                    let message = format!("provider `{}` makes `{filled}` of it: {why}", p.name);
                    cx.problem(span.clone(), key, message);
                    continue;
                }
            };
            feeds.push((
                FeedSpec {
                    key: format!("{label} {url}"),
                    name: label.clone(),
                    label: label.clone(),
                    url,
                    kind: p.kind,
                    interval_mins: p.interval_mins,
                    topics: Vec::new(),
                    owner_topic: Some(slug.to_string()),
                    select: p.select.clone(),
                    search: Some(SearchOrigin {
                        provider: p.name.clone(),
                        query: query.clone(),
                    }),
                },
                span.clone(),
                key.clone(),
            ));
        }
    }
    feeds
}

/// A valid provider no topic uses is allowed (one being set up, one kept for later) but
/// probably not meant: a warning, which `check` shows.
pub(super) fn warn_unused(cx: &mut Checker, providers: &Providers) {
    for e in &providers.entries {
        if !e.used && e.provider.is_some() {
            let message = format!(
                "search provider `{}` is used by no topic (no topic has `queries`, or every \
                 topic with queries names other providers in `search`)",
                e.name
            );
            cx.warning(e.span.clone(), &format!("{}.name", e.path), message);
        }
    }
}
