//! A forgiving XML reader for feeds: quick-xml's tokens, with what real feeds need added.
//!
//! Feeds in the wild are often not well-formed XML: bare `&`, HTML entities XML does not
//! know (`&nbsp;`), control characters, end tags that match nothing, prefixes nobody
//! declared, documents cut off mid-item. A strict parser refuses the whole document for
//! any one of these, and a reader must not: one bad byte may cost the field it is in,
//! never the feed. So this turns a document into a stream of *balanced* [`Token`]s:
//!
//! - every start has its end: an end tag that matches no open element is dropped, one
//!   that closes an outer element closes the inner ones too, and elements still open when
//!   the document ends (or breaks off) are closed with `complete: false`, so that a field
//!   cut in half is never taken for a whole one;
//! - references are resolved: XML's five, character references, the document's own DTD
//!   entities and HTML's named ones; an unknown name stays as written;
//! - names carry their namespace, resolved from `xmlns` declarations, with the usual
//!   prefixes (`dc:`, `media:`, …) understood even when the document never declared them;
//! - `xml:base` is resolved into each element's base URL;
//! - every repair is counted ([`Repairs`]), so the operator can be told what was wrong.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

/// The namespaces whose elements a feed reader reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    /// No namespace, or a default namespace this reader does not know by name (RSS 2.0
    /// served with `xmlns="http://backend.userland.com/rss2"`), or one of RSS's own
    /// (RSS 0.90, 1.0, 1.1): the document's main vocabulary.
    Main,
    /// Atom 1.0, and Atom 0.3 (whose few renamed elements the reader maps itself).
    Atom,
    Rdf,
    Dc,
    DcTerms,
    /// `content:encoded`.
    Content,
    /// Media RSS.
    Media,
    Itunes,
    /// `feedburner:origLink`.
    Feedburner,
    Xhtml,
    /// Any other extension: read by nobody, skipped as a whole.
    Other,
}

impl Ns {
    fn of_uri(uri: &str) -> Option<Ns> {
        let u = uri.trim().trim_end_matches(['/', '#']);
        let u = u
            .strip_prefix("http://")
            .or_else(|| u.strip_prefix("https://"))
            .unwrap_or(u);
        Some(match u.to_ascii_lowercase().as_str() {
            "www.w3.org/2005/atom" | "purl.org/atom/ns" => Ns::Atom,
            "www.w3.org/1999/02/22-rdf-syntax-ns" => Ns::Rdf,
            "purl.org/dc/elements/1.1" => Ns::Dc,
            "purl.org/dc/terms" => Ns::DcTerms,
            "purl.org/rss/1.0/modules/content" => Ns::Content,
            "search.yahoo.com/mrss" | "video.search.yahoo.com/mrss" => Ns::Media,
            "www.itunes.com/dtds/podcast-1.0.dtd" => Ns::Itunes,
            "rssnamespace.org/feedburner/ext/1.0" => Ns::Feedburner,
            "www.w3.org/1999/xhtml" => Ns::Xhtml,
            "purl.org/rss/1.0"
            | "purl.org/net/rss1.1"
            | "my.netscape.com/rdf/simple/0.9"
            | "channel.netscape.com/rdf/simple/0.9"
            | "backend.userland.com/rss2"
            | "backend.userland.com/rss"
            | "blogs.law.harvard.edu/tech/rss"
            | "cyber.harvard.edu/rss/rss.html"
            | "cyber.law.harvard.edu/rss/rss.html" => Ns::Main,
            _ => return None,
        })
    }

    /// What a prefix nobody declared is taken to mean: the one everybody uses it for.
    fn of_conventional_prefix(prefix: &str) -> Ns {
        match prefix.to_ascii_lowercase().as_str() {
            "atom" | "a10" | "atom10" => Ns::Atom,
            "rdf" => Ns::Rdf,
            "dc" => Ns::Dc,
            "dcterms" => Ns::DcTerms,
            "content" => Ns::Content,
            "media" => Ns::Media,
            "itunes" => Ns::Itunes,
            "feedburner" => Ns::Feedburner,
            "xhtml" => Ns::Xhtml,
            _ => Ns::Other,
        }
    }
}

/// What had to be repaired to read a document.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Repairs {
    pub controls: usize,
    pub bare_ampersands: usize,
    pub html_entities: usize,
    /// The document ended with elements still open.
    pub cut_off: bool,
    /// Syntax errors read past, and the first one's message.
    pub errors: usize,
    pub first_error: Option<String>,
}

