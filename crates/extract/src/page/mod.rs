//! Article pages: what the pipeline takes from an item's own page — its canonical URL, a
//! title and description, and the publication date with the evidence for it.
//!
//! Dates are tried from the most to the least reliable source, and the first that yields
//! a plausible date wins: JSON-LD `datePublished` (parsed as JSON, `@graph` included),
//! publication meta tags, `itemprop="datePublished"`, a `<time>` marked as the publication
//! time or standing in the article's header, a full date in the URL path, then a date in
//! the text of a byline or date element, or right under the headline. A modified date is
//! used only when no published date exists. Sidebars, navigation, footers, comments and
//! "related" boxes are never read for dates: their dates are other articles'.

use crate::charset;
use crate::dates::{self, DateContext, FoundDate};
use crate::text::collapse_ws;
use chrono::{DateTime, Utc};
use dossier_model::DateSource;
use scraper::{ElementRef, Html, Selector};
use std::sync::LazyLock;

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

/// Meta names (lowercase) that carry a publication date, most specific first.
const PUBLISHED_META: &[&str] = &[
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "date-published",
    "published_time",
    "published-date",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "citation_publication_date",
    "citation_date",
    "citation_online_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "dc:date",
    "prism.publicationdate",
    "article.published",
    "article_date_original",
    "original-publish-date",
    "cxenseparse:recs:publishtime",
    "rnews:datepublished",
    "bt:pubdate",
    "datecreated",
    "date_published",
    "release_date",
];

/// Meta names that often, but not always, mean publication (some sites put the last
/// change there): read after the `<time>` elements.
const WEAK_META: &[&str] = &["date", "created", "dc.date.created"];

/// Meta names that carry a modification date: a last resort.
const MODIFIED_META: &[&str] = &[
    "article:modified_time",
    "og:updated_time",
    "article:modified",
    "datemodified",
    "dc.date.modified",
    "dcterms.modified",
    "last-modified",
    "lastmod",
    "modified",
];

/// JSON-LD types whose dates are the page's own.
const ARTICLE_TYPES: &[&str] = &[
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "scholarlyarticle",
    "techarticle",
    "report",
    "socialmediaposting",
    "liveblogposting",
    "discussionforumposting",
    "webpage",
    "itempage",
    "podcastepisode",
    "blog",
    "creativework",
    "medicalwebpage",
    "qapage",
    "collectionpage",
    "aboutpage",
    "review",
    "howto",
    "recipe",
    "event",
];

static SEL: LazyLock<Selectors> = LazyLock::new(Selectors::new);

struct Selectors {
    ld_json: Selector,
    meta: Selector,
    canonical: Selector,
    title: Selector,
    h1: Selector,
    item_published: Selector,
    time: Selector,
    abbr_published: Selector,
    dated_class: Selector,
    html: Selector,
    body: Selector,
    base: Selector,
    main: Selector,
}

impl Selectors {
    fn new() -> Selectors {
        let s = |css: &str| Selector::parse(css).expect("valid built-in selector");
        Selectors {
            ld_json: s("script"),
            meta: s("meta[content]"),
            canonical: s("link[rel][href]"),
            title: s("title"),
            h1: s("h1"),
            item_published: s("[itemprop=datePublished], [itemprop=dateCreated]"),
            time: s("time"),
            abbr_published: s("abbr.published[title], abbr.dtstamp[title], span.published[title]"),
            dated_class: s(
                "[class*=date], [class*=Date], [class*=byline], [class*=Byline], [class*=posted], \
                 [class*=publish], [class*=Publish], [class*=dateline], [class*=timestamp], [class*=entry-meta], \
                 [class*=post-meta], [class*=article-meta], [class*=meta-info], [id*=date], [id*=byline], \
                 [class*=time], [class*=datum], [class*=fecha], [class*=data-pub], [class*=meta], [class*=Meta], \
                 [class*=info], [class*=created], [class*=submitted], [class*=authored], [class*=author]",
            ),
            html: s("html"),
            body: s("body"),
            base: s("base[href]"),
            main: s(
                "article, main, [role=main], [itemprop=articleBody], .post, .entry, .article, #content",
            ),
        }
    }
}

