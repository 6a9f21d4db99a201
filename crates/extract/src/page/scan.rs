//! One streaming pass over an article page that keeps what dating and describing it can
//! use: meta tags, scripts (JSON-LD and inline app state), the title, canonical links, and
//! the candidates the body offers (`<time>`, `itemprop` dates, microformats, byline and
//! date elements, the text under the headline, the page's visible text).
//!
//! Why streaming and not a document tree: building an html5ever tree took about two
//! thirds of the time per page, and dating needs very little of the tree: for each
//! element, a few facts about the elements that enclose it (is any of them a sidebar, a
//! comment box, the article, its header?). The tokenizer (lol_html) keeps the stack of
//! open elements; this module keeps one [`Frame`] of those facts per open element, pushed
//! at its start tag and popped at its end tag. An element closed without an end tag
//! (`<li>`, `<p>`) stays open until an enclosing element's end tag pops it, as the
//! tokenizer's own stack does; that can only make an element look nested deeper than a
//! browser would put it, which the rules here tolerate.
//!
//! Everything kept is bounded: element texts are read up to [`ELEMENT_TEXT`] bytes,
//! the visible text up to [`PAGE_TEXT`], scripts up to [`SCRIPT_TEXT`], and frames
//! deeper than [`MAX_DEPTH`] are not tracked, so a hostile page costs time linear in its
//! size.

use super::boilerplate::{self, Attrs, BoxKind};
use lol_html::html_content::{Element, TextChunk, TextType};
use lol_html::{HtmlRewriter, Settings, doc_text, element};
use std::cell::{OnceCell, RefCell};
use std::ops::Range;
use std::rc::Rc;

/// Raw bytes of an element's text kept (its decoded text is at most this long); longer
/// texts are marked too long, since no date line is.
pub(crate) const ELEMENT_TEXT: usize = 1024;
/// Raw bytes of visible text kept for the page-text rule.
const PAGE_TEXT: usize = 1 << 20;
/// Bytes of one script kept; a larger one is app code, not data about the page.
const SCRIPT_TEXT: usize = 2_000_000;
/// Open elements tracked; deeper ones are read as part of the deepest tracked one.
const MAX_DEPTH: usize = 512;
/// Elements of each kind kept as date candidates: enough for any real page.
const MAX_CANDIDATES: usize = 2_000;

/// A `<time>` outside boilerplate.
#[derive(Debug, Default)]
pub(crate) struct TimeEl {
    pub datetime: Option<String>,
    pub pubdate: bool,
    pub text: Text,
    /// Itself or one of its three nearest ancestors is named as the publication date.
    pub marked: bool,
    /// In a header or byline of the article container (not in its running text).
    pub in_header: bool,
    pub modified: bool,
    place: Place,
}

/// Where a candidate stands, for the boilerplate judgement made once the headline (and
/// so which boxes are the page's wrappers) is known.
#[derive(Debug, Default, Clone, Copy)]
struct Place {
    /// Index into the chain of enclosing boxes.
    boxes: u32,
    /// Under a site footer.
    footer: bool,
}

/// An element named as a date, byline or meta line.
#[derive(Debug, Default)]
pub(crate) struct DatedEl {
    pub tag: String,
    /// Its first class token (else its id), for the evidence.
    pub label: String,
    pub text: Text,
    pub modified: bool,
    /// Open main containers at its start, as an index into [`Page::mains`].
    mains: u32,
    place: Place,
}

/// An element with `itemprop="datePublished"` or `"dateCreated"`.
#[derive(Debug, Default)]
pub(crate) struct ItemPropEl {
    pub tag: String,
    pub prop: String,
    /// `datetime`, else `content`; else the text is read.
    pub value: Option<String>,
    pub text: Text,
}

/// A script: its `type` (trimmed, lowercased) and its text.
#[derive(Debug, Default)]
pub(crate) struct Script {
    pub kind: Option<String>,
    pub text: String,
    /// Longer than [`SCRIPT_TEXT`]: its text is not kept.
    pub oversize: bool,
}

/// An element's text: its text nodes joined by spaces, white space collapsed, entities
/// decoded; `None` when longer than [`ELEMENT_TEXT`]. Kept raw and made readable only
/// when a rule reads it: most pages are dated before their date lines are read.
#[derive(Debug, Default, Clone)]
pub(crate) struct Text {
    raw: String,
    read: OnceCell<Option<String>>,
}

impl Text {
    fn new(raw: String) -> Text {
        Text {
            raw,
            read: OnceCell::new(),
        }
    }

    /// Whether the text may hold a date at all: every date pattern has digits, and most
    /// byline and meta texts have none, so most are never decoded.
    pub fn may_hold_date(&self) -> bool {
        self.raw.bytes().any(|b| b.is_ascii_digit())
    }

