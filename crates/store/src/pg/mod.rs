//! The PostgreSQL store: the same three roles as [`crate::SqliteStore`], for stores that
//! outgrow one machine (several fetch machines, readers on other hosts).
//!
//! A sync client (the `postgres` crate) keeps the shape of the SQLite store: one writer
//! thread owns one connection, readers open their own. That client runs its own small
//! runtime, so it is never called from a tokio worker thread (it would panic there): a
//! run calls it before and after its fetching pass, from the writer thread, and from the
//! lease thread ([`leases`]).
//!
//! What one writer took for granted is done by the database instead: runs on several
//! machines claim whole hosts with leases that expire (by the database's clock), unique
//! keys decide which of two concurrent writers stored a story first (the other joins it),
//! cuts are serialised per topic by a row lock, and the config sync by an advisory lock.
//! Writes are set-based (arrays through `unnest`): a batch of feeds costs a dozen round
//! trips, not several per item. Migrations are this backend's own, append-only, tracked
//! in `dossier_schema`, applied under an advisory lock.

mod copy;
mod ingest;
mod leases;
mod passes;
mod read;
pub(crate) mod search;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
mod versions;

use crate::{
    FeedRow, FetchRecord, IngestCounts, IngestStore, ItemQuery, ItemRow, PageCandidate,
    PageFindings, ReadStore, RematchItem, Result, RunId, RunStatus, Sighting, SourceRecord,
    StoreError, TopicRow, Version, VersionStore, VersionStories, VersionSummary, WindowItem,
};
use chrono::{DateTime, Utc};
use dossier_model::{
    FeedSpec, FeedState, Grouping, HostHold, ItemKey, RunStats, TopicReason, TopicSpec,
};
use postgres::{Client, NoTls};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

pub use leases::PgLeases;

/// The schema, one entry per version; append only.
const MIGRATIONS: &[&str] = &[
    include_str!("../../pg/0001_initial.sql"),
    include_str!("../../pg/0002_stories.sql"),
    include_str!("../../pg/0003_ingest_links_by_the_writer.sql"),
];

/// The latest schema version this code knows.
pub const PG_SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Advisory lock keys (`pg_advisory_xact_lock`): one per thing done by one session at a
/// time. Arbitrary constants, "dossier" in ASCII and a number.
const MIGRATE_LOCK: i64 = 0x646f_7373_6965_0001;
const SYNC_LOCK: i64 = 0x646f_7373_6965_0002;

/// A PostgreSQL error that says what the server said (the client's own `Display` says
/// only "db error").
#[derive(Debug)]
pub(crate) struct PgError(pub(crate) postgres::Error);

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_db_error() {
            Some(db) => {
                write!(f, "{}: {}", db.severity(), db.message())?;
                if let Some(detail) = db.detail() {
                    write!(f, " ({detail})")?;
                }
                Ok(())
            }
            None => {
                // The client's error names its kind; what went wrong is in its source.
                write!(f, "{}", self.0)?;
                let mut cause = std::error::Error::source(&self.0);
                while let Some(c) = cause {
                    write!(f, ": {c}")?;
                    cause = c.source();
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        StoreError::Backend {
            op: crate::SOME_OPERATION,
            source: Box::new(PgError(e)),
        }
    }
}

/// Whether `location` names a PostgreSQL store rather than a SQLite file.
pub fn is_postgres_url(location: &str) -> bool {
    let lower = location.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// `url` without its password, to name the store in messages.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "the PostgreSQL store".to_string(),
    }
}

/// A store in a PostgreSQL database.
pub struct PgStore {
    /// Behind a lock so that readers (`&self`) can use it; never contended in practice:
    /// one thread uses a store at a time.
    client: Mutex<Client>,
    url: String,
    /// The run this store writes for ([`IngestStore::begin_run`]): new items carry it.
    run: Option<i64>,
    /// The hosts this run holds, when it claims them ([`IngestStore::leases`]).
    book: Option<Arc<leases::LeaseBook>>,
    /// The writer's statements, prepared once on this connection.
    prepared: HashMap<&'static str, postgres::Statement>,
    /// A second connection, for the second half of a big batch, and its statements.
    helper: Option<Client>,
    helper_prepared: HashMap<&'static str, postgres::Statement>,
}

fn connect(url: &str) -> Result<Client> {
    Client::connect(url, NoTls).map_err(|e| StoreError::Backend {
        op: "connect to the store",
        source: PgError(e).to_string().into(),
    })
}

impl PgStore {
    /// A store on `client`, connected to `url`.
    fn on(client: Client, url: &str) -> PgStore {
        PgStore {
            client: Mutex::new(client),
            url: url.to_string(),
            run: None,
            book: None,
            prepared: HashMap::new(),
            helper: None,
            helper_prepared: HashMap::new(),
        }
    }

