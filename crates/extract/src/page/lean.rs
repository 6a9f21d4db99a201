//! A lean copy of a page for the scan: the bodies of `<script>`, `<style>` and inline
//! `<svg>` taken out, comments and the white space between tags dropped, and the page cut
//! where its nesting passes [`MAX_NESTING`].
//!
//! Why: scripts, styles and SVG drawings are about half of a page's bytes, and the
//! tokenizer decodes every byte of text it passes to a handler, though dating reads none
//! of styles and drawings and reads scripts only as whole strings. A memchr scan of tag
//! names finds them at a fraction of that cost, and the script bodies are handed to the
//! scan beside the copy, in order. White space alone between two tags is a text node the
//! tokenizer would hand over on its own, and the scan joins text nodes with a space
//! anyway, so leaving it out changes no text the rules read. The scan checks that it met as many scripts as this
//! found, and reads the whole page when it did not (a `<script` this scan took for a tag
//! where the tokenizer saw text), so a mistake here costs time, never a wrong reading.

use std::borrow::Cow;

/// Open elements allowed at once before the rest of a page is dropped: no real page nests
/// more than a few hundred levels, and one nested a hundred thousand deep is an attack.
pub(crate) const MAX_NESTING: usize = 1_000;

/// Elements that never have content, so never add to the depth.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];

/// Elements whose content is text up to their end tag, never markup.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "noscript", "iframe", "xmp", "noembed", "noframes",
];

pub(crate) struct Lean<'a> {
    pub html: Cow<'a, str>,
    /// The text of every `<script>`, in document order.
    pub scripts: Vec<&'a str>,
}

pub(crate) fn lean(html: &str) -> Lean<'_> {
    let bytes = html.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut scripts = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    // Leaves html[from..to] out of the copy.
    let skip = |out: &mut String, copied: &mut usize, from: usize, to: usize| {
        if out.capacity() == 0 {
            out.reserve(html.len() / 2);
        }
        out.push_str(&html[*copied..from]);
        *copied = to;
    };
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + off;
        if off > 0 && at > copied && bytes[i..at].iter().all(u8::is_ascii_whitespace) {
            skip(&mut out, &mut copied, i, at);
        }
        let rest = &bytes[at..];
        if rest.starts_with(b"<!--") {
            let end =
                memchr::memmem::find(&rest[4..], b"-->").map_or(bytes.len(), |e| at + 4 + e + 3);
            skip(&mut out, &mut copied, at, end);
            i = end;
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = at + 1 + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-'))
            .unwrap_or(bytes.len() - name_start);
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            i = at + 1;
            continue;
        }
        // Lowercased into a small buffer once, then matched: no real tag the rules name
        // is longer than it.
        let mut lower = [0u8; 10];
        let known = name_len <= lower.len();
        if known {
            lower[..name_len].copy_from_slice(&bytes[name_start..name_start + name_len]);
            lower[..name_len].make_ascii_lowercase();
        }
        let lower = &lower[..if known { name_len } else { 0 }];
        let is = |n: &str| lower == n.as_bytes();
        let tag_end = tag_end(bytes, name_start + name_len);
        if closing {
            depth = depth.saturating_sub(1);
            i = tag_end;
            continue;
        }
        // Raw text first: `<script src=x />` still opens a script in HTML.
        let raw = RAW_TEXT.iter().find(|n| is(n));
        let void = VOID.iter().any(|v| is(v));
        if raw.is_none() && (void || bytes[..tag_end].ends_with(b"/>")) {
            // Images, inputs, line breaks and `<link>`s other than the canonical one tell
            // nothing about a date: a space stands for them (they part text nodes).
            let kept = is("meta")
                || is("base")
                || (is("link")
                    && memchr::memmem::find(
                        &bytes[at..tag_end].to_ascii_lowercase(),
                        b"canonical",
                    )
                    .is_some());
            if void && !kept {
                skip(&mut out, &mut copied, at, tag_end);
                out.push(' ');
            }
            i = tag_end;
            continue;
        }
        depth += 1;
        if depth > MAX_NESTING {
            out.push_str(&html[copied..at]);
            return Lean {
                html: Cow::Owned(out),
                scripts,
            };
        }
        if let Some(raw) = raw {
            let end = end_tag(bytes, tag_end, raw.as_bytes());
            match *raw {
                "script" => {
                    scripts.push(&html[tag_end..end]);
                    skip(&mut out, &mut copied, tag_end, end);
                }
                "style" | "noscript" => skip(&mut out, &mut copied, tag_end, end),
                _ => {}
            }
            i = end;
            continue;
        }
        // Whole subtrees no rule reads: drawings, templates, menus (navigation is
        // boilerplate wherever it stands, and its dates are other pages'), and the
        // options of a form.
        if (is("svg") || is("template") || is("nav") || is("select"))
            && let Some(end) = find_matching_end(bytes, tag_end, lower)
        {
            skip(&mut out, &mut copied, tag_end, end);
            i = end;
            continue;
        }
        i = tag_end;
    }
    let html = if copied == 0 {
        Cow::Borrowed(html)
    } else {
        out.push_str(&html[copied..]);
        Cow::Owned(out)
    };
    Lean { html, scripts }
}

