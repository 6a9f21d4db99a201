//! The read side on PostgreSQL: the rows of the contract's JSON shapes, the feeds' state a
//! run starts from, and the windows the passes after the feeds read. The SQL is the SQLite
//! store's, in PostgreSQL's words; values stored as text are checked as they are read.

use super::search;
use crate::{
    FeedRow, ItemQuery, ItemRow, RematchItem, Result, RunId, Sighting, Source, SourceCopy,
    SourceRecord, StoreError, TopicRow, Version, VersionSummary, WindowItem,
};
use chrono::{DateTime, Utc};
use dossier_model::{
    DateSource, ErrorClass, FeedKind, FeedState, FetchStatus, HostHold, ItemKey, TopicReason,
    fmt_time, parse_time,
};
use postgres::types::ToSql;
use postgres::{Client, GenericClient, Row};
use std::collections::HashMap;

/// A value stored as text that does not read as what it must be: an error, never a
/// silent default.
fn bad(column: &str, text: &str, what: &str) -> StoreError {
    StoreError::Backend {
        op: crate::SOME_OPERATION,
        source: format!("column `{column}` holds `{text}`, not {what}").into(),
    }
}

pub(super) fn time(r: &Row, column: &str) -> Result<DateTime<Utc>> {
    let text: &str = r.try_get(column)?;
    parse_time(text).ok_or_else(|| bad(column, text, "an RFC 3339 time"))
}

pub(super) fn opt_time(r: &Row, column: &str) -> Result<Option<DateTime<Utc>>> {
    let text: Option<&str> = r.try_get(column)?;
    text.map(|t| parse_time(t).ok_or_else(|| bad(column, t, "an RFC 3339 time")))
        .transpose()
}

pub(super) fn date_source(r: &Row, column: &str) -> Result<DateSource> {
    let text: &str = r.try_get(column)?;
    DateSource::parse(text).ok_or_else(|| bad(column, text, "a date source"))
}

fn json_list(r: &Row, column: &str) -> Result<Vec<String>> {
    let text: &str = r.try_get(column)?;
    serde_json::from_str(text).map_err(|_| bad(column, text, "a JSON list of strings"))
}

/// The state of every active feed, by key.
pub(super) fn feed_states(c: &mut Client) -> Result<HashMap<String, FeedState>> {
    let rows = c.query(
        &format!("SELECT {STATE_COLUMNS} FROM feeds WHERE active = 1"),
        &[],
    )?;
    rows.iter()
        .map(|r| feed_state(r).map(|s| (s.key.clone(), s)))
        .collect()
}

/// The columns [`feed_state`] reads.
pub(super) const STATE_COLUMNS: &str =
    "key, etag, last_modified, next_due_at, consecutive_failures, moved_to,
    disabled_reason, body_hash, last_full_fetch_at";

pub(super) fn feed_state(r: &Row) -> Result<FeedState> {
    Ok(FeedState {
        key: r.try_get("key")?,
        etag: r.try_get("etag")?,
        last_modified: r.try_get("last_modified")?,
        next_due_at: opt_time(r, "next_due_at")?,
        consecutive_failures: r
            .try_get::<_, i64>("consecutive_failures")?
            .clamp(0, u32::MAX.into()) as u32,
        moved_to: r.try_get("moved_to")?,
        disabled_reason: r.try_get("disabled_reason")?,
        body_hash: r.try_get("body_hash")?,
        last_full_fetch_at: opt_time(r, "last_full_fetch_at")?,
    })
}

pub(super) fn active_holds(c: &mut Client, now: DateTime<Utc>) -> Result<Vec<HostHold>> {
    let rows = c.query(
        "SELECT host, until, status FROM host_holds WHERE until > $1",
        &[&fmt_time(now)],
    )?;
    rows.iter().map(host_hold).collect()
}

pub(super) fn host_hold(r: &Row) -> Result<HostHold> {
    Ok(HostHold {
        host: r.try_get("host")?,
        until: time(r, "until")?,
        status: r.try_get::<_, i64>("status")?.clamp(0, 999) as u16,
    })
}

pub(super) fn earliest_new(c: &mut Client, run: RunId) -> Result<Option<DateTime<Utc>>> {
    let min: Option<String> = c
        .query_one(
            "SELECT MIN(sort_at) FROM items WHERE first_run = $1",
            &[&run.0],
        )?
        .get(0);
    Ok(min.as_deref().and_then(parse_time))
}

