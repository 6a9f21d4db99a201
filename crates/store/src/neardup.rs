//! The read and write side of near-duplicate marking: recent titles out, `duplicate_of`
//! in. Deciding what is a duplicate is the normalizer's; this only fetches and records.

use crate::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use dossier_model::fmt_time;
use rusqlite::{OptionalExtension, params};

/// An item as near-duplicate detection sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TitleRow {
    pub id: i64,
    pub title: String,
    /// Only for the items being checked (first seen in the run), to quote links from.
    pub summary: Option<String>,
    pub sort_at: String,
    /// Stored by the run being checked.
    pub is_new: bool,
    pub duplicate_of: Option<i64>,
}

impl Store {
    /// The id of the newest item (0 in an empty store). New items always get an id above
    /// every stored one, so a run's new items are the ones above the id it read when it
    /// began. (The only items ever deleted are folded into the story they repeat, after
    /// a run's near-duplicate pass, and the next run reads the newest id afresh.)
    pub fn last_item_id(&self) -> Result<i64> {
        crate::ingest::last_item_id(&self.conn)
    }

    /// The earliest date among the items stored after item `after` (one run's new items,
    /// found by id range: no scan of the table).
    pub fn earliest_new(&self, after: i64) -> Result<Option<DateTime<Utc>>> {
        let min: Option<String> = self.conn.query_row(
            "SELECT MIN(sort_at) FROM items NOT INDEXED WHERE id > ?1",
            [after],
            |r| r.get(0),
        )?;
        Ok(min.as_deref().and_then(dossier_model::parse_time))
    }

    /// Hands `each` the items dated (or first seen) at or after `since`, oldest first (by
    /// `sort_at`, then id), one at a time, so the caller keeps only what it needs of them.
    /// Items stored after item `new_after` are new; with `summaries`, they come with their
    /// summary (summaries can be long, hence one at a time). Stops at the first error
    /// `each` returns.
    pub fn titles_since<E: From<StoreError>>(
        &self,
        since: DateTime<Utc>,
        new_after: i64,
        summaries: bool,
        mut each: impl FnMut(TitleRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<TitleRow> {
            Ok(TitleRow {
                id: r.get(0)?,
                title: r.get(1)?,
                summary: r.get(2)?,
                sort_at: r.get(3)?,
                is_new: r.get(4)?,
                duplicate_of: r.get(5)?,
            })
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, title, CASE WHEN ?3 AND id > ?2 THEN summary END, sort_at, id > ?2,
                    duplicate_of
                 FROM items WHERE sort_at >= ?1 ORDER BY sort_at, id",
            )
            .map_err(StoreError::from)?;
        let mut rows = stmt
            .query(params![fmt_time(since), new_after, summaries])
            .map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            each(read(r).map_err(StoreError::from)?)?;
        }
        Ok(())
    }

    /// The item a key (`url:…`, `guid:…`) names, if any.
    pub fn item_by_key(&self, key: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT item_id FROM item_keys WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Records each `(id, of)`: `id` is a duplicate of `of` (never of itself, never twice,
    /// never of its own duplicate), all in one transaction. Returns how many were recorded.
    pub fn mark_duplicates(&mut self, pairs: &[(i64, i64)]) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let mut marked = 0;
        {
            let mut stmt = tx.prepare(
                "UPDATE items SET duplicate_of = ?2 WHERE id = ?1 AND ?1 != ?2 AND duplicate_of IS NULL
                   AND NOT EXISTS (SELECT 1 FROM items o WHERE o.id = ?2 AND o.duplicate_of = ?1)",
            )?;
            for (id, of) in pairs {
                marked += stmt.execute(params![id, of])? as u64;
            }
        }
        tx.commit()?;
        Ok(marked)
    }
}
