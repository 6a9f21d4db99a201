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
    // Most text is already clean: one pass to check, no copy when it is.
    let clean = !s.starts_with(char::is_whitespace)
        && !s.ends_with(char::is_whitespace)
        && !s
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b' ' && w[1] == b' ')
        && !s.contains(|c: char| c.is_whitespace() && c != ' ');
    if clean {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The plain text of an HTML fragment (or of text that merely might contain markup).
pub fn html_to_text(s: &str) -> String {
    if !s.contains(['<', '&']) {
        return collapse_ws(s);
    }
    simple_markup_to_text(s).unwrap_or_else(|| parsed_text(&crate::nesting::defuse(s)))
}

/// The text of a fragment as html5ever parses it: text nodes outside hidden elements,
/// block boundaries as spaces.
fn parsed_text(s: &str) -> String {
    let doc = Html::parse_fragment(s);
    let mut out = String::with_capacity(s.len());
    let mut hidden = 0usize;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Text(t) if hidden == 0 => out.push_str(t),
                Node::Element(e) if is_hidden(e.name()) => hidden += 1,
                Node::Element(e) if is_block(e.name()) => out.push(' '),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    if is_hidden(e.name()) {
                        hidden = hidden.saturating_sub(1);
                    } else if is_block(e.name()) {
                        out.push(' ');
                    }
                }
            }
        }
    }
    collapse_ws(&out)
}

/// The text of markup simple enough to need no HTML parser: tags (dropped, blocks as
/// spaces) and character references. Anything html5ever treats specially — comments,
/// CDATA, `<script>`/`<style>` and other raw-text elements, a `<` that opens no tag
/// cleanly — gives `None`, and the caller parses properly. Most feed titles and
/// summaries take this path, which is what keeps extraction near the XML parser's speed.
fn simple_markup_to_text(s: &str) -> Option<String> {
    if s.contains(['\0', '\u{feff}']) {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut open_blocks: Vec<String> = Vec::new();
    let mut rest = s;
    while let Some(at) = memchr::memchr2(b'<', b'&', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if rest.starts_with('<') {
            let after = &rest[1..];
            let closing = after.starts_with('/');
            let name_at = usize::from(closing);
            let name_len = after[name_at..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(after.len() - name_at);
            if name_len == 0 || !after[name_at..].starts_with(|c: char| c.is_ascii_alphabetic()) {
                if after.starts_with(['!', '?']) || closing {
                    return None;
                }
                // A lone "<" ("5 < 6") is text.
                out.push('<');
                rest = after;
                continue;
            }
            let name = after[name_at..name_at + name_len].to_ascii_lowercase();
            if is_hidden(&name)
                || matches!(
                    name.as_str(),
                    "textarea" | "xmp" | "plaintext" | "iframe" | "noembed"
                )
            {
                return None;
            }
            // The tag ends at the first '>' outside a quoted attribute value (a quote
            // opens a value only right after '=').
            let mut quote: Option<char> = None;
            let mut after_eq = false;
            let mut end = None;
            for (i, c) in after.char_indices().skip(name_at + name_len) {
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if after_eq && (c == '"' || c == '\'') => quote = Some(c),
                    None if c == '>' => {
                        end = Some((i, c));
                        break;
                    }
                    None => {}
                }
                if quote.is_none() && !c.is_ascii_whitespace() {
                    after_eq = c == '=';
                }
            }
            let end = end?;
            // Tag names run to white space, '/' or '>': "<a\"x>" is one odd name.
            if after[name_at + name_len..]
                .starts_with(|c: char| !(c.is_ascii_whitespace() || c == '/' || c == '>'))
            {
                return None;
            }
            if is_block(&name) {
                let void = matches!(name.as_str(), "br" | "hr");
                if closing && void {
                    // "</br>" is read as "<br>" by browsers; leave such oddities to the parser.
                    return None;
                }
                if !closing {
                    let heading = |n: &str| {
                        n.len() == 2 && n.starts_with('h') && n.as_bytes()[1].is_ascii_digit()
                    };
                    if open_blocks
                        .iter()
                        .any(|b| *b == name || (heading(b) && heading(&name)))
                    {
                        // A <p> in a <p>, an <h2> in an <h2>: implied ends, the parser's.
                        return None;
                    }
                    out.push(' ');
                    if !void {
                        open_blocks.push(name);
                    }
                } else if open_blocks.last() == Some(&name) {
                    open_blocks.pop();
                    out.push(' ');
                } else {
                    // A stray or mis-nested end tag: the parser's implied-end rules decide
                    // (it may ignore it, or for </p> make an empty paragraph); leave it to
                    // the parser.
                    return None;
                }
            }
            rest = &after[end.0 + 1..];
        } else {
            // A character reference, or a lone '&'.
            let body = &rest[1..];
            let len = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
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
                if code.is_none() {
                    return None;
                }
                // The HTML rules for odd code points (C1 controls, surrogates) are the
                // parser's business.
                match code {
                    Some(c)
                        if (0x20..0x80).contains(&c)
                            || (0xA0..0xD800).contains(&c)
                            || (0xE000..0x11_0000).contains(&c)
                            || c == 9
                            || c == 10 =>
                    {
                        char::from_u32(c).map(String::from)
                    }
                    Some(_) => return None,
                    None => None,
                }
            } else if terminated {
                // The table also holds every prefix of every name, mapped to (0, 0).
                markup5ever::data::NAMED_ENTITIES
                    .get(format!("{name};").as_str())
                    .filter(|v| v.0 != 0)
                    .map(|&(a, b)| {
                        let mut t = String::new();
                        t.extend(char::from_u32(a));
                        if b != 0 {
                            t.extend(char::from_u32(b));
                        }
                        t
                    })
            } else {
                None
            };
            match decoded {
                Some(text) => {
                    out.push_str(&text);
                    rest = &body[len + usize::from(terminated)..];
                }
                None => {
                    // "AT&T", "a & b" are text; but a legacy entity name at the start
                    // ("&lta", "&copy2026") is decoded by the parser's rules: leave it.
                    if (1..=name.len()).any(|k| {
                        name.is_char_boundary(k)
                            && markup5ever::data::NAMED_ENTITIES
                                .get(&name[..k])
                                .is_some_and(|v| v.0 != 0)
                    }) {
                        return None;
                    }
                    out.push('&');
                    rest = body;
                }
            }
        }
    }
    out.push_str(rest);
    Some(collapse_ws(&out))
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
