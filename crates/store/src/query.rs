//! The read side for writers and operators: items and feed health, in the JSON shapes of
//! the contract (field order included).

use crate::{Result, SqliteStore};
use chrono::{DateTime, Utc};
use dossier_model::{
    DateSource, ErrorClass, FeedKind, FetchStatus, SearchOrigin, fmt_time, parse_time,
};
use rusqlite::OptionalExtension;
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
    /// Only the items listed after this one (keyset pagination: a listing continued from
    /// its last row neither repeats nor skips an item while new ones arrive).
    pub after: Option<ItemCursor>,
}

/// A place in the listing's order (newest first: `sort_at` descending, then id
/// descending), taken from the last row of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemCursor {
    pub sort_at: DateTime<Utc>,
    pub id: i64,
}

impl ItemRow {
    /// Where a listing that ended with this row goes on.
    pub fn cursor(&self) -> ItemCursor {
        ItemCursor {
            sort_at: self.sort_at,
            id: self.id,
        }
    }
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
    #[serde(serialize_with = "dossier_model::ser::opt_time")]
    pub published_at: Option<DateTime<Utc>>,
    pub date_source: DateSource,
    #[serde(serialize_with = "dossier_model::ser::time")]
    pub first_seen_at: DateTime<Utc>,
    pub feed: String,
    pub label: String,
    pub topics: Vec<String>,
    pub duplicate_of: Option<i64>,
    pub sightings: i64,
    /// What dated the item, in words (extension).
    pub date_evidence: Option<String>,
    /// The listing's order key: the publication date, else the first sight.
    #[serde(skip)]
    pub sort_at: DateTime<Utc>,
}

/// One feed that brought an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sighting {
    pub feed: String,
    pub original_url: Option<String>,
    #[serde(serialize_with = "dossier_model::ser::time")]
    pub first_seen_at: DateTime<Utc>,
}

/// One topic, with how many items it holds and its latest version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicRow {
    pub slug: String,
    pub title: String,
    pub items: i64,
    pub latest_version: Option<i64>,
}

/// One feed with its health, as `feeds --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedRow {
    /// The feed's identity in the store (its name, or a topic feed's label and URL).
    #[serde(skip)]
    pub key: String,
    pub name: String,
    pub label: String,
    pub url: String,
    pub kind: FeedKind,
    pub topics: Vec<String>,
    #[serde(serialize_with = "dossier_model::ser::opt_time")]
    pub last_fetch_at: Option<DateTime<Utc>>,
    pub last_status: Option<FetchStatus>,
    pub error_class: Option<ErrorClass>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    #[serde(serialize_with = "dossier_model::ser::opt_time")]
    pub next_due_at: Option<DateTime<Utc>>,
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
    #[serde(serialize_with = "dossier_model::ser::opt_time")]
    pub held_until: Option<DateTime<Utc>>,
    /// The status that set the hold (429 or 503), when there is one.
    #[serde(skip)]
    pub held_by: Option<u16>,
    /// The provider and query a topic's search feed was made from, or null (extension).
    /// The store does not keep it: the config says it, and `feeds` fills it in.
    pub search: Option<SearchOrigin>,
}

/// A value of column `idx` that is stored as text and must read as a `T`; a value that
/// does not is an error, never a silent default.
pub(crate) fn parsed<T: std::str::FromStr>(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    let text: String = r.get(idx)?;
    text.parse().map_err(|e: T::Err| bad_value(idx, &text, e))
}

pub(crate) fn parsed_opt<T: std::str::FromStr>(
    r: &rusqlite::Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    let text: Option<String> = r.get(idx)?;
    text.map(|t| t.parse().map_err(|e: T::Err| bad_value(idx, &t, e)))
        .transpose()
}

fn bad_value(idx: usize, text: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        format!("`{text}`: {e}").into(),
    )
}

/// A time column, written as [`fmt_time`] writes it.
pub(crate) fn time(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = r.get(idx)?;
    parse_time(&text).ok_or_else(|| bad_value(idx, &text, "not an RFC 3339 time"))
}

pub(crate) fn opt_time(
    r: &rusqlite::Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = r.get(idx)?;
    text.map(|t| parse_time(&t).ok_or_else(|| bad_value(idx, &t, "not an RFC 3339 time")))
        .transpose()
}

/// A JSON list of strings (the topics of a feed or an item).
pub(crate) fn json_list(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Vec<String>> {
    let text: String = r.get(idx)?;
    serde_json::from_str(&text).map_err(|e| bad_value(idx, &text, e))
}

struct DateSourceText(DateSource);

impl std::str::FromStr for DateSourceText {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        DateSource::parse(s)
            .map(DateSourceText)
            .ok_or_else(|| "not a date source".into())
    }
}

struct KindText(FeedKind);

impl std::str::FromStr for KindText {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        FeedKind::parse(s)
            .map(KindText)
            .ok_or_else(|| "not a feed kind".into())
    }
}

struct ClassText(ErrorClass);

impl std::str::FromStr for ClassText {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        ErrorClass::parse(s)
            .map(ClassText)
            .ok_or_else(|| "not an error class".into())
    }
}

