//! Character sets: any feed or page bytes to UTF-8, decoded exactly once.
//!
//! The order is the one browsers and careful feed readers use: a byte-order mark wins,
//! then the charset of the HTTP `Content-Type`, then what the document declares (the XML
//! prolog, or an HTML `<meta>` anywhere in the head), then detection. A declaration that
//! the bytes contradict (a "UTF-8" document that is not valid UTF-8, a GBK one that does
//! not decode) is passed over for the next rule. When bytes are transcoded, the XML prolog
//! is rewritten to say UTF-8, so the XML parser does not decode them a second time.

use encoding_rs::{Encoding, UTF_8};
use std::borrow::Cow;

/// Which rule chose the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    Bom,
    Http,
    Declared,
    Detected,
}

/// A document as UTF-8 bytes, with the encoding it came in.
#[derive(Debug)]
pub struct Utf8Doc<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub encoding: &'static Encoding,
    pub source: CharsetSource,
}

/// The `charset` parameter of a `Content-Type` header value.
pub fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(
            value
                .trim()
                .trim_matches(|c| c == '"' || c == '\'')
                .as_bytes(),
        )
    })
}

/// The encoding an XML prolog declares: `<?xml version="1.0" encoding="GBK"?>`.
fn xml_declared(bytes: &[u8]) -> Option<(&'static Encoding, std::ops::Range<usize>)> {
    let head = &bytes[..bytes.len().min(1024)];
    let start = find(head, b"<?xml")?;
    let end = start + find(&head[start..], b"?>")?;
    let decl = &head[start..end];
    let at = find(decl, b"encoding")?;
    let rest = &decl[at + 8..];
    let eq = rest.iter().position(|&b| b == b'=')?;
    let rest = &rest[eq + 1..];
    let open = rest.iter().position(|&b| b == b'"' || b == b'\'')?;
    let quote = rest[open];
    let close = open + 1 + rest[open + 1..].iter().position(|&b| b == quote)?;
    let label = &rest[open + 1..close];
    let value_start = start + at + 8 + eq + 1 + open + 1;
    Some((
        Encoding::for_label(label)?,
        value_start..value_start + label.len(),
    ))
}

/// The encoding an HTML page declares in a `<meta>` anywhere in its head.
fn html_declared(bytes: &[u8]) -> Option<&'static Encoding> {
    // Each page is searched in place, ASCII case ignored; only a `<meta>` tag is copied
    // to lowercase (a whole head was, once per page, for a few tags).
    let head = &bytes[..bytes.len().min(256 * 1024)];
    let starts = |at: usize, word: &[u8]| {
        head.get(at + 1..at + 1 + word.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(word))
    };
    for at in memchr::memchr_iter(b'<', head) {
        if starts(at, b"/head") {
            break;
        }
        if !starts(at, b"meta") {
            continue;
        }
        let tag_start = at;
        let tag_end = tag_start
            + head[tag_start..]
                .iter()
                .position(|&b| b == b'>')
                .unwrap_or(head.len() - tag_start);
        let tag = head[tag_start..tag_end].to_ascii_lowercase();
        let tag = &tag[..];
        if let Some(at) = find(tag, b"charset") {
            let rest = &tag[at + 7..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let len = rest
                    .iter()
                    .position(|&b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                    .unwrap_or(rest.len());
                if let Some(enc) = Encoding::for_label(&rest[..len]) {
                    return Some(enc);
                }
            }
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decodes without replacement: `None` when the bytes are not in that encoding.
fn decode_strict<'a>(bytes: &'a [u8], enc: &'static Encoding) -> Option<Cow<'a, str>> {
    if enc == UTF_8 {
        return std::str::from_utf8(bytes).ok().map(Cow::Borrowed);
    }
    enc.decode_without_bom_handling_and_without_replacement(bytes)
}

/// Turns a document into UTF-8. `content_type` is the HTTP header, when there was one.
pub fn to_utf8<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Utf8Doc<'a> {
    let (original, text, enc, source) = decode(bytes, content_type);
    finish(original, text, enc, source)
}

/// A document as text, by the same rules as [`to_utf8`], for readers that take `&str`
/// (article pages): no second validation pass, and the XML prolog left as it is.
pub fn to_text<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Cow<'a, str> {
    decode(bytes, content_type).1
}

type Decoded<'a> = (&'a [u8], Cow<'a, str>, &'static Encoding, CharsetSource);

