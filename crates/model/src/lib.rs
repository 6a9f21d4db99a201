//! The nouns every stage of the pipeline passes along.
//!
//! `fetch`, `extract`, `normalize` and `store` all speak in these types, so they live in a
//! crate of their own with no I/O: a feed as configured ([`FeedSpec`]), a topic and its
//! rules ([`TopicSpec`]), an item as a feed gave it ([`RawItem`]) and as the normalizer
//! made it ([`Item`]), and the provenance values that the store records (which rule gave
//! an item its identity, what dated it, why it joined a topic), and the stories a version's
//! sources are grouped into ([`Story`]).

use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt;

mod key;
pub mod schedule;
mod state;
pub mod story;

pub use crate::key::{BadKey, ItemKey};
pub use crate::state::{
    Change, FeedState, FeedUpdate, FetchFailure, FetchStatus, HostHold, RunStats, Validators,
};
pub use crate::story::{Grouping, Story, StorySource};

/// How a source is read: a syndication feed, or a web page picked apart with selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeedKind {
    #[default]
    Feed,
    Web,
}

impl FeedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Feed => "feed",
            FeedKind::Web => "web",
        }
    }

    pub fn parse(s: &str) -> Option<FeedKind> {
        match s {
            "feed" => Some(FeedKind::Feed),
            "web" => Some(FeedKind::Web),
            _ => None,
        }
    }
}

/// CSS selectors of a `kind = "web"` source (`[feed.select]`). Each may end in `@attr`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selectors {
    pub item: String,
    pub title: String,
    pub link: String,
    pub date: Option<String>,
    pub summary: Option<String>,
}

/// One source as the operator configured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSpec {
    /// Stable identity in the store: the name of a `[[feed]]`, or `reactive:<slug> <url>`
    /// for a topic's own feed (a topic may have several feeds under one label).
    pub key: String,
    /// What `--feed NAME` selects and `feeds` shows: the name, or the label of a topic feed.
    pub name: String,
    /// What a rendered source shows after the dash: the name, or `reactive:<slug>`.
    pub label: String,
    pub url: String,
    pub kind: FeedKind,
    pub interval_mins: u32,
    /// Topics that take every item of this feed (`topics = [...]`).
    pub topics: Vec<String>,
    /// The topic whose own (reactive) feed this is.
    pub owner_topic: Option<String>,
    pub select: Option<Selectors>,
    /// The search this topic feed was made from (a `[[search]]` provider filled with one
    /// of the topic's `queries`); `None` for every other feed. Config-only: the store
    /// knows the feed by its key, and the commands read this back from the config.
    pub search: Option<SearchOrigin>,
}

/// Which search made a topic's own feed: the `[[search]]` provider's name and the query
/// it was filled with (as the config wrote it, before percent-encoding).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SearchOrigin {
    pub provider: String,
    pub query: String,
}

impl FeedSpec {
    /// The host (and port) whose politeness limits this feed's requests share.
    pub fn host_key(&self) -> String {
        host_key(&self.url)
    }
}

/// Whether `c` belongs to a script written without spaces between words (Chinese,
/// Japanese, Thai, …): keywords match anywhere in such text, and search indexes it by
/// character pairs rather than by words.
pub fn is_unspaced_script_char(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FFFF) // CJK extensions B+
}

/// `host:port` of a URL, lowercase; the unit of per-host politeness.
pub fn host_key(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}:{}",
            u.host_str().unwrap_or("").to_ascii_lowercase(),
            u.port_or_known_default().unwrap_or(0)
        ),
        Err(_) => url.to_string(),
    }
}

/// A topic and its keyword rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub slug: String,
    pub title: String,
    pub match_any: Vec<String>,
    pub match_none: Vec<String>,
}

