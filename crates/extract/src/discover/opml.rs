//! Reading the feeds of an OPML subscription list, as the files in the wild are written.
//!
//! Real OPML is often not well-formed: descriptions carry raw HTML with unescaped quotes
//! (`description="… of <a href="https://x.example">X</a>."`), ampersands go unescaped,
//! `xmlUrl` is spelt `xmlURL` or `xmlurl`, `type` is missing or odd, URLs carry white
//! space. An XML parser stops at the first such error, and an HTML parser ends the tag at
//! the first `>` inside the broken value, so the outline's `xmlUrl` (often the last
//! attribute) is lost without a trace. So outlines are read here one start tag at a
//! time, with a tokenizer that only needs `<outline … >`:
//!
//! - a tag that tokenizes cleanly is read as written;
//! - otherwise the tag is taken to end at the last `>` before the next outline tag (or
//!   `</outline>`, `</body>`), and its attributes are parsed again letting a quoted value
//!   run past an inner quote when that is the only way the rest of the tag reads as
//!   attributes. The reading is then marked [`OpmlFeed::repaired`], so the caller can say
//!   that the other attributes may be wrong; `xmlUrl` itself is nearly always right.
//!
//! Every outline that has an `xmlUrl` attribute, in any case and whatever its `type`, is
//! returned, with its line, so an import can account for each one.

use crate::text::{collapse_ws, html_to_text};
use dossier_model::SearchOrigin;
use std::collections::HashSet;

/// One `<outline>` with an `xmlUrl` attribute: a feed the file lists (or means to).
#[derive(Debug, Clone, PartialEq)]
pub struct OpmlFeed {
    /// 1-based line of the outline's `<`.
    pub line: usize,
    /// Its `title`, else its `text`, as plain text; `None` when both are missing or empty.
    pub title: Option<String>,
    /// The `xmlUrl` value with character references decoded and white space trimmed (tabs
    /// and line breaks inside removed); may be empty, as some exporters write it.
    pub xml_url: String,
    /// The `type` attribute, as written (`rss`, `link`, `pie`, `source`, …).
    pub outline_type: Option<String>,
    /// Why the tag had to be read leniently (its other attributes may be misread).
    pub repaired: Option<&'static str>,
    /// The search a topic's feed was made from, when dossier exported it: the
    /// `dossier:search` (provider) and `dossier:query` attributes, decoded.
    pub search: Option<SearchOrigin>,
}

/// Start tags longer than this are not re-read leniently (the re-reading is quadratic in
/// the worst case); their `xmlUrl` is still looked for directly.
const MAX_REPAIR: usize = 64 * 1024;

/// Every outline of `text` that has an `xmlUrl`, in document order, nested at any depth.
pub fn read_opml(text: &str) -> Vec<OpmlFeed> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let mut counted_to = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        if b[at..].starts_with(b"<!--") {
            i = find(b, at + 4, b"-->").map_or(b.len(), |e| e + 3);
            continue;
        }
        if b[at..].starts_with(b"<![CDATA[") {
            i = find(b, at + 9, b"]]>").map_or(b.len(), |e| e + 3);
            continue;
        }
        if !is_outline_start(b, at) {
            i = at + 1;
            continue;
        }
        line += memchr::memchr_iter(b'\n', &b[counted_to..at]).count();
        counted_to = at;
        let (attrs, end, mut repaired) = read_tag(text, at + "<outline".len());
        i = end.max(at + 1);
        let get = |name: &str| {
            attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        let url = match get("xmlurl") {
            Some(url) => url,
            // A broken tag whose reading swallowed its `xmlUrl` into another value: the
            // feed is still what the outline is for.
            None if repaired.is_some() => match xml_url_in(&text[at..end]) {
                Some(url) => {
                    repaired = Some("its xmlUrl had to be picked out of unreadable attributes");
                    url
                }
                None => continue,
            },
            None => continue,
        };
        let title = get("title")
            .map(html_to_text)
            .filter(|t| !t.is_empty())
            .or_else(|| get("text").map(html_to_text).filter(|t| !t.is_empty()));
        out.push(OpmlFeed {
            line,
            title,
            xml_url: clean_url(&decode_refs(url)),
            outline_type: get("type").map(|t| collapse_ws(&decode_refs(t))),
            repaired,
            search: match (get("dossier:search"), get("dossier:query")) {
                (None, None) => None,
                (provider, query) => Some(SearchOrigin {
                    provider: provider.map(decode_refs).unwrap_or_default(),
                    query: query.map(decode_refs).unwrap_or_default(),
                }),
            },
        });
    }
    out
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, needle).map(|p| from + p)
}

/// `<outline` (any case) followed by the end of the name.
fn is_outline_start(b: &[u8], at: usize) -> bool {
    tag_named(b, at, b"<outline")
}

