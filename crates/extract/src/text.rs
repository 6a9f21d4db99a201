//! Markup to plain text: tags stripped, entities decoded, white space collapsed.
//!
//! Feeds put HTML in titles and summaries (escaped, in CDATA, or as Atom `type="html"`);
//! a source list wants one clean line. html5ever (through scraper) does the decoding the
//! way a browser would, and block elements become spaces so "<p>a</p><p>b</p>" reads "a b".

use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// Elements whose boundaries separate words.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "tr"
            | "td"
            | "th"
            | "table"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "hr"
            | "dd"
            | "dt"
            | "dl"
    )
}

/// Elements whose content is never text for a reader.
fn is_hidden(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "template" | "noscript" | "head" | "title"
    )
}

/// Collapses every run of white space (including no-break spaces) to one space and trims.
pub fn collapse_ws(s: &str) -> String {
    let mut out = Collapsed::with_capacity(s.len());
    out.push_str(s);
    out.finish()
}

/// [`collapse_ws`] of an owned string: text that is already clean (most is) comes back
/// as it is, without a copy.
pub fn collapse_ws_owned(s: String) -> String {
    if is_collapsed(&s) { s } else { collapse_ws(&s) }
}

/// The length in bytes of the white-space character at the start of `s` (0 when there is
/// none): ASCII white space and vertical tab, and the Unicode spaces `char::is_whitespace`
/// knows (no-break space, the U+2000 block, ideographic space, …).
#[inline]
fn space_len(s: &[u8]) -> usize {
    match s[0] {
        b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => 1,
        b if b < 0x80 => 0,
        // Every Unicode space starts with one of these lead bytes.
        0xC2 | 0xE1 | 0xE2 | 0xE3 => {
            let len = if s[0] == 0xC2 { 2 } else { 3 };
            std::str::from_utf8(&s[..len.min(s.len())])
                .ok()
                .and_then(|c| c.chars().next())
                .filter(|c| c.is_whitespace())
                .map_or(0, char::len_utf8)
        }
        _ => 0,
    }
}

/// Bytes that can never start white space: not ASCII white space, and not a lead byte
/// of a Unicode space.
static PLAIN: [bool; 256] = {
    let mut t = [true; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = !matches!(
            i as u8,
            b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C | 0xC2 | 0xE1 | 0xE2 | 0xE3
        );
        i += 1;
    }
    t
};

/// The end of the already-clean text starting at `from`: words joined by single ASCII
/// spaces, up to the first byte that may need collapsing (or the end).
#[inline]
fn clean_run(b: &[u8], from: usize) -> usize {
    let mut j = from;
    while j < b.len() {
        let c = b[j];
        if PLAIN[usize::from(c)] {
            j += 1;
        } else if c == b' ' && b.get(j + 1).is_some_and(|&n| PLAIN[usize::from(n)]) {
            j += 2;
        } else if c != b' ' && space_len(&b[j..]) == 0 {
            // A lead byte of a character that is not a space ('©', '—').
            j += 1;
        } else {
            break;
        }
    }
    j
}

/// Whether `s` is already collapsed: no leading or trailing space, single spaces only.
///
/// Most text is, so this is the hot path: a vectorised search for two spaces, then eight
/// bytes at a time a test for any byte below 0x20 (ASCII white space other than ' ' is
/// there) or above 0x7F (Unicode spaces are); only such a group is looked at byte by byte,
/// since typographic quotes and dashes share the lead byte of the U+2000 spaces.
fn is_collapsed(s: &str) -> bool {
    const LOW: u64 = 0x2020_2020_2020_2020;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let b = s.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    static TWO_SPACES: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"  "));
    if TWO_SPACES.find(b).is_some() {
        return false;
    }
    // Single ' ' are fine by now; any other white space is not.
    let is_space_at = |at: usize| b[at] != b' ' && space_len(&b[at..]) > 0;
    let groups = b.chunks_exact(8);
    let tail = groups.remainder().len();
    for (n, group) in groups.enumerate() {
        let x = u64::from_le_bytes(group.try_into().unwrap_or([0; 8]));
        // A byte below 0x20 borrows into its high bit; a byte above 0x7F has it set.
        if (x.wrapping_sub(LOW) | x) & HIGH != 0 && (n * 8..n * 8 + 8).any(is_space_at) {
            return false;
        }
    }
    !(b.len() - tail..b.len()).any(is_space_at)
}

/// Text built piece by piece with white space collapsed on the way in: words are joined
/// by single spaces, leading and trailing space dropped. Markup clean-up writes through
/// this so the text is copied once, not once per pass.
pub(crate) struct Collapsed {
    out: String,
    /// A space is owed before the next word.
    space: bool,
}

