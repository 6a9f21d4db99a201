//! Dossier versions: a topic's items frozen into a numbered, citable source list.
//!
//! Numbers are stable within a topic (`source_numbers`): an item keeps its `[n]` in every
//! later version, and items new to a version take the next numbers, oldest first
//! (undated last, then by id). What a version says of a source is copied when it is cut,
//! so a feed that later edits an item never changes a published list. The version's
//! stories are grouped and written in the same transaction (`crate::stories`).

use crate::query::{date_source, opt_time, time};
use crate::{Result, SqliteStore, StoreError};
use chrono::{DateTime, Timelike, Utc};
use dossier_model::{DateSource, Grouping, fmt_time};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Titles longer than this many characters are cut in the rendering.
pub const RENDER_TITLE_CHARS: usize = 120;

/// One numbered source of a version, as frozen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub n: i64,
    pub item_id: i64,
    pub title: String,
    pub url: Option<String>,
    pub label: String,
    #[serde(serialize_with = "dossier_model::ser::opt_time")]
    pub published_at: Option<DateTime<Utc>>,
    pub date_source: DateSource,
}

/// A whole version, as `version show --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Version {
    pub topic: String,
    pub title: String,
    pub version: i64,
    #[serde(serialize_with = "dossier_model::ser::time")]
    pub created_at: DateTime<Utc>,
    pub item_count: i64,
    pub new_items: i64,
    pub sources: Vec<Source>,
}

/// One line of `version list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionSummary {
    pub topic: String,
    pub version: i64,
    #[serde(serialize_with = "dossier_model::ser::time")]
    pub created_at: DateTime<Utc>,
    pub item_count: i64,
    pub new_items: i64,
}

impl Version {
    /// The contract's rendering: a heading, then `[n] TITLE — LABEL (YYYY-MM-DD)` per source.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.title);
        let _ = writeln!(out, "{}", self.heading());
        let _ = writeln!(out);
        let _ = writeln!(out, "Sources");
        for s in &self.sources {
            out += &s.line();
        }
        out
    }

    /// The line under the title: `Version 2 · 2026-05-23 03:09 UTC · 102 items`.
    pub fn heading(&self) -> String {
        format!(
            "Version {} · {} · {} items",
            self.version,
            self.created_at.format("%Y-%m-%d %H:%M UTC"),
            self.item_count
        )
    }
}

impl Source {
    /// The source as the contract renders it, one line: `[n] TITLE — LABEL`, then
    /// ` (YYYY-MM-DD)` when it is dated.
    pub fn line(&self) -> String {
        let mut out = format!("[{}] {} — {}", self.n, cut_title(&self.title), self.label);
        if let Some(at) = self.published_at {
            let _ = write!(out, " ({})", at.format("%Y-%m-%d"));
        }
        out.push('\n');
        out
    }
}

/// A title cut to its first 120 characters (Unicode scalar values) followed by `...`.
pub fn cut_title(title: &str) -> String {
    match title.char_indices().nth(RENDER_TITLE_CHARS) {
        None => title.to_string(),
        Some((at, _)) => format!("{}...", &title[..at]),
    }
}

impl SqliteStore {
    /// Freezes the topic's next version: every attached item except duplicates of another
    /// item in it, old sources under their old numbers, new ones numbered after them, and
    /// its stories as `group` makes them, all in one transaction.
    pub(crate) fn cut_version(
        &mut self,
        slug: &str,
        now: DateTime<Utc>,
        group: Grouping,
    ) -> Result<Version> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (topic_id, title): (i64, String) = tx
            .query_row(
                "SELECT id, title FROM topics WHERE slug = ?1",
                [slug],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownTopic(slug.to_string()))?;
        let number: i64 = tx.query_row(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE topic_id = ?1",
            [topic_id],
            |r| r.get(0),
        )?;