pub(crate) fn date_source(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<DateSource> {
    Ok(parsed::<DateSourceText>(r, idx)?.0)
}

/// The columns of an item row, as [`item_row`] reads them.
const ITEM_COLUMNS: &str =
    "i.id, i.guid, i.url, i.original_url, i.title, i.summary, i.author, i.published_at,
    i.date_source, i.first_seen_at, f.name, f.label,
    (SELECT json_group_array(slug) FROM (SELECT t.slug FROM item_topics it
        JOIN topics t ON t.id = it.topic_id WHERE it.item_id = i.id ORDER BY t.slug)),
    i.duplicate_of,
    (SELECT count(*) FROM sightings s WHERE s.item_id = i.id),
    i.date_evidence, i.sort_at";

fn item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        id: r.get(0)?,
        guid: r.get(1)?,
        url: r.get(2)?,
        original_url: r.get(3)?,
        title: r.get(4)?,
        summary: r.get(5)?,
        author: r.get(6)?,
        published_at: opt_time(r, 7)?,
        date_source: date_source(r, 8)?,
        first_seen_at: time(r, 9)?,
        feed: r.get(10)?,
        label: r.get(11)?,
        topics: json_list(r, 12)?,
        duplicate_of: r.get(13)?,
        sightings: r.get(14)?,
        date_evidence: r.get(15)?,
        sort_at: time(r, 16)?,
    })
}

impl SqliteStore {
    /// Items matching `q`, newest first (by publication date, undated ones by first sight).
    pub(crate) fn items(&self, q: &ItemQuery) -> Result<Vec<ItemRow>> {
        let mut sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id WHERE 1 = 1"
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
        if let Some(after) = q.after {
            args.push(Box::new(fmt_time(after.sort_at)));
            args.push(Box::new(after.id));
            sql += &format!(
                " AND (i.sort_at, i.id) < (?{}, ?{})",
                args.len() - 1,
                args.len()
            );
        }
        sql += " ORDER BY i.sort_at DESC, i.id DESC";
        if let Some(limit) = q.limit {
            args.push(Box::new(limit as i64));
            sql += &format!(" LIMIT ?{}", args.len());
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = stmt.query_map(params.as_slice(), item_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One item, with every feed that brought it (first the one that brought it first).
    pub(crate) fn item(&self, id: i64) -> Result<Option<(ItemRow, Vec<Sighting>)>> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?1"),
                [id],
                item_row,
            )
            .optional()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare(
            "SELECT f.name, s.original_url, s.first_seen_at FROM sightings s JOIN feeds f ON f.id = s.feed_id
             WHERE s.item_id = ?1 ORDER BY s.first_seen_at, f.id",
        )?;
        let sightings = stmt
            .query_map([id], |r| {
                Ok(Sighting {
                    feed: r.get(0)?,
                    original_url: r.get(1)?,
                    first_seen_at: time(r, 2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some((row, sightings)))
    }

    /// Every active topic, by slug, with its item count and latest version number.
    pub(crate) fn topics(&self) -> Result<Vec<TopicRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.slug, t.title, (SELECT count(*) FROM item_topics it WHERE it.topic_id = t.id),
                (SELECT MAX(number) FROM versions v WHERE v.topic_id = t.id)
             FROM topics t WHERE t.active = 1 ORDER BY t.slug",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TopicRow {
                slug: r.get(0)?,
                title: r.get(1)?,
                items: r.get(2)?,
                latest_version: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every configured feed with its health, in config order of first appearance.
    pub(crate) fn feeds(&self) -> Result<Vec<FeedRow>> {
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
                consecutive_failures, next_due_at, moved_to, items, final_url, disabled_reason, warning, key
             FROM feeds WHERE active = 1 ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FeedRow {
                key: r.get(16)?,
                name: r.get(0)?,
                label: r.get(1)?,
                url: r.get(2)?,
                kind: parsed::<KindText>(r, 3)?.0,
                topics: json_list(r, 4)?,
                last_fetch_at: opt_time(r, 5)?,
                last_status: parsed_opt(r, 6)?,
                error_class: parsed_opt::<ClassText>(r, 7)?.map(|c| c.0),
                last_error: r.get(8)?,
                consecutive_failures: r.get(9)?,
                next_due_at: opt_time(r, 10)?,
                moved_to: r.get(11)?,
                items: r.get(12)?,
                final_url: r.get(13)?,
                disabled: r.get(14)?,
                warning: r.get(15)?,
                held_until: None,
                held_by: None,
                search: None,
            })
        })?;
        let mut out: Vec<FeedRow> = rows.collect::<rusqlite::Result<_>>()?;
        if !holds.is_empty() {
            for row in &mut out {
                // The address fetched: where a permanent redirect sent the feed, if one did.
                let at = row.moved_to.as_deref().unwrap_or(&row.url);
                if let Some((until, status)) = holds.get(&dossier_model::host_key(at)) {
                    row.held_until = parse_time(until);
                    row.held_by = Some(*status);
                }
            }
        }
        Ok(out)
    }
}
