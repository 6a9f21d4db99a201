//! A guard against pathologically deep markup. html5ever checks element scopes against
//! its stack of open elements, so a page nested a hundred thousand levels deep costs time
//! quadratic in its depth. No real page nests more than a few hundred levels; past
//! [`MAX_NESTING`], the document is cut where the nesting passes the limit, and what
//! came before it is read as usual.

use std::borrow::Cow;

/// Open elements allowed at once before the rest of a document is dropped.
pub const MAX_NESTING: usize = 1_000;

/// Elements that never have content, so never add to the depth.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "!doctype",
];

/// The document, cut where its nesting would pass [`MAX_NESTING`]; borrowed when it never
/// does (a cheap scan of tag names, not a parse).
pub fn defuse(html: &str) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut depth: usize = 0;
    let mut i = 0;
    while let Some(off) = memchr_lt(&bytes[i..]) {
        let at = i + off;
        let rest = &html[at..];
        if rest.starts_with("<!--") {
            i = at + rest.find("-->").map_or(rest.len(), |e| e + 3);
            continue;
        }
        let closing = rest.starts_with("</");
        let name_start = at + if closing { 2 } else { 1 };
        let name_len = bytes[name_start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'!' || *b == b'-'))
            .unwrap_or(bytes.len() - name_start);
        if name_len == 0 {
            i = at + 1;
            continue;
        }
        // Compared without case and without a copy: this runs on every tag of every page.
        let name = &html[name_start..name_start + name_len];
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        let tag_end = memchr::memchr(b'>', &bytes[at..]).map_or(bytes.len(), |e| at + e + 1);
        if closing {
            depth = depth.saturating_sub(1);
        } else if !VOID.iter().any(|v| is(v)) && !html[..tag_end].ends_with("/>") {
            if let Some(raw) = ["script", "style", "textarea", "title"]
                .into_iter()
                .find(|n| is(n))
            {
                // Raw text: skip to its end tag, it holds no elements.
                i = find_end_tag(html, tag_end, raw);
                continue;
            }
            depth += 1;
            if depth > MAX_NESTING {
                return Cow::Owned(html[..at].to_string());
            }
        }
        i = tag_end.max(at + 1);
    }
    Cow::Borrowed(html)
}

/// Where the raw-text element `name` that starts at `from` ends: the next `</name`,
/// compared without case and without copying (a page of many scripts stays linear).
fn find_end_tag(html: &str, from: usize, name: &str) -> usize {
    let bytes = html.as_bytes();
    let mut i = from;
    while let Some(off) = memchr::memmem::find(&bytes[i..], b"</") {
        let at = i + off;
        let candidate = &bytes[at + 2..(at + 2 + name.len()).min(bytes.len())];
        if candidate.eq_ignore_ascii_case(name.as_bytes()) {
            return at;
        }
        i = at + 2;
    }
    html.len()
}

fn memchr_lt(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'<', b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_pass_untouched() {
        let page = "<html><head><meta charset=utf-8><title>a<b</title><script>if (a<b) {}</script></head>\
                    <body><div><p>x<br>y</p><img src=x></div><!-- <div><div> --></body></html>";
        assert!(matches!(defuse(page), Cow::Borrowed(_)));
    }

    #[test]
    fn many_scripts_stay_linear() {
        // Found in review: each raw-text element copied the rest of the page.
        let page = "<script>x</script>".repeat(200_000);
        let started = std::time::Instant::now();
        assert!(matches!(defuse(&page), Cow::Borrowed(_)));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn deep_nesting_is_cut_at_the_limit() {
        let page = format!(
            "<html><body><h1>Top</h1>{}x{}</body></html>",
            "<div>".repeat(5_000),
            "</div>".repeat(5_000)
        );
        let cut = defuse(&page);
        assert!(cut.len() < page.len());
        assert!(cut.contains("<h1>Top</h1>"));
        assert_eq!(cut.matches("<div>").count(), MAX_NESTING - 2);
    }
}