fn decode<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Decoded<'a> {
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom..];
        let (text, _) = enc.decode_without_bom_handling(body);
        return (body, text, enc, CharsetSource::Bom);
    }
    let mut candidates: Vec<(&'static Encoding, CharsetSource)> = Vec::with_capacity(3);
    if let Some(enc) = content_type.and_then(http_charset) {
        candidates.push((enc, CharsetSource::Http));
    }
    match xml_declared(bytes) {
        Some((enc, _)) => candidates.push((enc, CharsetSource::Declared)),
        None => {
            if let Some(enc) = html_declared(bytes) {
                candidates.push((enc, CharsetSource::Declared));
            }
        }
    }
    for (enc, source) in candidates {
        // A UTF-16 label on bytes that reached here (no BOM) is a lie an ASCII-compatible
        // document tells about itself; decoding it as UTF-16 would garble everything.
        let enc = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
            UTF_8
        } else {
            enc
        };
        if let Some(text) = decode_strict(bytes, enc) {
            return (bytes, text, enc, source);
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (bytes, Cow::Borrowed(text), UTF_8, CharsetSource::Detected);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let enc = detector.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _, _) = enc.decode(bytes);
    (bytes, text, enc, CharsetSource::Detected)
}

/// Hands back the UTF-8 bytes, borrowing when nothing changed, and makes an XML prolog
/// say what the bytes now are.
fn finish<'a>(
    original: &'a [u8],
    text: Cow<'a, str>,
    enc: &'static Encoding,
    source: CharsetSource,
) -> Utf8Doc<'a> {
    let mut bytes: Cow<'a, [u8]> = match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    };
    if let Some((declared, range)) = xml_declared(&bytes)
        && declared != UTF_8
    {
        let mut fixed = bytes.into_owned();
        fixed.splice(range, b"UTF-8".iter().copied());
        bytes = Cow::Owned(fixed);
    }
    debug_assert!(bytes.len() <= original.len() * 4 + 16);
    Utf8Doc {
        bytes,
        encoding: enc,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf8(bytes: &[u8], ct: Option<&str>) -> (String, &'static str, CharsetSource) {
        let d = to_utf8(bytes, ct);
        (
            String::from_utf8(d.bytes.into_owned()).unwrap(),
            d.encoding.name(),
            d.source,
        )
    }

    #[test]
    fn utf8_documents_are_borrowed_untouched() {
        let doc = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>é</rss>".as_bytes();
        let d = to_utf8(doc, Some("application/rss+xml"));
        assert!(matches!(d.bytes, Cow::Borrowed(_)));
    }

    #[test]
    fn a_bom_wins_over_everything() {
        let mut doc = vec![0xFF, 0xFE];
        for u in "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>é</a>".encode_utf16() {
            doc.extend_from_slice(&u.to_le_bytes());
        }
        let (text, enc, src) = utf8(&doc, Some("text/xml; charset=windows-1252"));
        assert_eq!((enc, src), ("UTF-16LE", CharsetSource::Bom));
        assert_eq!(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>é</a>");
    }

    #[test]
    fn http_charset_beats_the_prolog_and_the_prolog_is_rewritten() {
        let (gbk, _, _) =
            encoding_rs::GBK.encode("<?xml version=\"1.0\" encoding=\"big5\"?><t>人工智能</t>");
        let (text, enc, src) = utf8(&gbk, Some("application/xml; charset=\"GBK\""));
        assert_eq!((enc, src), ("GBK", CharsetSource::Http));
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>人工智能</t>"
        );
    }

    #[test]
    fn a_lying_utf8_declaration_falls_through_to_detection() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><t>Café crème, naïve façade — déjà vu</t>",
        );
        let (text, enc, src) = utf8(&bytes, None);
        assert_eq!(src, CharsetSource::Detected);
        assert_eq!(enc, "windows-1252");
        assert!(
            text.contains("Café crème, naïve façade — déjà vu"),
            "{text}"
        );
    }

    #[test]
    fn html_meta_is_found_past_the_first_kilobyte() {
        let filler = " ".repeat(4000);
        let page = format!(
            "<html><head><title>x</title>{filler}<meta charset=\"shift_jis\"></head><body>日本語</body></html>"
        );
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&page);
        let (text, enc, src) = utf8(&bytes, Some("text/html"));
        assert_eq!((enc, src), ("Shift_JIS", CharsetSource::Declared));
        assert!(text.contains("日本語"));
    }

    #[test]
    fn http_equiv_meta_counts_too() {
        let page = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\"></head><body>台灣</body></html>";
        let (bytes, _, _) = encoding_rs::BIG5.encode(page);
        let (text, enc, _) = utf8(&bytes, None);
        assert_eq!(enc, "Big5");
        assert!(text.contains("台灣"));
    }

    #[test]
    fn undeclared_legacy_bytes_are_detected() {
        let (bytes, _, _) = encoding_rs::GBK
            .encode("<rss><title>中国人工智能产业发展迅速，开源模型下载量大幅增长</title></rss>");
        let (text, enc, src) = utf8(&bytes, None);
        assert_eq!(src, CharsetSource::Detected);
        assert_eq!(enc, "GBK");
        assert!(text.contains("人工智能"));
    }
}
