//! `dossier store copy`: a whole store into an empty one of either backend, table by
//! table, nothing lost: the same rows with the same ids, so items, keys, sightings, topic
//! links, versions, stories and source numbers read the same from the copy, and `version
//! show` prints the same text.
//!
//! Both backends hold the same tables and columns ([`TABLES`]); what one backend derives
//! for itself is left out and made again on the way in (SQLite's search indexes,
//! PostgreSQL's search vectors, host rows and sequences). The source is opened read-only.
//! The target is marked unfinished (`meta.copy_unfinished`) before the first row goes
//! in, and the mark goes in the last transaction: a copy killed halfway is refused by
//! every command, never read as a store with half its items.

use crate::{AnyStore, Location, Result, StoreError};

/// A value of a copied column: every column of the store is an integer or text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

/// How a column is typed in both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
}

/// A table as the copy reads and writes it: its columns, and the column it is read in
/// order of (its key).
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    pub order_by: &'static str,
}

use Kind::{Int as I, Text as T};

/// Every table the copy carries, parents before children.
pub const TABLES: &[Table] = &[
    Table {
        name: "meta",
        columns: &[("key", T), ("value", T)],
        order_by: "key",
    },
    Table {
        name: "topics",
        columns: &[
            ("id", I),
            ("slug", T),
            ("title", T),
            ("active", I),
            ("rules_hash", T),
        ],
        order_by: "id",
    },
    Table {
        name: "feeds",
        columns: &[
            ("id", I),
            ("key", T),
            ("name", T),
            ("label", T),
            ("url", T),
            ("kind", T),
            ("topics", T),
            ("active", I),
            ("etag", T),
            ("last_modified", T),
            ("last_fetch_at", T),
            ("last_status", T),
            ("error_class", T),
            ("last_error", T),
            ("consecutive_failures", I),
            ("next_due_at", T),
            ("moved_to", T),
            ("items", I),
            ("disabled_reason", T),
            ("final_url", T),
            ("body_hash", T),
            ("last_full_fetch_at", T),
            ("warning", T),
        ],
        order_by: "id",
    },
    Table {
        name: "runs",
        columns: &[
            ("id", I),
            ("started_at", T),
            ("finished_at", T),
            ("status", T),
            ("feeds", I),
            ("fetched", I),
            ("not_modified", I),
            ("failed", I),
            ("items_new", I),
            ("items_duplicate", I),
            ("dated_from_pages", I),
            ("deferred", I),
            ("not_fetched", I),
        ],
        order_by: "id",
    },
    Table {
        name: "items",
        columns: &[
            ("id", I),
            ("feed_id", I),
            ("guid", T),
            ("url", T),
            ("original_url", T),
            ("title", T),
            ("summary", T),
            ("author", T),
            ("published_at", T),
            ("date_source", T),
            ("first_seen_at", T),
            ("updated_at", T),
            ("sort_at", T),
            ("identity", T),
            ("duplicate_of", I),
            ("date_evidence", T),
            ("page_checked_at", T),
            ("page_reason", T),
            ("first_run", I),
        ],
        order_by: "id",
    },
    Table {
        name: "item_keys",
        columns: &[("key", T), ("item_id", I)],
        order_by: "key",
    },
    Table {
        name: "sightings",
        columns: &[
            ("item_id", I),
            ("feed_id", I),
            ("original_url", T),
            ("first_seen_at", T),
            ("last_seen_at", T),
        ],
        order_by: "item_id, feed_id",
    },
    Table {
        name: "item_topics",
        columns: &[
            ("topic_id", I),
            ("item_id", I),
            ("reason", T),
            ("detail", T),
            ("via_feed_id", I),
            ("attached_at", T),
        ],
        order_by: "topic_id, item_id",
    },
    Table {
        name: "versions",
        columns: &[
            ("id", I),
            ("topic_id", I),
            ("number", I),
            ("title", T),
            ("created_at", T),
            ("item_count", I),
            ("new_items", I),
        ],
        order_by: "id",
    },
    Table {
        name: "version_sources",
        columns: &[
            ("version_id", I),
            ("n", I),
            ("item_id", I),
            ("title", T),
            ("url", T),
            ("label", T),
            ("published_at", T),
            ("date_source", T),
        ],
        order_by: "version_id, n",
    },
    Table {
        name: "source_numbers",
        columns: &[("topic_id", I), ("n", I), ("item_id", I)],
        order_by: "topic_id, n",
    },
    Table {
        name: "version_stories",
        columns: &[
            ("version_id", I),
            ("story", I),
            ("title", T),
            ("published_at", T),
        ],
        order_by: "version_id, story",
    },
    Table {
        name: "version_story_sources",
        columns: &[("version_id", I), ("n", I), ("story", I)],
        order_by: "version_id, n",
    },
    Table {
        name: "host_holds",
        columns: &[
            ("host", T),
            ("until", T),
            ("status", I),
            ("set_at", T),
            ("feed_key", T),
        ],
        order_by: "host",
    },
];

