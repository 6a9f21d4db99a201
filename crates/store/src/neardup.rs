//! The read and write side of near-duplicate marking: the window of recent items out,
//! `duplicate_of` in. Deciding what is a duplicate is the normalizer's
//! (`dossier_normalize::neardup::find_duplicates`); this only reads and records.

use crate::{Result, RunId, SqliteStore};
use chrono::{DateTime, Utc};
use dossier_model::{ItemKey, fmt_time, parse_time};
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

/// An item of the near-duplicate window, lent to the caller for the time of one call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowItem<'a> {
    pub id: i64,
    pub title: &'a str,
    /// Only for the run's new items, whose text is checked for quoted links.
    pub summary: Option<&'a str>,
    /// The item's date, or when it was first seen.
    pub at: DateTime<Utc>,
    /// Stored by the run being checked.
    pub is_new: bool,
    pub duplicate_of: Option<i64>,
}

impl SqliteStore {
    /// The earliest date among the items `run` stored (through the index of items by run:
    /// no scan of the table).
    pub(crate) fn earliest_new(&self, run: RunId) -> Result<Option<DateTime<Utc>>> {
        let min: Option<String> = self.conn.query_row(
            "SELECT MIN(sort_at) FROM items INDEXED BY items_by_run WHERE first_run = ?1",
            [run.0],
            |r| r.get(0),
        )?;
        Ok(min.as_deref().and_then(parse_time))
    }

    /// Hands `each` the items dated (or first seen) at or after `since`, oldest first (by
    /// `sort_at`, then id), one at a time, so the caller keeps only what it needs of them;
    /// the run's new items come with their summary.
    pub(crate) fn near_dup_window(
        &self,
        run: RunId,
        since: DateTime<Utc>,
        each: &mut dyn FnMut(WindowItem<'_>),
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT id, title, CASE WHEN first_run IS ?2 THEN summary END, sort_at,
                first_run IS ?2, duplicate_of
             FROM items WHERE sort_at >= ?1 ORDER BY sort_at, id",
        )?;
        let mut rows = stmt.query(params![fmt_time(since), run.0])?;
        while let Some(r) = rows.next()? {
            let sort_at: String = r.get(3)?;
            let title = r.get_ref(1)?.as_str()?;
            let summary = r.get_ref(2)?.as_str_or_null()?;
            each(WindowItem {
                id: r.get(0)?,
                title,
                summary,
                at: parse_time(&sort_at).unwrap_or(DateTime::UNIX_EPOCH),
                is_new: r.get(4)?,
                duplicate_of: r.get(5)?,
            });
        }
        Ok(())
    }

    /// The item each of `keys` names, for the keys some item has.
    pub(crate) fn resolve_keys(&self, keys: &[ItemKey]) -> Result<HashMap<ItemKey, i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT item_id FROM item_keys WHERE key = ?1")?;
        let mut out = HashMap::new();
        for key in keys {
            if let Some(id) = stmt.query_row([key.to_string()], |r| r.get(0)).optional()? {
                out.insert(key.clone(), id);
            }
        }
        Ok(out)
    }

    /// Records each `(id, of)`: `id` is a duplicate of `of` (never of itself, never twice,
    /// never of its own duplicate), all in one transaction. Returns how many were recorded.
    pub(crate) fn mark_duplicates(&mut self, pairs: &[(i64, i64)]) -> Result<u64> {
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
