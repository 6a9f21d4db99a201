//! The PostgreSQL store: the conformance suite every backend passes, each test on a
//! fresh schema of the test database, and what only PostgreSQL promises (writers in
//! several transactions at once store a story once; cuts of one topic are serialised).

mod conformance;

use dossier_store::PgStore;
use dossier_store::pg::testing::TestSchema;

/// Makes a `#[test]` of each conformance test on a fresh PostgreSQL schema (skipped, with
/// a message, when there is no PostgreSQL outside CI).
macro_rules! pg_conformance_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let Some(schema) = TestSchema::new(stringify!($name)) else { return };
                let store = PgStore::open(&schema.url).unwrap();
                drop(conformance::$name(store));
            }
        )*
    };
}

for_every_conformance_test!(pg_conformance_tests);

use chrono::Duration;
use conformance::{Record, feed, item, ok, t0, topic};
use dossier_model::{FeedSpec, ItemKey};
use dossier_store::{IngestStore, ItemQuery, Pick, ReadStore, RunStatus, VersionStore};
use postgres::{Client, NoTls};
use std::sync::{Arc, Barrier};

fn sql(url: &str) -> Client {
    Client::connect(url, NoTls).unwrap()
}

fn count(url: &str, query: &str) -> i64 {
    sql(url).query_one(query, &[]).unwrap().get(0)
}

/// Eight writers, each its own connection and feed, bring the same 40 stories at once
/// (under the same keys): every story is stored once, with all its keys and one
/// sighting per feed, and no item is left without a key.
#[test]
fn concurrent_writers_store_each_story_once() {
    let Some(schema) = TestSchema::new("concurrent_writers_store_each_story_once") else {
        return;
    };
    let feeds: Vec<FeedSpec> = (0..8).map(|i| feed(&format!("F{i}"), None)).collect();
    PgStore::open(&schema.url)
        .unwrap()
        .sync_config(&feeds, &[topic("ai")])
        .unwrap();
    let barrier = Arc::new(Barrier::new(feeds.len()));
    let writers: Vec<_> = (0..feeds.len())
        .map(|w| {
            let (url, barrier) = (schema.url.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut s = PgStore::open(&url).unwrap();
                let stories: Vec<_> = (0..40)
                    .map(|n| {
                        let mut it = item(
                            &format!("g{n}"),
                            &format!("https://n.example/{n}"),
                            &format!("Story {n}"),
                            Some("2026-05-20T10:00:00Z"),
                            &[],
                        );
                        // The same guid key for every writer: one story, whoever is first.
                        it.keys = vec![
                            ItemKey::Url(format!("n.example/{n}")),
                            ItemKey::Guid {
                                feed: "shared".into(),
                                guid: format!("g{n}"),
                            },
                        ];
                        it
                    })
                    .collect();
                barrier.wait();
                s.record(&format!("F{w}"), &ok(t0()), &stories).unwrap()
            })
        })
        .collect();
    let counts: Vec<_> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(count(&schema.url, "SELECT count(*) FROM items"), 40);
    assert_eq!(count(&schema.url, "SELECT count(*) FROM item_keys"), 80);
    assert_eq!(
        count(
            &schema.url,
            "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM item_keys k WHERE k.item_id = i.id)"
        ),
        0
    );
    assert_eq!(count(&schema.url, "SELECT count(*) FROM sightings"), 8 * 40);
    // A loser's row went, and nothing points at it: these links have no foreign keys on
    // PostgreSQL (schema migration 3), so the writer alone keeps them.
    for dangling in [
        "SELECT count(*) FROM item_keys k WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = k.item_id)",
        "SELECT count(*) FROM sightings s WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = s.item_id)",
        "SELECT count(*) FROM item_topics t WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = t.item_id)",
    ] {
        assert_eq!(count(&schema.url, dangling), 0, "{dangling}");
    }
    // Each story counted new once, and a duplicate by every other writer.
    assert_eq!(counts.iter().map(|c| c.new).sum::<u64>(), 40);
    assert_eq!(counts.iter().map(|c| c.duplicate).sum::<u64>(), 7 * 40);
    let items = PgStore::open(&schema.url)
        .unwrap()
        .items(&ItemQuery::default())
        .unwrap();
    assert!(items.iter().all(|i| i.sightings == 8), "{items:?}");
}

