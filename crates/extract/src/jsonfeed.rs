//! JSON Feed read straight from the bytes.
//!
//! feed-rs reads JSON Feed through `serde_json::from_reader`, whose string handling is a
//! third of dossier's time on a JSON Feed (BENCHMARKS.md, "Parsing"). This reads the same
//! documents with `serde_json::from_slice`, borrowing every string that has no escapes,
//! and builds the raw items feed-rs and [`crate::parse_feed`] would have built: a
//! differential test holds the two paths to the same output. Anything out of the common
//! shape (no `title` or `version`, another version, an author name with an e-mail
//! address in it, a document that does not deserialize) is declined and goes the feed-rs
//! way, with its repairs and its errors.

use crate::text::{collapse_ws_owned, html_to_text_owned, truncate_chars};
use crate::{MAX_ITEMS_PER_DOCUMENT, MAX_SUMMARY_CHARS, ParsedFeed, has_scheme};
use dossier_model::RawItem;
use serde::Deserialize;
use std::borrow::Cow;

// Every field feed-rs reads is declared with the type it gives it, so that a document
// feed-rs refuses (a number where it wants text) is refused here too and takes its path.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Feed<'a> {
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    language: Option<Cow<'a, str>>,
    #[serde(borrow)]
    description: Option<Cow<'a, str>>,
    #[serde(borrow)]
    icon: Option<Cow<'a, str>>,
    #[serde(borrow)]
    favicon: Option<Cow<'a, str>>,
    #[serde(borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(borrow)]
    home_page_url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    feed_url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    author: Option<Author<'a>>,
    #[serde(borrow)]
    authors: Option<Vec<Author<'a>>>,
    #[serde(borrow)]
    items: Vec<Item<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Author<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    url: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Id<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    // JSON Feed 1.0 in the wild has numeric ids: read as their decimal text, as the
    // feed-rs path's repair does.
    Number(serde_json::Number),
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Attachment<'a> {
    #[serde(borrow)]
    url: Cow<'a, str>,
    #[serde(borrow)]
    mime_type: Cow<'a, str>,
    #[serde(borrow)]
    title: Option<Cow<'a, str>>,
    size_in_bytes: Option<u64>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Item<'a> {
    #[serde(borrow)]
    tags: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    id: Option<Id<'a>>,
    #[serde(borrow)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    external_url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(borrow)]
    content_html: Option<Cow<'a, str>>,
    #[serde(borrow)]
    content_text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    summary: Option<Cow<'a, str>>,
    #[serde(borrow)]
    date_published: Option<Cow<'a, str>>,
    #[serde(borrow)]
    date_modified: Option<Cow<'a, str>>,
    #[serde(borrow)]
    author: Option<Author<'a>>,
    #[serde(borrow)]
    authors: Option<Vec<Author<'a>>>,
    #[serde(borrow)]
    attachments: Option<Vec<Attachment<'a>>>,
}

/// A link as feed-rs keeps it: an absolute URL in its parsed form, anything else as
/// written, trimmed.
fn link(href: &str) -> String {
    match url::Url::parse(href) {
        Ok(u) => u.as_str().trim().to_string(),
        Err(_) => href.trim().to_string(),
    }
}

/// The names of the authors that have one, in order (an item or a feed lists them in
/// `author` and `authors`). `None` when a name looks like it holds an e-mail address,
/// which the feed-rs path splits by its own rules.
fn names<'a>(
    author: &'a Option<Author<'a>>,
    authors: &'a Option<Vec<Author<'a>>>,
) -> Option<Vec<&'a str>> {
    author
        .iter()
        .chain(authors.iter().flatten())
        .filter_map(|a| a.name.as_deref())
        .map(|name| (!name.contains('@')).then_some(name.trim()))
        .collect()
}

