//! The publication date of a page: rules tried from the most to the least reliable, the
//! first that yields a plausible date winning.
//!
//! [`LADDER`] is the whole order in one table, and each rule's evidence name comes from
//! it, so what `inspect` reports as provenance cannot drift from what was tried. The
//! rules read only what [`super::scan`] kept of the page. After the ladder, a date given
//! in UTC takes the day the page shows readers when that day is within reach of some time
//! zone ([`find_date`]).

use super::PageDate;
use super::jsonld::{self, LdDates};
use super::scan::{Page, Text};
use crate::dates::{self, DateContext, FoundDate};
use chrono::DateTime;
use dossier_model::DateSource;
use std::sync::LazyLock;

/// Bytes of text read under the headline: a date line stands right there.
pub(crate) const UNDER_HEADLINE_TEXT: usize = 600;
/// Bytes of the page's visible text searched for its first date.
pub(crate) const PAGE_TEXT_SCANNED: usize = 20_000;

/// What a rule found: the date, and what said so beyond the rule's name (a meta key, a
/// JSON-LD type, an element), put where the name's `{}` stands.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hit {
    pub date: FoundDate,
    pub detail: String,
}

fn hit(date: FoundDate, detail: impl Into<String>) -> Option<Hit> {
    Some(Hit {
        date,
        detail: detail.into(),
    })
}

/// What every rule reads: the scanned page, its URL, how to read dates, and its JSON-LD
/// dates (parsed once, read by three rules).
pub(crate) struct Cx<'a> {
    pub page: &'a Page,
    pub url: Option<&'a str>,
    pub dates: DateContext,
    ld: LdDates,
}

impl<'a> Cx<'a> {
    pub fn new(page: &'a Page, url: Option<&'a str>, dates: DateContext) -> Cx<'a> {
        Cx {
            ld: jsonld::dates(&page.scripts, &dates),
            page,
            url,
            dates,
        }
    }

    fn metas(&self, key: &str) -> impl Iterator<Item = &str> {
        self.page
            .metas
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn machine(&self, s: &str) -> Option<FoundDate> {
        dates::parse_machine(s, &self.dates)
    }

    /// The first full date in a text.
    fn first_in(&self, text: &str) -> Option<FoundDate> {
        dates::find_in_text(text, &self.dates)
            .into_iter()
            .next()
            .map(|(d, _)| d)
    }
}

type Rule = fn(&Cx) -> Option<Hit>;

/// The ladder: evidence name (`{}` takes the rule's detail), where the date comes from,
/// and the rule. A modified date is used only when no published date exists.
pub(crate) const LADDER: &[(&str, DateSource, Rule)] = &[
    ("json-ld {}", DateSource::Page, json_ld_article),
    ("meta {}", DateSource::Page, published_meta),
    ("json-ld {}", DateSource::Page, json_ld_other),
    ("meta {}", DateSource::Page, publication_named_meta),
    ("{}", DateSource::Page, itemprop),
    ("{}", DateSource::Page, marked_time),
    (
        "time[datetime] in the article",
        DateSource::Page,
        header_time,
    ),
    ("{}.published[title]", DateSource::Page, microformat),
    ("meta {}", DateSource::Page, weak_meta),
    ("date in the URL path", DateSource::Url, url_path),
    ("text of {}", DateSource::Page, date_line),
    ("script key {}", DateSource::Page, script_key),
    ("time[datetime]", DateSource::Page, any_time),
    ("text under the headline", DateSource::Page, under_headline),
    ("date in the <title>", DateSource::Page, title),
    ("first date in the page text", DateSource::Page, page_text),
    ("{} (no published date found)", DateSource::Page, modified),
    (
        "first date anywhere in the page text",
        DateSource::Page,
        any_text,
    ),
];

/// The first rule's date, with its evidence, and whether it came from the page's
/// metadata (JSON-LD or meta tags) rather than from what the page shows.
pub(crate) fn find_date_raw(cx: &Cx) -> Option<(PageDate, bool)> {
    LADDER
        .iter()
        .enumerate()
        .find_map(|(i, (name, source, rule))| {
            let h = rule(cx)?;
            let date = PageDate {
                found: h.date,
                source: *source,
                evidence: name.replace("{}", &h.detail),
            };
            Some((date, METADATA_RULES.contains(&i)))
        })
}