    pub fn get(&self) -> Option<&str> {
        self.read
            .get_or_init(|| {
                (self.raw.len() <= ELEMENT_TEXT)
                    .then(|| crate::text::collapse_ws(&decode_entities(&self.raw)))
            })
            .as_deref()
    }
}

/// What the scan kept of a page.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub lang: Option<String>,
    pub base: Option<String>,
    /// The first `<title>`'s text (present, possibly empty, when there is one).
    pub title: Option<String>,
    /// The first `<h1>`'s text.
    pub h1: Option<String>,
    /// `href`s of `<link rel=canonical>`, in order.
    pub canonical: Vec<String>,
    /// `(key, content)` of every `<meta content>`: the key is `property`, else `name`,
    /// else `itemprop`, trimmed and lowercased.
    pub metas: Vec<(String, String)>,
    pub scripts: Vec<Script>,
    pub itemprops: Vec<ItemPropEl>,
    pub times: Vec<TimeEl>,
    /// Microformat dates outside boilerplate: tag and `title`.
    pub microformats: Vec<(String, String)>,
    microformat_places: Vec<Place>,
    pub dated: Vec<DatedEl>,
    /// Text from the headline (the first `<h1>` outside boilerplate) on, within its
    /// article container; without a headline, from the start of the first container.
    pub under_headline: String,
    /// The page's visible text, raw, with the article container's stretch of it and the
    /// stretches inside boxes, for [`Page::page_text`] and [`Page::all_text`].
    visible: String,
    scope: Range<usize>,
    boxed: Vec<Range<usize>>,
    page_text: OnceCell<String>,
    all_text: OnceCell<String>,
    /// Chain of open main containers: `(frame id, parent index)`.
    mains: Vec<(u32, u32)>,
    /// The article container's frame id, once known.
    article: Option<u32>,
}

impl Page {
    /// The visible text of the article container (else of the whole page), links, forms
    /// and boilerplate left out; at most [`super::ladder::PAGE_TEXT_SCANNED`] bytes.
    pub fn page_text(&self) -> &str {
        self.page_text.get_or_init(|| {
            let Range { start, end } = self.scope;
            let mut kept = String::new();
            let mut at = start;
            for r in &self.boxed {
                if r.end <= start || r.start >= end {
                    continue;
                }
                kept.push_str(&self.visible[at..r.start.max(at)]);
                at = r.end.min(end);
                if kept.len() > super::ladder::PAGE_TEXT_SCANNED {
                    break;
                }
            }
            if at < end {
                kept.push_str(&self.visible[at..end]);
            }
            readable(&kept)
        })
    }

    /// The visible text of the whole page, boxes included (links and forms still left
    /// out): the last place a date is looked for.
    pub fn all_text(&self) -> &str {
        self.all_text.get_or_init(|| readable(&self.visible))
    }

    /// Whether a dated element stands inside the article container.
    pub fn inside_article(&self, el: &DatedEl) -> bool {
        let Some(article) = self.article else {
            return false;
        };
        let mut at = el.mains;
        while let Some(&(id, parent)) = self.mains.get(at as usize) {
            if id == article {
                return true;
            }
            at = parent;
        }
        false
    }
}

const NONE: u32 = u32::MAX;

/// Facts about one open element and what encloses it.
#[derive(Debug, Clone, Copy)]
struct Frame {
    id: u32,
    /// The innermost enclosing box (`aside`, `nav`, a sidebar or comments class, a
    /// footer), as an index into `State::boxes`.
    boxes: u32,
    /// Under a site `<footer>` (no article on the way down to here).
    footer: bool,
    /// Itself or an ancestor is an `<article>`.
    article: bool,
    /// In `script`, `style`, `noscript` or `template`: no visible text.
    hidden: bool,
    /// In a link or form control: its dates are other pages'.
    linked: bool,
    /// Itself a link or form control.
    link: bool,
    /// Walking up from a child of this element: a header-named element is met before the
    /// nearest main container (`header_seen`), or a main container is met at all (`main_above`).
    header_seen: bool,
    main_above: bool,
    published_named: bool,
    /// Index into `Page::mains` of the innermost open main container.
    mains: u32,
    /// Byte offset in the visible text where this element starts.
    text_start: usize,
    /// Text collectors this element opened (popped with it).
    collectors: u8,
}

impl Frame {
    fn place(&self) -> Place {
        Place {
            boxes: self.boxes,
            footer: self.footer,
        }
    }
}

const ROOT: Frame = Frame {
    id: NONE,
    boxes: NONE,
    footer: false,
    article: false,
    hidden: false,
    linked: false,
    link: false,
    header_seen: false,
    main_above: false,
    published_named: false,
    mains: NONE,
    text_start: 0,
    collectors: 0,
};