    /// Connects to the store at `url` and brings its schema up to date.
    pub fn open(url: &str) -> Result<PgStore> {
        let mut store = PgStore::on(connect(url)?, url);
        store
            .migrate()
            .map_err(|e| e.during("bring the store's schema up to date"))?;
        store.refuse_unfinished_copy()?;
        Ok(store)
    }

    /// Connects to the store at `url` for reading only: the session refuses every write,
    /// nothing is created or migrated, and a store of another schema version is refused
    /// with what to do.
    pub fn open_read_only(url: &str) -> Result<PgStore> {
        let mut client = connect(url)?;
        client
            .batch_execute("SET default_transaction_read_only = on")
            .map_err(|e| StoreError::from(e).during("open the store to read"))?;
        let found = schema_version(&mut client)
            .map_err(|e| e.during("open the store to read"))?
            .ok_or_else(|| StoreError::Missing(redacted(url)))?;
        check_version(url, found)?;
        if found < PG_SCHEMA_VERSION {
            return Err(StoreError::OlderSchema {
                path: redacted(url),
                found,
                supported: PG_SCHEMA_VERSION,
            });
        }
        let mut store = PgStore::on(client, url);
        store.refuse_unfinished_copy()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let url = self.url.clone();
        let client = self.client_mut();
        if let Some(found) = schema_version(client)? {
            check_version(&url, found)?;
            if found == PG_SCHEMA_VERSION {
                return Ok(());
            }
        }
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])?;
        // Re-read under the lock: another process may have migrated meanwhile.
        tx.batch_execute("CREATE TABLE IF NOT EXISTS dossier_schema (version bigint NOT NULL)")?;
        let found: i64 = tx
            .query_opt("SELECT version FROM dossier_schema", &[])?
            .map_or(0, |r| r.get(0));
        check_version(&url, found)?;
        for sql in &MIGRATIONS[found.clamp(0, PG_SCHEMA_VERSION) as usize..] {
            tx.batch_execute(sql)?;
        }
        tx.execute("DELETE FROM dossier_schema", &[])?;
        tx.execute(
            "INSERT INTO dossier_schema(version) VALUES ($1)",
            &[&PG_SCHEMA_VERSION],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The connection, for a reader (`&self`).
    fn conn(&self) -> MutexGuard<'_, Client> {
        self.client
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn client_mut(&mut self) -> &mut Client {
        self.client
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The store's address, without its password.
    pub fn name(&self) -> String {
        redacted(&self.url)
    }
}

/// The store's schema version, `None` when it has none yet (an empty database).
fn schema_version(client: &mut Client) -> Result<Option<i64>> {
    let exists: bool = client
        .query_one("SELECT to_regclass('dossier_schema') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(None);
    }
    Ok(Some(
        client
            .query_opt("SELECT version FROM dossier_schema", &[])?
            .map_or(0, |r| r.get(0)),
    ))
}

fn check_version(url: &str, found: i64) -> Result<()> {
    if found > PG_SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: redacted(url),
            found,
            supported: PG_SCHEMA_VERSION,
        });
    }
    Ok(())
}

impl IngestStore for PgStore {
    fn sync_config(&mut self, feeds: &[FeedSpec], topics: &[TopicSpec]) -> Result<bool> {
        PgStore::sync_config(self, feeds, topics).map_err(|e| e.during("sync the config"))
    }

    fn feed_states(&self) -> Result<HashMap<String, FeedState>> {
        read::feed_states(&mut self.conn()).map_err(|e| e.during("read the feeds' state"))
    }

    fn active_holds(&self, now: DateTime<Utc>) -> Result<Vec<HostHold>> {
        read::active_holds(&mut self.conn(), now).map_err(|e| e.during("read the host holds"))
    }

    fn begin_run(&mut self, now: DateTime<Utc>) -> Result<RunId> {
        PgStore::begin_run(self, now).map_err(|e| e.during("begin the run"))
    }

