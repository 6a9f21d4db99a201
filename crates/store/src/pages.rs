//! What items learn from their own pages: a date (with its evidence), a canonical URL that
//! may reveal the item as a story the store already has, and a title or summary the feed
//! did not give. Each page is read once: a page that fails is not fetched again.
//!
//! Which pages to read is decided when an item is normalized (`page_reason`); this module
//! only looks it up. When a page's canonical link is another item's, the two are one
//! story, and the later item (first seen later, or in the same run from a feed later in
//! the config) is folded into the earlier the way a second feed's entry joins a stored
//! story at ingest: its sightings, keys and topic links move over and its
//! row goes. Two cases keep both rows and mark the later `duplicate_of` the earlier
//! instead: a later item a dossier version already cites (versions are immutable), and
//! two entries of one feed (a feed that lists two entries means two, as at ingest, where
//! one link shared by different entries of a document is no identity).

use crate::{Result, SqliteStore};
use chrono::{DateTime, Utc};
use dossier_model::{DateSource, fmt_time};
use rusqlite::{OptionalExtension, params};

/// An item whose page is worth reading.
#[derive(Debug, Clone, PartialEq)]
pub struct PageCandidate {
    pub item_id: i64,
    /// The link its feed gave (`original_url`; its canonical URL only when there is none).
    pub url: String,
    /// The item's canonical URL, which the caller reads instead when the feed's own link
    /// is a wrapper the feed itself unwrapped (feedburner's origLink).
    pub canonical: Option<String>,
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
    /// Why the page gave nothing (its reader crashed on it): kept as the undated item's
    /// date evidence, so that the failure is on record rather than silent.
    pub problem: Option<String>,
    pub summary: Option<String>,
}

impl SqliteStore {
    /// Items whose page is still unread and has something to tell (their `page_reason`),
    /// newest first, each with the link its feed gave (its canonical URL when the feed
    /// gave none that is kept).
    pub(crate) fn page_candidates(&self, limit: usize) -> Result<Vec<PageCandidate>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, COALESCE(original_url, url), url FROM items INDEXED BY items_page_due
             WHERE page_checked_at IS NULL AND page_reason IS NOT NULL
               AND COALESCE(original_url, url) IS NOT NULL
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(PageCandidate {
                item_id: r.get(0)?,
                url: r.get(1)?,
                canonical: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records what an item's page gave, in one transaction. Returns whether the page
    /// dated the item.
    pub(crate) fn apply_page(
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
        if let Some(problem) = &found.problem {
            tx.execute(
                "UPDATE items SET date_evidence = ?2 WHERE id = ?1 AND date_source = 'first_seen'",
                params![item_id, problem],
            )?;
        }
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
                    // The same story under another link. The earlier item stays, earlier
                    // as at ingest: first seen, then the feed first in the config.
                    let first: i64 = tx.query_row(
                        "SELECT id FROM items WHERE id IN (?1, ?2)
                         ORDER BY first_seen_at, feed_id, id LIMIT 1",
                        params![item_id, other],
                        |r| r.get(0),
                    )?;
                    let later = if first == item_id { other } else { item_id };
                    if can_fold(&tx, later, first)? {
                        fold_item(&tx, later, first, now)?;
                        // What the page dated may have been the folded item, and the
                        // story kept its own better date.
                        dated &= tx.query_row(
                            "SELECT date_source = 'page' FROM items WHERE id = ?1",
                            [first],
                            |r| r.get::<_, bool>(0),
                        )?;
                    } else {
                        tx.execute(
                            "UPDATE items SET duplicate_of = ?2 WHERE id = ?1 AND duplicate_of IS NULL",
                            params![later, first],
                        )?;
                    }
                }
                Some(_) => {}
            }
        }
        tx.commit()?;
        Ok(dated)
    }
}

/// Whether item `later` may be folded into `first`: no dossier version cites it, and no
/// feed delivered both (a feed's two entries stay two items).
fn can_fold(tx: &rusqlite::Connection, later: i64, first: i64) -> Result<bool> {
    let cited = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM source_numbers WHERE item_id = ?1)
                 OR EXISTS (SELECT 1 FROM version_sources WHERE item_id = ?1)",
        )?
        .query_row([later], |r| r.get::<_, bool>(0))?;
    let same_feed = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM sightings a JOIN sightings b ON b.feed_id = a.feed_id
                             WHERE a.item_id = ?1 AND b.item_id = ?2)",
        )?
        .query_row(params![later, first], |r| r.get::<_, bool>(0))?;
    Ok(!cited && !same_feed)
}

/// Folds item `from` into `into`, the story it repeats, as if its feeds had delivered
/// that story: sightings, keys and topic links move over, what `into` lacks (a date, a
/// summary, an author, a title better than its link) is taken from `from`, items marked
/// duplicates of `from` point at `into`, and `from`'s row is deleted.
fn fold_item(tx: &rusqlite::Connection, from: i64, into: i64, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "UPDATE sightings SET item_id = ?2 WHERE item_id = ?1",
        params![from, into],
    )?;
    tx.execute(
        "UPDATE item_keys SET item_id = ?2 WHERE item_id = ?1",
        params![from, into],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO item_topics(topic_id, item_id, reason, detail, via_feed_id, attached_at)
         SELECT topic_id, ?2, reason, detail, via_feed_id, attached_at FROM item_topics WHERE item_id = ?1",
        params![from, into],
    )?;
    tx.execute("DELETE FROM item_topics WHERE item_id = ?1", [from])?;
    // Dates rank feed, page, url, first_seen; the better one stays with the story.
    const RANK: &str =
        "CASE date_source WHEN 'feed' THEN 3 WHEN 'page' THEN 2 WHEN 'url' THEN 1 ELSE 0 END";
    tx.execute(
        &format!(
            "UPDATE items SET
            published_at = CASE WHEN f.better THEN f.published_at ELSE items.published_at END,
            date_source = CASE WHEN f.better THEN f.date_source ELSE items.date_source END,
            date_evidence = CASE WHEN f.better THEN f.date_evidence ELSE items.date_evidence END,
            sort_at = CASE WHEN f.better THEN f.sort_at ELSE items.sort_at END,
            summary = COALESCE(items.summary, f.summary),
            author = COALESCE(items.author, f.author),
            title = CASE WHEN (items.title = items.url OR items.title = items.original_url)
                          AND f.title IS NOT f.url AND f.title IS NOT f.original_url
                         THEN f.title ELSE items.title END,
            -- the story's page has now been read (as the other link's page)
            page_checked_at = COALESCE(items.page_checked_at, ?3)
         FROM (SELECT o.*, {RANK} > (SELECT {RANK} FROM items i WHERE i.id = ?2) AS better
               FROM items o WHERE o.id = ?1) AS f
         WHERE items.id = ?2"
        ),
        params![from, into, fmt_time(now)],
    )?;
    tx.execute(
        "UPDATE items SET duplicate_of = CASE WHEN id = ?2 THEN NULL ELSE ?2 END WHERE duplicate_of = ?1",
        params![from, into],
    )?;
    tx.execute("DELETE FROM items WHERE id = ?1", [from])?;
    Ok(())
}
