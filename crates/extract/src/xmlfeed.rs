//! RSS (0.90, 0.91–0.94, 1.0, 1.1, 2.0) and Atom (0.3, 1.0) documents read into raw items.
//!
//! One mapping for every XML format, read from the balanced token stream of
//! [`crate::xml`], element by element, the way careful readers read feeds:
//!
//! - **The root says the format** (`rss`, `rdf:RDF`, RSS 1.1's `Channel`, Atom's `feed`),
//!   and elements in no namespace, or in the root's own default namespace whatever its URI,
//!   are that format's elements. Names match without regard to case (`pubdate`).
//! - **Every field is read on its own.** A value that does not parse (a date, a base64
//!   text, a content type nobody knows) costs that field, never the item or the feed; an
//!   item with several candidates for one field takes the first that gives a value, in the
//!   order of [`Slot`].
//! - **Nothing is invented**: no id is made up for an item without one (the normalizer
//!   derives a deterministic identity instead), but what the feed does say is used: a
//!   permalink `<guid>`, an Atom `id` or an RDF `rdf:about` that is a URL stands in for a
//!   missing link, as the specs intend.
//! - **A cut-off document keeps what was complete**: items before the cut, and the fields of
//!   the cut item whose elements closed (a field cut in half is dropped).

use crate::text::{collapse_ws, html_to_text, truncate_chars};
use crate::xml::{Element, Ns, Token, Tokens};
use crate::{ExtractError, MAX_ITEMS_PER_DOCUMENT, MAX_SUMMARY_CHARS, ParsedFeed, has_scheme};
use dossier_model::RawItem;
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Rss,
    Atom,
}

/// Where a field's value came from, in order of preference within each field: the first
/// slot of a field that holds a value wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
enum Slot {
    Title,
    DcTitle,
    MediaTitle,
    ItunesTitle,
    Description,
    AtomSummary,
    ContentEncoded,
    AtomContent,
    XhtmlBody,
    DcDescription,
    MediaDescription,
    ItunesSummary,
    ItunesSubtitle,
    RssAuthor,
    AtomAuthor,
    DcCreator,
    ItunesAuthor,
    PubDate,
    DcDate,
    DctermsIssued,
    DctermsCreated,
    AtomPublished,
    AtomUpdated,
    DctermsModified,
    RssLink,
    OrigLink,
    Guid,
    AtomId,
    /// Feed level: the channel's title, link and `<ttl>`, and an Atom feed's author.
    FeedTitle,
    FeedLink,
    FeedTtl,
    FeedAuthor,
}

const SLOTS: usize = Slot::FeedAuthor as usize + 1;
const TITLES: &[Slot] = &[
    Slot::Title,
    Slot::DcTitle,
    Slot::MediaTitle,
    Slot::ItunesTitle,
];
const SUMMARIES: &[Slot] = &[
    Slot::Description,
    Slot::AtomSummary,
    Slot::ContentEncoded,
    Slot::AtomContent,
    Slot::XhtmlBody,
    Slot::DcDescription,
    Slot::MediaDescription,
    Slot::ItunesSummary,
    Slot::ItunesSubtitle,
];
const AUTHORS: &[Slot] = &[
    Slot::RssAuthor,
    Slot::AtomAuthor,
    Slot::DcCreator,
    Slot::ItunesAuthor,
];
const PUBLISHED: &[Slot] = &[
    Slot::PubDate,
    Slot::DcDate,
    Slot::DctermsIssued,
    Slot::DctermsCreated,
    Slot::AtomPublished,
];
/// An Atom document's own date elements come before the Dublin Core ones it may carry.
const ATOM_PUBLISHED: &[Slot] = &[
    Slot::AtomPublished,
    Slot::PubDate,
    Slot::DcDate,
    Slot::DctermsIssued,
    Slot::DctermsCreated,
];
const UPDATED: &[Slot] = &[Slot::AtomUpdated, Slot::DctermsModified];

/// How an element's content becomes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Plain text (children's text included, their tags dropped).
    Text,
    /// HTML source: Atom `type="html"`; markup children are copied through.
    Html,
    /// RSS text, which never says what it is: HTML when it looks like HTML (a tag HTML
    /// knows, or a character reference), else text, so `<gorilla>` in a title stays.
    Untyped,
    /// Inline XHTML: every child is markup, every text is literal.
    Xhtml,
    /// Base64 (Atom 0.3 `mode="base64"`, or an Atom text typed with a binary media type),
    /// then HTML or text.
    Base64 { html: bool },
    /// Read nothing (Atom content given by `src`).
    Skip,
}

/// An element whose content is being read into a slot.
struct Capture<'a> {
    slot: Slot,
    mode: Mode,
    depth: usize,
    buf: String,
    /// Markup children open inside it (HTML and XHTML modes).
    children: Vec<&'a str>,
}

impl<'a> Capture<'a> {
    fn child_start(&mut self, el: &Element<'a>) {
        if matches!(self.mode, Mode::Html | Mode::Untyped | Mode::Xhtml) {
            self.buf.push('<');
            self.buf.push_str(el.local);
            self.buf.push_str(el.raw_attrs());
            self.buf.push('>');
        }
        self.children.push(el.local);
    }