impl Collapsed {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Collapsed {
            out: String::with_capacity(n),
            space: false,
        }
    }

    /// A word boundary (a block element's edge) without a character of its own.
    pub(crate) fn push_break(&mut self) {
        self.space = true;
    }

    pub(crate) fn push_str(&mut self, s: &str) {
        // Text between tags often has a space at either end and is clean inside.
        let inner = s.trim_matches(' ');
        if is_collapsed(inner) {
            if inner.len() < s.len() && s.starts_with(' ') {
                self.space = true;
            }
            self.push_word(inner);
            if inner.len() < s.len() && s.ends_with(' ') {
                self.space = true;
            }
            return;
        }
        let b = s.as_bytes();
        let mut i = 0;
        loop {
            while i < b.len() {
                let n = space_len(&b[i..]);
                if n == 0 {
                    break;
                }
                self.space = true;
                i += n;
            }
            if i == b.len() {
                return;
            }
            // Clean stretches go in whole; they end at a boundary (white space or the end).
            let end = clean_run(b, i);
            self.push_word(&s[i..end]);
            i = end;
        }
    }

    pub(crate) fn push_char(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    fn push_word(&mut self, w: &str) {
        if w.is_empty() {
            return;
        }
        if self.space && !self.out.is_empty() {
            self.out.push(' ');
        }
        self.space = false;
        self.out.push_str(w);
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// Whether `s` may hold a tag or a character reference.
fn has_markup(s: &str) -> bool {
    memchr::memchr2(b'<', b'&', s.as_bytes()).is_some()
}

/// The plain text of an HTML fragment (or of text that merely might contain markup).
pub fn html_to_text(s: &str) -> String {
    if !has_markup(s) {
        return collapse_ws(s);
    }
    simple_markup_to_text(s).unwrap_or_else(|| parsed_text(&crate::nesting::defuse(s)))
}

/// [`html_to_text`] of an owned string: plain, clean text comes back without a copy.
pub fn html_to_text_owned(s: String) -> String {
    if !has_markup(&s) {
        return collapse_ws_owned(s);
    }
    html_to_text(&s)
}

/// The text of a fragment as html5ever parses it: text nodes outside hidden elements,
/// block boundaries as spaces.
fn parsed_text(s: &str) -> String {
    let doc = Html::parse_fragment(s);
    let mut out = Collapsed::with_capacity(s.len());
    let mut hidden = 0usize;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Text(t) if hidden == 0 => out.push_str(t),
                Node::Element(e) if is_hidden(e.name()) => hidden += 1,
                Node::Element(e) if is_block(e.name()) => out.push_break(),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    if is_hidden(e.name()) {
                        hidden = hidden.saturating_sub(1);
                    } else if is_block(e.name()) {
                        out.push_break();
                    }
                }
            }
        }
    }
    out.finish()
}

