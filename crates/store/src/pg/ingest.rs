//! The write side of a run on PostgreSQL: the config sync, runs, and fetches recorded a
//! batch at a time with set-based statements.
//!
//! A batch (the feeds that finished together) is one transaction of about a dozen
//! statements whatever its size: the feeds' states in one `UPDATE … FROM unnest(…)`,
//! every key of every item looked up in one `SELECT`, the new items in one `INSERT`, and
//! so on. Which entry is which story is decided in memory first, in the batch's order,
//! exactly as the SQLite store decides it one entry at a time; then the keys' unique
//! index decides against writers in other transactions: a new item whose key another
//! writer committed meanwhile joins that writer's item and is removed, so two runs that
//! bring one story at once store it once.

use super::{PgStore, SYNC_LOCK, search};
use crate::ingest::{ConfiguredFeed, config_fingerprint, feed_row_is_current, feed_topics_json};
use crate::{FetchRecord, IngestCounts, Result, RunId, RunStatus, StoreError};
use chrono::{DateTime, Utc};
use dossier_model::{
    Change, DateSource, FeedSpec, FeedUpdate, Item, PageReason, RunStats, TopicSpec, fmt_time,
    host_key,
};
use postgres::types::ToSql;
use postgres::{Statement, Transaction};
use std::collections::{HashMap, HashSet};

/// How many times a batch written one feed at a time is tried when PostgreSQL aborts it
/// for a deadlock or a serialization failure (two runs writing the same rows).
const RETRIES: usize = 3;