/// Where an element's raw text goes.
#[derive(Debug, Clone, Copy)]
enum Target {
    Title,
    H1,
    Time(usize),
    Dated(usize),
    ItemProp(usize),
}

#[derive(Default)]
struct State {
    /// Script bodies were taken out of the page beforehand ([`super::lean`]) and are
    /// filled in by the element handler, not read from the text.
    bodies_given: bool,
    page: Page,
    stack: Vec<Frame>,
    next_id: u32,
    /// Raw text being read for elements still open: where it goes, and the text so far.
    collecting: Vec<(Target, String)>,
    /// Headline state: seen at all, and the depth of the container its text is read in.
    headline_seen: bool,
    under_headline_depth: Option<usize>,
    /// Text from the first container's start, for a page that has no headline, and
    /// whether that container is still open.
    first_container: Option<String>,
    first_container_depth: Option<usize>,
    first_container_range: Option<(u32, Range<usize>)>,
    headline_container_range: Option<(u32, Range<usize>)>,
    html_seen: bool,
    title_done: bool,
    h1_done: bool,
    /// Enclosing boxes: `(frame id, parent index, kind)`.
    boxes: Vec<(u32, u32, BoxKind)>,
    /// Named boxes that enclose the headline: the page's wrappers, not boilerplate.
    wrappers: Vec<u32>,
    /// Main containers met, in order, with where they stand and their visible text.
    mains_met: Vec<(u32, Place, Range<usize>)>,
    /// Stretches of visible text inside some box, judged at the end: `(range, boxes)`.
    boxed_text: Vec<(Range<usize>, u32)>,
}

/// The first [`super::ladder::PAGE_TEXT_SCANNED`] bytes of raw text, decoded and collapsed.
fn readable(raw: &str) -> String {
    let cut = raw.floor_char_boundary(raw.len().min(super::ladder::PAGE_TEXT_SCANNED));
    crate::text::collapse_ws(&decode_entities(&raw[..cut]))
}

/// Main containers remembered for the article fallback; the first few decide.
const MAX_MAINS: usize = 64;

impl State {
    fn top(&self) -> Frame {
        self.stack.last().copied().unwrap_or(ROOT)
    }

    /// Whether a chain of boxes holds one that counts: `aside`/`nav`, a named box that is
    /// not a wrapper, and (`strict`, for running text) any footer.
    fn boxed(&self, mut at: u32, strict: bool) -> bool {
        while let Some(&(id, parent, kind)) = self.boxes.get(at as usize) {
            let counts = match kind {
                BoxKind::Tag => true,
                BoxKind::Named => !self.wrappers.contains(&id),
                BoxKind::Footer => strict,
            };
            if counts {
                return true;
            }
            at = parent;
        }
        false
    }

    fn boilerplate(&self, p: Place) -> bool {
        p.footer || self.boxed(p.boxes, false)
    }

    /// Opens an element: its frame, and whether it was pushed. Void elements, those past
    /// [`MAX_DEPTH`] and those whose frame would be their parent's (most `p`, `span`,
    /// `li`, `div`: no rule reads their class or tag) are not, which spares most elements
    /// a frame and an end-tag handler.
    fn open(&mut self, tag: &str, a: &Attrs, void: bool, significant: bool) -> (Frame, bool) {
        let link = matches!(tag, "a" | "option" | "select" | "button");
        if matches!(tag, "a" | "option" | "button") {
            self.end_open_link();
        }
        let parent = self.top();
        let id = self.next_id;
        self.next_id += 1;
        let main = boilerplate::is_main(tag, a);
        let article = parent.article || tag == "article";
        let boxes = match boilerplate::box_kind(tag, a) {
            Some(kind) => {
                self.boxes.push((id, parent.boxes, kind));
                (self.boxes.len() - 1) as u32
            }
            None => parent.boxes,
        };
        let footer = if tag == "article" {
            false
        } else {
            parent.footer || (boilerplate::is_footer(tag) && !parent.article)
        };
        let header_named = boilerplate::is_header_named(tag, a);
        let mains = if main {
            self.page.mains.push((id, parent.mains));
            (self.page.mains.len() - 1) as u32
        } else {
            parent.mains
        };
        let frame = Frame {
            id,
            boxes,
            footer,
            article,
            hidden: parent.hidden || matches!(tag, "script" | "style" | "noscript" | "template"),
            linked: parent.linked || link,
            link,
            main_above: main || parent.main_above,
            header_seen: if header_named {
                main || parent.main_above
            } else if main {
                false
            } else {
                parent.header_seen
            },
            published_named: boilerplate::is_published_named(a),
            mains,
            text_start: self.page.visible.len(),
            collectors: 0,
        };
        // A frame the same as its parent's in every fact tells nothing: not pushed.
        let same = frame.boxes == parent.boxes
            && frame.footer == parent.footer
            && frame.article == parent.article
            && frame.hidden == parent.hidden
            && frame.linked == parent.linked
            && frame.header_seen == parent.header_seen
            && frame.main_above == parent.main_above
            && frame.mains == parent.mains
            && !frame.published_named
            && !link;
        let pushed = !void && (significant || !same) && self.stack.len() < MAX_DEPTH;
        if main && pushed && self.mains_met.len() < MAX_MAINS {
            self.mains_met
                .push((id, frame.place(), frame.text_start..usize::MAX));
        }
        if main && pushed && !self.boilerplate(frame.place()) && self.first_container.is_none() {
            self.first_container = Some(String::new());
            self.first_container_depth = Some(self.stack.len());
            self.first_container_range = Some((id, frame.text_start..usize::MAX));
        }
        if pushed {
            self.stack.push(frame);
        }
        (frame, pushed)
    }

