//! Article pages: what the pipeline takes from an item's own page — its canonical URL, a
//! title and description, and the publication date with the evidence for it.
//!
//! A page is read in one streaming pass ([`scan`]) that keeps what these need, and the
//! date comes from an ordered ladder of rules over what was kept ([`ladder`]): JSON-LD
//! `datePublished` (parsed as JSON, `@graph` included), publication meta tags,
//! `itemprop="datePublished"`, a `<time>` marked as the publication time or standing in
//! the article's header, a full date in the URL path, then a date in the text of a byline
//! or date element, or right under the headline. A modified date is used only when no
//! published date exists. Sidebars, navigation, footers, comments and "related" boxes are
//! never read for dates: their dates are other articles' ([`boilerplate`]).

mod boilerplate;
mod canonical;
mod jsonld;
mod ladder;
mod lean;
mod scan;

use crate::charset;
use crate::dates::{DateContext, FoundDate};
use crate::text::collapse_ws;
use chrono::{DateTime, Utc};
use dossier_model::DateSource;

/// A publication date and where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct PageDate {
    pub found: FoundDate,
    /// `Page` or `Url`.
    pub source: DateSource,
    /// What said so, e.g. `meta article:published_time` or `json-ld NewsArticle.datePublished`.
    pub evidence: String,
}

/// What an article page tells about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageInfo {
    pub canonical: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub date: Option<PageDate>,
}

/// Reads an article page. `url` is where it came from (for relative links and URL dates);
/// `content_type` is the HTTP header, when there was one; `now` bounds plausible dates
/// and anchors relative ones ("3 hours ago").
pub fn inspect_page(
    bytes: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
    now: DateTime<Utc>,
) -> PageInfo {
    let html = charset::to_text(bytes, content_type).text;
    read_page(&scan::scan(&html), url, now)
}

/// What a scanned page tells about itself.
fn read_page(page: &scan::Page, url: Option<&str>, now: DateTime<Utc>) -> PageInfo {
    let dates = date_context(page, now);
    let page_url = url.and_then(|u| url::Url::parse(u).ok());
    let base = match page.base.as_deref() {
        Some(h) => page_url
            .as_ref()
            .map_or_else(|| url::Url::parse(h).ok(), |u| u.join(h).ok())
            .or(page_url),
        None => page_url,
    };
    let meta = |key: &str| {
        page.metas
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    };
    let title = meta("og:title")
        .map(collapse_ws)
        .or_else(|| page.title.clone())
        .or_else(|| page.h1.clone())
        .filter(|t| !t.is_empty());
    let summary = meta("description")
        .or_else(|| meta("og:description"))
        .map(collapse_ws)
        .filter(|s| !s.is_empty());
    PageInfo {
        canonical: canonical::find(&page.canonical, &page.metas, base.as_ref()),
        title,
        summary,
        date: ladder::find_date(&ladder::Cx::new(page, url, dates)),
    }
}

/// How the page's dates read: `05/06/2026` is day first unless the page says it is in
/// US (or plain) English.
fn date_context(page: &scan::Page, now: DateTime<Utc>) -> DateContext {
    let lang = page.lang.as_deref().map(str::to_ascii_lowercase);
    let day_first = match lang.as_deref() {
        Some(l) if l.starts_with("en-us") || l == "en" => Some(false),
        Some(l) if l.starts_with("en") || !l.is_empty() => Some(true),
        _ => None,
    };
    DateContext {
        now,
        day_first,
        plausible_only: true,
    }
}

/// For tuning: every ladder rule's answer on a page, in ladder order, then what the scan
/// kept (`examples/debug_page.rs --explain`). Not a stable interface.
#[doc(hidden)]
pub fn explain_page(bytes: &[u8], url: Option<&str>, now: DateTime<Utc>) -> String {
    let html = charset::to_text(bytes, None).text;
    let page = scan::scan(&html);
    let info = read_page(&page, url, now);
    let cx = ladder::Cx::new(&page, url, date_context(&page, now));
    let mut out = format!("{:#?}\n", info.date);
    for line in ladder::explain(&cx) {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!("{page:#?}\n"));
    out
}
