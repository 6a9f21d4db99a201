//! Selector feeds (`kind = "web"`): items picked out of a page with CSS selectors.
//!
//! A selector may end in `@attr` to read that attribute instead of the text. Parsing the
//! page is CPU work on a `!Send` tree, so this is plain synchronous code the pipeline runs
//! off the async reactor.

use crate::charset;
use crate::dates::{self, DateContext};
use crate::text::{collapse_ws, truncate_chars};
use chrono::{DateTime, Utc};
use dossier_model::{RawItem, Selectors};
use scraper::{ElementRef, Html, Selector};

/// A configured selector: the CSS part and the optional attribute to read.
#[derive(Debug, Clone)]
pub struct FieldSelector {
    pub css: Selector,
    pub attr: Option<String>,
}

/// Splits `h2 a@href` into its CSS and its attribute. An `@` inside brackets or quotes
/// belongs to the CSS (`a[href^="mailto:x@y"]`).
fn split_attr(spec: &str) -> (&str, Option<&str>) {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut at = None;
    for (i, c) in spec.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth -= 1,
            (None, '@') if depth == 0 => at = Some(i),
            _ => {}
        }
    }
    match at {
        Some(i) => (spec[..i].trim(), Some(spec[i + 1..].trim())),
        None => (spec.trim(), None),
    }
}

impl FieldSelector {
    pub fn parse(spec: &str) -> Result<FieldSelector, String> {
        let (css, attr) = split_attr(spec);
        if let Some(a) = attr
            && (a.is_empty()
                || !a
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':')))
        {
            return Err(format!(
                "selector `{spec}`: `@{a}` is not an attribute name"
            ));
        }
        if css.is_empty() {
            return Err(format!("selector `{spec}` is empty"));
        }
        let css =
            Selector::parse(css).map_err(|e| format!("selector `{spec}` does not parse: {e}"))?;
        Ok(FieldSelector {
            css,
            attr: attr.map(str::to_string),
        })
    }
}

/// The items a page yielded, and the ones it could not (reported, never stored half-empty).
#[derive(Debug, Default, PartialEq)]
pub struct PageItems {
    pub items: Vec<RawItem>,
    pub problems: Vec<String>,
}

/// Why a page yielded nothing at all.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SelectError {
    /// The item selector matched nothing: the page's markup changed (or it is not the
    /// page it was). A failure, never "no news".
    #[error("selector `item` (`{0}`) matched nothing")]
    NoItems(String),
    #[error("{0}")]
    BadSelector(String),
}

fn compiled(spec: &str) -> Result<FieldSelector, SelectError> {
    FieldSelector::parse(spec).map_err(SelectError::BadSelector)
}

impl FieldSelector {
    /// The value of the first match inside `scope`: the attribute when one is named, else
    /// (for links) `href`, else the element's text.
    fn value(&self, scope: ElementRef, prefer: Option<&str>) -> Option<String> {
        let el = scope.select(&self.css).next()?;
        let raw = match (&self.attr, prefer) {
            (Some(a), _) => el.value().attr(a)?.to_string(),
            (None, Some(p)) => match el.value().attr(p) {
                Some(v) => v.to_string(),
                None => el.text().collect::<Vec<_>>().join(" "),
            },
            (None, None) => el.text().collect::<Vec<_>>().join(" "),
        };
        Some(collapse_ws(&raw)).filter(|v| !v.is_empty())
    }
}

/// The address relative links on a page resolve against: its first `<base href>`
/// (itself resolved against the page's address), else the page's address. Shared by
/// everything that resolves a page's links (web feeds, feed discovery), so they agree.
pub(crate) fn document_base(doc: &Html, page_url: Option<&str>) -> Option<url::Url> {
    static BASE: std::sync::LazyLock<Selector> =
        std::sync::LazyLock::new(|| Selector::parse("base[href]").expect("valid selector"));
    let page = page_url.and_then(|u| url::Url::parse(u).ok());
    doc.select(&BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| {
            let h = h.trim();
            page.as_ref()
                .map_or_else(|| url::Url::parse(h).ok(), |p| p.join(h).ok())
        })
        .or(page)
}

/// Picks items out of a web page with the feed's selectors. `page_url` resolves relative
/// links (after any `<base href>`); `now` anchors relative dates ("3 hours ago").
pub fn parse_page_items(
    bytes: &[u8],
    content_type: Option<&str>,
    page_url: &str,
    sel: &Selectors,
    now: DateTime<Utc>,
) -> Result<PageItems, SelectError> {
    let item = compiled(&sel.item)?;
    let title = compiled(&sel.title)?;
    let link = compiled(&sel.link)?;
    let date = sel.date.as_deref().map(compiled).transpose()?;
    let summary = sel.summary.as_deref().map(compiled).transpose()?;

    let utf8 = charset::to_utf8(bytes, content_type);
    let html = String::from_utf8_lossy(&utf8.bytes);
    let doc = Html::parse_document(&crate::nesting::defuse(&html));
    let base = document_base(&doc, Some(page_url));
    let lang_sel = Selector::parse("html[lang]").expect("valid selector");
    let lang = doc
        .select(&lang_sel)
        .next()
        .and_then(|h| h.value().attr("lang"))
        .map(str::to_ascii_lowercase);
    let cx = DateContext {
        now,
        day_first: match lang.as_deref() {
            Some(l) if l.starts_with("en-us") || l == "en" => Some(false),
            Some(_) => Some(true),
            None => None,
        },
        plausible_only: true,
    };

    let mut out = PageItems::default();
    let mut matched = 0;
    for (i, el) in doc.select(&item.css).enumerate() {
        matched += 1;
        let n = i + 1;
        let Some(t) = title.value(el, None) else {
            out.problems.push(format!(
                "item {n}: title selector `{}` found nothing",
                sel.title
            ));
            continue;
        };
        let Some(href) = link.value(el, Some("href")) else {
            out.problems.push(format!(
                "item {n}: link selector `{}` found nothing",
                sel.link
            ));
            continue;
        };
        let Some(resolved) = base
            .as_ref()
            .map_or_else(|| url::Url::parse(&href).ok(), |b| b.join(&href).ok())
        else {
            out.problems
                .push(format!("item {n}: link `{href}` is not a URL"));
            continue;
        };
        let published = date
            .as_ref()
            .and_then(|d| d.value(el, Some("datetime")))
            .and_then(|v| dates::parse_machine(&v, &cx).or_else(|| dates::parse_human(&v, &cx)));
        out.items.push(RawItem {
            origin: None,
            guid: None,
            link: Some(resolved.to_string()),
            title: Some(t),
            summary: summary
                .as_ref()
                .and_then(|s| s.value(el, None))
                .map(|s| truncate_chars(s, crate::MAX_SUMMARY_CHARS)),
            author: None,
            published: published.map(|d| d.instant),
            updated: None,
        });
    }
    if matched == 0 {
        return Err(SelectError::NoItems(sel.item.clone()));
    }
    Ok(out)
}