fn tag_named(b: &[u8], at: usize, name: &[u8]) -> bool {
    b.len() >= at + name.len()
        && b[at..at + name.len()].eq_ignore_ascii_case(name)
        && b.get(at + name.len())
            .is_none_or(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
}

/// Where the lenient reading of a broken tag must stop: the next outline tag, the close
/// of an outline or of the body.
fn region_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        if is_outline_start(b, at)
            || tag_named(b, at, b"</outline")
            || tag_named(b, at, b"</body")
            || tag_named(b, at, b"</opml")
        {
            return at;
        }
        i = at + 1;
    }
    b.len()
}

type Attrs<'a> = Vec<(&'a str, &'a str)>;

/// Reads the attributes of the start tag whose name ends at `from`: `(attributes, the
/// index just past the tag, why it had to be repaired)`.
fn read_tag(text: &str, from: usize) -> (Attrs<'_>, usize, Option<&'static str>) {
    if let Some((attrs, end)) = strict_attrs(text, from) {
        return (attrs, end, None);
    }
    let b = text.as_bytes();
    let stop = region_end(b, from);
    // The tag ends at the last `>` of its region, trailing comments and white space aside.
    let mut body = text[from..stop].trim_end();
    while body.ends_with("-->") {
        match body.rfind("<!--") {
            Some(c) => body = body[..c].trim_end(),
            None => break,
        }
    }
    let Some(close) = body.rfind('>') else {
        // No end at all (a cut-off file): read what is there.
        return (
            loose_attrs(body),
            stop,
            Some("its start tag never ends (a cut-off file?)"),
        );
    };
    let inner = body[..close].trim_end();
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    let end = from + close + 1;
    if inner.len() <= MAX_REPAIR {
        let mut failed = HashSet::new();
        if let Some(attrs) = lenient_attrs(inner, 0, &mut failed) {
            return (
                attrs,
                end,
                Some(
                    "its attributes are not well-formed (an unescaped quote or markup inside a value?)",
                ),
            );
        }
    }
    (
        loose_attrs(inner),
        end,
        Some("its attributes could not be read as a whole (only some were)"),
    )
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// An attribute name: up to white space, `=`, `/`, `>`; never a quote or `<`.
fn name_at(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'/' | b'>') {
        if matches!(b[j], b'"' | b'\'' | b'<') {
            return None;
        }
        j += 1;
    }
    (j > i).then_some(j)
}

/// The tag read as written: quoted values end at their first matching quote, unquoted
/// ones at white space or `>`, and the tag at the first `>` outside a value. `None` when
/// anything else turns up (a value followed by more than white space, `/` or `>`).
fn strict_attrs(text: &str, from: usize) -> Option<(Attrs<'_>, usize)> {
    let b = text.as_bytes();
    let mut attrs = Vec::new();
    let mut i = from;
    loop {
        let before = i;
        i = skip_ws(b, i);
        match b.get(i)? {
            b'>' => return Some((attrs, i + 1)),
            b'/' if b.get(i + 1) == Some(&b'>') => return Some((attrs, i + 2)),
            _ => {}
        }
        // Attributes are separated by white space.
        if i == before && !attrs.is_empty() {
            return None;
        }
        let name_end = name_at(b, i)?;
        let name = &text[i..name_end];
        i = skip_ws(b, name_end);
        if b.get(i) != Some(&b'=') {
            attrs.push((name, ""));
            continue;
        }
        i = skip_ws(b, i + 1);
        match *b.get(i)? {
            q @ (b'"' | b'\'') => {
                let close = i + 1 + memchr::memchr(q, &b[i + 1..])?;
                attrs.push((name, &text[i + 1..close]));
                i = close + 1;
                match b.get(i) {
                    Some(c) if c.is_ascii_whitespace() || matches!(c, b'/' | b'>') => {}
                    _ => return None,
                }
            }
            _ => {
                let mut j = i;
                while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                    if matches!(b[j], b'"' | b'\'' | b'<') {
                        return None;
                    }
                    j += 1;
                }
                attrs.push((name, &text[i..j]));
                i = j;
            }
        }
    }
}