        let mut sources = version_candidates(&tx, topic_id)?;
        let new_items = number_sources(&tx, topic_id, &mut sources)?;
        let created_at = now.with_nanosecond(0).unwrap_or(now);
        tx.execute(
            "INSERT INTO versions(topic_id, number, title, created_at, item_count, new_items)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                topic_id,
                number,
                title,
                fmt_time(created_at),
                sources.len() as i64,
                new_items
            ],
        )?;
        let version_id = tx.last_insert_rowid();
        sources.sort_by_key(|s| s.n);
        insert_sources(&tx, version_id, &sources)?;
        crate::stories::freeze_stories(&tx, version_id, &sources, group)?;
        tx.commit()?;
        Ok(Version {
            topic: slug.to_string(),
            title,
            version: number,
            created_at,
            item_count: sources.len() as i64,
            new_items,
            sources,
        })
    }

    /// Version `number` of the topic, or its latest when `number` is `None`.
    pub(crate) fn version(&self, slug: &str, number: Option<i64>) -> Result<Option<Version>> {
        let Some((version_id, mut version)) = self.version_head(slug, number)? else {
            return Ok(None);
        };
        version.sources = self.version_sources(version_id)?;
        Ok(Some(version))
    }

    /// The row id and the heading of version `number` (the latest when `None`), without
    /// its sources; an unknown topic is an error, a missing version `None`.
    pub(crate) fn version_head(
        &self,
        slug: &str,
        number: Option<i64>,
    ) -> Result<Option<(i64, Version)>> {
        self.topic_id(slug)?;
        Ok(self
            .conn
            .query_row(
                "SELECT v.id, v.title, v.number, v.created_at, v.item_count, v.new_items
                 FROM versions v JOIN topics t ON t.id = v.topic_id
                 WHERE t.slug = ?1 AND (?2 IS NULL OR v.number = ?2)
                 ORDER BY v.number DESC LIMIT 1",
                params![slug, number],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        Version {
                            topic: slug.to_string(),
                            title: r.get(1)?,
                            version: r.get(2)?,
                            created_at: time(r, 3)?,
                            item_count: r.get(4)?,
                            new_items: r.get(5)?,
                            sources: Vec::new(),
                        },
                    ))
                },
            )
            .optional()?)
    }

    /// The sources of a version as they were frozen, by number.
    pub(crate) fn version_sources(&self, version_id: i64) -> Result<Vec<Source>> {
        let mut stmt = self.conn.prepare(
            "SELECT n, item_id, title, url, label, published_at, date_source
             FROM version_sources WHERE version_id = ?1 ORDER BY n",
        )?;
        let rows = stmt.query_map([version_id], |r| {
            Ok(Source {
                n: r.get(0)?,
                item_id: r.get(1)?,
                title: r.get(2)?,
                url: r.get(3)?,
                label: r.get(4)?,
                published_at: opt_time(r, 5)?,
                date_source: date_source(r, 6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The versions of a topic, oldest first.
    pub(crate) fn versions(&self, slug: &str) -> Result<Vec<VersionSummary>> {
        let topic_id = self.topic_id(slug)?;
        let mut stmt = self.conn.prepare(
            "SELECT number, created_at, item_count, new_items FROM versions WHERE topic_id = ?1 ORDER BY number",
        )?;
        let rows = stmt.query_map([topic_id], |r| {
            Ok(VersionSummary {
                topic: slug.to_string(),
                version: r.get(0)?,
                created_at: time(r, 1)?,
                item_count: r.get(2)?,
                new_items: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn topic_id(&self, slug: &str) -> Result<i64> {
        self.conn
            .query_row("SELECT id FROM topics WHERE slug = ?1", [slug], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| StoreError::UnknownTopic(slug.to_string()))
    }
}

/// Copies what the version says of each source.
fn insert_sources(tx: &rusqlite::Connection, version_id: i64, sources: &[Source]) -> Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO version_sources(version_id, n, item_id, title, url, label, published_at, date_source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for s in sources {
        insert.execute(params![
            version_id,
            s.n,
            s.item_id,
            s.title,
            s.url,
            s.label,
            s.published_at.map(fmt_time),
            s.date_source.as_str()
        ])?;
    }
    Ok(())
}

/// The topic's items a version cites, oldest first: every item linked to the topic but
/// those that are near-duplicates of another item the topic also holds. Their numbers
/// are not assigned yet (`n` is 0).
fn version_candidates(tx: &rusqlite::Connection, topic_id: i64) -> Result<Vec<Source>> {
    let mut stmt = tx.prepare(
        "SELECT i.id, i.title, COALESCE(i.url, i.original_url), f.label, i.published_at, i.date_source
         FROM item_topics it
         JOIN items i ON i.id = it.item_id
         JOIN feeds f ON f.id = i.feed_id
         WHERE it.topic_id = ?1
           AND (i.duplicate_of IS NULL OR NOT EXISTS (
                SELECT 1 FROM item_topics o WHERE o.topic_id = ?1 AND o.item_id = i.duplicate_of))
         ORDER BY i.published_at IS NULL, i.published_at, i.id",
    )?;
    let rows = stmt.query_map([topic_id], |r| {
        Ok(Source {
            n: 0,
            item_id: r.get(0)?,
            title: r.get(1)?,
            url: r.get(2)?,
            label: r.get(3)?,
            published_at: opt_time(r, 4)?,
            date_source: date_source(r, 5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Gives each source its number: the one the topic gave that item before (a source keeps
/// its `[n]` across versions, `numbers` by item id), else the next free one, in the
/// sources' order. Returns the `(n, item_id)` pairs numbered for the first time, for the
/// backend to store. The same rule for every backend.
pub(crate) fn assign_numbers(
    numbers: &mut HashMap<i64, i64>,
    sources: &mut [Source],
) -> Vec<(i64, i64)> {
    let mut next = numbers.values().max().copied().unwrap_or(0) + 1;
    let mut fresh = Vec::new();
    for s in sources.iter_mut() {
        s.n = *numbers.entry(s.item_id).or_insert_with(|| {
            fresh.push((next, s.item_id));
            next += 1;
            next - 1
        });
    }
    fresh
}

/// Numbers the sources of a cut (see [`assign_numbers`]) and stores the new numbers;
/// how many sources were numbered for the first time.
fn number_sources(tx: &rusqlite::Connection, topic_id: i64, sources: &mut [Source]) -> Result<i64> {
    let mut numbers: HashMap<i64, i64> = {
        let mut stmt = tx.prepare("SELECT item_id, n FROM source_numbers WHERE topic_id = ?1")?;
        stmt.query_map([topic_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let fresh = assign_numbers(&mut numbers, sources);
    let mut insert =
        tx.prepare("INSERT INTO source_numbers(topic_id, n, item_id) VALUES (?1, ?2, ?3)")?;
    for (n, item_id) in &fresh {
        insert.execute(params![topic_id, n, item_id])?;
    }
    Ok(fresh.len() as i64)
}