/// Ladder places of the rules that read metadata: JSON-LD and meta tags.
const METADATA_RULES: [usize; 5] = [0, 1, 2, 3, 8];

/// Every date the page's metadata gives, published or modified, with its evidence.
fn metadata_dates(cx: &Cx) -> Vec<(FoundDate, String)> {
    let ld = [&cx.ld.article, &cx.ld.other, &cx.ld.modified];
    let mut out: Vec<(FoundDate, String)> = ld
        .into_iter()
        .flatten()
        .map(|h| (h.date, format!("json-ld {}", h.detail)))
        .collect();
    for (k, v) in &cx.page.metas {
        let dated = PUBLISHED_META.contains(&k.as_str())
            || WEAK_META.contains(&k.as_str())
            || MODIFIED_META.contains(&k.as_str())
            || ["publi", "pubdate", "issued", "modif", "updat"]
                .iter()
                .any(|w| k.contains(w));
        if dated && let Some(d) = cx.machine(v) {
            out.push((d, format!("meta {k}")));
        }
    }
    out
}

/// Each rule's answer, for tuning.
pub(crate) fn explain(cx: &Cx) -> Vec<String> {
    let mut out: Vec<String> = LADDER
        .iter()
        .map(|(name, _, rule)| match rule(cx) {
            Some(h) => format!("{:<40} {} {}", name, h.date.local_date, h.detail),
            None => format!("{name:<40} -"),
        })
        .collect();
    let shown: Vec<String> = displayed_dates(cx)
        .iter()
        .map(|d| d.0.local_date.to_string())
        .collect();
    out.push(format!("shown: {shown:?}"));
    let meta: Vec<String> = metadata_dates(cx)
        .iter()
        .map(|(d, e)| format!("{} {e}", d.local_date))
        .collect();
    out.push(format!("metadata: {meta:?}"));
    out
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

fn json_ld_article(cx: &Cx) -> Option<Hit> {
    cx.ld.article.clone()
}

fn json_ld_other(cx: &Cx) -> Option<Hit> {
    cx.ld.other.clone()
}

/// The first of `keys` (in their order) whose value parses.
fn meta_in(cx: &Cx, keys: &[&str]) -> Option<Hit> {
    keys.iter()
        .find_map(|key| cx.metas(key).find_map(|v| hit(cx.machine(v)?, *key)))
}

fn published_meta(cx: &Cx) -> Option<Hit> {
    meta_in(cx, PUBLISHED_META)
}

fn weak_meta(cx: &Cx) -> Option<Hit> {
    meta_in(cx, WEAK_META)
}

/// Site-specific publication meta names (`sw-pubdate`, `publication_date`, `uploadDate`).
fn publication_named_meta(cx: &Cx) -> Option<Hit> {
    cx.page.metas.iter().find_map(|(k, v)| {
        let publication = (k.contains("publi")
            || k.contains("pubdate")
            || k.contains("upload")
            || k.contains("issued")
            || (k.contains("creat") && k.contains("date")))
            && !k.contains("modif")
            && !k.contains("updat")
            && !k.contains("expir");
        if publication {
            hit(cx.machine(v)?, k.as_str())
        } else {
            None
        }
    })
}

/// `itemprop="datePublished"` (or `dateCreated`) on any element.
fn itemprop(cx: &Cx) -> Option<Hit> {
    cx.page.itemprops.iter().find_map(|el| {
        let raw = el.value.as_deref().or(el.text.get())?;
        hit(cx.machine(raw)?, format!("{} itemprop={}", el.tag, el.prop))
    })
}

/// A `<time>`'s date: its `datetime`, else its text.
fn time_value(cx: &Cx, datetime: Option<&str>, text: &Text) -> Option<FoundDate> {
    match datetime {
        Some(dt) => cx.machine(dt),
        None => dates::parse_human(text.get()?, &cx.dates),
    }
}

/// A `<time>` marked as the publication time.
fn marked_time(cx: &Cx) -> Option<Hit> {
    cx.page.times.iter().filter(|t| t.marked).find_map(|t| {
        let how = if t.pubdate {
            "time[pubdate]"
        } else {
            "time marked as published"
        };
        hit(time_value(cx, t.datetime.as_deref(), &t.text)?, how)
    })
}

/// A `<time datetime>` in the article's header or byline, not one in its running text
/// (which dates what the article tells of, not the article).
fn header_time(cx: &Cx) -> Option<Hit> {
    cx.page
        .times
        .iter()
        .filter(|t| t.datetime.is_some() && t.in_header && !t.modified)
        .find_map(|t| hit(time_value(cx, t.datetime.as_deref(), &t.text)?, ""))
}

/// Any `<time datetime>` outside boilerplate.
fn any_time(cx: &Cx) -> Option<Hit> {
    cx.page
        .times
        .iter()
        .filter(|t| t.datetime.is_some() && !t.modified)
        .find_map(|t| hit(time_value(cx, t.datetime.as_deref(), &t.text)?, ""))
}

fn microformat(cx: &Cx) -> Option<Hit> {
    cx.page
        .microformats
        .iter()
        .find_map(|(tag, title)| hit(cx.machine(title)?, tag.as_str()))
}

fn url_path(cx: &Cx) -> Option<Hit> {
    hit(dates::from_url(cx.url?, &cx.dates)?, "")
}

/// Words that introduce the publication date in a date line.
const PUBLISHED_WORDS: &[&str] = &[
    "publ",
    "veröffentlicht",
    "erschienen",
    "publié",
    "publicado",
    "pubblicato",
];

/// Words that make a date line a change or a copyright, when no publication word is there.
const CHANGED_WORDS: &[&str] = &[
    "updated",
    "modified",
    "aktualisiert",
    "mis à jour",
    "actualizado",
    "©",
    "copyright",
];

/// The text of a byline or date element: inside the article first (a masthead's "today"
/// or a ticker is not the article's date), then anywhere.
fn date_line(cx: &Cx) -> Option<Hit> {
    let page = cx.page;
    let inside = page.dated.iter().filter(|el| page.inside_article(el));
    let outside = page.dated.iter().filter(|el| !page.inside_article(el));
    inside
        .chain(outside)
        .filter(|el| !el.modified && el.text.may_hold_date())
        .find_map(|el| {
            let text = el.text.get().filter(|t| t.len() <= 120)?;
            hit(line_date(cx, text)?, format!("{}.{}", el.tag, el.label))
        })
}

/// The publication date a date line gives: "Updated 3 May · Published 1 May" gives the
/// date after the publication word; a line that only tells of a change or a copyright
/// gives none.
fn line_date(cx: &Cx, text: &str) -> Option<FoundDate> {
    let lower = text.to_lowercase();
    let text = match PUBLISHED_WORDS.iter().filter_map(|w| lower.find(w)).min() {
        Some(at) => text.get(at..).unwrap_or(text),
        None if CHANGED_WORDS.iter().any(|w| lower.contains(w)) => return None,
        None => text,
    };
    cx.first_in(text)
}

/// A date a page's scripts carry for it (app state, analytics layers):
/// `"published_at": "..."`, `"datePublished"`, `"first-publication"`, ...
fn script_key(cx: &Cx) -> Option<Hit> {
    static KEY: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r#""(datePublished|published_at|publishedAt|publishedDate|publishDate|publish_date|publicationDate|publication_date|first-publication|firstPublished|pubDate|pubdate|createdAt|created_at|dateCreated)"\s*:\s*"([^"]{6,40})""#,
        )
        .expect("valid regex")
    });
    cx.page
        .scripts
        .iter()
        .filter(|s| !s.oversize)
        .flat_map(|s| KEY.captures_iter(&s.text))
        .find_map(|c| {
            let value = &c[2];
            // Timestamps with a millisecond field after the seconds ("22:06:08:684Z"),
            // tried only when the value does not parse as it is: "11:14:00+01:00" has
            // as many colons.
            let date = cx.machine(value).or_else(|| match value.rfind(':') {
                Some(i) if value.matches(':').count() == 3 => {
                    cx.machine(&format!("{}Z", &value[..i]))
                }
                _ => None,
            })?;
            hit(date, &c[1])
        })
}