/// How far up the tree any check walks: a hostile page nested a hundred thousand levels
/// deep must not make every check walk all of them.
const MAX_DEPTH: usize = 256;

/// An element's ancestors, nearest first, at most [`MAX_DEPTH`] of them.
fn up(el: ElementRef<'_>) -> impl Iterator<Item = ElementRef<'_>> {
    el.ancestors().take(MAX_DEPTH).filter_map(ElementRef::wrap)
}

/// Words of class or id tokens (split on `-` and `_`) that name containers whose dates
/// belong to other content: other articles, comments, archives, site chrome.
const BOILERPLATE_WORDS: &[&str] = &[
    "sidebar",
    "related",
    "comment",
    "comments",
    "commentlist",
    "recent",
    "popular",
    "trending",
    "teaser",
    "teasers",
    "recommended",
    "recommendations",
    "archive",
    "archives",
    "calendar",
    "rail",
    "breadcrumb",
    "breadcrumbs",
    "nav",
    "navigation",
    "navbar",
    "colophon",
    "mostread",
    "widgets",
];

/// Segments that make a token describe layout rather than a box ("has-sidebar",
/// "sticky-sidebar-parent", "no-comments").
const LAYOUT_WORDS: &[&str] = &[
    "has", "with", "no", "without", "parent", "layout", "sticky", "count", "toggle", "link", "icon",
];

fn is_boilerplate_name(name: &str) -> bool {
    name.split_whitespace().any(|token| {
        let t = token.to_ascii_lowercase();
        let segments: Vec<&str> = t.split(['-', '_']).filter(|s| !s.is_empty()).collect();
        if segments.iter().any(|s| LAYOUT_WORDS.contains(s)) {
            return false;
        }
        segments.iter().any(|s| BOILERPLATE_WORDS.contains(s))
            || t.contains("most-read")
            || t.contains("more-stories")
            || matches!(
                t.as_str(),
                "footer" | "site-footer" | "page-footer" | "global-footer" | "footer-wrapper"
            )
    })
}

/// Whether this element itself (not its ancestors) is a boilerplate box.
fn in_boilerplate_self(el: ElementRef) -> bool {
    let v = el.value();
    !matches!(v.name(), "body" | "html")
        && (matches!(v.name(), "aside" | "nav" | "footer")
            || v.attr("class").is_some_and(is_boilerplate_name)
            || v.attr("id").is_some_and(is_boilerplate_name))
}

fn in_boilerplate(el: ElementRef) -> bool {
    let mut in_article = false;
    for a in std::iter::once(el).chain(up(el)) {
        let v = a.value();
        if matches!(v.name(), "body" | "html") {
            // The body's classes describe the page ("single-post has-sidebar"), not a box.
            return false;
        }
        let boiler = matches!(v.name(), "aside" | "nav")
            || (v.name() == "footer"
                && !in_article
                && !up(a).any(|x| x.value().name() == "article"))
            || v.attr("class").is_some_and(is_boilerplate_name)
            || v.attr("id").is_some_and(is_boilerplate_name);
        if boiler {
            return true;
        }
        in_article |= v.name() == "article";
    }
    false
}

/// The text of an element, its text nodes separated by spaces ("Mai<span>06</span>2018").
fn text_of(el: ElementRef) -> String {
    let mut s = String::new();
    for t in el.text() {
        s.push_str(t);
        s.push(' ');
    }
    collapse_ws(&s)
}

/// Reads an article page. `url` is where it came from (for relative links and URL dates);
/// `content_type` is the HTTP header, when there was one.
///
/// Most pages settle their date in the `<head>` (JSON-LD, meta tags); when the body holds
/// no structured data that could outrank it, only the head is parsed, which is most of the
/// cost of a page saved. The answer is the same either way.
pub fn inspect_page(
    bytes: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
    now: DateTime<Utc>,
) -> PageInfo {
    let utf8 = charset::to_utf8(bytes, content_type);
    let html = String::from_utf8_lossy(&utf8.bytes);
    let html = crate::nesting::defuse(&html);
    if let Some(end) = html.find("</head").or_else(|| html.find("</HEAD")) {
        let body = &html[end..];
        // Structured data in the body could outrank the head's: then the whole page is read.
        if !body.contains("ld+json") && !body.contains("\"@context\"") && !body.contains("<meta") {
            let head = Html::parse_document(&html[..end]);
            if let Some(info) = read_page(&head, url, now, true) {
                return info;
            }
        }
    }
    let doc = Html::parse_document(&html);
    read_page(&doc, url, now, false).unwrap_or_default()
}

/// Reads a parsed page; with `head_only`, gives up (`None`) unless the head alone settles
/// everything the full reading would.
fn read_page(
    doc: &Html,
    url: Option<&str>,
    now: DateTime<Utc>,
    head_only: bool,
) -> Option<PageInfo> {
    let lang = doc
        .select(&SEL.html)
        .next()
        .and_then(|h| h.value().attr("lang"))
        .map(|l| l.to_ascii_lowercase());
    let day_first = match lang.as_deref() {
        Some(l) if l.starts_with("en-us") || l == "en" => Some(false),
        Some(l) if l.starts_with("en") || !l.is_empty() => Some(true),
        _ => None,
    };
    let cx = DateContext {
        now,
        day_first,
        plausible_only: true,
    };
    let base = doc
        .select(&SEL.base)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| {
            url.and_then(|u| url::Url::parse(u).ok())
                .map_or_else(|| url::Url::parse(h).ok(), |u| u.join(h).ok())
        })
        .or_else(|| url.and_then(|u| url::Url::parse(u).ok()));

    let metas: Vec<(String, &str)> = doc
        .select(&SEL.meta)
        .filter_map(|m| {
            let v = m.value();
            let key = v
                .attr("property")
                .or_else(|| v.attr("name"))
                .or_else(|| v.attr("itemprop"))?;
            Some((key.trim().to_ascii_lowercase(), v.attr("content")?))
        })
        .collect();
    let meta = |key: &str| {
        metas
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| *v)
    };

    let title = meta("og:title")
        .map(collapse_ws)
        .or_else(|| doc.select(&SEL.title).next().map(text_of))
        .or_else(|| doc.select(&SEL.h1).next().map(text_of))
        .filter(|t| !t.is_empty());
    let date = if head_only {
        // A UTC time may need the day the body shows; a page without a title needs its <h1>.
        let (date, _) = structured_date(doc, &metas, &cx);
        let date = date.filter(|d| !(d.found.is_utc() && d.found.has_time))?;
        title.as_ref()?;
        Some(date)
    } else {
        find_date(doc, &metas, url, &cx)
    };
    let canonical = find_canonical(doc, &metas, base.as_ref());
    let summary = meta("description")
        .or_else(|| meta("og:description"))
        .map(collapse_ws)
        .filter(|s| !s.is_empty());
    Some(PageInfo {
        canonical,
        title,
        summary,
        date,
    })
}