impl Repairs {
    /// One line per kind of repair, for the feed's warning.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.controls > 0 {
            out.push(format!(
                "removed {} control character(s) XML does not allow",
                self.controls
            ));
        }
        if self.bare_ampersands > 0 {
            out.push(format!("escaped {} bare `&`", self.bare_ampersands));
        }
        if self.html_entities > 0 {
            out.push(format!(
                "replaced {} HTML entity reference(s) unknown to XML",
                self.html_entities
            ));
        }
        if let Some(e) = &self.first_error {
            out.push(format!(
                "read past {} XML error(s), the first: {e}",
                self.errors
            ));
        }
        out
    }
}

/// A start tag, with its namespace and base resolved.
pub(crate) struct Element<'a> {
    pub ns: Ns,
    /// Whether the name had a prefix (`atom:link`) or took the default namespace.
    pub prefixed: bool,
    /// The local name, as written.
    pub local: &'a str,
    /// The base URL relative links inside this element resolve against.
    pub base: Option<Rc<url::Url>>,
    start: BytesStart<'a>,
}

impl<'a> Element<'a> {
    /// Whether the local name is `name` (ASCII case aside: feeds write `pubdate`).
    pub fn is(&self, name: &str) -> bool {
        self.local.eq_ignore_ascii_case(name)
    }

    /// The value of the attribute whose local name is `name` (any prefix, any case),
    /// with references resolved; malformed attributes are skipped, not fatal.
    pub fn attr(&self, name: &str) -> Option<Cow<'_, str>> {
        attr_of(&self.start, name)
    }

    /// The attributes as written, for copying markup through.
    pub fn raw_attrs(&self) -> &str {
        self.start.attributes_raw()
    }
}

fn attr_of<'s>(start: &'s BytesStart<'_>, name: &str) -> Option<Cow<'s, str>> {
    for a in start.html_attributes().with_checks(false).flatten() {
        if a.key.local_name().as_ref().eq_ignore_ascii_case(name) {
            return Some(match decode_refs(&a.value) {
                Cow::Borrowed(_) => a.value,
                Cow::Owned(s) => Cow::Owned(s),
            });
        }
    }
    None
}

pub(crate) enum Token<'a> {
    Start(Element<'a>),
    /// The end of the innermost open element; `complete` is false when the document
    /// ended or broke off before its end tag.
    End {
        complete: bool,
    },
    /// Character data: text with its references resolved, or a CDATA section.
    Text(Cow<'a, str>),
}

struct Open<'a> {
    qname: &'a str,
    /// Namespace declarations this element added.
    declared: usize,
    base: Option<Rc<url::Url>>,
}

/// Syntax errors read past before the rest of a document is given up as unreadable.
const MAX_ERRORS: usize = 100;

/// The balanced token stream of one document.
pub(crate) struct Tokens<'a> {
    src: &'a str,
    reader: Reader<&'a [u8]>,
    open: Vec<Open<'a>>,
    /// In-scope namespace declarations, innermost last: prefix ("" for the default).
    scope: Vec<(Box<str>, Option<Ns>)>,
    doc_base: Option<Rc<url::Url>>,
    pending_ends: usize,
    pending_complete: bool,
    finished: bool,
    entities: HashMap<String, String>,
    pub repairs: Repairs,
}

impl<'a> Tokens<'a> {
    pub fn new(doc: &'a str, base: Option<&str>) -> Tokens<'a> {
        let mut reader = Reader::from_str(doc);
        let config = reader.config_mut();
        config.allow_dangling_amp = true;
        config.allow_unmatched_ends = true;
        config.check_end_names = false;
        config.check_comments = false;
        config.trim_text(false);
        Tokens {
            src: doc,
            reader,
            open: Vec::new(),
            scope: Vec::new(),
            doc_base: base.and_then(|b| url::Url::parse(b).ok()).map(Rc::new),
            pending_ends: 0,
            pending_complete: true,
            finished: false,
            entities: HashMap::new(),
            repairs: Repairs::default(),
        }
    }

    /// How deep the stream is: elements open now.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    fn resolve(&self, qname: &'a str) -> (Ns, bool, &'a str) {
        let (prefix, local) = qname.split_once(':').unwrap_or(("", qname));
        let declared = self.scope.iter().rev().find(|(p, _)| **p == *prefix);
        let ns = match declared {
            Some((_, ns)) => ns.unwrap_or(if prefix.is_empty() {
                Ns::Main
            } else {
                Ns::Other
            }),
            None if prefix.is_empty() => Ns::Main,
            None => Ns::of_conventional_prefix(prefix),
        };
        (ns, !prefix.is_empty(), local)
    }