    /// A link inside a link ends the outer one, as HTML parsers do (`<a><div><a>`): what
    /// follows is no longer in the outer link, though its frame stays for its end tag.
    fn end_open_link(&mut self) {
        let Some(d) = self.stack.iter().rposition(|f| f.link) else {
            return;
        };
        let outer = d.checked_sub(1).is_some_and(|p| self.stack[p].linked);
        for f in &mut self.stack[d..] {
            f.linked = outer;
            f.link = false;
        }
    }

    /// Pops the element `id` opened at `depth`, and whatever it left open.
    fn close(&mut self, depth: usize, id: u32) {
        if self.stack.get(depth).is_none_or(|f| f.id != id) {
            return;
        }
        self.close_from(depth);
    }

    fn close_from(&mut self, depth: usize) {
        let end = self.page.visible.len();
        for frame in self.stack.drain(depth..).rev() {
            for _ in 0..frame.collectors {
                if let Some((target, raw)) = self.collecting.pop() {
                    finish_text(&mut self.page, target, raw);
                }
            }
            let ranges = [
                &mut self.first_container_range,
                &mut self.headline_container_range,
            ];
            let met = self.mains_met.iter_mut().map(|(id, _, r)| (*id, r));
            for (id, range) in ranges
                .into_iter()
                .flatten()
                .map(|(id, r)| (*id, r))
                .chain(met)
            {
                if id == frame.id && range.end == usize::MAX {
                    range.end = end;
                }
            }
        }
        if self.under_headline_depth.is_some_and(|d| d >= depth) {
            self.under_headline_depth = None;
        }
        if self.first_container_depth.is_some_and(|d| d >= depth) {
            self.first_container_depth = None;
        }
    }

    fn collect(&mut self, target: Target) {
        if let Some(top) = self.stack.last_mut() {
            top.collectors += 1;
            self.collecting.push((target, String::new()));
        }
    }

    fn text(&mut self, t: &str, kind: TextType, last: bool) {
        if matches!(kind, TextType::ScriptData) {
            if let Some(s) = self.page.scripts.last_mut()
                && !s.oversize
                && !self.bodies_given
            {
                if s.text.len() + t.len() > SCRIPT_TEXT {
                    s.oversize = true;
                    s.text = String::new();
                } else {
                    s.text.push_str(t);
                }
            }
            return;
        }
        if !matches!(kind, TextType::Data | TextType::RCData) {
            return;
        }
        let top = self.top();
        if top.hidden && !matches!(kind, TextType::RCData) {
            return;
        }
        for (_, raw) in &mut self.collecting {
            if raw.len() <= ELEMENT_TEXT {
                raw.push_str(t);
                if last {
                    raw.push(' ');
                }
            }
        }
        if matches!(kind, TextType::RCData) {
            return;
        }
        let push = |s: &mut String| {
            s.push_str(t);
            if last {
                s.push(' ');
            }
        };
        let boilerplate = self.boilerplate(top.place());
        if self.under_headline_depth.is_some() && !boilerplate {
            let s = &mut self.page.under_headline;
            if s.len() <= super::ladder::UNDER_HEADLINE_TEXT {
                push(s);
            }
        }
        if self.first_container_depth.is_some()
            && !boilerplate
            && let Some(s) = self.first_container.as_mut()
            && s.len() <= super::ladder::UNDER_HEADLINE_TEXT
        {
            push(s);
        }
        if !top.linked && self.page.visible.len() <= PAGE_TEXT {
            let start = self.page.visible.len();
            push(&mut self.page.visible);
            if top.boxes != NONE {
                let end = self.page.visible.len();
                match self.boxed_text.last_mut() {
                    Some((r, b)) if r.end == start && *b == top.boxes => r.end = end,
                    _ => self.boxed_text.push((start..end, top.boxes)),
                }
            }
        }
    }
}

