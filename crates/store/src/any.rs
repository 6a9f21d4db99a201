//! Whichever backend the config names: [`Location`] says where a store is, [`AnyStore`]
//! opens it and answers every role by handing the call to the backend.

use crate::{
    FeedRow, FetchRecord, HostLeases, IngestCounts, IngestStore, ItemQuery, ItemRow, PageCandidate,
    PageFindings, ReadStore, RematchItem, Result, RunId, RunStatus, Sighting, SourceRecord,
    SqliteStore, TopicRow, Version, VersionStore, VersionStories, VersionSummary, WindowItem,
};
use chrono::{DateTime, Utc};
use dossier_model::{
    FeedSpec, FeedState, Grouping, HostHold, ItemKey, RunStats, TopicReason, TopicSpec,
};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// Where a store is: a SQLite file, or a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// A `postgres://` or `postgresql://` URL names PostgreSQL; anything else is the path
    /// of a SQLite file.
    pub fn parse(s: &str) -> Location {
        let lower = s.trim_start().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Location::Postgres(s.trim().to_string())
        } else {
            Location::Sqlite(PathBuf::from(s))
        }
    }
}

impl fmt::Display for Location {
    /// The path, or the URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&redacted(url)),
        }
    }
}

/// `url` without its password.
fn redacted(url: &str) -> String {
    #[cfg(feature = "postgres")]
    {
        crate::pg::redacted(url)
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = url;
        "a PostgreSQL store".to_string()
    }
}

/// A store of either backend.
pub enum AnyStore {
    Sqlite(SqliteStore),
    #[cfg(feature = "postgres")]
    Postgres(Box<crate::PgStore>),
}

impl AnyStore {
    /// Opens (creating or upgrading as needed) the store at `at`.
    pub fn open(at: &Location) -> Result<AnyStore> {
        match at {
            Location::Sqlite(path) => SqliteStore::open(path).map(AnyStore::Sqlite),
            Location::Postgres(url) => open_postgres(url, false),
        }
    }

    /// Opens the store at `at` for reading only (see [`SqliteStore::open_read_only`]).
    pub fn open_read_only(at: &Location) -> Result<AnyStore> {
        match at {
            Location::Sqlite(path) => SqliteStore::open_read_only(path).map(AnyStore::Sqlite),
            Location::Postgres(url) => open_postgres(url, true),
        }
    }
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str, read_only: bool) -> Result<AnyStore> {
    let store = if read_only {
        crate::PgStore::open_read_only(url)?
    } else {
        crate::PgStore::open(url)?
    };
    Ok(AnyStore::Postgres(Box::new(store)))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str, _read_only: bool) -> Result<AnyStore> {
    Err(crate::StoreError::Backend {
        op: "open the store",
        source: "this dossier was built without PostgreSQL (the `postgres` feature)".into(),
    })
}

/// Hands a call to whichever backend the store is.
macro_rules! each {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $call,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres($s) => $call,
        }
    };
}

impl IngestStore for AnyStore {
    fn sync_config(&mut self, feeds: &[FeedSpec], topics: &[TopicSpec]) -> Result<bool> {
        each!(self, s => s.sync_config(feeds, topics))
    }
    fn feed_states(&self) -> Result<HashMap<String, FeedState>> {
        each!(self, s => s.feed_states())
    }
    fn active_holds(&self, now: DateTime<Utc>) -> Result<Vec<HostHold>> {
        each!(self, s => s.active_holds(now))
    }
    fn begin_run(&mut self, now: DateTime<Utc>) -> Result<RunId> {
        each!(self, s => s.begin_run(now))
    }
    fn record_fetches(
        &mut self,
        batch: &[FetchRecord<'_>],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<Result<IngestCounts>>> {
        each!(self, s => s.record_fetches(batch, seen_at))
    }
    fn earliest_new(&self, run: RunId) -> Result<Option<DateTime<Utc>>> {
        each!(self, s => s.earliest_new(run))
    }
    fn near_dup_window(
        &self,
        run: RunId,
        since: DateTime<Utc>,
        each: &mut dyn FnMut(WindowItem<'_>),
    ) -> Result<()> {
        each!(self, s => s.near_dup_window(run, since, each))
    }
    fn resolve_keys(&self, keys: &[ItemKey]) -> Result<HashMap<ItemKey, i64>> {
        each!(self, s => s.resolve_keys(keys))
    }
    fn mark_duplicates(&mut self, pairs: &[(i64, i64)]) -> Result<u64> {
        each!(self, s => s.mark_duplicates(pairs))
    }
    fn topic_rule_hashes(&self) -> Result<HashMap<String, Option<String>>> {
        each!(self, s => s.topic_rule_hashes())
    }
    fn items_for_rematch(&self, since: DateTime<Utc>) -> Result<Vec<RematchItem>> {
        each!(self, s => s.items_for_rematch(since))
    }
    fn retag_topic(
        &mut self,
        slug: &str,
        considered: &[i64],
        matches: &[(i64, TopicReason)],
        now: DateTime<Utc>,
    ) -> Result<(usize, usize)> {
        each!(self, s => s.retag_topic(slug, considered, matches, now))
    }
    fn set_topic_rule_hash(&mut self, slug: &str, hash: &str) -> Result<()> {
        each!(self, s => s.set_topic_rule_hash(slug, hash))
    }
    fn page_candidates(&self, limit: usize) -> Result<Vec<PageCandidate>> {
        each!(self, s => s.page_candidates(limit))
    }
    fn apply_page(
        &mut self,
        item_id: i64,
        found: &PageFindings,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        each!(self, s => s.apply_page(item_id, found, now))
    }
    fn finish_run(
        &mut self,
        run: RunId,
        stats: &RunStats,
        status: RunStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        each!(self, s => s.finish_run(run, stats, status, now))
    }
    fn leases(&mut self, ttl: std::time::Duration) -> Result<Option<Box<dyn HostLeases>>> {
        each!(self, s => s.leases(ttl))
    }
}

impl ReadStore for AnyStore {
    fn items(&self, q: &ItemQuery) -> Result<Vec<ItemRow>> {
        each!(self, s => s.items(q))
    }
    fn item(&self, id: i64) -> Result<Option<(ItemRow, Vec<Sighting>)>> {
        each!(self, s => s.item(id))
    }
    fn feeds(&self) -> Result<Vec<FeedRow>> {
        each!(self, s => s.feeds())
    }
    fn topics(&self) -> Result<Vec<TopicRow>> {
        each!(self, s => s.topics())
    }
    fn version(&self, slug: &str, n: Option<i64>) -> Result<Option<Version>> {
        each!(self, s => s.version(slug, n))
    }
    fn versions(&self, slug: &str) -> Result<Vec<VersionSummary>> {
        each!(self, s => s.versions(slug))
    }
    fn stories(
        &self,
        slug: &str,
        n: Option<i64>,
        group: Grouping,
    ) -> Result<Option<VersionStories>> {
        each!(self, s => s.stories(slug, n, group))
    }
    fn source(&self, slug: &str, n: i64) -> Result<Option<SourceRecord>> {
        each!(self, s => s.source(slug, n))
    }
}

impl VersionStore for AnyStore {
    fn cut_version(&mut self, slug: &str, now: DateTime<Utc>, group: Grouping) -> Result<Version> {
        each!(self, s => s.cut_version(slug, now, group))
    }
}