/// Checks a configured selector, for config validation.
pub fn check_selector(spec: &str) -> Result<(), String> {
    FieldSelector::parse(spec).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_suffix_is_split_off() {
        assert_eq!(
            split_attr("a.more@data-href"),
            ("a.more", Some("data-href"))
        );
        assert_eq!(split_attr("h2 a"), ("h2 a", None));
        assert_eq!(
            split_attr("a[href^=\"mailto:x@y\"]"),
            ("a[href^=\"mailto:x@y\"]", None)
        );
        assert_eq!(
            split_attr("a[title='@']@href"),
            ("a[title='@']", Some("href"))
        );
    }

    fn selectors() -> Selectors {
        Selectors {
            item: "article.post".into(),
            title: "h2".into(),
            link: "h2 a".into(),
            date: Some("time".into()),
            summary: Some("p.excerpt".into()),
        }
    }

    fn now() -> DateTime<Utc> {
        dossier_model::parse_time("2026-05-22T12:00:00Z").unwrap()
    }

    #[test]
    fn items_are_picked_with_relative_links_attributes_and_messy_dates() {
        let page = br#"<html lang="en"><head><base href="/news/"></head><body>
            <article class="post"><h2><a href="first">First &amp; best</a></h2>
              <time datetime="2026-05-20T08:10:00Z">May 20</time><p class="excerpt">One.</p></article>
            <article class="post"><h2><a href="/abs/second">Second</a></h2><time>3 hours ago</time></article>
            <article class="post"><h2><a href="https://other.example/x">Third</a></h2><time>20 May 2026 08:10</time></article>
          </body></html>"#;
        let got = parse_page_items(
            page,
            None,
            "https://lab.example/index.html",
            &selectors(),
            now(),
        )
        .unwrap();
        assert!(got.problems.is_empty(), "{:?}", got.problems);
        let links: Vec<_> = got.items.iter().map(|i| i.link.clone().unwrap()).collect();
        assert_eq!(
            links,
            vec![
                "https://lab.example/news/first",
                "https://lab.example/abs/second",
                "https://other.example/x"
            ]
        );
        assert_eq!(got.items[0].title.as_deref(), Some("First & best"));
        assert_eq!(got.items[0].summary.as_deref(), Some("One."));
        let dates: Vec<_> = got
            .items
            .iter()
            .map(|i| i.published.map(dossier_model::fmt_time))
            .collect();
        assert_eq!(
            dates,
            vec![
                Some("2026-05-20T08:10:00Z".into()),
                Some("2026-05-22T09:00:00Z".into()),
                Some("2026-05-20T08:10:00Z".into())
            ]
        );
    }

    #[test]
    fn attribute_selectors_read_the_attribute() {
        let page = br#"<div class="card" data-url="/c/1"><span class="t">Card</span><a class="more" data-href="/more/1">more</a></div>"#;
        let sel = Selectors {
            item: "div.card".into(),
            title: "span.t".into(),
            link: "a.more@data-href".into(),
            date: None,
            summary: None,
        };
        let got = parse_page_items(page, None, "https://lab.example/", &sel, now()).unwrap();
        assert_eq!(
            got.items[0].link.as_deref(),
            Some("https://lab.example/more/1")
        );
    }

    #[test]
    fn a_selector_that_stops_matching_is_a_failure() {
        let page = b"<html><body><div class='redesigned'><h3>New markup</h3></div></body></html>";
        assert_eq!(
            parse_page_items(page, None, "https://lab.example/", &selectors(), now()),
            Err(SelectError::NoItems("article.post".into()))
        );
    }

    #[test]
    fn half_empty_items_are_reported_not_stored() {
        let page = br#"<article class="post"><h2>No link here</h2></article><article class="post"><h2><a href="/ok">Ok</a></h2></article>"#;
        let got =
            parse_page_items(page, None, "https://lab.example/", &selectors(), now()).unwrap();
        assert_eq!(got.items.len(), 1);
        assert_eq!(
            got.problems,
            vec!["item 1: link selector `h2 a` found nothing".to_string()]
        );
    }

    #[test]
    fn bad_selectors_are_named() {
        let e = check_selector("h2 a[").unwrap_err();
        assert!(e.starts_with("selector `h2 a[` does not parse"), "{e}");
        assert!(check_selector("a@").is_err());
        assert!(check_selector("time@datetime").is_ok());
    }
}
