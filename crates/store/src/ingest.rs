//! The write side of a run: config sync, feed state, and one transaction per fetched feed.

use crate::{Result, RunId, RunStatus, SqliteStore, StoreError};
use chrono::{DateTime, Utc};
use dossier_model::{
    Change, FeedSpec, FeedState, FeedUpdate, HostHold, Item, ItemKey, PageReason, RunStats,
    TopicSpec, fmt_time, parse_time,
};
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

/// What storing one feed's items did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestCounts {
    /// Stories the store had not seen.
    pub new: u64,
    /// Stories the store knew from another feed (or under another key): a new sighting.
    pub duplicate: u64,
}

/// The topics a feed's row lists: its own topic for a topic feed, else its `topics`.
pub(crate) fn feed_topics_json(f: &FeedSpec) -> String {
    let topics = match &f.owner_topic {
        Some(owner) => std::slice::from_ref(owner),
        None => f.topics.as_slice(),
    };
    serde_json::to_string(topics).unwrap_or_else(|_| "[]".into())
}

/// What the store keeps of a configured feed: name, label, URL, kind, topics (JSON).
pub(crate) type ConfiguredFeed = (String, String, String, String, String);

/// Whether the stored row of a feed (`active`, and what [`ConfiguredFeed`] holds) already
/// says what the config says of it: nothing to write.
pub(crate) fn feed_row_is_current(
    stored: Option<(&ConfiguredFeed, bool)>,
    f: &FeedSpec,
    topics: &str,
) -> bool {
    stored.is_some_and(|((name, label, url, kind, t), active)| {
        active
            && *name == f.name
            && *label == f.label
            && *url == f.url
            && kind == f.kind.as_str()
            && t == topics
    })
}

