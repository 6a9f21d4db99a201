//! The store's roles: what a run needs to ingest, what readers need, what a cut needs.
//!
//! Drawn by role with coarse operations, so that a second backend implements the same few
//! calls and a run, a reader or a server never see how rows are kept. Each operation has
//! a name its errors carry ([`crate::StoreError::during`]).

use crate::{
    FeedRow, FetchRecord, IngestCounts, ItemQuery, ItemRow, PageCandidate, PageFindings,
    RematchItem, Result, Sighting, SourceRecord, SqliteStore, TopicRow, Version, VersionStories,
    VersionSummary, WindowItem,
};
use chrono::{DateTime, Utc};
use dossier_model::{
    FeedSpec, FeedState, Grouping, HostHold, ItemKey, RunStats, TopicReason, TopicSpec,
};
use std::collections::HashMap;

/// One run of `dossier run`, as the store knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RunId(pub i64);

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Done,
    /// Every due feed failed, or the network was down.
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
        }
    }
}

/// What a run needs of a store: the config in, feed state out, fetches in, and the passes
/// after the fetches (near-duplicates, re-matching, article pages).
pub trait IngestStore: Send {
    /// Makes the stored feeds and topics those of the config; whether anything changed.
    fn sync_config(&mut self, feeds: &[FeedSpec], topics: &[TopicSpec]) -> Result<bool>;
    /// The state of every active feed, by key.
    fn feed_states(&self) -> Result<HashMap<String, FeedState>>;
    /// The hosts a server's `Retry-After` still holds at `now`.
    fn active_holds(&self, now: DateTime<Utc>) -> Result<Vec<HostHold>>;
    /// Starts a run: what it stores from now on is its own.
    fn begin_run(&mut self, now: DateTime<Utc>) -> Result<RunId>;
    /// Records fetches, each whole or not at all: one result per fetch, in order.
    fn record_fetches(
        &mut self,
        batch: &[FetchRecord<'_>],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<Result<IngestCounts>>>;
    /// The earliest date among the items `run` stored, if it stored any.
    fn earliest_new(&self, run: RunId) -> Result<Option<DateTime<Utc>>>;
    /// Hands `each` every item dated (or first seen) at or after `since`, oldest first, each
    /// said to be new when `run` stored it (and then with its summary).
    fn near_dup_window(
        &self,
        run: RunId,
        since: DateTime<Utc>,
        each: &mut dyn FnMut(WindowItem<'_>),
    ) -> Result<()>;
    /// The item each key names, for the keys some item has.
    fn resolve_keys(&self, keys: &[ItemKey]) -> Result<HashMap<ItemKey, i64>>;
    /// Records `(copy, original)` pairs; how many were recorded.
    fn mark_duplicates(&mut self, pairs: &[(i64, i64)]) -> Result<u64>;
    /// Each active topic's rules hash, `None` for one never matched yet.
    fn topic_rule_hashes(&self) -> Result<HashMap<String, Option<String>>>;
    /// Items dated (or first seen) at or after `since`, with the keys of their feeds.
    fn items_for_rematch(&self, since: DateTime<Utc>) -> Result<Vec<RematchItem>>;
    /// Makes the topic's attachments among `considered` those of `matches`; what was
    /// (added, removed). Attachments through the topic's own feeds, and versions, stay.
    fn retag_topic(
        &mut self,
        slug: &str,
        considered: &[i64],
        matches: &[(i64, TopicReason)],
        now: DateTime<Utc>,
    ) -> Result<(usize, usize)>;
    fn set_topic_rule_hash(&mut self, slug: &str, hash: &str) -> Result<()>;
    /// Items whose page is worth reading, newest first, at most `limit`.
    fn page_candidates(&self, limit: usize) -> Result<Vec<PageCandidate>>;
    /// Records what an item's page gave; whether it dated the item.
    fn apply_page(
        &mut self,
        item_id: i64,
        found: &PageFindings,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    fn finish_run(
        &mut self,
        run: RunId,
        stats: &RunStats,
        status: RunStatus,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The run's host leases (after [`IngestStore::begin_run`]), on a backend where runs
    /// on several machines share the store and claim the hosts they fetch; `None` where
    /// one run writes at a time (SQLite, behind the run lock) and takes every due feed.
    fn leases(&mut self, ttl: std::time::Duration) -> Result<Option<Box<dyn HostLeases>>> {
        let _ = ttl;
        Ok(None)
    }
}

/// Which feeds a run claims hosts for.
#[derive(Debug, Clone, Copy)]
pub enum Pick<'a> {
    /// The feeds that are due, but on the hosts in `skip`.
    Due { skip: &'a [String] },
    /// These feeds (by key), due or not (`run --all`, `run --feed`), but on `skip`.
    Feeds {
        keys: &'a [String],
        skip: &'a [String],
    },
}

/// A host a run now holds, with the feeds it is to fetch there.
#[derive(Debug, Clone, PartialEq)]
pub struct HostClaim {
    /// `host:port`.
    pub host: String,
    /// A server's `Retry-After` that still holds the host (set by any run).
    pub hold: Option<HostHold>,
    pub feeds: Vec<FeedState>,
}

/// A run's claims on hosts, for runs that share a store (see [`IngestStore::leases`]).
/// Used from a thread of its own (never a tokio worker): the lease thread.
pub trait HostLeases: Send {
    /// Claims up to `max_hosts` hosts no other run holds that have feeds `pick` wants,
    /// and hands back those feeds' states; empty when there are none left.
    fn claim(&mut self, max_hosts: usize, pick: &Pick<'_>) -> Result<Vec<HostClaim>>;
    /// Says which feeds of a claimed host (by key) the run fetches: the host is given
    /// back once they are all recorded, at once when there are none.
    fn handed_out(&mut self, host: &str, feeds: &[String]) -> Result<()>;
    /// Keeps the run's claims, and the run, alive for another lease period.
    fn renew(&mut self) -> Result<()>;
    /// Gives back every host the run still holds.
    fn release_all(&mut self) -> Result<()>;
}

/// What readers need: the JSON shapes of the contract.
pub trait ReadStore {
    fn items(&self, q: &ItemQuery) -> Result<Vec<ItemRow>>;
    /// One item, with every sighting of it.
    fn item(&self, id: i64) -> Result<Option<(ItemRow, Vec<Sighting>)>>;
    fn feeds(&self) -> Result<Vec<FeedRow>>;
    fn topics(&self) -> Result<Vec<TopicRow>>;
    /// Version `n` of a topic (the latest when `None`); `None` when there is no such.
    fn version(&self, slug: &str, n: Option<i64>) -> Result<Option<Version>>;
    fn versions(&self, slug: &str) -> Result<Vec<VersionSummary>>;
    /// The stories of version `n` of a topic (the latest when `None`), as frozen when it
    /// was cut; `None` when there is no such version. A version cut before the store kept
    /// stories has its frozen sources grouped by `group` instead, and nothing is stored.
    fn stories(
        &self,
        slug: &str,
        n: Option<i64>,
        group: Grouping,
    ) -> Result<Option<VersionStories>>;
    /// Source `[n]` of a topic across its versions; `None` when the topic has no such
    /// number (an unknown topic is an error).
    fn source(&self, slug: &str, n: i64) -> Result<Option<SourceRecord>>;
}

/// What cutting a version needs.
pub trait VersionStore {
    /// Freezes the topic's next version, with its sources grouped into stories by
    /// `group` in the same transaction, and hands the version back.
    fn cut_version(&mut self, slug: &str, now: DateTime<Utc>, group: Grouping) -> Result<Version>;
}

impl IngestStore for SqliteStore {
    fn sync_config(&mut self, feeds: &[FeedSpec], topics: &[TopicSpec]) -> Result<bool> {
        SqliteStore::sync_config(self, feeds, topics).map_err(|e| e.during("sync the config"))
    }

    fn feed_states(&self) -> Result<HashMap<String, FeedState>> {
        SqliteStore::feed_states(self).map_err(|e| e.during("read the feeds' state"))
    }

    fn active_holds(&self, now: DateTime<Utc>) -> Result<Vec<HostHold>> {
        SqliteStore::active_holds(self, now).map_err(|e| e.during("read the host holds"))
    }

    fn begin_run(&mut self, now: DateTime<Utc>) -> Result<RunId> {
        SqliteStore::begin_run(self, now).map_err(|e| e.during("begin the run"))
    }

    fn record_fetches(
        &mut self,
        batch: &[FetchRecord<'_>],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<Result<IngestCounts>>> {
        SqliteStore::record_fetches(self, batch, seen_at)
            .map(|each| {
                each.into_iter()
                    .map(|r| r.map_err(|e| e.during("record a fetch")))
                    .collect()
            })
            .map_err(|e| e.during("record fetches"))
    }

    fn earliest_new(&self, run: RunId) -> Result<Option<DateTime<Utc>>> {
        SqliteStore::earliest_new(self, run).map_err(|e| e.during("find the run's new items"))
    }

    fn near_dup_window(
        &self,
        run: RunId,
        since: DateTime<Utc>,
        each: &mut dyn FnMut(WindowItem<'_>),
    ) -> Result<()> {
        SqliteStore::near_dup_window(self, run, since, each)
            .map_err(|e| e.during("read the near-duplicate window"))
    }

    fn resolve_keys(&self, keys: &[ItemKey]) -> Result<HashMap<ItemKey, i64>> {
        SqliteStore::resolve_keys(self, keys).map_err(|e| e.during("look up item keys"))
    }

    fn mark_duplicates(&mut self, pairs: &[(i64, i64)]) -> Result<u64> {
        SqliteStore::mark_duplicates(self, pairs).map_err(|e| e.during("mark duplicates"))
    }

    fn topic_rule_hashes(&self) -> Result<HashMap<String, Option<String>>> {
        SqliteStore::topic_rule_hashes(self).map_err(|e| e.during("read the topics' rules"))
    }

    fn items_for_rematch(&self, since: DateTime<Utc>) -> Result<Vec<RematchItem>> {
        SqliteStore::items_for_rematch(self, since)
            .map_err(|e| e.during("read recent items to match again"))
    }

    fn retag_topic(
        &mut self,
        slug: &str,
        considered: &[i64],
        matches: &[(i64, TopicReason)],
        now: DateTime<Utc>,
    ) -> Result<(usize, usize)> {
        SqliteStore::retag_topic(self, slug, considered, matches, now)
            .map_err(|e| e.during("match a topic's items again"))
    }

    fn set_topic_rule_hash(&mut self, slug: &str, hash: &str) -> Result<()> {
        SqliteStore::set_topic_rule_hash(self, slug, hash)
            .map_err(|e| e.during("record a topic's rules"))
    }

    fn page_candidates(&self, limit: usize) -> Result<Vec<PageCandidate>> {
        SqliteStore::page_candidates(self, limit)
            .map_err(|e| e.during("find the article pages to read"))
    }

    fn apply_page(
        &mut self,
        item_id: i64,
        found: &PageFindings,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        SqliteStore::apply_page(self, item_id, found, now)
            .map_err(|e| e.during("record an article page"))
    }

    fn finish_run(
        &mut self,
        run: RunId,
        stats: &RunStats,
        status: RunStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        SqliteStore::finish_run(self, run, stats, status, now)
            .map_err(|e| e.during("finish the run"))
    }
}

impl ReadStore for SqliteStore {
    fn items(&self, q: &ItemQuery) -> Result<Vec<ItemRow>> {
        SqliteStore::items(self, q).map_err(|e| e.during("read items"))
    }

    fn item(&self, id: i64) -> Result<Option<(ItemRow, Vec<Sighting>)>> {
        SqliteStore::item(self, id).map_err(|e| e.during("read an item"))
    }

    fn feeds(&self) -> Result<Vec<FeedRow>> {
        SqliteStore::feeds(self).map_err(|e| e.during("read the feeds"))
    }

    fn topics(&self) -> Result<Vec<TopicRow>> {
        SqliteStore::topics(self).map_err(|e| e.during("read the topics"))
    }

    fn version(&self, slug: &str, n: Option<i64>) -> Result<Option<Version>> {
        SqliteStore::version(self, slug, n).map_err(|e| e.during("read a version"))
    }

    fn versions(&self, slug: &str) -> Result<Vec<VersionSummary>> {
        SqliteStore::versions(self, slug).map_err(|e| e.during("list versions"))
    }

    fn stories(
        &self,
        slug: &str,
        n: Option<i64>,
        group: Grouping,
    ) -> Result<Option<VersionStories>> {
        SqliteStore::stories(self, slug, n, group).map_err(|e| e.during("read a version's stories"))
    }

    fn source(&self, slug: &str, n: i64) -> Result<Option<SourceRecord>> {
        SqliteStore::source(self, slug, n).map_err(|e| e.during("read a source"))
    }
}

impl VersionStore for SqliteStore {
    fn cut_version(&mut self, slug: &str, now: DateTime<Utc>, group: Grouping) -> Result<Version> {
        SqliteStore::cut_version(self, slug, now, group).map_err(|e| e.during("cut a version"))
    }
}