    fn child_end(&mut self) {
        let name = self.children.pop().unwrap_or_default();
        if matches!(self.mode, Mode::Html | Mode::Untyped | Mode::Xhtml) {
            self.buf.push_str("</");
            self.buf.push_str(name);
            self.buf.push('>');
        }
    }

    fn text(&mut self, t: &str) {
        // Text directly inside an HTML field is HTML source already; text inside a markup
        // child, or anywhere in XHTML, is literal and is escaped to stay so.
        let literal = match self.mode {
            Mode::Html | Mode::Untyped => !self.children.is_empty(),
            Mode::Xhtml => true,
            _ => false,
        };
        if literal {
            for c in t.chars() {
                match c {
                    '&' => self.buf.push_str("&amp;"),
                    '<' => self.buf.push_str("&lt;"),
                    '>' => self.buf.push_str("&gt;"),
                    c => self.buf.push(c),
                }
            }
        } else {
            self.buf.push_str(t);
        }
    }

    /// The value as plain text (for titles, summaries, authors).
    fn into_text(self) -> Option<String> {
        let text = match self.mode {
            Mode::Text => collapse_ws(&self.buf),
            Mode::Untyped if !self.children.is_empty() || looks_like_html(&self.buf) => {
                html_to_text(&self.buf)
            }
            Mode::Untyped => collapse_ws(&self.buf),
            Mode::Html | Mode::Xhtml => html_to_text(&self.buf),
            Mode::Base64 { html } => match base64_text(&self.buf) {
                Some(t) if html => html_to_text(&t),
                Some(t) => collapse_ws(&t),
                // Not base64 after all: what it says as it is.
                None => collapse_ws(&self.buf),
            },
            Mode::Skip => return None,
        };
        let text = match crate::charset::undo_double_encoding(&text) {
            Some(fixed) => fixed,
            None => text,
        };
        Some(text).filter(|t| !t.is_empty())
    }
}

/// Whether RSS text (which never says what it is) reads as HTML: it holds a character
/// reference, or a tag of an element HTML has. Text with neither is shown as it is, as
/// careful readers do, so that `Nice <gorilla>` keeps its gorilla.
fn looks_like_html(s: &str) -> bool {
    if !s.contains('<') {
        return true;
    }
    let bytes = s.as_bytes();
    let mut refs = memchr::memchr_iter(b'&', bytes);
    if refs.any(|at| {
        let rest = &bytes[at + 1..];
        let name = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'#')
            .count();
        name > 0 && rest.get(name) == Some(&b';')
    }) {
        return true;
    }
    memchr::memchr_iter(b'<', bytes).any(|at| {
        let rest = &s[at + 1..];
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let mut buf = [0u8; 16];
        HTML_ELEMENTS.contains(&lower(&rest[..end], &mut buf))
    })
}

/// The elements of HTML (and the obsolete ones feeds still carry).
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "li",
    "link",
    "main",
    "mark",
    "meta",
    "nav",
    "noscript",
    "object",
    "ol",
    "p",
    "param",
    "picture",
    "pre",
    "q",
    "s",
    "samp",
    "script",
    "section",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
];

fn base64_text(s: &str) -> Option<String> {
    use base64::Engine as _;
    let compact: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// A link the document gives, with the base it resolves against.
struct Link {
    href: String,
    base: Option<Rc<url::Url>>,
}

/// An Atom `<link>`.
struct AtomLink {
    link: Link,
    rel: Rel,
    /// How good a link to follow it is; see [`atom_link`].
    rank: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Alternate,
    /// `related`, `via`, `enclosure`: a resource the entry is about.
    Related,
    Other,
}

fn rel_of(el: &Element) -> Rel {
    let rel = el.attr("rel");
    let rel = rel.as_deref().map(str::trim).unwrap_or("");
    let rel = rel
        .strip_prefix("http://www.iana.org/assignments/relation/")
        .unwrap_or(rel);
    match rel.to_ascii_lowercase().as_str() {
        "" | "alternate" => Rel::Alternate,
        "related" | "via" | "enclosure" => Rel::Related,
        _ => Rel::Other,
    }
}

/// One item as read so far.
#[derive(Default)]
struct Draft {
    slots: [Option<String>; SLOTS],
    /// Where the slot that holds a link or id had its base.
    rss_link_base: Option<Rc<url::Url>>,
    rss_link_href: Option<Link>,
    atom_links: Vec<AtomLink>,
    /// The guid's `isPermaLink`: absent (`None`, a permalink when it is a URL), or said.
    permalink: Option<bool>,
    guid_base: Option<Rc<url::Url>>,
    about: Option<String>,
    enclosure: Option<Link>,
    base: Option<Rc<url::Url>>,
}

impl Draft {
    fn set(&mut self, slot: Slot, value: String) {
        let s = &mut self.slots[slot as usize];
        if s.is_none() {
            *s = Some(value);
        }
    }

    fn first(&self, slots: &[Slot]) -> Option<&str> {
        slots
            .iter()
            .find_map(|s| self.slots[*s as usize].as_deref())
    }

    fn take_first(&mut self, slots: &[Slot]) -> Option<String> {
        slots.iter().find_map(|s| self.slots[*s as usize].take())
    }

    /// Whether the item has what a reader could cite: a link, an id standing for one,
    /// a title or a text.
    fn citable(&self) -> bool {
        self.first(TITLES).is_some()
            || self.first(SUMMARIES).is_some()
            || self.first(&[Slot::RssLink, Slot::OrigLink]).is_some()
            || !self.atom_links.is_empty()
    }
}

/// What the element at hand is to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vocab {
    Rss,
    Atom,
    Rdf,
    Dc,
    DcTerms,
    Content,
    Media,
    Itunes,
    Feedburner,
    Xhtml,
    Other,
}