/// A date at the start of the article's text, under the headline.
fn under_headline(cx: &Cx) -> Option<Hit> {
    hit(cx.first_in(&cx.page.under_headline)?, "")
}

fn title(cx: &Cx) -> Option<Hit> {
    hit(cx.first_in(cx.page.title.as_deref()?)?, "")
}

/// The first full date in the page's own visible text that no copyright or change notice
/// introduces.
fn page_text(cx: &Cx) -> Option<Hit> {
    first_in_running_text(cx, cx.page.page_text())
}

/// The same in all of the page's text: a date in a box that holds the article's own
/// byline under a name like `teaser_text_meta` is better than none.
fn any_text(cx: &Cx) -> Option<Hit> {
    first_in_running_text(cx, cx.page.all_text())
}

fn first_in_running_text(cx: &Cx, text: &str) -> Option<Hit> {
    dates::find_in_text(text, &cx.dates)
        .into_iter()
        .find(|(_, r)| {
            // Only the last words before the date are read: lowercasing all that precedes
            // each date of a long text made this quadratic.
            let before = &text[text.floor_char_boundary(r.start.saturating_sub(32))..r.start];
            let before = before.to_lowercase();
            let tail = &before[before.floor_char_boundary(before.len().saturating_sub(24))..];
            !["©", "copyright", "update", "aktualisiert"]
                .iter()
                .any(|w| tail.contains(w))
        })
        .and_then(|(d, _)| hit(d, ""))
}