/// A hash of everything [`SqliteStore::sync_config`] writes, in config order.
pub(crate) fn config_fingerprint(feeds: &[FeedSpec], topics: &[TopicSpec]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update(s.as_bytes());
        h.update([0x1f]);
    };
    for t in topics {
        field(&t.slug);
        field(&t.title);
    }
    field("\u{1e}");
    for f in feeds {
        field(&f.key);
        field(&f.name);
        field(&f.label);
        field(&f.url);
        field(f.kind.as_str());
        field(&feed_topics_json(f));
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl SqliteStore {
    /// Makes the store's feeds and topics match the config: new ones are added, changed
    /// ones updated, and ones no longer configured marked inactive (never deleted: their
    /// items keep their provenance). Returns whether anything was written.
    ///
    /// Costs what changed, not what the config weighs: a config that hashes as the last
    /// synced one is not written at all, and otherwise only the rows that differ are.
    pub(crate) fn sync_config(&mut self, feeds: &[FeedSpec], topics: &[TopicSpec]) -> Result<bool> {
        let fingerprint = config_fingerprint(feeds, topics);
        let stored: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'config_fingerprint'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if stored.as_deref() == Some(fingerprint.as_str()) {
            return Ok(false);
        }
        let tx = self.conn.transaction()?;
        sync_topics(&tx, topics)?;
        sync_feeds(&tx, feeds)?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('config_fingerprint', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [&fingerprint],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// The hosts still held by a server's `Retry-After` at `now`: host, until, status.
    pub(crate) fn active_holds(&self, now: DateTime<Utc>) -> Result<Vec<HostHold>> {
        let mut stmt = self
            .conn
            .prepare("SELECT host, until, status FROM host_holds WHERE until > ?1")?;
        let rows = stmt.query_map([fmt_time(now)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (host, until, status) = row?;
            if let Some(until) = parse_time(&until) {
                out.push(HostHold {
                    host,
                    until,
                    status,
                });
            }
        }
        Ok(out)
    }

    /// The state of every active feed, by key.
    pub(crate) fn feed_states(&self) -> Result<HashMap<String, FeedState>> {
        let mut stmt = self.conn.prepare(
            "SELECT key, etag, last_modified, next_due_at, consecutive_failures, moved_to, disabled_reason,
                body_hash, last_full_fetch_at
             FROM feeds WHERE active = 1",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FeedState {
                key: r.get(0)?,
                etag: r.get(1)?,
                last_modified: r.get(2)?,
                next_due_at: r
                    .get::<_, Option<String>>(3)?
                    .as_deref()
                    .and_then(parse_time),
                consecutive_failures: r.get(4)?,
                moved_to: r.get(5)?,
                disabled_reason: r.get(6)?,
                body_hash: r.get(7)?,
                last_full_fetch_at: r
                    .get::<_, Option<String>>(8)?
                    .as_deref()
                    .and_then(parse_time),
            })
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let state = row?;
            out.insert(state.key.clone(), state);
        }
        Ok(out)
    }

    /// Records the start of a run; what the store writes from now on is the run's. The
    /// caller holds the run lock, so a run still marked `running` was killed: it is
    /// marked `interrupted`.
    pub(crate) fn begin_run(&mut self, now: DateTime<Utc>) -> Result<RunId> {
        self.conn.execute(
            "UPDATE runs SET status = 'interrupted' WHERE status = 'running'",
            [],
        )?;
        self.conn.execute(
            "INSERT INTO runs(started_at, status) VALUES (?1, 'running')",
            [fmt_time(now)],
        )?;
        let id = self.conn.last_insert_rowid();
        self.run = Some(id);
        Ok(RunId(id))
    }

    pub(crate) fn finish_run(
        &mut self,
        run: RunId,
        stats: &RunStats,
        status: RunStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET finished_at = ?2, status = ?3, feeds = ?4, fetched = ?5, not_modified = ?6,
                failed = ?7, items_new = ?8, items_duplicate = ?9, dated_from_pages = ?10, deferred = ?11,
                not_fetched = ?12 WHERE id = ?1",
            params![
                run.0,
                fmt_time(now),
                status.as_str(),
                stats.feeds as i64,
                stats.fetched as i64,
                stats.not_modified as i64,
                stats.failed as i64,
                stats.items_new as i64,
                stats.items_duplicate as i64,
                stats.dated_from_pages as i64,
                stats.deferred as i64,
                stats.not_fetched as i64
            ],
        )?;
        Ok(())
    }

    /// Records one fetch of `feed_key`: its new state and every item it yielded, with
    /// sightings and topic links, in one transaction.
    ///
    /// `seen_at` is the run's start: every item and sighting of one run is first seen at
    /// the same instant, so when two feeds bring the same new story in one run, the feed
    /// listed first in the config is its origin whatever order the fetches finished in.
    #[cfg(test)]
    pub(crate) fn record_fetch(
        &mut self,
        feed_key: &str,
        update: &FeedUpdate,
        items: &[Item],
        seen_at: DateTime<Utc>,
    ) -> Result<IngestCounts> {
        let one = FetchRecord {
            feed_key,
            update,
            items,
        };
        self.record_fetches(&[one], seen_at)?
            .pop()
            .unwrap_or(Ok(IngestCounts::default()))
    }

    /// Records several fetches in one transaction (a run groups the feeds that finished
    /// together: one commit, and one full-text index flush, for all of them). Each feed
    /// is still whole or absent: when any feed of the batch fails, the transaction is
    /// rolled back and the feeds are written again one transaction each, so the failing
    /// feed is reported in its place and the others are kept.
    pub(crate) fn record_fetches(
        &mut self,
        batch: &[FetchRecord<'_>],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<Result<IngestCounts>>> {
        let topic_ids = self.topic_ids()?;
        let run = self.run;
        let together = || -> Result<Vec<IngestCounts>> {
            let tx = self.conn.unchecked_transaction()?;
            let before = last_item_id(&tx)?;
            let counts = batch
                .iter()
                .map(|rec| write_fetch(&tx, rec, &topic_ids, seen_at, run))
                .collect::<Result<Vec<_>>>()?;
            index_items_after(&tx, before)?;
            tx.commit()?;
            Ok(counts)
        };
        match together() {
            Ok(counts) => Ok(counts.into_iter().map(Ok).collect()),
            // (Savepoints would isolate a feed without the second pass, but the
            // full-text index flushes at every savepoint, which costs more than the rare
            // retry.)
            Err(_) if batch.len() > 1 => Ok(batch
                .iter()
                .map(|rec| {
                    let tx = self.conn.unchecked_transaction()?;
                    let before = last_item_id(&tx)?;
                    let counts = write_fetch(&tx, rec, &topic_ids, seen_at, run)?;
                    index_items_after(&tx, before)?;
                    tx.commit()?;
                    Ok(counts)
                })
                .collect()),
            Err(e) => Ok(vec![Err(e)]),
        }
    }

    fn topic_ids(&self) -> Result<HashMap<String, i64>> {
        let mut stmt = self.conn.prepare_cached("SELECT slug, id FROM topics")?;
        let ids = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }
}

/// The configured topics, written where they differ from the stored ones; topics no
/// longer configured are retired, never deleted.
fn sync_topics(tx: &rusqlite::Connection, topics: &[TopicSpec]) -> Result<()> {
    let existing: HashMap<String, (String, bool)> = {
        let mut stmt = tx.prepare("SELECT slug, title, active FROM topics")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut upsert = tx.prepare(
        "INSERT INTO topics(slug, title, active) VALUES (?1, ?2, 1)
         ON CONFLICT(slug) DO UPDATE SET title = excluded.title, active = 1",
    )?;
    let mut configured = std::collections::HashSet::new();
    for t in topics {
        configured.insert(t.slug.as_str());
        if existing.get(&t.slug) != Some(&(t.title.clone(), true)) {
            upsert.execute(params![t.slug, t.title])?;
        }
    }
    let mut retire = tx.prepare("UPDATE topics SET active = 0 WHERE slug = ?1")?;
    for (slug, (_, active)) in &existing {
        if *active && !configured.contains(slug.as_str()) {
            retire.execute([slug])?;
        }
    }
    Ok(())
}

/// The configured feeds, written where they differ from the stored ones; feeds no longer
/// configured are retired, never deleted (their items keep their provenance).
fn sync_feeds(tx: &rusqlite::Connection, feeds: &[FeedSpec]) -> Result<()> {
    let existing: HashMap<String, (ConfiguredFeed, bool)> = {
        let mut stmt =
            tx.prepare("SELECT key, name, label, url, kind, topics, active FROM feeds")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                (
                    (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
                    r.get(6)?,
                ),
            ))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut upsert = tx.prepare(
        "INSERT INTO feeds(key, name, label, url, kind, topics, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
         ON CONFLICT(key) DO UPDATE SET name = excluded.name, label = excluded.label,
            url = excluded.url, kind = excluded.kind, topics = excluded.topics, active = 1,
            -- a new URL is a new resource: what was learnt of the old one goes
            etag = CASE WHEN feeds.url = excluded.url THEN feeds.etag END,
            last_modified = CASE WHEN feeds.url = excluded.url THEN feeds.last_modified END,
            next_due_at = CASE WHEN feeds.url = excluded.url THEN feeds.next_due_at END,
            moved_to = CASE WHEN feeds.url = excluded.url THEN feeds.moved_to END,
            final_url = CASE WHEN feeds.url = excluded.url THEN feeds.final_url END,
            disabled_reason = CASE WHEN feeds.url = excluded.url THEN feeds.disabled_reason END,
            body_hash = CASE WHEN feeds.url = excluded.url THEN feeds.body_hash END,
            consecutive_failures = CASE WHEN feeds.url = excluded.url THEN feeds.consecutive_failures ELSE 0 END",
    )?;
    let mut configured = std::collections::HashSet::with_capacity(feeds.len());
    for f in feeds {
        configured.insert(f.key.as_str());
        let topics = feed_topics_json(f);
        let stored = existing.get(&f.key).map(|(row, active)| (row, *active));
        if !feed_row_is_current(stored, f, &topics) {
            upsert.execute(params![
                f.key,
                f.name,
                f.label,
                f.url,
                f.kind.as_str(),
                topics
            ])?;
        }
    }
    let mut retire = tx.prepare("UPDATE feeds SET active = 0 WHERE key = ?1")?;
    for (key, (_, active)) in &existing {
        if *active && !configured.contains(key.as_str()) {
            retire.execute([key])?;
        }
    }
    Ok(())
}

/// The id of the newest item (0 in an empty store).
pub(crate) fn last_item_id(tx: &rusqlite::Connection) -> Result<i64> {
    Ok(tx
        .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM items")?
        .query_row([], |r| r.get(0))?)
}

/// Adds the items written after `after` to the full-text index, in one statement: the
/// index is written once per transaction rather than once per item (see migration 0005).
pub(crate) fn index_items_after(tx: &rusqlite::Connection, after: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO items_fts(rowid, title, summary) SELECT id, title, summary FROM items WHERE id > ?1",
    )?
    .execute([after])?;
    tx.prepare_cached(
        "INSERT INTO items_cjk(rowid, bi, uni, words)
         SELECT id, dossier_cjk('bi', title, summary), dossier_cjk('uni', title, summary), w
         FROM (SELECT id, title, summary, dossier_cjk('words', title, summary) AS w
               FROM items WHERE id > ?1)
         WHERE w IS NOT NULL",
    )?
    .execute([after])?;
    Ok(())
}

/// One fetch to record: the feed, its new state, the items it yielded.
#[derive(Debug, Clone, Copy)]
pub struct FetchRecord<'a> {
    pub feed_key: &'a str,
    pub update: &'a FeedUpdate,
    pub items: &'a [Item],
}

fn write_fetch(
    tx: &rusqlite::Connection,
    rec: &FetchRecord<'_>,
    topic_ids: &HashMap<String, i64>,
    seen_at: DateTime<Utc>,
    run: Option<i64>,
) -> Result<IngestCounts> {
    let FetchRecord {
        feed_key,
        update,
        items,
    } = *rec;
    let feed_id: i64 = tx
        .prepare_cached("SELECT id FROM feeds WHERE key = ?1")?
        .query_row([feed_key], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::UnknownFeed(feed_key.to_string()))?;
    if let Some(hold) = &update.hold {
        tx.prepare_cached(
            "INSERT INTO host_holds(host, until, status, set_at, feed_key) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(host) DO UPDATE SET until = MAX(until, excluded.until),
                status = excluded.status, set_at = excluded.set_at, feed_key = excluded.feed_key",
        )?
        .execute(params![
            hold.host,
            fmt_time(hold.until),
            hold.status,
            fmt_time(update.fetched_at),
            feed_key
        ])?;
    }
    if !update.requested {
        // Nothing was sent: what the row says of the last fetch stays true.
        tx.prepare_cached(
            "UPDATE feeds SET next_due_at = COALESCE(?2, next_due_at) WHERE id = ?1",
        )?
        .execute(params![feed_id, update.next_due_at.map(fmt_time)])?;
        return Ok(IngestCounts::default());
    }
    write_feed_state(tx, feed_id, update)?;
    let sighting = Sighting {
        feed_id,
        now: fmt_time(seen_at),
        run,
    };
    let mut counts = IngestCounts::default();
    let mut new_sightings: i64 = 0;
    for item in items {
        let written = write_item(tx, &sighting, item, topic_ids)?;
        counts.new += u64::from(written == Written::New);
        counts.duplicate += u64::from(written == Written::SeenElsewhere);
        new_sightings += i64::from(written != Written::SeenHere);
    }
    if new_sightings > 0 {
        tx.prepare_cached("UPDATE feeds SET items = items + ?2 WHERE id = ?1")?
            .execute(params![feed_id, new_sightings])?;
    }
    Ok(counts)
}

/// What one fetch says of its feed: status, failure, schedule, validators, warning.
fn write_feed_state(tx: &rusqlite::Connection, feed_id: i64, update: &FeedUpdate) -> Result<()> {
    let failures_sql = match (update.failed(), update.counted) {
        (true, true) => "consecutive_failures + 1",
        (false, true) => "0",
        // Not held against the feed, nor for it: an outage of ours, a deferral.
        (_, false) => "consecutive_failures",
    };
    tx.prepare_cached(&format!(
        "UPDATE feeds SET last_fetch_at = ?2, last_status = ?3, error_class = ?4, last_error = ?5,
            consecutive_failures = {failures_sql}, next_due_at = COALESCE(?6, next_due_at),
            moved_to = COALESCE(?7, moved_to), final_url = COALESCE(?8, final_url),
            body_hash = COALESCE(?9, body_hash),
            last_full_fetch_at = CASE WHEN ?10 THEN ?2 ELSE last_full_fetch_at END,
            disabled_reason = COALESCE(?11, disabled_reason)
         WHERE id = ?1"
    ))?
    .execute(params![
        feed_id,
        fmt_time(update.fetched_at),
        update.status.to_string(),
        update.failure.as_ref().map(|f| f.class.as_str()),
        update.failure.as_ref().map(|f| f.message.as_str()),
        update.next_due_at.map(fmt_time),
        update.moved_to,
        update.final_url,
        update.body_hash,
        update.full_fetch,
        update.disable
    ])?;
    let validators = match &update.validators {
        Change::Keep => None,
        Change::Clear => Some((None, None)),
        Change::Set(v) => Some((v.etag.as_deref(), v.last_modified.as_deref())),
    };
    if let Some((etag, last_modified)) = validators {
        tx.prepare_cached("UPDATE feeds SET etag = ?2, last_modified = ?3 WHERE id = ?1")?
            .execute(params![feed_id, etag, last_modified])?;
    }
    let warning = match &update.warning {
        Change::Keep => None,
        Change::Clear => Some(None),
        Change::Set(w) => Some(Some(w.as_str())),
    };
    if let Some(warning) = warning {
        tx.prepare_cached("UPDATE feeds SET warning = ?2 WHERE id = ?1")?
            .execute(params![feed_id, warning])?;
    }
    Ok(())
}

/// Where and when items are being seen: one feed's fetch in one run.
struct Sighting {
    feed_id: i64,
    now: String,
    run: Option<i64>,
}

/// What storing one item came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// A story no feed had brought before.
    New,
    /// A story another feed brought first, now seen in this one too.
    SeenElsewhere,
    /// A story this feed had already shown.
    SeenHere,
}

