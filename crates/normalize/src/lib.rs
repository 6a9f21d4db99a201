//! The normalizer: raw items in, items the store can keep and a writer can cite out.
//!
//! Pure and synchronous (no I/O, no clock of its own: the caller passes `now`), so every
//! rule is a unit test. It decides an item's canonical URL, its identity keys (the
//! identity ladder: guid per feed, else canonical link, else a content hash), its date
//! and where the date came from, and which topics it joins and why.

pub mod neardup;
pub mod stories;
pub mod topics;
pub mod url;

use chrono::{DateTime, Datelike, Duration, Utc};
use dossier_model::{
    DateSource, FeedSpec, IdentityRule, Item, ItemKey, PageReason, RawItem, fmt_time,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub use crate::neardup::TitleKey;
pub use crate::topics::TopicMatcher;
pub use crate::url::{canonical_url, dedup_key, page_address, page_address_of};

/// Why an item's article page should be read, if at all: its link is an AMP rendering or
/// an opaque redirect (the page's canonical link then says which story it is), or
/// nothing but (at best) its link's path dated it. `link` is the link as the feed gave
/// it, `url` the canonical URL. The store keeps the answer (`page_reason`) and reads the
/// pages of the items that have one; whoever changes an item's date asks again.
pub fn page_reason(
    link: Option<&str>,
    url: Option<&str>,
    date_source: DateSource,
) -> Option<PageReason> {
    let canonical = url.and_then(|u| ::url::Url::parse(u).ok());
    reason_for(link, canonical.as_ref(), date_source)
}

/// [`page_reason`] with the canonical URL already parsed (the normalizer has it).
fn reason_for(
    link: Option<&str>,
    canonical: Option<&::url::Url>,
    date_source: DateSource,
) -> Option<PageReason> {
    // Most links have no "amp" anywhere; only those are parsed a second time.
    let may_be_amp = link.is_some_and(|l| {
        l.as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"amp"))
    });
    if may_be_amp
        && link
            .and_then(page_address)
            .is_some_and(|u| crate::url::is_amp(&u))
    {
        Some(PageReason::Amp)
    } else if canonical.is_some_and(crate::url::is_opaque_redirect) {
        Some(PageReason::Redirect)
    } else {
        match date_source {
            DateSource::FirstSeen => Some(PageReason::Undated),
            DateSource::Url => Some(PageReason::UrlDate),
            DateSource::Feed | DateSource::Page => None,
        }
    }
}

/// Normalizes every item of one fetched document of `feed`.
///
/// Items with nothing to cite (no title, no text and no link) are dropped. A link shared
/// by several different items of one document (a feed that points every item at its home
/// page) is not used as an identity key for them, so they are not merged into one.
/// What a document's guids are worth, decided per fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuidQuality {
    /// Guids identify items.
    Usable,
    /// Too many empty or repeated guids: items are identified by link (or hash) instead.
    Unreliable {
        missing: usize,
        repeated: usize,
        total: usize,
    },
}

/// Whether a document's guids can identify its items: not when at least half are missing
/// (in a feed that has some), or when any guid stands for two different items.
pub fn guid_quality(raw: &[RawItem]) -> GuidQuality {
    let total = raw.len();
    let mut seen: HashMap<&str, &RawItem> = HashMap::new();
    let (mut missing, mut repeated) = (0, 0);
    for r in raw {
        match r.guid.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
            None => missing += 1,
            Some(g) => {
                if let Some(prev) = seen.insert(g, r)
                    && (prev.link != r.link || prev.title != r.title)
                {
                    repeated += 1;
                }
            }
        }
    }
    if repeated > 0 || (missing > 0 && missing < total && missing * 2 >= total) {
        GuidQuality::Unreliable {
            missing,
            repeated,
            total,
        }
    } else {
        GuidQuality::Usable
    }
}

/// The form of a guid that survives drift: a URL-shaped guid edited from http to https, in
/// host case or with a trailing slash stays the same key.
fn guid_key(guid: &str) -> String {
    match guid.contains("://").then(|| canonical_url(guid)).flatten() {
        Some(u) => format!("~{}", dedup_key(&u)),
        None => guid.to_string(),
    }
}