fn vocab_of(el: &Element, format: Format) -> Vocab {
    match (el.ns, format) {
        (Ns::Main, Format::Rss) => Vocab::Rss,
        (Ns::Main, Format::Atom) => Vocab::Atom,
        // An RSS document whose default namespace is Atom's (a common slip) still names
        // its own elements.
        (Ns::Atom, Format::Rss) if !el.prefixed => Vocab::Rss,
        (Ns::Atom, _) => Vocab::Atom,
        (Ns::Rdf, _) => Vocab::Rdf,
        (Ns::Dc, _) => Vocab::Dc,
        (Ns::DcTerms, _) => Vocab::DcTerms,
        (Ns::Content, _) => Vocab::Content,
        (Ns::Media, _) => Vocab::Media,
        (Ns::Itunes, _) => Vocab::Itunes,
        (Ns::Feedburner, _) => Vocab::Feedburner,
        (Ns::Xhtml, _) => Vocab::Xhtml,
        (Ns::Other, _) => Vocab::Other,
    }
}

/// How an Atom text construct (or Atom 0.3's) is to be read, from its `type` and `mode`.
fn atom_mode(el: &Element, content: bool) -> Mode {
    if content && el.attr("src").is_some() {
        return Mode::Skip;
    }
    let ty = el
        .attr("type")
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let htmlish = ty.contains("html");
    match el
        .attr("mode")
        .map(|m| m.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("base64") => return Mode::Base64 { html: htmlish },
        Some("escaped") => return Mode::Html,
        _ => {}
    }
    match ty.as_str() {
        "" | "text" | "text/plain" => Mode::Text,
        "html" | "text/html" => Mode::Html,
        "xhtml" | "application/xhtml+xml" => Mode::Xhtml,
        t if t.starts_with("text/") => Mode::Text,
        t if t.ends_with("+xml") || t.ends_with("/xml") => Mode::Xhtml,
        _ => Mode::Base64 { html: false },
    }
}

/// Media RSS texts say `type="html"` or (the default) `plain`.
fn media_mode(el: &Element) -> Mode {
    match el.attr("type").as_deref().map(str::trim) {
        Some(t) if t.eq_ignore_ascii_case("html") => Mode::Html,
        _ => Mode::Text,
    }
}

/// The slot and mode of an element directly inside an item (or inside a media group).
fn item_field(el: &Element, vocab: Vocab) -> Option<(Slot, Mode)> {
    let mut buf = [0u8; 16];
    Some(match (vocab, lower(el.local, &mut buf)) {
        (Vocab::Rss, "title") => (Slot::Title, Mode::Untyped),
        (Vocab::Rss, "link") => (Slot::RssLink, Mode::Text),
        (Vocab::Rss, "description") => (Slot::Description, Mode::Untyped),
        (Vocab::Rss, "author") => (Slot::RssAuthor, Mode::Text),
        (Vocab::Rss, "pubdate") => (Slot::PubDate, Mode::Text),
        (Vocab::Rss, "guid") => (Slot::Guid, Mode::Text),
        // Old engines' full-text elements: an XHTML `body` written without its
        // namespace, and `fullitem`.
        (Vocab::Rss, "body") => (Slot::XhtmlBody, Mode::Untyped),
        (Vocab::Rss, "fullitem") => (Slot::ContentEncoded, Mode::Untyped),
        (Vocab::Atom, "title") => (Slot::Title, atom_mode(el, false)),
        (Vocab::Atom, "summary") => (Slot::AtomSummary, atom_mode(el, false)),
        (Vocab::Atom, "content") => (Slot::AtomContent, atom_mode(el, true)),
        (Vocab::Atom, "id") => (Slot::AtomId, Mode::Text),
        (Vocab::Atom, "published" | "issued" | "created") => (Slot::AtomPublished, Mode::Text),
        (Vocab::Atom, "updated" | "modified") => (Slot::AtomUpdated, Mode::Text),
        (Vocab::Dc, "title") => (Slot::DcTitle, Mode::Untyped),
        (Vocab::Dc, "description") => (Slot::DcDescription, Mode::Untyped),
        (Vocab::Dc, "creator") => (Slot::DcCreator, Mode::Text),
        (Vocab::Dc, "date") => (Slot::DcDate, Mode::Text),
        (Vocab::DcTerms, "issued") => (Slot::DctermsIssued, Mode::Text),
        (Vocab::DcTerms, "created") => (Slot::DctermsCreated, Mode::Text),
        (Vocab::DcTerms, "modified") => (Slot::DctermsModified, Mode::Text),
        (Vocab::Content, "encoded") => (Slot::ContentEncoded, Mode::Html),
        (Vocab::Media, "title") => (Slot::MediaTitle, media_mode(el)),
        (Vocab::Media, "description") => (Slot::MediaDescription, media_mode(el)),
        (Vocab::Itunes, "title") => (Slot::ItunesTitle, Mode::Text),
        (Vocab::Itunes, "summary") => (Slot::ItunesSummary, Mode::Text),
        (Vocab::Itunes, "subtitle") => (Slot::ItunesSubtitle, Mode::Text),
        (Vocab::Itunes, "author") => (Slot::ItunesAuthor, Mode::Text),
        (Vocab::Feedburner, "origlink") => (Slot::OrigLink, Mode::Text),
        (Vocab::Xhtml, "body" | "div") => (Slot::XhtmlBody, Mode::Xhtml),
        _ => return None,
    })
}