fn find_canonical(doc: &Html, metas: &[(String, &str)], base: Option<&url::Url>) -> Option<String> {
    let resolve = |href: &str| -> Option<url::Url> {
        let href = href.trim();
        match base {
            Some(b) => b.join(href).ok(),
            None => url::Url::parse(href).ok(),
        }
        .filter(|u| matches!(u.scheme(), "http" | "https"))
    };
    let page_is_home = base.is_none_or(|b| b.path() == "/" && b.query().is_none());
    // A canonical pointing at a home page, from a page that is not one, is a CMS default.
    let plausible = |u: &url::Url| {
        page_is_home || !(u.path() == "/" || u.path().is_empty()) || u.query().is_some()
    };
    let link = doc
        .select(&SEL.canonical)
        .filter(|l| {
            l.value().attr("rel").is_some_and(|r| {
                r.split_whitespace()
                    .any(|w| w.eq_ignore_ascii_case("canonical"))
            })
        })
        .filter_map(|l| resolve(l.value().attr("href")?))
        .find(|u| plausible(u));
    link.or_else(|| {
        metas
            .iter()
            .filter(|(k, _)| k == "og:url")
            .filter_map(|(_, v)| resolve(v))
            .find(|u| plausible(u))
    })
    .map(|u| u.to_string())
}

