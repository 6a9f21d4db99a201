//! Extraction: the bytes of a fetched document in, raw items out.
//!
//! Pure and synchronous (no I/O): the fetcher hands over bytes, this crate hands back
//! [`RawItem`]s with plain-text titles and summaries and absolute links. Feeds go through
//! feed-rs from raw bytes, so the XML prolog picks the encoding; ids are never invented
//! (feed-rs would make up a random one), so an item without a guid says so and the
//! normalizer derives a deterministic identity instead.

pub mod charset;
pub mod dates;
pub mod discover;
mod jsonfeed;
mod legacy;
pub mod lenient;
pub mod nesting;
pub mod page;
pub mod select;
pub mod text;

use dossier_model::RawItem;
use feed_rs::model::{Entry, Link};

pub use crate::page::{PageDate, PageInfo, inspect_page};
pub use crate::select::{PageItems, SelectError, check_selector, parse_page_items};
pub use crate::text::{collapse_ws, html_to_text};

/// Summaries longer than this many characters are cut: a source list needs a gist, and
/// full-text feeds would otherwise fill the store with whole articles.
pub const MAX_SUMMARY_CHARS: usize = 5_000;

/// Items kept from one document; a feed of a hundred thousand items is a mistake or an
/// attack, and the newest (first) ones are what matter.
pub const MAX_ITEMS_PER_DOCUMENT: usize = 10_000;

/// What a feed document yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub items: Vec<RawItem>,
    /// RSS `<ttl>`: minutes the publisher asks readers to wait between fetches.
    pub ttl_mins: Option<u32>,
    /// What had to be repaired to read the document (empty when it was well-formed).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExtractError {
    /// The document is something else, typically an HTML page served where a feed was
    /// expected (a login wall, a bot challenge, a moved site).
    #[error("not a feed: {0}")]
    NotAFeed(String),
    #[error("feed does not parse: {0}")]
    Parse(String),
}

/// Parses a feed (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed) from its raw bytes.
/// `base` is the URL the document came from; relative links resolve against it (or, when
/// there is none, against the feed's own `<link>`). `content_type` is the HTTP header,
/// whose charset counts when the document has no byte-order mark.
pub fn parse_feed(
    bytes: &[u8],
    base: Option<&str>,
    content_type: Option<&str>,
) -> Result<ParsedFeed, ExtractError> {
    if let Some(what) = html_page_kind(bytes) {
        return Err(ExtractError::NotAFeed(what.to_string()));
    }
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .trim_ascii_start();
    if !matches!(body.first(), Some(b'<' | b'{')) && !is_utf16(bytes) {
        return Err(ExtractError::NotAFeed("neither XML nor JSON".into()));
    }
    let utf8 = charset::to_utf8(bytes, content_type);
    // The Atom repairs look through the whole document: not for JSON.
    let xml = utf8.bytes.trim_ascii_start().first() != Some(&b'{');
    let legacy = xml.then(|| legacy::atom03_as_atom10(&utf8.bytes)).flatten();
    let doc: &[u8] = legacy.as_deref().unwrap_or(&utf8.bytes);
    let decoded = xml.then(|| legacy::atom_base64_texts(doc)).flatten();
    let doc: &[u8] = decoded.as_deref().unwrap_or(doc);
    if !xml && let Some(parsed) = jsonfeed::parse(doc) {
        return Ok(parsed);
    }
    parse_with_feed_rs(doc, base)
}

