//! Property-based fuzzing of URL canonicalisation, topic matching and the title matcher.
//! Long run: `PROPTEST_CASES=200000 cargo test --release -p dossier-normalize --test fuzz`.

use dossier_model::TopicSpec;
use dossier_normalize::{TitleKey, TopicMatcher, canonical_url, dedup_key};
use proptest::prelude::*;

proptest! {
    #[test]
    fn canonical_urls_are_stable(s in "(https?://)?[a-zA-Z0-9.%:@_~-]{0,20}(/[a-zA-Z0-9.%_~-]{0,8}){0,4}(\\?([a-z_]{1,6}=[a-zA-Z0-9%]{0,6}&?){0,4})?(#[a-z]{0,4})?") {
        if let Some(u) = canonical_url(&s) {
            prop_assert!(matches!(u.scheme(), "http" | "https"));
            prop_assert!(u.fragment().is_none());
            let again = canonical_url(u.as_str()).expect("a canonical URL stays a URL");
            prop_assert_eq!(again.as_str(), u.as_str(), "canonicalising twice changes nothing");
            prop_assert_eq!(dedup_key(&again), dedup_key(&u));
        }
    }

    #[test]
    fn any_text_as_url_never_panics(s in "\\PC{0,80}") {
        let _ = canonical_url(&s);
    }

    #[test]
    fn topic_matching_never_panics(text in "\\PC{0,200}", kw in "\\PC{1,12}") {
        let m = TopicMatcher::new(&[TopicSpec { slug: "t".into(), title: "T".into(), match_any: vec![kw.clone()], match_none: vec![] }]);
        let hits = m.matches(&text, None);
        prop_assert!(hits.len() <= 1);
    }

    #[test]
    fn title_similarity_is_symmetric_and_bounded(a in "\\PC{0,80}", b in "\\PC{0,80}") {
        let (ka, kb) = (TitleKey::new(&a), TitleKey::new(&b));
        let s = ka.similarity(&kb);
        prop_assert!((0.0..=1.0).contains(&s));
        prop_assert!((s - kb.similarity(&ka)).abs() < 1e-12);
    }
}