fn page_date(found: FoundDate, evidence: impl Into<String>) -> Option<PageDate> {
    Some(PageDate {
        found,
        source: DateSource::Page,
        evidence: evidence.into(),
    })
}

/// The structured sources: JSON-LD and meta tags. Returns the date they give and, apart,
/// a JSON-LD modification date to fall back on when nothing else dates the page.
fn structured_date(
    doc: &Html,
    metas: &[(String, &str)],
    cx: &DateContext,
) -> (Option<PageDate>, Option<PageDate>) {
    let mut modified: Option<PageDate> = None;

    // 1. JSON-LD, parsed as JSON.
    let mut ld_any: Option<PageDate> = None;
    for script in doc.select(&SEL.ld_json) {
        let raw: String = script.text().collect();
        let typed = script
            .value()
            .attr("type")
            .map(|t| t.trim().to_ascii_lowercase());
        let is_ld = match typed.as_deref() {
            Some("application/ld+json") => true,
            // Some pages serve JSON-LD in an untyped script.
            None | Some("") | Some("application/json") => {
                raw.trim_start().starts_with(['{', '[']) && raw.contains("schema.org")
            }
            _ => false,
        };
        if !is_ld {
            continue;
        }
        let Some(json) = parse_json_ld(&raw) else {
            continue;
        };
        let mut found = Vec::new();
        walk_json_ld(&json, None, 0, &mut found);
        for (ty, key, value) in found {
            let Some(d) = dates::parse_machine(&value, cx) else {
                continue;
            };
            // An embedded video's upload date is the video's, not the article's.
            let article = key != "uploadDate"
                && ty
                    .as_deref()
                    .is_some_and(|t| ARTICLE_TYPES.contains(&t.to_ascii_lowercase().as_str()));
            let label = format!(
                "json-ld {}{key}",
                ty.as_deref().map(|t| format!("{t}.")).unwrap_or_default()
            );
            if key == "dateModified" {
                if modified.is_none() && article {
                    modified = page_date(d, format!("{label} (no published date found)"));
                }
            } else if article {
                return (page_date(d, label), modified);
            } else if ld_any.is_none() {
                ld_any = page_date(d, label);
            }
        }
    }

    // 2. Publication meta tags.
    for key in PUBLISHED_META {
        for (_, v) in metas.iter().filter(|(k, _)| k == key) {
            if let Some(d) = dates::parse_machine(v, cx) {
                return (page_date(d, format!("meta {key}")), modified);
            }
        }
    }
    if ld_any.is_some() {
        return (ld_any, modified);
    }
    // Site-specific publication meta names (`sw-pubdate`, `publication_date`, `uploadDate`).
    for (k, v) in metas {
        let publication = (k.contains("publi")
            || k.contains("pubdate")
            || k.contains("upload")
            || k.contains("issued")
            || (k.contains("creat") && k.contains("date")))
            && !k.contains("modif")
            && !k.contains("updat")
            && !k.contains("expir");
        if publication && let Some(d) = dates::parse_machine(v, cx) {
            return (page_date(d, format!("meta {k}")), modified);
        }
    }
    (None, modified)
}