/// Modified dates, when nothing else dated the page.
fn modified(cx: &Cx) -> Option<Hit> {
    if let Some(h) = &cx.ld.modified {
        return hit(h.date, format!("json-ld {}", h.detail));
    }
    if let Some(h) = meta_in(cx, MODIFIED_META) {
        return hit(h.date, format!("meta {}", h.detail));
    }
    let named = cx
        .page
        .metas
        .iter()
        .filter(|(k, _)| k.contains("modif") || k.contains("updat"))
        .find_map(|(k, v)| hit(cx.machine(v)?, format!("meta {k}")));
    named.or_else(|| {
        cx.page
            .dated
            .iter()
            .filter(|el| el.modified)
            .find_map(|el| {
                let text = el.text.get().filter(|t| t.len() <= 250)?;
                hit(cx.first_in(text)?, "text of a last-changed element")
            })
    })
}

/// The page's date, with the day readers see: metadata in UTC can fall on the next (or
/// previous) day from the one the page shows, so when a date the page displays is within
/// a day of it, the displayed day is the one kept (the instant stays).
pub(crate) fn find_date(cx: &Cx) -> Option<PageDate> {
    let (mut date, metadata) = find_date_raw(cx)?;
    if metadata && let Some(shown) = corroborated(cx, &date) {
        return Some(shown);
    }
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
            let minutes = |t: DateTime<chrono::Utc>| t.timestamp().div_euclid(60);
            let shift = minutes(d.instant) - minutes(date.found.instant);
            d.has_time
                && d.local_date != date.found.local_date
                && shift % 15 == 0
                && (-12 * 60..=14 * 60).contains(&shift)
        };
        let shown: Vec<FoundDate> = displayed_dates(cx).into_iter().map(|d| d.0).collect();
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

/// Metadata often disagrees with itself (a JSON-LD date from the first version, a meta
/// date of the republished one) and with the page: when the day the page shows first is
/// more than a day from the chosen one, another metadata date of that day is the one the
/// page stands by; without one, the shown day itself when it is the later one.
fn corroborated(cx: &Cx, chosen: &PageDate) -> Option<PageDate> {
    let shown = displayed_dates(cx);
    let (first, label) = shown.first()?;
    let near = |d: &FoundDate| (d.local_date - first.local_date).num_days().abs() <= 1;
    if near(&chosen.found) {
        return None;
    }
    if let Some((found, evidence)) = metadata_dates(cx)
        .into_iter()
        .find(|(d, _)| d.local_date == first.local_date)
    {
        return Some(PageDate {
            found,
            source: DateSource::Page,
            evidence: format!("{evidence} (the day the page shows)"),
        });
    }
    // A revised or republished page shows its new day while its metadata keeps the
    // first one; a day shown *before* the metadata's is another article's (a list, a
    // teaser), since no page is dated before it was written.
    (first.local_date > chosen.found.local_date).then(|| PageDate {
        found: *first,
        source: DateSource::Page,
        evidence: format!(
            "{label} (the day the page shows; its metadata says {})",
            chosen.found.local_date
        ),
    })
}

