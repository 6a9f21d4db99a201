//! The page's canonical URL: `<link rel=canonical>`, else `og:url`, resolved against the
//! page's base, and passed over when it is a CMS default pointing at the home page.

/// The canonical URL, absolute and http(s).
pub(crate) fn find(
    links: &[String],
    metas: &[(String, String)],
    base: Option<&url::Url>,
) -> Option<String> {
    let resolve = |href: &str| -> Option<url::Url> {
        let href = href.trim();
        match base {
            Some(b) => b.join(href).ok(),
            None => url::Url::parse(href).ok(),
        }
        .filter(|u| matches!(u.scheme(), "http" | "https"))
    };
    let page_is_home = base.is_none_or(|b| b.path() == "/" && b.query().is_none());
    // A canonical pointing at a home page, from a page that is not one, is a CMS default.
    let plausible = |u: &url::Url| {
        page_is_home || !(u.path() == "/" || u.path().is_empty()) || u.query().is_some()
    };
    links
        .iter()
        .filter_map(|h| resolve(h))
        .find(|u| plausible(u))
        .or_else(|| {
            metas
                .iter()
                .filter(|(k, _)| k == "og:url")
                .filter_map(|(_, v)| resolve(v))
                .find(|u| plausible(u))
        })
        .map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(u: &str) -> url::Url {
        url::Url::parse(u).unwrap()
    }

    #[test]
    fn relative_canonicals_resolve_against_the_page() {
        let b = base("https://news.example/amp/story?amp=1");
        assert_eq!(
            find(&["/story".into()], &[], Some(&b)).as_deref(),
            Some("https://news.example/story")
        );
    }

    #[test]
    fn a_home_page_canonical_on_an_article_is_passed_over() {
        let b = base("https://news.example/business/port");
        let metas = [(
            "og:url".to_string(),
            "https://news.example/business/port".to_string(),
        )];
        assert_eq!(
            find(&["https://news.example/".into()], &metas, Some(&b)).as_deref(),
            Some("https://news.example/business/port")
        );
        assert_eq!(find(&["javascript:x".into()], &[], Some(&b)), None);
    }
}
