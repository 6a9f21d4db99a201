//! Property-based fuzzing of everything that reads untrusted bytes: feeds, pages, selector
//! pages, dates, charsets, markup. The properties are "never panics, never hangs" plus the
//! invariants each reader promises. Mutations start from the real fixtures, so the fuzzer
//! reaches deep parser states, not only the "not XML" exit.
//!
//! CI runs the default number of cases; a long run is `PROPTEST_CASES=100000 cargo test
//! --release -p dossier-extract --test fuzz` (figures in RELIABILITY.md). Failing inputs
//! are kept by proptest under `proptest-regressions/` and replayed on every run.

use chrono::{TimeZone, Utc};
use dossier_extract::dates::{self, DateContext};
use dossier_model::Selectors;
use proptest::prelude::*;
use std::path::Path;

fn fixtures(dir: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(dir);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().contains(".expected."))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.sort();
    out
}

/// A fixture with a few bytes replaced, inserted or cut.
fn mutated(corpus: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        0..corpus.len(),
        proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..12),
    )
        .prop_map(move |(i, edits)| {
            let mut doc = corpus[i].clone();
            for (at, byte, op) in edits {
                if doc.is_empty() {
                    break;
                }
                let at = at % doc.len();
                match op {
                    0 => doc[at] = byte,
                    1 => doc.insert(at, byte),
                    _ => doc.truncate(at),
                }
            }
            doc
        })
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 22, 12, 0, 0).unwrap()
}

proptest! {
    #[test]
    fn feeds_never_panic(doc in mutated(fixtures("feeds"))) {
        if let Ok(feed) = dossier_extract::parse_feed(&doc, Some("https://feed.example/rss"), None) {
            prop_assert!(feed.items.len() <= dossier_extract::MAX_ITEMS_PER_DOCUMENT);
            for item in feed.items {
                prop_assert!(item.title.is_none_or(|t| t.trim() == t && !t.is_empty()));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_as_feeds_never_panic(doc in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = dossier_extract::parse_feed(&doc, None, Some("text/xml; charset=gbk"));
    }

    #[test]
    fn pages_never_panic(doc in mutated(fixtures("pages"))) {
        let info = dossier_extract::inspect_page(&doc, None, Some("https://news.example/story"), now());
        if let Some(d) = info.date {
            prop_assert!(d.found.instant <= now() + chrono::Duration::days(1));
            prop_assert!(d.found.local_date >= chrono::NaiveDate::from_ymd_opt(1995, 1, 1).unwrap());
        }
    }

    #[test]
    fn selector_pages_never_panic(doc in mutated(fixtures("pages")), item in "[a-z.#\\[\\]=\"' >:*@-]{0,20}") {
        let sel = Selectors { item, title: "h1, h2, a".into(), link: "a@href".into(), date: Some("time".into()), summary: None };
        let _ = dossier_extract::parse_page_items(&doc, None, "https://lab.example/", &sel, now());
    }

    #[test]
    fn dates_never_panic_and_stay_plausible(s in "\\PC{0,60}") {
        let cx = DateContext::new(now());
        for d in [dates::parse_human(&s, &cx), dates::parse_machine(&s, &cx), dates::from_url(&s, &cx)].into_iter().flatten() {
            prop_assert!(d.instant <= now() + chrono::Duration::days(1), "{:?} gave {:?}", s, d);
            prop_assert!(d.local_date >= chrono::NaiveDate::from_ymd_opt(1995, 1, 1).unwrap());
        }
        let _ = dates::parse_feed_timestamp(&s);
    }

    #[test]
    fn date_like_text_never_panics(s in "[0-9]{1,4}[ ./:-][0-9A-Za-zé年月]{1,9}[ ./:,-]{0,2}[0-9]{0,4}( [0-9]{1,2}:[0-9]{2}( ?[ap]m)?( [A-Z]{2,4})?)?") {
        let cx = DateContext { day_first: Some(true), ..DateContext::new(now()) };
        let _ = dates::parse_human(&s, &cx);
        let _ = dates::parse_machine(&s, &cx);
    }

    #[test]
    fn charset_output_is_always_utf8(doc in proptest::collection::vec(any::<u8>(), 0..3000), ct in proptest::option::of("text/(html|xml); charset=(utf-8|gbk|big5|shift_jis|latin1|utf-16|bogus)")) {
        let out = dossier_extract::charset::to_utf8(&doc, ct.as_deref());
        prop_assert!(std::str::from_utf8(&out.bytes).is_ok());
    }

    #[test]
    fn markup_to_text_is_plain_and_trimmed(s in "(<[a-z/!]{0,6}[^>]{0,10}>|&[a-z#0-9]{0,8};?|[^<&]{0,10}){0,40}") {
        let t = dossier_extract::html_to_text(&s);
        prop_assert!(t.trim() == t);
        prop_assert!(!t.contains("  "));
    }

    /// Tag soup made of the pieces real feeds break with: any order, any nesting, cut
    /// anywhere. The reader never panics, and never reads more items than the soup has
    /// item elements.
    #[test]
    fn feed_tag_soup_never_panics(parts in proptest::collection::vec(proptest::sample::select(&[
        "<rss version=\"2.0\">", "<channel>", "</channel>", "<item>", "</item>", "<item rdf:about=\"https://a.example/x\">",
        "<title>", "</title>", "<link>", "</link>", "https://a.example/1", "<guid>", "</guid>", "<![CDATA[", "]]>",
        "&amp;", "&", "&nbsp;", "&#0;", "&#xD800;", "&bogus;", "<", ">", "text", " ", "\u{1}", "<media:title type=\"html\">",
        "</media:title>", "<feed xmlns=\"http://www.w3.org/2005/Atom\">", "<entry>", "</entry>", "<content type=\"xhtml\">",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\">", "</div>", "</content>", "<summary mode=\"base64\">", "SGVsbG8=",
        "</summary>", "<!--", "-->", "<!DOCTYPE rss [<!ENTITY x \"y\">]>", "&x;", "<a:b xmlns:a=\"urn:x\">", "</a:b>", "</b>",
        "<link href=\"/rel\" rel=\"alternate\"/>", "xml:base=\"/x/\"", "<pubDate>", "Tue, 10 Mar 2026 08:00:00 GMT", "</pubDate>",
    ][..]), 0..80)) {
        let doc: String = parts.concat();
        let items = doc.matches("<item").count() + doc.matches("<entry").count();
        if let Ok(feed) = dossier_extract::parse_feed(doc.as_bytes(), Some("https://feed.example/rss"), None) {
            prop_assert!(feed.items.len() <= items, "{} items from {:?}", feed.items.len(), doc);
        }
    }

    /// OPML in the wild is broken in every way; the reader must still never panic, and
    /// every outline it returns has a line inside the file.
    #[test]
    fn opml_never_panics(doc in mutated(fixtures("opml")), extra in "(<outline|xmlUrl=|[\"' <>/=&]|[a-zé]{1,4}){0,40}") {
        let mut text = String::from_utf8_lossy(&doc).into_owned();
        let at = text.char_indices().map(|(i, _)| i).nth(text.len() / 3).unwrap_or(0);
        text.insert_str(at, &extra);
        let lines = text.lines().count().max(1);
        for f in dossier_extract::discover::read_opml(&text) {
            prop_assert!(f.line >= 1 && f.line <= lines, "{} of {}", f.line, lines);
        }
    }
}
