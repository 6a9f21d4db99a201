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
    fn numeric_json_ids_become_strings() {
        let out = json_ids_as_strings(br#"{"version":"x","items":[{"id":2},{"id":"a"}]}"#).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"items":[{"id":"2"},{"id":"a"}],"version":"x"}"#
        );
        assert!(json_ids_as_strings(br#"{"items":[{"id":"a"}]}"#).is_none());
    }
}