/// An item as one feed document gave it, already reduced to plain text.
///
/// Where each field comes from:
/// - `guid`: RSS `<guid>`, Atom `<id>`, JSON Feed `id`; `None` when the feed has none
///   (never a generated id).
/// - `link`: RSS `<link>` (else a permalink `<guid>`), Atom `<link rel="alternate">` (else
///   an `id` that is a web address), RDF `rdf:about`, JSON Feed `url`; resolved against
///   `xml:base` / the feed URL. Written as the feed wrote it.
/// - `origin`: where a redirect-wrapped `link` really leads, when the feed itself says so
///   (`feedburner:origLink`); the canonical URL is made from it.
/// - `title`: RSS/Atom `<title>`, JSON Feed `title`; plain text.
/// - `summary`: RSS `<description>`, Atom `<summary>` (else `<content>`), JSON Feed
///   `summary` (else `content_text`, else `content_html`); plain text.
/// - `published`: RSS `<pubDate>` / `dc:date`, Atom `<published>` (`<issued>` in 0.3),
///   JSON Feed `date_published`; `updated`: Atom `<updated>`, JSON Feed `date_modified`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawItem {
    pub guid: Option<String>,
    pub link: Option<String>,
    pub origin: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
}

/// What gave a stored item its publication date (`date_source` in every JSON shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    /// The feed's own date field.
    Feed,
    /// The article's page: meta tags, JSON-LD, `<time>`.
    Page,
    /// A full date in the link's path.
    Url,
    /// Nothing dated it; `published_at` is null.
    FirstSeen,
}

impl DateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DateSource::Feed => "feed",
            DateSource::Page => "page",
            DateSource::Url => "url",
            DateSource::FirstSeen => "first_seen",
        }
    }

    pub fn parse(s: &str) -> Option<DateSource> {
        Some(match s {
            "feed" => DateSource::Feed,
            "page" => DateSource::Page,
            "url" => DateSource::Url,
            "first_seen" => DateSource::FirstSeen,
            _ => return None,
        })
    }
}

/// Why an item's article page is worth reading (the `page_reason` column), decided when
/// the item is normalized so the store only has to look it up. The link reasons come
/// first: they can change which story the item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageReason {
    /// The feed's link is an AMP rendering (`/amp/` segment, `amp.` host, AMP cache,
    /// `amp` parameter): only the page's own canonical link says which article it is.
    Amp,
    /// The link goes through a redirector dossier cannot unwrap offline (FeedBurner).
    Redirect,
    /// Nothing dated the item.
    Undated,
    /// Only a date in the link's path dated it.
    UrlDate,
}

impl PageReason {
    pub fn as_str(self) -> &'static str {
        match self {
            PageReason::Amp => "amp",
            PageReason::Redirect => "redirect",
            PageReason::Undated => "undated",
            PageReason::UrlDate => "url_date",
        }
    }
}

/// Which rule of the identity ladder identifies an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityRule {
    /// The feed's guid/id, scoped to the feed.
    Guid,
    /// The canonical link, across all feeds.
    Link,
    /// A hash of title + date (or title + text), scoped to the feed.
    Hash,
}

impl IdentityRule {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityRule::Guid => "guid",
            IdentityRule::Link => "link",
            IdentityRule::Hash => "hash",
        }
    }
}

/// Why an item joined a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicReason {
    /// It came from the topic's own feed.
    TopicFeed,
    /// Its feed lists the topic in `topics`.
    FeedTopics,
    /// It matched this keyword of the topic's `match_any`.
    Keyword(String),
}

impl TopicReason {
    /// The reason as stored: `topic_feed`, `feed_topics` or `keyword`.
    pub fn kind(&self) -> &'static str {
        match self {
            TopicReason::TopicFeed => "topic_feed",
            TopicReason::FeedTopics => "feed_topics",
            TopicReason::Keyword(_) => "keyword",
        }
    }

    pub fn detail(&self) -> Option<&str> {
        match self {
            TopicReason::Keyword(k) => Some(k),
            _ => None,
        }
    }

    /// The reason read back from its stored kind and detail; `None` for a kind this
    /// dossier does not know.
    pub fn from_stored(kind: &str, detail: Option<String>) -> Option<TopicReason> {
        match kind {
            "topic_feed" => Some(TopicReason::TopicFeed),
            "feed_topics" => Some(TopicReason::FeedTopics),
            "keyword" => Some(TopicReason::Keyword(detail.unwrap_or_default())),
            _ => None,
        }
    }
}

/// As stored and shown: `{"reason": "keyword", "detail": "DeepSeek"}`.
impl serde::Serialize for TopicReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("TopicReason", 2)?;
        st.serialize_field("reason", self.kind())?;
        st.serialize_field("detail", &self.detail())?;
        st.end()
    }
}