/// Dates the page shows to readers: `<time>` text, then byline or date elements, outside
/// boilerplate and change markers; at most twenty.
fn displayed_dates(cx: &Cx) -> Vec<(FoundDate, String)> {
    let page = cx.page;
    let shown = |text: &Text| cx.first_in(text.get().filter(|t| t.len() <= 200)?);
    let times = page
        .times
        .iter()
        .filter(|t| !t.modified && t.text.may_hold_date())
        .filter_map(|t| Some((shown(&t.text)?, "text of time".to_string())));
    // Date lines inside the article first: a masthead's "today" is no date of the page.
    let inside = page.dated.iter().filter(|d| page.inside_article(d));
    let outside = page.dated.iter().filter(|d| !page.inside_article(d));
    let lines = inside
        .chain(outside)
        .filter(|d| !d.modified && d.text.may_hold_date())
        .filter_map(|d| Some((shown(&d.text)?, format!("text of {}.{}", d.tag, d.label))));
    times.chain(lines).take(20).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::scan::scan;
    use chrono::{TimeZone, Utc};

    fn date(html: &str, url: Option<&str>) -> Option<(String, String)> {
        let page = scan(html);
        let dates = DateContext {
            day_first: Some(true),
            ..DateContext::new(Utc.with_ymd_and_hms(2026, 5, 22, 12, 0, 0).unwrap())
        };
        find_date(&Cx::new(&page, url, dates)).map(|d| (d.found.local_date.to_string(), d.evidence))
    }

    fn day(html: &str) -> Option<String> {
        date(html, None).map(|d| d.0)
    }

    #[test]
    fn every_rule_has_a_distinct_place_and_a_name() {
        assert_eq!(
            LADDER.last().map(|s| s.0),
            Some("first date anywhere in the page text")
        );
        for i in METADATA_RULES {
            assert!(
                matches!(LADDER[i].0, "json-ld {}" | "meta {}"),
                "{}",
                LADDER[i].0
            );
        }
        let metadata = LADDER
            .iter()
            .filter(|s| s.0.starts_with("json-ld") || s.0.starts_with("meta"))
            .count();
        assert_eq!(metadata, METADATA_RULES.len());
        let url_rules = LADDER.iter().filter(|s| s.1 == DateSource::Url).count();
        assert_eq!(url_rules, 1);
    }

    #[test]
    fn json_ld_outranks_meta_tags() {
        let html = r#"<meta property="article:published_time" content="2026-05-01T10:00:00+02:00">
            <script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2026-05-02T10:00:00+02:00"}</script>"#;
        assert_eq!(
            date(html, None),
            Some((
                "2026-05-02".into(),
                "json-ld NewsArticle.datePublished".into()
            ))
        );
    }

    #[test]
    fn meta_keys_are_tried_in_the_table_order() {
        let html = r#"<meta name="dc.date" content="2026-04-01"><meta property="article:published_time" content="2026-05-01">"#;
        assert_eq!(
            date(html, None),
            Some(("2026-05-01".into(), "meta article:published_time".into()))
        );
    }

    #[test]
    fn a_date_line_reads_the_date_after_the_publication_word() {
        let html = "<article><h1>T</h1><p class=byline>Updated 3 May 2026 · Published 1 May 2026</p></article>";
        assert_eq!(
            date(html, None),
            Some(("2026-05-01".into(), "text of p.byline".into()))
        );
        let changed = "<article><h1>T</h1><p class=byline>Updated 3 May 2026</p></article>";
        let got = date(changed, None).map(|d| d.1);
        assert_eq!(
            got.as_deref(),
            Some("text under the headline"),
            "not the date line"
        );
    }

    #[test]
    fn date_lines_inside_the_article_come_first() {
        let html = "<div class=masthead-date>21 May 2026</div>\
                    <article><h1>T</h1><span class=date>2 May 2026</span></article>";
        assert_eq!(day(html).as_deref(), Some("2026-05-02"));
    }

    #[test]
    fn the_url_date_comes_before_body_text() {
        let got = date(
            "<body><p>Written 3 May 2026</p></body>",
            Some("https://x.example/2026/05/01/story"),
        );
        assert_eq!(
            got,
            Some(("2026-05-01".into(), "date in the URL path".into()))
        );
    }

    #[test]
    fn page_text_passes_over_copyright_and_update_notices() {
        let html = "<body><p>Copyright 1 January 2026. Last update: 4 May 2026.</p>\
                    <p>The meeting on 2 May 2026 ran late.</p></body>";
        assert_eq!(
            date(html, None),
            Some(("2026-05-02".into(), "first date in the page text".into()))
        );
    }

    #[test]
    fn script_keys_read_offsets_and_millisecond_fields() {
        let html = r#"<body><p>x</p><script>var s = {"createdAt":"2022-01-31T15:58:43+01:00"}</script></body>"#;
        assert_eq!(
            date(html, None),
            Some(("2022-01-31".into(), "script key createdAt".into()))
        );
        let ms = r#"<script>x={"published_at":"2022-02-01T22:06:08:684Z"}</script>"#;
        assert_eq!(day(ms).as_deref(), Some("2022-02-01"));
    }

    #[test]
    fn the_day_the_page_shows_settles_disagreeing_metadata() {
        let html = r#"<meta name="date" content="2026-05-04"><script type="application/ld+json">
            {"@type":"NewsArticle","datePublished":"2026-01-10T10:00:00+01:00"}</script>
            <article><h1>T</h1><span class=date>4 May 2026</span></article>"#;
        let (d, evidence) = date(html, None).unwrap();
        assert_eq!(d, "2026-05-04");
        assert_eq!(evidence, "meta date (the day the page shows)");
        let republished = r#"<meta property="article:published_time" content="2026-01-10">
            <article><h1>T</h1><span class=date>4 May 2026</span></article>"#;
        assert_eq!(day(republished).as_deref(), Some("2026-05-04"));
        let teaser = r#"<meta property="article:published_time" content="2026-05-10">
            <article><h1>T</h1><span class=date>4 January 2026</span></article>"#;
        assert_eq!(
            day(teaser).as_deref(),
            Some("2026-05-10"),
            "an earlier day is another's"
        );
    }

    #[test]
    fn a_date_in_a_box_is_better_than_none() {
        let html = "<body><div class=teaser_text_meta>Peter / 07.11.2023 / 09:30</div>\
                    <h1>T</h1><p>Text</p></body>";
        assert_eq!(
            date(html, None),
            Some((
                "2023-11-07".into(),
                "first date anywhere in the page text".into()
            ))
        );
    }

    #[test]
    fn modified_dates_are_the_last_resort() {
        let html = r#"<meta property="article:modified_time" content="2026-05-03"><body><p>no dates</p></body>"#;
        assert_eq!(
            date(html, None),
            Some((
                "2026-05-03".into(),
                "meta article:modified_time (no published date found)".into()
            ))
        );
    }

    #[test]
    fn a_utc_instant_takes_the_day_the_page_shows() {
        let html = r#"<meta property="article:published_time" content="2026-05-02T02:00:00Z">
            <article><h1>T</h1><time>1 May 2026</time></article>"#;
        let (d, evidence) = date(html, None).unwrap();
        assert_eq!(d, "2026-05-01");
        assert!(
            evidence.ends_with("(day as shown on the page)"),
            "{evidence}"
        );
        let far = r#"<meta property="article:published_time" content="2026-05-02T20:00:00Z">
            <article><h1>T</h1><time>1 May 2026</time></article>"#;
        assert_eq!(
            day(far).as_deref(),
            Some("2026-05-02"),
            "no zone is that far behind"
        );
    }

    #[test]
    fn a_time_in_running_text_is_not_the_articles() {
        let html = "<article><h1>T</h1><p>The vote on <time datetime='2026-03-01'>1 March</time>.</p>\
                    <div class=byline>By A. Writer, 4 May 2026</div></article>";
        assert_eq!(day(html).as_deref(), Some("2026-05-04"));
    }
}
