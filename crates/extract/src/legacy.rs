//! Formats feed-rs does not read as they are, brought into a form it does.
//!
//! - Atom 0.3 (`http://purl.org/atom/ns#`): still served by old blog engines. Its elements
//!   map one to one onto Atom 1.0 (`issued` → `published`, `modified` → `updated`, MIME
//!   types in `type`), so the namespace and those names are rewritten in the bytes.
//! - JSON Feed with numeric `id`s (common in 1.0 feeds): ids become strings.

use std::borrow::Cow;

const ATOM03_NS: &[u8] = b"http://purl.org/atom/ns#";

fn replace_all<'a>(hay: Cow<'a, [u8]>, from: &[u8], to: &[u8]) -> Cow<'a, [u8]> {
    if !hay.windows(from.len()).any(|w| w == from) {
        return hay;
    }
    let mut out = Vec::with_capacity(hay.len() + 64);
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// The document rewritten as Atom 1.0 when it is Atom 0.3; `None` otherwise.
pub fn atom03_as_atom10(bytes: &[u8]) -> Option<Vec<u8>> {
    let head = &bytes[..bytes.len().min(4096)];
    if !head.windows(ATOM03_NS.len()).any(|w| w == ATOM03_NS) {
        return None;
    }
    let mut doc = Cow::Borrowed(bytes);
    for (from, to) in [
        (ATOM03_NS, b"http://www.w3.org/2005/Atom".as_slice()),
        (b"<issued>", b"<published>"),
        (b"</issued>", b"</published>"),
        (b"<modified>", b"<updated>"),
        (b"</modified>", b"</updated>"),
        (b"type=\"text/plain\"", b"type=\"text\""),
        (b"type=\"text/html\"", b"type=\"html\""),
        (b"type=\"application/xhtml+xml\"", b"type=\"xhtml\""),
    ] {
        doc = replace_all(doc, from, to);
    }
    Some(doc.into_owned())
}

/// An `<rss>` root whose `version` feed-rs does not know (missing, 0.93, 0.94, 2.01, …)
/// rewritten as RSS 2.0, which all of them are in practice; `None` when nothing to do.
pub fn rss_version_as_20(bytes: &[u8]) -> Option<Vec<u8>> {
    let head = &bytes[..bytes.len().min(2048)];
    let start = head.windows(4).position(|w| w == b"<rss")?;
    let end = start + head[start..].iter().position(|b| *b == b'>')?;
    let tag = std::str::from_utf8(&head[start..end]).ok()?;
    if !tag[4..].starts_with(|c: char| c.is_whitespace()) && tag.len() > 4 {
        return None;
    }
    // An attribute we cannot read cleanly (no quotes, no closing quote) is left alone.
    let version = match tag.find("version=") {
        None => None,
        Some(v) => {
            let quote = *tag.as_bytes().get(v + 8)?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            let rest = tag.get(v + 9..)?;
            let end = rest.find(quote as char)?;
            Some((v, &rest[..end]))
        }
    };
    let new_tag = match version {
        Some((_, "2.0" | "" | "0.91" | "0.92")) => return None,
        Some((at, v)) => format!(
            "{}version=\"2.0\"{}",
            &tag[..at],
            tag.get(at + 9 + v.len() + 1..)?
        ),
        None => format!("<rss version=\"2.0\"{}", &tag[4..]),
    };
    let mut out = Vec::with_capacity(bytes.len() + 16);
    out.extend_from_slice(&bytes[..start]);
    out.extend_from_slice(new_tag.as_bytes());
    out.extend_from_slice(&bytes[end..]);
    Some(out)
}

/// Atom text constructs typed with a media type (`type="text/plain"`, `"TEXT"`, …), which
/// feed-rs refuses, given the Atom 1.0 names; `None` when nothing changed.
pub fn atom_text_types(bytes: &[u8]) -> Option<Vec<u8>> {
    static TYPED: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        regex::bytes::Regex::new(r#"(?i-u)(<(?:[a-z-]+:)?(?:title|subtitle|summary|rights|tagline|content)\s[^>]*?type=)(["'])([^"']*)(["'])"#)
            .expect("valid regex")
    });
    let mut changed = false;
    let out = TYPED.replace_all(bytes, |c: &regex::bytes::Captures| {
        let ty = String::from_utf8_lossy(&c[3]).trim().to_ascii_lowercase();
        let mapped = match ty.as_str() {
            "text" | "html" | "xhtml" => ty.clone(),
            "" | "text/plain" => "text".into(),
            "text/html" => "html".into(),
            "application/xhtml+xml" => "xhtml".into(),
            // Other media types: read as text; a content element keeps its own.
            other
                if c[1]
                    .to_ascii_lowercase()
                    .windows(8)
                    .any(|w| w == b"<content") =>
            {
                other.to_string()
            }
            _ => "text".into(),
        };
        changed |= mapped.as_bytes() != &c[3];
        let mut v = c[1].to_vec();
        v.extend_from_slice(&c[2]);
        v.extend_from_slice(mapped.as_bytes());
        v.extend_from_slice(&c[4]);
        v
    });
    changed.then(|| out.into_owned())
}

