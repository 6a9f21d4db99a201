//! Crash safety: `dossier run` and `version cut` killed with SIGKILL at many moments. After
//! every kill the store must be intact (SQLite's integrity check), hold no half-stored
//! item (one without its sighting, key or topic link), not be locked, and the next run must
//! finish the work without duplicates; version numbers must stay contiguous.

use crate::util::*;
use rusqlite::Connection;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const FEEDS: usize = 150;
const ITEMS: usize = 20;

/// Feed `feed`'s document: `ITEMS` dated items, each with its own link.
fn busy_feed(feed: usize) -> String {
    let entries: Vec<(String, String, String, String)> = (0..ITEMS)
        .map(|i| {
            (
                format!("{feed}-{i}"),
                // One number per story: "Feed 17 item 18" and "Feed 18 item 17" carry the
                // same words and numbers, and are one story to the near-duplicate pass
                // whenever the run that stored both lives to run it.
                format!("Story {} about topic words", feed * ITEMS + i),
                format!("https://site{feed}.example/{i}"),
                format!("Mon, 18 May 2026 {:02}:00:00 GMT", i % 24),
            )
        })
        .collect();
    let items: Vec<(&str, &str, &str, Option<&str>)> = entries
        .iter()
        .map(|(g, t, l, d)| (g.as_str(), t.as_str(), l.as_str(), Some(d.as_str())))
        .collect();
    rss(&items)
}

fn count(db: &Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// What a SIGKILL may leave in the store file, read with SQLite itself.
fn check_intact(store: &Path, context: &str) {
    // schema: this checks SQLite's transaction guarantee (`PRAGMA integrity_check`) and
    // the invariants between the store's tables (no item without its sighting, key or
    // topic link; versions whole and contiguous). No command shows a half-stored item,
    // and opening the store through `dossier` would migrate a half-created one.
    let db = Connection::open(store).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "{context}");
    // A run killed while it created the store (before its schema committed) leaves a file
    // with nothing in it, which the next open migrates: intact, as long as no half of a
    // schema is there. (On a loaded machine the first kill can land that early.)
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    if version == 0 {
        assert_eq!(
            count(&db, "SELECT count(*) FROM sqlite_master"),
            0,
            "{context}: a half-created schema"
        );
        return;
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM sightings s WHERE s.item_id = i.id)"
        ),
        0,
        "{context}: item without sighting"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM item_keys k WHERE k.item_id = i.id)"
        ),
        0,
        "{context}: item without key"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM item_topics t WHERE t.item_id = i.id)"
        ),
        0,
        "{context}: item without topic link"
    );
    assert_eq!(
        count(&db, "SELECT count(*) - count(DISTINCT url) FROM items"),
        0,
        "{context}: duplicate items"
    );
    let versions: Vec<(i64, i64, i64)> = db
        .prepare("SELECT v.number, v.item_count, (SELECT count(*) FROM version_sources s WHERE s.version_id = v.id) FROM versions v ORDER BY v.number")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (i, (n, count, rows)) in versions.iter().enumerate() {
        assert_eq!(*n, i as i64 + 1, "{context}: version numbers contiguous");
        assert_eq!(count, rows, "{context}: version {n} is whole");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_run_and_version_cut_never_corrupts_or_half_stores() {
    let server = MockServer::start().await;
    for f in 0..FEEDS {
        Mock::given(path(format!("/f{f}.rss")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string(busy_feed(f))
                    .set_delay(Duration::from_millis((f % 7) as u64 * 3)),
            )
            .mount(&server)
            .await;
    }
    let mut cfg = String::from(
        "[store]\npath = \"store.sqlite\"\n[fetch]\nallow_private_addresses = true\nretries = 0\nper_host_gap_ms = 0\nconcurrency = 8\narticle_pages = false\n\n[[topic]]\nslug = \"t\"\ntitle = \"T\"\n\n",
    );
    for f in 0..FEEDS {
        cfg += &format!(
            "[[feed]]\nname = \"f{f}\"\nurl = \"{}/f{f}.rss\"\ntopics = [\"t\"]\n\n",
            server.uri()
        );
    }
    let env = Env::with_config(&cfg);
    let store = env.store();
    let run = |args: &[&str]| {
        env.command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    let mut kills = 0;
    for k in 0..10u64 {
        let mut child = run(&["run", "--all"]);
        std::thread::sleep(Duration::from_millis(40 + k * 45));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
        if store.exists() {
            check_intact(&store, &format!("after killing run #{k}"));
        }
        // Cut a version between kills, sometimes killing that too.
        if k % 2 == 1 && store.exists() {
            let mut cut = run(&["version", "cut", "t"]);
            std::thread::sleep(Duration::from_millis(k * 3));
            let _ = cut.kill();
            cut.wait().unwrap();
            check_intact(&store, &format!("after killing version cut #{k}"));
        }
    }
    assert!(
        kills >= 5,
        "the kills must land mid-run to mean anything ({kills})"
    );

    // The lock does not block, and the next run finishes the work.
    let status = env.run(&["run", "--all"]);
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    check_intact(&store, "after the final run");
    assert_eq!(env.items().len(), FEEDS * ITEMS);
    assert_eq!(env.sightings(), (FEEDS * ITEMS) as i64);
    let cut = env.run(&["version", "cut", "t", "--json"]);
    assert_eq!(cut.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&cut.stdout).unwrap();
    let left_out = {
        let db = Connection::open(&store).unwrap();
        let mut q = db
            .prepare(
                "SELECT i.id, i.url, i.duplicate_of, i.sort_at,
                        (SELECT count(*) FROM item_topics t WHERE t.item_id = i.id)
                 FROM items i WHERE i.id NOT IN (SELECT item_id FROM version_sources
                     WHERE version_id = (SELECT max(id) FROM versions))",
            )
            .unwrap();
        q.query_map([], |r| {
            Ok(format!(
                "item {} {:?} duplicate_of {:?} sort_at {} topic links {}",
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?
            ))
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
    };
    assert_eq!(
        v["item_count"],
        (FEEDS * ITEMS) as i64,
        "items the cut left out: {left_out:#?}"
    );
    check_intact(&store, "after the final cut");
}