/// An element name in ASCII lower case, in `buf`; names longer than any this reader
/// knows come back empty.
fn lower<'b>(name: &str, buf: &'b mut [u8; 16]) -> &'b str {
    let Some(out) = buf.get_mut(..name.len()) else {
        return "";
    };
    out.copy_from_slice(name.as_bytes());
    out.make_ascii_lowercase();
    std::str::from_utf8(out).unwrap_or("")
}

/// The state of one document's reading.
struct Reader<'a> {
    format: Format,
    channel: Option<usize>,
    item: Option<(usize, Draft)>,
    feed: Draft,
    capture: Option<Capture<'a>>,
    /// An Atom person construct (`author`) open at this depth: its `name` is the author.
    person: Option<usize>,
    /// A subtree nobody reads (an Atom entry's `source`), open at this depth.
    skip: Option<usize>,
    items: Vec<(Draft, bool)>,
    /// Item elements seen, read or not.
    elements: usize,
}

/// Reads an RSS or Atom document. `base` is the URL it came from.
pub(crate) fn parse(doc: &str, base: Option<&str>) -> Result<ParsedFeed, ExtractError> {
    let mut tokens = Tokens::new(doc, base);
    let mut r: Option<Reader> = None;
    while let Some(token) = tokens.next() {
        let depth = tokens.depth();
        match token {
            Token::Start(el) => match &mut r {
                None => {
                    let format = if el.is("rss") || el.is("rdf") || el.is("channel") {
                        Format::Rss
                    } else if el.is("feed") {
                        Format::Atom
                    } else {
                        return Err(ExtractError::NotAFeed(
                            "no RSS, Atom, RDF or JSON Feed root element".into(),
                        ));
                    };
                    // RSS 1.1's root is its channel; Atom's root is its feed.
                    let channel = (el.is("channel") || el.is("feed")).then_some(depth);
                    r = Some(Reader {
                        format,
                        channel,
                        item: None,
                        feed: Draft {
                            base: el.base.clone(),
                            ..Draft::default()
                        },
                        capture: None,
                        person: None,
                        skip: None,
                        items: Vec::new(),
                        elements: 0,
                    });
                }
                Some(r) => r.start(&el, depth),
            },
            // The depth an element had is one more than what is open once it ended.
            Token::End { complete } => {
                if let Some(r) = &mut r {
                    r.end(depth + 1, complete);
                }
            }
            Token::Text(t) => {
                if let Some(c) = r.as_mut().and_then(|r| r.capture.as_mut()) {
                    c.text(&t);
                }
            }
        }
    }
    let Some(r) = r else {
        return Err(ExtractError::NotAFeed(
            "no RSS, Atom, RDF or JSON Feed root element".into(),
        ));
    };
    let mut warnings = tokens.repairs.warnings();
    if tokens.repairs.cut_off {
        warnings.push("the document is cut off; kept what was complete before the cut".into());
    }
    Ok(r.finish(warnings))
}

impl<'a> Reader<'a> {
    fn start(&mut self, el: &Element<'a>, depth: usize) {
        if self.skip.is_some() {
            return;
        }
        if let Some(c) = &mut self.capture {
            c.child_start(el);
            return;
        }
        let vocab = vocab_of(el, self.format);
        let item_depth = self.item.as_ref().map(|(d, _)| *d);
        if let Some(at) = item_depth {
            self.item_child(el, vocab, depth, at);
            return;
        }
        let is_item = match vocab {
            Vocab::Rss => el.is("item"),
            Vocab::Atom => el.is("entry"),
            _ => false,
        };
        if is_item || el.is("item") || el.is("entry") {
            self.elements += 1;
        }
        if is_item {
            let mut draft = Draft {
                base: el.base.clone(),
                ..Draft::default()
            };
            draft.about = el.attr("about").map(|a| a.trim().to_string());
            // CDF (the format RSS grew out of) gives an item's link as its `href`.
            draft.rss_link_href = el
                .attr("href")
                .filter(|h| !h.trim().is_empty())
                .map(|h| Link {
                    href: h.trim().to_string(),
                    base: el.base.clone(),
                });
            self.item = Some((depth, draft));
            return;
        }
        if vocab == Vocab::Rss && el.is("channel") && self.channel.is_none() {
            self.channel = Some(depth);
            return;
        }
        if self.channel.is_some_and(|c| depth == c + 1) {
            self.feed_child(el, vocab, depth);
        } else if self.person.is_some_and(|p| depth == p + 1)
            && vocab == Vocab::Atom
            && el.is("name")
        {
            self.begin(Slot::FeedAuthor, Mode::Text, depth);
        }
    }