/// The element's raw text, decoded and collapsed, goes where it was asked for.
fn finish_text(page: &mut Page, target: Target, raw: String) {
    let text = Text::new(raw);
    match target {
        Target::Title => page.title = Some(text.get().unwrap_or_default().to_string()),
        Target::H1 => page.h1 = text.get().map(str::to_string),
        Target::Time(i) => page.times[i].text = text,
        Target::Dated(i) => page.dated[i].text = text,
        Target::ItemProp(i) => page.itemprops[i].text = text,
    }
}

/// Reads a page (UTF-8) in one pass over its lean copy; over the whole page when the
/// copy's scripts do not line up with the ones the tokenizer meets.
pub(crate) fn scan(html: &str) -> Page {
    let lean = super::lean::lean(html);
    let count = lean.scripts.len();
    let page = scan_with(&lean.html, Some(lean.scripts));
    if page.scripts.len() == count {
        return page;
    }
    let whole = crate::nesting::defuse(html);
    scan_with(&whole, None)
}

fn scan_with(html: &str, bodies: Option<Vec<&str>>) -> Page {
    let state = Rc::new(RefCell::new(State {
        bodies_given: bodies.is_some(),
        ..State::default()
    }));
    let bytes = html.as_bytes();
    let on_element = {
        let state = Rc::clone(&state);
        move |el: &mut Element| {
            let tag_range = el.source_location().bytes();
            let tag = tag_name(&html[tag_range]);
            let tag = tag.as_ref();
            let mut attr = |name: &str| -> Option<&str> {
                el.attributes().iter().find_map(|at| {
                    let n = at.name_source_location()?.bytes();
                    bytes[n]
                        .eq_ignore_ascii_case(name.as_bytes())
                        .then(|| at.value_source_location().map_or("", |v| &html[v.bytes()]))
                })
            };
            // The four attributes every element is judged by, in one pass.
            let (mut class, mut id, mut itemprop, mut role) = (None, None, None, None);
            for at in el.attributes() {
                let (Some(n), Some(v)) = (at.name_source_location(), at.value_source_location())
                else {
                    continue;
                };
                let slot = match &bytes[n.bytes()] {
                    n if n.eq_ignore_ascii_case(b"class") => &mut class,
                    n if n.eq_ignore_ascii_case(b"id") => &mut id,
                    n if n.eq_ignore_ascii_case(b"itemprop") => &mut itemprop,
                    n if n.eq_ignore_ascii_case(b"role") => &mut role,
                    _ => continue,
                };
                if slot.is_none() {
                    *slot = Some(&html[v.bytes()]);
                }
            }
            let a = Attrs::new(class, id, itemprop, role);
            // Elements whose text a rule reads need a frame to end it with.
            let significant = NAMED_TAGS.contains(&tag)
                || boilerplate::is_dated(&a)
                || matches!(itemprop, Some("datePublished" | "dateCreated"));
            let void = !el.can_have_content();
            let mut st = state.borrow_mut();
            let parent = st.top();
            let (here, pushed) = st.open(tag, &a, void, significant);
            let depth = st.stack.len() - usize::from(pushed);
            read_element(&mut st, tag, &a, &mut attr, parent, here, pushed);
            if tag == "script"
                && let Some(bodies) = &bodies
            {
                let n = st.page.scripts.len();
                if let Some(script) = st.page.scripts.last_mut() {
                    match bodies.get(n - 1) {
                        Some(body) if body.len() <= SCRIPT_TEXT => script.text = body.to_string(),
                        _ => script.oversize = true,
                    }
                }
            }
            drop(st);
            if pushed {
                let state = Rc::clone(&state);
                el.on_end_tag(Box::new(move |_| {
                    state.borrow_mut().close(depth, here.id);
                    Ok(())
                }))?;
            }
            Ok(())
        }
    };
    let on_text = {
        let state = Rc::clone(&state);
        move |t: &mut TextChunk| {
            state
                .borrow_mut()
                .text(t.as_str(), t.text_type(), t.last_in_text_node());
            Ok(())
        }
    };
    let settings = Settings::new()
        .with_strict(false)
        .append_element_content_handler(element!("*", on_element))
        .append_document_content_handler(doc_text!(on_text));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    // A page the tokenizer gives up on is read as far as it got.
    let _ = rewriter.write(bytes);
    let _ = rewriter.end();
    let mut st = match Rc::try_unwrap(state) {
        Ok(cell) => cell.into_inner(),
        Err(shared) => std::mem::take(&mut *shared.borrow_mut()),
    };
    st.close_from(0);
    finish(st)
}

/// Tags some rule names, so their elements always get a frame.
const NAMED_TAGS: &[&str] = &[
    "html", "body", "article", "main", "header", "footer", "aside", "nav", "script", "style",
    "noscript", "template", "a", "option", "select", "button", "title", "h1", "time",
];

