//! Store faults: a full disk, a read-only store, and readers during a run. Each ends with
//! a clear error and nothing half-written, and the store recovers.

use chrono::{DateTime, Duration, Utc};
use dossier_model::{
    DateSource, FeedKind, FeedSpec, IdentityRule, Item, TopicReason, TopicSpec, parse_time,
};
use dossier_model::{FeedUpdate, FetchStatus, ItemKey};
use dossier_store::{
    FetchRecord, IngestCounts, IngestStore, ItemQuery, ReadStore, SqliteStore as Store, StoreError,
};

/// One fetch recorded on its own.
fn record_fetch(
    s: &mut Store,
    key: &str,
    u: &FeedUpdate,
    items: &[Item],
    seen_at: DateTime<Utc>,
) -> dossier_store::Result<IngestCounts> {
    let rec = FetchRecord {
        feed_key: key,
        update: u,
        items,
    };
    s.record_fetches(&[rec], seen_at)?
        .pop()
        .expect("one result per fetch")
}

fn t0() -> DateTime<Utc> {
    parse_time("2026-05-22T11:00:00Z").unwrap()
}

fn feed(name: &str) -> FeedSpec {
    FeedSpec {
        key: name.into(),
        name: name.into(),
        label: name.into(),
        url: format!("https://{name}.example/rss"),
        kind: FeedKind::Feed,
        interval_mins: 30,
        topics: vec!["t".into()],
        owner_topic: None,
        select: None,
        search: None,
    }
}

fn items(feed: &str, n: usize, size: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item {
            guid: Some(format!("{feed}-{i}")),
            url: Some(format!("https://{feed}.example/{i}")),
            original_url: None,
            title: format!("{feed} item {i}"),
            summary: Some("x".repeat(size)),
            author: None,
            published_at: None,
            date_source: DateSource::FirstSeen,
            date_evidence: None,
            page_reason: None,
            identity: IdentityRule::Guid,
            keys: vec![
                ItemKey::Guid {
                    feed: feed.to_string(),
                    guid: i.to_string(),
                },
                ItemKey::Url(format!("{feed}.example/{i}")),
            ],
            topics: vec![("t".into(), TopicReason::FeedTopics)],
        })
        .collect()
}

fn ok() -> FeedUpdate {
    FeedUpdate {
        status: FetchStatus::Http(200),
        next_due_at: Some(t0() + Duration::minutes(30)),
        ..FeedUpdate::new(t0())
    }
}

fn open(dir: &std::path::Path) -> Store {
    let mut s = Store::open(&dir.join("s.sqlite")).unwrap();
    let feeds: Vec<FeedSpec> = (0..30).map(|i| feed(&format!("f{i}"))).collect();
    s.sync_config(
        &feeds,
        &[TopicSpec {
            slug: "t".into(),
            title: "T".into(),
            match_any: vec![],
            match_none: vec![],
        }],
    )
    .unwrap();
    s
}

fn item_count(s: &Store) -> usize {
    s.items(&ItemQuery::default()).unwrap().len()
}

#[test]
fn a_full_disk_fails_the_feed_whole_and_the_store_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    record_fetch(&mut s, "f0", &ok(), &items("f0", 10, 100), t0()).unwrap();
    let pages: i64 = s
        .connection()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    // The disk is full: no page may be added.
    s.connection()
        .pragma_update(None, "max_page_count", pages)
        .unwrap();
    let err = record_fetch(&mut s, "f1", &ok(), &items("f1", 200, 4000), t0()).unwrap_err();
    assert!(matches!(err, StoreError::Backend { .. }), "{err}");
    assert!(err.to_string().contains("full"), "a clear error: {err}");
    assert_eq!(item_count(&s), 10, "nothing of the failed feed was written");
    let f1 = s
        .feeds()
        .unwrap()
        .into_iter()
        .find(|f| f.name == "f1")
        .unwrap();
    assert_eq!(f1.last_fetch_at, None, "not even its feed state");
    // Space again: the next attempt stores the feed whole.
    s.connection()
        .pragma_update(None, "max_page_count", 1_073_741_823)
        .unwrap();
    record_fetch(&mut s, "f1", &ok(), &items("f1", 200, 4000), t0()).unwrap();
    assert_eq!(item_count(&s), 210);
    let integrity: String = s
        .connection()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
}

#[test]
fn a_read_only_store_fails_clearly_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.connection()
        .pragma_update(None, "query_only", true)
        .unwrap();
    let err = record_fetch(&mut s, "f0", &ok(), &items("f0", 5, 10), t0()).unwrap_err();
    assert!(
        err.to_string().contains("readonly")
            || err.to_string().contains("read-only")
            || err.to_string().contains("query_only"),
        "{err}"
    );
    s.connection()
        .pragma_update(None, "query_only", false)
        .unwrap();
    record_fetch(&mut s, "f0", &ok(), &items("f0", 5, 10), t0()).unwrap();
    assert_eq!(item_count(&s), 5);
}

#[test]
fn readers_during_a_run_see_whole_feeds_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    let path = dir.path().join("s.sqlite");
    let per_feed = 50;
    let reader = std::thread::spawn(move || {
        let db = rusqlite::Connection::open(&path).unwrap();
        let mut seen = Vec::new();
        for _ in 0..400 {
            let n: i64 = db
                .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
                .unwrap();
            let orphans: i64 = db
                .query_row("SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM item_topics t WHERE t.item_id = i.id)", [], |r| r.get(0))
                .unwrap();
            seen.push((n, orphans));
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        seen
    });
    for i in 0..30 {
        let name = format!("f{i}");
        record_fetch(&mut s, &name, &ok(), &items(&name, per_feed, 200), t0()).unwrap();
    }
    for (n, orphans) in reader.join().unwrap() {
        assert_eq!(
            n % per_feed as i64,
            0,
            "a reader saw part of a feed: {n} items"
        );
        assert_eq!(orphans, 0, "a reader saw an item before its topic link");
    }
}

#[test]
fn a_feed_that_fails_inside_a_batch_is_rolled_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    // An item the store refuses, after two it accepted, in the middle of a batch.
    s.connection()
        .execute_batch(
            "CREATE TEMP TRIGGER poison BEFORE INSERT ON items WHEN new.title = 'poison'
             BEGIN SELECT RAISE(ABORT, 'poisoned item'); END;",
        )
        .unwrap();
    let mut bad = items("f1", 3, 10);
    bad[2].title = "poison".into();
    let (good0, good2) = (items("f0", 4, 10), items("f2", 5, 10));
    let update = ok();
    let batch = [
        FetchRecord {
            feed_key: "f0",
            update: &update,
            items: &good0,
        },
        FetchRecord {
            feed_key: "f1",
            update: &update,
            items: &bad,
        },
        FetchRecord {
            feed_key: "f2",
            update: &update,
            items: &good2,
        },
    ];
    let results = s.record_fetches(&batch, t0()).unwrap();
    assert_eq!(results[0].as_ref().unwrap().new, 4);
    let err = results[1].as_ref().unwrap_err();
    assert!(err.to_string().contains("poisoned item"), "{err}");
    assert_eq!(results[2].as_ref().unwrap().new, 5);
    assert_eq!(
        item_count(&s),
        9,
        "both good feeds kept, nothing of the bad one"
    );
    let feeds = s.feeds().unwrap();
    let state = |name: &str| feeds.iter().find(|f| f.name == name).unwrap().last_fetch_at;
    assert!(state("f0").is_some() && state("f2").is_some());
    assert_eq!(state("f1"), None, "not even the failed feed's state");
}