/// Two cuts of one topic at once make versions 1 and 2, each item numbered once.
#[test]
fn concurrent_cuts_of_one_topic_are_serialised() {
    let Some(schema) = TestSchema::new("concurrent_cuts_of_one_topic_are_serialised") else {
        return;
    };
    let mut s = conformance::setup(PgStore::open(&schema.url).unwrap());
    let stories: Vec<_> = (0..30)
        .map(|n| {
            item(
                &format!("g{n}"),
                &format!("https://n.example/{n}"),
                &format!("Story {n}"),
                Some("2026-05-20T10:00:00Z"),
                &["ai"],
            )
        })
        .collect();
    s.record("A", &ok(t0()), &stories).unwrap();
    let barrier = Arc::new(Barrier::new(4));
    let cuts: Vec<_> = (0..4)
        .map(|_| {
            let (url, barrier) = (schema.url.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut s = PgStore::open(&url).unwrap();
                barrier.wait();
                s.cut_version("ai", t0(), dossier_normalize::stories::group)
                    .unwrap()
                    .version
            })
        })
        .collect();
    let mut numbers: Vec<i64> = cuts.into_iter().map(|c| c.join().unwrap()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert_eq!(
        count(&schema.url, "SELECT count(*) FROM source_numbers"),
        30
    );
    let latest = s.version("ai", None).unwrap().unwrap();
    assert_eq!(latest.version, 4);
    assert_eq!(
        latest.sources.iter().map(|x| x.n).collect::<Vec<_>>(),
        (1..=30).collect::<Vec<_>>()
    );
}