/// As `SqliteStore::near_dup_window`, streamed: the window is never all in memory.
pub(super) fn near_dup_window(
    c: &mut Client,
    run: RunId,
    since: DateTime<Utc>,
    each: &mut dyn FnMut(WindowItem<'_>),
) -> Result<()> {
    use postgres::fallible_iterator::FallibleIterator;
    let since = fmt_time(since);
    let params: [&(dyn ToSql + Sync); 2] = [&since, &run.0];
    let mut rows = c.query_raw(
        "SELECT id, title, CASE WHEN first_run IS NOT DISTINCT FROM $2 THEN summary END AS summary,
            sort_at, first_run IS NOT DISTINCT FROM $2 AS is_new, duplicate_of
         FROM items WHERE sort_at >= $1 ORDER BY sort_at, id",
        params,
    )?;
    while let Some(r) = rows.next()? {
        let sort_at: &str = r.try_get("sort_at")?;
        each(WindowItem {
            id: r.try_get("id")?,
            title: r.try_get("title")?,
            summary: r.try_get("summary")?,
            at: parse_time(sort_at).unwrap_or(DateTime::UNIX_EPOCH),
            is_new: r.try_get("is_new")?,
            duplicate_of: r.try_get("duplicate_of")?,
        });
    }
    Ok(())
}

pub(super) fn resolve_keys(c: &mut Client, keys: &[ItemKey]) -> Result<HashMap<ItemKey, i64>> {
    let text: Vec<String> = keys.iter().map(ItemKey::to_string).collect();
    let rows = c.query(
        "SELECT w.key, k.item_id FROM unnest($1::text[]) AS w(key)
         CROSS JOIN LATERAL (SELECT item_id FROM item_keys k WHERE k.key = w.key LIMIT 1) k",
        &[&text],
    )?;
    let by_text: HashMap<String, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    Ok(keys
        .iter()
        .filter_map(|k| by_text.get(&k.to_string()).map(|id| (k.clone(), *id)))
        .collect())
}

pub(super) fn topic_rule_hashes(c: &mut Client) -> Result<HashMap<String, Option<String>>> {
    let rows = c.query("SELECT slug, rules_hash FROM topics WHERE active = 1", &[])?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

pub(super) fn items_for_rematch(c: &mut Client, since: DateTime<Utc>) -> Result<Vec<RematchItem>> {
    let rows = c.query(
        "SELECT i.id, i.title, i.summary, ARRAY(SELECT f.key FROM sightings s
            JOIN feeds f ON f.id = s.feed_id WHERE s.item_id = i.id) AS keys
         FROM items i WHERE i.sort_at >= $1",
        &[&fmt_time(since)],
    )?;
    Ok(rows
        .iter()
        .map(|r| RematchItem {
            id: r.get(0),
            title: r.get(1),
            summary: r.get(2),
            feed_keys: r.get(3),
        })
        .collect())
}

/// The columns of an item row, as [`item_row`] reads them.
const ITEM_COLUMNS: &str = "i.id, i.guid, i.url, i.original_url, i.title, i.summary, i.author,
    i.published_at, i.date_source, i.first_seen_at, f.name AS feed, f.label,
    ARRAY(SELECT t.slug FROM item_topics it JOIN topics t ON t.id = it.topic_id
          WHERE it.item_id = i.id ORDER BY t.slug) AS topics,
    i.duplicate_of, (SELECT count(*) FROM sightings s WHERE s.item_id = i.id) AS sightings,
    i.date_evidence, i.sort_at";

fn item_row(r: &Row) -> Result<ItemRow> {
    Ok(ItemRow {
        id: r.try_get("id")?,
        guid: r.try_get("guid")?,
        url: r.try_get("url")?,
        original_url: r.try_get("original_url")?,
        title: r.try_get("title")?,
        summary: r.try_get("summary")?,
        author: r.try_get("author")?,
        published_at: opt_time(r, "published_at")?,
        date_source: date_source(r, "date_source")?,
        first_seen_at: time(r, "first_seen_at")?,
        feed: r.try_get("feed")?,
        label: r.try_get("label")?,
        topics: r.try_get("topics")?,
        duplicate_of: r.try_get("duplicate_of")?,
        sightings: r.try_get("sightings")?,
        date_evidence: r.try_get("date_evidence")?,
        sort_at: time(r, "sort_at")?,
    })
}

/// As `SqliteStore::items`: the same filters, order and search.
pub(super) fn items(c: &mut Client, q: &ItemQuery) -> Result<Vec<ItemRow>> {
    let mut sql =
        format!("SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id WHERE true");
    let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    let arg = |v: Box<dyn ToSql + Sync>, args: &mut Vec<Box<dyn ToSql + Sync>>| {
        args.push(v);
        args.len()
    };
    if let Some(topic) = &q.topic {
        let n = arg(Box::new(topic.clone()), &mut args);
        sql += &format!(
            " AND EXISTS (SELECT 1 FROM item_topics it JOIN topics t ON t.id = it.topic_id
                 WHERE it.item_id = i.id AND t.slug = ${n})"
        );
    }
    if let Some(feed) = &q.feed {
        let n = arg(Box::new(feed.clone()), &mut args);
        sql += &format!(
            " AND EXISTS (SELECT 1 FROM sightings s JOIN feeds f2 ON f2.id = s.feed_id
                 WHERE s.item_id = i.id AND f2.name = ${n})"
        );
    }
    if let Some(since) = q.since {
        let n = arg(Box::new(fmt_time(since)), &mut args);
        sql += &format!(" AND i.sort_at >= ${n}");
    }
    if let Some(until) = q.until {
        let n = arg(Box::new(fmt_time(until)), &mut args);
        sql += &format!(" AND i.sort_at < ${n}");
    }
    if let Some(text) = &q.search {
        match search::query(text) {
            // Nothing searchable (only punctuation): nothing matches.
            None => sql += " AND false",
            Some(query) => {
                let n = arg(Box::new(query), &mut args);
                sql += &format!(" AND i.search @@ ${n}::text::tsquery");
            }
        }
    }
    if let Some(after) = q.after {
        let at = arg(Box::new(fmt_time(after.sort_at)), &mut args);
        let id = arg(Box::new(after.id), &mut args);
        sql += &format!(" AND (i.sort_at, i.id) < (${at}, ${id})");
    }
    sql += " ORDER BY i.sort_at DESC, i.id DESC";
    if let Some(limit) = q.limit {
        let n = arg(Box::new(limit.min(i64::MAX as u64) as i64), &mut args);
        sql += &format!(" LIMIT ${n}");
    }
    let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
    c.query(&sql, &params)?.iter().map(item_row).collect()
}

