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
    let doc = Html::parse_fragment(&crate::nesting::defuse(s));
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

/// Cuts `s` to at most `max` characters on a character boundary, marking the cut with `…`.
pub fn truncate_chars(s: String, max: usize) -> String {
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