/// Reads a JSON Feed document, or `None` to leave it to the feed-rs path.
pub(crate) fn parse(doc: &[u8]) -> Option<ParsedFeed> {
    let feed: Feed<'_> = serde_json::from_slice(doc).ok()?;
    if !feed
        .version
        .as_deref()?
        .starts_with("https://jsonfeed.org/version/1")
    {
        return None;
    }
    let title = collapse_ws_owned(feed.title.as_deref()?.trim().to_string());
    let feed_authors = names(&feed.author, &feed.authors)?;
    // The feed's first link is its home page, when it is a URL.
    let home = feed
        .home_page_url
        .as_deref()
        .or(feed.feed_url.as_deref())
        .map(link)
        .filter(|h| !h.is_empty())
        .and_then(|h| url::Url::parse(&h).ok());
    let mut warnings = Vec::new();
    let total = feed.items.len();
    if total > MAX_ITEMS_PER_DOCUMENT {
        warnings.push(format!(
            "kept the first {MAX_ITEMS_PER_DOCUMENT} of {total} items"
        ));
    }
    let mut items = Vec::with_capacity(total.min(MAX_ITEMS_PER_DOCUMENT));
    for item in feed.items.iter().take(MAX_ITEMS_PER_DOCUMENT) {
        // An item without a named author has the feed's.
        let own = names(&item.author, &item.authors)?;
        let authors = if own.is_empty() { &feed_authors } else { &own };
        let guid = match &item.id {
            Some(Id::Text(t)) => t.to_string(),
            Some(Id::Number(n)) => n.to_string(),
            None => String::new(),
        };
        let href = item
            .url
            .as_deref()
            .or(item.external_url.as_deref())
            .or(item
                .attachments
                .iter()
                .flatten()
                .map(|a| a.url.as_ref())
                .next())
            .map(link)
            .filter(|h| !h.is_empty());
        let link = href.map(|l| match &home {
            Some(home) if !has_scheme(&l) => home.join(&l).map_or(l, String::from),
            _ => l,
        });
        // HTML content first; the text content stands in for a missing summary.
        let summary = match (&item.summary, &item.content_html, &item.content_text) {
            (Some(s), _, _) => Some(collapse_ws_owned(s.trim().to_string())),
            (None, Some(_), Some(text)) => Some(collapse_ws_owned(text.trim().to_string())),
            (None, Some(html), None) => Some(html_to_text_owned(html.trim().to_string())),
            (None, None, Some(text)) => Some(collapse_ws_owned(text.trim().to_string())),
            (None, None, None) => None,
        }
        .map(|s| truncate_chars(s, MAX_SUMMARY_CHARS))
        .filter(|s| !s.is_empty());
        items.push(RawItem {
            guid: Some(guid).filter(|id| !id.trim().is_empty()),
            link,
            title: item
                .title
                .as_deref()
                .map(|t| collapse_ws_owned(t.trim().to_string()))
                .filter(|t| !t.is_empty()),
            summary,
            author: authors
                .iter()
                .map(|n| crate::author_name(n))
                .find(|n| !n.is_empty()),
            published: item
                .date_published
                .as_deref()
                .and_then(crate::dates::parse_feed_timestamp),
            updated: item
                .date_modified
                .as_deref()
                .and_then(crate::dates::parse_feed_timestamp),
        });
    }
    Some(ParsedFeed {
        title: Some(title).filter(|t| !t.is_empty()),
        items,
        ttl_mins: None,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;
    use serde_json::{Value, json};

    /// A value for an optional field: absent, null, or one of `values`.
    fn field(values: &'static [&'static str]) -> impl Strategy<Value = Option<Value>> {
        prop_oneof![
            1 => Just(None),
            1 => Just(Some(Value::Null)),
            6 => select(values).prop_map(|v| Some(json!(v))),
        ]
    }

    const TEXTS: &[&str] = &[
        "Plain title",
        "  Spaced \n\t title  ",
        "<b>Markup</b> &amp; more",
        "",
        " ",
        "Caf\u{e9} \u{2014} \u{4eba}\u{5de5}\u{667a}\u{80fd}",
    ];
    const URLS: &[&str] = &[
        "https://site.example/a",
        " https://Site.Example:443/a/../b c ",
        "/relative/path",
        "relative",
        "",
        "javascript:alert(1)",
        "HTTP://EXAMPLE.COM/%7Ea",
        "//cdn.example/x",
    ];
    const NAMES: &[&str] = &[
        "Jane",
        " Jane   Doe ",
        "",
        "(Jane)",
        "Jane (JD)",
        "Jane",
        " Jane   Doe ",
        "",
        "(Jane)",
        "Jane (JD)",
        "jane@x.example (Jane)",
    ];
    const DATES: &[&str] = &[
        "2026-05-18T10:00:00Z",
        "2026-05-18T10:00:00.5+02:00",
        "Mon, 18 May 2026 10:00:00 GMT",
        "2026-05-18 10:00",
        "garbage",
        "",
    ];
    const HTML: &[&str] = &[
        "<p>a &amp; b</p>",
        "  <p>x</p>\n<script>y</script> ",
        "plain text",
        "",
    ];

    fn author() -> impl Strategy<Value = Option<Value>> {
        prop_oneof![
            2 => Just(None),
            1 => Just(Some(json!({"url": "https://a.example"}))),
            4 => select(NAMES).prop_map(|n| Some(json!({"name": n}))),
        ]
    }

    fn authors() -> impl Strategy<Value = Option<Value>> {
        prop_oneof![
            2 => Just(None),
            3 => proptest::collection::vec(select(NAMES), 0..3)
                .prop_map(|ns| Some(Value::Array(ns.into_iter().map(|n| json!({"name": n})).collect()))),
        ]
    }

    fn id() -> impl Strategy<Value = Option<Value>> {
        prop_oneof![
            1 => Just(None),
            1 => Just(Some(Value::Null)),
            4 => select(&["a1", " ", "", "tag:x,2026:1"][..]).prop_map(|s| Some(json!(s))),
            2 => select(vec![json!(7), json!(1.5), json!(-3)]).prop_map(Some),
            1 => select(vec![json!(true), json!({"x": 1})]).prop_map(Some),
        ]
    }

    fn attachments() -> impl Strategy<Value = Option<Value>> {
        prop_oneof![
            12 => Just(None),
            4 => Just(Some(json!([{"url": "https://a.example/f.mp3", "mime_type": "audio/mpeg"}]))),
            4 => Just(Some(json!([{"url": "/f.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 3}]))),
            1 => Just(Some(json!([{"url": "https://a.example/f.mp3"}]))),
            1 => Just(Some(json!([{"url": "/f.mp3", "mime_type": "audio/mpeg", "size_in_bytes": "x"}]))),
        ]
    }

    fn item() -> impl Strategy<Value = Value> {
        (
            (id(), field(URLS), field(URLS), field(TEXTS)),
            (field(HTML), field(TEXTS), field(TEXTS)),
            (field(DATES), field(DATES), author(), authors(), attachments()),
            prop_oneof![12 => Just(None), 6 => Just(Some(json!(["a", "b"]))), 1 => Just(Some(json!([1])))],
        )
            .prop_map(|((id, url, ext, title), (html, text, summary), (p, m, a, aa, att), tags)| {
                let mut o = serde_json::Map::new();
                for (k, v) in [
                    ("id", id),
                    ("url", url),
                    ("external_url", ext),
                    ("title", title),
                    ("content_html", html),
                    ("content_text", text),
                    ("summary", summary),
                    ("date_published", p),
                    ("date_modified", m),
                    ("author", a),
                    ("authors", aa),
                    ("attachments", att),
                    ("tags", tags),
                ] {
                    if let Some(v) = v {
                        o.insert(k.into(), v);
                    }
                }
                Value::Object(o)
            })
    }

    fn document() -> impl Strategy<Value = Value> {
        (
            prop_oneof![
                20 => select(&["https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"][..])
                    .prop_map(|v| Some(json!(v))),
                1 => Just(Some(json!("https://example.org/other"))),
                1 => Just(None),
            ],
            prop_oneof![1 => Just(None), 20 => select(TEXTS).prop_map(|t| Some(json!(t)))],
            (field(URLS), field(URLS), author(), authors()),
            proptest::collection::vec(item(), 0..5),
            prop_oneof![20 => Just(None), 1 => Just(Some(json!(3)))],
        )
            .prop_map(|(version, title, (home, feed_url, a, aa), items, language)| {
                let mut o = serde_json::Map::new();
                for (k, v) in [
                    ("version", version),
                    ("title", title),
                    ("home_page_url", home),
                    ("feed_url", feed_url),
                    ("author", a),
                    ("authors", aa),
                    ("language", language),
                ] {
                    if let Some(v) = v {
                        o.insert(k.into(), v);
                    }
                }
                o.insert("items".into(), Value::Array(items));
                Value::Object(o)
            })
    }

    proptest! {
        /// Whatever this path reads, it reads as the feed-rs path does.
        #[test]
        fn reads_what_the_feed_rs_path_reads(doc in document()) {
            let bytes = serde_json::to_vec(&doc).unwrap();
            if let Some(fast) = parse(&bytes) {
                prop_assert_eq!(Ok(fast), crate::parse_with_feed_rs(&bytes, None), "{}", doc);
            }
        }
    }

    #[test]
    fn the_common_shape_takes_this_path() {
        let doc = br#"{"version": "https://jsonfeed.org/version/1.1", "title": "T",
            "home_page_url": "https://site.example/", "authors": [{"name": "Jane"}],
            "items": [{"id": "1", "url": "/a", "title": "A", "content_html": "<p>x &amp; y</p>",
                       "date_published": "2026-05-18T10:00:00Z"},
                      {"id": 2, "external_url": "https://b.example/", "content_text": "plain",
                       "authors": [{"name": "Joe"}]}]}"#;
        let fast = parse(doc).expect("the common shape is read here");
        assert_eq!(Ok(fast.clone()), crate::parse_with_feed_rs(doc, None));
        assert_eq!(
            fast.items[0].link.as_deref(),
            Some("https://site.example/a")
        );
        assert_eq!(fast.items[0].author.as_deref(), Some("Jane"));
        assert_eq!(fast.items[1].guid.as_deref(), Some("2"));
        assert_eq!(fast.items[1].author.as_deref(), Some("Joe"));
    }
}