/// The `meta` key that marks an unfinished copy.
pub const UNFINISHED: &str = "copy_unfinished";

/// Rows are read and written this many at a time.
pub const BATCH: usize = 5_000;

/// What a backend does for a copy, as the source and as the target.
pub(crate) trait Tables {
    fn count(&self, table: &Table) -> Result<u64>;
    /// Hands `each` the table's rows in key order, [`BATCH`] at a time.
    fn scan(
        &self,
        table: &Table,
        each: &mut dyn FnMut(Vec<Vec<Value>>) -> Result<()>,
    ) -> Result<()>;
    /// Whether the store holds any feed, item or version (a copy goes into an empty one).
    fn is_empty(&self) -> Result<bool>;
    /// Writes the unfinished mark (its own transaction).
    fn mark_unfinished(&mut self, note: &str) -> Result<()>;
    /// Writes rows, in one transaction.
    fn insert(&mut self, table: &Table, rows: Vec<Vec<Value>>) -> Result<()>;
    /// Sets the items' `duplicate_of`, written after every item is in (an item may be a
    /// duplicate of one with a higher id).
    fn set_duplicates(&mut self, pairs: &[(i64, i64)]) -> Result<()>;
    /// Makes what the backend derives (indexes, sequences) and removes the mark, in one
    /// transaction: from then on the copy is a store.
    fn finish(&mut self) -> Result<()>;
}

/// How far a copy is: rows of `table` done of `total`.
#[derive(Debug, Clone, Copy)]
pub struct CopyProgress<'a> {
    pub table: &'a str,
    pub done: u64,
    pub total: u64,
}

/// What a copy carried, table by table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CopyReport {
    pub rows: Vec<(&'static str, u64)>,
}

fn tables(store: &AnyStore) -> &dyn Tables {
    match store {
        AnyStore::Sqlite(s) => s,
        #[cfg(feature = "postgres")]
        AnyStore::Postgres(s) => s.as_ref(),
    }
}

fn tables_mut(store: &mut AnyStore) -> &mut dyn Tables {
    match store {
        AnyStore::Sqlite(s) => s,
        #[cfg(feature = "postgres")]
        AnyStore::Postgres(s) => s.as_mut(),
    }
}

/// Copies the store at `from` into the empty store at `to` (created if need be).
pub fn copy_store(
    from: &Location,
    to: &Location,
    progress: &mut dyn FnMut(CopyProgress<'_>),
) -> Result<CopyReport> {
    if from == to {
        return Err(StoreError::Copy(format!(
            "{from} is the configured store itself: copy it somewhere else"
        )));
    }
    let source = AnyStore::open_read_only(from)?;
    let mut target = AnyStore::open(to)?;
    if !tables(&target).is_empty()? {
        return Err(StoreError::Copy(format!(
            "{to} already holds feeds, items or versions: a copy goes into an empty store"
        )));
    }
    let note = format!(
        "from {from}, started {}",
        dossier_model::fmt_time(chrono::Utc::now())
    );
    tables_mut(&mut target).mark_unfinished(&note)?;
    let src = tables(&source);
    let mut report = CopyReport::default();
    let mut duplicates: Vec<(i64, i64)> = Vec::new();
    for table in TABLES {
        let total = src.count(table)?;
        let mut done = 0u64;
        progress(CopyProgress {
            table: table.name,
            done,
            total,
        });
        let dup_at = (table.name == "items")
            .then(|| table.columns.iter().position(|c| c.0 == "duplicate_of"))
            .flatten();
        let sink = tables_mut(&mut target);
        src.scan(table, &mut |mut rows| {
            if let Some(at) = dup_at {
                for row in &mut rows {
                    if let (Value::Int(id), Value::Int(of)) = (&row[0], &row[at]) {
                        duplicates.push((*id, *of));
                    }
                    row[at] = Value::Null;
                }
            }
            // The mark is the target's own: the source's (there is none) never comes over.
            if table.name == "meta" {
                rows.retain(|r| r[0] != Value::Text(UNFINISHED.into()));
            }
            done += rows.len() as u64;
            sink.insert(table, rows)?;
            progress(CopyProgress {
                table: table.name,
                done,
                total,
            });
            Ok(())
        })?;
        report.rows.push((table.name, done));
    }
    let sink = tables_mut(&mut target);
    for chunk in duplicates.chunks(BATCH) {
        sink.set_duplicates(chunk)?;
    }
    sink.finish()?;
    Ok(report)
}

/// Reads every row of `table` from `store`, as the copy does (for tests that compare
/// stores row by row).
#[cfg(any(test, feature = "test-support"))]
pub fn scan_for_tests(
    store: &AnyStore,
    table: &Table,
    each: &mut dyn FnMut(Vec<Vec<Value>>),
) -> Result<()> {
    tables(store).scan(table, &mut |rows| {
        each(rows);
        Ok(())
    })
}
