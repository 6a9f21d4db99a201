//! What an element says about itself through its tag and its `class`, `id` and `itemprop`
//! tokens: whether it is a box whose dates belong to other content (sidebars, comments,
//! "related" lists, site chrome), the article's own container, its header or byline, a
//! date element, or a last-changed marker.
//!
//! These are judgements about one element, never about the tree: the scan in
//! [`super::scan`] combines them along the open elements as it streams through the page,
//! so that each rule is written once and tested here on its own. They run on every
//! element of every page, so each attribute value is searched once, by one automaton,
//! for every word any rule looks for ([`Attrs::new`]).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::sync::LazyLock;

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

/// Whether a class or id value names a boilerplate box.
pub(crate) fn is_boilerplate_name(name: &str) -> bool {
    // Compared without case and without copies: this runs on many elements of every page.
    let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    name.split_whitespace().any(|t| {
        let mut segments = t.split(['-', '_']).filter(|s| !s.is_empty());
        if segments
            .clone()
            .any(|s| LAYOUT_WORDS.iter().any(|w| eq(s, w)))
        {
            return false;
        }
        let contains = |w: &str| {
            t.as_bytes()
                .windows(w.len())
                .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
        };
        segments.any(|s| BOILERPLATE_WORDS.iter().any(|w| eq(s, w)))
            || contains("most-read")
            || contains("more-stories")
            || [
                "footer",
                "site-footer",
                "page-footer",
                "global-footer",
                "footer-wrapper",
            ]
            .iter()
            .any(|w| eq(t, w))
    })
}

/// Word groups the rules look for in `class`, `id` and `itemprop`, ASCII case ignored.
const HEADER: u16 = 1;
const PUBLISHED: u16 = 1 << 1;
/// `update`, `modif`: what makes a publication name a change.
const CHANGE: u16 = 1 << 2;
const MODIFIED: u16 = 1 << 3;
/// What keeps a change name a publication date (`entry-date updated`).
const NOT_MODIFIED: u16 = 1 << 4;
/// Any boilerplate word: the token rules of [`is_boilerplate_name`] then decide.
const BOX: u16 = 1 << 5;
/// A date-line class fragment, in the case [`DATED_CLASS`] lists it.
const DATED: u16 = 1 << 6;
/// A word a container class is made of (`post`, `entry`, `article`): the whole-token
/// rule of [`is_main`] then decides.
const MAIN: u16 = 1 << 7;

const WORDS: &[(&str, u16)] = &[
    ("header", HEADER),
    ("byline", HEADER),
    ("meta", HEADER),
    ("dateline", HEADER),
    ("posted", HEADER | NOT_MODIFIED),
    ("author", HEADER),
    ("info", HEADER),
    ("publish", PUBLISHED | NOT_MODIFIED),
    ("entry-date", PUBLISHED | NOT_MODIFIED),
    ("post-date", PUBLISHED | NOT_MODIFIED),
    ("posted-on", PUBLISHED),
    ("created", PUBLISHED),
    ("article-date", PUBLISHED),
    ("pubdate", PUBLISHED),
    ("update", CHANGE | MODIFIED),
    ("modif", CHANGE | MODIFIED),
    ("lastchange", MODIFIED),
    ("last-change", MODIFIED),
    ("sidebar", BOX),
    ("related", BOX),
    ("comment", BOX),
    ("recent", BOX),
    ("popular", BOX),
    ("trending", BOX),
    ("teaser", BOX),
    ("recommend", BOX),
    ("archive", BOX),
    ("calendar", BOX),
    ("rail", BOX),
    ("breadcrumb", BOX),
    ("nav", BOX),
    ("colophon", BOX),
    ("mostread", BOX),
    ("widgets", BOX),
    ("footer", BOX),
    ("most-read", BOX),
    ("more-stories", BOX),
    ("post", MAIN),
    ("entry", MAIN),
    ("article", MAIN),
];

/// One automaton for every word any rule looks for: [`WORDS`], then [`DATED_CLASS`].
static WORD_FINDER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(WORDS.iter().map(|w| w.0).chain(DATED_CLASS.iter().copied()))
        .expect("valid word list")
});

