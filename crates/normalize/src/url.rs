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
    let lower = name.to_ascii_lowercase();
    TRACKING_PARAMS.contains(&lower.as_str())
        || TRACKING_PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// The canonical form of an item link, or `None` when it is not an http(s) URL.
///
/// The `url` crate already applies RFC 3986 normalisation of scheme and host case, default
/// ports and dot segments; on top of it the fragment and tracking parameters go.
pub fn canonical_url(raw: &str) -> Option<Url> {
    let mut url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_tracking(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else if kept.len() != url.query_pairs().count() {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url)
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