    fn feed_child(&mut self, el: &Element<'a>, vocab: Vocab, depth: usize) {
        let is = |n: &str| el.is(n);
        match vocab {
            Vocab::Rss | Vocab::Atom if is("title") => {
                let mode = if vocab == Vocab::Atom {
                    atom_mode(el, false)
                } else {
                    Mode::Untyped
                };
                self.begin(Slot::FeedTitle, mode, depth);
            }
            Vocab::Rss if is("link") => {
                self.feed.rss_link_base = el.base.clone();
                self.begin(Slot::FeedLink, Mode::Text, depth);
            }
            Vocab::Rss if is("ttl") => self.begin(Slot::FeedTtl, Mode::Text, depth),
            Vocab::Atom if is("link") => {
                if let Some(link) = atom_link(el) {
                    self.feed.atom_links.push(link);
                }
            }
            Vocab::Atom if is("author") => self.person = Some(depth),
            _ => {}
        }
    }

    fn item_child(&mut self, el: &Element<'a>, vocab: Vocab, depth: usize, at: usize) {
        let Some((_, draft)) = &mut self.item else {
            return;
        };
        if vocab == Vocab::Atom && el.is("source") {
            self.skip = Some(depth);
            return;
        }
        if self.person.is_some_and(|p| depth == p + 1) {
            if vocab == Vocab::Atom && el.is("name") {
                self.begin(Slot::AtomAuthor, Mode::Text, depth);
            }
            return;
        }
        let direct = depth == at + 1;
        // Media RSS nests its texts in `media:group` and `media:content`.
        let media_text = vocab == Vocab::Media && (el.is("title") || el.is("description"));
        if !direct && !media_text {
            return;
        }
        match vocab {
            Vocab::Atom if el.is("link") => {
                if let Some(link) = atom_link(el) {
                    draft.atom_links.push(link);
                }
                return;
            }
            Vocab::Atom if el.is("author") => {
                self.person = Some(depth);
                return;
            }
            Vocab::Rss if el.is("enclosure") => {
                if let Some(url) = el.attr("url").filter(|u| !u.trim().is_empty()) {
                    draft.enclosure.get_or_insert(Link {
                        href: url.trim().to_string(),
                        base: el.base.clone(),
                    });
                }
                return;
            }
            Vocab::Rss if el.is("link") => {
                draft.rss_link_base = el.base.clone();
                if let Some(href) = el.attr("href").filter(|h| !h.trim().is_empty()) {
                    draft.rss_link_href.get_or_insert(Link {
                        href: href.trim().to_string(),
                        base: el.base.clone(),
                    });
                }
            }
            Vocab::Rss if el.is("guid") => {
                draft.guid_base = el.base.clone();
                draft.permalink = el
                    .attr("ispermalink")
                    .map(|v| !v.trim().eq_ignore_ascii_case("false"));
            }
            _ => {}
        }
        if let Some((slot, mode)) = item_field(el, vocab) {
            self.begin(slot, mode, depth);
        }
    }

    fn begin(&mut self, slot: Slot, mode: Mode, depth: usize) {
        self.capture = Some(Capture {
            slot,
            mode,
            depth,
            buf: String::new(),
            children: Vec::new(),
        });
    }

    fn end(&mut self, depth: usize, complete: bool) {
        if let Some(s) = self.skip {
            if s == depth {
                self.skip = None;
            }
            return;
        }
        if let Some(c) = &mut self.capture {
            if c.depth < depth {
                c.child_end();
                return;
            }
            let c = self.capture.take().expect("capture is open");
            if complete {
                self.store(c);
            }
            return;
        }
        if self.person == Some(depth) {
            self.person = None;
        }
        if self.item.as_ref().is_some_and(|(d, _)| *d == depth)
            && let Some((_, draft)) = self.item.take()
        {
            self.items.push((draft, complete));
        }
        if self.channel == Some(depth) {
            self.channel = None;
        }
    }

    fn store(&mut self, c: Capture<'a>) {
        let slot = c.slot;
        let target = match &mut self.item {
            Some((_, draft)) if !matches!(slot, Slot::FeedAuthor) => draft,
            _ => &mut self.feed,
        };
        let value = match slot {
            Slot::RssLink
            | Slot::OrigLink
            | Slot::Guid
            | Slot::AtomId
            | Slot::FeedLink
            | Slot::FeedTtl
            | Slot::PubDate
            | Slot::DcDate
            | Slot::DctermsIssued
            | Slot::DctermsCreated
            | Slot::AtomPublished
            | Slot::AtomUpdated
            | Slot::DctermsModified => Some(c.buf.trim().to_string()).filter(|v| !v.is_empty()),
            Slot::RssAuthor => c.into_text().map(|a| crate::author_name(&a)),
            _ => c.into_text(),
        };
        if let Some(v) = value {
            target.set(slot, v);
        }
    }