    fn start(&mut self, start: BytesStart<'a>, qname: &'a str) -> Element<'a> {
        let mut declared = 0;
        let parent_base = self
            .open
            .last()
            .map_or_else(|| self.doc_base.clone(), |o| o.base.clone());
        let mut base = parent_base.clone();
        for a in start.html_attributes().with_checks(false).flatten() {
            let key: &str = match a.key.into_inner() {
                k if k.starts_with("xmlns") => k,
                "xml:base" => {
                    let value = decode_refs(a.value.trim());
                    let joined = match &parent_base {
                        Some(p) => p.join(&value).ok(),
                        None => url::Url::parse(&value).ok(),
                    };
                    if let Some(j) = joined {
                        base = Some(Rc::new(j));
                    }
                    continue;
                }
                _ => continue,
            };
            let prefix: &str = match key.as_bytes().get(5) {
                None => "",
                Some(b':') => &key[6..],
                Some(_) => continue,
            };
            self.scope.push((prefix.into(), Ns::of_uri(&a.value)));
            declared += 1;
        }
        let (ns, prefixed, local) = self.resolve(qname);
        self.open.push(Open {
            qname,
            declared,
            base: base.clone(),
        });
        Element {
            ns,
            prefixed,
            local,
            base,
            start,
        }
    }

    fn pop(&mut self) {
        if let Some(o) = self.open.pop() {
            self.scope.truncate(self.scope.len() - o.declared);
        }
    }

    /// A reference's text: `None` for a character reference to a character XML does not
    /// allow.
    fn reference(&mut self, name: &str) -> Option<Cow<'a, str>> {
        if let Some(num) = name.strip_prefix('#') {
            return char_ref(num)
                .filter(|c| is_xml_char(*c))
                .map(|c| Cow::Owned(c.to_string()));
        }
        if let Some(c) = xml_entity(name) {
            return Some(Cow::Borrowed(c));
        }
        if let Some(v) = self.entities.get(name) {
            return Some(Cow::Owned(v.clone()));
        }
        if let Some(s) = html_entity(name) {
            self.repairs.html_entities += 1;
            return Some(Cow::Owned(s));
        }
        Some(Cow::Owned(format!("&{name};")))
    }

    /// Text without the characters XML does not allow (counted).
    fn clean(&mut self, text: Cow<'a, str>) -> Cow<'a, str> {
        // The characters XML forbids are C0 controls but tab, newline and return, and
        // U+FFFE/U+FFFF (UTF-8 EF BF BE/BF): one pass over the bytes finds both.
        let suspect = text
            .bytes()
            .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xBF);
        if !suspect || text.chars().all(is_xml_char) {
            return text;
        }
        let before = text.chars().count();
        let kept: String = text.chars().filter(|c| is_xml_char(*c)).collect();
        self.repairs.controls += before - kept.chars().count();
        Cow::Owned(kept)
    }

    fn finish(&mut self, complete: bool) -> Option<Token<'a>> {
        self.finished = true;
        if !self.open.is_empty() {
            self.repairs.cut_off = !complete || self.repairs.cut_off;
            self.pending_ends = self.open.len();
            self.pending_complete = complete;
            return self.next();
        }
        None
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if self.pending_ends > 0 {
            self.pending_ends -= 1;
            self.pop();
            return Some(Token::End {
                complete: self.pending_complete,
            });
        }
        if self.finished {
            return None;
        }
        let mut last_error_at = None;
        loop {
            let event = self.reader.read_event();
            match event {
                Ok(Event::Start(e)) => {
                    let qname = name_in(self.src, &e);
                    return Some(Token::Start(self.start(e, qname)));
                }
                Ok(Event::Empty(e)) => {
                    let qname = name_in(self.src, &e);
                    let el = self.start(e, qname);
                    self.pending_ends = 1;
                    self.pending_complete = true;
                    return Some(Token::Start(el));
                }
                Ok(Event::End(e)) => {
                    let name = e.name();
                    let name = name.as_ref();
                    if let Some(at) = self.open.iter().rposition(|o| o.qname == name) {
                        // Elements left open inside this one end with it.
                        self.pending_ends = self.open.len() - at;
                        self.pending_complete = true;
                        return self.next();
                    }
                }
                Ok(Event::Text(t)) => {
                    let text = t.xml10_content();
                    // With dangling ampersands allowed, a text event holding `&` is a
                    // bare one: it stands for itself.
                    self.repairs.bare_ampersands +=
                        memchr::memchr_iter(b'&', text.as_bytes()).count();
                    let text = self.clean(text);
                    if !text.is_empty() {
                        return Some(Token::Text(text));
                    }
                }
                Ok(Event::CData(c)) => {
                    let text = self.clean(c.xml10_content());
                    if !text.is_empty() {
                        return Some(Token::Text(text));
                    }
                }
                Ok(Event::GeneralRef(r)) => {
                    let name = r.into_inner();
                    if let Some(text) = self.reference(&name) {
                        return Some(Token::Text(text));
                    }
                }
                Ok(Event::DocType(d)) => {
                    for (name, value) in dtd_entities(&d.into_inner()) {
                        self.entities.entry(name).or_insert(value);
                    }
                }
                Ok(Event::Decl(_) | Event::PI(_) | Event::Comment(_)) => {}
                Ok(Event::Eof) => return self.finish(false),
                // An error at the very end is the document being cut off, said as such.
                Err(_) if self.reader.buffer_position() >= self.src.len() as u64 => {
                    return self.finish(false);
                }
                Err(e) => {
                    self.repairs.errors += 1;
                    if self.repairs.first_error.is_none() {
                        self.repairs.first_error =
                            Some(format!("{e} at byte {}", self.reader.error_position()));
                    }
                    let at = self.reader.buffer_position();
                    if self.repairs.errors > MAX_ERRORS || last_error_at == Some(at) {
                        return self.finish(false);
                    }
                    last_error_at = Some(at);
                }
            }
        }
    }
}

