//! Canonical URLs and dedup keys.
//!
//! Two strengths on purpose: [`canonical_url`] is still a working link (it is what `url`
//! shows and what a writer cites), while [`dedup_key`] goes further and is only ever
//! compared (scheme, `www.`/`m.` prefixes, trailing slash and parameter order dropped), so
//! the same story reached by http and https, or by mobile and desktop hosts, is one item.

use url::Url;

/// Query parameters that only track the reader, never select content. Kept short and
/// specific: a parameter that might pick a page (`id`, `p`, `q`, `page`) never goes here.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "__hstc",
    "__hssc",
    "__hsfp",
    "hsctatracking",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "vero_conv",
    "ref_src",
    "ref_url",
    "s_cid",
    "spm",
    "_ga",
    "_gl",
    "wt_mc",
    "wt.mc_id",
    "cmpid",
    "ncid",
    "sr_share",
];

/// Parameter prefixes that only track: `utm_source`, `utm_medium`, … and their kin.
const TRACKING_PREFIXES: &[&str] = &["utm_", "pk_", "mtm_", "at_", "ga_"];

fn is_tracking(name: &str) -> bool {
    TRACKING_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name))
        || TRACKING_PREFIXES.iter().any(|p| {
            name.get(..p.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(p))
        })
}

/// The canonical form of an item link, or `None` when it is not an http(s) URL.
///
/// In order: redirect wrappers are unwrapped (search-engine click URLs, old Google News
/// article ids), the AMP forms that name their article for certain mapped to it (see
/// `deamp`: nothing is guessed), then RFC 3986 normalisation
/// (the `url` crate does scheme and host case, default ports and dot segments; here
/// percent-encoded unreserved characters are decoded and other escapes upper-cased), and
/// finally the fragment and tracking parameters go.
pub fn canonical_url(raw: &str) -> Option<Url> {
    let mut url = Url::parse(raw.trim()).ok()?;
    for _ in 0..3 {
        match unwrap_redirect(&url) {
            Some(inner) => url = inner,
            None => break,
        }
    }
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url = deamp(url);
    normalize_percent(&mut url);
    url.set_fragment(None);
    // An empty query ("?", "?&") goes too.
    if url.query().is_some()
        && (url.query_pairs().next().is_none() || url.query_pairs().any(|(k, _)| is_tracking(&k)))
    {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_tracking(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url)
}

/// The link a redirect wrapper points at: the click-through links of search results and
/// shares that carry the real URL in a parameter. Google's `/url?q=` (or `url=`, on any
/// Google host), Bing's `apiclick.aspx?url=` and `ck/a?u=a1<base64>`, DuckDuckGo's
/// `/l/?uddg=`, Yahoo's `r.search.yahoo.com/…/RU=<encoded>/RK=…`, Facebook's `l.php?u=`,
/// and old-style Google News article ids (`news.google.com/articles/CBMi…`, which carry
/// the URL in base64). Newer Google News ids (`…/articles/AU_yqL…`) are encrypted: only
/// Google can resolve them, so they stay as they are.
fn unwrap_redirect(url: &Url) -> Option<Url> {
    // Hosts of http(s) URLs come out of the parser lowercased; others may not.
    let host = url.host_str()?;
    let lower;
    let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = host.to_ascii_lowercase();
        lower.as_str()
    } else {
        host
    };
    let host = host.strip_prefix("www.").unwrap_or(host);
    let param = |names: &[&str]| {
        url.query_pairs()
            .find(|(k, _)| names.contains(&k.as_ref()))
            .map(|(_, v)| v.into_owned())
    };
    let inner =
        if (host.starts_with("google.") || host.contains(".google.")) && url.path() == "/url" {
            param(&["q", "url"])
        } else if host.ends_with("bing.com") && url.path().ends_with("/apiclick.aspx") {
            param(&["url"])
        } else if host.ends_with("bing.com") && url.path() == "/ck/a" {
            param(&["u"]).and_then(|u| decode_b64_url(u.strip_prefix("a1")?))
        } else if (host == "duckduckgo.com" || host.ends_with(".duckduckgo.com"))
            && matches!(url.path(), "/l/" | "/l")
        {
            param(&["uddg"])
        } else if host == "r.search.yahoo.com" {
            yahoo_target(url.path())
        } else if matches!(host, "l.facebook.com" | "lm.facebook.com" | "facebook.com")
            && url.path() == "/l.php"
        {
            param(&["u"])
        } else if host == "news.google.com" {
            let id = url.path().rsplit('/').next()?;
            if url.path().contains("/articles/") && id.starts_with("CBMi") {
                google_news_url(id)
            } else {
                None
            }
        } else {
            None
        }?;
    Url::parse(&inner)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// Bing writes the target in base64, URL-safe or standard (`+`, `/`), padded or not.
fn decode_b64_url(s: &str) -> Option<String> {
    use base64::Engine as _;
    let s = s.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Yahoo's result links keep their parameters in the path, `;`- or `/`-separated:
/// `/_ylt=…;_ylu=…/RV=2/RE=…/RO=10/RU=<percent-encoded target>/RK=2/RS=…`.
fn yahoo_target(path: &str) -> Option<String> {
    let at = path.find("/RU=")? + "/RU=".len();
    let encoded = path[at..].split('/').next()?;
    let decoded = percent_decode(encoded)?;
    Some(decoded)
}

/// `%XX` escapes decoded (as UTF-8); `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1..i + 3)) {
            (b'%', Some(hex)) if hex.iter().all(u8::is_ascii_hexdigit) => {
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Old Google News article ids are base64url protobuf: a field tag, a length, the URL.
fn google_news_url(id: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .ok()?;
    let start = bytes.windows(4).position(|w| w == b"http")?;
    // The byte before the URL is its length when under 128 (one-byte varint).
    let len = usize::from(*bytes.get(start.checked_sub(1)?)?);
    let end = if len < 128 && start + len <= bytes.len() {
        start + len
    } else {
        start
            + bytes[start..]
                .iter()
                .position(|b| !b.is_ascii_graphic())
                .unwrap_or(bytes.len() - start)
    };
    String::from_utf8(bytes[start..end].to_vec()).ok()
}

/// The AMP forms that say for certain which address they stand for: the AMP cache
/// (`cdn.ampproject.org/c/s/HOST/PATH` carries its origin's URL) and the `amp` /
/// `outputType=amp` switches (the same address without the switch). `amp.` hosts and
/// `/amp` path segments are not rewritten: the article may live anywhere, and a guess
/// (`/amp/story.html` → `/story.html`) can name a page that does not exist. Such links
/// are marked for a page check instead ([`is_amp`]), and the page's own canonical link
/// decides.
fn deamp(url: Url) -> Url {
    let host = url.host_str().unwrap_or("");
    if host.ends_with("cdn.ampproject.org") {
        let mut segs = url.path().trim_start_matches('/').splitn(3, '/');
        let kind = segs.next().unwrap_or("");
        let second = segs.next().unwrap_or("");
        let rest = segs.next().unwrap_or("");
        let (scheme, target) = match (kind, second) {
            ("c" | "v", "s") => ("https", rest.to_string()),
            ("c" | "v", h) => ("http", format!("{h}/{rest}")),
            _ => return url,
        };
        let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
        return Url::parse(&format!("{scheme}://{target}{query}"))
            .map(deamp)
            .unwrap_or(url);
    }
    let mut url = url;
    if url.query().is_some() && url.query_pairs().any(|p| is_amp_param(&p)) {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|p| !is_amp_param(p))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url
}

fn is_amp_param((k, v): &(std::borrow::Cow<str>, std::borrow::Cow<str>)) -> bool {
    k == "amp" || (k.eq_ignore_ascii_case("outputType") && v == "amp")
}

/// Whether a link is an AMP rendering of an article: an AMP cache address, an `amp.`
/// host, an `amp` path segment (whole segments only: `/amplifier/` is not one), or an
/// `amp` / `outputType=amp` parameter. Such an item's page is read for its canonical link.
pub fn is_amp(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    host.ends_with(".ampproject.org")
        || host
            .strip_prefix("amp.")
            .is_some_and(|bare| bare.contains('.'))
        || url
            .path_segments()
            .is_some_and(|mut s| s.any(|s| s.eq_ignore_ascii_case("amp")))
        || (url.query().is_some() && url.query_pairs().any(|p| is_amp_param(&p)))
}

/// Whether a link goes through a redirector that cannot be unwrapped offline
/// (FeedBurner's `feedproxy.google.com/~r/…` and `feeds.feedburner.com/~r/…`): only
/// fetching it shows where it leads.
pub fn is_opaque_redirect(url: &Url) -> bool {
    match url.host_str() {
        Some("feedproxy.google.com") => true,
        Some("feeds.feedburner.com") => url.path().starts_with("/~r/"),
        _ => false,
    }
}

/// The address to read an item's page at: the link as the feed gave it, never an address
/// worked out from it, except that the redirect wrappers [`canonical_url`] decodes
/// offline are unwrapped (their own pages are interstitials, not the article). `None`
/// for a link that is not an http(s) URL.
pub fn page_address(link: &str) -> Option<Url> {
    let mut url = Url::parse(link.trim()).ok()?;
    for _ in 0..3 {
        match unwrap_redirect(&url) {
            Some(inner) => url = inner,
            None => break,
        }
    }
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then_some(url)
}

/// [`page_address`] of an item whose canonical URL is known: when the feed's link is an
/// opaque redirect that the feed itself unwrapped (feedburner's origLink made the
/// canonical URL), the page is read at the canonical URL, since the wrapper's address
/// leads nowhere that dossier could know of offline.
pub fn page_address_of(link: &str, canonical: Option<&str>) -> Option<Url> {
    let address = page_address(link)?;
    match canonical.and_then(|c| Url::parse(c).ok()) {
        Some(c) if is_opaque_redirect(&address) && !is_opaque_redirect(&c) => Some(c),
        _ => Some(address),
    }
}

/// RFC 3986 §6.2.2: percent-encoded unreserved characters are decoded, other escapes use
/// upper-case hex.
fn normalize_percent(url: &mut Url) {
    fn fix(s: &str) -> Option<String> {
        if !s.contains('%') {
            return None;
        }
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        let mut changed = false;
        while i < b.len() {
            if b[i] == b'%'
                && i + 2 < b.len()
                && b[i + 1].is_ascii_hexdigit()
                && b[i + 2].is_ascii_hexdigit()
            {
                let v = u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(0);
                if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                    out.push(v as char);
                    changed = true;
                } else {
                    let upper = s[i..i + 3].to_ascii_uppercase();
                    changed |= upper != s[i..i + 3];
                    out.push_str(&upper);
                }
                i += 3;
            } else if b[i] == b'%' {
                // A bare '%' is a literal percent sign: written as an escape, so that a
                // later pass cannot read it and what follows as a new one.
                out.push_str("%25");
                changed = true;
                i += 1;
            } else {
                out.push(b[i] as char);
                i += 1;
            }
        }
        changed.then_some(out)
    }
    if let Some(p) = fix(url.path()) {
        url.set_path(&p);
    }
    if let Some(q) = url.query().and_then(fix) {
        url.set_query(Some(&q));
    }
}

/// The key under which one story is found again whatever the link's surface form.
pub fn dedup_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    let host = host
        .strip_prefix("www.")
        .or_else(|| host.strip_prefix("m."))
        .unwrap_or(host);
    let mut key = String::with_capacity(url.as_str().len());
    key.push_str(host);
    if let Some(port) = url.port() {
        key.push(':');
        key.push_str(&port.to_string());
    }
    key.push_str(url.path().trim_end_matches('/'));
    if url.query().is_some() {
        let mut pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.sort();
        key.push('?');
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                key.push('&');
            }
            key.push_str(k);
            key.push('=');
            key.push_str(v);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonical_url(s).unwrap().to_string()
    }

    #[test]
    fn drops_fragment_and_tracking_parameters() {
        assert_eq!(
            canon(
                "https://News.Example:443/a/./b/../story?utm_source=rss&utm_medium=feed&id=7&fbclid=x#top"
            ),
            "https://news.example/a/story?id=7"
        );
        assert_eq!(
            canon("https://example.org/s?gclid=1&mc_eid=2"),
            "https://example.org/s"
        );
    }

    #[test]
    fn keeps_parameters_that_select_content() {
        assert_eq!(
            canon("https://blog.example/?p=123"),
            "https://blog.example/?p=123"
        );
        assert_eq!(
            canon("https://site.example/item?id=9&page=2"),
            "https://site.example/item?id=9&page=2"
        );
    }

    #[test]
    fn unreserved_escapes_are_decoded_and_others_upper_cased() {
        assert_eq!(
            canon("https://x.example/%7Euser/caf%c3%a9?q=%41%2f"),
            "https://x.example/~user/caf%C3%A9?q=A%2F"
        );
    }

    #[test]
    fn a_bare_percent_sign_cannot_form_a_new_escape() {
        // Found by fuzzing: "%%330" decoded %33 and left "%30", which a second pass read
        // as "0", so canonicalising twice gave a different URL.
        let once = canon("http://a.example/%%330");
        assert_eq!(once, "http://a.example/%2530");
        assert_eq!(canon(&once), once);
    }

    #[test]
    fn redirect_wrappers_are_unwrapped() {
        assert_eq!(
            canon(
                "https://www.google.com/url?sa=t&q=https%3A%2F%2Fnews.example%2Fstory%3Futm_source%3Dg&ved=1"
            ),
            "https://news.example/story"
        );
        assert_eq!(
            canon(
                "https://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=1&url=https%3a%2f%2fnews.example%2fa&c=1"
            ),
            "https://news.example/a"
        );
        assert_eq!(
            canon("https://www.bing.com/ck/a?!&&p=abc&u=a1aHR0cHM6Ly9uZXdzLmV4YW1wbGUvYg&ntb=1"),
            "https://news.example/b"
        );
        assert_eq!(
            canon("https://l.facebook.com/l.php?u=https%3A%2F%2Fnews.example%2Fc&h=x"),
            "https://news.example/c"
        );
    }

    /// The wrappers search providers put around their results, as a topic's search feeds
    /// give them: each resolves to the publisher's URL (tracking parameters dropped), so
    /// the same story found through two providers is one item.
    #[test]
    fn search_result_wrappers_resolve_to_the_publishers_url() {
        let publisher = "https://publisher.example/2026/05/story?id=7";
        for wrapped in [
            "https://www.google.com/url?rct=j&sa=t&url=https://publisher.example/2026/05/story%3Fid%3D7%26utm_source%3Dgoogle&ct=ga&cd=1&usg=AOvVaw",
            "https://www.google.co.uk/url?q=https%3A%2F%2Fpublisher.example%2F2026%2F05%2Fstory%3Fid%3D7&sa=U&ved=2ah",
            "https://www.bing.com/ck/a?!&&p=0f1e&ptn=3&ver=2&hsh=4&u=a1aHR0cHM6Ly9wdWJsaXNoZXIuZXhhbXBsZS8yMDI2LzA1L3N0b3J5P2lkPTc&ntb=1",
            "https://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=7&url=https%3a%2f%2fpublisher.example%2f2026%2f05%2fstory%3fid%3d7&c=1&mkt=en-us",
            "https://duckduckgo.com/l/?uddg=https%3A%2F%2Fpublisher.example%2F2026%2F05%2Fstory%3Fid%3D7&rut=abc123",
            "https://html.duckduckgo.com/l/?uddg=https%3A%2F%2Fpublisher.example%2F2026%2F05%2Fstory%3Fid%3D7%26fbclid%3Dx",
            "https://r.search.yahoo.com/_ylt=AwrFE;_ylu=Y29sbw--/RV=2/RE=1779000000/RO=10/RU=https%3a%2f%2fpublisher.example%2f2026%2f05%2fstory%3fid%3d7/RK=2/RS=abc-",
        ] {
            assert_eq!(canon(wrapped), publisher, "{wrapped}");
            assert_eq!(
                page_address(wrapped).and_then(|u| u.host_str().map(str::to_string)),
                Some("publisher.example".into()),
                "its page is read at the publisher's: {wrapped}"
            );
        }
        // Bing sometimes writes the standard base64 alphabet, padded: `…?a=1` encodes with `/`.
        use base64::Engine as _;
        let target = "https://publisher.example/a?b=1>";
        let b64 = base64::engine::general_purpose::STANDARD.encode(target);
        assert!(
            b64.contains('+') || b64.contains('/') || b64.ends_with('='),
            "{b64}"
        );
        let bing = format!(
            "https://www.bing.com/ck/a?u=a1{}&ntb=1",
            b64.replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        );
        assert_eq!(canon(&bing), "https://publisher.example/a?b=1%3E");
        // Not wrappers: a DuckDuckGo search page, and a wrapper whose target is no web link.
        assert_eq!(
            canon("https://duckduckgo.com/?q=china+ai"),
            "https://duckduckgo.com/?q=china+ai"
        );
        assert_eq!(
            canon("https://duckduckgo.com/l/?uddg=javascript%3Aalert(1)"),
            "https://duckduckgo.com/l/?uddg=javascript%3Aalert(1)"
        );
    }

    /// New Google News ids are encrypted: no offline rule can name the article, so the
    /// link stays as the feed gave it (and two providers' copies of the story are only
    /// merged when another identity rule, such as the title, says so).
    #[test]
    fn new_google_news_ids_cannot_be_unwrapped_offline() {
        let link = "https://news.google.com/rss/articles/AU_yqLMxVJq3Yv0aZk5aVt?oc=5";
        assert_eq!(canon(link), link);
    }

    #[test]
    fn old_google_news_ids_are_decoded_offline() {
        use base64::Engine as _;
        let target = "https://news.example/2026/05/story";
        let mut proto = vec![0x08, 0x13, 0x22, target.len() as u8];
        proto.extend_from_slice(target.as_bytes());
        proto.extend_from_slice(&[0xd2, 0x01, 0x00]);
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&proto);
        assert!(id.starts_with("CBMi"), "{id}");
        assert_eq!(
            canon(&format!("https://news.google.com/rss/articles/{id}?oc=5")),
            target
        );
    }

    #[test]
    fn amp_forms_map_to_their_article_only_where_the_link_says_so() {
        // The cache carries its origin's address; the origin is still an AMP page.
        assert_eq!(
            canon("https://news-example.cdn.ampproject.org/c/s/news.example/amp/story-1"),
            "https://news.example/amp/story-1"
        );
        // Regression: `/amp/story.html` was canonicalised to a guessed `/story.html`,
        // which need not exist; `amp.` hosts likewise. They stay as given.
        assert_eq!(
            canon("https://amp.news.example/story-2"),
            "https://amp.news.example/story-2"
        );
        assert_eq!(
            canon("https://news.example/amp/story.html"),
            "https://news.example/amp/story.html"
        );
        assert_eq!(
            canon("https://news.example/story-3/amp/"),
            "https://news.example/story-3/amp/"
        );
        assert_eq!(
            canon("https://news.example/story-4?amp=1&id=4"),
            "https://news.example/story-4?id=4"
        );
        assert_eq!(
            canon("https://news.example/story-5?outputType=amp"),
            "https://news.example/story-5"
        );
        assert_eq!(
            canon("https://news.example/amplifier/story"),
            "https://news.example/amplifier/story",
            "only whole segments"
        );
    }

    #[test]
    fn amp_links_and_opaque_redirects_are_recognised() {
        let u = |s: &str| Url::parse(s).unwrap();
        for amp in [
            "https://news-example.cdn.ampproject.org/c/s/news.example/story",
            "https://amp.news.example/story",
            "https://news.example/amp/story.html",
            "https://news.example/story/AMP",
            "https://news.example/story?amp=1",
            "https://news.example/story?outputType=amp",
        ] {
            assert!(is_amp(&u(amp)), "{amp}");
        }
        for not in [
            "https://news.example/amplifier/story",
            "https://amp.example/story",
            "https://news.example/story?ampere=1",
        ] {
            assert!(!is_amp(&u(not)), "{not}");
        }
        assert!(is_opaque_redirect(&u(
            "http://feedproxy.google.com/~r/blog/~3/abc/story"
        )));
        assert!(is_opaque_redirect(&u(
            "https://feeds.feedburner.com/~r/blog/~3/abc/"
        )));
        assert!(!is_opaque_redirect(&u("https://feeds.feedburner.com/blog")));
    }

    #[test]
    fn a_page_is_read_at_the_feeds_link_with_offline_wrappers_unwrapped() {
        let at = |s: &str| page_address(s).map(String::from);
        assert_eq!(
            at(" https://news.example/amp/story.html?utm_source=rss "),
            Some("https://news.example/amp/story.html?utm_source=rss".into())
        );
        assert_eq!(
            at("https://www.google.com/url?q=https%3A%2F%2Fnews.example%2Fa&sa=t"),
            Some("https://news.example/a".into())
        );
        assert_eq!(at("javascript:alert(1)"), None);
        let proxied = "http://feedproxy.google.com/~r/x/~3/abc/story";
        assert_eq!(
            page_address_of(proxied, Some("https://publisher.example/story")).map(String::from),
            Some("https://publisher.example/story".into())
        );
        assert_eq!(
            page_address_of(proxied, Some(proxied)).map(String::from),
            Some(proxied.into())
        );
        assert_eq!(
            page_address_of("https://news.example/amp/s", Some("https://news.example/s"))
                .map(String::from),
            Some("https://news.example/amp/s".into())
        );
    }

    #[test]
    fn refuses_non_http_links() {
        assert!(canonical_url("javascript:alert(1)").is_none());
        assert!(canonical_url("ftp://example.org/file").is_none());
        assert!(canonical_url("not a url").is_none());
    }

    #[test]
    fn dedup_key_ignores_scheme_www_mobile_and_trailing_slash() {
        let a = dedup_key(&canonical_url("http://www.example.org/story/").unwrap());
        let b = dedup_key(&canonical_url("https://m.example.org/story").unwrap());
        assert_eq!(a, b);
        let c = dedup_key(&canonical_url("https://example.org/story?b=2&a=1").unwrap());
        let d = dedup_key(&canonical_url("https://example.org/story?a=1&b=2").unwrap());
        assert_eq!(c, d);
    }

    #[test]
    fn dedup_key_keeps_different_pages_apart() {
        let a = dedup_key(&canonical_url("https://blog.example/?p=1").unwrap());
        let b = dedup_key(&canonical_url("https://blog.example/?p=2").unwrap());
        assert_ne!(a, b);
        let c = dedup_key(&canonical_url("https://example.org/a/story").unwrap());
        let d = dedup_key(&canonical_url("https://example.org/b/story").unwrap());
        assert_ne!(c, d);
    }
}
