//! The store: every item with its provenance, behind traits drawn by role.
//!
//! What a run needs to ingest ([`IngestStore`]), what readers need ([`ReadStore`]) and
//! what a cut needs ([`VersionStore`]) are coarse operations: a run hands over whole
//! fetches and gets counts back, a reader asks for rows in the contract's JSON shapes. No
//! backend type crosses the boundary, and every error says which operation failed
//! ([`StoreError::Backend`]). [`SqliteStore`] is the first implementation: one SQLite
//! file, a single writer (the run feeds it through a bounded channel) and one transaction
//! per fetched feed, so a crash or a failure leaves whole feeds or nothing. Readers open
//! their own connections, read-only ([`SqliteStore::open_read_only`]), and under WAL see a
//! consistent snapshot while a run writes. Migrations are append-only SQL files embedded in
//! the binary and tracked by `PRAGMA user_version`; a store written by a newer dossier is
//! refused rather than misread. Dossier versions are immutable (triggers refuse any
//! change) and keep each item's source number across versions; a version's stories (its
//! sources grouped by event, by the method the cut is handed) are frozen with it.

mod any;
mod cjk;
pub mod copy;
mod ingest;
mod neardup;
mod pages;
#[cfg(feature = "postgres")]
pub mod pg;
mod query;
mod rematch;
mod sources;
mod sqlite_copy;
mod stories;
mod traits;
mod versions;
pub mod view;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;
use std::time::Duration;

pub use crate::any::{AnyStore, Location};
pub use crate::ingest::{FetchRecord, IngestCounts};
pub use crate::neardup::WindowItem;
pub use crate::pages::{PageCandidate, PageFindings};
#[cfg(feature = "postgres")]
pub use crate::pg::PgStore;
pub use crate::query::{FeedRow, ItemCursor, ItemQuery, ItemRow, Sighting, TopicRow};
pub use crate::rematch::RematchItem;
pub use crate::sources::{SourceCopy, SourceRecord};
pub use crate::stories::{
    VersionStories, VersionStory, group_on_read, number_stories, story_sources,
};
pub use crate::traits::{
    HostClaim, HostLeases, IngestStore, Pick, ReadStore, RunId, RunStatus, VersionStore,
};
pub use crate::versions::{Source, Version, VersionSummary, cut_title};

/// The schema, one entry per version; append only.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_fetch_manners.sql"),
    include_str!("../migrations/0003_article_pages.sql"),
    include_str!("../migrations/0004_topic_rules.sql"),
    include_str!("../migrations/0005_fts_per_transaction.sql"),
    include_str!("../migrations/0006_page_reason.sql"),
    include_str!("../migrations/0007_holds_and_config.sql"),
    include_str!("../migrations/0008_cjk_search.sql"),
    include_str!("../migrations/0009_items_by_run.sql"),
    include_str!("../migrations/0010_stories.sql"),
    include_str!("../migrations/0011_duplicates_index.sql"),
];

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed while doing `op` ("record fetches", "read items", …).
    #[error("cannot {op}: {source}")]
    Backend {
        op: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(
        "store {path} has schema version {found}, newer than this dossier supports ({supported}); \
         upgrade dossier to read it"
    )]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error(
        "store {path} has schema version {found}, older than this dossier's ({supported}); \
         a `dossier run` upgrades it"
    )]
    OlderSchema {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("no store at {0} yet: `dossier run` creates it")]
    Missing(String),
    #[error(
        "store {path} is an unfinished copy ({detail}): it is not to be trusted; remove it and \
         run `dossier store copy` again"
    )]
    UnfinishedCopy { path: String, detail: String },
    #[error("cannot copy the store: {0}")]
    Copy(String),
    #[error("unknown topic `{0}`")]
    UnknownTopic(String),
    #[error("unknown feed `{0}`")]
    UnknownFeed(String),
    /// A grouping that does not put each source of a version in exactly one story.
    #[error("the stories of a version must hold each of its sources once: {0}")]
    Stories(String),
}

/// The operation named when an error is not tied to one yet; [`StoreError::during`] names
/// the real one at the trait boundary.
pub(crate) const SOME_OPERATION: &str = "use the store";

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Backend {
            op: SOME_OPERATION,
            source: Box::new(e),
        }
    }
}

impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> StoreError {
        StoreError::Backend {
            op: SOME_OPERATION,
            source: Box::new(e),
        }
    }
}

