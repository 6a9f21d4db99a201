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

/// A document as UTF-8 text, with the encoding it came in.
#[derive(Debug)]
pub struct Utf8Text<'a> {
    pub text: Cow<'a, str>,
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
    let t = to_text(bytes, content_type);
    Utf8Doc {
        bytes: match t.text {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        },
        encoding: t.encoding,
        source: t.source,
    }
}

/// [`to_utf8`], handing back text (the bytes are checked as UTF-8 only once).
pub fn to_text<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Utf8Text<'a> {
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom..];
        let (text, _) = enc.decode_without_bom_handling(body);
        return finish(body, text, enc, CharsetSource::Bom);
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
    let utf8 = std::str::from_utf8(bytes).ok();
    for (enc, source) in candidates {
        // A UTF-16 label on bytes that reached here (no BOM) is a lie an ASCII-compatible
        // document tells about itself; decoding it as UTF-16 would garble everything.
        let enc = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
            UTF_8
        } else {
            enc
        };
        // Bytes that are valid UTF-8 with characters beyond ASCII are UTF-8, whatever the
        // label says: a server's default `charset=iso-8859-1` on a UTF-8 feed is common,
        // while legacy text that happens to form valid multi-byte UTF-8 is not.
        if enc != UTF_8
            && let Some(text) = utf8.filter(|t| !t.is_ascii())
        {
            return finish(bytes, Cow::Borrowed(text), UTF_8, CharsetSource::Detected);
        }
        if let Some(text) = decode_strict(bytes, enc) {
            return finish(bytes, text, enc, source);
        }
    }
    if let Some(text) = utf8 {
        return finish(bytes, Cow::Borrowed(text), UTF_8, CharsetSource::Detected);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let enc = detector.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _, _) = enc.decode(bytes);
    finish(bytes, text, enc, CharsetSource::Detected)
}

/// Hands back the UTF-8 bytes, borrowing when nothing changed, and makes an XML prolog
/// say what the bytes now are.
fn finish<'a>(
    original: &'a [u8],
    text: Cow<'a, str>,
    enc: &'static Encoding,
    source: CharsetSource,
) -> Utf8Text<'a> {
    let text = match undo_double_encoding(&text) {
        Some(fixed) => Cow::Owned(fixed),
        None => text,
    };
    let mut text = text;
    if let Some((declared, range)) = xml_declared(text.as_bytes())
        && declared != UTF_8
    {
        text.to_mut().replace_range(range, "UTF-8");
    }
    debug_assert!(text.len() <= original.len() * 4 + 16);
    Utf8Text {
        text,
        encoding: enc,
        source,
    }
}

/// The text decoded once more when the whole of it is double-encoded: UTF-8 that was read
/// as Windows-1252 (or Latin-1) and encoded as UTF-8 again, so that `Brøndby` reads
/// `BrÃ¸ndby`. Only a text every character of which goes back to Windows-1252, and whose
/// bytes then form valid UTF-8 that is shorter, is decoded again: real text (`Ã la
/// carte`, `São Paulo`) never does. Called on whole documents, and on each title, summary
/// and author (a feed may double-encode some items only).
pub fn undo_double_encoding(text: &str) -> Option<String> {
    // The tell-tale lead characters of two- and three-byte sequences read as Windows-1252.
    if text.is_ascii()
        || !text.contains([
            'Ã', 'Â', 'â', 'Ä', 'Å', 'Ð', 'Ñ', 'Ø', 'Ù', 'æ', 'ç', 'è', 'é',
        ])
    {
        return None;
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    if unmappable {
        return None;
    }
    String::from_utf8(bytes.into_owned())
        .ok()
        .filter(|fixed| fixed.chars().count() < text.chars().count())
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
    fn a_legacy_label_on_utf8_bytes_is_overruled() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>Brøndby – 人工智能</t>";
        let (text, enc, src) = utf8(doc.as_bytes(), None);
        assert_eq!((enc, src), ("UTF-8", CharsetSource::Detected));
        assert!(text.contains("Brøndby – 人工智能"), "{text}");
        let (text, enc, _) = utf8(doc.as_bytes(), Some("text/xml; charset=iso-8859-1"));
        assert_eq!(enc, "UTF-8");
        assert!(text.contains("Brøndby"));
        // Real Latin-1 bytes keep their label.
        let plain = doc.replace(" – 人工智能", "");
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(&plain);
        let (text, enc, _) = utf8(&latin, None);
        assert_eq!(enc, "windows-1252");
        assert!(text.contains("Brøndby"));
    }

    #[test]
    fn a_wholly_double_encoded_document_is_decoded_once_more() {
        let once = "<t>Brøndby – café “quoted”</t>";
        let misread = encoding_rs::WINDOWS_1252.decode(once.as_bytes()).0;
        let twice = misread.as_bytes();
        let (text, _, _) = utf8(twice, None);
        assert_eq!(text, once);
        // Mojibake next to a character Windows-1252 cannot hold: left as it is.
        let mixed = format!("{misread}人");
        let (text, _, _) = utf8(mixed.as_bytes(), None);
        assert!(text.contains("BrÃ¸ndby"));
        // Real text with the same letters is no mojibake.
        let (text, _, _) = utf8("<t>Ã la carte, São Paulo</t>".as_bytes(), None);
        assert_eq!(text, "<t>Ã la carte, São Paulo</t>");
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
