//! The read side for writers and operators: items and feed health, in the JSON shapes of
//! the contract (field order included).

use crate::{Result, Store};
use chrono::{DateTime, Utc};
use dossier_model::fmt_time;
use rusqlite::types::ToSql;
use serde::Serialize;
use std::collections::HashMap;

/// Filters of `items`; every one optional, all combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub topic: Option<String>,
    pub feed: Option<String>,
    /// Items dated (or, undated, first seen) at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Items dated before this instant.
    pub until: Option<DateTime<Utc>>,
    pub search: Option<String>,
    pub limit: Option<u64>,
}

/// One item as `items --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRow {
    pub id: i64,
    pub guid: Option<String>,
    pub url: Option<String>,
    pub original_url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub published_at: Option<String>,
    pub date_source: String,
    pub first_seen_at: String,
    pub feed: String,
    pub label: String,
    pub topics: Vec<String>,
    pub duplicate_of: Option<i64>,
    pub sightings: i64,
    /// What dated the item, in words (extension).
    pub date_evidence: Option<String>,
}

/// One feed with its health, as `feeds --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedRow {
    pub name: String,
    pub label: String,
    pub url: String,
    pub kind: String,
    pub topics: Vec<String>,
    pub last_fetch_at: Option<String>,
    pub last_status: Option<String>,
    pub error_class: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    pub next_due_at: Option<String>,
    pub moved_to: Option<String>,
    pub items: i64,
    /// Where the last fetch ended after redirects (extension).
    pub final_url: Option<String>,
    /// Why the feed is no longer fetched, e.g. after 410 Gone (extension).
    pub disabled: Option<String>,
    /// What the last parse had to repair (extension).
    pub warning: Option<String>,
    /// Until when its host is held by a server's `Retry-After` (extension): no request
    /// goes to the feed before then, `run --all` included.
    pub held_until: Option<String>,
    /// The status that set the hold (429 or 503), when there is one.
    #[serde(skip)]
    pub held_by: Option<u16>,
}