/// Atom texts carried in base64 (Atom 0.3 `mode="base64"`, or an Atom 1.0 text typed
/// `application/octet-stream`) decoded in place, so that a title reads as its text; `None`
/// when there is none.
pub fn atom_base64_texts(bytes: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    static OPEN: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        regex::bytes::Regex::new(
            r#"(?i-u)<((?:[a-z-]+:)?(?:title|subtitle|summary|tagline|content))(\s[^>]*?)>"#,
        )
        .expect("valid regex")
    });
    // The common case, cheaply: no base64 text at all.
    if memchr::memmem::find(bytes, b"base64").is_none()
        && memchr::memmem::find(bytes, b"octet-stream").is_none()
    {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut last = 0;
    let mut changed = false;
    for c in OPEN.captures_iter(bytes) {
        let whole = c.get(0).expect("group 0");
        let attrs = String::from_utf8_lossy(&c[2]).to_ascii_lowercase();
        let base64_mode = attrs.contains("mode=\"base64\"") || attrs.contains("mode='base64'");
        let octets = attrs.contains("application/octet-stream");
        if !(base64_mode || octets) || whole.start() < last {
            continue;
        }
        let close = [b"</".as_slice(), &c[1], b">"].concat();
        let Some(end) = bytes[whole.end()..]
            .windows(close.len())
            .position(|w| w.eq_ignore_ascii_case(&close))
        else {
            continue;
        };
        let inner: Vec<u8> = bytes[whole.end()..whole.end() + end]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(&inner) else {
            continue;
        };
        let Ok(text) = String::from_utf8(decoded) else {
            continue;
        };
        let html = attrs.contains("html");
        let escaped = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        out.extend_from_slice(&bytes[last..whole.start()]);
        out.extend_from_slice(format!("<{}", String::from_utf8_lossy(&c[1])).as_bytes());
        out.extend_from_slice(if html {
            b" type=\"html\">"
        } else {
            b" type=\"text\">"
        });
        out.extend_from_slice(escaped.as_bytes());
        last = whole.end() + end;
        changed = true;
    }
    if !changed {
        return None;
    }
    out.extend_from_slice(&bytes[last..]);
    Some(out)
}

/// The JSON Feed with every item `id` that is a number turned into a string; `None` when
/// the document is not JSON or has nothing to fix.
pub fn json_ids_as_strings(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut doc: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut changed = false;
    for item in doc.get_mut("items")?.as_array_mut()? {
        if let Some(id) = item.get_mut("id").filter(|id| id.is_number()) {
            *id = serde_json::Value::String(id.to_string());
            changed = true;
        }
    }
    changed.then(|| serde_json::to_vec(&doc).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom03_elements_map_to_atom10() {
        let doc = br#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><issued>x</issued></entry></feed>"#;
        let out = String::from_utf8(atom03_as_atom10(doc).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"<feed version="0.3" xmlns="http://www.w3.org/2005/Atom"><entry><published>x</published></entry></feed>"#
        );
        assert!(atom03_as_atom10(b"<feed xmlns=\"http://www.w3.org/2005/Atom\"/>").is_none());
    }

    #[test]
    fn unknown_rss_versions_become_20() {
        let out = |d: &[u8]| rss_version_as_20(d).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(
            out(b"<rss><channel/></rss>").as_deref(),
            Some("<rss version=\"2.0\"><channel/></rss>")
        );
        assert_eq!(
            out(b"<rss version='0.94' x='1'><channel/></rss>").as_deref(),
            Some("<rss version=\"2.0\" x='1'><channel/></rss>")
        );
        assert_eq!(out(b"<rss version=\"2.0\"><channel/></rss>"), None);
        assert_eq!(out(b"<rdf:RDF/>"), None);
        // Found by fuzzing: an unterminated version attribute made the rewrite slice out
        // of bounds.
        assert_eq!(out(b"<rss version=\"0.92@ <channel>"), None);
        assert_eq!(out(b"<rss version=0.93><channel/></rss>"), None);
    }

    #[test]
    fn atom_media_types_become_atom_names() {
        let out = atom_text_types(br#"<feed><title type="text/plain">A</title><summary type='TEXT'>B</summary><content type="image/png">x</content></feed>"#).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"<feed><title type="text">A</title><summary type='text'>B</summary><content type="image/png">x</content></feed>"#
        );
    }

    #[test]
    fn base64_atom_texts_are_decoded() {
        let doc = br#"<feed><entry><title mode="base64">
            RXhhbXBsZSA8Yj5BdG9tPC9iPg==
        </title><summary type="application/octet-stream">SGVsbG8=</summary></entry></feed>"#;
        let out = String::from_utf8(atom_base64_texts(doc).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"<feed><entry><title type="text">Example &lt;b&gt;Atom&lt;/b&gt;</title><summary type="text">Hello</summary></entry></feed>"#
        );
        assert!(atom_base64_texts(b"<feed><title>plain</title></feed>").is_none());
    }

    #[test]
    fn numeric_json_ids_become_strings() {
        let out = json_ids_as_strings(br#"{"version":"x","items":[{"id":2},{"id":"a"}]}"#).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"items":[{"id":"2"},{"id":"a"}],"version":"x"}"#
        );
        assert!(json_ids_as_strings(br#"{"items":[{"id":"a"}]}"#).is_none());
    }
}