/// The lowercase tag name at the start of a start tag's source (`<DIV class=…>` → `div`),
/// borrowed when it is lowercase already.
fn tag_name(src: &str) -> std::borrow::Cow<'_, str> {
    let name = src.trim_start_matches('<');
    let end = name
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(name.len());
    let name = &name[..end];
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// Keeps what one element offers, as it starts.
fn read_element<'a>(
    st: &mut State,
    tag: &str,
    a: &Attrs<'a>,
    attr: &mut impl FnMut(&str) -> Option<&'a str>,
    parent: Frame,
    here: Frame,
    pushed: bool,
) {
    let decoded = |v: &str| decode_attribute(v).into_owned();
    // Text is read only for elements that have a frame to close it with.
    let collect = |st: &mut State, target| {
        if pushed {
            st.collect(target);
        }
    };
    match tag {
        "html" if !st.html_seen => {
            st.html_seen = true;
            st.page.lang = attr("lang").map(decoded);
        }
        "base" if st.page.base.is_none() => st.page.base = attr("href").map(decoded),
        "title" if !st.title_done => {
            st.title_done = true;
            collect(st, Target::Title);
        }
        "h1" => {
            if !st.h1_done {
                st.h1_done = true;
                collect(st, Target::H1);
            }
            // Named boxes do not disqualify a headline: they become its wrappers.
            let tag_boxed = {
                let mut at = here.boxes;
                let mut found = false;
                while let Some(&(_, parent, kind)) = st.boxes.get(at as usize) {
                    found |= kind == BoxKind::Tag;
                    at = parent;
                }
                found
            };
            if !st.headline_seen && !here.footer && !tag_boxed {
                st.headline_seen = true;
                let mut at = here.boxes;
                while let Some(&(id, parent, kind)) = st.boxes.get(at as usize) {
                    if kind == BoxKind::Named {
                        st.wrappers.push(id);
                    }
                    at = parent;
                }
                // The headline's container is its nearest enclosing main container.
                let container = st.page.mains.get(parent.mains as usize).map(|m| m.0);
                if let Some(d) = container.and_then(|c| st.stack.iter().rposition(|f| f.id == c)) {
                    let f = st.stack[d];
                    st.under_headline_depth = Some(d);
                    st.page.article = Some(f.id);
                    st.headline_container_range = Some((f.id, f.text_start..usize::MAX));
                }
            }
        }
        "link" => {
            let canonical = attr("rel").is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|w| w.eq_ignore_ascii_case("canonical"))
            });
            if canonical && let Some(href) = attr("href") {
                st.page.canonical.push(decoded(href));
            }
        }
        "meta" => {
            if let Some(content) = attr("content") {
                let key = attr("property")
                    .or_else(|| attr("name"))
                    .or_else(|| attr("itemprop"));
                if let Some(key) = key {
                    let key = decoded(key).trim().to_ascii_lowercase();
                    st.page.metas.push((key, decoded(content)));
                }
            }
        }
        "script" => {
            let kind = attr("type").map(|t| t.trim().to_ascii_lowercase());
            st.page.scripts.push(Script {
                kind,
                ..Script::default()
            });
        }
        _ => {}
    }
    if matches!(a.itemprop, Some("datePublished" | "dateCreated"))
        && st.page.itemprops.len() < MAX_CANDIDATES
    {
        let value = attr("datetime").or_else(|| attr("content")).map(decoded);
        st.page.itemprops.push(ItemPropEl {
            tag: tag.to_string(),
            prop: a.itemprop.unwrap_or_default().to_string(),
            value: value.clone(),
            text: Text::default(),
        });
        if value.is_none() {
            let i = st.page.itemprops.len() - 1;
            collect(st, Target::ItemProp(i));
        }
    }
    let modified = boilerplate::is_modified_marker(a);
    if tag == "time" && st.page.times.len() < MAX_CANDIDATES {
        let marked = attr("pubdate").is_some()
            || boilerplate::is_published_named(a)
            || st
                .stack
                .iter()
                .rev()
                .skip(usize::from(pushed))
                .take(3)
                .any(|f| f.published_named);
        st.page.times.push(TimeEl {
            datetime: attr("datetime").map(decoded),
            pubdate: attr("pubdate").is_some(),
            text: Text::default(),
            marked,
            in_header: parent.header_seen,
            modified,
            place: here.place(),
        });
        let i = st.page.times.len() - 1;
        collect(st, Target::Time(i));
    }
    if boilerplate::is_microformat_date(tag, a)
        && let Some(title) = attr("title")
    {
        st.page.microformats.push((tag.to_string(), decoded(title)));
        st.page.microformat_places.push(here.place());
    }
    if boilerplate::is_dated(a) && pushed && st.page.dated.len() < MAX_CANDIDATES {
        push_dated(st, tag, a, here);
    }
}

