//! Extraction: the bytes of a fetched document in, raw items out.
//!
//! Pure and synchronous (no I/O): the fetcher hands over bytes, this crate hands back
//! [`RawItem`]s with plain-text titles and summaries and absolute links. Feeds go through
//! feed-rs from raw bytes, so the XML prolog picks the encoding; ids are never invented
//! (feed-rs would make up a random one), so an item without a guid says so and the
//! normalizer derives a deterministic identity instead.

pub mod select;
pub mod text;

use dossier_model::RawItem;
use feed_rs::model::{Entry, Link};

pub use crate::select::check_selector;
pub use crate::text::{collapse_ws, html_to_text};

/// Summaries longer than this many characters are cut: a source list needs a gist, and
/// full-text feeds would otherwise fill the store with whole articles.
pub const MAX_SUMMARY_CHARS: usize = 5_000;

/// What a feed document yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub items: Vec<RawItem>,
    /// RSS `<ttl>`: minutes the publisher asks readers to wait between fetches.
    pub ttl_mins: Option<u32>,
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
/// `base` is the URL the document came from; relative links resolve against it.
pub fn parse_feed(bytes: &[u8], base: Option<&str>) -> Result<ParsedFeed, ExtractError> {
    if let Some(what) = html_page_kind(bytes) {
        return Err(ExtractError::NotAFeed(what.to_string()));
    }
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base)
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser.parse(bytes).map_err(|e| match e {
        feed_rs::parser::ParseFeedError::ParseError(
            feed_rs::parser::ParseErrorKind::NoFeedRoot,
        ) => ExtractError::NotAFeed("no RSS, Atom, RDF or JSON Feed root element".into()),
        other => ExtractError::Parse(other.to_string()),
    })?;
    Ok(ParsedFeed {
        title: feed
            .title
            .map(|t| html_to_text(&t.content))
            .filter(|t| !t.is_empty()),
        ttl_mins: feed.ttl,
        items: feed.entries.into_iter().map(raw_item).collect(),
    })
}

fn raw_item(entry: Entry) -> RawItem {
    let summary = entry
        .summary
        .map(|t| t.content)
        .or_else(|| entry.content.and_then(|c| c.body))
        .map(|s| text::truncate_chars(html_to_text(&s), MAX_SUMMARY_CHARS))
        .filter(|s| !s.is_empty());
    RawItem {
        guid: Some(entry.id).filter(|id| !id.trim().is_empty()),
        link: pick_link(&entry.links),
        title: entry
            .title
            .map(|t| html_to_text(&t.content))
            .filter(|t| !t.is_empty()),
        summary,
        author: entry
            .authors
            .into_iter()
            .find_map(|p| p.name.map(|n| collapse_ws(&n)).filter(|n| !n.is_empty())),
        published: entry.published,
        updated: entry.updated,
    }
}

/// The link a reader follows: `rel="alternate"` (or no rel) first, then any link.
fn pick_link(links: &[Link]) -> Option<String> {
    links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| links.first())
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty())
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
        let feed = parse_feed(xml, Some("https://site.example/feed")).unwrap();
        assert_eq!(feed.items[0].guid, None);
        assert_eq!(
            feed.items[0].link.as_deref(),
            Some("https://site.example/a")
        );
    }

    #[test]
    fn html_pages_are_named() {
        let login = b"<!DOCTYPE html><html><form><input type=\"password\"></form></html>";
        assert_eq!(
            parse_feed(login, None),
            Err(ExtractError::NotAFeed("an HTML login page".into()))
        );
        let challenge = b"<html><title>Just a moment...</title></html>";
        assert_eq!(
            parse_feed(challenge, None),
            Err(ExtractError::NotAFeed("an HTML bot-challenge page".into()))
        );
        assert!(matches!(
            parse_feed(b"hello world", None),
            Err(ExtractError::NotAFeed(_))
        ));
    }
}
