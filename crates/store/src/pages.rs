//! What items learn from their own pages: a date (with its evidence), a canonical URL that
//! may reveal the item as a copy of one the store already has, and a title or summary the
//! feed did not give. Each page is read once: a page that fails is not fetched again.

use crate::{Result, Store};
use chrono::{DateTime, Utc};
use dossier_model::{DateSource, fmt_time};
use rusqlite::{OptionalExtension, params};

/// An item whose page is worth reading.
#[derive(Debug, Clone, PartialEq)]
pub struct PageCandidate {
    pub item_id: i64,
    pub url: String,
}

/// What reading an item's page found; all optional (a failed fetch finds nothing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageFindings {
    pub published_at: Option<DateTime<Utc>>,
    /// `Page` or `Url`.
    pub date_source: Option<DateSource>,
    pub date_evidence: Option<String>,
    /// The page's canonical URL, and the dedup key it gives.
    pub canonical: Option<(String, String)>,
    pub title: Option<String>,
    pub summary: Option<String>,
}

impl Store {
    /// Items never checked whose page could date them (undated, or dated only by their
    /// URL) or show their canonical form (AMP and wrapped links), newest first.
    pub fn page_candidates(&self, limit: usize) -> Result<Vec<PageCandidate>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, COALESCE(url, original_url) FROM items
             WHERE page_checked_at IS NULL AND COALESCE(url, original_url) IS NOT NULL
               AND (date_source IN ('first_seen', 'url')
                    OR url LIKE '%/amp/%' OR url LIKE '%?amp=1%' OR url LIKE '%&amp=1%' OR url LIKE '%://amp.%'
                    OR url LIKE '%.ampproject.org/%' OR url LIKE '%feedproxy.google.com/%'
                    OR url LIKE '%feeds.feedburner.com/~r/%')
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(PageCandidate {
                item_id: r.get(0)?,
                url: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records what an item's page gave, in one transaction. Returns whether the page
    /// dated the item.
    pub fn apply_page(
        &mut self,
        item_id: i64,
        found: &PageFindings,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE items SET page_checked_at = ?2 WHERE id = ?1",
            params![item_id, fmt_time(now)],
        )?;
        let mut dated = false;
        if let (Some(at), Some(source)) = (found.published_at, found.date_source) {
            // A page date outranks a URL date; nothing outranks the feed's own.
            let changed = tx.execute(
                "UPDATE items SET published_at = ?2, date_source = ?3, date_evidence = ?4, sort_at = ?2
                 WHERE id = ?1 AND date_source IN ('first_seen', 'url')
                   AND NOT (date_source = 'url' AND ?3 = 'url')",
                params![item_id, fmt_time(at), source.as_str(), found.date_evidence],
            )?;
            dated = changed > 0 && source == DateSource::Page;
        }
        if let Some(title) = &found.title {
            // A post titled by its own link (the feed had no title and no text) takes the page's.
            tx.execute(
                "UPDATE items SET title = ?2 WHERE id = ?1 AND (title = url OR title = original_url)",
                params![item_id, title],
            )?;
        }
        if let Some(summary) = &found.summary {
            tx.execute(
                "UPDATE items SET summary = ?2 WHERE id = ?1 AND summary IS NULL",
                params![item_id, summary],
            )?;
        }
        if let Some((canonical, key)) = &found.canonical {
            let key = format!("url:{key}");
            let owner: Option<i64> = tx
                .query_row(
                    "SELECT item_id FROM item_keys WHERE key = ?1",
                    [&key],
                    |r| r.get(0),
                )
                .optional()?;
            // The page's own canonical link is the working link to cite (AMP and wrapped
            // links give way to it).
            tx.execute(
                "UPDATE items SET url = ?2 WHERE id = ?1",
                params![item_id, canonical],
            )?;
            match owner {
                None => {
                    tx.execute(
                        "INSERT INTO item_keys(key, item_id) VALUES (?1, ?2)",
                        params![key, item_id],
                    )?;
                }
                Some(other) if other != item_id => {
                    // The same story under another link: the later item is a duplicate of
                    // the earlier, which stays the source.
                    let (first, later) = (other.min(item_id), other.max(item_id));
                    tx.execute(
                        "UPDATE items SET duplicate_of = ?2 WHERE id = ?1 AND duplicate_of IS NULL",
                        params![later, first],
                    )?;
                }
                Some(_) => {}
            }
        }
        tx.commit()?;
        Ok(dated)
    }
}
