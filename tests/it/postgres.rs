//! The binary on a PostgreSQL store: every command reads the same as on SQLite, and runs
//! on several "machines" (processes) at once share one store, some of them killed, with
//! nothing lost, stored twice, or fetched by two runs at once.
//!
//! Each test uses a fresh schema of the local test database (skipped with a message when
//! there is none outside CI; failing under `CI=true`).

use crate::util::*;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::MockServer;

/// What the commands print, with what differs between two stores by nature taken out:
/// ids (each store numbers its rows) and times (each run has its own clock).
fn comparable(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        for key in [
            "id",
            "item_id",
            "first_seen_at",
            "last_fetch_at",
            "next_due_at",
            "created_at",
            "duplicate_of",
        ] {
            o.remove(key);
        }
        for value in o.values_mut() {
            *value = comparable(value.take());
        }
    } else if let Some(a) = v.as_array_mut() {
        for value in a.iter_mut() {
            *value = comparable(value.take());
        }
    }
    v
}

/// The same feeds, runs, cuts and searches on SQLite and on PostgreSQL print the same.
#[tokio::test(flavor = "multi_thread")]
async fn both_backends_print_the_same() {
    let server = MockServer::start().await;
    serve_feed(
        &server,
        "/ai.rss",
        rss(&[
            (
                "a1",
                "DeepSeek releases V4 with open weights",
                "https://n.example/v4",
                Some("Wed, 20 May 2026 10:00:00 GMT"),
            ),
            (
                "a2",
                "上海发布人工智能+制造行动计划",
                "https://n.example/sh",
                Some("Thu, 21 May 2026 08:00:00 GMT"),
            ),
            (
                "a3",
                "Café owners rate U.S. export controls",
                "https://n.example/cafe",
                None,
            ),
        ]),
        "\"ai1\"",
    )
    .await;
    serve_feed(
        &server,
        "/wire.rss",
        rss(&[
            (
                "w1",
                "DeepSeek V4 is out",
                "https://n.example/v4?utm_source=wire",
                Some("Wed, 20 May 2026 11:00:00 GMT"),
            ),
            (
                "w2",
                "New export controls on chips",
                "https://n.example/chips",
                Some("Tue, 19 May 2026 09:00:00 GMT"),
            ),
        ]),
        "\"w1\"",
    )
    .await;
    let body = two_topic_config(&server.uri());
    let Some(pg) = Env::new_postgres("both_backends_print_the_same", &body) else {
        return;
    };
    let sqlite = Env::new(&body);
    let mut printed: Vec<Vec<Value>> = Vec::new();
    for env in [&sqlite, &pg] {
        let run = env.json_lines(&["run", "--json"]);
        assert_eq!(run[0]["items_new"], 4, "{run:?}");
        assert_eq!(run[0]["items_duplicate"], 1);
        let again = env.json_lines(&["run", "--all", "--json"]);
        assert_eq!(again[0]["not_modified"], 2, "{again:?}");
        assert_eq!(env.run(&["version", "cut", "ai"]).status.code(), Some(0));
        assert_eq!(env.run(&["version", "cut", "ai"]).status.code(), Some(0));
        let mut out = Vec::new();
        for args in [
            &["items", "--json"][..],
            &["items", "--json", "--search", "export"],
            &["items", "--json", "--search", "智能"],
            &["items", "--json", "--search", "cafe u.s."],
            &["items", "--json", "--topic", "chips"],
            &["items", "--json", "--since", "2026-05-20"],
            &["feeds", "--json"],
            &["version", "show", "ai", "1", "--json"],
            &["version", "list", "ai", "--json"],
            &["version", "stories", "ai", "--json"],
        ] {
            out.extend(env.json_lines(args).into_iter().map(comparable));
        }
        // The text a writer cites, its heading's time aside.
        let text = stdout(&env.run(&["version", "show", "ai"]));
        out.push(Value::from(
            text.lines().skip(2).collect::<Vec<_>>().join("\n"),
        ));
        printed.push(out);
    }
    assert_eq!(printed[0], printed[1]);
}