fn push_dated(st: &mut State, tag: &str, a: &Attrs, here: Frame) {
    let label = a
        .class
        .or(a.id)
        .and_then(|c| c.split_ascii_whitespace().next())
        .unwrap_or("");
    st.page.dated.push(DatedEl {
        tag: tag.to_string(),
        label: decode_attribute(label).into_owned(),
        text: Text::default(),
        modified: boilerplate::is_modified_marker(a),
        mains: here.mains,
        place: here.place(),
    });
    let i = st.page.dated.len() - 1;
    st.collect(Target::Dated(i));
}

/// The scan's results: boilerplate candidates dropped, now that the wrappers are known,
/// and the text of the article container picked out.
fn finish(mut st: State) -> Page {
    let mut page = std::mem::take(&mut st.page);
    let times = std::mem::take(&mut page.times);
    page.times = times
        .into_iter()
        .filter(|t| !st.boilerplate(t.place))
        .collect();
    let dated = std::mem::take(&mut page.dated);
    page.dated = dated
        .into_iter()
        .filter(|d| !st.boilerplate(d.place))
        .collect();
    let places = std::mem::take(&mut page.microformat_places);
    let microformats = std::mem::take(&mut page.microformats);
    page.microformats = microformats
        .into_iter()
        .zip(places)
        .filter(|(_, p)| !st.boilerplate(*p))
        .map(|(m, _)| m)
        .collect();
    if !st.headline_seen {
        // No headline: the text under it is the first container's.
        page.under_headline = st.first_container.take().unwrap_or_default();
    }
    // The article: the headline's container, else the first container outside boilerplate.
    let first_main = st
        .mains_met
        .iter()
        .find(|(_, p, _)| !st.boilerplate(*p))
        .map(|(id, _, r)| (*id, r.clone()));
    let scope = st.headline_container_range.clone().or(first_main);
    if page.article.is_none() {
        page.article = scope.as_ref().map(|s| s.0);
    }
    let len = page.visible.len();
    page.scope = match &scope {
        Some((_, r)) => r.start.min(len)..r.end.min(len).max(r.start.min(len)),
        None => 0..len,
    };
    // The stretches inside boxes that count, left out of the scope's text.
    page.boxed = st
        .boxed_text
        .iter()
        .filter(|(_, boxes)| st.boxed(*boxes, true))
        .map(|(r, _)| r.clone())
        .collect();
    page.under_headline = crate::text::collapse_ws(&decode_entities(&page.under_headline));
    page
}

/// Character references in text decoded as HTML does: `&amp;`, `&#8217;`, `&#x2019;`,
/// and named ones from the HTML table (legacy ones without `;` too). Borrowed when there
/// are none.
pub(crate) fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    decode(s, false)
}

/// The same in an attribute value, where a legacy name without `;` that runs on into a
/// letter, digit or `=` is left alone (`?a=1&copy=2` is a query, not a copyright sign).
pub(crate) fn decode_attribute(s: &str) -> std::borrow::Cow<'_, str> {
    decode(s, true)
}