/// The qualified name of a start tag, as a slice of the document itself (so it lives as
/// long as the document): the tag's attributes are a slice of `src`, and its name ends
/// where they start.
fn name_in<'a>(src: &'a str, e: &BytesStart<'_>) -> &'a str {
    let name = e.name();
    let name = name.as_ref();
    let attrs = e.attributes_raw().as_ptr() as usize;
    let from = (attrs.wrapping_sub(src.as_ptr() as usize)).wrapping_sub(name.len());
    match src.get(from..from + name.len()) {
        Some(slice) if slice == name => slice,
        // Not borrowed from the document (never so for a slice reader): a name no end
        // tag matches, so the element ends with its parent.
        _ => "",
    }
}

/// Whether `c` may appear in an XML 1.0 document.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn char_ref(num: &str) -> Option<char> {
    let n = match num.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => num.parse().ok()?,
    };
    char::from_u32(n)
}

fn xml_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => return None,
    })
}

/// An HTML named character reference (`nbsp`, `hellip`, …), which feeds use freely.
fn html_entity(name: &str) -> Option<String> {
    let key = format!("{name};");
    let &(a, b) = markup5ever::data::NAMED_ENTITIES.get(key.as_str())?;
    let mut s = String::new();
    s.extend(char::from_u32(a));
    if b != 0 {
        s.extend(char::from_u32(b));
    }
    Some(s)
}

/// Resolves the references in an attribute value; unknown names and bare `&` stay.
pub(crate) fn decode_refs(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|e| e + 1);
        let resolved = match end {
            Some(e) if rest[e..].starts_with(';') => {
                let name = &rest[1..e];
                let text = match name.strip_prefix('#') {
                    Some(num) => char_ref(num).map(String::from),
                    None => xml_entity(name)
                        .map(str::to_string)
                        .or_else(|| html_entity(name)),
                };
                text.map(|t| (t, e + 1))
            }
            _ => None,
        };
        match resolved {
            Some((text, len)) => {
                out.push_str(&text);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The internal entities a DOCTYPE declares: `<!ENTITY name "value">`.
fn dtd_entities(dtd: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = dtd;
    while let Some(at) = rest.find("<!ENTITY") {
        rest = &rest[at + 8..];
        let body = rest.trim_start();
        if body.starts_with('%') {
            continue;
        }
        let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let name = &body[..name_end];
        let after = body[name_end..].trim_start();
        let Some(quote) = after.chars().next().filter(|q| *q == '"' || *q == '\'') else {
            continue;
        };
        let Some(close) = after[1..].find(quote) else {
            break;
        };
        out.push((
            name.to_string(),
            decode_refs(&after[1..1 + close]).into_owned(),
        ));
        rest = &after[1 + close..];
    }
    out
}