/// The word groups found in one attribute value.
fn groups(value: Option<&str>) -> u16 {
    value.map_or(0, |v| {
        WORD_FINDER.find_overlapping_iter(v).fold(0, |g, m| {
            let i = m.pattern().as_usize();
            match WORDS.get(i) {
                Some(w) => g | w.1,
                // Date-line fragments compare with case, as CSS `[class*=…]` does.
                None if DATED_CLASS.contains(&&v[m.range()]) => g | DATED,
                None => g,
            }
        })
    })
}

/// The attributes of one element that the rules read, borrowed from the page, with the
/// word groups found in each.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Attrs<'a> {
    pub class: Option<&'a str>,
    pub id: Option<&'a str>,
    pub itemprop: Option<&'a str>,
    pub role: Option<&'a str>,
    groups: [u16; 3],
}

impl<'a> Attrs<'a> {
    pub fn new(
        class: Option<&'a str>,
        id: Option<&'a str>,
        itemprop: Option<&'a str>,
        role: Option<&'a str>,
    ) -> Attrs<'a> {
        Attrs {
            class,
            id,
            itemprop,
            role,
            groups: [groups(class), groups(id), groups(itemprop)],
        }
    }

    /// Whether one of `class`, `id` (and `itemprop`, with `all`) has every group of
    /// `want` and none of `unless`.
    fn one_has(&self, all: bool, want: u16, unless: u16) -> bool {
        let n = if all { 3 } else { 2 };
        self.groups[..n]
            .iter()
            .any(|g| g & want == want && g & unless == 0)
    }
}

/// A box that is boilerplate wherever it stands: `aside`, `nav`, or a boilerplate class
/// or id. (`footer` depends on where it stands: see [`is_footer`].) The page's `html` and
/// `body` describe the whole page ("single-post has-sidebar"), never a box.
pub(crate) fn is_boilerplate_box(tag: &str, a: &Attrs) -> bool {
    !matches!(tag, "body" | "html")
        && (matches!(tag, "aside" | "nav")
            || (a.groups[0] & BOX != 0 && a.class.is_some_and(is_boilerplate_name))
            || (a.groups[1] & BOX != 0 && a.id.is_some_and(is_boilerplate_name)))
}

/// A `<footer>`: the site's when no article encloses it or lies inside it on the way down,
/// else the article's own (where its byline often stands).
pub(crate) fn is_footer(tag: &str) -> bool {
    tag == "footer"
}

/// What kind of box an element is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoxKind {
    /// `aside`, `nav`: boilerplate wherever they stand.
    Tag,
    /// A boilerplate class or id: boilerplate unless it encloses the headline, which
    /// makes it the page's wrapper (`vw-blog-sidebar-position-right` around everything,
    /// a `teaser` figure that is the article's own header).
    Named,
    /// Any `<footer>`: kept out of the page's running text, wherever it stands.
    Footer,
}

pub(crate) fn box_kind(tag: &str, a: &Attrs) -> Option<BoxKind> {
    if matches!(tag, "body" | "html") {
        None
    } else if matches!(tag, "aside" | "nav") {
        Some(BoxKind::Tag)
    } else if is_boilerplate_box(tag, a) {
        Some(BoxKind::Named)
    } else if tag == "footer" {
        Some(BoxKind::Footer)
    } else {
        None
    }
}

/// The article's own container: `article`, `main`, `[role=main]`, `[itemprop=articleBody]`,
/// `.post`, `.entry`, `.article`, `#content`.
pub(crate) fn is_main(tag: &str, a: &Attrs) -> bool {
    matches!(tag, "article" | "main")
        || a.role == Some("main")
        || a.itemprop == Some("articleBody")
        || (a.groups[0] & MAIN != 0
            && a.class.is_some_and(|c| {
                c.split_ascii_whitespace()
                    .any(|t| matches!(t, "post" | "entry" | "article"))
            }))
        || a.id == Some("content")
}

/// A header, byline or meta line: where the article's own `<time>` stands.
pub(crate) fn is_header_named(tag: &str, a: &Attrs) -> bool {
    tag == "header" || a.one_has(false, HEADER, 0)
}

/// Named as the publication date (`entry-date`, `published`, `post-date`, ...) and not as
/// a change.
pub(crate) fn is_published_named(a: &Attrs) -> bool {
    a.one_has(true, PUBLISHED, CHANGE)
}

