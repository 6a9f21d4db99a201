//! The passes around a run's fetches: before them, re-matching recent items when a
//! topic's rules changed; after them, marking the run's new items that repeat an earlier
//! one. The rules are the normalizer's (`topics::attach`, `neardup::find_duplicates`);
//! this reads what they need from the store and records what they decide.

use crate::Error;
use chrono::{DateTime, Duration, Utc};
use dossier_model::{FeedSpec, ItemKey, TopicSpec};
use dossier_normalize::TopicMatcher;
use dossier_normalize::neardup::{WINDOW, WindowRow, find_duplicates};
use dossier_store::{IngestStore, RunId};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// How far back items are matched again when a topic's rules change.
const REMATCH_WINDOW: Duration = Duration::days(30);

/// A topic's rules as a hash: its keywords, vetoes, and the feeds that list it (sorted).
fn rules_hash(topic: &TopicSpec, listing: &[&str]) -> String {
    let text = format!(
        "{:?}\u{1e}{:?}\u{1e}{:?}",
        topic.match_any, topic.match_none, listing
    );
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The keys of the feeds that list each topic in their `topics`, sorted: one pass over the
/// feeds, whatever the number of topics.
fn listings(feeds: &[FeedSpec]) -> HashMap<&str, Vec<&str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in feeds {
        for t in &f.topics {
            out.entry(t.as_str()).or_default().push(f.key.as_str());
        }
    }
    for keys in out.values_mut() {
        keys.sort_unstable();
    }
    out
}

/// When a topic's rules changed since the last run (or the topic is new), its items of
/// the last 30 days are matched again, by the same ladder new items climb: new matches
/// attached, keyword and feed-list attachments that no longer hold removed. Published
/// versions never change.
pub fn rematch_changed_topics<S: IngestStore>(
    store: &mut S,
    feeds: &[FeedSpec],
    topics: &[TopicSpec],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let stored = store.topic_rule_hashes()?;
    let listings = listings(feeds);
    let changed: Vec<(&TopicSpec, String)> = topics
        .iter()
        .map(|t| {
            let listing = listings.get(t.slug.as_str()).map_or(&[][..], Vec::as_slice);
            (t, rules_hash(t, listing))
        })
        .filter(|(t, h)| stored.get(&t.slug).and_then(|s| s.as_deref()) != Some(h.as_str()))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let by_key: HashMap<&str, &FeedSpec> = feeds.iter().map(|f| (f.key.as_str(), f)).collect();
    let items = store.items_for_rematch(now - REMATCH_WINDOW)?;
    let considered: Vec<i64> = items.iter().map(|i| i.id).collect();
    for (topic, hash) in changed {
        let matcher = TopicMatcher::new(std::slice::from_ref(topic));
        let matches: Vec<(i64, dossier_model::TopicReason)> = items
            .iter()
            .filter_map(|i| {
                let of_item: Vec<&FeedSpec> = i
                    .feed_keys
                    .iter()
                    .filter_map(|k| by_key.get(k.as_str()).copied())
                    .collect();
                let owners = of_item.iter().filter_map(|f| f.owner_topic.as_deref());
                let listed: HashSet<&str> = of_item
                    .iter()
                    .flat_map(|f| f.topics.iter().map(String::as_str))
                    .collect();
                dossier_normalize::topics::attach(
                    owners,
                    listed,
                    &matcher,
                    &i.title,
                    i.summary.as_deref(),
                )
                .into_iter()
                .find(|(slug, _)| *slug == topic.slug)
                .map(|(_, reason)| (i.id, reason))
            })
            .collect();
        let (added, removed) = store.retag_topic(&topic.slug, &considered, &matches, now)?;
        if added + removed > 0 {
            tracing::debug!(topic = %topic.slug, added, removed, "topic rules changed: recent items matched again");
        }
        store.set_topic_rule_hash(&topic.slug, &hash)?;
    }
    Ok(())
}

/// Marks the run's new items that repeat an earlier item (a retweet, a syndicated copy
/// under another title suffix, a post quoting the earlier item's link): the earliest item
/// stays the source, the others become `duplicate_of` it. Reads the window in one pass,
/// keeping a few dozen bytes per item.
pub fn mark_near_duplicates<S: IngestStore>(store: &mut S, run: RunId) -> Result<u64, Error> {
    let Some(earliest) = store.earliest_new(run)? else {
        return Ok(0);
    };
    let mut rows: Vec<WindowRow> = Vec::new();
    store.near_dup_window(run, earliest - WINDOW, &mut |w| {
        rows.push(WindowRow::new(
            w.id,
            w.at,
            w.is_new,
            w.duplicate_of,
            w.title,
            w.summary,
        ));
    })?;
    let mut keys: Vec<ItemKey> = rows
        .iter()
        .flat_map(|r| r.quoted.iter().map(|k| ItemKey::Url(k.clone())))
        .collect();
    keys.sort();
    keys.dedup();
    let quoted: HashMap<String, i64> = store
        .resolve_keys(&keys)?
        .into_iter()
        .filter_map(|(key, id)| match key {
            ItemKey::Url(k) => Some((k, id)),
            _ => None,
        })
        .collect();
    let marks = find_duplicates(&rows, &quoted);
    Ok(store.mark_duplicates(&marks)?)
}