/// The attributes of `s` (a tag's inside, its end already cut off), letting a quoted
/// value end at a later matching quote when the first one leaves the rest unreadable:
/// the earliest reading in which everything after each value reads as attributes wins.
/// `failed` remembers the positions from which no reading exists, so each is tried once.
fn lenient_attrs<'a>(s: &'a str, from: usize, failed: &mut HashSet<usize>) -> Option<Attrs<'a>> {
    let b = s.as_bytes();
    let i = skip_ws(b, from);
    if i == b.len() {
        return Some(Vec::new());
    }
    if (i == from && from > 0) || failed.contains(&i) {
        return None;
    }
    let found = (|| {
        let name_end = name_at(b, i)?;
        let name = &s[i..name_end];
        let eq = skip_ws(b, name_end);
        if b.get(eq) != Some(&b'=') {
            let mut rest = lenient_attrs(s, name_end, failed)?;
            rest.insert(0, (name, ""));
            return Some(rest);
        }
        let v = skip_ws(b, eq + 1);
        match *b.get(v)? {
            q @ (b'"' | b'\'') => {
                // Each later quote that white space (or the end) follows may close it.
                for close in memchr::memchr_iter(q, &b[v + 1..]).map(|p| v + 1 + p) {
                    if b.get(close + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                        continue;
                    }
                    if let Some(mut rest) = lenient_attrs(s, close + 1, failed) {
                        rest.insert(0, (name, &s[v + 1..close]));
                        return Some(rest);
                    }
                }
                None
            }
            _ => {
                let end = b[v..]
                    .iter()
                    .position(u8::is_ascii_whitespace)
                    .map_or(b.len(), |p| v + p);
                if s[v..end].contains(['"', '\'', '<']) {
                    return None;
                }
                let mut rest = lenient_attrs(s, end, failed)?;
                rest.insert(0, (name, &s[v..end]));
                Some(rest)
            }
        }
    })();
    if found.is_none() {
        failed.insert(i);
    }
    found
}