    fn finish(self, mut warnings: Vec<String>) -> ParsedFeed {
        let mut feed = self.feed;
        let home_base = feed.base.clone();
        let home = feed
            .take_first(&[Slot::FeedLink])
            .map(|href| Link {
                href,
                base: feed.rss_link_base.clone().or(home_base.clone()),
            })
            .or_else(|| pick_atom(&mut feed.atom_links, Rel::Alternate))
            .and_then(|l| resolve(l, None))
            .and_then(|h| url::Url::parse(&h).ok());
        let feed_author = feed.take_first(&[Slot::FeedAuthor]);
        let total = self.items.len();
        let unread = self.elements.saturating_sub(total);
        if unread > 0 {
            warnings.push(format!(
                "left {unread} of {} item element(s) unread: not items of the document's format (nested in another item, or in a foreign namespace)",
                self.elements
            ));
        }
        if total > MAX_ITEMS_PER_DOCUMENT {
            warnings.push(format!(
                "kept the first {MAX_ITEMS_PER_DOCUMENT} of {total} items"
            ));
        }
        let items: Vec<RawItem> = self
            .items
            .into_iter()
            .filter(|(d, complete)| *complete || d.citable())
            .take(MAX_ITEMS_PER_DOCUMENT)
            .map(|(d, _)| raw_item(d, home.as_ref(), self.format, feed_author.as_deref()))
            .collect();
        ParsedFeed {
            title: feed.take_first(&[Slot::FeedTitle]),
            ttl_mins: feed
                .take_first(&[Slot::FeedTtl])
                .and_then(|t| t.parse().ok()),
            items,
            warnings,
            elements: self.elements,
        }
    }
}

fn atom_link(el: &Element) -> Option<AtomLink> {
    let href = el.attr("href")?;
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let ty = el.attr("type").map(|t| t.to_ascii_lowercase());
    // A web page said to be one beats an untyped link, which beats any other type; and a
    // link a browser opens beats one it does not (gemini:, ftp:).
    let page = match ty {
        Some(t) if t.contains("html") => 2,
        None => 1,
        Some(_) => 0,
    };
    let web = !has_scheme(href) || is_web_url(href);
    Some(AtomLink {
        link: Link {
            href: href.to_string(),
            base: el.base.clone(),
        },
        rel: rel_of(el),
        rank: u8::from(web) * 3 + page,
    })
}

/// The best Atom link of `rel` (the first of the best when several tie).
fn pick_atom(links: &mut Vec<AtomLink>, rel: Rel) -> Option<Link> {
    let best = links
        .iter()
        .filter(|l| l.rel == rel)
        .map(|l| l.rank)
        .max()?;
    let at = links.iter().position(|l| l.rel == rel && l.rank == best)?;
    Some(links.remove(at).link)
}

/// A link made absolute against its base (or the feed's home page when it had none);
/// an absolute link stays as written.
fn resolve(link: Link, home: Option<&url::Url>) -> Option<String> {
    let href = link.href;
    if href.is_empty() {
        return None;
    }
    if has_scheme(&href) {
        return Some(href);
    }
    match link.base.as_deref().or(home) {
        Some(base) => Some(base.join(&href).map_or(href, String::from)),
        None => Some(href),
    }
}

