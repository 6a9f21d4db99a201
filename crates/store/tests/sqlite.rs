//! The SQLite store: the conformance suite every backend passes, and what only SQLite
//! promises (triggers that keep versions immutable, index integrity, the run table).

mod conformance;

use conformance::{Backend, ok, setup, t0};
use dossier_store::{IngestStore, SqliteStore};

fn fresh() -> SqliteStore {
    SqliteStore::open_in_memory().unwrap()
}

/// Every conformance test on a fresh in-memory store.
macro_rules! on_sqlite {
    ($($name:ident),* $(,)?) => {
        conformance_tests!(fresh(); $($name),*);
    };
}
for_every_conformance_test!(on_sqlite);

/// The schema itself refuses any change to a version (the suite shows that reads see
/// the frozen copy; this shows that nothing can write past it).
#[test]
fn version_rows_refuse_edits_and_deletes() {
    let s = conformance::a_version_is_frozen_against_later_edits(fresh());
    let err = s
        .connection()
        .execute("UPDATE version_sources SET title = 'x'", [])
        .unwrap_err();
    assert!(err.to_string().contains("immutable"), "{err}");
    assert!(s.connection().execute("DELETE FROM versions", []).is_err());
}

/// The schema refuses any change to a version's stories, as it does to its sources.
#[test]
fn story_rows_refuse_edits_and_deletes() {
    let s = conformance::a_versions_stories_are_frozen_when_it_is_cut(fresh());
    let db = s.connection();
    for sql in [
        "UPDATE version_stories SET title = 'x'",
        "DELETE FROM version_stories",
        "UPDATE version_story_sources SET story = 1",
        "DELETE FROM version_story_sources",
    ] {
        let err = db.execute(sql, []).unwrap_err();
        assert!(
            err.to_string().contains("dossier versions are immutable"),
            "{sql}: {err}"
        );
    }
    let rows: i64 = db
        .query_row("SELECT count(*) FROM version_story_sources", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(rows, 3 + 4, "a row per source of each version");
}

/// After a take-over and an edit, the full-text index and the pair index match the items.
#[test]
fn both_search_indexes_stay_sound() {
    let s = conformance::a_take_over_inside_one_batch_leaves_a_sound_search_index(fresh());
    s.connection()
        .execute(
            "INSERT INTO items_fts(items_fts) VALUES ('integrity-check')",
            [],
        )
        .expect("the full-text index matches the items");
    let s = conformance::search_finds_substrings_in_scripts_written_without_spaces(fresh());
    s.connection()
        .execute(
            "INSERT INTO items_cjk(items_cjk, rank) VALUES ('integrity-check', 0)",
            [],
        )
        .expect("the pair index is sound");
}

/// A run the store finds still `running` when the next one begins was killed.
#[test]
fn an_interrupted_run_is_marked_as_such() {
    let mut s = setup(fresh());
    let first = s.begin_run(t0()).unwrap();
    s.begin_run(t0()).unwrap();
    let status: String = s
        .connection()
        .query_row("SELECT status FROM runs WHERE id = ?1", [first.0], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(status, "interrupted");
    let _ = ok(t0());
    fn is_backend(_: &impl Backend) {}
    is_backend(&s);
}

/// A reader opens the store read-only: it reads while nothing can be written, and a store
/// of another schema version is refused with what to do.
#[test]
fn a_read_only_open_reads_and_never_writes() {
    use dossier_store::{ItemQuery, ReadStore};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    assert!(matches!(
        SqliteStore::open_read_only(&path),
        Err(dossier_store::StoreError::Missing(_))
    ));
    let mut w = setup(SqliteStore::open(&path).unwrap());
    conformance::Record::record(
        &mut w,
        "A",
        &ok(t0()),
        &[conformance::item(
            "a",
            "https://n.example/a",
            "A story",
            None,
            &["ai"],
        )],
    )
    .unwrap();
    let r = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(r.items(&ItemQuery::default()).unwrap().len(), 1);
    assert!(
        r.connection()
            .execute("DELETE FROM topics WHERE slug = 'x'", [])
            .is_err(),
        "read-only"
    );
    drop((r, w));
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 3)
        .unwrap();
    let err = SqliteStore::open_read_only(&path).err().unwrap();
    assert!(
        err.to_string().contains("a `dossier run` upgrades it"),
        "{err}"
    );
}