pub fn normalize_document(
    raw: Vec<RawItem>,
    feed: &FeedSpec,
    matcher: &TopicMatcher,
    now: DateTime<Utc>,
) -> Vec<Item> {
    let use_guids = guid_quality(&raw) == GuidQuality::Usable;
    let canon: Vec<Option<::url::Url>> = raw
        .iter()
        .map(|r| {
            // A link the feed itself unwraps (feedburner's origLink) is canonical as
            // unwrapped; the link stays what the feed gave, as `original_url`.
            r.origin
                .as_deref()
                .and_then(canonical_url)
                .or_else(|| r.link.as_deref().and_then(canonical_url))
        })
        .collect();
    let keys: Vec<Option<String>> = canon.iter().map(|u| u.as_ref().map(dedup_key)).collect();
    // Items whose link another item of the document also has, grouped by the first of
    // them (rare: most documents have none, and then nothing here allocates per item).
    let mut first_with: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(k) = k {
            match first_with.get(k.as_str()) {
                Some(&first) => groups.entry(first).or_insert_with(|| vec![first]).push(i),
                None => {
                    first_with.insert(k, i);
                }
            }
        }
    }
    let mut shared = vec![false; raw.len()];
    for group in groups.values() {
        for &i in group {
            shared[i] = group
                .iter()
                .any(|&j| raw[j].guid != raw[i].guid || raw[j].title != raw[i].title);
        }
    }

    raw.into_iter()
        .zip(canon)
        .zip(keys)
        .zip(shared)
        .filter_map(|(((r, url), key), shared)| {
            normalize_item(
                r,
                url,
                if shared { None } else { key },
                feed,
                matcher,
                now,
                use_guids,
            )
        })
        .collect()
}

