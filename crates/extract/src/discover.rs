//! Finding feeds: the `<link rel="alternate">` feeds a page announces, and the feeds an
//! OPML file lists ([`read_opml`], in `opml`). Pure parsing; fetching is the caller's.

mod opml;

pub use opml::{OpmlFeed, read_opml};

use scraper::{Html, Selector};

/// Link types that announce a feed.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/json",
    "application/x.atom+xml",
    "text/xml",
];

/// A feed a page links to.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedLink {
    pub url: String,
    pub title: Option<String>,
    pub media_type: String,
}

/// The feeds a page announces with `<link rel="alternate" type=...>`, in page order, each
/// once. Relative links resolve as the page's other links do: against its `<base href>`
/// when it has one, else against `page_url`.
pub fn feed_links(html: &str, page_url: &str) -> Vec<FeedLink> {
    let doc = Html::parse_document(html);
    let base = crate::select::document_base(&doc, Some(page_url));
    let links = Selector::parse("link[rel][href]").expect("valid selector");
    let mut out: Vec<FeedLink> = Vec::new();
    for l in doc.select(&links) {
        let v = l.value();
        let alternate = v.attr("rel").is_some_and(|r| {
            r.split_whitespace()
                .any(|w| w.eq_ignore_ascii_case("alternate"))
        });
        let Some(ty) = v
            .attr("type")
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| FEED_TYPES.contains(&t.as_str()))
        else {
            continue;
        };
        let Some(href) = v.attr("href").map(str::trim) else {
            continue;
        };
        let Some(url) = base
            .as_ref()
            .map_or_else(|| url::Url::parse(href).ok(), |b| b.join(href).ok())
        else {
            continue;
        };
        if alternate && !out.iter().any(|f| f.url == url.as_str()) {
            out.push(FeedLink {
                url: url.to_string(),
                title: v
                    .attr("title")
                    .map(crate::collapse_ws)
                    .filter(|t| !t.is_empty()),
                media_type: ty,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announced_feeds_are_found_and_resolved() {
        let html = r#"<html><head>
            <link rel="alternate" type="application/rss+xml" title="Posts" href="/feed.xml">
            <link rel="alternate" type="application/atom+xml" href="https://blog.example/atom">
            <link rel="alternate" type="text/html" hreflang="de" href="/de/">
            <link rel="stylesheet" type="text/css" href="/s.css">
            <link rel="alternate" type="application/rss+xml" title="Posts again" href="/feed.xml">
          </head></html>"#;
        let got = feed_links(html, "https://blog.example/post/1");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].url, "https://blog.example/feed.xml");
        assert_eq!(got[0].title.as_deref(), Some("Posts"));
        assert_eq!(got[1].media_type, "application/atom+xml");
    }

    /// Regression: a SPIP page's `href="spip.php?page=backend"` was resolved against the
    /// page's address although the page sets `<base href>`, offering a feed URL that does
    /// not exist.
    #[test]
    fn announced_feeds_resolve_against_the_base_href() {
        let html = include_str!("../../../fixtures/discover/base-href.html");
        let got = feed_links(html, "https://site.example/spip/rubrique/article-12.html");
        let urls: Vec<&str> = got.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(
            urls,
            vec![
                "https://site.example/spip/spip.php?page=backend",
                "https://site.example/spip/spip.php?page=backend-breves",
                "https://feeds.example/absolute.xml",
            ]
        );
        assert_eq!(got[0].title.as_deref(), Some("Site news"));
        // Without a <base>, the page's own address is the base.
        let plain =
            r#"<link rel="alternate" type="application/rss+xml" href="spip.php?page=backend">"#;
        assert_eq!(
            feed_links(plain, "https://site.example/spip/rubrique/article-12.html")[0].url,
            "https://site.example/spip/rubrique/spip.php?page=backend"
        );
    }
}