    fn record_fetches(
        &mut self,
        batch: &[FetchRecord<'_>],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<Result<IngestCounts>>> {
        PgStore::record_fetches(self, batch, seen_at)
            .map(|each| {
                each.into_iter()
                    .map(|r| r.map_err(|e| e.during("record a fetch")))
                    .collect()
            })
            .map_err(|e| e.during("record fetches"))
    }

    fn earliest_new(&self, run: RunId) -> Result<Option<DateTime<Utc>>> {
        read::earliest_new(&mut self.conn(), run).map_err(|e| e.during("find the run's new items"))
    }

    fn near_dup_window(
        &self,
        run: RunId,
        since: DateTime<Utc>,
        each: &mut dyn FnMut(WindowItem<'_>),
    ) -> Result<()> {
        read::near_dup_window(&mut self.conn(), run, since, each)
            .map_err(|e| e.during("read the near-duplicate window"))
    }

    fn resolve_keys(&self, keys: &[ItemKey]) -> Result<HashMap<ItemKey, i64>> {
        read::resolve_keys(&mut self.conn(), keys).map_err(|e| e.during("look up item keys"))
    }

    fn mark_duplicates(&mut self, pairs: &[(i64, i64)]) -> Result<u64> {
        PgStore::mark_duplicates(self, pairs).map_err(|e| e.during("mark duplicates"))
    }

    fn topic_rule_hashes(&self) -> Result<HashMap<String, Option<String>>> {
        read::topic_rule_hashes(&mut self.conn()).map_err(|e| e.during("read the topics' rules"))
    }

    fn items_for_rematch(&self, since: DateTime<Utc>) -> Result<Vec<RematchItem>> {
        read::items_for_rematch(&mut self.conn(), since)
            .map_err(|e| e.during("read recent items to match again"))
    }

    fn retag_topic(
        &mut self,
        slug: &str,
        considered: &[i64],
        matches: &[(i64, TopicReason)],
        now: DateTime<Utc>,
    ) -> Result<(usize, usize)> {
        PgStore::retag_topic(self, slug, considered, matches, now)
            .map_err(|e| e.during("match a topic's items again"))
    }

    fn set_topic_rule_hash(&mut self, slug: &str, hash: &str) -> Result<()> {
        self.client_mut()
            .execute(
                "UPDATE topics SET rules_hash = $2 WHERE slug = $1",
                &[&slug, &hash],
            )
            .map(|_| ())
            .map_err(|e| StoreError::from(e).during("record a topic's rules"))
    }

    fn page_candidates(&self, limit: usize) -> Result<Vec<PageCandidate>> {
        passes::claim_pages(&mut self.conn(), limit)
            .map_err(|e| e.during("find the article pages to read"))
    }

    fn apply_page(
        &mut self,
        item_id: i64,
        found: &PageFindings,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        PgStore::apply_page(self, item_id, found, now)
            .map_err(|e| e.during("record an article page"))
    }

    fn finish_run(
        &mut self,
        run: RunId,
        stats: &RunStats,
        status: RunStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        PgStore::finish_run(self, run, stats, status, now).map_err(|e| e.during("finish the run"))
    }

    fn leases(&mut self, ttl: std::time::Duration) -> Result<Option<Box<dyn crate::HostLeases>>> {
        PgStore::leases(self, ttl)
            .map(|l| Some(Box::new(l) as Box<dyn crate::HostLeases>))
            .map_err(|e| e.during("open the run's host leases"))
    }
}

impl ReadStore for PgStore {
    fn items(&self, q: &ItemQuery) -> Result<Vec<ItemRow>> {
        read::items(&mut self.conn(), q).map_err(|e| e.during("read items"))
    }

    fn item(&self, id: i64) -> Result<Option<(ItemRow, Vec<Sighting>)>> {
        read::item(&mut self.conn(), id).map_err(|e| e.during("read an item"))
    }

    fn feeds(&self) -> Result<Vec<FeedRow>> {
        read::feeds(&mut self.conn()).map_err(|e| e.during("read the feeds"))
    }

    fn topics(&self) -> Result<Vec<TopicRow>> {
        read::topics(&mut self.conn()).map_err(|e| e.during("read the topics"))
    }

    fn version(&self, slug: &str, n: Option<i64>) -> Result<Option<Version>> {
        read::version(&mut self.conn(), slug, n).map_err(|e| e.during("read a version"))
    }

    fn versions(&self, slug: &str) -> Result<Vec<VersionSummary>> {
        read::versions(&mut self.conn(), slug).map_err(|e| e.during("list versions"))
    }

    fn stories(
        &self,
        slug: &str,
        n: Option<i64>,
        group: Grouping,
    ) -> Result<Option<VersionStories>> {
        versions::stories(&mut self.conn(), slug, n, group)
            .map_err(|e| e.during("read a version's stories"))
    }

    fn source(&self, slug: &str, n: i64) -> Result<Option<SourceRecord>> {
        read::source_record(&mut self.conn(), slug, n).map_err(|e| e.during("read a source"))
    }
}

impl VersionStore for PgStore {
    fn cut_version(&mut self, slug: &str, now: DateTime<Utc>, group: Grouping) -> Result<Version> {
        PgStore::cut_version(self, slug, now, group).map_err(|e| e.during("cut a version"))
    }
}