/// Two runs claim disjoint hosts; a host comes back once its feeds are recorded, or when
/// its lease runs out; a run that lost its host cannot write the feed's state.
#[test]
fn runs_claim_disjoint_hosts_and_give_them_back() {
    let Some(schema) = TestSchema::new("runs_claim_disjoint_hosts_and_give_them_back") else {
        return;
    };
    let feeds: Vec<FeedSpec> = (0..6)
        .map(|i| FeedSpec {
            url: format!("https://h{}.example/f{i}", i % 3),
            ..feed(&format!("F{i}"), None)
        })
        .collect();
    let open_run = || {
        let mut s = PgStore::open(&schema.url).unwrap();
        s.sync_config(&feeds, &[]).unwrap();
        let run = s.begin_run(t0()).unwrap();
        let leases = s
            .leases(std::time::Duration::from_secs(60))
            .unwrap()
            .unwrap();
        (s, run, leases)
    };
    let (mut a, run_a, mut la) = open_run();
    let (mut b, run_b, mut lb) = open_run();
    let none: Vec<String> = Vec::new();
    let due = Pick::Due { skip: &none };
    let first = la.claim(2, &due).unwrap();
    let second = lb.claim(5, &due).unwrap();
    let hosts =
        |c: &[dossier_store::HostClaim]| c.iter().map(|c| c.host.clone()).collect::<Vec<_>>();
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 1, "only the third host is left");
    assert!(hosts(&second).iter().all(|h| !hosts(&first).contains(h)));
    assert!(first.iter().chain(&second).all(|c| c.feeds.len() == 2));
    assert!(lb.claim(5, &due).unwrap().is_empty(), "every host is held");

    // A records both feeds of its first host: the host is free again, and not due.
    let host = &first[0];
    let keys: Vec<String> = host.feeds.iter().map(|f| f.key.clone()).collect();
    la.handed_out(&host.host, &keys).unwrap();
    for k in &keys {
        a.record(k, &ok(chrono::Utc::now()), &[]).unwrap();
    }
    let free = count(
        &schema.url,
        &format!(
            "SELECT count(*) FROM hosts WHERE host_key = '{}' AND leased_by IS NULL",
            host.host
        ),
    );
    assert_eq!(free, 1);
    assert!(
        lb.claim(5, &due).unwrap().is_empty(),
        "its feeds are no longer due"
    );

    // B's lease on its host runs out (as if B had died); A takes the host over, and B,
    // waking up, cannot record the feed's state there.
    sql(&schema.url)
        .execute(
            "UPDATE hosts SET lease_until = now() - interval '1 second' WHERE leased_by = $1",
            &[&format!("run {}", run_b.0)],
        )
        .unwrap();
    let taken = la.claim(5, &due).unwrap();
    assert_eq!(hosts(&taken), hosts(&second));
    let stolen = &second[0].feeds[0].key;
    lb.handed_out(&second[0].host, std::slice::from_ref(stolen))
        .unwrap();
    let mut late = ok(chrono::Utc::now());
    late.validators = dossier_model::Change::Clear;
    b.record(stolen, &late, &[]).unwrap();
    let etag: Option<String> = sql(&schema.url)
        .query_one("SELECT etag FROM feeds WHERE key = $1", &[stolen])
        .unwrap()
        .get(0);
    assert_eq!(etag, None, "never fetched by anyone who held the host");
    let last: Option<String> = sql(&schema.url)
        .query_one("SELECT last_fetch_at FROM feeds WHERE key = $1", &[stolen])
        .unwrap()
        .get(0);
    assert_eq!(last, None, "B's late write was refused");

    // Finishing a run gives back whatever it still holds.
    let stats = dossier_model::RunStats::default();
    a.finish_run(run_a, &stats, RunStatus::Done, t0() + Duration::minutes(1))
        .unwrap();
    assert_eq!(
        count(
            &schema.url,
            "SELECT count(*) FROM hosts WHERE leased_by IS NOT NULL"
        ),
        0
    );
}

/// `--all` and `--feed` claim the named feeds' hosts whether due or not.
#[test]
fn named_feeds_are_claimed_due_or_not() {
    let Some(schema) = TestSchema::new("named_feeds_are_claimed_due_or_not") else {
        return;
    };
    let feeds = [feed("A", None), feed("B", None)];
    let mut s = PgStore::open(&schema.url).unwrap();
    s.sync_config(&feeds, &[]).unwrap();
    s.record("A", &ok(t0() + Duration::days(3650)), &[])
        .unwrap();
    s.begin_run(t0()).unwrap();
    let mut l = s
        .leases(std::time::Duration::from_secs(60))
        .unwrap()
        .unwrap();
    let none: Vec<String> = Vec::new();
    let due = l.claim(10, &Pick::Due { skip: &none }).unwrap();
    assert_eq!(
        due.iter()
            .flat_map(|c| &c.feeds)
            .map(|f| f.key.as_str())
            .collect::<Vec<_>>(),
        ["B"]
    );
    l.release_all().unwrap();
    let keys = vec!["A".to_string()];
    let named = l
        .claim(
            10,
            &Pick::Feeds {
                keys: &keys,
                skip: &none,
            },
        )
        .unwrap();
    assert_eq!(
        named
            .iter()
            .flat_map(|c| &c.feeds)
            .map(|f| f.key.as_str())
            .collect::<Vec<_>>(),
        ["A"]
    );
}