/// The text of markup simple enough to need no HTML parser: tags (dropped, blocks as
/// spaces) and character references. Anything html5ever treats specially — comments,
/// CDATA, `<script>`/`<style>` and other raw-text elements, a `<` that opens no tag
/// cleanly — gives `None`, and the caller parses properly. Most feed titles and
/// summaries take this path, which is what keeps extraction near the XML parser's speed.
fn simple_markup_to_text(s: &str) -> Option<String> {
    static BOM: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("\u{feff}".as_bytes()));
    if memchr::memchr(0, s.as_bytes()).is_some() || BOM.find(s.as_bytes()).is_some() {
        return None;
    }
    let mut out = Collapsed::with_capacity(s.len());
    // Open block elements, as written in `s` (compared without regard to case).
    let mut open_blocks: Vec<&str> = Vec::new();
    let mut rest = s;
    while let Some(at) = memchr::memchr2(b'<', b'&', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if rest.starts_with('<') {
            let after = &rest[1..];
            let closing = after.starts_with('/');
            let name_at = usize::from(closing);
            let name_len = after.as_bytes()[name_at..]
                .iter()
                .position(|c| !c.is_ascii_alphanumeric())
                .unwrap_or(after.len() - name_at);
            if name_len == 0 || !after.as_bytes()[name_at].is_ascii_alphabetic() {
                if after.starts_with(['!', '?']) || closing {
                    return None;
                }
                // A lone "<" ("5 < 6") is text.
                out.push_char('<');
                rest = after;
                continue;
            }
            let written = &after[name_at..name_at + name_len];
            // Every name that matters here is short; a longer one is an ordinary element.
            let mut buf = [0u8; 16];
            let name = match buf.get_mut(..name_len) {
                Some(lower) => {
                    lower.copy_from_slice(written.as_bytes());
                    lower.make_ascii_lowercase();
                    std::str::from_utf8(lower).unwrap_or_default()
                }
                None => "",
            };
            if is_hidden(name)
                || matches!(
                    name,
                    "textarea" | "xmp" | "plaintext" | "iframe" | "noembed"
                )
            {
                return None;
            }
            // The tag ends at the first '>' outside a quoted attribute value (a quote
            // opens a value only right after '='). All delimiters are ASCII, so bytes do.
            let mut quote: Option<u8> = None;
            let mut after_eq = false;
            let mut end = None;
            for (i, &c) in after.as_bytes().iter().enumerate().skip(name_at + name_len) {
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if after_eq && (c == b'"' || c == b'\'') => quote = Some(c),
                    None if c == b'>' => {
                        end = Some(i);
                        break;
                    }
                    None => {}
                }
                if quote.is_none() && !c.is_ascii_whitespace() {
                    after_eq = c == b'=';
                }
            }
            let end = end?;
            // Tag names run to white space, '/' or '>': "<a\"x>" is one odd name.
            if after.as_bytes()[name_at + name_len..]
                .first()
                .is_some_and(|&c| !(c.is_ascii_whitespace() || c == b'/' || c == b'>'))
            {
                return None;
            }
            if is_block(name) {
                let void = matches!(name, "br" | "hr");
                if closing && void {
                    // "</br>" is read as "<br>" by browsers; leave such oddities to the parser.
                    return None;
                }
                if !closing {
                    let heading = |n: &str| {
                        n.len() == 2
                            && n.as_bytes()[0].eq_ignore_ascii_case(&b'h')
                            && n.as_bytes()[1].is_ascii_digit()
                    };
                    if open_blocks
                        .iter()
                        .any(|b| b.eq_ignore_ascii_case(name) || (heading(b) && heading(name)))
                    {
                        // A <p> in a <p>, an <h2> in an <h2>: implied ends, the parser's.
                        return None;
                    }
                    out.push_break();
                    if !void {
                        open_blocks.push(written);
                    }
                } else if open_blocks
                    .last()
                    .is_some_and(|b| b.eq_ignore_ascii_case(name))
                {
                    open_blocks.pop();
                    out.push_break();
                } else {
                    // A stray or mis-nested end tag: the parser's implied-end rules decide
                    // (it may ignore it, or for </p> make an empty paragraph); leave it to
                    // the parser.
                    return None;
                }
            }
            rest = &after[end + 1..];
        } else {
            // A character reference, or a lone '&'.
            let body = &rest[1..];
            let len = body
                .as_bytes()
                .iter()
                .position(|&c| !(c.is_ascii_alphanumeric() || c == b'#'))
                .unwrap_or(body.len());
            let name = &body[..len];
            let terminated = body[len..].starts_with(';');
            let decoded = if let Some(num) = name.strip_prefix('#') {
                // Numeric references without ';' or with stray letters follow the parser's
                // recovery rules: leave them to it.
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) if terminated => u32::from_str_radix(hex, 16).ok(),
                    None if terminated => num.parse::<u32>().ok(),
                    _ => return None,
                };
                // The HTML rules for odd code points (C1 controls, surrogates) are the
                // parser's business.
                match code? {
                    c if (0x20..0x80).contains(&c)
                        || (0xA0..0xD800).contains(&c)
                        || (0xE000..0x11_0000).contains(&c)
                        || c == 9
                        || c == 10 =>
                    {
                        char::from_u32(c).map(|c| (c, None))
                    }
                    _ => return None,
                }
            } else if terminated {
                // The table also holds every prefix of every name, mapped to (0, 0).
                let mut key = [0u8; 40];
                key.get_mut(..=len)
                    .and_then(|k| {
                        k[..len].copy_from_slice(name.as_bytes());
                        k[len] = b';';
                        markup5ever::data::NAMED_ENTITIES.get(std::str::from_utf8(k).ok()?)
                    })
                    .filter(|v| v.0 != 0)
                    .and_then(|&(a, b)| Some((char::from_u32(a)?, char::from_u32(b))))
            } else {
                None
            };
            match decoded {
                Some((a, b)) => {
                    out.push_char(a);
                    if let Some(b) = b.filter(|&b| b != '\0') {
                        out.push_char(b);
                    }
                    rest = &body[len + usize::from(terminated)..];
                }
                None => {
                    // "AT&T", "a & b" are text; but a legacy entity name at the start
                    // ("&lta", "&copy2026") is decoded by the parser's rules: leave it.
                    if (1..=name.len()).any(|k| {
                        markup5ever::data::NAMED_ENTITIES
                            .get(&name[..k])
                            .is_some_and(|v| v.0 != 0)
                    }) {
                        return None;
                    }
                    out.push_char('&');
                    rest = body;
                }
            }
        }
    }
    out.push_str(rest);
    Some(out.finish())
}