fn find_date_raw(
    doc: &Html,
    metas: &[(String, &str)],
    url: Option<&str>,
    cx: &DateContext,
) -> Option<PageDate> {
    let (found, modified) = structured_date(doc, metas, cx);
    if found.is_some() {
        return found;
    }

    // 3. itemprop="datePublished" on any element.
    for el in doc.select(&SEL.item_published) {
        let v = el.value();
        let raw = v
            .attr("datetime")
            .or_else(|| v.attr("content"))
            .map(str::to_string)
            .unwrap_or_else(|| text_of(el));
        if let Some(d) = dates::parse_machine(&raw, cx) {
            let prop = v.attr("itemprop").unwrap_or("datePublished");
            return page_date(d, format!("{} itemprop={prop}", v.name()));
        }
    }

    // 4. <time>: marked as the publication time, else the first one in the article.
    let times: Vec<ElementRef> = doc
        .select(&SEL.time)
        .filter(|t| !in_boilerplate(*t))
        .collect();
    let marked = |t: &ElementRef| {
        t.value().attr("pubdate").is_some()
            || std::iter::once(*t).chain(up(*t).take(3)).any(|el| {
                let v = el.value();
                [v.attr("class"), v.attr("id"), v.attr("itemprop")]
                    .into_iter()
                    .flatten()
                    .any(|c| {
                        let c = c.to_ascii_lowercase();
                        [
                            "publish",
                            "entry-date",
                            "post-date",
                            "posted-on",
                            "created",
                            "article-date",
                            "pubdate",
                        ]
                        .iter()
                        .any(|w| c.contains(w))
                            && !c.contains("update")
                            && !c.contains("modif")
                    })
            })
    };
    let time_value = |t: &ElementRef| -> Option<FoundDate> {
        match t.value().attr("datetime") {
            Some(dt) => dates::parse_machine(dt, cx),
            None => dates::parse_human(&text_of(*t), cx),
        }
    };
    if let Some((t, d)) = times
        .iter()
        .filter(|t| marked(t))
        .find_map(|t| Some((t, time_value(t)?)))
    {
        let how = if t.value().attr("pubdate").is_some() {
            "time[pubdate]"
        } else {
            "time marked as published"
        };
        return page_date(d, how);
    }
    // A <time> in the article's header or byline, not one in its running text (which
    // dates what the article tells of, not the article).
    let in_article_header = |el: &ElementRef| {
        let mut in_header = false;
        for a in up(*el) {
            let v = a.value();
            let named = |w: &[&str]| {
                [v.attr("class"), v.attr("id")]
                    .into_iter()
                    .flatten()
                    .any(|c| {
                        let c = c.to_ascii_lowercase();
                        w.iter().any(|w| c.contains(w))
                    })
            };
            if v.name() == "header"
                || named(&[
                    "header", "byline", "meta", "dateline", "posted", "author", "info",
                ])
            {
                in_header = true;
            }
            if SEL.main.matches(&a) {
                return in_header;
            }
        }
        false
    };
    if let Some(d) = times
        .iter()
        .filter(|t| {
            t.value().attr("datetime").is_some() && in_article_header(t) && !is_modified_marker(t)
        })
        .find_map(time_value)
    {
        return page_date(d, "time[datetime] in the article");
    }
    for el in doc.select(&SEL.abbr_published) {
        if in_boilerplate(el) {
            continue;
        }
        if let Some(d) = el
            .value()
            .attr("title")
            .and_then(|t| dates::parse_machine(t, cx))
        {
            return page_date(d, format!("{}.published[title]", el.value().name()));
        }
    }

    for key in WEAK_META {
        for (_, v) in metas.iter().filter(|(k, _)| k == key) {
            if let Some(d) = dates::parse_machine(v, cx) {
                return page_date(d, format!("meta {key}"));
            }
        }
    }

    // 5. A full date in the URL path.
    if let Some(d) = url.and_then(|u| dates::from_url(u, cx)) {
        return Some(PageDate {
            found: d,
            source: DateSource::Url,
            evidence: "date in the URL path".into(),
        });
    }

    // 6. The text of a byline or date element: inside the article first (a masthead's
    // "today" or a ticker is not the article's date), then anywhere.
    let article = doc
        .select(&SEL.h1)
        .find(|h| !in_boilerplate(*h))
        .and_then(|h| up(h).find(|a| SEL.main.matches(a)))
        .or_else(|| doc.select(&SEL.main).find(|m| !in_boilerplate(*m)));
    let inside = |el: &ElementRef| article.is_some_and(|a| up(*el).any(|x| x.id() == a.id()));
    let mut dated: Vec<ElementRef> = doc.select(&SEL.dated_class).collect();
    dated.sort_by_key(|el| !inside(el));
    for el in dated {
        if in_boilerplate(el) || is_modified_marker(&el) {
            continue;
        }
        let text = text_of(el);
        if text.is_empty() || text.len() > 120 {
            continue;
        }
        let lower = text.to_lowercase();
        // "Updated 3 May · Published 1 May": the date after the publication word.
        let text = match [
            "publ",
            "veröffentlicht",
            "erschienen",
            "publié",
            "publicado",
            "pubblicato",
        ]
        .iter()
        .filter_map(|w| lower.find(w))
        .min()
        {
            Some(at) => text.get(at..).unwrap_or(&text).to_string(),
            None if [
                "updated",
                "modified",
                "aktualisiert",
                "mis à jour",
                "actualizado",
                "©",
                "copyright",
            ]
            .iter()
            .any(|w| lower.contains(w)) =>
            {
                continue;
            }
            None => text,
        };
        if let Some((d, _)) = dates::find_in_text(&text, cx).into_iter().next() {
            let class = el
                .value()
                .attr("class")
                .or_else(|| el.value().attr("id"))
                .unwrap_or("");
            let class = class.split_whitespace().next().unwrap_or("");
            return page_date(d, format!("text of {}.{class}", el.value().name()));
        }
    }

    // A date a page's scripts carry for it.
    if let Some(d) = script_date(doc, cx) {
        return Some(d);
    }
    // Any <time datetime> outside boilerplate.
    if let Some(d) = times
        .iter()
        .filter(|t| t.value().attr("datetime").is_some() && !is_modified_marker(t))
        .find_map(time_value)
    {
        return page_date(d, "time[datetime]");
    }

    // 7. A date at the start of the article's text, under the headline.
    let headline = doc.select(&SEL.h1).find(|h| !in_boilerplate(*h));
    let container = headline
        .and_then(|h| up(h).find(|a| SEL.main.matches(a)))
        .or_else(|| doc.select(&SEL.main).find(|m| !in_boilerplate(*m)));
    if let Some(container) = container {
        let mut text = String::new();
        let mut started = headline.is_none();
        for node in container.descendants() {
            if let Some(el) = ElementRef::wrap(node) {
                if Some(el) == headline {
                    started = true;
                }
                continue;
            }
            let Some(t) = node.value().as_text() else {
                continue;
            };
            let skipped = node
                .ancestors()
                .take(MAX_DEPTH)
                .filter_map(ElementRef::wrap)
                .any(|a| {
                    matches!(a.value().name(), "script" | "style" | "noscript")
                        || (a != container && in_boilerplate(a))
                });
            if started && !skipped {
                text.push_str(t);
                text.push(' ');
                if text.len() > 600 {
                    break;
                }
            }
        }
        if let Some((d, _)) = dates::find_in_text(&collapse_ws(&text), cx)
            .into_iter()
            .next()
        {
            return page_date(d, "text under the headline");
        }
    }
    if let Some(d) = doc
        .select(&SEL.title)
        .next()
        .and_then(|t| dates::find_in_text(&text_of(t), cx).into_iter().next())
    {
        return page_date(d.0, "date in the <title>");
    }
    // The first full date anywhere in the page's own text (boilerplate left out).
    // Within the article when the page marks one, else the whole body.
    let scope = container.or_else(|| doc.select(&SEL.body).next());
    if let Some(body) = scope {
        let mut text = String::new();
        for node in body.descendants() {
            let Some(t) = node.value().as_text() else {
                continue;
            };
            let skipped = node
                .ancestors()
                .take(MAX_DEPTH)
                .filter_map(ElementRef::wrap)
                .any(|a| {
                    // Linked dates are other pages' (archives, event lists, "next post").
                    matches!(
                        a.value().name(),
                        "script"
                            | "style"
                            | "noscript"
                            | "template"
                            | "a"
                            | "option"
                            | "select"
                            | "button"
                    ) || in_boilerplate_self(a)
                });
            if !skipped && !t.trim().is_empty() {
                text.push_str(t);
                text.push(' ');
                if text.len() > 20_000 {
                    break;
                }
            }
        }
        let text = collapse_ws(&text);
        let found: Vec<FoundDate> = dates::find_in_text(&text, cx)
            .into_iter()
            .filter(|(_, r)| {
                let before = text[..r.start].to_lowercase();
                let tail = &before[before.floor_char_boundary(before.len().saturating_sub(24))..];
                !tail.contains('©')
                    && !tail.contains("copyright")
                    && !tail.contains("update")
                    && !tail.contains("aktualisiert")
            })
            .map(|(d, _)| d)
            .collect();
        if let Some(&d) = found.first() {
            return page_date(d, "first date in the page text");
        }
    }

    // 8. Modified dates, when nothing else dated the page.
    if modified.is_some() {
        return modified;
    }
    for key in MODIFIED_META {
        for (_, v) in metas.iter().filter(|(k, _)| k == key) {
            if let Some(d) = dates::parse_machine(v, cx) {
                return page_date(d, format!("meta {key} (no published date found)"));
            }
        }
    }
    for (k, v) in metas
        .iter()
        .filter(|(k, _)| k.contains("modif") || k.contains("updat"))
    {
        if let Some(d) = dates::parse_machine(v, cx) {
            return page_date(d, format!("meta {k} (no published date found)"));
        }
    }
    for el in doc.select(&SEL.dated_class) {
        if in_boilerplate(el) || !is_modified_marker(&el) {
            continue;
        }
        let text = text_of(el);
        if text.len() <= 250
            && let Some((d, _)) = dates::find_in_text(&text, cx).into_iter().next()
        {
            return page_date(
                d,
                "text of a last-changed element (no published date found)",
            );
        }
    }
    None
}