/// A read-only open writes nothing and refuses to: an empty database is "no store yet",
/// and a write through a read-only store fails.
#[test]
fn a_read_only_store_refuses_writes() {
    let Some(schema) = TestSchema::new("a_read_only_store_refuses_writes") else {
        return;
    };
    let err = PgStore::open_read_only(&schema.url)
        .err()
        .expect("no store yet");
    assert!(err.to_string().contains("no store at"), "{err}");
    assert_eq!(
        count(
            &schema.url,
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        ),
        0,
        "the read created nothing"
    );
    drop(PgStore::open(&schema.url).unwrap());
    let mut ro = PgStore::open_read_only(&schema.url).unwrap();
    assert!(ro.items(&ItemQuery::default()).unwrap().is_empty());
    let err = ro.sync_config(&[feed("A", None)], &[]).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
}

/// The schema refuses any change to a version, its sources and its stories.
#[test]
fn version_rows_refuse_edits_and_deletes() {
    let Some(schema) = TestSchema::new("version_rows_refuse_edits_and_deletes") else {
        return;
    };
    drop(conformance::a_versions_stories_are_frozen_when_it_is_cut(
        PgStore::open(&schema.url).unwrap(),
    ));
    let mut c = sql(&schema.url);
    for statement in [
        "UPDATE versions SET title = 'x'",
        "DELETE FROM versions",
        "UPDATE version_sources SET title = 'x'",
        "DELETE FROM version_sources",
        "UPDATE version_stories SET title = 'x'",
        "DELETE FROM version_stories",
        "UPDATE version_story_sources SET story = 1",
        "DELETE FROM version_story_sources",
    ] {
        let err = c.batch_execute(statement).unwrap_err();
        let said = err.as_db_error().map(|d| d.message().to_string());
        assert_eq!(
            said.as_deref(),
            Some("dossier versions are immutable"),
            "{statement}"
        );
    }
}

/// A big batch is written in two halves at once; a story both halves bring is one item,
/// and within the run the feed listed first is still its origin, whichever half commits
/// first.
#[test]
fn a_batch_written_in_two_halves_keeps_the_origin_rule() {
    let Some(schema) = TestSchema::new("a_batch_written_in_two_halves_keeps_the_origin_rule")
    else {
        return;
    };
    for round in 0..5 {
        let mut s = conformance::setup(PgStore::open(&schema.url).unwrap());
        let stories = |feed: &str| -> Vec<dossier_model::Item> {
            (0..150)
                .map(|n| {
                    let mut it = item(
                        &format!("{feed}{round}-{n}"),
                        &format!("https://{feed}.example/{round}/{n}"),
                        &format!("{feed} story {n}"),
                        Some("2026-05-20T10:00:00Z"),
                        &[],
                    );
                    if n == 0 {
                        it.url = Some(format!("https://shared.example/{round}"));
                        it.keys[1] = ItemKey::Url(format!("shared.example/{round}"));
                        it.title = format!("Shared story as {feed} tells it");
                    }
                    it
                })
                .collect()
        };
        let (from_b, from_a) = (stories("B"), stories("A"));
        let at = t0() + Duration::hours(round);
        let (ub, ua) = (ok(at), ok(at));
        // B's fetch first in the batch, A's second: the halves race.
        let batch = [
            dossier_store::FetchRecord {
                feed_key: "B",
                update: &ub,
                items: &from_b,
            },
            dossier_store::FetchRecord {
                feed_key: "A",
                update: &ua,
                items: &from_a,
            },
        ];
        for r in s.record_fetches(&batch, at).unwrap() {
            r.unwrap();
        }
        let shared = s
            .items(&ItemQuery {
                search: Some("shared story".to_string()),
                since: Some(at - Duration::days(30)),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .filter(|i| i.url.as_deref() == Some(&format!("https://shared.example/{round}")))
            .collect::<Vec<_>>();
        assert_eq!(shared.len(), 1, "round {round}: {shared:?}");
        assert_eq!(shared[0].feed, "A", "round {round}: the feed listed first");
        assert_eq!(
            shared[0].title, "Shared story as A tells it",
            "round {round}"
        );
        assert_eq!(shared[0].sightings, 2, "round {round}");
    }
}
