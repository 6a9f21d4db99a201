//! Lenient XML: the repairs that let a broken feed still yield what can be read.
//!
//! Feeds in the wild carry control characters, bare `&`, HTML entities (`&nbsp;`) that
//! XML does not know, and documents cut off mid-item by a proxy or a full disk. A strict
//! parser gives up on all of it. These repairs run only after the strict parse failed,
//! so a well-formed feed pays nothing; each one leaves a warning for the operator.

use std::fmt::Write as _;

/// A repaired document and what was done to it.
#[derive(Debug, PartialEq)]
pub struct Repaired {
    pub text: String,
    pub warnings: Vec<String>,
}

const XML_ENTITIES: &[&str] = &["amp", "lt", "gt", "quot", "apos"];

/// Whether `c` may appear in an XML 1.0 document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Fixes characters and entity references outside CDATA sections and comments.
fn fix_text(doc: &str, warnings: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(doc.len() + 64);
    let (mut controls, mut bare, mut html) = (0usize, 0usize, 0usize);
    let mut rest = doc;
    while !rest.is_empty() {
        // Copy CDATA sections and comments verbatim (but still without control characters).
        for (open, close) in [("<![CDATA[", "]]>"), ("<!--", "-->")] {
            if rest.starts_with(open) {
                let end = rest.find(close).map_or(rest.len(), |e| e + close.len());
                for c in rest[..end].chars() {
                    if is_xml_char(c) {
                        out.push(c);
                    } else {
                        controls += 1;
                    }
                }
                rest = &rest[end..];
            }
        }
        let Some(c) = rest.chars().next() else { break };
        if c == '&' {
            let name_len = rest[1..]
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '#'))
                .unwrap_or(rest.len() - 1);
            let name = &rest[1..1 + name_len];
            let terminated = rest[1 + name_len..].starts_with(';');
            if terminated && (XML_ENTITIES.contains(&name) || is_char_ref(name)) {
                out.push_str(&rest[..name_len + 2]);
                rest = &rest[name_len + 2..];
                continue;
            }
            let key = format!("{name};");
            if let Some(&(a, b)) = markup5ever::data::NAMED_ENTITIES
                .get(key.as_str())
                .filter(|_| terminated)
            {
                let _ = write!(out, "&#{a};");
                if b != 0 {
                    let _ = write!(out, "&#{b};");
                }
                html += 1;
                rest = &rest[name_len + 2..];
                continue;
            }
            out.push_str("&amp;");
            bare += 1;
            rest = &rest[1..];
            continue;
        }
        if is_xml_char(c) {
            out.push(c);
        } else {
            controls += 1;
        }
        rest = &rest[c.len_utf8()..];
    }
    if controls > 0 {
        warnings.push(format!(
            "removed {controls} control character(s) XML does not allow"
        ));
    }
    if bare > 0 {
        warnings.push(format!("escaped {bare} bare `&`"));
    }
    if html > 0 {
        warnings.push(format!(
            "replaced {html} HTML entity reference(s) unknown to XML"
        ));
    }
    out
}

fn is_char_ref(name: &str) -> bool {
    match name.strip_prefix('#') {
        Some(hex) if hex.starts_with(['x', 'X']) => {
            hex.len() > 1 && hex[1..].chars().all(|c| c.is_ascii_hexdigit())
        }
        Some(dec) => !dec.is_empty() && dec.chars().all(|c| c.is_ascii_digit()),
        None => false,
    }
}

/// The root element's name (`rss`, `feed`, `rdf:RDF`).
fn root_name(doc: &str) -> Option<&str> {
    let mut rest = doc;
    loop {
        let at = rest.find('<')?;
        rest = &rest[at + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        return Some(&rest[..end]);
    }
}

/// Cuts a document that ends mid-item after its last complete item and closes it.
fn close_truncated(doc: &str, warnings: &mut Vec<String>) -> Option<String> {
    let root = root_name(doc)?;
    if doc.trim_end().ends_with(&format!("</{root}>")) {
        return None;
    }
    let local = root.rsplit(':').next().unwrap_or(root);
    let (item_close, closers) = match local {
        "rss" => ("</item>", format!("</channel></{root}>")),
        "RDF" => ("</item>", format!("</{root}>")),
        "feed" => ("</entry>", format!("</{root}>")),
        _ => return None,
    };
    let cut = doc.rfind(item_close).map(|at| at + item_close.len())?;
    warnings.push("the document is cut off; kept the items before the cut".into());
    Some(format!("{}{closers}", &doc[..cut]))
}

/// Repairs what can be repaired; `None` when nothing needed it.
pub fn repair(doc: &str) -> Option<Repaired> {
    let mut warnings = Vec::new();
    let text = fix_text(doc, &mut warnings);
    let text = close_truncated(&text, &mut warnings).unwrap_or(text);
    (!warnings.is_empty()).then_some(Repaired { text, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_ampersands_and_controls_are_fixed() {
        let r =
            repair("<rss><t>Fish &amp; chips & peas&nbsp;&hellip; &#233; &#xE9;\u{1}</t></rss>")
                .unwrap();
        assert_eq!(
            r.text,
            "<rss><t>Fish &amp; chips &amp; peas&#160;&#8230; &#233; &#xE9;</t></rss>"
        );
        assert_eq!(r.warnings.len(), 3, "{:?}", r.warnings);
    }

    #[test]
    fn cdata_is_left_alone() {
        assert_eq!(repair("<rss><t><![CDATA[a & b &nbsp;]]></t></rss>"), None);
    }

    #[test]
    fn a_cut_off_document_keeps_its_complete_items() {
        let doc = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>A</title></item><item><title>B</ti";
        let r = repair(doc).unwrap();
        assert_eq!(
            r.text,
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>A</title></item></channel></rss>"
        );
        let atom =
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id></entry><entry><id>2";
        assert!(
            repair(atom)
                .unwrap()
                .text
                .ends_with("<entry><id>1</id></entry></feed>")
        );
    }
}