/// Where the tag whose name ends at `from` ends: after its `>`, passing over `>` inside
/// quoted attribute values.
fn tag_end(bytes: &[u8], mut from: usize) -> usize {
    while let Some(off) = memchr::memchr3(b'>', b'"', b'\'', &bytes[from..]) {
        let at = from + off;
        match bytes[at] {
            b'>' => return at + 1,
            quote => {
                // A quote opens a value only right after `=` (and white space).
                let before = bytes[..at].iter().rposition(|b| !b.is_ascii_whitespace());
                if before.is_some_and(|b| bytes[b] == b'=') {
                    match memchr::memchr(quote, &bytes[at + 1..]) {
                        Some(close) => from = at + 1 + close + 1,
                        None => return bytes.len(),
                    }
                } else {
                    from = at + 1;
                }
            }
        }
    }
    bytes.len()
}

/// The end tag that closes the element whose content starts at `from`, counting the
/// elements of the same name opened inside it (a menu within a menu).
fn find_matching_end(bytes: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut open = 0usize;
    let mut i = from;
    loop {
        let end = find_end_tag(bytes, i, name)?;
        // Elements of the same name opened before this end tag.
        let mut j = i;
        while let Some(off) = memchr::memmem::find(&bytes[j..end], b"<") {
            let at = j + off;
            let after = at + 1 + name.len();
            if bytes[at + 1..after.min(end)].eq_ignore_ascii_case(name)
                && bytes
                    .get(after)
                    .is_some_and(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
            {
                open += 1;
            }
            j = at + 1;
        }
        if open == 0 {
            return Some(end);
        }
        open -= 1;
        i = end + 2;
    }
}

/// Where the raw text that starts at `from` ends: at its `</name`, or the page's end.
fn end_tag(bytes: &[u8], from: usize, name: &[u8]) -> usize {
    find_end_tag(bytes, from, name).unwrap_or(bytes.len())
}

/// The next `</name` at or after `from` that a tokenizer would take for the end tag
/// (followed by white space, `/` or `>`), compared without case and without copying.
fn find_end_tag(bytes: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(off) = memchr::memmem::find(&bytes[i..], b"</") {
        let at = i + off;
        let after = at + 2 + name.len();
        let candidate = &bytes[at + 2..after.min(bytes.len())];
        if candidate.eq_ignore_ascii_case(name)
            && bytes
                .get(after)
                .is_none_or(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
        {
            return Some(at);
        }
        i = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_style_and_svg_bodies_are_taken_out() {
        let page = "<head><script type=x>var a = '<b>';</script><style>p{}</style></head>\
                    <body><svg viewBox='0 0 1 1'><path d='M0'/></svg><p>Text</p><!-- c --></body>";
        let l = lean(page);
        assert_eq!(
            l.html,
            "<head><script type=x></script><style></style></head>\
             <body><svg viewBox='0 0 1 1'></svg><p>Text</p></body>"
        );
        let voids = lean(
            "<head><link rel=stylesheet href=a><link rel=canonical href=b>\
                          <meta name=x content=y></head><p>a<br>b<img src=c></p>",
        );
        assert_eq!(
            voids.html,
            "<head> <link rel=canonical href=b><meta name=x content=y></head><p>a b </p>"
        );
        let spaced = lean("<ul>\n  <li>a b</li>\n  <li> c</li>\n</ul>");
        assert_eq!(spaced.html, "<ul><li>a b</li><li> c</li></ul>");
        assert_eq!(l.scripts, vec!["var a = '<b>';"]);
    }

    #[test]
    fn menus_are_left_out_whole() {
        let l = lean("<nav><ul><li><nav>x</nav>y</li></ul>z</nav><p>Text</p>");
        assert_eq!(l.html, "<nav></nav><p>Text</p>");
    }

    #[test]
    fn a_page_without_them_is_borrowed() {
        assert!(matches!(lean("<p>a</p>").html, Cow::Borrowed(_)));
    }

    #[test]
    fn quoted_attributes_may_hold_angle_brackets() {
        let l = lean("<div title='a > <script>'><script>x</script></div>");
        assert_eq!(l.scripts, vec!["x"]);
    }

    #[test]
    fn end_tags_need_a_delimiter() {
        let l = lean("<script>a</scripts>b</script>");
        assert_eq!(l.scripts, vec!["a</scripts>b"]);
    }

    #[test]
    fn many_scripts_stay_linear() {
        let page = "<script>x</script>".repeat(200_000);
        let started = std::time::Instant::now();
        assert_eq!(lean(&page).scripts.len(), 200_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn deep_nesting_is_cut_at_the_limit() {
        let page = format!(
            "<html><body><h1>Top</h1>{}x{}</body></html>",
            "<div>".repeat(5_000),
            "</div>".repeat(5_000)
        );
        let cut = lean(&page).html;
        assert!(cut.contains("<h1>Top</h1>"));
        assert_eq!(cut.matches("<div>").count(), MAX_NESTING - 2);
    }
}