/// The page's date, with the day readers see: metadata in UTC can fall on the next (or
/// previous) day from the one the page shows, so when a date the page displays is within
/// a day of it, the displayed day is the one kept (the instant stays).
fn find_date(
    doc: &Html,
    metas: &[(String, &str)],
    url: Option<&str>,
    cx: &DateContext,
) -> Option<PageDate> {
    let mut date = find_date_raw(doc, metas, url, cx)?;
    if date.source == DateSource::Page && date.found.is_utc() && date.found.has_time {
        // A day shown without a time, next to the UTC day: possible when some zone's offset
        // (−12 h to +14 h) takes the UTC instant onto it.
        let same_day_somewhere = |d: &FoundDate| {
            use chrono::Timelike;
            let utc = date.found.instant;
            let hour = utc.hour();
            !d.has_time
                && match (d.local_date - utc.date_naive()).num_days() {
                    -1 => hour < 12,
                    1 => hour >= 10,
                    _ => false,
                }
        };
        // The same moment, shown in the page's zone: a date and time whose distance from
        // the UTC instant is a whole number of quarter hours within the world's offsets.
        let same_moment = |d: &FoundDate| {
            let minutes = |t: DateTime<Utc>| t.timestamp().div_euclid(60);
            let shift = minutes(d.instant) - minutes(date.found.instant);
            d.has_time
                && d.local_date != date.found.local_date
                && shift % 15 == 0
                && (-12 * 60..=14 * 60).contains(&shift)
        };
        let shown = displayed_dates(doc, cx);
        // A shown moment anywhere in the header counts; a bare day only as the first date
        // the page shows (its byline), since other days in a header mean other things.
        let pick = shown
            .iter()
            .find(|d| d.offset.is_none() && same_moment(d))
            .or_else(|| {
                shown
                    .first()
                    .filter(|d| d.offset.is_none() && same_day_somewhere(d))
            });
        if let Some(shown) = pick {
            date.found.local_date = shown.local_date;
            date.evidence.push_str(" (day as shown on the page)");
        }
    }
    Some(date)
}

