//! Extraction: the bytes of a fetched document in, raw items out.
//!
//! Pure and synchronous (no I/O): the fetcher hands over bytes, this crate hands back
//! [`RawItem`]s with plain-text titles and summaries and absolute links. The bytes are
//! decoded once ([`charset`]), then read by dossier's own readers of the feed formats:
//! [`xmlfeed`] for RSS and Atom on a forgiving XML tokenizer ([`xml`], on quick-xml),
//! [`jsonfeed`] for JSON Feed. Both read field by field, so one bad value costs that
//! value, never the feed, and neither ever invents an id: an item without a guid says so
//! and the normalizer derives a deterministic identity instead.

pub mod charset;
pub mod dates;
pub mod discover;
mod jsonfeed;
pub mod nesting;
pub mod page;
pub mod select;
pub mod text;
mod xml;
mod xmlfeed;

use dossier_model::RawItem;

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
    /// Item elements (RSS `<item>`, Atom `<entry>`, JSON Feed `items`) the document holds,
    /// read or not: more of them than items read is worth a warning.
    pub elements: usize,
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

/// Parses a feed (RSS 0.90–2.0, RSS 1.1, Atom 0.3/1.0, JSON Feed 1.0/1.1) from its raw
/// bytes. `base` is the URL the document came from; relative links resolve against it
/// (or, when there is none, against the feed's own `<link>`). `content_type` is the HTTP
/// header, whose charset counts when the document has no byte-order mark.
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
    if !matches!(body.first(), Some(b'<' | b'{' | b'[')) && !is_utf16(bytes) {
        return Err(ExtractError::NotAFeed("neither XML nor JSON".into()));
    }
    let utf8 = charset::to_text(bytes, content_type);
    let doc = utf8.text.trim_start_matches('\u{feff}');
    if matches!(doc.trim_start().as_bytes().first(), Some(b'{' | b'[')) {
        return jsonfeed::parse(doc.as_bytes(), base);
    }
    xmlfeed::parse(doc, base)
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