fn is_web_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn raw_item(
    mut d: Draft,
    home: Option<&url::Url>,
    format: Format,
    feed_author: Option<&str>,
) -> RawItem {
    let date = |d: &mut Draft, slots: &[Slot]| {
        slots.iter().find_map(|s| {
            d.slots[*s as usize]
                .take()
                .and_then(|v| crate::dates::parse_feed_timestamp(&v))
        })
    };
    let published = date(
        &mut d,
        match format {
            Format::Rss => PUBLISHED,
            Format::Atom => ATOM_PUBLISHED,
        },
    );
    let updated = date(&mut d, UPDATED);
    let guid = d.slots[Slot::Guid as usize].clone();
    let atom_id = d.slots[Slot::AtomId as usize].clone();
    let base = d.base.clone();
    let orig = d
        .take_first(&[Slot::OrigLink])
        .filter(|l| is_web_url(l))
        .map(|href| Link { href, base: None });
    let rss_link = d
        .take_first(&[Slot::RssLink])
        .map(|href| Link {
            href,
            base: d.rss_link_base.clone(),
        })
        .or(d.rss_link_href.take());
    // Permalink guids, Atom ids and RDF resources that are web addresses stand for a link
    // the item does not give; a guid that says it is a permalink may be a relative one.
    let guid_link = guid
        .as_ref()
        .filter(|g| match d.permalink {
            None => is_web_url(g),
            Some(said) => said,
        })
        .map(|g| Link {
            href: g.clone(),
            base: d.guid_base.clone(),
        });
    let id_link = atom_id.as_ref().filter(|i| is_web_url(i)).map(|i| Link {
        href: i.clone(),
        base: None,
    });
    let about_link = d.about.as_ref().filter(|a| is_web_url(a)).map(|a| Link {
        href: a.clone(),
        base: None,
    });
    let origin = orig.and_then(|l| resolve(l, None));
    let link = rss_link
        .or_else(|| pick_atom(&mut d.atom_links, Rel::Alternate))
        .or(guid_link)
        .or(id_link)
        .or(about_link)
        .or_else(|| pick_atom(&mut d.atom_links, Rel::Related))
        .or(d.enclosure.take())
        .and_then(|mut l| {
            l.base = l.base.or_else(|| base.clone());
            resolve(l, home)
        });
    let author = d.take_first(AUTHORS).or_else(|| {
        (format == Format::Atom)
            .then(|| feed_author.map(str::to_string))
            .flatten()
    });
    RawItem {
        guid: guid
            .or(atom_id)
            .or(d.about.take())
            .filter(|g| !g.is_empty()),
        // An origLink with no link of its own is the link.
        origin: origin.clone().filter(|_| link.is_some()),
        link: link.or(origin),
        title: d.take_first(TITLES),
        summary: d
            .take_first(SUMMARIES)
            .map(|s| truncate_chars(s, MAX_SUMMARY_CHARS)),
        author,
        published,
        updated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(doc: &str) -> Vec<RawItem> {
        parse(doc, Some("https://feed.example/rss")).unwrap().items
    }

    #[test]
    fn a_default_namespace_on_the_root_is_the_formats_own() {
        for ns in [
            "http://backend.userland.com/rss2",
            "https://cyber.harvard.edu/rss/rss.html",
            "http://made-up.example/ns",
        ] {
            let doc = format!(
                r#"<rss version="2.0" xmlns="{ns}"><channel><item><title>A</title><link>https://a.example/1</link></item></channel></rss>"#
            );
            let got = items(&doc);
            assert_eq!(got.len(), 1, "{ns}");
            assert_eq!(got[0].title.as_deref(), Some("A"));
        }
        let rss090 = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
            <channel><title>heise</title><link>https://heise.example/</link></channel>
            <item><title>Eins</title><link>https://heise.example/1</link></item>
            <item><title>Zwei</title><link>https://heise.example/2</link></item></rdf:RDF>"#;
        let got = parse(rss090, None).unwrap();
        assert_eq!(got.title.as_deref(), Some("heise"));
        assert_eq!(got.items.len(), 2);
    }

    #[test]
    fn a_permalink_guid_or_a_url_id_stands_for_a_missing_link() {
        let doc = r#"<rss version="2.0"><channel>
            <item><title>A</title><guid>https://a.example/1</guid></item>
            <item><title>B</title><guid isPermaLink="true">https://a.example/2</guid></item>
            <item><title>C</title><guid isPermaLink="false">https://a.example/3</guid></item>
            <item><title>D</title><guid>tag:a.example,2026:4</guid></item>
            <item><title>E</title><guid isPermaLink="true">/blog/5</guid></item>
            </channel></rss>"#;
        let links: Vec<_> = items(doc).into_iter().map(|i| i.link).collect();
        assert_eq!(
            links,
            [
                Some("https://a.example/1".to_string()),
                Some("https://a.example/2".to_string()),
                None,
                None,
                Some("https://feed.example/blog/5".to_string())
            ]
        );
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title><id>https://a.example/e</id></entry></feed>"#;
        assert_eq!(items(atom)[0].link.as_deref(), Some("https://a.example/e"));
    }

    #[test]
    fn one_bad_field_costs_the_field_not_the_feed() {
        let doc = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
            <item><title>A</title><media:description/><pubDate>not a date</pubDate><link>https://a.example/1</link></item>
            </channel></rss>"#;
        let got = items(doc);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].published, None);
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title><id>x</id>
            <content type="application/x-made-up">@@@</content><summary type="bogus/type">Sum</summary></entry></feed>"#;
        let got = items(atom);
        assert_eq!(got[0].title.as_deref(), Some("A"));
        assert_eq!(got[0].summary.as_deref(), Some("Sum"));
    }

    #[test]
    fn titles_come_from_dc_and_media_when_the_item_has_none() {
        let doc = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"><channel>
            <item><dc:title>From DC</dc:title></item>
            <item><media:group><media:title>From media</media:title></media:group></item>
            <item><media:title type="html">&lt;b&gt;Bold&lt;/b&gt; media</media:title></item>
            </channel></rss>"#;
        let titles: Vec<_> = items(doc).into_iter().map(|i| i.title).collect();
        assert_eq!(
            titles,
            [
                Some("From DC".to_string()),
                Some("From media".to_string()),
                Some("Bold media".to_string())
            ]
        );
    }

    #[test]
    fn undeclared_prefixes_and_lower_case_names_are_read() {
        let doc = r#"<rss version="2.0"><channel><item><title>A</title>
            <pubdate>Tue, 10 Mar 2026 08:00:00 GMT</pubdate><dc:creator>Jo</dc:creator></item></channel></rss>"#;
        let got = items(doc);
        assert_eq!(
            got[0].published.map(|d| d.to_rfc3339()),
            Some("2026-03-10T08:00:00+00:00".to_string())
        );
        assert_eq!(got[0].author.as_deref(), Some("Jo"));
    }

    #[test]
    fn rdf_about_is_the_guid_and_the_fallback_link() {
        let doc = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
            <channel rdf:about="https://r.example/"><title>R</title></channel>
            <item rdf:about="https://r.example/1"><title>One</title></item></rdf:RDF>"#;
        let got = items(doc);
        assert_eq!(got[0].guid.as_deref(), Some("https://r.example/1"));
        assert_eq!(got[0].link.as_deref(), Some("https://r.example/1"));
    }

    #[test]
    fn rss_11_is_read() {
        let doc = r#"<Channel xmlns="http://purl.org/net/rss1.1#" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:about="https://r.example/">
            <title>R 1.1</title><link>https://r.example/</link>
            <items rdf:parseType="Collection">
              <item rdf:about="https://r.example/a"><title>A</title><link>https://r.example/a</link></item>
              <item rdf:about="https://r.example/b"><title>B</title><link>https://r.example/b</link></item>
            </items></Channel>"#;
        let got = parse(doc, None).unwrap();
        assert_eq!(got.title.as_deref(), Some("R 1.1"));
        assert_eq!(got.items.len(), 2);
        assert_eq!(got.items[1].link.as_deref(), Some("https://r.example/b"));
    }

    #[test]
    fn a_cut_inside_cdata_keeps_the_complete_fields_of_the_cut_item() {
        let doc = "<rss version=\"2.0\"><channel><item><title>A</title><link>https://a.example/1</link></item>\
            <item><title>B</title><link>https://a.example/2</link><pubDate>Tue, 10 Mar 2026 08:00:00 GMT</pubDate><description><![CDATA[half a";
        let got = parse(doc, None).unwrap();
        assert_eq!(got.items.len(), 2);
        assert_eq!(got.items[1].title.as_deref(), Some("B"));
        assert_eq!(got.items[1].summary, None);
        assert!(got.items[1].published.is_some());
        assert!(got.warnings.iter().any(|w| w.contains("cut off")));
    }

    #[test]
    fn mismatched_and_stray_end_tags_lose_nothing() {
        let doc = r#"<rss version="2.0"><channel></b><item><title>A</i></title><link>https://a.example/1</link></item>
            <item><title>B</x></title><link>https://a.example/2</item></channel></rss>"#;
        let got = items(doc);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].title.as_deref(), Some("A"));
        // An element its parent's end closes is complete: the link is read.
        assert_eq!(got[1].title.as_deref(), Some("B"));
        assert_eq!(got[1].link.as_deref(), Some("https://a.example/2"));
    }

    #[test]
    fn xhtml_and_html_texts_become_plain_text() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id>
            <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Fish &amp; <b>chips</b></div></title>
            <summary type="html">&lt;p&gt;a &amp;amp; b&lt;/p&gt;</summary></entry></feed>"#;
        let got = items(atom);
        assert_eq!(got[0].title.as_deref(), Some("Fish & chips"));
        assert_eq!(got[0].summary.as_deref(), Some("a & b"));
    }

    #[test]
    fn an_entrys_source_does_not_lend_it_a_title() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id>
            <source><title>Other feed</title><link href="https://other.example/"/></source>
            <link href="https://a.example/1"/></entry></feed>"#;
        let got = items(atom);
        assert_eq!(got[0].title, None);
        assert_eq!(got[0].link.as_deref(), Some("https://a.example/1"));
    }

    #[test]
    fn the_best_alternate_link_wins() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>A</title>
            <link rel="alternate" type="application/pdf" href="https://a.example/1.pdf"/>
            <link href="gemini://a.example/1"/>
            <link href="https://a.example/1"/>
            <link rel="alternate" type="text/html" href="https://a.example/1.html"/></entry>
            <entry><id>2</id><title>B</title><link rel="alternate" type="application/pdf" href="https://a.example/2.pdf"/></entry></feed>"#;
        let links: Vec<_> = items(atom).into_iter().map(|i| i.link).collect();
        assert_eq!(
            links,
            [
                Some("https://a.example/1.html".to_string()),
                Some("https://a.example/2.pdf".to_string())
            ]
        );
    }

    #[test]
    fn rss_text_is_html_only_when_it_looks_like_html() {
        let doc = r#"<rss version="2.0"><channel>
            <item><title>Nice &#x3C;gorilla&#x3E; what's he weigh?</title></item>
            <item><title>&lt;b&gt;Bold&lt;/b&gt; news</title></item>
            <item><title>AT&amp;amp;T &lt;3 you</title></item>
            </channel></rss>"#;
        let titles: Vec<_> = items(doc).into_iter().map(|i| i.title).collect();
        assert_eq!(
            titles,
            [
                Some("Nice <gorilla> what's he weigh?".to_string()),
                Some("Bold news".to_string()),
                Some("AT&T <3 you".to_string())
            ]
        );
    }

    #[test]
    fn a_double_encoded_field_is_decoded_once_more() {
        let doc = "<rss version=\"2.0\"><channel><item><title>Grupo FÃ³rmula</title></item>\
            <item><title>Fórmula</title></item></channel></rss>";
        let titles: Vec<_> = items(doc).into_iter().map(|i| i.title).collect();
        assert_eq!(
            titles,
            [
                Some("Grupo Fórmula".to_string()),
                Some("Fórmula".to_string())
            ]
        );
    }

    #[test]
    fn atom_entries_take_the_feeds_author() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><author><name>Feed Author</name></author>
            <entry><id>1</id><title>A</title></entry>
            <entry><id>2</id><title>B</title><author><name>Own</name></author></entry></feed>"#;
        let got = items(atom);
        assert_eq!(got[0].author.as_deref(), Some("Feed Author"));
        assert_eq!(got[1].author.as_deref(), Some("Own"));
    }
}