/// Stores one item of a fetch: the item (new, refreshed or taken over), its keys, the
/// feed's sighting of it and its topic links.
fn write_item(
    tx: &rusqlite::Connection,
    at: &Sighting,
    item: &Item,
    topic_ids: &HashMap<String, i64>,
) -> Result<Written> {
    let Sighting {
        feed_id,
        ref now,
        run,
    } = *at;
    let existing = find_item(tx, &item.keys)?;
    let item_id = match existing {
        None => insert_item(tx, feed_id, item, now, run)?,
        Some((id, origin_feed, ref first_seen)) => {
            if origin_feed == feed_id {
                refresh_item(tx, id, item, now)?;
            } else if first_seen == now && feed_id < origin_feed {
                take_over_item(tx, id, feed_id, item)?;
            }
            id
        }
    };
    for key in &item.keys {
        tx.prepare_cached("INSERT OR IGNORE INTO item_keys(key, item_id) VALUES (?1, ?2)")?
            .execute(params![key.to_string(), item_id])?;
    }
    let seen_here = tx
        .prepare_cached("SELECT 1 FROM sightings WHERE item_id = ?1 AND feed_id = ?2")?
        .exists(params![item_id, feed_id])?;
    if seen_here {
        tx.prepare_cached(
            "UPDATE sightings SET last_seen_at = ?3 WHERE item_id = ?1 AND feed_id = ?2",
        )?
        .execute(params![item_id, feed_id, now])?;
    } else {
        tx.prepare_cached(
            "INSERT INTO sightings(item_id, feed_id, original_url, first_seen_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
        )?
        .execute(params![item_id, feed_id, item.original_url, now])?;
    }
    for (slug, reason) in &item.topics {
        let Some(topic_id) = topic_ids.get(slug) else {
            continue;
        };
        tx.prepare_cached(
            "INSERT OR IGNORE INTO item_topics(topic_id, item_id, reason, detail, via_feed_id, attached_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![topic_id, item_id, reason.kind(), reason.detail(), feed_id, now])?;
    }
    Ok(match (existing, seen_here) {
        (None, _) => Written::New,
        (Some(_), false) => Written::SeenElsewhere,
        (Some(_), true) => Written::SeenHere,
    })
}

const FIND_ITEM: &str =
    "SELECT i.id, i.feed_id, i.first_seen_at FROM item_keys k JOIN items i ON i.id = k.item_id
     WHERE k.key = ?1";

/// The item that any of `keys` already names, with the feed that first brought it and when.
fn find_item(tx: &rusqlite::Connection, keys: &[ItemKey]) -> Result<Option<(i64, i64, String)>> {
    for key in keys {
        let found = tx
            .prepare_cached(FIND_ITEM)?
            .query_row([key.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

fn insert_item(
    tx: &rusqlite::Connection,
    feed_id: i64,
    item: &Item,
    now: &str,
    run: Option<i64>,
) -> Result<i64> {
    let published = item.published_at.map(fmt_time);
    let sort_at = published.clone().unwrap_or_else(|| now.to_string());
    let id = tx
        .prepare_cached(
            "INSERT INTO items(feed_id, guid, url, original_url, title, summary, author, published_at,
                date_source, first_seen_at, sort_at, identity, date_evidence, page_reason, first_run)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             RETURNING id",
        )?
        .query_row(
            params![
                feed_id,
                item.guid,
                item.url,
                item.original_url,
                item.title,
                item.summary,
                item.author,
                published,
                item.date_source.as_str(),
                now,
                sort_at,
                item.identity.as_str(),
                item.date_evidence,
                item.page_reason.map(PageReason::as_str),
                run
            ],
            |r| r.get(0),
        )?;
    Ok(id)
}

/// The feed that first brought an item may correct it (an edited headline, a fixed date);
/// other feeds never overwrite it. Only what the feed itself states is corrected: a date
/// from the item's page, or a summary the page supplied, stays when the feed says nothing
/// of them. Dossier versions already cut keep what they froze. An item whose page is
/// still unread takes the page reason of the feed's new reading (a feed that now dates
/// the item spares its page); once read, a page is not read again.
fn refresh_item(tx: &rusqlite::Connection, id: i64, item: &Item, now: &str) -> Result<()> {
    let feed_date = match item.date_source {
        dossier_model::DateSource::Feed => item.published_at.map(fmt_time),
        _ => None,
    };
    let reason = item.page_reason.map(PageReason::as_str);
    tx.prepare_cached(
        "UPDATE items SET
            -- a feed without a title for the item (its link stands in) keeps a page's title
            title = CASE WHEN ?2 = url OR ?2 = original_url THEN title ELSE ?2 END,
            summary = COALESCE(?3, summary), author = COALESCE(?4, author),
            published_at = COALESCE(?5, published_at),
            date_source = CASE WHEN ?5 IS NULL THEN date_source ELSE 'feed' END,
            date_evidence = CASE WHEN ?5 IS NULL THEN date_evidence ELSE ?6 END,
            sort_at = COALESCE(?5, sort_at), updated_at = ?7
         WHERE id = ?1 AND ((title IS NOT ?2 AND ?2 IS NOT url AND ?2 IS NOT original_url)
            OR (?3 IS NOT NULL AND summary IS NOT ?3)
            OR (?4 IS NOT NULL AND author IS NOT ?4) OR (?5 IS NOT NULL AND published_at IS NOT ?5))",
    )?
    .execute(params![id, item.title, item.summary, item.author, feed_date, item.date_evidence, now])?;
    tx.prepare_cached(
        "UPDATE items SET page_reason = ?2
         WHERE id = ?1 AND page_checked_at IS NULL AND page_reason IS NOT ?2",
    )?
    .execute(params![id, reason])?;
    Ok(())
}

/// Makes `feed_id` the origin of an item first seen in this same run by a feed listed
/// later in the config: the item then reads as that feed gave it.
fn take_over_item(tx: &rusqlite::Connection, id: i64, feed_id: i64, item: &Item) -> Result<()> {
    let published = item.published_at.map(fmt_time);
    tx.prepare_cached(
        "UPDATE items SET feed_id = ?2, guid = ?3, url = COALESCE(?4, url), original_url = ?5, title = ?6,
            summary = ?7, author = ?8, published_at = COALESCE(?9, published_at),
            date_source = CASE WHEN ?9 IS NULL THEN date_source ELSE ?10 END,
            date_evidence = CASE WHEN ?9 IS NULL THEN date_evidence ELSE ?12 END,
            sort_at = COALESCE(?9, sort_at), identity = ?11,
            -- its page is now the one at the new origin's link
            page_reason = CASE WHEN page_checked_at IS NULL THEN ?13 ELSE page_reason END
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        feed_id,
        item.guid,
        item.url,
        item.original_url,
        item.title,
        item.summary,
        item.author,
        published,
        item.date_source.as_str(),
        item.identity.as_str(),
        item.date_evidence,
        item.page_reason.map(PageReason::as_str)
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_model::{DateSource, FeedKind, IdentityRule};

    /// The per-item key lookup keeps its compiled plan across calls: recompiling it on
    /// every new bound key once cost an eighth of a run.
    #[test]
    fn the_key_lookup_is_not_recompiled_per_item() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        let feeds: Vec<FeedSpec> = (0..3)
            .map(|i| FeedSpec {
                key: format!("f{i}"),
                name: format!("f{i}"),
                label: format!("f{i}"),
                url: format!("https://f{i}.example/"),
                kind: FeedKind::Feed,
                interval_mins: 30,
                topics: vec![],
                owner_topic: None,
                select: None,
                search: None,
            })
            .collect();
        s.sync_config(&feeds, &[]).unwrap();
        let now = Utc::now();
        for f in 0..3 {
            let items: Vec<Item> = (0..20)
                .map(|i| Item {
                    guid: None,
                    url: None,
                    original_url: None,
                    title: format!("t{f} {i}"),
                    summary: None,
                    author: None,
                    published_at: None,
                    date_source: DateSource::FirstSeen,
                    date_evidence: None,
                    page_reason: None,
                    identity: IdentityRule::Hash,
                    keys: vec![
                        ItemKey::Hash {
                            feed: f.to_string(),
                            hex: i.to_string(),
                        },
                        ItemKey::Url(format!("{f}.example/{i}")),
                    ],
                    topics: vec![],
                })
                .collect();
            s.record_fetch(&format!("f{f}"), &FeedUpdate::new(now), &items, now)
                .unwrap();
        }
        let stmt = s.conn.prepare_cached(FIND_ITEM).unwrap();
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::Run), 120);
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }
}