impl Store {
    /// Items matching `q`, newest first (by publication date, undated ones by first sight).
    pub fn items(&self, q: &ItemQuery) -> Result<Vec<ItemRow>> {
        let mut sql = String::from(
            "SELECT i.id, i.guid, i.url, i.original_url, i.title, i.summary, i.author, i.published_at,
                i.date_source, i.first_seen_at, f.name, f.label,
                (SELECT json_group_array(slug) FROM (SELECT t.slug FROM item_topics it
                    JOIN topics t ON t.id = it.topic_id WHERE it.item_id = i.id ORDER BY t.slug)),
                i.duplicate_of,
                (SELECT count(*) FROM sightings s WHERE s.item_id = i.id),
                i.date_evidence
             FROM items i JOIN feeds f ON f.id = i.feed_id WHERE 1 = 1",
        );
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        if let Some(topic) = &q.topic {
            args.push(Box::new(topic.clone()));
            // With a date bound, walk the items in that time range and check membership by
            // the link's key: a topic of 20,000 items asked for its last two days reads
            // only those days. Without one, start from the topic's links.
            sql += &if q.since.is_some() {
                format!(
                    " AND EXISTS (SELECT 1 FROM item_topics it WHERE it.item_id = i.id
                         AND it.topic_id = (SELECT id FROM topics WHERE slug = ?{}))",
                    args.len()
                )
            } else {
                format!(
                    " AND i.id IN (SELECT it.item_id FROM item_topics it JOIN topics t ON t.id = it.topic_id
                         WHERE t.slug = ?{})",
                    args.len()
                )
            };
        }
        if let Some(feed) = &q.feed {
            args.push(Box::new(feed.clone()));
            sql += &format!(
                " AND i.id IN (SELECT s.item_id FROM sightings s JOIN feeds f2 ON f2.id = s.feed_id
                     WHERE f2.name = ?{})",
                args.len()
            );
        }
        if let Some(since) = q.since {
            args.push(Box::new(fmt_time(since)));
            sql += &format!(" AND i.sort_at >= ?{}", args.len());
        }
        if let Some(until) = q.until {
            args.push(Box::new(fmt_time(until)));
            sql += &format!(" AND i.sort_at < ?{}", args.len());
        }
        match q.search.as_deref().map(crate::cjk::plan) {
            None => {}
            // Nothing searchable (only punctuation): nothing matches.
            Some(None) => sql += " AND 0",
            Some(Some(crate::cjk::Plan::Words(words, cjk))) => {
                args.push(Box::new(words));
                args.push(Box::new(cjk));
                sql += &format!(
                    " AND i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?{}
                        UNION ALL SELECT rowid FROM items_cjk WHERE items_cjk MATCH ?{})",
                    args.len() - 1,
                    args.len()
                );
            }
            Some(Some(crate::cjk::Plan::Cjk(cjk))) => {
                args.push(Box::new(cjk));
                sql += &format!(
                    " AND i.id IN (SELECT rowid FROM items_cjk WHERE items_cjk MATCH ?{})",
                    args.len()
                );
            }
        }
        sql += " ORDER BY i.sort_at DESC, i.id DESC";
        if let Some(limit) = q.limit {
            args.push(Box::new(limit as i64));
            sql += &format!(" LIMIT ?{}", args.len());
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = stmt.query_map(params.as_slice(), |r| {
            let topics: String = r.get(12)?;
            Ok(ItemRow {
                id: r.get(0)?,
                guid: r.get(1)?,
                url: r.get(2)?,
                original_url: r.get(3)?,
                title: r.get(4)?,
                summary: r.get(5)?,
                author: r.get(6)?,
                published_at: r.get(7)?,
                date_source: r.get(8)?,
                first_seen_at: r.get(9)?,
                feed: r.get(10)?,
                label: r.get(11)?,
                topics: serde_json::from_str(&topics).unwrap_or_default(),
                duplicate_of: r.get(13)?,
                sightings: r.get(14)?,
                date_evidence: r.get(15)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every configured feed with its health, in config order of first appearance.
    pub fn feeds(&self) -> Result<Vec<FeedRow>> {
        let holds: HashMap<String, (String, u16)> = {
            let mut stmt = self.conn.prepare(
                "SELECT host, until, status FROM host_holds
                 WHERE until > strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut stmt = self.conn.prepare(
            "SELECT name, label, url, kind, topics, last_fetch_at, last_status, error_class, last_error,
                consecutive_failures, next_due_at, moved_to, items, final_url, disabled_reason, warning
             FROM feeds WHERE active = 1 ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            let topics: String = r.get(4)?;
            Ok(FeedRow {
                name: r.get(0)?,
                label: r.get(1)?,
                url: r.get(2)?,
                kind: r.get(3)?,
                topics: serde_json::from_str(&topics).unwrap_or_default(),
                last_fetch_at: r.get(5)?,
                last_status: r.get(6)?,
                error_class: r.get(7)?,
                last_error: r.get(8)?,
                consecutive_failures: r.get(9)?,
                next_due_at: r.get(10)?,
                moved_to: r.get(11)?,
                items: r.get(12)?,
                final_url: r.get(13)?,
                disabled: r.get(14)?,
                warning: r.get(15)?,
                held_until: None,
                held_by: None,
            })
        })?;
        let mut out: Vec<FeedRow> = rows.collect::<rusqlite::Result<_>>()?;
        if !holds.is_empty() {
            for row in &mut out {
                // The address fetched: where a permanent redirect sent the feed, if one did.
                let at = row.moved_to.as_deref().unwrap_or(&row.url);
                if let Some((until, status)) = holds.get(&dossier_model::host_key(at)) {
                    row.held_until = Some(until.clone());
                    row.held_by = Some(*status);
                }
            }
        }
        Ok(out)
    }
}