/// Dates the page shows to readers in its article header: `<time>` text and byline or
/// date elements, outside boilerplate.
fn displayed_dates(doc: &Html, cx: &DateContext) -> Vec<FoundDate> {
    let mut out = Vec::new();
    for el in doc.select(&SEL.time).chain(doc.select(&SEL.dated_class)) {
        if in_boilerplate(el) || is_modified_marker(&el) {
            continue;
        }
        let text = text_of(el);
        if text.len() > 200 {
            continue;
        }
        if let Some((d, _)) = dates::find_in_text(&text, cx).into_iter().next() {
            out.push(d);
        }
        if out.len() >= 20 {
            break;
        }
    }
    out
}

/// Marked as a modification date: `updated`, `modified`, `lastchanged`, but not a
/// publication date that microformats also mark `updated` (`entry-date updated`).
fn is_modified_marker(el: &ElementRef) -> bool {
    let v = el.value();
    [v.attr("class"), v.attr("id"), v.attr("itemprop")]
        .into_iter()
        .flatten()
        .any(|c| {
            let c = c.to_ascii_lowercase();
            (c.contains("update")
                || c.contains("modif")
                || c.contains("lastchange")
                || c.contains("last-change"))
                && !["publish", "post-date", "entry-date", "posted"]
                    .iter()
                    .any(|w| c.contains(w))
        })
}

