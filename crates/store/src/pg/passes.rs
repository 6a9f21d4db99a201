//! The passes after the feeds, on PostgreSQL: near-duplicate marks, topics matched again,
//! and article pages, with the SQLite store's rules (see `crate::pages` for what a page
//! may change and when two items are folded into one).
//!
//! Runs on several machines read article pages at once, so a run claims the pages it
//! reads (`page_claimed_until`, fifteen minutes by the database's clock): two runs never
//! read one page, and the claim of a run that died runs out.

use super::PgStore;
use super::ingest::reindex;
use crate::{PageCandidate, PageFindings, Result};
use chrono::{DateTime, Utc};
use dossier_model::{DateSource, TopicReason, fmt_time};
use postgres::{Client, Transaction};
use std::collections::HashSet;

/// Claims up to `limit` items whose page is still unread and has something to tell,
/// newest first, for this run alone.
pub(super) fn claim_pages(c: &mut Client, limit: usize) -> Result<Vec<PageCandidate>> {
    let limit = limit as i64;
    let mut rows: Vec<PageCandidate> = c
        .query(
            "WITH picked AS (
                SELECT id FROM items
                WHERE page_checked_at IS NULL AND page_reason IS NOT NULL
                  AND COALESCE(original_url, url) IS NOT NULL
                  AND (page_claimed_until IS NULL OR page_claimed_until < now())
                ORDER BY id DESC LIMIT $1
                FOR UPDATE SKIP LOCKED)
             UPDATE items i SET page_claimed_until = now() + interval '15 minutes'
             FROM picked WHERE i.id = picked.id
             RETURNING i.id, COALESCE(i.original_url, i.url), i.url",
            &[&limit],
        )?
        .iter()
        .map(|r| PageCandidate {
            item_id: r.get(0),
            url: r.get(1),
            canonical: r.get(2),
        })
        .collect();
    rows.sort_unstable_by_key(|c| std::cmp::Reverse(c.item_id));
    Ok(rows)
}

impl PgStore {
    /// As `SqliteStore::mark_duplicates`, in one transaction.
    pub(super) fn mark_duplicates(&mut self, pairs: &[(i64, i64)]) -> Result<u64> {
        let mut tx = self.client_mut().transaction()?;
        let mut marked = 0;
        let stmt = tx.prepare(
            "UPDATE items SET duplicate_of = $2 WHERE id = $1 AND $1 <> $2 AND duplicate_of IS NULL
               AND NOT EXISTS (SELECT 1 FROM items o WHERE o.id = $2 AND o.duplicate_of = $1)",
        )?;
        for (id, of) in pairs {
            marked += tx.execute(&stmt, &[id, of])?;
        }
        tx.commit()?;
        Ok(marked)
    }

    /// As `SqliteStore::retag_topic`, in one transaction.
    pub(super) fn retag_topic(
        &mut self,
        slug: &str,
        considered: &[i64],
        matches: &[(i64, TopicReason)],
        now: DateTime<Utc>,
    ) -> Result<(usize, usize)> {
        let mut tx = self.client_mut().transaction()?;
        let topic_id: i64 = tx
            .query_one("SELECT id FROM topics WHERE slug = $1", &[&slug])?
            .get(0);
        let keep: HashSet<i64> = matches.iter().map(|(id, _)| *id).collect();
        let dropped: Vec<i64> = considered
            .iter()
            .copied()
            .filter(|id| !keep.contains(id))
            .collect();
        let removed = tx.execute(
            "DELETE FROM item_topics WHERE topic_id = $1 AND item_id = ANY($2)
               AND reason IN ('keyword', 'feed_topics')",
            &[&topic_id, &dropped],
        )?;
        let ids: Vec<i64> = matches.iter().map(|(id, _)| *id).collect();
        let kinds: Vec<&str> = matches.iter().map(|(_, r)| r.kind()).collect();
        let details: Vec<Option<&str>> = matches.iter().map(|(_, r)| r.detail()).collect();
        let added = tx.execute(
            "INSERT INTO item_topics(topic_id, item_id, reason, detail, attached_at)
             SELECT $1, i, r, d, $5 FROM unnest($2::bigint[], $3::text[], $4::text[]) AS c(i, r, d)
             ORDER BY i
             ON CONFLICT (topic_id, item_id) DO NOTHING",
            &[&topic_id, &ids, &kinds, &details, &fmt_time(now)],
        )?;
        tx.commit()?;
        Ok((added as usize, removed as usize))
    }