/// An item after normalization, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub guid: Option<String>,
    /// Canonical URL: tracking parameters, fragments and wrappers removed.
    pub url: Option<String>,
    /// The link exactly as the feed gave it.
    pub original_url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub date_source: DateSource,
    /// What dated the item, or why a date the feed gave was not used.
    pub date_evidence: Option<String>,
    pub identity: IdentityRule,
    /// Keys under which the store finds this story again, strongest first. Any shared
    /// key means the same story.
    pub keys: Vec<ItemKey>,
    pub topics: Vec<(String, TopicReason)>,
    /// Why its article page should be read, or `None` when the feed told enough.
    pub page_reason: Option<PageReason>,
}

/// Why a fetch failed, as `feeds` shows it in `error_class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The host name did not resolve.
    Dns,
    /// No TCP connection (refused, unreachable, connect timeout).
    Connect,
    /// The TLS handshake or certificate failed.
    Tls,
    /// The request did not finish within `timeout_secs`.
    Timeout,
    /// The server answered 4xx.
    Http4xx,
    /// The server answered 5xx.
    Http5xx,
    /// The body exceeded `max_body_bytes` (after decompression).
    TooLarge,
    /// Too many redirects, or a redirect without a usable target.
    Redirect,
    /// The address is not one dossier may fetch (scheme, or a private address).
    Refused,
    /// The document is no feed (an HTML page, a login or bot-challenge page, garbage).
    NotAFeed,
    /// The document looks like a feed but does not parse.
    Parse,
    /// A web page's item selector matched nothing: its markup changed.
    Selector,
    /// Anything else (an I/O error mid-body, a protocol error).
    Other,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Dns => "dns",
            ErrorClass::Connect => "connect",
            ErrorClass::Tls => "tls",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Http4xx => "http_4xx",
            ErrorClass::Http5xx => "http_5xx",
            ErrorClass::TooLarge => "too_large",
            ErrorClass::Redirect => "redirect",
            ErrorClass::Refused => "refused",
            ErrorClass::NotAFeed => "not_a_feed",
            ErrorClass::Parse => "parse",
            ErrorClass::Selector => "selector",
            ErrorClass::Other => "other",
        }
    }

    /// The class named `s` (as [`ErrorClass::as_str`] writes it).
    pub fn parse(s: &str) -> Option<ErrorClass> {
        ErrorClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub const ALL: [ErrorClass; 13] = [
        ErrorClass::Dns,
        ErrorClass::Connect,
        ErrorClass::Tls,
        ErrorClass::Timeout,
        ErrorClass::Http4xx,
        ErrorClass::Http5xx,
        ErrorClass::TooLarge,
        ErrorClass::Redirect,
        ErrorClass::Refused,
        ErrorClass::NotAFeed,
        ErrorClass::Parse,
        ErrorClass::Selector,
        ErrorClass::Other,
    ];

    /// Failures of the network path rather than of the feed: when nearly every feed of a
    /// run fails this way, the outage is ours.
    pub fn is_network(self) -> bool {
        matches!(
            self,
            ErrorClass::Dns | ErrorClass::Connect | ErrorClass::Timeout
        )
    }
}

/// RFC 3339 in UTC with a `Z` and whole seconds: the one timestamp format the store and
/// every JSON shape use, so that text order is time order.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Serde helpers that write times as [`fmt_time`] does, for the rows of the JSON shapes:
/// `#[serde(serialize_with = "dossier_model::ser::time")]`.
pub mod ser {
    use chrono::{DateTime, Utc};

    pub fn time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::fmt_time(*t))
    }

    pub fn opt_time<S: serde::Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::fmt_time(*t)),
            None => s.serialize_none(),
        }
    }
}

macro_rules! serialize_as_str {
    ($($ty:ty),*) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    )*};
}
serialize_as_str!(FeedKind, DateSource, ErrorClass, IdentityRule);

impl serde::Serialize for FetchStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parses a timestamp written by [`fmt_time`] (or any RFC 3339 value).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_round_trips_in_utc_seconds() {
        let t = parse_time("2026-05-22T12:15:00+02:00").unwrap();
        assert_eq!(fmt_time(t), "2026-05-22T10:15:00Z");
    }

    #[test]
    fn host_key_includes_default_port() {
        assert_eq!(host_key("https://Example.org/a"), "example.org:443");
        assert_eq!(host_key("http://127.0.0.1:8080/x"), "127.0.0.1:8080");
    }
}
