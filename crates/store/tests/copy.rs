//! `store copy`: a store copied SQLite → PostgreSQL → SQLite holds every row it held, with
//! the same ids, and reads the same; a copy stopped halfway is refused, never trusted; a
//! copy goes only into an empty store.

mod conformance;

use dossier_store::copy::{CopyProgress, TABLES, copy_store};
use dossier_store::pg::testing::TestSchema;
use dossier_store::{IngestStore, ItemQuery, Location, ReadStore, SqliteStore, StoreError};

/// A SQLite store with feeds, items (duplicates among them), topics, two versions with
/// stories, and a page folded into another item: most of what a store can hold.
fn filled(path: &std::path::Path) -> SqliteStore {
    use conformance::{Record, item, ok, t0};
    let mut s = conformance::a_page_canonical_folds_the_item_into_the_story_it_repeats(
        SqliteStore::open(path).unwrap(),
    );
    let items: Vec<_> = (0..30)
        .map(|n| {
            item(
                &format!("c{n}"),
                &format!("https://c.example/{n}"),
                &format!("Copied story {n} 人工智能"),
                Some("2026-05-21T10:00:00Z"),
                &["ai"],
            )
        })
        .collect();
    s.record("A", &ok(t0()), &items).unwrap();
    let ids: Vec<i64> = s
        .items(&ItemQuery::default())
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    // An item a duplicate of one with a higher id: the copy must still take it.
    let (low, high) = (*ids.iter().min().unwrap(), *ids.iter().max().unwrap());
    assert_eq!(s.mark_duplicates(&[(low, high)]).unwrap(), 1);
    let group = dossier_normalize::stories::group;
    dossier_store::VersionStore::cut_version(&mut s, "ai", t0(), group).unwrap();
    dossier_store::VersionStore::cut_version(&mut s, "ai", t0(), group).unwrap();
    s
}

/// Every row of every copied table, as text, in key order.
fn dump(at: &Location) -> Vec<(String, Vec<String>)> {
    let store = dossier_store::AnyStore::open_read_only(at).unwrap();
    let mut out = Vec::new();
    for table in TABLES {
        let mut rows = Vec::new();
        dossier_store::copy::scan_for_tests(&store, table, &mut |batch| {
            rows.extend(batch.into_iter().map(|r| format!("{r:?}")));
        })
        .unwrap();
        out.push((table.name.to_string(), rows));
    }
    out
}

#[test]
fn a_store_goes_to_postgres_and_back_whole() {
    let Some(schema) = TestSchema::new("a_store_goes_to_postgres_and_back_whole") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.sqlite");
    drop(filled(&first));
    let sqlite = Location::Sqlite(first.clone());
    let pg = Location::Postgres(schema.url.clone());
    let back = Location::Sqlite(dir.path().join("back.sqlite"));
    let mut seen = Vec::new();
    let report = copy_store(&sqlite, &pg, &mut |p: CopyProgress<'_>| {
        seen.push((p.table.to_string(), p.done, p.total))
    })
    .unwrap();
    assert!(
        report.rows.iter().any(|(t, n)| *t == "items" && *n > 0),
        "{report:?}"
    );
    assert!(
        seen.iter().all(|(_, done, total)| done <= total),
        "{seen:?}"
    );
    copy_store(&pg, &back, &mut |_| {}).unwrap();
    let original = dump(&sqlite);
    assert!(
        original
            .iter()
            .any(|(t, rows)| t == "version_stories" && !rows.is_empty())
    );
    assert_eq!(dump(&pg), original, "SQLite to PostgreSQL");
    assert_eq!(dump(&back), original, "and back");

    // The copies read as the original: items, search, versions as a writer cites them.
    let open = |at: &Location| dossier_store::AnyStore::open_read_only(at).unwrap();
    let q = ItemQuery {
        search: Some("story".into()),
        ..Default::default()
    };
    let (a, b, c) = (open(&sqlite), open(&pg), open(&back));
    assert_eq!(a.items(&q).unwrap(), b.items(&q).unwrap());
    assert_eq!(a.items(&q).unwrap(), c.items(&q).unwrap());
    let render = |s: &dossier_store::AnyStore| s.version("ai", Some(1)).unwrap().unwrap().render();
    assert_eq!(render(&a), render(&b));
    assert_eq!(render(&a), render(&c));
    // A new item in the copy takes a new id, not a copied one.
    let mut b = dossier_store::AnyStore::open(&pg).unwrap();
    let fresh = conformance::item("new", "https://n.example/new", "New one", None, &[]);
    conformance::Record::record(&mut b, "B", &conformance::ok(conformance::t0()), &[fresh])
        .unwrap();
    let ids: Vec<i64> = b
        .items(&ItemQuery::default())
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
}

#[test]
fn a_copy_stopped_halfway_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("from.sqlite");
    drop(filled(&from));
    let to = dir.path().join("to.sqlite");
    let stopped = std::panic::catch_unwind(|| {
        copy_store(
            &Location::Sqlite(from.clone()),
            &Location::Sqlite(to.clone()),
            &mut |p: CopyProgress<'_>| {
                if p.table == "items" && p.done > 0 {
                    panic!("killed");
                }
            },
        )
    });
    assert!(stopped.is_err());
    for open in [SqliteStore::open, SqliteStore::open_read_only] {
        let err = open(&to).err().expect("an unfinished copy is refused");
        assert!(matches!(err, StoreError::UnfinishedCopy { .. }), "{err}");
        assert!(err.to_string().contains("unfinished copy"), "{err}");
    }
    // Copying again into it is refused too: it is not empty.
    let err = copy_store(&Location::Sqlite(from), &Location::Sqlite(to), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("unfinished copy"), "{err}");
}

#[test]
fn a_copy_goes_only_into_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    drop(filled(&a));
    drop(filled(&b));
    let err = copy_store(
        &Location::Sqlite(a.clone()),
        &Location::Sqlite(b),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("a copy goes into an empty store"),
        "{err}"
    );
    let err = copy_store(
        &Location::Sqlite(a.clone()),
        &Location::Sqlite(a.clone()),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("the configured store itself"),
        "{err}"
    );
    let mut s = SqliteStore::open(&a).unwrap();
    assert!(
        s.sync_config(&[], &[]).is_ok(),
        "the source is left as it was"
    );
}