fn normalize_item(
    raw: RawItem,
    url: Option<::url::Url>,
    url_key: Option<String>,
    feed: &FeedSpec,
    matcher: &TopicMatcher,
    now: DateTime<Utc>,
    use_guids: bool,
) -> Option<Item> {
    let summary = raw.summary.filter(|s| !s.is_empty());
    let title = match raw.title.filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => match (&summary, &url) {
            (Some(s), _) => s.clone(),
            (None, Some(u)) => u.as_str().to_string(),
            (None, None) => return None,
        },
    };
    let guid = raw
        .guid
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty());
    // A date more than a day ahead is a feed's mistake (a wrong zone, a scheduled post):
    // trusting it would pin the item to the top of every list, so the item counts as
    // first seen now, and the evidence says why. A date before the web is a placeholder
    // (the Unix epoch, a year 1900 default).
    let given = raw.published.or(raw.updated);
    let (published_at, date_evidence) = match given {
        Some(d) if d > now + Duration::days(1) => (
            None,
            Some(format!(
                "feed date {} is in the future: ignored",
                fmt_time(d)
            )),
        ),
        Some(d) if d.year() < 1995 => (
            None,
            Some(format!("feed date {} is before 1995: ignored", fmt_time(d))),
        ),
        Some(d) => (
            Some(d),
            Some(
                if raw.published.is_some() {
                    "the feed's date"
                } else {
                    "the feed's updated date"
                }
                .to_string(),
            ),
        ),
        None => (None, None),
    };
    let date_source = if published_at.is_some() {
        DateSource::Feed
    } else {
        DateSource::FirstSeen
    };

    let mut keys = Vec::with_capacity(2);
    if let Some(g) = guid.as_deref().filter(|_| use_guids) {
        keys.push(ItemKey::Guid {
            feed: feed.key.clone(),
            guid: guid_key(g),
        });
    }
    if let Some(k) = &url_key {
        keys.push(ItemKey::Url(k.clone()));
    }
    let identity = if guid.is_some() && use_guids {
        IdentityRule::Guid
    } else if url_key.is_some() {
        IdentityRule::Link
    } else {
        IdentityRule::Hash
    };
    if identity == IdentityRule::Hash {
        let mut h = Sha256::new();
        h.update(title.as_bytes());
        h.update([0x1f]);
        match published_at {
            Some(d) => h.update(dossier_model::fmt_time(d).as_bytes()),
            None => h.update(summary.as_deref().unwrap_or("").as_bytes()),
        }
        let digest = h.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        keys.push(ItemKey::Hash {
            feed: feed.key.clone(),
            hex,
        });
    }

    let topics = topics::attach(
        feed.owner_topic.as_deref(),
        feed.topics.iter().map(String::as_str),
        matcher,
        &title,
        summary.as_deref(),
    );

    let page_reason = reason_for(raw.link.as_deref(), url.as_ref(), date_source);
    let url = url.map(String::from);
    Some(Item {
        guid,
        url,
        original_url: raw.link,
        title,
        summary,
        author: raw.author.filter(|a| !a.is_empty()),
        published_at,
        date_source,
        date_evidence,
        identity,
        keys,
        topics,
        page_reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_model::{FeedKind, TopicReason, TopicSpec};

    fn feed(owner: Option<&str>, topics: &[&str]) -> FeedSpec {
        FeedSpec {
            key: "Feed A".into(),
            name: "Feed A".into(),
            label: "Feed A".into(),
            url: "https://a.example/rss".into(),
            kind: FeedKind::Feed,
            interval_mins: 30,
            topics: topics.iter().map(|s| s.to_string()).collect(),
            owner_topic: owner.map(str::to_string),
            select: None,
            search: None,
        }
    }

    fn raw(guid: Option<&str>, link: Option<&str>, title: Option<&str>) -> RawItem {
        RawItem {
            guid: guid.map(str::to_string),
            link: link.map(str::to_string),
            title: title.map(str::to_string),
            ..RawItem::default()
        }
    }

    fn now() -> DateTime<Utc> {
        dossier_model::parse_time("2026-05-22T12:00:00Z").unwrap()
    }

    #[test]
    fn a_link_the_feed_unwraps_is_canonical_as_unwrapped() {
        let m = TopicMatcher::default();
        let mut r = raw(
            None,
            Some("http://feedproxy.example/~r/x/~3/abc/story"),
            Some("T"),
        );
        r.origin = Some("https://publisher.example/story?utm_source=feed".into());
        let items = normalize_document(vec![r], &feed(None, &[]), &m, now());
        assert_eq!(
            items[0].url.as_deref(),
            Some("https://publisher.example/story")
        );
        assert_eq!(
            items[0].original_url.as_deref(),
            Some("http://feedproxy.example/~r/x/~3/abc/story")
        );
    }

    #[test]
    fn the_page_check_is_decided_with_the_item() {
        let m = TopicMatcher::default();
        let dated = |link: &str| RawItem {
            published: Some(now()),
            ..raw(None, Some(link), Some("T"))
        };
        let reason =
            |r: RawItem| normalize_document(vec![r], &feed(None, &[]), &m, now())[0].page_reason;
        assert_eq!(reason(dated("https://x.example/story")), None);
        assert_eq!(
            reason(dated("https://x.example/amp/story.html")),
            Some(PageReason::Amp)
        );
        assert_eq!(
            reason(dated("https://x.example/story?amp=1")),
            Some(PageReason::Amp),
            "the canonical URL drops the switch, but the feed gave an AMP page"
        );
        assert_eq!(
            reason(dated("http://feedproxy.google.com/~r/x/~3/a/story")),
            Some(PageReason::Redirect)
        );
        assert_eq!(
            reason(raw(None, Some("https://x.example/story"), Some("T"))),
            Some(PageReason::Undated)
        );
        assert_eq!(
            page_reason(
                Some("https://x.example/2026/05/20/s"),
                None,
                DateSource::Url
            ),
            Some(PageReason::UrlDate)
        );
    }

    #[test]
    fn identity_ladder_prefers_guid_then_link_then_hash() {
        let m = TopicMatcher::default();
        // One document per rule: within one document, guid quality decides for all.
        let items: Vec<Item> = [
            raw(
                Some("g1"),
                Some("https://x.example/1?utm_source=a"),
                Some("One"),
            ),
            raw(None, Some("https://x.example/2"), Some("Two")),
            raw(None, None, Some("Three")),
        ]
        .into_iter()
        .flat_map(|r| normalize_document(vec![r], &feed(None, &[]), &m, now()))
        .collect();
        assert_eq!(items[0].identity, IdentityRule::Guid);
        assert_eq!(
            items[0].keys,
            vec![
                ItemKey::Guid {
                    feed: "Feed A".into(),
                    guid: "g1".into()
                },
                ItemKey::Url("x.example/1".into())
            ]
        );
        assert_eq!(items[0].url.as_deref(), Some("https://x.example/1"));
        assert_eq!(
            items[0].original_url.as_deref(),
            Some("https://x.example/1?utm_source=a")
        );
        assert_eq!(items[1].identity, IdentityRule::Link);
        assert_eq!(items[2].identity, IdentityRule::Hash);
        assert!(matches!(&items[2].keys[0], ItemKey::Hash { feed, .. } if feed == "Feed A"));
    }

    #[test]
    fn url_guids_absorb_drift() {
        let m = TopicMatcher::default();
        let a = normalize_document(
            vec![raw(Some("http://Blog.example/p/1/"), None, Some("A"))],
            &feed(None, &[]),
            &m,
            now(),
        );
        let b = normalize_document(
            vec![raw(Some("https://blog.example/p/1"), None, Some("A"))],
            &feed(None, &[]),
            &m,
            now(),
        );
        assert_eq!(a[0].keys, b[0].keys);
        assert_eq!(
            a[0].guid.as_deref(),
            Some("http://Blog.example/p/1/"),
            "the guid itself is kept as given"
        );
    }

    #[test]
    fn unreliable_guids_give_way_to_links() {
        let m = TopicMatcher::default();
        let same_guid = vec![
            raw(Some("x"), Some("https://x.example/1"), Some("One")),
            raw(Some("x"), Some("https://x.example/2"), Some("Two")),
        ];
        assert_eq!(
            guid_quality(&same_guid),
            GuidQuality::Unreliable {
                missing: 0,
                repeated: 1,
                total: 2
            }
        );
        let items = normalize_document(same_guid, &feed(None, &[]), &m, now());
        assert_eq!(items[0].identity, IdentityRule::Link);
        assert_ne!(items[0].keys, items[1].keys, "two items, not one");
        let half_missing = vec![
            raw(Some("a"), Some("https://x.example/1"), Some("One")),
            raw(None, Some("https://x.example/2"), Some("Two")),
        ];
        assert!(matches!(
            guid_quality(&half_missing),
            GuidQuality::Unreliable { missing: 1, .. }
        ));
        let none_at_all = vec![raw(None, Some("https://x.example/1"), Some("One"))];
        assert_eq!(
            guid_quality(&none_at_all),
            GuidQuality::Usable,
            "a feed without guids is not a broken one"
        );
    }

    #[test]
    fn hash_identity_is_deterministic() {
        let m = TopicMatcher::default();
        let a = normalize_document(
            vec![raw(None, None, Some("Same"))],
            &feed(None, &[]),
            &m,
            now(),
        );
        let b = normalize_document(
            vec![raw(None, None, Some("Same"))],
            &feed(None, &[]),
            &m,
            now(),
        );
        assert_eq!(a[0].keys, b[0].keys);
    }

    #[test]
    fn a_link_shared_by_different_items_is_not_an_identity() {
        let m = TopicMatcher::default();
        let items = normalize_document(
            vec![
                raw(Some("a"), Some("https://x.example/"), Some("One")),
                raw(Some("b"), Some("https://x.example/"), Some("Two")),
            ],
            &feed(None, &[]),
            &m,
            now(),
        );
        assert_eq!(items[0].keys.len(), 1);
        assert_ne!(items[0].keys, items[1].keys);
    }

    #[test]
    fn post_without_title_takes_its_text() {
        let m = TopicMatcher::default();
        let mut r = raw(Some("t1"), None, None);
        r.summary = Some("Just a post.".into());
        let items = normalize_document(vec![r], &feed(None, &[]), &m, now());
        assert_eq!(items[0].title, "Just a post.");
        assert!(
            normalize_document(vec![raw(None, None, None)], &feed(None, &[]), &m, now()).is_empty()
        );
    }

    #[test]
    fn topics_by_owner_feed_list_and_keyword_with_reasons() {
        let m = TopicMatcher::new(&[TopicSpec {
            slug: "ai".into(),
            title: "AI".into(),
            match_any: vec!["DeepSeek".into()],
            match_none: vec![],
        }]);
        let items = normalize_document(
            vec![raw(Some("1"), None, Some("DeepSeek ships"))],
            &feed(Some("chips"), &["world"]),
            &m,
            now(),
        );
        assert_eq!(
            items[0].topics,
            vec![
                ("chips".to_string(), TopicReason::TopicFeed),
                ("world".to_string(), TopicReason::FeedTopics),
                ("ai".to_string(), TopicReason::Keyword("DeepSeek".into())),
            ]
        );
    }

    #[test]
    fn dates_come_from_the_feed_or_nowhere() {
        let m = TopicMatcher::default();
        let mut r = raw(Some("1"), None, Some("x"));
        r.updated = Some(now());
        let items = normalize_document(
            vec![r, raw(Some("2"), None, Some("y"))],
            &feed(None, &[]),
            &m,
            now(),
        );
        assert_eq!(items[0].published_at, Some(now()));
        assert_eq!(items[0].date_source, DateSource::Feed);
        assert_eq!(items[1].published_at, None);
        assert_eq!(items[1].date_source, DateSource::FirstSeen);
    }

    #[test]
    fn a_date_far_in_the_future_dates_nothing() {
        let m = TopicMatcher::default();
        let mut r = raw(Some("1"), None, Some("x"));
        r.published = Some(now() + Duration::days(30));
        let items = normalize_document(vec![r], &feed(None, &[]), &m, now());
        assert_eq!(items[0].published_at, None);
        assert_eq!(items[0].date_source, DateSource::FirstSeen);
        assert!(
            items[0]
                .date_evidence
                .as_deref()
                .unwrap()
                .contains("in the future")
        );
        let mut old = raw(Some("2"), None, Some("y"));
        old.published = dossier_model::parse_time("1970-01-01T00:00:00Z");
        let items = normalize_document(vec![old], &feed(None, &[]), &m, now());
        assert_eq!(items[0].published_at, None);
        assert!(
            items[0]
                .date_evidence
                .as_deref()
                .unwrap()
                .contains("before 1995")
        );
    }
}
