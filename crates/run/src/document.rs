//! One fetched document in, normalized items out: the one place a body becomes items, for
//! a run and for `dossier parse` alike.
//!
//! A feed goes through the feed readers, a web page through its feed's selectors; then
//! the normalizer, then the fallback that dates an undated item by a full date in its
//! link. What the document made the readers repair, leave out or distrust is gathered into
//! one warning for the feed's row: a feed that yields fewer items than it holds is always
//! said, never a quiet success.

use chrono::{DateTime, Utc};
use dossier_extract::{ExtractError, SelectError};
use dossier_model::{DateSource, ErrorClass, FeedKind, FeedSpec, FetchFailure, Item, RawItem};
use dossier_normalize::{GuidQuality, TopicMatcher, normalize_document};

/// What a document yielded.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub items: Vec<Item>,
    /// RSS `<ttl>`: how long the publisher asks readers to wait.
    pub ttl: Option<std::time::Duration>,
    /// What had to be repaired or was left out, joined with `; `; `None` when nothing.
    pub warning: Option<String>,
}

/// Reads `body` (fetched from `url`, or a file when `url` is empty) as `feed` says it is.
pub fn read(
    feed: &FeedSpec,
    body: &[u8],
    url: &str,
    content_type: Option<&str>,
    matcher: &TopicMatcher,
    now: DateTime<Utc>,
) -> Result<Document, FetchFailure> {
    let failure = |class: ErrorClass, message: String| FetchFailure {
        class,
        status: None,
        message,
    };
    let mut elements = 0;
    let (raw, ttl, mut warnings) = match (&feed.kind, &feed.select) {
        (FeedKind::Web, Some(select)) => {
            let page = dossier_extract::parse_page_items(body, content_type, url, select, now)
                .map_err(|e| match e {
                    SelectError::NoItems(_) | SelectError::BadSelector(_) => {
                        failure(ErrorClass::Selector, e.to_string())
                    }
                })?;
            (page.items, None, page.problems)
        }
        _ => {
            let base = Some(url).filter(|u| !u.is_empty());
            let doc = dossier_extract::parse_feed(body, base, content_type).map_err(|e| {
                let class = match e {
                    ExtractError::NotAFeed(_) => ErrorClass::NotAFeed,
                    ExtractError::Parse(_) => ErrorClass::Parse,
                };
                failure(class, e.to_string())
            })?;
            let ttl = doc
                .ttl_mins
                .map(|m| std::time::Duration::from_secs(u64::from(m) * 60));
            elements = doc.elements;
            (doc.items, ttl, doc.warnings)
        }
    };
    warnings.extend(guid_warning(&raw));
    let offered = raw.len();
    let mut items = normalize_document(raw, feed, matcher, now);
    date_from_urls(&mut items, now);
    warnings.extend(yield_warning(elements.max(offered), offered, items.len()));
    Ok(Document {
        items,
        ttl,
        warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
    })
}

/// What to tell the operator when a document yielded fewer items than it holds.
fn yield_warning(held: usize, offered: usize, kept: usize) -> Option<String> {
    let empty = offered - kept;
    if kept == 0 && held > 0 {
        Some(format!(
            "the document holds {held} item(s) but yielded none ({empty} without a title, text or link)"
        ))
    } else if empty > 0 {
        Some(format!(
            "left out {empty} of {offered} item(s): no title, text or link"
        ))
    } else {
        None
    }
}

/// What to tell the operator when a document's guids cannot identify its items.
fn guid_warning(raw: &[RawItem]) -> Option<String> {
    match dossier_normalize::guid_quality(raw) {
        GuidQuality::Unreliable {
            missing,
            repeated,
            total,
        } => Some(format!(
            "guids unreliable ({missing} of {total} missing, {repeated} repeated): items identified by link instead"
        )),
        GuidQuality::Usable => None,
    }
}

/// An item the feed left undated takes a full date its link's path carries.
fn date_from_urls(items: &mut [Item], now: DateTime<Utc>) {
    let cx = dossier_extract::dates::DateContext::new(now);
    for item in items.iter_mut().filter(|i| i.published_at.is_none()) {
        if let Some(d) = item
            .url
            .as_deref()
            .and_then(|u| dossier_extract::dates::from_url(u, &cx))
        {
            item.published_at = Some(d.instant);
            item.date_source = DateSource::Url;
            item.date_evidence = Some("date in the URL path".into());
            item.page_reason = dossier_normalize::page_reason(
                item.original_url.as_deref(),
                item.url.as_deref(),
                item.date_source,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed() -> FeedSpec {
        FeedSpec {
            key: "f".into(),
            name: "f".into(),
            label: "f".into(),
            url: "https://f.example/rss".into(),
            kind: FeedKind::Feed,
            interval_mins: 30,
            topics: vec![],
            owner_topic: None,
            select: None,
            search: None,
        }
    }

    #[test]
    fn a_document_that_yields_none_of_its_items_says_so() {
        let body = br#"<rss version="2.0"><channel><item><guid isPermaLink="false">a</guid></item></channel></rss>"#;
        let doc = read(
            &feed(),
            body,
            "",
            None,
            &TopicMatcher::default(),
            Utc::now(),
        )
        .unwrap();
        assert!(doc.items.is_empty());
        assert_eq!(
            doc.warning.as_deref(),
            Some("the document holds 1 item(s) but yielded none (1 without a title, text or link)")
        );
    }

    #[test]
    fn an_undated_item_takes_the_date_in_its_link() {
        let body = br#"<rss version="2.0"><channel><item><title>T</title><link>https://n.example/2026/05/20/story</link></item></channel></rss>"#;
        let doc = read(
            &feed(),
            body,
            "",
            None,
            &TopicMatcher::default(),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(doc.items[0].date_source, DateSource::Url);
        assert_eq!(
            doc.items[0]
                .published_at
                .map(|d| d.format("%F").to_string()),
            Some("2026-05-20".into())
        );
    }

    #[test]
    fn no_feed_is_a_failure_of_its_class() {
        let err = read(
            &feed(),
            b"hello",
            "",
            None,
            &TopicMatcher::default(),
            Utc::now(),
        )
        .unwrap_err();
        assert_eq!(err.class, ErrorClass::NotAFeed);
    }
}