/// A publication date in a page's inline JSON (app state, analytics layers) that is not
/// JSON-LD: `"published_at": "..."`, `"datePublished"`, `"first-publication"`, ...
fn script_date(doc: &Html, cx: &DateContext) -> Option<PageDate> {
    static KEY: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r#""(datePublished|published_at|publishedAt|publishedDate|publishDate|publish_date|publicationDate|publication_date|first-publication|firstPublished|pubDate|pubdate|createdAt|created_at|dateCreated)"\s*:\s*"([^"]{6,40})""#,
        )
        .expect("valid regex")
    });
    for script in doc.select(&SEL.ld_json) {
        let raw: String = script.text().collect();
        if raw.len() > 2_000_000 {
            continue;
        }
        for c in KEY.captures_iter(&raw) {
            // Timestamps with a millisecond field after the seconds ("22:06:08:684Z").
            let value = c[2].to_string();
            let value = match value.rfind(':') {
                Some(i) if value.matches(':').count() == 3 => format!("{}Z", &value[..i]),
                _ => value,
            };
            if let Some(d) = dates::parse_machine(&value, cx) {
                return page_date(d, format!("script key {}", &c[1]));
            }
        }
    }
    None
}

/// JSON-LD as pages serve it: sometimes wrapped in HTML comments or CDATA.
fn parse_json_ld(raw: &str) -> Option<serde_json::Value> {
    let t = raw.trim();
    let t = t.strip_prefix("<!--").unwrap_or(t);
    let t = t.strip_suffix("-->").unwrap_or(t);
    let t = t.trim().strip_prefix("//<![CDATA[").unwrap_or(t.trim());
    let t = t.strip_suffix("//]]>").unwrap_or(t);
    if t.len() > 2_000_000 {
        return None;
    }
    serde_json::from_str(t.trim()).ok()
}

/// Collects `(type, key, value)` for every date key, depth-first, bounded in depth so that
/// hostile nesting cannot exhaust the stack.
fn walk_json_ld(
    v: &serde_json::Value,
    ty: Option<&str>,
    depth: usize,
    out: &mut Vec<(Option<String>, &'static str, String)>,
) {
    if depth > 24 || out.len() > 256 {
        return;
    }
    match v {
        serde_json::Value::Array(items) => {
            for item in items {
                walk_json_ld(item, ty, depth + 1, out);
            }
        }
        serde_json::Value::Object(map) => {
            let own_type = match map.get("@type") {
                Some(serde_json::Value::String(s)) => Some(s.as_str()),
                Some(serde_json::Value::Array(a)) => a.iter().find_map(|t| t.as_str()),
                _ => None,
            }
            .or(ty);
            for key in ["datePublished", "dateCreated", "uploadDate", "dateModified"] {
                if let Some(serde_json::Value::String(s)) = map.get(key) {
                    out.push((own_type.map(str::to_string), key, s.clone()));
                }
            }
            for (k, child) in map {
                // Dates of what the page links to (other articles, comments) are not its own.
                if matches!(
                    k.as_str(),
                    "@graph"
                        | "mainEntity"
                        | "mainEntityOfPage"
                        | "itemListElement"
                        | "hasPart"
                        | "video"
                        | "subjectOf"
                ) {
                    walk_json_ld(child, own_type, depth + 1, out);
                } else if matches!(
                    child,
                    serde_json::Value::Object(_) | serde_json::Value::Array(_)
                ) && !matches!(
                    k.as_str(),
                    "comment"
                        | "review"
                        | "author"
                        | "publisher"
                        | "isPartOf"
                        | "about"
                        | "citation"
                        | "mentions"
                ) {
                    walk_json_ld(child, None, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}