pub(super) fn item(c: &mut Client, id: i64) -> Result<Option<(ItemRow, Vec<Sighting>)>> {
    let Some(row) = c.query_opt(
        &format!(
            "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id = $1"
        ),
        &[&id],
    )?
    else {
        return Ok(None);
    };
    let row = item_row(&row)?;
    let sightings = c
        .query(
            "SELECT f.name, s.original_url, s.first_seen_at FROM sightings s JOIN feeds f ON f.id = s.feed_id
             WHERE s.item_id = $1 ORDER BY s.first_seen_at, f.id",
            &[&id],
        )?
        .iter()
        .map(|r| {
            Ok(Sighting {
                feed: r.try_get("name")?,
                original_url: r.try_get("original_url")?,
                first_seen_at: time(r, "first_seen_at")?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Some((row, sightings)))
}

pub(super) fn topics(c: &mut Client) -> Result<Vec<TopicRow>> {
    let rows = c.query(
        "SELECT t.slug, t.title, (SELECT count(*) FROM item_topics it WHERE it.topic_id = t.id),
            (SELECT MAX(number) FROM versions v WHERE v.topic_id = t.id)
         FROM topics t WHERE t.active = 1 ORDER BY t.slug",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| TopicRow {
            slug: r.get(0),
            title: r.get(1),
            items: r.get(2),
            latest_version: r.get(3),
        })
        .collect())
}

pub(super) fn feeds(c: &mut Client) -> Result<Vec<FeedRow>> {
    let holds: HashMap<String, (String, i64)> = c
        .query(
            "SELECT host, until, status FROM host_holds WHERE until > dossier_now()",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let rows = c.query(
        "SELECT name, label, url, kind, topics, last_fetch_at, last_status, error_class, last_error,
            consecutive_failures, next_due_at, moved_to, items, final_url, disabled_reason, warning, key
         FROM feeds WHERE active = 1 ORDER BY id",
        &[],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let kind: &str = r.try_get("kind")?;
        let status: Option<&str> = r.try_get("last_status")?;
        let class: Option<&str> = r.try_get("error_class")?;
        let mut row = FeedRow {
            key: r.try_get("key")?,
            name: r.try_get("name")?,
            label: r.try_get("label")?,
            url: r.try_get("url")?,
            kind: FeedKind::parse(kind).ok_or_else(|| bad("kind", kind, "a feed kind"))?,
            topics: json_list(r, "topics")?,
            last_fetch_at: opt_time(r, "last_fetch_at")?,
            last_status: status
                .map(|s| {
                    s.parse::<FetchStatus>()
                        .map_err(|_| bad("last_status", s, "a fetch status"))
                })
                .transpose()?,
            error_class: class
                .map(|s| {
                    ErrorClass::parse(s).ok_or_else(|| bad("error_class", s, "an error class"))
                })
                .transpose()?,
            last_error: r.try_get("last_error")?,
            consecutive_failures: r.try_get("consecutive_failures")?,
            next_due_at: opt_time(r, "next_due_at")?,
            moved_to: r.try_get("moved_to")?,
            items: r.try_get("items")?,
            final_url: r.try_get("final_url")?,
            disabled: r.try_get("disabled_reason")?,
            warning: r.try_get("warning")?,
            held_until: None,
            held_by: None,
            search: None,
        };
        let at = row.moved_to.as_deref().unwrap_or(&row.url);
        if let Some((until, status)) = holds.get(&dossier_model::host_key(at)) {
            row.held_until = parse_time(until);
            row.held_by = Some((*status).clamp(0, 999) as u16);
        }
        out.push(row);
    }
    Ok(out)
}

fn topic_id(c: &mut impl GenericClient, slug: &str) -> Result<i64> {
    c.query_opt("SELECT id FROM topics WHERE slug = $1", &[&slug])?
        .map(|r| r.get(0))
        .ok_or_else(|| StoreError::UnknownTopic(slug.to_string()))
}

pub(super) fn version(c: &mut Client, slug: &str, number: Option<i64>) -> Result<Option<Version>> {
    topic_id(c, slug)?;
    let Some(head) = c.query_opt(
        "SELECT v.id, v.title, v.number, v.created_at, v.item_count, v.new_items
         FROM versions v JOIN topics t ON t.id = v.topic_id
         WHERE t.slug = $1 AND ($2::bigint IS NULL OR v.number = $2)
         ORDER BY v.number DESC LIMIT 1",
        &[&slug, &number],
    )?
    else {
        return Ok(None);
    };
    let version_id: i64 = head.get("id");
    let sources = c
        .query(
            "SELECT n, item_id, title, url, label, published_at, date_source
             FROM version_sources WHERE version_id = $1 ORDER BY n",
            &[&version_id],
        )?
        .iter()
        .map(source)
        .collect::<Result<_>>()?;
    Ok(Some(Version {
        topic: slug.to_string(),
        title: head.try_get("title")?,
        version: head.try_get("number")?,
        created_at: time(&head, "created_at")?,
        item_count: head.try_get("item_count")?,
        new_items: head.try_get("new_items")?,
        sources,
    }))
}

pub(super) fn source(r: &Row) -> Result<Source> {
    Ok(Source {
        n: r.try_get("n")?,
        item_id: r.try_get("item_id")?,
        title: r.try_get("title")?,
        url: r.try_get("url")?,
        label: r.try_get("label")?,
        published_at: opt_time(r, "published_at")?,
        date_source: date_source(r, "date_source")?,
    })
}

pub(super) fn versions(c: &mut Client, slug: &str) -> Result<Vec<VersionSummary>> {
    let topic = topic_id(c, slug)?;
    c.query(
        "SELECT number, created_at, item_count, new_items FROM versions WHERE topic_id = $1 ORDER BY number",
        &[&topic],
    )?
    .iter()
    .map(|r| {
        Ok(VersionSummary {
            topic: slug.to_string(),
            version: r.try_get("number")?,
            created_at: time(r, "created_at")?,
            item_count: r.try_get("item_count")?,
            new_items: r.try_get("new_items")?,
        })
    })
    .collect()
}

/// As `SqliteStore::source`.
pub(super) fn source_record(c: &mut Client, slug: &str, n: i64) -> Result<Option<SourceRecord>> {
    let topic = topic_id(c, slug)?;
    let Some(item_id) = c
        .query_opt(
            "SELECT item_id FROM source_numbers WHERE topic_id = $1 AND n = $2",
            &[&topic, &n],
        )?
        .map(|r| r.get::<_, i64>(0))
    else {
        return Ok(None);
    };
    let copies = c
        .query(
            "SELECT v.number, v.created_at, vs.n, vs.item_id, vs.title, vs.url, vs.label,
                vs.published_at, vs.date_source
             FROM versions v JOIN version_sources vs ON vs.version_id = v.id AND vs.n = $2
             WHERE v.topic_id = $1 ORDER BY v.number",
            &[&topic, &n],
        )?
        .iter()
        .map(|r| {
            Ok(SourceCopy {
                version: r.try_get("number")?,
                created_at: time(r, "created_at")?,
                source: source(r)?,
            })
        })
        .collect::<Result<_>>()?;
    let joined = c
        .query_opt(
            "SELECT reason, detail FROM item_topics WHERE topic_id = $1 AND item_id = $2",
            &[&topic, &item_id],
        )?
        .and_then(|r| TopicReason::from_stored(r.get(0), r.get(1)));
    let duplicates = c
        .query(
            "SELECT id FROM items WHERE duplicate_of = $1 ORDER BY id",
            &[&item_id],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(Some(SourceRecord {
        n,
        item_id,
        copies,
        joined,
        duplicates,
    }))
}