/// [`parse_feed`] once the bytes are UTF-8, through feed-rs (every format; JSON Feed
/// takes this path when [`jsonfeed`] declines it).
fn parse_with_feed_rs(doc: &[u8], base: Option<&str>) -> Result<ParsedFeed, ExtractError> {
    let mut warnings = Vec::new();
    let feed = match run_feed_rs(doc, base) {
        Ok(feed) => feed,
        // JSON Feed 1.0 in the wild has numeric ids; feed-rs wants strings.
        Err(feed_rs::parser::ParseFeedError::JsonSerde(e)) => {
            match legacy::json_ids_as_strings(doc) {
                Some(fixed) => run_feed_rs(&fixed, base)
                    .map_err(|_| ExtractError::Parse(format!("unable to parse JSON: {e}")))?,
                None => return Err(ExtractError::Parse(format!("unable to parse JSON: {e}"))),
            }
        }
        Err(feed_rs::parser::ParseFeedError::ParseError(
            feed_rs::parser::ParseErrorKind::NoFeedRoot,
        )) if legacy::rss_version_as_20(doc).is_some() => {
            let fixed = legacy::rss_version_as_20(doc).unwrap_or_default();
            run_feed_rs(&fixed, base).map_err(|e| ExtractError::Parse(e.to_string()))?
        }
        Err(feed_rs::parser::ParseFeedError::ParseError(
            feed_rs::parser::ParseErrorKind::NoFeedRoot,
        )) => {
            return Err(ExtractError::NotAFeed(
                "no RSS, Atom, RDF or JSON Feed root element".into(),
            ));
        }
        Err(strict) => {
            // Atom text typed with a media type, then broken XML: each repaired in turn.
            let typed = legacy::atom_text_types(doc);
            let doc = typed.as_deref().unwrap_or(doc);
            match typed.as_ref().map(|_| run_feed_rs(doc, base)) {
                Some(Ok(feed)) => feed,
                _ => {
                    let repaired = std::str::from_utf8(doc).ok().and_then(lenient::repair);
                    match repaired.map(|r| (run_feed_rs(r.text.as_bytes(), base), r.warnings)) {
                        Some((Ok(feed), w)) => {
                            warnings = w;
                            feed
                        }
                        _ => return Err(ExtractError::Parse(strict.to_string())),
                    }
                }
            }
        }
    };
    // Atom and JSON Feed say when a text is plain; RSS never does, and its titles and
    // descriptions carry HTML in practice, so RSS text is always read as HTML.
    let typed = matches!(
        feed.feed_type,
        feed_rs::model::FeedType::Atom | feed_rs::model::FeedType::JSON
    );
    let home = pick_link(&feed.links).and_then(|l| url::Url::parse(&l).ok());
    let mut entries = feed.entries;
    if entries.len() > MAX_ITEMS_PER_DOCUMENT {
        warnings.push(format!(
            "kept the first {MAX_ITEMS_PER_DOCUMENT} of {} items",
            entries.len()
        ));
        entries.truncate(MAX_ITEMS_PER_DOCUMENT);
    }
    Ok(ParsedFeed {
        title: feed
            .title
            .map(|t| text_of(t, typed))
            .filter(|t| !t.is_empty()),
        ttl_mins: feed.ttl,
        items: entries
            .into_iter()
            .map(|e| raw_item(e, typed, home.as_ref()))
            .collect(),
        warnings,
    })
}

/// One feed-rs parse with a fresh parser (a parser that failed once keeps state that makes
/// its next parse panic). A panic inside feed-rs on hostile input becomes a parse error:
/// one bad document must not take the run down.
fn run_feed_rs(
    doc: &[u8],
    base: Option<&str>,
) -> Result<feed_rs::model::Feed, feed_rs::parser::ParseFeedError> {
    let parse = std::panic::AssertUnwindSafe(|| {
        feed_rs::parser::Builder::new()
            .base_uri(base)
            .id_generator(|_, _, _| String::new())
            .timestamp_parser(dates::parse_feed_timestamp)
            .build()
            .parse(doc)
    });
    std::panic::catch_unwind(parse).unwrap_or_else(|_| {
        Err(feed_rs::parser::ParseFeedError::ParseError(
            feed_rs::parser::ParseErrorKind::IllegalState {
                position: 0,
                reference: "the feed parser crashed on this document".into(),
            },
        ))
    })
}

/// The plain text of a feed text construct.
fn text_of(t: feed_rs::model::Text, typed: bool) -> String {
    if typed && t.content_type.subty() == "plain" {
        text::collapse_ws_owned(t.content)
    } else {
        text::html_to_text_owned(t.content)
    }
}

fn raw_item(entry: Entry, typed: bool, home: Option<&url::Url>) -> RawItem {
    let summary = match (
        entry.summary,
        entry
            .content
            .and_then(|c| c.body.map(|b| (b, c.content_type))),
    ) {
        (Some(t), _) => Some(text_of(t, typed)),
        (None, Some((body, ty))) if typed && ty.subty() == "plain" => {
            Some(text::collapse_ws_owned(body))
        }
        (None, Some((body, _))) => Some(text::html_to_text_owned(body)),
        (None, None) => None,
    }
    .map(|s| text::truncate_chars(s, MAX_SUMMARY_CHARS))
    .filter(|s| !s.is_empty());
    let link = pick_link(&entry.links).map(|l| match home {
        Some(home) if !has_scheme(&l) => home.join(&l).map_or(l, String::from),
        _ => l,
    });
    RawItem {
        guid: Some(entry.id).filter(|id| !id.trim().is_empty()),
        link,
        title: entry
            .title
            .map(|t| text_of(t, typed))
            .filter(|t| !t.is_empty()),
        summary,
        author: entry
            .authors
            .into_iter()
            .find_map(|p| p.name.map(|n| author_name(&n)).filter(|n| !n.is_empty())),
        published: entry.published,
        updated: entry.updated,
    }
}