/// Cuts `s` to at most `max` characters on a character boundary, marking the cut with `…`.
pub fn truncate_chars(s: String, max: usize) -> String {
    // No more bytes than the limit means no more characters: nothing to count.
    if s.len() <= max {
        return s;
    }
    match s.char_indices().nth(max) {
        None => s,
        Some((at, _)) => {
            let mut cut = s[..at].trim_end().to_string();
            cut.push('…');
            cut
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_decodes_entities_collapses_space() {
        assert_eq!(
            html_to_text("<p>Hello&nbsp;<b>world</b></p><p>again</p>"),
            "Hello world again"
        );
        assert_eq!(
            html_to_text("AT&amp;T &#8217;s  \n deal"),
            "AT&T \u{2019}s deal"
        );
        assert_eq!(html_to_text("a<br>b"), "a b");
        assert_eq!(html_to_text("  plain\ttext \n here "), "plain text here");
    }

    proptest::proptest! {
        /// Differential: whenever the fast path answers, it answers what the parser does.
        #[test]
        fn the_fast_path_never_disagrees(s in "(<(/?)(p|b|a|br|div|li|span|em|h2)( [a-z]{1,4}=(\"[^\"]{0,6}\"|'[^']{0,6}'|[a-z0-9]{0,4}))?/?>|&(amp|lt|gt|nbsp|eacute|hellip|#[0-9]{1,5}|#x[0-9a-fA-F]{1,4}|[a-z]{1,5});?|[^<&]{0,8}|<|&){0,30}") {
            if let Some(fast) = simple_markup_to_text(&s) {
                proptest::prop_assert_eq!(fast, parsed_text(&s), "{:?}", s);
            }
        }
    }

    /// Text mixing every white-space character Rust knows with letters and any character.
    fn spaced_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let spaces: Vec<char> = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .chain(['\u{feff}', '\u{200b}', 'é', '人', 'a', '\u{e3}', '\u{2030}'])
            .collect();
        proptest::collection::vec(
            prop_oneof![3 => proptest::sample::select(spaces), 1 => any::<char>()],
            0..40,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest::proptest! {
        /// The byte scanner collapses exactly the white space `char::is_whitespace` knows.
        #[test]
        fn collapsing_matches_split_whitespace(s in spaced_text()) {
            let expected = s.split_whitespace().collect::<Vec<_>>().join(" ");
            proptest::prop_assert_eq!(collapse_ws(&s), expected.clone());
            proptest::prop_assert_eq!(collapse_ws_owned(s.clone()), expected.clone());
            proptest::prop_assert_eq!(is_collapsed(&s), expected == s);
        }
    }

    #[test]
    fn clean_text_is_recognised_at_every_length() {
        let s = "funding market policy chips robotics – “quoted” café 人工智能 end";
        for n in (1..=s.len()).filter(|&n| s.is_char_boundary(n)) {
            let t = s[..n].trim_matches(' ');
            assert!(is_collapsed(t), "{t:?}");
        }
        assert!(!is_collapsed("a\u{2009}b"));
        assert!(!is_collapsed("a\u{3000}b"));
        assert!(!is_collapsed("a\tb"));
    }

    #[test]
    fn the_fast_path_agrees_with_the_parser() {
        for s in [
            "<p>Hello&nbsp;<b>world</b></p><p>again</p>",
            "AT&amp;T &#8217;s  \n deal &#x1F680;",
            "a<br>b<br/>c",
            "5 < 6 & 7 > 3",
            "<a href=\"x?a=1&b=2\" title='a > b'>link</a> text",
            "Caf&eacute; &amp;&amp; more &unknown; &",
            "<div><ul><li>one</li><li>two</li></ul></div>",
        ] {
            assert_eq!(simple_markup_to_text(s), Some(parsed_text(s)), "{s}");
        }
        for s in [
            "<!-- c -->x",
            "<script>x</script>",
            "a </ b",
            "<![CDATA[x]]>",
            "&amp x",
        ] {
            assert_eq!(simple_markup_to_text(s), None, "{s} needs the parser");
        }
    }

    #[test]
    fn drops_scripts_and_styles() {
        assert_eq!(
            html_to_text("<script>alert(1)</script>Safe <style>p{}</style>text"),
            "Safe text"
        );
    }

    #[test]
    fn keeps_bare_comparisons() {
        assert_eq!(html_to_text("5 < 6 & 7 > 3"), "5 < 6 & 7 > 3");
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate_chars("人工智能".into(), 2), "人工…");
        assert_eq!(truncate_chars("abc".into(), 3), "abc");
    }
}