    /// As `SqliteStore::apply_page`, in one transaction; the page's claim ends with it.
    pub(super) fn apply_page(
        &mut self,
        item_id: i64,
        found: &PageFindings,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.client_mut().transaction()?;
        let now = fmt_time(now);
        tx.execute(
            "UPDATE items SET page_checked_at = $2, page_claimed_until = NULL WHERE id = $1",
            &[&item_id, &now],
        )?;
        if let Some(problem) = &found.problem {
            tx.execute(
                "UPDATE items SET date_evidence = $2 WHERE id = $1 AND date_source = 'first_seen'",
                &[&item_id, problem],
            )?;
        }
        let mut dated = false;
        if let (Some(at), Some(source)) = (found.published_at, found.date_source) {
            // A page date outranks a URL date; nothing outranks the feed's own.
            let changed = tx.execute(
                "UPDATE items SET published_at = $2, date_source = $3, date_evidence = $4, sort_at = $2
                 WHERE id = $1 AND date_source IN ('first_seen', 'url')
                   AND NOT (date_source = 'url' AND $3 = 'url')",
                &[&item_id, &fmt_time(at), &source.as_str(), &found.date_evidence],
            )?;
            dated = changed > 0 && source == DateSource::Page;
        }
        let mut retext = false;
        if let Some(title) = &found.title {
            retext |= tx.execute(
                "UPDATE items SET title = $2 WHERE id = $1 AND (title = url OR title = original_url)",
                &[&item_id, title],
            )? > 0;
        }
        if let Some(summary) = &found.summary {
            retext |= tx.execute(
                "UPDATE items SET summary = $2 WHERE id = $1 AND summary IS NULL",
                &[&item_id, summary],
            )? > 0;
        }
        if retext {
            reindex(&mut tx, &[item_id])?;
        }
        if let Some((canonical, key)) = &found.canonical {
            dated = apply_canonical(&mut tx, item_id, canonical, key, &now, dated)?;
        }
        tx.commit()?;
        Ok(dated)
    }
}

/// The page's canonical link: the item's URL from now on, and, when another item holds
/// its key, the same story under another link (folded, or marked a duplicate).
fn apply_canonical(
    tx: &mut Transaction<'_>,
    item_id: i64,
    canonical: &str,
    key: &str,
    now: &str,
    dated: bool,
) -> Result<bool> {
    let key = format!("url:{key}");
    let owner: Option<i64> = tx
        .query_opt("SELECT item_id FROM item_keys WHERE key = $1", &[&key])?
        .map(|r| r.get(0));
    tx.execute(
        "UPDATE items SET url = $2 WHERE id = $1",
        &[&item_id, &canonical],
    )?;
    match owner {
        None => {
            tx.execute(
                "INSERT INTO item_keys(key, item_id) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&key, &item_id],
            )?;
            Ok(dated)
        }
        Some(other) if other != item_id => {
            let first: i64 = tx
                .query_one(
                    "SELECT id FROM items WHERE id IN ($1, $2)
                     ORDER BY first_seen_at, feed_id, id LIMIT 1",
                    &[&item_id, &other],
                )?
                .get(0);
            let later = if first == item_id { other } else { item_id };
            if can_fold(tx, later, first)? {
                fold_item(tx, later, first, now)?;
                let page_dated: bool = tx
                    .query_one(
                        "SELECT date_source = 'page' FROM items WHERE id = $1",
                        &[&first],
                    )?
                    .get(0);
                Ok(dated && page_dated)
            } else {
                tx.execute(
                    "UPDATE items SET duplicate_of = $2 WHERE id = $1 AND duplicate_of IS NULL",
                    &[&later, &first],
                )?;
                Ok(dated)
            }
        }
        Some(_) => Ok(dated),
    }
}

/// As `crate::pages::can_fold`.
fn can_fold(tx: &mut Transaction<'_>, later: i64, first: i64) -> Result<bool> {
    let cited: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM source_numbers WHERE item_id = $1)
                 OR EXISTS (SELECT 1 FROM version_sources WHERE item_id = $1)",
            &[&later],
        )?
        .get(0);
    let same_feed: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM sightings a JOIN sightings b ON b.feed_id = a.feed_id
                             WHERE a.item_id = $1 AND b.item_id = $2)",
            &[&later, &first],
        )?
        .get(0);
    Ok(!cited && !same_feed)
}

/// As `crate::pages::fold_item`.
fn fold_item(tx: &mut Transaction<'_>, from: i64, into: i64, now: &str) -> Result<()> {
    // No feed delivered both (`can_fold`): the sightings move over whole.
    tx.execute(
        "UPDATE sightings SET item_id = $2 WHERE item_id = $1",
        &[&from, &into],
    )?;
    tx.execute(
        "UPDATE item_keys SET item_id = $2 WHERE item_id = $1",
        &[&from, &into],
    )?;
    tx.execute(
        "INSERT INTO item_topics(topic_id, item_id, reason, detail, via_feed_id, attached_at)
         SELECT topic_id, $2, reason, detail, via_feed_id, attached_at FROM item_topics WHERE item_id = $1
         ON CONFLICT (topic_id, item_id) DO NOTHING",
        &[&from, &into],
    )?;
    tx.execute("DELETE FROM item_topics WHERE item_id = $1", &[&from])?;
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
                              AND f.title IS DISTINCT FROM f.url AND f.title IS DISTINCT FROM f.original_url
                             THEN f.title ELSE items.title END,
                page_checked_at = COALESCE(items.page_checked_at, $3)
             FROM (SELECT o.*, {RANK} > (SELECT {RANK} FROM items i WHERE i.id = $2) AS better
                   FROM items o WHERE o.id = $1) AS f
             WHERE items.id = $2"
        ),
        &[&from, &into, &now],
    )?;
    tx.execute(
        "UPDATE items SET duplicate_of = CASE WHEN id = $2 THEN NULL ELSE $2 END WHERE duplicate_of = $1",
        &[&from, &into],
    )?;
    tx.execute("DELETE FROM items WHERE id = $1", &[&from])?;
    reindex(tx, &[into])
}