/// Marked as a modification date: `updated`, `modified`, `lastchanged`, but not a
/// publication date that microformats also mark `updated` (`entry-date updated`).
pub(crate) fn is_modified_marker(a: &Attrs) -> bool {
    a.one_has(true, MODIFIED, NOT_MODIFIED)
}

/// Class fragments of elements that hold a date, a byline or a meta line. Compared with
/// case, as CSS `[class*=…]` does: `Date` and `date` are listed apart where pages use both.
const DATED_CLASS: &[&str] = &[
    "date",
    "Date",
    "byline",
    "Byline",
    "posted",
    "publish",
    "Publish",
    "dateline",
    "timestamp",
    "entry-meta",
    "post-meta",
    "article-meta",
    "meta-info",
    "time",
    "datum",
    "fecha",
    "data-pub",
    "meta",
    "Meta",
    "info",
    "created",
    "submitted",
    "authored",
    "author",
];

/// An element whose text may be a date line: a date, byline or meta class, or a date or
/// byline id.
pub(crate) fn is_dated(a: &Attrs) -> bool {
    a.groups[0] & DATED != 0
        || a.id
            .is_some_and(|i| i.contains("date") || i.contains("byline"))
}

/// `abbr.published[title]`, `abbr.dtstamp[title]`, `span.published[title]`: microformat
/// dates whose machine value is the title.
pub(crate) fn is_microformat_date(tag: &str, a: &Attrs) -> bool {
    let has = |w: &str| {
        a.class
            .is_some_and(|c| c.split_ascii_whitespace().any(|t| t == w))
    };
    match tag {
        "abbr" => has("published") || has("dtstamp"),
        "span" => has("published"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(c: &str) -> Attrs<'_> {
        Attrs::new(Some(c), None, None, None)
    }

    #[test]
    fn boxes_of_other_content_are_boilerplate() {
        for name in [
            "sidebar",
            "related-posts",
            "comment_list",
            "most-read",
            "site-footer",
            "widget breadcrumbs",
        ] {
            assert!(is_boilerplate_name(name), "{name}");
        }
    }

    #[test]
    fn layout_tokens_are_not_boxes() {
        for name in [
            "has-sidebar",
            "no-comments",
            "sticky-sidebar-parent",
            "comment-count",
            "post",
        ] {
            assert!(!is_boilerplate_name(name), "{name}");
        }
    }

    #[test]
    fn the_page_itself_is_never_a_box() {
        assert!(!is_boilerplate_box("body", &class("sidebar")));
        assert!(is_boilerplate_box("div", &class("sidebar")));
        assert!(is_boilerplate_box("aside", &Attrs::default()));
        assert!(
            !is_boilerplate_box("footer", &Attrs::default()),
            "depends on place"
        );
        assert_eq!(box_kind("nav", &class("sidebar")), Some(BoxKind::Tag));
        assert_eq!(box_kind("div", &class("sidebar")), Some(BoxKind::Named));
        assert_eq!(box_kind("footer", &Attrs::default()), Some(BoxKind::Footer));
    }

    #[test]
    fn containers_are_matched_by_whole_tokens() {
        assert!(is_main("div", &class("post single")));
        assert!(!is_main("div", &class("post-list")));
        assert!(is_main("article", &Attrs::default()));
        let content = Attrs::new(None, Some("content"), None, None);
        assert!(is_main("div", &content));
    }

    #[test]
    fn change_markers_leave_microformat_publication_dates_alone() {
        assert!(is_modified_marker(&class("updated")));
        assert!(is_modified_marker(&class("last-modified")));
        assert!(!is_modified_marker(&class("entry-date updated")));
        assert!(is_published_named(&class("entry-date")));
        assert!(!is_published_named(&class("publish-update")));
        assert!(is_header_named(
            "div",
            &Attrs::new(None, Some("Post-Header"), None, None)
        ));
        assert!(!is_header_named(
            "div",
            &Attrs::new(None, None, Some("author"), None)
        ));
        assert!(is_modified_marker(&Attrs::new(
            None,
            None,
            Some("dateModified"),
            None
        )));
    }

    #[test]
    fn dated_classes_compare_with_case() {
        assert!(is_dated(&class("post-Date")));
        assert!(is_dated(&class("byline")));
        assert!(!is_dated(&class("DATE")));
        assert!(is_microformat_date("abbr", &class("dtstamp")));
        assert!(!is_microformat_date("div", &class("published")));
    }
}