/// The last resort for a tag that reads no other way: each `name="value"` (or
/// `name='value'`) that starts after white space, wherever it stands.
fn loose_attrs(s: &str) -> Attrs<'_> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = i == 0 || b[i - 1].is_ascii_whitespace();
        if starts && let Some(name_end) = name_at(b, i) {
            let eq = skip_ws(b, name_end);
            if b.get(eq) == Some(&b'=') {
                let v = skip_ws(b, eq + 1);
                if let Some(&q @ (b'"' | b'\'')) = b.get(v)
                    && let Some(len) = memchr::memchr(q, &b[v + 1..])
                {
                    out.push((&s[i..name_end], &s[v + 1..v + 1 + len]));
                    i = v + 2 + len;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

/// The first quoted value of an `xmlUrl` attribute (any case) that white space precedes,
/// wherever it stands in `tag`.
fn xml_url_in(tag: &str) -> Option<&str> {
    let lower = tag.to_ascii_lowercase();
    let b = tag.as_bytes();
    let mut from = 0;
    while let Some(p) = lower[from..].find("xmlurl") {
        let at = from + p;
        from = at + 6;
        if at == 0 || !b[at - 1].is_ascii_whitespace() {
            continue;
        }
        let eq = skip_ws(b, at + 6);
        if b.get(eq) != Some(&b'=') {
            continue;
        }
        let v = skip_ws(b, eq + 1);
        if let Some(&q @ (b'"' | b'\'')) = b.get(v) {
            let len = memchr::memchr(q, &b[v + 1..]).unwrap_or(b.len() - v - 1);
            return Some(&tag[v + 1..v + 1 + len]);
        }
    }
    None
}

/// Decodes XML's character references (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`,
/// `&#N;`, `&#xH;`); anything else, a bare `&` included, stays as written, since files
/// in the wild leave ampersands in URLs unescaped.
fn decode_refs(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&semi| semi <= 12).and_then(|semi| {
            let c = match &rest[1..semi] {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                r => {
                    let n = match r.strip_prefix("#x").or_else(|| r.strip_prefix("#X")) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => r.strip_prefix('#')?.parse().ok()?,
                    };
                    char::from_u32(n)?
                }
            };
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// White space around a URL goes, and so do tabs and line breaks inside it (a wrapped
/// line); a URL parser would drop those too.
fn clean_url(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<(usize, Option<String>, String)> {
        read_opml(text)
            .into_iter()
            .map(|f| (f.line, f.title, f.xml_url))
            .collect()
    }

    #[test]
    fn outlines_are_read_at_any_depth() {
        let opml = r#"<?xml version="1.0"?><opml version="2.0"><body>
            <outline text="Tech"><outline text="Blog &amp; more" type="rss" xmlUrl="https://blog.example/feed"/></outline>
            <outline title="Top" xmlUrl="https://top.example/rss"/><outline text="folder only"/></body></opml>"#;
        assert_eq!(
            urls(opml),
            vec![
                (
                    2,
                    Some("Blog & more".to_string()),
                    "https://blog.example/feed".to_string()
                ),
                (
                    3,
                    Some("Top".to_string()),
                    "https://top.example/rss".to_string()
                )
            ]
        );
        assert!(read_opml(opml).iter().all(|f| f.repaired.is_none()));
    }

    #[test]
    fn dossiers_search_attributes_are_read() {
        let opml = r#"<opml xmlns:dossier="urn:x-dossier:opml"><body>
            <outline text="reactive:ai" type="rss" xmlUrl="https://s.example/rss?q=R%26D" dossier:search="news" dossier:query="R&amp;D &quot;labs&quot;"/>
            <outline text="Plain" xmlUrl="https://plain.example/rss"/></body></opml>"#;
        let feeds = read_opml(opml);
        assert_eq!(
            feeds[0].search,
            Some(SearchOrigin {
                provider: "news".into(),
                query: "R&D \"labs\"".into()
            })
        );
        assert_eq!(feeds[1].search, None);
    }

    /// Regression: an outline whose `description` holds raw markup with unescaped quotes
    /// was dropped without a word, so an import of 50 feeds said "added 49".
    #[test]
    fn markup_with_unescaped_quotes_in_another_attribute_does_not_lose_the_feed() {
        let opml = concat!(
            "<opml><body>\n",
            r#"<outline text="Signal v. Noise" title="Signal v. Noise" description="By the makers of <a href="https://basecamp.example" target="_blank" rel="noopener">Basecamp</a>. Since 1999." xmlUrl="https://signal.example/feed/" type="rss" />"#,
            "\n",
            r#"<outline text="Next" xmlUrl="https://next.example/feed"/>"#,
            "\n</body></opml>"
        );
        let got = read_opml(opml);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].line, 2);
        assert_eq!(got[0].title.as_deref(), Some("Signal v. Noise"));
        assert_eq!(got[0].xml_url, "https://signal.example/feed/");
        assert_eq!(got[0].outline_type.as_deref(), Some("rss"));
        assert!(got[0].repaired.is_some());
        assert_eq!(
            (got[1].line, got[1].xml_url.as_str(), got[1].repaired),
            (3, "https://next.example/feed", None),
            "the next outline is read as written"
        );
    }

    #[test]
    fn a_quote_inside_the_title_before_xml_url_is_read_past() {
        let opml = r#"<outline text="The "Daily" Post" xmlUrl="https://daily.example/rss"/>"#;
        let got = read_opml(opml);
        assert_eq!(got[0].xml_url, "https://daily.example/rss");
        assert_eq!(got[0].title.as_deref(), Some("The \"Daily\" Post"));
    }

    #[test]
    fn attribute_case_white_space_ampersands_and_single_quotes_are_tolerated() {
        let opml = "<opml><body>\n<OUTLINE text='Odd' xmlURL=' https://a.example/feed?x=1&y=2 ' />\n\
                    <outline text=\"Low\" xmlurl=\"https://b.example/rss?a=1&amp;b=2\"/>\n\
                    <outline text=\"Bare\" xmlUrl=https://c.example/rss>\n\
                    <outline text=\"Wrapped\" xmlUrl=\"https://d.example/\n\tfeed\"/>\n\
                    <outline text=\"Empty\" xmlUrl=\"\"/></outline></body></opml>";
        let got: Vec<String> = read_opml(opml).into_iter().map(|f| f.xml_url).collect();
        assert_eq!(
            got,
            vec![
                "https://a.example/feed?x=1&y=2",
                "https://b.example/rss?a=1&b=2",
                "https://c.example/rss",
                "https://d.example/feed",
                ""
            ]
        );
    }

    #[test]
    fn comments_and_cdata_hide_their_outlines() {
        let opml = r#"<body><!-- <outline xmlUrl="https://old.example/rss"/> -->
            <![CDATA[<outline xmlUrl="https://cdata.example/rss"/>]]>
            <outline text="Live" xmlUrl="https://live.example/rss"/></body>"#;
        assert_eq!(
            urls(opml),
            vec![(
                3,
                Some("Live".into()),
                "https://live.example/rss".to_string()
            )]
        );
    }

    #[test]
    fn a_cut_off_file_still_gives_its_last_outline() {
        let got = read_opml("<body>\n<outline text=\"A\" xmlUrl=\"https://a.example/rss\"");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].xml_url, "https://a.example/rss");
        assert!(got[0].repaired.is_some());
    }

    #[test]
    fn an_xml_url_swallowed_by_an_unclosed_value_is_picked_out() {
        let opml =
            r#"<outline text="x" description="never closed xmlUrl="https://x.example/rss"/>"#;
        let got = read_opml(opml);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].xml_url, "https://x.example/rss");
        assert!(got[0].repaired.is_some());
    }

    #[test]
    fn references_decode_and_bare_ampersands_stay() {
        assert_eq!(decode_refs("a &amp; b &#233; &#x41; &lt;"), "a & b é A <");
        assert_eq!(decode_refs("?a=1&b=2&copy=3"), "?a=1&b=2&copy=3");
        assert_eq!(decode_refs("&#xZZ; &"), "&#xZZ; &");
    }
}