/// An unreachable database is a clear error naming the store, not a hang or a panic.
#[test]
fn an_unreachable_database_is_a_clear_error() {
    let env = Env::new("[[topic]]\nslug = \"t\"\ntitle = \"T\"\n");
    let out = env
        .command(&["run"])
        .env(
            "DOSSIER_STORE_URL",
            "postgres://nobody@127.0.0.1:9/none?connect_timeout=2",
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("postgres://nobody@127.0.0.1:9/none"), "{err}");
    assert!(err.contains("connect"), "{err}");
}

/// A loopback "host": one port serving RSS feeds slowly, counting requests per path and
/// the most requests it ever had in flight at once.
struct Host {
    port: u16,
    in_flight: Arc<AtomicUsize>,
    most_at_once: Arc<AtomicUsize>,
    requests: Arc<Mutex<HashMap<String, usize>>>,
    /// Which round's stories the feeds serve.
    round: Arc<AtomicUsize>,
}

/// The stories feed `g` of round `r` carries: ten each, many shared with other feeds
/// (and hosts), as search feeds of one topic share stories.
fn stories(g: usize, round: usize) -> Vec<usize> {
    (0..10)
        .map(|k| round * 1000 + (g * 7 + k * 13) % 200)
        .collect()
}

fn feed_body(g: usize, round: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>https://x.example/</link>",
    );
    for story in stories(g, round) {
        s += &format!(
            "<item><guid>f{g}-s{story}</guid><title>Story {story} on the chips</title>\
             <link>https://news.example/story/{story}</link>\
             <pubDate>Wed, 20 May 2026 10:00:00 GMT</pubDate></item>"
        );
    }
    s + "</channel></rss>"
}

impl Host {
    fn start(feeds: Vec<usize>, delay: Duration) -> Host {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = Host {
            port: listener.local_addr().unwrap().port(),
            in_flight: Arc::default(),
            most_at_once: Arc::default(),
            requests: Arc::default(),
            round: Arc::default(),
        };
        let (in_flight, most, requests, round) = (
            host.in_flight.clone(),
            host.most_at_once.clone(),
            host.requests.clone(),
            host.round.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (in_flight, most, requests, round, feeds) = (
                    in_flight.clone(),
                    most.clone(),
                    requests.clone(),
                    round.clone(),
                    feeds.clone(),
                );
                std::thread::spawn(move || {
                    serve(conn, &feeds, delay, &in_flight, &most, &requests, &round)
                });
            }
        });
        host
    }
}

fn serve(
    conn: TcpStream,
    feeds: &[usize],
    delay: Duration,
    in_flight: &AtomicUsize,
    most: &AtomicUsize,
    requests: &Mutex<HashMap<String, usize>>,
    round: &AtomicUsize,
) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    most.fetch_max(now, Ordering::SeqCst);
    *requests.lock().unwrap().entry(path.clone()).or_default() += 1;
    std::thread::sleep(delay);
    let g = path
        .trim_start_matches("/f")
        .trim_end_matches(".rss")
        .parse::<usize>()
        .ok()
        .filter(|g| feeds.contains(g));
    let response = match g {
        Some(g) => {
            let body = feed_body(g, round.load(Ordering::SeqCst));
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
        }
        None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into(),
    };
    in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut conn = conn;
    let _ = conn.write_all(response.as_bytes());
}