/// Whether a link starts with a URL scheme (`https:`, `mailto:`), so is not relative:
/// what URL parsing would decide, without parsing.
pub(crate) fn has_scheme(link: &str) -> bool {
    // As URL parsing does: leading C0 controls and spaces go, tabs and newlines anywhere
    // are ignored.
    let mut bytes = link
        .trim_start_matches(|c: char| c <= ' ')
        .bytes()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\r'));
    if !bytes.next().is_some_and(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    bytes
        .find(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
        .is_some_and(|b| b == b':')
}

/// An author as a reader would write it: RSS's `editor@site (Jane Editor)` becomes
/// `Jane Editor`.
pub(crate) fn author_name(raw: &str) -> String {
    let s = collapse_ws(raw);
    if let (Some(open), true) = (s.find('('), s.ends_with(')')) {
        let inner = s[open + 1..s.len() - 1].trim();
        if !inner.is_empty() && (open == 0 || s[..open].contains('@')) {
            return inner.to_string();
        }
    }
    s
}

/// The link a reader follows: `rel="alternate"` (or no rel) first, then a related or
/// enclosed resource; never the feed itself, a licence, comments or an edit URL.
fn pick_link(links: &[Link]) -> Option<String> {
    links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| {
            links
                .iter()
                .find(|l| matches!(l.rel.as_deref(), Some("related" | "via" | "enclosure")))
        })
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// UTF-16 documents start with a byte-order mark; their first byte is not `<`.
fn is_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

/// When the document is an HTML page, says what kind, so an operator knows whether a
/// login, a bot challenge or just a web page stands where the feed should be.
pub fn html_page_kind(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(4096)];
    let start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let trimmed = start.trim_ascii_start();
    let lower: Vec<u8> = trimmed
        .iter()
        .take(512)
        .map(u8::to_ascii_lowercase)
        .collect();
    if !(lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html")) {
        return None;
    }
    let page = String::from_utf8_lossy(&bytes[..bytes.len().min(65_536)]).to_lowercase();
    Some(
        if [
            "captcha",
            "cf-challenge",
            "just a moment",
            "challenge-platform",
            "are you a robot",
        ]
        .iter()
        .any(|m| page.contains(m))
        {
            "an HTML bot-challenge page"
        } else if page.contains("type=\"password\"") || page.contains("type='password'") {
            "an HTML login page"
        } else {
            "an HTML page"
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_item_without_guid_has_no_invented_id() {
        let xml = br#"<rss version="2.0"><channel><title>t</title>
            <item><title>A</title><link>/a</link></item></channel></rss>"#;
        let feed = parse_feed(xml, Some("https://site.example/feed"), None).unwrap();
        assert_eq!(feed.items[0].guid, None);
        assert_eq!(
            feed.items[0].link.as_deref(),
            Some("https://site.example/a")
        );
    }

    #[test]
    fn a_link_has_a_scheme_exactly_when_url_parsing_finds_one() {
        for link in [
            "https://x.example/a",
            "mailto:a@b.example",
            "  http://x.example/",
            "ht\ttp://x.example/",
            "/relative",
            "relative/path",
            "//cdn.example/x",
            "1http://x",
            "a+b-c.d:rest",
            "no-colon",
            "",
            "?q=1",
            "#top",
            "c:\\windows",
        ] {
            let relative = matches!(
                url::Url::parse(link),
                Err(url::ParseError::RelativeUrlWithoutBase)
            );
            assert_eq!(has_scheme(link), !relative, "{link:?}");
        }
    }

    #[test]
    fn rss_authors_lose_their_email() {
        assert_eq!(
            author_name("editor@blog.example (Jane Editor)"),
            "Jane Editor"
        );
        assert_eq!(author_name("(Jane Editor)"), "Jane Editor");
        assert_eq!(author_name("Jane (JE) Editor"), "Jane (JE) Editor");
        assert_eq!(author_name("Jane Editor"), "Jane Editor");
    }

    #[test]
    fn html_pages_are_named() {
        let login = b"<!DOCTYPE html><html><form><input type=\"password\"></form></html>";
        assert_eq!(
            parse_feed(login, None, None),
            Err(ExtractError::NotAFeed("an HTML login page".into()))
        );
        let challenge = b"<html><title>Just a moment...</title></html>";
        assert_eq!(
            parse_feed(challenge, None, None),
            Err(ExtractError::NotAFeed("an HTML bot-challenge page".into()))
        );
        assert!(matches!(
            parse_feed(b"hello world", None, None),
            Err(ExtractError::NotAFeed(_))
        ));
    }
}