fn decode(s: &str, attribute: bool) -> std::borrow::Cow<'_, str> {
    use markup5ever::data::NAMED_ENTITIES;
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(num) = after.strip_prefix('#') {
            let (hex, digits) = match num.strip_prefix(['x', 'X']) {
                Some(h) => (true, h),
                None => (false, num),
            };
            let len = digits
                .find(|c: char| {
                    !(if hex {
                        c.is_ascii_hexdigit()
                    } else {
                        c.is_ascii_digit()
                    })
                })
                .unwrap_or(digits.len());
            if len > 0 {
                let value = u32::from_str_radix(&digits[..len.min(8)], if hex { 16 } else { 10 })
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|c| *c != '\0')
                    .unwrap_or('\u{FFFD}');
                out.push(value);
                let used = 1 + usize::from(hex) + len;
                let used = used + usize::from(after[used..].starts_with(';'));
                rest = &after[used..];
                continue;
            }
        } else {
            let len = after
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(after.len())
                .min(32);
            let with_semi = after[len..].starts_with(';');
            let full = &after[..len + usize::from(with_semi)];
            // The longest known name at this point, as the tokenizer matches it. (The
            // table also holds every prefix of a name, as (0, 0), for tokenizers that
            // match a character at a time.)
            let found = (1..=full.len()).rev().find_map(|n| {
                let &(a, b) = NAMED_ENTITIES.get(&full[..n])?;
                (a != 0).then_some((n, (a, b)))
            });
            let runs_on = |n: usize| {
                !full[..n].ends_with(';')
                    && after[n..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '=')
            };
            if let Some((n, (a, b))) = found.filter(|&(n, _)| !(attribute && runs_on(n))) {
                out.extend(char::from_u32(a));
                if b != 0 {
                    out.extend(char::from_u32(b));
                }
                rest = &after[n..];
                continue;
            }
        }
        out.push('&');
        rest = after;
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_decode_as_html_reads_them() {
        assert_eq!(decode_entities("Tom &amp; Jerry"), "Tom & Jerry");
        assert_eq!(
            decode_entities("it&#8217;s &#x2019;"),
            "it\u{2019}s \u{2019}"
        );
        assert_eq!(decode_entities("&copy 2026"), "\u{a9} 2026");
        assert_eq!(decode_entities("a &unknown; b & c"), "a &unknown; b & c");
        assert_eq!(decode_entities("&#0;"), "\u{FFFD}");
        assert_eq!(decode_entities("&notit;"), "\u{ac}it;");
        assert_eq!(
            decode_attribute("?a=1&copy=2&Seq=3&amp;b"),
            "?a=1&copy=2&Seq=3&b"
        );
    }

    #[test]
    fn head_facts_are_kept() {
        let p = scan(
            "<html lang=en-GB><head><title>A &amp; B</title><base href=/x/>\
             <meta property='og:title' content='OG'><meta name=' Date ' content='2026-05-01'>\
             <link rel='Canonical' href='/a?x=1&amp;y=2'>\
             <script type='application/ld+json'>{\"a\":1}</script></head><body><h1>Head</h1></body></html>",
        );
        assert_eq!(p.lang.as_deref(), Some("en-GB"));
        assert_eq!(p.base.as_deref(), Some("/x/"));
        assert_eq!(p.title.as_deref(), Some("A & B"));
        assert_eq!(p.h1.as_deref(), Some("Head"));
        assert_eq!(p.canonical, vec!["/a?x=1&y=2"]);
        assert_eq!(p.metas[1], ("date".to_string(), "2026-05-01".to_string()));
        assert_eq!(p.scripts[0].kind.as_deref(), Some("application/ld+json"));
        assert_eq!(p.scripts[0].text, "{\"a\":1}");
    }

    #[test]
    fn boilerplate_boxes_hide_their_dates() {
        let p = scan(
            "<body><article><h1>T</h1><time datetime='2026-05-01'>1 May</time>\
             <footer><span class=date>2 May 2026</span></footer></article>\
             <aside><time datetime='2026-04-01'>x</time></aside>\
             <footer class=x><p class=date>3 May 2026</p></footer></body>",
        );
        assert_eq!(p.times.len(), 1, "the aside's time is not kept");
        let dated: Vec<&str> = p.dated.iter().map(|d| d.text.get().unwrap()).collect();
        assert_eq!(
            dated,
            vec!["2 May 2026"],
            "the site footer's date is not kept"
        );
        assert!(p.inside_article(&p.dated[0]));
    }

    #[test]
    fn a_time_in_the_article_header_is_told_from_one_in_its_text() {
        let p = scan(
            "<article><header><h1>T</h1><time datetime='2026-05-01'>x</time></header>\
             <p>On <time datetime='2026-04-01'>1 April</time> it rained.</p></article>",
        );
        let flags: Vec<bool> = p.times.iter().map(|t| t.in_header).collect();
        assert_eq!(flags, vec![true, false]);
    }

    #[test]
    fn text_under_the_headline_stays_in_its_container() {
        let p = scan(
            "<body><div class=post><p>before</p><h1>Title</h1><p>By A, 3 May 2026</p>\
             <div class=related>4 May 2026</div><script>var d='5 May 2026'</script></div>\
             <p>outside</p></body>",
        );
        assert_eq!(p.under_headline, "Title By A, 3 May 2026");
        assert_eq!(p.page_text(), "before Title By A, 3 May 2026");
    }

    #[test]
    fn a_link_inside_a_link_ends_the_outer_one() {
        let p = scan("<body><a href=/u><div><a href=/u>Ann</a> on 20.09.2020</div></a></body>");
        assert_eq!(p.page_text(), "on 20.09.2020");
    }

    #[test]
    fn a_box_around_the_headline_is_the_pages_wrapper() {
        let p = scan(
            "<body><div class='wrap sidebar-position-right'><figure class=teaser>\
             <span class=date>02.02.2022</span><h1>T</h1></figure><p>Text</p>\
             <div class=sidebar><span class=date>03.02.2022</span></div></div></body>",
        );
        let dated: Vec<&str> = p.dated.iter().map(|d| d.text.get().unwrap()).collect();
        assert_eq!(dated, vec!["02.02.2022"], "the real sidebar still is one");
        assert!(p.page_text().contains("Text") && !p.page_text().contains("03.02"));
    }

    #[test]
    fn unclosed_elements_are_closed_by_their_parent() {
        let p = scan("<div class=sidebar><ul><li>a<li>b</ul></div><p class=date>1 May 2026</p>");
        assert_eq!(p.dated.len(), 1, "the sidebar ended with its end tag");
    }
}