/// A small deterministic generator: the kill times vary with the seed, which is printed.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Several `dossier run` processes against one PostgreSQL store, as on several machines:
/// 12 loopback hosts serving 60 feeds slowly, fetched by 4 runs at once. With no run
/// killed, every feed is fetched exactly once in the round; with runs killed at random
/// moments, the hosts they held come back when their leases run out and a later run
/// finishes the round. Throughout, no host ever has two requests at once (so no two runs
/// held it together), and at the end every story is one item, every key and link sound.
#[test]
fn runs_on_several_machines_share_one_store() {
    let hosts: Vec<Host> = (0..12)
        .map(|h| Host::start((h * 5..h * 5 + 5).collect(), Duration::from_millis(60)))
        .collect();
    let mut body = String::from(
        "[fetch]\nper_host = 1\nconcurrency = 4\nlease_secs = 5\narticle_pages = false\n\n\
         [[topic]]\nslug = \"chips\"\ntitle = \"Chips\"\nmatch_any = [\"chips\"]\n\n",
    );
    for (h, host) in hosts.iter().enumerate() {
        for g in h * 5..h * 5 + 5 {
            body += &format!(
                "[[feed]]\nname = \"F{g}\"\nurl = \"http://127.0.0.1:{}/f{g}.rss\"\n\n",
                host.port
            );
        }
    }
    // The loopback config of `Env::new` carries its own [fetch]: write the whole file.
    let text = format!(
        "[store]\npath = \"store.sqlite\"\n\n{}",
        body.replace(
            "[fetch]\n",
            "[fetch]\nallow_private_addresses = true\ntimeout_secs = 5\nretries = 0\nper_host_gap_ms = 0\n"
        )
    );
    let Some(env) = Env::new_postgres("runs_on_several_machines_share_one_store", "") else {
        return;
    };
    std::fs::write(env.config(), &text).unwrap();
    let url = env.pg.as_ref().unwrap().url.clone();
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let spawn = |env: &Env| -> Child {
        env.command(&["run", "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let requests = |hosts: &[Host]| -> usize {
        hosts
            .iter()
            .map(|h| h.requests.lock().unwrap().values().sum::<usize>())
            .sum()
    };

    // Round 1: four runs at once, none killed. Each feed is fetched exactly once.
    let runs: Vec<Child> = (0..4).map(|_| spawn(&env)).collect();
    let mut fetched_by_runs = 0;
    for run in runs {
        let out = run.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        fetched_by_runs += report["fetched"].as_u64().unwrap();
    }
    assert_eq!(fetched_by_runs, 60, "the four runs shared the 60 feeds");
    for (h, host) in hosts.iter().enumerate() {
        let seen = host.requests.lock().unwrap().clone();
        assert_eq!(seen.len(), 5, "host {h}: {seen:?}");
        assert!(
            seen.values().all(|n| *n == 1),
            "host {h}: a feed fetched twice: {seen:?}"
        );
    }

    // Round 2: new stories; four runs at once, two of them killed at random moments.
    for host in &hosts {
        host.round.store(1, Ordering::SeqCst);
    }
    // schema: make every feed due again without waiting its interval out.
    db.execute("UPDATE feeds SET next_due_at = NULL", &[])
        .unwrap();
    let before = requests(&hosts);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill seed {seed}");
    let mut rng = Lcg(seed);
    let mut runs: Vec<Child> = (0..4).map(|_| spawn(&env)).collect();
    let started = Instant::now();
    let kill_at = [50 + rng.below(300), 50 + rng.below(300)];
    for (victim, at) in kill_at.iter().enumerate() {
        let wait = Duration::from_millis(*at).saturating_sub(started.elapsed());
        std::thread::sleep(wait);
        let _ = runs[victim].kill(); // SIGKILL
    }
    for (i, run) in runs.into_iter().enumerate() {
        let out = run.wait_with_output().unwrap();
        if i >= kill_at.len() {
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        }
    }
    // What the killed runs held comes back once their leases run out (5 s): a later run
    // fetches it. Until then a run finds those hosts held and leaves them.
    std::thread::sleep(Duration::from_millis(5_500));
    let out = env.run(&["run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let round2 = requests(&hosts) - before;
    assert!((60..=80).contains(&round2), "{round2} requests in round 2");

    // No host ever served two requests at once: no two runs held a host together.
    for (h, host) in hosts.iter().enumerate() {
        assert_eq!(host.most_at_once.load(Ordering::SeqCst), 1, "host {h}");
    }
    // Every feed's last fetch is recorded, and every story of both rounds is one item.
    let feeds = env.json_lines(&["feeds", "--json"]);
    assert_eq!(feeds.len(), 60);
    assert!(feeds.iter().all(|f| f["last_status"] == "200"), "{feeds:?}");
    let want: BTreeSet<String> = (0..60)
        .flat_map(|g| stories(g, 0).into_iter().chain(stories(g, 1)))
        .map(|s| format!("https://news.example/story/{s}"))
        .collect();
    let items = env.items();
    let urls: Vec<String> = items
        .iter()
        .map(|i| i["url"].as_str().unwrap().to_string())
        .collect();
    let stored: BTreeSet<String> = urls.iter().cloned().collect();
    assert_eq!(urls.len(), stored.len(), "a story stored twice");
    assert_eq!(stored, want, "a story lost");
    // Each item seen by exactly the feeds that carry it.
    let mut carriers: HashMap<String, i64> = HashMap::new();
    for g in 0..60 {
        for s in stories(g, 0).into_iter().chain(stories(g, 1)) {
            *carriers
                .entry(format!("https://news.example/story/{s}"))
                .or_default() += 1;
        }
    }
    for item in &items {
        let url = item["url"].as_str().unwrap();
        assert_eq!(item["sightings"].as_i64(), Some(carriers[url]), "{url}");
        assert_eq!(item["topics"], serde_json::json!(["chips"]), "{url}");
    }
    // schema: every key names an item and every item has its keys; every sighting and
    // link points at rows that exist; no host is still held.
    let integrity = [
        "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM item_keys k WHERE k.item_id = i.id)",
        "SELECT count(*) FROM item_keys k WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = k.item_id)",
        "SELECT count(*) FROM sightings s WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = s.item_id)",
        "SELECT count(*) FROM item_topics t WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = t.item_id)",
        "SELECT count(*) FROM sightings s WHERE NOT EXISTS (SELECT 1 FROM feeds f WHERE f.id = s.feed_id)",
        "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM feeds f WHERE f.id = i.feed_id)",
        "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM sightings s WHERE s.item_id = i.id)",
        "SELECT count(*) FROM hosts WHERE leased_by IS NOT NULL AND lease_until > now()",
        "SELECT count(*) FROM (SELECT url FROM items GROUP BY url HAVING count(*) > 1) d",
    ];
    for q in integrity {
        let n: i64 = db.query_one(q, &[]).unwrap().get(0);
        assert_eq!(n, 0, "{q}");
    }
    // A cut on the shared store numbers every story once.
    let v = env.json_lines(&["version", "cut", "chips", "--json"]);
    assert_eq!(v[0]["item_count"].as_u64(), Some(want.len() as u64));
}

/// `store copy` moves a store up to PostgreSQL and back: the copies print exactly what
/// the original printed, ids and times included, and the summary counts what went over.
#[tokio::test(flavor = "multi_thread")]
async fn a_store_copied_to_postgres_and_back_prints_the_same() {
    let server = MockServer::start().await;
    serve_feed(
        &server,
        "/ai.rss",
        rss(&[
            (
                "a1",
                "DeepSeek releases V4",
                "https://n.example/v4",
                Some("Wed, 20 May 2026 10:00:00 GMT"),
            ),
            (
                "a2",
                "上海发布人工智能行动计划",
                "https://n.example/sh",
                None,
            ),
        ]),
        "\"a\"",
    )
    .await;
    serve_feed(
        &server,
        "/wire.rss",
        rss(&[("w1", "DeepSeek V4 is out", "https://n.example/v4", None)]),
        "\"w\"",
    )
    .await;
    let body = two_topic_config(&server.uri());
    let Some(pg) = Env::new_postgres("a_store_copied_to_postgres_and_back_prints_the_same", &body)
    else {
        return;
    };
    let sqlite = Env::new(&body);
    assert_eq!(sqlite.run(&["run"]).status.code(), Some(0));
    assert_eq!(sqlite.run(&["version", "cut", "ai"]).status.code(), Some(0));
    let url = pg.pg.as_ref().unwrap().url.clone();
    let out = sqlite.run(&["store", "copy", "--to", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2 feeds, 2 items, 3 sightings"),
        "{}",
        stdout(&out)
    );
    let back = Env::new(&body);
    let out = pg.run(&["store", "copy", "--to", back.store().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let reads: &[&[&str]] = &[
        &["items", "--json"],
        &["items", "--json", "--search", "人工智能"],
        &["feeds", "--json"],
        &["version", "show", "ai"],
        &["version", "stories", "ai", "--json"],
    ];
    for args in reads {
        let want = stdout(&sqlite.run(args));
        assert!(!want.is_empty(), "{args:?}");
        assert_eq!(stdout(&pg.run(args)), want, "{args:?} on PostgreSQL");
        assert_eq!(stdout(&back.run(args)), want, "{args:?} back on SQLite");
    }
    // The target must be empty: copying again is refused, and nothing is changed.
    let again = sqlite.run(&["store", "copy", "--to", &url]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("a copy goes into an empty store"),
        "{}",
        stderr(&again)
    );
}