impl PgStore {
    /// As [`crate::SqliteStore::sync_config`]; under an advisory lock, so that runs
    /// starting together on several machines sync once, and the others find the
    /// fingerprint already written.
    pub(super) fn sync_config(&mut self, feeds: &[FeedSpec], topics: &[TopicSpec]) -> Result<bool> {
        let fingerprint = config_fingerprint(feeds, topics);
        fn stored(c: &mut impl postgres::GenericClient) -> Result<Option<String>> {
            Ok(c.query_opt(
                "SELECT value FROM meta WHERE key = 'config_fingerprint'",
                &[],
            )?
            .map(|r| r.get(0)))
        }
        let client = self.client_mut();
        if stored(client)?.as_deref() == Some(fingerprint.as_str()) {
            return Ok(false);
        }
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SYNC_LOCK])?;
        if stored(&mut tx)?.as_deref() == Some(fingerprint.as_str()) {
            return Ok(false);
        }
        sync_topics(&mut tx, topics)?;
        sync_feeds(&mut tx, feeds)?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('config_fingerprint', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&fingerprint],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Starts a run. Runs on other machines may be running: only a run whose lease ran
    /// out (it was killed) is marked `interrupted`.
    pub(super) fn begin_run(&mut self, now: DateTime<Utc>) -> Result<RunId> {
        let client = self.client_mut();
        client.execute(
            "UPDATE runs SET status = 'interrupted'
             WHERE status = 'running' AND (lease_until IS NULL OR lease_until < now())",
            &[],
        )?;
        let id: i64 = client
            .query_one(
                "INSERT INTO runs(started_at, status, lease_until)
                 VALUES ($1, 'running', now() + interval '10 minutes') RETURNING id",
                &[&fmt_time(now)],
            )?
            .get(0);
        self.run = Some(id);
        Ok(RunId(id))
    }

    pub(super) fn finish_run(
        &mut self,
        run: RunId,
        stats: &RunStats,
        status: RunStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let client = self.client_mut();
        let n = |v: u64| v as i64;
        client.execute(
            "UPDATE runs SET finished_at = $2, status = $3, feeds = $4, fetched = $5, not_modified = $6,
                failed = $7, items_new = $8, items_duplicate = $9, dated_from_pages = $10, deferred = $11,
                not_fetched = $12, lease_until = NULL WHERE id = $1",
            &[
                &run.0,
                &fmt_time(now),
                &status.as_str(),
                &n(stats.feeds),
                &n(stats.fetched),
                &n(stats.not_modified),
                &n(stats.failed),
                &n(stats.items_new),
                &n(stats.items_duplicate),
                &n(stats.dated_from_pages),
                &n(stats.deferred),
                &n(stats.not_fetched),
            ],
        )?;
        // Whatever this run still holds (hosts left by a deadline) is free again.
        client.execute(
            "UPDATE hosts SET leased_by = NULL, lease_until = NULL WHERE leased_by = $1",
            &[&super::leases::holder(run.0)],
        )?;
        Ok(())
    }

    /// As [`crate::SqliteStore::record_fetches`]: the batch in one transaction, and when
    /// that fails, each feed in its own (tried again after a deadlock), so that a failing
    /// feed fails alone. With host leases, a feed is recorded only while this run still
    /// holds its host, and a host whose feeds are all recorded is released.
    pub(super) fn record_fetches(
        &mut self,
        batch: &[FetchRecord<'_>],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<Result<IngestCounts>>> {
        let fence = self.book.as_ref().map(|b| b.holder.clone());
        let topic_ids: HashMap<String, i64> = self
            .client_mut()
            .query("SELECT slug, id FROM topics", &[])?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let writer = |prepared| Writer {
            topic_ids: &topic_ids,
            now: fmt_time(seen_at),
            run: self.run,
            fence: fence.as_deref(),
            prepared: std::cell::RefCell::new(prepared),
        };
        // A big batch is written in two halves at once, on two connections: the
        // database's work on the rows, most of a batch's cost, then uses two cores. The
        // keys' unique index keeps the halves from storing one story twice, as it does
        // for two runs.
        let items: usize = batch.iter().map(|r| r.items.len()).sum();
        let mid = if batch.len() >= 2 && items >= PARALLEL_ITEMS {
            let mut seen = 0;
            batch
                .iter()
                .position(|r| {
                    seen += r.items.len();
                    seen * 2 >= items
                })
                .map_or(batch.len() / 2, |i| (i + 1).min(batch.len() - 1))
        } else {
            batch.len()
        };
        if mid < batch.len() && self.helper.is_none() {
            self.helper = Some(super::connect(&self.url)?);
        }
        let w1 = writer(std::mem::take(&mut self.prepared));
        let w2 = writer(std::mem::take(&mut self.helper_prepared));
        let (first, second) = batch.split_at(mid);
        let client = self.client.get_mut().unwrap_or_else(|p| p.into_inner());
        let helper = self.helper.as_mut();
        let (out, p1, p2) = std::thread::scope(|scope| {
            let other = match helper {
                Some(helper) if !second.is_empty() => Err(scope.spawn(move || {
                    let out = write_share(helper, &w2, second);
                    (out, w2.prepared.into_inner())
                })),
                _ => Ok(w2.prepared.into_inner()),
            };
            let mut out = write_share(client, &w1, first);
            let p2 = match other {
                Ok(p2) => {
                    if !second.is_empty() {
                        out.extend(write_share(client, &w1, second));
                    }
                    p2
                }
                Err(h) => match h.join() {
                    Ok((more, p2)) => {
                        out.extend(more);
                        p2
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                },
            };
            (out, w1.prepared.into_inner(), p2)
        });
        self.prepared = p1;
        self.helper_prepared = p2;
        if let Some(book) = self.book.clone() {
            let keys: Vec<&str> = batch.iter().map(|r| r.feed_key).collect();
            let done = book.recorded(&keys);
            if !done.is_empty() {
                super::leases::release(self.client_mut(), &book.holder, &done)?;
            }
        }
        Ok(out)
    }
}

/// Batches of at least this many items are written in two halves at once.
const PARALLEL_ITEMS: usize = 200;

/// One connection's share of a batch: in one transaction, and when that fails, feed by
/// feed (each tried again after a deadlock), so that a failing feed fails alone.
fn write_share(
    client: &mut postgres::Client,
    w: &Writer<'_>,
    batch: &[FetchRecord<'_>],
) -> Vec<Result<IngestCounts>> {
    let together = (|| -> Result<Vec<IngestCounts>> {
        let mut tx = client.transaction()?;
        relaxed_commit(&mut tx)?;
        let counts = w.write(&mut tx, batch)?;
        tx.commit()?;
        Ok(counts)
    })();
    match together {
        Ok(counts) => counts.into_iter().map(Ok).collect(),
        Err(e) if batch.len() == 1 && !is_retryable(&e) => vec![Err(e)],
        Err(_) => batch
            .iter()
            .map(|rec| {
                let mut last = None;
                for _ in 0..RETRIES {
                    let one = (|| -> Result<IngestCounts> {
                        let mut tx = client.transaction()?;
                        relaxed_commit(&mut tx)?;
                        let counts = w.write(&mut tx, std::slice::from_ref(rec))?;
                        tx.commit()?;
                        Ok(counts[0])
                    })();
                    match one {
                        Err(e) if is_retryable(&e) => last = Some(Err(e)),
                        other => return other,
                    }
                }
                last.unwrap_or(Ok(IngestCounts::default()))
            })
            .collect(),
    }
}

/// A fetch's transaction commits without waiting for the server's disk, as SQLite's
/// `synchronous = NORMAL` does for the SQLite store: a crash of the database server may
/// lose the last moments of a run's writes, never leave them half done, and what it loses
/// (whole feeds) stays due and is fetched again. Cuts, which writers cite, wait for the
/// disk as always.
fn relaxed_commit(tx: &mut Transaction<'_>) -> Result<()> {
    tx.batch_execute("SET LOCAL synchronous_commit = off")?;
    Ok(())
}

/// Whether PostgreSQL gave up on a transaction that may well pass when tried again.
fn is_retryable(e: &StoreError) -> bool {
    let StoreError::Backend { source, .. } = e else {
        return false;
    };
    source
        .downcast_ref::<super::PgError>()
        .and_then(|e| e.0.code())
        .is_some_and(|c| {
            *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
                || *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
        })
}

fn sync_topics(tx: &mut Transaction<'_>, topics: &[TopicSpec]) -> Result<()> {
    let existing: HashMap<String, (String, i64)> = tx
        .query("SELECT slug, title, active FROM topics", &[])?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let mut configured = HashSet::new();
    for t in topics {
        configured.insert(t.slug.as_str());
        if existing.get(&t.slug) != Some(&(t.title.clone(), 1)) {
            tx.execute(
                "INSERT INTO topics(slug, title, active) VALUES ($1, $2, 1)
                 ON CONFLICT (slug) DO UPDATE SET title = excluded.title, active = 1",
                &[&t.slug, &t.title],
            )?;
        }
    }
    let retired: Vec<&String> = existing
        .iter()
        .filter(|(slug, (_, active))| *active == 1 && !configured.contains(slug.as_str()))
        .map(|(slug, _)| slug)
        .collect();
    if !retired.is_empty() {
        tx.execute(
            "UPDATE topics SET active = 0 WHERE slug = ANY($1)",
            &[&retired],
        )?;
    }
    Ok(())
}

fn sync_feeds(tx: &mut Transaction<'_>, feeds: &[FeedSpec]) -> Result<()> {
    let existing: HashMap<String, (ConfiguredFeed, bool)> = tx
        .query(
            "SELECT key, name, label, url, kind, topics, active = 1 FROM feeds",
            &[],
        )?
        .iter()
        .map(|r| {
            (
                r.get(0),
                ((r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)), r.get(6)),
            )
        })
        .collect();
    let mut changed: [Vec<String>; 7] = Default::default();
    let mut configured = HashSet::with_capacity(feeds.len());
    for f in feeds {
        configured.insert(f.key.as_str());
        let topics = feed_topics_json(f);
        let stored = existing.get(&f.key).map(|(row, active)| (row, *active));
        if !feed_row_is_current(stored, f, &topics) {
            let row = [
                f.key.clone(),
                f.name.clone(),
                f.label.clone(),
                f.url.clone(),
                f.kind.as_str().to_string(),
                topics,
                host_key(&f.url),
            ];
            for (column, value) in changed.iter_mut().zip(row) {
                column.push(value);
            }
        }
    }
    if !changed[0].is_empty() {
        let [keys, names, labels, urls, kinds, topics, hosts] = &changed;
        tx.execute(
            "INSERT INTO hosts(host_key) SELECT DISTINCT h FROM unnest($1::text[]) AS h
             ON CONFLICT DO NOTHING",
            &[hosts],
        )?;
        tx.execute(
            "INSERT INTO feeds(key, name, label, url, kind, topics, host_key, active)
             SELECT k, n, l, u, kd, t, h, 1
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                  AS c(k, n, l, u, kd, t, h)
             ON CONFLICT (key) DO UPDATE SET name = excluded.name, label = excluded.label,
                url = excluded.url, kind = excluded.kind, topics = excluded.topics, active = 1,
                -- a new URL is a new resource: what was learnt of the old one goes
                etag = CASE WHEN feeds.url = excluded.url THEN feeds.etag END,
                last_modified = CASE WHEN feeds.url = excluded.url THEN feeds.last_modified END,
                next_due_at = CASE WHEN feeds.url = excluded.url THEN feeds.next_due_at END,
                moved_to = CASE WHEN feeds.url = excluded.url THEN feeds.moved_to END,
                final_url = CASE WHEN feeds.url = excluded.url THEN feeds.final_url END,
                disabled_reason = CASE WHEN feeds.url = excluded.url THEN feeds.disabled_reason END,
                body_hash = CASE WHEN feeds.url = excluded.url THEN feeds.body_hash END,
                consecutive_failures = CASE WHEN feeds.url = excluded.url
                    THEN feeds.consecutive_failures ELSE 0 END,
                host_key = CASE WHEN feeds.url = excluded.url THEN feeds.host_key
                    ELSE excluded.host_key END",
            &[keys, names, labels, urls, kinds, topics, hosts],
        )?;
    }
    let retired: Vec<&String> = existing
        .iter()
        .filter(|(key, (_, active))| *active && !configured.contains(key.as_str()))
        .map(|(key, _)| key)
        .collect();
    if !retired.is_empty() {
        tx.execute(
            "UPDATE feeds SET active = 0 WHERE key = ANY($1)",
            &[&retired],
        )?;
    }
    Ok(())
}

/// What every statement of one batch shares.
struct Writer<'a> {
    topic_ids: &'a HashMap<String, i64>,
    /// The run's start, as text: every item and sighting of one run is first seen then.
    now: String,
    run: Option<i64>,
    /// The lease holder a feed's host must still be held by for its state to be written.
    fence: Option<&'a str>,
    /// The writer's prepared statements, kept by the store across batches.
    prepared: std::cell::RefCell<HashMap<&'static str, Statement>>,
}