impl StoreError {
    /// The error, said to have happened while doing `op` (unless it already names one).
    pub fn during(self, op: &'static str) -> StoreError {
        match self {
            StoreError::Backend { op: o, source } if o == SOME_OPERATION => {
                StoreError::Backend { op, source }
            }
            other => other,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The latest schema version this code knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A store in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    /// The run this store is writing for ([`IngestStore::begin_run`]): new items carry it.
    run: Option<i64>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        SqliteStore::init(conn, &path.display().to_string())
    }

    /// Opens the store at `path` for reading only: nothing is created, migrated or
    /// written, so it works on a store file the reader may not write (and while a run
    /// writes). A store of another schema version is refused with what to do.
    pub fn open_read_only(path: &Path) -> Result<SqliteStore> {
        let name = path.display().to_string();
        if !path.exists() {
            return Err(StoreError::Missing(name));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::from(e).during("open the store to read"))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        cjk::register(&conn)?;
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| StoreError::from(e).during("open the store to read"))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: name,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found < SCHEMA_VERSION {
            return Err(StoreError::OlderSchema {
                path: name,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let store = SqliteStore { conn, run: None };
        store.refuse_unfinished_copy(&name)?;
        Ok(store)
    }

    /// A private in-memory store, for tests.
    pub fn open_in_memory() -> Result<SqliteStore> {
        SqliteStore::init(Connection::open_in_memory()?, ":memory:")
    }

    fn init(conn: Connection, name: &str) -> Result<SqliteStore> {
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A fixed plan per statement, whatever the values bound: without it this build of
        // SQLite (STAT4) recompiles the key lookup of every item on every call, an eighth
        // of a run's time (BENCHMARKS.md, "End-to-end ingest").
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        // A checkpoint every 10,000 WAL pages (40 MB) instead of 1,000: a page written
        // by several transactions between checkpoints is copied back once, which at a
        // million items keeps the ingest rate at half the empty-store rate or better
        // (BENCHMARKS.md, "The store at scale").
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        // The index of unspaced scripts is kept by triggers that call this.
        cjk::register(&conn)?;
        let mut store = SqliteStore { conn, run: None };
        store
            .migrate(name)
            .map_err(|e| e.during("bring the store's schema up to date"))?;
        store.refuse_unfinished_copy(name)?;
        Ok(store)
    }

    fn migrate(&mut self, name: &str) -> Result<()> {
        let found: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: name.to_string(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Re-read inside the write lock: another process may have migrated meanwhile.
        let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for sql in &MIGRATIONS[found.clamp(0, SCHEMA_VERSION) as usize..] {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(())
    }

    /// A store that a `store copy` began and never finished is no store to read or write.
    fn refuse_unfinished_copy(&self, name: &str) -> Result<()> {
        let note: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [copy::UNFINISHED],
                |r| r.get(0),
            )
            .optional()?;
        match note {
            Some(detail) => Err(StoreError::UnfinishedCopy {
                path: name.to_string(),
                detail,
            }),
            None => Ok(()),
        }
    }

    /// The underlying connection, for tests of the schema itself.
    #[cfg(any(test, feature = "test-support"))]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_store_is_at_the_latest_schema() {
        let store = SqliteStore::open_in_memory().unwrap();
        let v: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn a_newer_store_is_refused() {
        let dir = std::env::temp_dir().join(format!("dossier-newer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sqlite");
        let _ = std::fs::remove_file(&path);
        drop(SqliteStore::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = SqliteStore::open(&path)
            .err()
            .expect("newer schema must be refused");
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
        assert!(err.to_string().contains("newer than this dossier supports"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_version_1_store_is_upgraded_in_place() {
        let dir = std::env::temp_dir().join(format!("dossier-upgrade-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO feeds(key, name, label, url, kind, etag) VALUES ('a', 'a', 'a', 'https://a.example/', 'feed', '\"e\"')",
                [],
            )
            .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        let v: i64 = s
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let (etag, disabled): (String, Option<String>) = s
            .conn
            .query_row("SELECT etag, disabled_reason FROM feeds", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((etag.as_str(), disabled), ("\"e\"", None));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Items stored before schema version 6 get the page reason the old query gave them,
    /// their AMP links found in `original_url` (the `url` of that time held a guess).
    #[test]
    fn a_version_5_store_gets_page_reasons_from_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..5] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 5).unwrap();
            conn.execute(
                "INSERT INTO feeds(id, key, name, label, url, kind) VALUES (1, 'a', 'a', 'a', 'https://a.example/', 'feed')",
                [],
            )
            .unwrap();
            for (id, url, original, source, checked) in [
                (
                    1,
                    "https://n.example/story",
                    "https://n.example/amp/story",
                    "feed",
                    None,
                ),
                (
                    2,
                    "https://n.example/plain",
                    "https://n.example/plain",
                    "feed",
                    None,
                ),
                (
                    3,
                    "https://n.example/undated",
                    "https://n.example/undated",
                    "first_seen",
                    None,
                ),
                (
                    4,
                    "https://n.example/dated-by-url",
                    "https://n.example/2026/05/20/x",
                    "url",
                    None,
                ),
                (
                    5,
                    "http://feedproxy.google.com/~r/x/~3/y",
                    "http://feedproxy.google.com/~r/x/~3/y",
                    "feed",
                    None,
                ),
                (
                    6,
                    "https://n.example/old",
                    "https://amp.n.example/old",
                    "feed",
                    Some("2026-05-01T00:00:00Z"),
                ),
            ] {
                conn.execute(
                    "INSERT INTO items(id, feed_id, url, original_url, title, date_source, first_seen_at, sort_at,
                        identity, page_checked_at)
                     VALUES (?1, 1, ?2, ?3, 't', ?4, '2026-05-20T00:00:00Z', '2026-05-20T00:00:00Z', 'link', ?5)",
                    rusqlite::params![id, url, original, source, checked],
                )
                .unwrap();
            }
        }
        let s = SqliteStore::open(&path).unwrap();
        let reasons: Vec<(i64, Option<String>)> = s
            .conn
            .prepare("SELECT id, page_reason FROM items ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let r = |s: &str| Some(s.to_string());
        assert_eq!(
            reasons,
            vec![
                (1, r("amp")),
                (2, None),
                (3, r("undated")),
                (4, r("url_date")),
                (5, r("redirect")),
                (6, None)
            ]
        );
        let pages: Vec<(i64, String)> = s
            .page_candidates(10)
            .unwrap()
            .into_iter()
            .map(|c| (c.item_id, c.url))
            .collect();
        assert_eq!(
            pages[3],
            (1, "https://n.example/amp/story".to_string()),
            "the feed's link, not the guess"
        );
    }

    #[test]
    fn reopening_keeps_data_and_schema() {
        let dir = std::env::temp_dir().join(format!("dossier-reopen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let s = SqliteStore::open(&path).unwrap();
            s.conn
                .execute("INSERT INTO topics(slug, title) VALUES ('a', 'A')", [])
                .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        let n: i64 = s
            .conn
            .query_row("SELECT count(*) FROM topics", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
