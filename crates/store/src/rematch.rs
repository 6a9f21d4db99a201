//! Re-matching recent items when a topic's rules change: the store remembers a hash of
//! each topic's rules; a topic whose rules (keywords, vetoes, the feeds that list it)
//! differ from last time has its recent items matched again.

use crate::{Result, SqliteStore};
use chrono::{DateTime, Utc};
use dossier_model::{TopicReason, fmt_time};
use rusqlite::params;
use std::collections::HashMap;

/// An item as re-matching sees it: its text and the feeds that brought it.
#[derive(Debug, Clone, PartialEq)]
pub struct RematchItem {
    pub id: i64,
    pub title: String,
    pub summary: Option<String>,
    pub feed_keys: Vec<String>,
}

impl SqliteStore {
    /// Each active topic's stored rules hash (`None` for a topic never matched yet).
    pub(crate) fn topic_rule_hashes(&self) -> Result<HashMap<String, Option<String>>> {
        let mut stmt = self
            .conn
            .prepare("SELECT slug, rules_hash FROM topics WHERE active = 1")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn set_topic_rule_hash(&mut self, slug: &str, hash: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE topics SET rules_hash = ?2 WHERE slug = ?1",
            params![slug, hash],
        )?;
        Ok(())
    }

    /// Items dated (or first seen) at or after `since`, with the keys of their feeds.
    pub(crate) fn items_for_rematch(&self, since: DateTime<Utc>) -> Result<Vec<RematchItem>> {
        let mut stmt = self.conn.prepare(
            "SELECT i.id, i.title, i.summary, (SELECT group_concat(f.key, char(31)) FROM sightings s
                JOIN feeds f ON f.id = s.feed_id WHERE s.item_id = i.id)
             FROM items i WHERE i.sort_at >= ?1",
        )?;
        let rows = stmt.query_map([fmt_time(since)], |r| {
            let keys: Option<String> = r.get(3)?;
            Ok(RematchItem {
                id: r.get(0)?,
                title: r.get(1)?,
                summary: r.get(2)?,
                feed_keys: keys
                    .map(|k| k.split('\u{1f}').map(str::to_string).collect())
                    .unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Makes the topic's attachments among `considered` items match `matches` (item id,
    /// reason kind, detail): new matches are attached, and keyword or feed-list
    /// attachments that no longer hold are removed. Attachments through the topic's own
    /// feeds stay, and so does everything frozen in versions.
    pub(crate) fn retag_topic(
        &mut self,
        slug: &str,
        considered: &[i64],
        matches: &[(i64, TopicReason)],
        now: DateTime<Utc>,
    ) -> Result<(usize, usize)> {
        let tx = self.conn.transaction()?;
        let topic_id: i64 = tx.query_row("SELECT id FROM topics WHERE slug = ?1", [slug], |r| {
            r.get(0)
        })?;
        let keep: std::collections::HashSet<i64> = matches.iter().map(|(id, _)| *id).collect();
        let mut removed = 0;
        for id in considered.iter().filter(|id| !keep.contains(id)) {
            removed += tx.execute(
                "DELETE FROM item_topics WHERE topic_id = ?1 AND item_id = ?2 AND reason IN ('keyword', 'feed_topics')",
                params![topic_id, id],
            )?;
        }
        let mut added = 0;
        for (id, reason) in matches {
            added += tx.execute(
                "INSERT OR IGNORE INTO item_topics(topic_id, item_id, reason, detail, attached_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![topic_id, id, reason.kind(), reason.detail(), fmt_time(now)],
            )?;
        }
        tx.commit()?;
        Ok((added, removed))
    }
}