/// Where an entry of the batch lands: an item the store had, or one new in this batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    Stored(i64),
    New(usize),
}

/// A story new in this batch, before its row exists.
struct NewItem<'a> {
    feed_id: i64,
    item: &'a Item,
}

/// What one entry did, for the counts of its feed.
struct Entry {
    feed: usize,
    target: Target,
    /// This entry brought the story into the store.
    created: bool,
}

/// The batch resolved in memory: what to insert and link, in the batch's order.
#[derive(Default)]
struct Plan<'a> {
    new: Vec<NewItem<'a>>,
    entries: Vec<Entry>,
    keys: Vec<(String, Target)>,
    sightings: Vec<(Target, i64, Option<&'a str>)>,
    links: Vec<(i64, Target, &'static str, Option<String>, i64)>,
    /// Stored items their origin feed brought again: (item, its entry).
    refresh: Vec<(Target, &'a Item)>,
    /// Stored items first seen in this run by a feed later in the config, now brought by
    /// one listed earlier: (item, feed, its entry).
    take_over: Vec<(Target, i64, &'a Item)>,
}

impl Writer<'_> {
    /// A statement of the writer's, prepared once per connection: a batch's dozen
    /// statements are planned once a run, not once a batch.
    fn prepared(&self, tx: &mut Transaction<'_>, sql: &'static str) -> Result<Statement> {
        if let Some(st) = self.prepared.borrow().get(sql) {
            return Ok(st.clone());
        }
        let st = tx.prepare(sql)?;
        self.prepared.borrow_mut().insert(sql, st.clone());
        Ok(st)
    }

    fn exec(
        &self,
        tx: &mut Transaction<'_>,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64> {
        let st = self.prepared(tx, sql)?;
        Ok(tx.execute(&st, params)?)
    }

    fn rows(
        &self,
        tx: &mut Transaction<'_>,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>> {
        let st = self.prepared(tx, sql)?;
        Ok(tx.query(&st, params)?)
    }

    fn write(
        &self,
        tx: &mut Transaction<'_>,
        batch: &[FetchRecord<'_>],
    ) -> Result<Vec<IngestCounts>> {
        let keys: Vec<&str> = batch.iter().map(|r| r.feed_key).collect();
        let ids: HashMap<String, i64> = self
            .rows(
                tx,
                "SELECT w.key, f.id FROM unnest($1::text[]) AS w(key)
                 CROSS JOIN LATERAL (SELECT id FROM feeds f WHERE f.key = w.key LIMIT 1) f",
                &[&keys],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let mut feed_ids = Vec::with_capacity(batch.len());
        for rec in batch {
            let id = ids
                .get(rec.feed_key)
                .copied()
                .ok_or_else(|| StoreError::UnknownFeed(rec.feed_key.to_string()))?;
            feed_ids.push(id);
        }
        self.write_holds(tx, batch)?;
        self.write_feed_states(tx, batch, &feed_ids)?;
        let mut plan = self.plan(tx, batch, &feed_ids)?;
        let ids = self.insert_new(tx, &mut plan)?;
        let resolve = |t: Target| match t {
            Target::Stored(id) => id,
            Target::New(i) => ids[i],
        };
        self.refresh(tx, &plan, &resolve)?;
        // Every transaction updates the items it shares with others in id order, so
        // that writers taking over the same stories wait for each other instead of
        // deadlocking (the sort is stable: of two take-overs of one item in a batch,
        // the later, the lower feed, still comes last).
        let mut take_over: Vec<(i64, i64, &Item)> = plan
            .take_over
            .iter()
            .map(|(t, feed_id, item)| (resolve(*t), *feed_id, *item))
            .collect();
        take_over.sort_by_key(|t| t.0);
        for (id, feed_id, item) in take_over {
            take_over_item(tx, id, feed_id, item)?;
        }
        let new_sightings = self.write_sightings(tx, &plan, &resolve)?;
        self.write_links(tx, &plan, &resolve)?;
        let mut counts = vec![IngestCounts::default(); batch.len()];
        let mut per_feed = vec![0i64; batch.len()];
        let mut counted = HashSet::new();
        for e in &plan.entries {
            let pair = (resolve(e.target), feed_ids[e.feed]);
            // A sighting is new once: the first entry of its (item, feed) counts it.
            let fresh = new_sightings.contains(&pair) && counted.insert(pair);
            if e.created {
                counts[e.feed].new += 1;
            } else if fresh {
                counts[e.feed].duplicate += 1;
            }
            if fresh {
                per_feed[e.feed] += 1;
            }
        }
        if per_feed.iter().all(|n| *n == 0) {
            return Ok(counts);
        }
        self.exec(
            tx,
            "UPDATE feeds f SET items = f.items + c.n
             FROM unnest($1::bigint[], $2::bigint[]) AS c(id, n) WHERE f.id = c.id AND c.n > 0",
            &[&feed_ids, &per_feed],
        )?;
        Ok(counts)
    }

    /// The `Retry-After` holds the batch heard; a hold only ever grows.
    fn write_holds(&self, tx: &mut Transaction<'_>, batch: &[FetchRecord<'_>]) -> Result<()> {
        for rec in batch {
            if let Some(hold) = &rec.update.hold {
                self.exec(tx,
                    "INSERT INTO host_holds(host, until, status, set_at, feed_key) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (host) DO UPDATE SET until = GREATEST(host_holds.until, excluded.until),
                        status = excluded.status, set_at = excluded.set_at, feed_key = excluded.feed_key",
                    &[
                        &hold.host,
                        &fmt_time(hold.until),
                        &i64::from(hold.status),
                        &fmt_time(rec.update.fetched_at),
                        &rec.feed_key,
                    ],
                )?;
            }
        }
        Ok(())
    }

    /// Every feed's new state in two statements: those a request went out for, and those
    /// a hold kept from asking (only their due time moves).
    fn write_feed_states(
        &self,
        tx: &mut Transaction<'_>,
        batch: &[FetchRecord<'_>],
        feed_ids: &[i64],
    ) -> Result<()> {
        let mut asked = StateColumns::default();
        let (mut held_ids, mut held_next) = (Vec::new(), Vec::new());
        for (rec, id) in batch.iter().zip(feed_ids) {
            if rec.update.requested {
                asked.push(*id, rec.update);
            } else {
                held_ids.push(*id);
                held_next.push(rec.update.next_due_at.map(fmt_time));
            }
        }
        if !held_ids.is_empty() {
            self.exec(
                tx,
                "UPDATE feeds f SET next_due_at = COALESCE(c.next, f.next_due_at)
                 FROM unnest($1::bigint[], $2::text[]) AS c(id, next)
                 WHERE f.id = c.id AND ($3::text IS NULL OR EXISTS (
                     SELECT 1 FROM hosts h WHERE h.host_key = f.host_key AND h.leased_by = $3))",
                &[&held_ids, &held_next, &self.fence],
            )?;
        }
        if asked.ids.is_empty() {
            return Ok(());
        }
        let moved_hosts: Vec<&String> = asked.hosts.iter().flatten().collect();
        if !moved_hosts.is_empty() {
            self.exec(
                tx,
                "INSERT INTO hosts(host_key) SELECT DISTINCT h FROM unnest($1::text[]) AS h
                 ON CONFLICT DO NOTHING",
                &[&moved_hosts],
            )?;
        }
        let c = &asked;
        self.exec(tx,
            "UPDATE feeds f SET last_fetch_at = c.fetched_at, last_status = c.status,
                error_class = c.class, last_error = c.error,
                consecutive_failures = CASE c.failures WHEN 'add' THEN f.consecutive_failures + 1
                    WHEN 'reset' THEN 0 ELSE f.consecutive_failures END,
                next_due_at = COALESCE(c.next, f.next_due_at),
                moved_to = COALESCE(c.moved_to, f.moved_to),
                final_url = COALESCE(c.final_url, f.final_url),
                body_hash = COALESCE(c.body_hash, f.body_hash),
                last_full_fetch_at = CASE WHEN c.is_full THEN c.fetched_at ELSE f.last_full_fetch_at END,
                disabled_reason = COALESCE(c.disable, f.disabled_reason),
                etag = CASE c.validators WHEN 'keep' THEN f.etag ELSE c.etag END,
                last_modified = CASE c.validators WHEN 'keep' THEN f.last_modified ELSE c.last_modified END,
                warning = CASE c.warn WHEN 'keep' THEN f.warning ELSE c.warning END,
                host_key = COALESCE(c.host_key, f.host_key)
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::bool[], $12::text[],
                         $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[])
                  AS c(id, fetched_at, status, class, error, failures, next, moved_to, final_url,
                       body_hash, is_full, disable, validators, etag, last_modified, warn, warning, host_key)
             WHERE f.id = c.id AND ($19::text IS NULL OR EXISTS (
                 SELECT 1 FROM hosts h WHERE h.host_key = f.host_key AND h.leased_by = $19))",
            &[
                &c.ids,
                &c.fetched_at,
                &c.status,
                &c.class,
                &c.error,
                &c.failures,
                &c.next,
                &c.moved_to,
                &c.final_url,
                &c.body_hash,
                &c.full,
                &c.disable,
                &c.validators,
                &c.etag,
                &c.last_modified,
                &c.warn,
                &c.warning,
                &c.hosts,
                &self.fence,
            ],
        )?;
        Ok(())
    }

    /// Decides, in the batch's order, which entries are new stories and which join stored
    /// ones or ones new earlier in the batch, as the SQLite store does entry by entry.
    fn plan<'a>(
        &self,
        tx: &mut Transaction<'_>,
        batch: &[FetchRecord<'a>],
        feed_ids: &[i64],
    ) -> Result<Plan<'a>> {
        let all_keys: Vec<String> = batch
            .iter()
            .flat_map(|r| {
                r.items
                    .iter()
                    .flat_map(|i| i.keys.iter().map(|k| k.to_string()))
            })
            .collect();
        let mut owner: HashMap<String, Target> = HashMap::with_capacity(all_keys.len());
        let mut origin: HashMap<Target, (i64, bool)> = HashMap::new();
        if !all_keys.is_empty() {
            for r in tx.query(
                // First seen by this same run (at its start, by it): a feed listed
                // earlier in the config may still take it over.
                // One index probe per key (LATERAL … LIMIT 1): given an array, the planner
                // would rather scan the whole table once a batch.
                "SELECT w.key, i.id, i.feed_id,
                    i.first_seen_at = $3 AND i.first_run IS NOT DISTINCT FROM $2
                 FROM unnest($1::text[]) AS w(key)
                 CROSS JOIN LATERAL (SELECT item_id FROM item_keys k WHERE k.key = w.key LIMIT 1) k
                 JOIN items i ON i.id = k.item_id",
                &[&all_keys, &self.run, &self.now],
            )? {
                let target = Target::Stored(r.get(1));
                owner.insert(r.get(0), target);
                origin.insert(target, (r.get(2), r.get(3)));
            }
        }
        let mut plan = Plan::default();
        let mut seen_sighting = HashSet::new();
        let mut seen_link = HashSet::new();
        for (pos, rec) in batch.iter().enumerate() {
            let feed_id = feed_ids[pos];
            for item in rec.items {
                let keys: Vec<String> = item.keys.iter().map(|k| k.to_string()).collect();
                let found = keys.iter().find_map(|k| owner.get(k).copied());
                let (target, created) = match found {
                    None => {
                        let t = Target::New(plan.new.len());
                        plan.new.push(NewItem { feed_id, item });
                        // New in this run: a feed listed earlier may take it over.
                        origin.insert(t, (feed_id, true));
                        (t, true)
                    }
                    Some(t) => {
                        let (origin_feed, this_run) = origin[&t];
                        if origin_feed == feed_id {
                            plan.refresh.push((t, item));
                        } else if this_run && feed_id < origin_feed {
                            plan.take_over.push((t, feed_id, item));
                            origin.insert(t, (feed_id, true));
                        }
                        (t, false)
                    }
                };
                plan.entries.push(Entry {
                    feed: pos,
                    target,
                    created,
                });
                for k in keys {
                    // A key another item holds stays with it, as `INSERT OR IGNORE` leaves it.
                    if let std::collections::hash_map::Entry::Vacant(v) = owner.entry(k.clone()) {
                        v.insert(target);
                        plan.keys.push((k, target));
                    }
                }
                if seen_sighting.insert((target, feed_id)) {
                    plan.sightings
                        .push((target, feed_id, item.original_url.as_deref()));
                }
                for (slug, reason) in &item.topics {
                    if let Some(topic_id) = self.topic_ids.get(slug)
                        && seen_link.insert((*topic_id, target))
                    {
                        plan.links.push((
                            *topic_id,
                            target,
                            reason.kind(),
                            reason.detail().map(str::to_string),
                            feed_id,
                        ));
                    }
                }
            }
        }
        Ok(plan)
    }

    /// Inserts the batch's new items and their keys; a new item that lost a key to a
    /// writer that committed it meanwhile joins that writer's item instead (its row goes,
    /// its entries point there). Returns the row id of each new item.
    fn insert_new(&self, tx: &mut Transaction<'_>, plan: &mut Plan<'_>) -> Result<Vec<i64>> {
        let n = plan.new.len() as i64;
        let mut ids: Vec<i64> = if n == 0 {
            Vec::new()
        } else {
            self.rows(
                tx,
                "SELECT nextval('items_id_seq') FROM generate_series(1, $1::bigint)",
                &[&n],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        };
        if n > 0 {
            let mut c = ItemColumns::default();
            for (id, new) in ids.iter().zip(&plan.new) {
                c.push(*id, new.feed_id, new.item, &self.now, self.run);
            }
            c.insert(tx)?;
        }
        let resolve = |t: Target, ids: &[i64]| match t {
            Target::Stored(id) => id,
            Target::New(i) => ids[i],
        };
        let mut keys: Vec<(&str, i64, Target)> = plan
            .keys
            .iter()
            .map(|(k, t)| (k.as_str(), resolve(*t, &ids), *t))
            .collect();
        // One order for every writer: two batches with keys in common lock them alike.
        keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
        if keys.is_empty() {
            return Ok(ids);
        }
        let key_text: Vec<&str> = keys.iter().map(|k| k.0).collect();
        let key_item: Vec<i64> = keys.iter().map(|k| k.1).collect();
        let inserted: HashSet<String> = self
            .rows(
                tx,
                "INSERT INTO item_keys(key, item_id) SELECT * FROM unnest($1::text[], $2::bigint[])
                 ON CONFLICT (key) DO NOTHING RETURNING key",
                &[&key_text, &key_item],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let lost: Vec<(&str, usize)> = keys
            .iter()
            .filter(|k| !inserted.contains(k.0))
            .filter_map(|k| match k.2 {
                Target::New(i) => Some((k.0, i)),
                Target::Stored(_) => None,
            })
            .collect();
        if lost.is_empty() {
            return Ok(ids);
        }
        let lost_keys: Vec<&str> = lost.iter().map(|l| l.0).collect();
        let holders: HashMap<String, i64> = self.rows(tx,
                "SELECT w.key, k.item_id FROM unnest($1::text[]) AS w(key)
                 CROSS JOIN LATERAL (SELECT item_id FROM item_keys k WHERE k.key = w.key LIMIT 1) k",
                &[&lost_keys],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let mut joined: HashMap<usize, i64> = HashMap::new();
        for new_index in lost.iter().map(|l| l.1) {
            if joined.contains_key(&new_index) {
                continue;
            }
            // The item's strongest key that another writer holds names the story.
            let winner = plan.new[new_index]
                .item
                .keys
                .iter()
                .find_map(|k| holders.get(&k.to_string()).copied());
            if let Some(winner) = winner {
                joined.insert(new_index, winner);
            }
        }
        for (&new_index, &winner) in &joined {
            let loser = ids[new_index];
            self.exec(
                tx,
                "UPDATE item_keys SET item_id = $2 WHERE item_id = $1",
                &[&loser, &winner],
            )?;
            self.exec(tx, "DELETE FROM items WHERE id = $1", &[&loser])?;
            ids[new_index] = winner;
        }
        for e in &mut plan.entries {
            if let Target::New(i) = e.target
                && joined.contains_key(&i)
            {
                e.created = false;
            }
        }
        // A joined story is the other writer's item now: what this batch would have
        // corrected on its own item does not apply, but "the feed listed first is the
        // origin within one run" still does (the other writer may be this run's other
        // half): the lowest feed of this batch that carries it takes it over, if lower.
        let mut lowest: HashMap<usize, (i64, &Item)> = joined
            .keys()
            .map(|&i| (i, (plan.new[i].feed_id, plan.new[i].item)))
            .collect();
        for (t, feed, item) in &plan.take_over {
            if let Target::New(i) = t
                && let Some(low) = lowest.get_mut(i)
                && *feed < low.0
            {
                *low = (*feed, item);
            }
        }
        plan.refresh
            .retain(|(t, _)| !matches!(t, Target::New(i) if joined.contains_key(i)));
        plan.take_over
            .retain(|(t, _, _)| !matches!(t, Target::New(i) if joined.contains_key(i)));
        let winners: Vec<i64> = joined.values().copied().collect();
        let origins: HashMap<i64, (i64, bool)> = self
            .rows(
                tx,
                "SELECT id, feed_id, first_seen_at = $2 AND first_run IS NOT DISTINCT FROM $3
                 FROM items WHERE id = ANY($1)",
                &[&winners, &self.now, &self.run],
            )?
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2))))
            .collect();
        for (i, (feed, item)) in lowest {
            if let Some(&(origin, this_run)) = origins.get(&joined[&i])
                && this_run
                && feed < origin
            {
                plan.take_over.push((Target::New(i), feed, item));
            }
        }
        Ok(ids)
    }

    /// Items their origin feed brought again take what it says now (see
    /// `crate::ingest::refresh_item` for the rules, the same here).
    fn refresh(
        &self,
        tx: &mut Transaction<'_>,
        plan: &Plan<'_>,
        resolve: &dyn Fn(Target) -> i64,
    ) -> Result<()> {
        if plan.refresh.is_empty() {
            return Ok(());
        }
        // The last word of the feed wins, as when entries are written one after another.
        let mut last: HashMap<i64, &Item> = HashMap::new();
        for (t, item) in &plan.refresh {
            last.insert(resolve(*t), item);
        }
        // In id order, as every update of shared items (see `write`).
        let mut last: Vec<(i64, &Item)> = last.into_iter().collect();
        last.sort_unstable_by_key(|r| r.0);
        let mut ids = Vec::with_capacity(last.len());
        let mut titles = Vec::new();
        let mut summaries = Vec::new();
        let mut authors = Vec::new();
        let mut dates = Vec::new();
        let mut evidence = Vec::new();
        let mut reasons = Vec::new();
        for (id, item) in &last {
            ids.push(*id);
            titles.push(item.title.as_str());
            summaries.push(item.summary.as_deref());
            authors.push(item.author.as_deref());
            dates.push(match item.date_source {
                DateSource::Feed => item.published_at.map(fmt_time),
                _ => None,
            });
            evidence.push(item.date_evidence.as_deref());
            reasons.push(item.page_reason.map(PageReason::as_str));
        }
        let changed: Vec<i64> = self.rows(tx,
                "UPDATE items i SET
                    title = CASE WHEN c.title = i.url OR c.title = i.original_url THEN i.title ELSE c.title END,
                    summary = COALESCE(c.summary, i.summary), author = COALESCE(c.author, i.author),
                    published_at = COALESCE(c.date, i.published_at),
                    date_source = CASE WHEN c.date IS NULL THEN i.date_source ELSE 'feed' END,
                    date_evidence = CASE WHEN c.date IS NULL THEN i.date_evidence ELSE c.evidence END,
                    sort_at = COALESCE(c.date, i.sort_at), updated_at = $7
                 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                      AS c(id, title, summary, author, date, evidence)
                 WHERE i.id = c.id AND ((i.title IS DISTINCT FROM c.title
                        AND c.title IS DISTINCT FROM i.url AND c.title IS DISTINCT FROM i.original_url)
                    OR (c.summary IS NOT NULL AND i.summary IS DISTINCT FROM c.summary)
                    OR (c.author IS NOT NULL AND i.author IS DISTINCT FROM c.author)
                    OR (c.date IS NOT NULL AND i.published_at IS DISTINCT FROM c.date))
                 RETURNING i.id",
                &[&ids, &titles, &summaries, &authors, &dates, &evidence, &self.now],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        self.exec(tx,
            "UPDATE items i SET page_reason = c.reason
             FROM unnest($1::bigint[], $2::text[]) AS c(id, reason)
             WHERE i.id = c.id AND i.page_checked_at IS NULL AND i.page_reason IS DISTINCT FROM c.reason",
            &[&ids, &reasons],
        )?;
        reindex(tx, &changed)
    }

    /// The batch's sightings; returns the (item, feed) pairs seen for the first time.
    fn write_sightings(
        &self,
        tx: &mut Transaction<'_>,
        plan: &Plan<'_>,
        resolve: &dyn Fn(Target) -> i64,
    ) -> Result<HashSet<(i64, i64)>> {
        // Two entries may have become one item (a joined story): one row per pair.
        let mut rows: HashMap<(i64, i64), Option<&str>> = HashMap::new();
        for (t, feed_id, url) in &plan.sightings {
            rows.entry((resolve(*t), *feed_id)).or_insert(*url);
        }
        if rows.is_empty() {
            return Ok(HashSet::new());
        }
        let mut rows: Vec<((i64, i64), Option<&str>)> = rows.into_iter().collect();
        rows.sort_unstable_by_key(|r| r.0);
        let items: Vec<i64> = rows.iter().map(|r| r.0.0).collect();
        let feeds: Vec<i64> = rows.iter().map(|r| r.0.1).collect();
        let urls: Vec<Option<&str>> = rows.iter().map(|r| r.1).collect();
        Ok(self.rows(tx,
                "INSERT INTO sightings(item_id, feed_id, original_url, first_seen_at, last_seen_at)
                 SELECT i, f, u, $4, $4 FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS c(i, f, u)
                 ON CONFLICT (item_id, feed_id) DO UPDATE SET last_seen_at = excluded.last_seen_at
                 RETURNING item_id, feed_id, (xmax = 0)",
                &[&items, &feeds, &urls, &self.now],
            )?
            .iter()
            .filter(|r| r.get::<_, bool>(2))
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn write_links(
        &self,
        tx: &mut Transaction<'_>,
        plan: &Plan<'_>,
        resolve: &dyn Fn(Target) -> i64,
    ) -> Result<()> {
        let mut rows: Vec<(i64, i64, &str, Option<&str>, i64)> = Vec::new();
        let mut seen = HashSet::new();
        for (topic, t, reason, detail, feed) in &plan.links {
            let item = resolve(*t);
            if seen.insert((*topic, item)) {
                rows.push((*topic, item, reason, detail.as_deref(), *feed));
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        rows.sort_unstable_by_key(|r| (r.0, r.1));
        let topics: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let items: Vec<i64> = rows.iter().map(|r| r.1).collect();
        let reasons: Vec<&str> = rows.iter().map(|r| r.2).collect();
        let details: Vec<Option<&str>> = rows.iter().map(|r| r.3).collect();
        let feeds: Vec<i64> = rows.iter().map(|r| r.4).collect();
        self.exec(tx,
            "INSERT INTO item_topics(topic_id, item_id, reason, detail, via_feed_id, attached_at)
             SELECT t, i, r, d, f, $6
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[]) AS c(t, i, r, d, f)
             ON CONFLICT (topic_id, item_id) DO NOTHING",
            &[&topics, &items, &reasons, &details, &feeds, &self.now],
        )?;
        Ok(())
    }
}

/// The state columns of the feeds of a batch a request went out for.
#[derive(Default)]
struct StateColumns {
    ids: Vec<i64>,
    fetched_at: Vec<String>,
    status: Vec<String>,
    class: Vec<Option<&'static str>>,
    error: Vec<Option<String>>,
    failures: Vec<&'static str>,
    next: Vec<Option<String>>,
    moved_to: Vec<Option<String>>,
    final_url: Vec<Option<String>>,
    body_hash: Vec<Option<String>>,
    full: Vec<bool>,
    disable: Vec<Option<String>>,
    validators: Vec<&'static str>,
    etag: Vec<Option<String>>,
    last_modified: Vec<Option<String>>,
    warn: Vec<&'static str>,
    warning: Vec<Option<String>>,
    /// The feed's new host, when a permanent redirect moved it.
    hosts: Vec<Option<String>>,
}

impl StateColumns {
    fn push(&mut self, id: i64, u: &FeedUpdate) {
        self.ids.push(id);
        self.fetched_at.push(fmt_time(u.fetched_at));
        self.status.push(u.status.to_string());
        self.class
            .push(u.failure.as_ref().map(|f| f.class.as_str()));
        self.error
            .push(u.failure.as_ref().map(|f| f.message.clone()));
        self.failures.push(match (u.failed(), u.counted) {
            (true, true) => "add",
            (false, true) => "reset",
            // Not held against the feed, nor for it: an outage of ours, a deferral.
            (_, false) => "keep",
        });
        self.next.push(u.next_due_at.map(fmt_time));
        self.moved_to.push(u.moved_to.clone());
        self.final_url.push(u.final_url.clone());
        self.body_hash.push(u.body_hash.clone());
        self.full.push(u.full_fetch);
        self.disable.push(u.disable.clone());
        let (mode, etag, last_modified) = match &u.validators {
            Change::Keep => ("keep", None, None),
            Change::Clear => ("set", None, None),
            Change::Set(v) => ("set", v.etag.clone(), v.last_modified.clone()),
        };
        self.validators.push(mode);
        self.etag.push(etag);
        self.last_modified.push(last_modified);
        let (mode, warning) = match &u.warning {
            Change::Keep => ("keep", None),
            Change::Clear => ("set", None),
            Change::Set(w) => ("set", Some(w.clone())),
        };
        self.warn.push(mode);
        self.warning.push(warning);
        self.hosts.push(u.moved_to.as_deref().map(host_key));
    }
}

/// The columns of new item rows.
#[derive(Default)]
struct ItemColumns<'a> {
    ids: Vec<i64>,
    feed_ids: Vec<i64>,
    guid: Vec<Option<&'a str>>,
    url: Vec<Option<&'a str>>,
    original_url: Vec<Option<&'a str>>,
    title: Vec<&'a str>,
    summary: Vec<Option<&'a str>>,
    author: Vec<Option<&'a str>>,
    published_at: Vec<Option<String>>,
    date_source: Vec<&'static str>,
    sort_at: Vec<String>,
    identity: Vec<&'static str>,
    date_evidence: Vec<Option<&'a str>>,
    page_reason: Vec<Option<&'static str>>,
    search: Vec<String>,
    now: String,
    run: Option<i64>,
}

impl<'a> ItemColumns<'a> {
    fn push(&mut self, id: i64, feed_id: i64, item: &'a Item, now: &str, run: Option<i64>) {
        let published = item.published_at.map(fmt_time);
        self.ids.push(id);
        self.feed_ids.push(feed_id);
        self.guid.push(item.guid.as_deref());
        self.url.push(item.url.as_deref());
        self.original_url.push(item.original_url.as_deref());
        self.title.push(&item.title);
        self.summary.push(item.summary.as_deref());
        self.author.push(item.author.as_deref());
        self.sort_at
            .push(published.clone().unwrap_or_else(|| now.to_string()));
        self.published_at.push(published);
        self.date_source.push(item.date_source.as_str());
        self.identity.push(item.identity.as_str());
        self.date_evidence.push(item.date_evidence.as_deref());
        self.page_reason
            .push(item.page_reason.map(PageReason::as_str));
        self.search
            .push(search::vector(&item.title, item.summary.as_deref()));
        self.now = now.to_string();
        self.run = run;
    }

    fn insert(&self, tx: &mut Transaction<'_>) -> Result<()> {
        tx.execute(
            "INSERT INTO items(id, feed_id, guid, url, original_url, title, summary, author,
                published_at, date_source, first_seen_at, sort_at, identity, date_evidence,
                page_reason, first_run, search)
             SELECT id, f, g, u, o, t, s, a, p, ds, $16, sa, idn, de, pr, $17, se::tsvector
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                         $13::text[], $14::text[], $15::text[])
                  AS c(id, f, g, u, o, t, s, a, p, ds, sa, idn, de, pr, se)",
            &[
                &self.ids,
                &self.feed_ids,
                &self.guid,
                &self.url,
                &self.original_url,
                &self.title,
                &self.summary,
                &self.author,
                &self.published_at,
                &self.date_source,
                &self.sort_at,
                &self.identity,
                &self.date_evidence,
                &self.page_reason,
                &self.search,
                &self.now,
                &self.run,
            ],
        )?;
        Ok(())
    }
}

/// As `crate::ingest::take_over_item`.
fn take_over_item(tx: &mut Transaction<'_>, id: i64, feed_id: i64, item: &Item) -> Result<()> {
    let published = item.published_at.map(fmt_time);
    tx.execute(
        "UPDATE items SET feed_id = $2, guid = $3, url = COALESCE($4, url), original_url = $5, title = $6,
            summary = $7, author = $8, published_at = COALESCE($9, published_at),
            date_source = CASE WHEN $9::text IS NULL THEN date_source ELSE $10 END,
            date_evidence = CASE WHEN $9::text IS NULL THEN date_evidence ELSE $12 END,
            sort_at = COALESCE($9, sort_at), identity = $11,
            page_reason = CASE WHEN page_checked_at IS NULL THEN $13 ELSE page_reason END
         WHERE id = $1",
        &[
            &id,
            &feed_id,
            &item.guid,
            &item.url,
            &item.original_url,
            &item.title,
            &item.summary,
            &item.author,
            &published,
            &item.date_source.as_str(),
            &item.identity.as_str(),
            &item.date_evidence,
            &item.page_reason.map(PageReason::as_str),
        ],
    )?;
    reindex(tx, &[id])
}

/// Writes the search vector of `ids` from their title and summary as they now are.
pub(super) fn reindex(tx: &mut impl postgres::GenericClient, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = tx.query(
        "SELECT id, title, summary FROM items WHERE id = ANY($1) ORDER BY id",
        &[&ids],
    )?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let vectors: Vec<String> = rows
        .iter()
        .map(|r| search::vector(r.get(1), r.get::<_, Option<&str>>(2)))
        .collect();
    tx.execute(
        "UPDATE items i SET search = c.v::tsvector FROM unnest($1::bigint[], $2::text[]) AS c(id, v)
         WHERE i.id = c.id",
        &[&ids, &vectors],
    )?;
    Ok(())
}
