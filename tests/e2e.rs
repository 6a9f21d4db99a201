//! End-to-end: the built `dossier` binary against loopback HTTP servers, with a temp
//! config and a temp store. Assertions are on exit codes, printed output, stored rows and
//! the requests the servers saw.

use rusqlite::Connection;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_dossier");

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(config_body: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "[store]\npath = \"store.sqlite\"\n\n[fetch]\nallow_private_addresses = true\ntimeout_secs = 2\nretries = 0\nper_host_gap_ms = 0\n\n{config_body}"
        );
        std::fs::write(dir.path().join("dossier.toml"), text).unwrap();
        Env { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("dossier.toml")
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store.sqlite")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--config")
            .arg(self.config())
            .args(args)
            .env_remove("DOSSIER_CONFIG");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    fn db(&self) -> Connection {
        Connection::open(self.store()).unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn json_lines(&self, args: &[&str]) -> Vec<Value> {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An RSS 2.0 document with items `(guid, title, link, pubDate)`.
fn rss(items: &[(&str, &str, &str, Option<&str>)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>https://x.example/</link>",
    );
    for (guid, title, link, date) in items {
        s += &format!("<item><guid>{guid}</guid><title>{title}</title><link>{link}</link>");
        if let Some(d) = date {
            s += &format!("<pubDate>{d}</pubDate>");
        }
        s += "</item>";
    }
    s + "</channel></rss>"
}

/// Serves `body` at `route` with an ETag, answering a matching If-None-Match with 304.
async fn serve_feed(server: &MockServer, route: &str, body: String, etag: &str) {
    Mock::given(method("GET"))
        .and(path(route))
        .and(header("if-none-match", etag))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", etag))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", etag)
                .insert_header("content-type", "application/rss+xml")
                .set_body_string(body),
        )
        .with_priority(2)
        .mount(server)
        .await;
}

fn two_topic_config(base: &str) -> String {
    format!(
        r#"[[topic]]
slug = "ai"
title = "AI Watch"
match_any = ["DeepSeek"]
  [[topic.feed]]
  url = "{base}/ai.rss"

[[topic]]
slug = "chips"
title = "Chips"
match_any = ["export controls"]

[[feed]]
name = "Wire"
url = "{base}/wire.rss"
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_are_conditional_idempotent_and_versions_keep_their_numbers() {
    let server = MockServer::start().await;
    let base = server.uri();
    serve_feed(
        &server,
        "/ai.rss",
        rss(&[
            (
                "a1",
                "DeepSeek ships a model",
                "https://n.example/a1",
                Some("Wed, 20 May 2026 10:00:00 GMT"),
            ),
            (
                "a2",
                "Qwen tops a chart",
                "https://n.example/a2",
                Some("Thu, 21 May 2026 10:00:00 GMT"),
            ),
        ]),
        "\"ai-1\"",
    )
    .await;
    serve_feed(
        &server,
        "/wire.rss",
        rss(&[(
            "w1",
            "New export controls announced",
            "https://w.example/1",
            Some("Tue, 19 May 2026 08:00:00 GMT"),
        )]),
        "\"wire-1\"",
    )
    .await;
    let env = Env::new(&two_topic_config(&base));

    // First run: everything is new.
    let first = env.run(&["run", "--json"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let stats: Value = serde_json::from_str(stdout(&first).trim()).unwrap();
    assert_eq!(stats["feeds"], 2);
    assert_eq!(stats["fetched"], 2);
    assert_eq!(stats["items_new"], 3);
    assert_eq!(
        stdout(&first).lines().count(),
        1,
        "run --json prints one object"
    );
    assert_eq!(env.count("SELECT count(*) FROM items"), 3);
    assert_eq!(
        env.count("SELECT count(*) FROM item_topics WHERE reason = 'topic_feed'"),
        2
    );
    assert_eq!(
        env.count("SELECT count(*) FROM item_topics WHERE reason = 'keyword' AND detail = 'export controls'"),
        1,
        "the wire story joins `chips` by keyword"
    );

    // Nothing is due yet: a plain run fetches nothing.
    let idle = env.run(&["run"]);
    assert_eq!(idle.status.code(), Some(0));
    assert!(
        stdout(&idle).starts_with("dossier: 0 feeds"),
        "{}",
        stdout(&idle)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // --all refetches conditionally: 304s, nothing new.
    let second = env.run(&["run", "--all", "--json"]);
    let stats: Value = serde_json::from_str(stdout(&second).trim()).unwrap();
    assert_eq!(
        (stats["not_modified"].as_u64(), stats["items_new"].as_u64()),
        (Some(2), Some(0)),
        "{stats}"
    );
    let conditional = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.headers.contains_key("if-none-match"))
        .count();
    assert_eq!(conditional, 2);
    assert_eq!(env.count("SELECT count(*) FROM items"), 3);

    let v1 = env.json_lines(&["version", "cut", "ai", "--json"]);
    let numbers = |v: &Value| -> Vec<(i64, String)> {
        v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["n"].as_i64().unwrap(),
                    s["title"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        numbers(&v1[0]),
        vec![
            (1, "DeepSeek ships a model".into()),
            (2, "Qwen tops a chart".into())
        ]
    );

    // The AI feed gains one item (older than the others): exactly that item is stored.
    server.reset().await;
    serve_feed(
        &server,
        "/ai.rss",
        rss(&[
            (
                "a1",
                "DeepSeek ships a model",
                "https://n.example/a1",
                Some("Wed, 20 May 2026 10:00:00 GMT"),
            ),
            (
                "a2",
                "Qwen tops a chart",
                "https://n.example/a2",
                Some("Thu, 21 May 2026 10:00:00 GMT"),
            ),
            (
                "a0",
                "An older DeepSeek story",
                "https://n.example/a0",
                Some("Mon, 18 May 2026 10:00:00 GMT"),
            ),
        ]),
        "\"ai-2\"",
    )
    .await;
    serve_feed(
        &server,
        "/wire.rss",
        rss(&[(
            "w1",
            "New export controls announced",
            "https://w.example/1",
            Some("Tue, 19 May 2026 08:00:00 GMT"),
        )]),
        "\"wire-1\"",
    )
    .await;
    let third = env.run(&["run", "--all", "--json"]);
    let stats: Value = serde_json::from_str(stdout(&third).trim()).unwrap();
    assert_eq!(
        (stats["fetched"].as_u64(), stats["not_modified"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(stats["items_new"], 1);
    assert_eq!(env.count("SELECT count(*) FROM items"), 4);

    let v2 = env.json_lines(&["version", "cut", "ai", "--json"]);
    assert_eq!(v2[0]["version"], 2);
    assert_eq!(v2[0]["new_items"], 1);
    assert_eq!(
        numbers(&v2[0]),
        vec![
            (1, "DeepSeek ships a model".into()),
            (2, "Qwen tops a chart".into()),
            (3, "An older DeepSeek story".into())
        ]
    );
    let list = env.json_lines(&["version", "list", "ai", "--json"]);
    assert_eq!(
        list.iter()
            .map(|v| v["new_items"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 1]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_story_from_two_feeds_is_one_item_and_one_source() {
    let server = MockServer::start().await;
    let base = server.uri();
    serve_feed(
        &server,
        "/ai.rss",
        rss(&[(
            "a1",
            "DeepSeek downloads surge",
            "https://n.example/story",
            Some("Wed, 20 May 2026 10:00:00 GMT"),
        )]),
        "\"a\"",
    )
    .await;
    serve_feed(
        &server,
        "/wire.rss",
        rss(&[(
            "wire-77",
            "DeepSeek downloads surge (wire copy)",
            "https://n.example/story?utm_source=rss&amp;utm_medium=feed&amp;fbclid=x#comments",
            Some("Wed, 20 May 2026 11:00:00 GMT"),
        )]),
        "\"w\"",
    )
    .await;
    let env = Env::new(&two_topic_config(&base));
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let items = env.json_lines(&["items", "--json"]);
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item["sightings"], 2);
    assert_eq!(item["url"], "https://n.example/story");
    assert_eq!(
        item["label"], "reactive:ai",
        "the topic feed is listed first, so it is the origin"
    );
    assert_eq!(item["topics"], serde_json::json!(["ai"]));
    assert_eq!(
        env.count("SELECT count(*) FROM sightings WHERE original_url LIKE '%utm_source%'"),
        1
    );
    let v = env.json_lines(&["version", "cut", "ai", "--json"]);
    assert_eq!(v[0]["item_count"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_feeds_are_recorded_and_do_not_stop_the_run() {
    let server = MockServer::start().await;
    let base = server.uri();
    serve_feed(
        &server,
        "/good.rss",
        rss(&[("g1", "Good item", "https://g.example/1", None)]),
        "\"g\"",
    )
    .await;
    Mock::given(path("/500.rss"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(path("/slow.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(6))
                .set_body_string(rss(&[])),
        )
        .mount(&server)
        .await;
    Mock::given(path("/garbage.rss"))
        .respond_with(ResponseTemplate::new(200).set_body_string("this is not a feed { at all"))
        .mount(&server)
        .await;
    Mock::given(path("/login.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/html")
                .set_body_string("<!DOCTYPE html><html><body><form><input type=\"password\"></form></body></html>"),
        )
        .mount(&server)
        .await;
    let feeds: String = ["good", "500", "slow", "garbage", "login"]
        .iter()
        .map(|n| format!("[[feed]]\nname = \"{n}\"\nurl = \"{base}/{n}.rss\"\n\n"))
        .collect();
    let env = Env::new(&feeds);
    let out = env.run(&["run"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "some feeds failing is still done: {}",
        stderr(&out)
    );
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("4 failed"), "{}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(
        err.lines().count(),
        4,
        "one stderr line per failed feed: {err}"
    );
    assert!(
        err.contains("feed `500` failed: http_5xx: HTTP 500"),
        "{err}"
    );
    assert_eq!(env.count("SELECT count(*) FROM items"), 1);

    let feeds = env.json_lines(&["feeds", "--json"]);
    let by_name = |n: &str| feeds.iter().find(|f| f["name"] == n).unwrap().clone();
    assert_eq!(
        (
            by_name("good")["last_status"].as_str(),
            by_name("good")["items"].as_i64()
        ),
        (Some("200"), Some(1))
    );
    assert_eq!(by_name("good")["error_class"], Value::Null);
    let f500 = by_name("500");
    assert_eq!(
        (f500["last_status"].as_str(), f500["error_class"].as_str()),
        (Some("500"), Some("http_5xx"))
    );
    assert_eq!(f500["consecutive_failures"], 1);
    assert_eq!(by_name("slow")["error_class"], "timeout");
    assert_eq!(by_name("slow")["last_status"], "timeout");
    assert_eq!(by_name("garbage")["error_class"], "not_a_feed");
    assert_eq!(by_name("login")["error_class"], "not_a_feed");
    assert!(
        by_name("login")["last_error"]
            .as_str()
            .unwrap()
            .contains("login page")
    );
    for f in &feeds {
        assert!(
            f["next_due_at"].is_string() && f["last_fetch_at"].is_string(),
            "{f}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn when_every_feed_fails_the_run_exits_1() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"a\"\nurl = \"{}/a\"\n",
        server.uri()
    ));
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("network"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_overlapping_run_exits_75_and_changes_nothing() {
    let server = MockServer::start().await;
    Mock::given(path("/slow.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(1500))
                .set_body_string(rss(&[("s1", "Slow item", "https://s.example/1", None)])),
        )
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"slow\"\nurl = \"{}/slow.rss\"\n",
        server.uri()
    ));
    let first = env
        .command(&["run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first run holds the lock (its request reached the server).
    for _ in 0..100 {
        if !server.received_requests().await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = env.run(&["run", "--all"]);
    assert_eq!(second.status.code(), Some(75), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("another run holds the lock"),
        "{}",
        stderr(&second)
    );
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "the second run fetched nothing"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM runs"),
        1,
        "the second run recorded nothing"
    );
    assert_eq!(env.count("SELECT count(*) FROM items"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_does_not_block_the_next() {
    let server = MockServer::start().await;
    Mock::given(path("/slow.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(30))
                .set_body_string(rss(&[("s1", "Slow item", "https://s.example/1", None)])),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    serve_feed(
        &server,
        "/slow.rss",
        rss(&[("s1", "Slow item", "https://s.example/1", None)]),
        "\"s\"",
    )
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"slow\"\nurl = \"{}/slow.rss\"\n",
        server.uri()
    ));
    let mut first = env
        .command(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if !server.received_requests().await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap(); // SIGKILL: no cleanup runs
    first.wait().unwrap();
    let next = env.run(&["run", "--all"]);
    assert_eq!(next.status.code(), Some(0), "{}", stderr(&next));
    assert_eq!(env.count("SELECT count(*) FROM items"), 1);
    assert_eq!(env.count("SELECT count(*) FROM sightings"), 1);
}

#[test]
fn a_held_lock_means_exit_75_before_the_store_is_touched() {
    let env = Env::new("[[feed]]\nname = \"a\"\nurl = \"http://127.0.0.1:9/a\"\n");
    let lock = std::fs::File::create(env.dir.path().join("store.sqlite.lock")).unwrap();
    lock.try_lock().unwrap();
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(75));
    assert!(!env.store().exists(), "the store must not even be created");
}

#[test]
fn an_invalid_config_names_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        r#"[fetch]
timeout = 5

[[topic]]
slug = "ai"
title = "AI"

[[feed]]
name = "A"
url = "gopher://a.example/feed"

[[feed]]
name = "A"
url = "https://b.example/feed"
topics = ["nope"]
"#,
    )
    .unwrap();
    for cmd in ["check", "run"] {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&cfg)
            .arg(cmd)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = stderr(&out);
        let file = cfg.display().to_string();
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with(&file)).collect();
        assert_eq!(lines.len(), 4, "{err}");
        assert!(
            lines[0].starts_with(&format!("{file}:2: fetch.timeout: unknown key")),
            "{err}"
        );
        assert!(
            lines[1].starts_with(&format!(
                "{file}:10: feed[0].url: `gopher://a.example/feed` is not an http or https URL"
            )),
            "{err}"
        );
        assert!(
            lines[2].starts_with(&format!("{file}:13: feed[1].name: duplicate feed name `A`")),
            "{err}"
        );
        assert!(
            lines[3].starts_with(&format!(
                "{file}:15: feed[1].topics: feed `A` names unknown topic `nope`"
            )),
            "{err}"
        );
    }
}

#[test]
fn check_summarises_a_valid_config() {
    let out = Command::new(BIN)
        .arg("--config")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dossier.toml"))
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(
        s.contains("ok — 2 topics, 4 feeds (2 topic feeds, 2 standalone)"),
        "{s}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(BIN).arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let env = Env::new("");
    assert_eq!(
        env.run(&["items", "--since", "last tuesday"]).status.code(),
        Some(2)
    );
    assert_eq!(
        env.run(&["version", "cut", "no-such-topic"]).status.code(),
        Some(2)
    );
    let out = env.run(&["run", "--feed", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no feed named `nope`"));
}

#[tokio::test(flavor = "multi_thread")]
async fn version_show_renders_the_contract_and_stays_frozen() {
    let server = MockServer::start().await;
    let long = "A very long headline about DeepSeek and the state of open models in 2026, which goes on and on, well past the limit of 120 characters";
    assert!(long.chars().count() > 120);
    serve_feed(
        &server,
        "/ai.rss",
        rss(&[
            (
                "1",
                "Dated &amp; &lt;b&gt;bold&lt;/b&gt; story",
                "https://n.example/1",
                Some("Fri, 22 May 2026 10:15:00 +0200"),
            ),
            (
                "2",
                long,
                "https://n.example/2",
                Some("Sat, 23 May 2026 01:00:00 GMT"),
            ),
            ("3", "Undated story", "https://n.example/3", None),
        ]),
        "\"v1\"",
    )
    .await;
    let env = Env::new(&two_topic_config(&server.uri()));
    assert_eq!(
        env.run(&["run", "--feed", "reactive:ai"]).status.code(),
        Some(0)
    );
    let cut = env.run(&["version", "cut", "ai"]);
    assert_eq!(cut.status.code(), Some(0));
    let shown = env.run(&["version", "show", "ai"]);
    let text = stdout(&shown);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "AI Watch");
    assert!(
        lines[1].starts_with("Version 1 · ") && lines[1].ends_with(" UTC · 3 items"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "");
    assert_eq!(lines[3], "Sources");
    assert_eq!(
        lines[4],
        "[1] Dated & bold story — reactive:ai (2026-05-22)"
    );
    let cut120: String = long.chars().take(120).collect();
    assert_eq!(
        lines[5],
        format!("[2] {cut120}... — reactive:ai (2026-05-23)")
    );
    assert_eq!(lines[6], "[3] Undated story — reactive:ai");
    assert_eq!(lines.len(), 7);
    assert_eq!(stdout(&cut), text, "cut prints what show prints");

    // The feed edits a headline; the store follows, the published version does not.
    server.reset().await;
    serve_feed(
        &server,
        "/ai.rss",
        rss(&[
            (
                "1",
                "Corrected story",
                "https://n.example/1",
                Some("Fri, 22 May 2026 10:15:00 +0200"),
            ),
            (
                "2",
                long,
                "https://n.example/2",
                Some("Sat, 23 May 2026 01:00:00 GMT"),
            ),
            ("3", "Undated story", "https://n.example/3", None),
        ]),
        "\"v2\"",
    )
    .await;
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    let items = env.json_lines(&["items", "--json", "--search", "corrected"]);
    assert_eq!(items.len(), 1);
    assert_eq!(stdout(&env.run(&["version", "show", "ai", "1"])), text);
    let v2 = env.json_lines(&["version", "cut", "ai", "--json"]);
    assert_eq!(v2[0]["sources"][0]["title"], "Corrected story");
}

#[tokio::test(flavor = "multi_thread")]
async fn items_json_has_the_contract_shape() {
    let server = MockServer::start().await;
    serve_feed(
        &server,
        "/ai.rss",
        rss(&[(
            "tag:n.example,2026:1",
            "DeepSeek story",
            "https://n.example/1?utm_source=x",
            Some("Fri, 22 May 2026 10:15:00 GMT"),
        )]),
        "\"v\"",
    )
    .await;
    let env = Env::new(&two_topic_config(&server.uri()));
    env.run(&["run"]);
    let raw = stdout(&env.run(&[
        "items",
        "--json",
        "--topic",
        "ai",
        "--since",
        "2026-05-22",
        "--until",
        "2026-05-22",
    ]));
    assert_eq!(raw.lines().count(), 1);
    let items = env.json_lines(&[
        "items",
        "--json",
        "--topic",
        "ai",
        "--since",
        "2026-05-22",
        "--until",
        "2026-05-22",
    ]);
    let mut keys: Vec<(usize, &str)> = items[0]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (raw.find(&format!("\"{k}\":")).unwrap(), k.as_str()))
        .collect();
    keys.sort();
    assert_eq!(
        keys.into_iter().map(|(_, k)| k).collect::<Vec<_>>(),
        vec![
            "id",
            "guid",
            "url",
            "original_url",
            "title",
            "summary",
            "author",
            "published_at",
            "date_source",
            "first_seen_at",
            "feed",
            "label",
            "topics",
            "duplicate_of",
            "sightings",
            "date_evidence"
        ]
    );
    let i = &items[0];
    assert_eq!(i["guid"], "tag:n.example,2026:1");
    assert_eq!(i["url"], "https://n.example/1");
    assert_eq!(i["original_url"], "https://n.example/1?utm_source=x");
    assert_eq!(i["published_at"], "2026-05-22T10:15:00Z");
    assert_eq!(i["date_source"], "feed");
    assert_eq!(i["feed"], "reactive:ai");
    assert_eq!(i["duplicate_of"], Value::Null);
    assert!(
        env.json_lines(&["items", "--json", "--since", "2026-05-23"])
            .is_empty()
    );
}

#[test]
fn parse_prints_items_of_a_file_without_a_store() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/rohanpaul.json");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args(["parse", fixture.to_str().unwrap()])
        .env_remove("DOSSIER_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    for l in &lines {
        let o = l.as_object().unwrap();
        for absent in ["id", "topics", "sightings", "first_seen_at"] {
            assert!(!o.contains_key(absent), "{absent} is not knowable by parse");
        }
        assert!(
            o["title"].as_str().is_some_and(|t| !t.is_empty()),
            "posts take their text as title"
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "parse stores nothing"
    );
}

/// Runs `args` with stdout a pipe whose reader is gone before anything is written (as
/// `dossier … | head` once `head` has its lines), and returns (exit code, stderr).
fn run_with_stdout_closed(env: &Env, args: &[&str]) -> (Option<i32>, String) {
    let mut child = env
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (out.status.code(), stderr(&out))
}

/// Regression: `dossier parse X | head` printed "Broken pipe (os error 32)" and exited 1
/// (serde_json hid the pipe error from the check), and commands that used `print!`
/// panicked. Every command that prints to stdout now stops quietly with exit 0.
#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stdout_ends_every_printing_command_quietly() {
    let server = MockServer::start().await;
    let base = server.uri();
    // Enough output that the writes pass through serde_json and BufWriter flushes, not
    // only the final flush.
    let words = "a long summary that takes room ".repeat(8);
    let entries: Vec<(String, String, String)> = (0..300)
        .map(|i| {
            (
                format!("g{i}"),
                format!("Story {i}: {words}"),
                format!("https://news.example/{i}"),
            )
        })
        .collect();
    let items: Vec<(&str, &str, &str, Option<&str>)> = entries
        .iter()
        .map(|(g, t, l)| {
            (
                g.as_str(),
                t.as_str(),
                l.as_str(),
                Some("Tue, 19 May 2026 08:00:00 GMT"),
            )
        })
        .collect();
    let body = rss(&items);
    serve_feed(&server, "/big.rss", body.clone(), "\"big\"").await;
    Mock::given(path("/site/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"<html><head><link rel="alternate" type="application/rss+xml" href="/big.rss"></head></html>"#,
            "text/html",
        ))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[topic]]\nslug = \"t\"\ntitle = \"T\"\n  [[topic.feed]]\n  url = \"{base}/big.rss\"\n"
    ));
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.run(&["version", "cut", "t"]).status.code(), Some(0));
    let feed_file = env.dir.path().join("big.rss");
    std::fs::write(&feed_file, &body).unwrap();
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages/jsonld-article.html");
    let page = page.to_str().unwrap();
    let mut inspect = vec!["inspect"];
    inspect.extend(std::iter::repeat_n(page, 60));
    let site = format!("{base}/site/");
    let commands: Vec<Vec<&str>> = vec![
        vec!["parse", feed_file.to_str().unwrap()],
        inspect,
        vec!["items"],
        vec!["items", "--json"],
        vec!["feeds"],
        vec!["feeds", "--json"],
        vec!["version", "show", "t"],
        vec!["version", "show", "t", "--json"],
        vec!["version", "list", "t"],
        vec!["version", "cut", "t", "--json"],
        vec!["check"],
        vec!["feeds", "export-opml"],
        vec!["feeds", "discover", &site],
        vec!["run", "--all", "--json"],
    ];
    for args in commands {
        let (code, err) = run_with_stdout_closed(&env, &args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("Broken pipe") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn the_demo_runs_offline_and_prints_a_version_per_topic() {
    let out = Command::new(BIN)
        .arg("demo")
        .env_remove("DOSSIER_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = stdout(&out);
    assert_eq!(s.matches("\nSources\n").count(), 3, "{s}");
    assert!(s.contains("Version 1 · "));
    assert!(
        s.contains(" — reactive:us-china-chip-export-debate"),
        "a keyword-matched item from another topic's feed"
    );
    assert!(
        s.lines()
            .any(|l| l.contains("...") && l.contains("— Rohan Paul Twitter")),
        "a long post is cut"
    );
    let dup = s
        .lines()
        .filter(|l| l.contains("overtake U.S. in download share"))
        .count();
    assert_eq!(
        dup, 2,
        "the duplicated story is one source in each of its two topics"
    );
}

// ---- fetching like a good citizen: schedules, backoff, redirects, outages ----

fn feed_row(env: &Env, name: &str) -> Value {
    env.json_lines(&["feeds", "--json"])
        .into_iter()
        .find(|f| f["name"] == name)
        .unwrap()
}

/// Minutes from the last fetch to the next due time.
fn scheduled_gap_mins(f: &Value) -> i64 {
    let at = |k: &str| chrono::DateTime::parse_from_rfc3339(f[k].as_str().unwrap()).unwrap();
    (at("next_due_at") - at("last_fetch_at")).num_minutes()
}

#[tokio::test(flavor = "multi_thread")]
async fn backoff_grows_with_failures_and_a_success_resets_it() {
    let server = MockServer::start().await;
    Mock::given(path("/f.rss"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&server)
        .await;
    serve_feed(
        &server,
        "/f.rss",
        rss(&[("1", "Back", "https://b.example/1", None)]),
        "\"b\"",
    )
    .await;
    let good = format!(
        "[[feed]]\nname = \"ok\"\nurl = \"{}/ok.rss\"\n",
        server.uri()
    );
    serve_feed(
        &server,
        "/ok.rss",
        rss(&[("o", "Fine", "https://o.example/1", None)]),
        "\"o\"",
    )
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"f\"\nurl = \"{}/f.rss\"\ninterval_mins = 10\n\n{good}",
        server.uri()
    ));
    let mut gaps = Vec::new();
    for _ in 0..3 {
        assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
        let f = feed_row(&env, "f");
        gaps.push((
            f["consecutive_failures"].as_i64().unwrap(),
            scheduled_gap_mins(&f),
        ));
    }
    assert_eq!(gaps, vec![(1, 10), (2, 20), (3, 40)]);
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    let f = feed_row(&env, "f");
    assert_eq!(
        (f["consecutive_failures"].as_i64(), scheduled_gap_mins(&f)),
        (Some(0), 10)
    );
    assert_eq!(f["last_status"], "200");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_410_disables_the_feed_and_feeds_says_so() {
    let server = MockServer::start().await;
    Mock::given(path("/gone.rss"))
        .respond_with(ResponseTemplate::new(410))
        .expect(1)
        .mount(&server)
        .await;
    serve_feed(
        &server,
        "/ok.rss",
        rss(&[("o", "Fine", "https://o.example/1", None)]),
        "\"o\"",
    )
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"gone\"\nurl = \"{0}/gone.rss\"\n\n[[feed]]\nname = \"ok\"\nurl = \"{0}/ok.rss\"\n",
        server.uri()
    ));
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let f = feed_row(&env, "gone");
    assert_eq!(f["last_status"], "410");
    assert!(
        f["disabled"]
            .as_str()
            .unwrap()
            .starts_with("gone (HTTP 410)"),
        "{f}"
    );
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    let text = stdout(&env.run(&["feeds"]));
    assert!(text.contains("disabled: gone (HTTP 410)"), "{text}");
    // `.expect(1)` on the mock: the disabled feed was not requested again.
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_redirect_moves_the_feed() {
    let server = MockServer::start().await;
    Mock::given(path("/old.rss"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/new.rss"))
        .expect(1)
        .mount(&server)
        .await;
    serve_feed(
        &server,
        "/new.rss",
        rss(&[("n", "Moved", "https://m.example/1", None)]),
        "\"n\"",
    )
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"m\"\nurl = \"{}/old.rss\"\n",
        server.uri()
    ));
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let f = feed_row(&env, "m");
    let new = format!("{}/new.rss", server.uri());
    assert_eq!(
        (f["moved_to"].as_str(), f["final_url"].as_str()),
        (Some(new.as_str()), Some(new.as_str()))
    );
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    let new_hits = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/new.rss")
        .count();
    assert_eq!(new_hits, 2, "the second run went straight to the new URL");
}

#[test]
fn when_nearly_every_feed_fails_at_the_network_level_the_outage_is_ours() {
    // Ports nothing listens on: every connection is refused.
    let closed: Vec<u16> = (0..3)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        })
        .collect();
    let feeds: String = closed
        .iter()
        .enumerate()
        .map(|(i, p)| format!("[[feed]]\nname = \"f{i}\"\nurl = \"http://127.0.0.1:{p}/x\"\n\n"))
        .collect();
    let env = Env::new(&feeds);
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("our outage"), "{}", stderr(&out));
    for f in env.json_lines(&["feeds", "--json"]) {
        assert_eq!(f["error_class"], "connect", "{f}");
        assert_eq!(
            f["consecutive_failures"], 0,
            "not held against the feed: {f}"
        );
        assert_eq!(f["next_due_at"], Value::Null, "still due next run: {f}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_deadline_stores_what_it_has_and_leaves_the_rest_due() {
    let server = MockServer::start().await;
    Mock::given(path("/slow.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(4))
                .set_body_string(rss(&[("s", "S", "https://s.example/", None)])),
        )
        .mount(&server)
        .await;
    serve_feed(
        &server,
        "/fast.rss",
        rss(&[("f", "Fast", "https://f.example/1", None)]),
        "\"f\"",
    )
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"slow\"\nurl = \"{0}/slow.rss\"\n\n[[feed]]\nname = \"fast\"\nurl = \"{0}/fast.rss\"\n",
        server.uri()
    ));
    std::fs::write(
        env.config(),
        std::fs::read_to_string(env.config())
            .unwrap()
            .replace("timeout_secs = 2", "timeout_secs = 10"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = env.run(&["run", "--deadline", "1", "--json"]);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stats: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        (stats["fetched"].as_u64(), stats["not_fetched"].as_u64()),
        (Some(1), Some(1)),
        "{stats}"
    );
    let slow = feed_row(&env, "slow");
    assert_eq!(
        (slow["last_fetch_at"].clone(), slow["next_due_at"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(env.count("SELECT count(*) FROM items"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_body_counts_as_not_modified_and_is_not_parsed_again() {
    let server = MockServer::start().await;
    // No validators at all: the server always sends the whole body.
    Mock::given(path("/same.rss"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[(
            "1",
            "Same",
            "https://s.example/1",
            None,
        )])))
        .expect(2)
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"same\"\nurl = \"{}/same.rss\"\n",
        server.uri()
    ));
    env.run(&["run"]);
    let out = env.run(&["run", "--all", "--json"]);
    let stats: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        (stats["fetched"].as_u64(), stats["not_modified"].as_u64()),
        (Some(0), Some(1)),
        "{stats}"
    );
    assert_eq!(feed_row(&env, "same")["last_status"], "not_modified");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_freshness_raises_the_interval_but_never_lowers_it() {
    let server = MockServer::start().await;
    let body = rss(&[("1", "Fresh", "https://f.example/1", None)]);
    Mock::given(path("/long.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("cache-control", "max-age=7200")
                .set_body_string(body.clone()),
        )
        .mount(&server)
        .await;
    Mock::given(path("/short.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("cache-control", "max-age=60")
                .set_body_string(body.clone()),
        )
        .mount(&server)
        .await;
    let ttl = body
        .replace("<title>t</title>", "<title>t</title><ttl>180</ttl>")
        .replace("\"1\"", "\"2\"");
    Mock::given(path("/ttl.rss"))
        .respond_with(ResponseTemplate::new(200).set_body_string(ttl))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"long\"\nurl = \"{0}/long.rss\"\n\n[[feed]]\nname = \"short\"\nurl = \"{0}/short.rss\"\n\n[[feed]]\nname = \"ttl\"\nurl = \"{0}/ttl.rss\"\n",
        server.uri()
    ));
    env.run(&["run"]);
    assert_eq!(scheduled_gap_mins(&feed_row(&env, "long")), 120);
    assert_eq!(
        scheduled_gap_mins(&feed_row(&env, "short")),
        30,
        "the configured interval is the floor"
    );
    assert_eq!(scheduled_gap_mins(&feed_row(&env, "ttl")), 180);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_defers_the_feed_without_counting_a_failure() {
    let server = MockServer::start().await;
    Mock::given(path("/busy.rss"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"busy\"\nurl = \"{}/busy.rss\"\n",
        server.uri()
    ));
    let out = env.run(&["run", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "back-pressure is no failure: {}",
        stderr(&out)
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let stats: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        (stats["deferred"].as_u64(), stats["failed"].as_u64()),
        (Some(1), Some(0))
    );
    let f = feed_row(&env, "busy");
    assert_eq!(
        (f["last_status"].as_str(), f["error_class"].clone()),
        (Some("429"), Value::Null)
    );
    assert_eq!(f["consecutive_failures"], 0);
    assert_eq!(scheduled_gap_mins(&f), 60);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_http_charset_decodes_a_feed_and_repairs_leave_a_warning() {
    let server = MockServer::start().await;
    let gbk_doc = rss(&[("1", "中国人工智能产业快速发展", "https://c.example/1", None)]);
    let (gbk, _, _) = encoding_rs::GBK.encode(&gbk_doc);
    Mock::given(path("/gbk.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(gbk.into_owned(), "application/rss+xml; charset=GBK"),
        )
        .mount(&server)
        .await;
    let cut = rss(&[
        ("a", "Whole item", "https://t.example/a", None),
        ("b", "Cut", "https://t.example/b", None),
    ]);
    let cut = cut[..cut.find("<item><guid>b").unwrap() + 20].to_string();
    Mock::given(path("/cut.rss"))
        .respond_with(ResponseTemplate::new(200).set_body_string(cut))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"gbk\"\nurl = \"{0}/gbk.rss\"\n\n[[feed]]\nname = \"cut\"\nurl = \"{0}/cut.rss\"\n",
        server.uri()
    ));
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let titles: Vec<String> = env
        .json_lines(&["items", "--json"])
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    assert!(
        titles.contains(&"中国人工智能产业快速发展".to_string()),
        "{titles:?}"
    );
    assert!(titles.contains(&"Whole item".to_string()), "{titles:?}");
    let cut = feed_row(&env, "cut");
    assert!(
        cut["warning"].as_str().unwrap().contains("cut off"),
        "{cut}"
    );
    assert_eq!(cut["error_class"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daily_full_fetch_sees_past_an_etag_that_never_changes() {
    let server = MockServer::start().await;
    // A server whose ETag never changes and which ignores If-None-Match.
    Mock::given(path("/stale.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"same\"")
                .set_body_string(rss(&[("1", "One", "https://s.example/1", None)])),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/stale.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"same\"")
                .set_body_string(rss(&[
                    ("1", "One", "https://s.example/1", None),
                    ("2", "Two", "https://s.example/2", None),
                ])),
        )
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"stale\"\nurl = \"{}/stale.rss\"\n",
        server.uri()
    ));
    env.run(&["run"]);
    env.run(&["run", "--all"]);
    assert_eq!(
        env.count("SELECT count(*) FROM items"),
        1,
        "same ETag on a conditional request: not parsed"
    );
    env.db()
        .execute(
            "UPDATE feeds SET last_full_fetch_at = '2000-01-01T00:00:00Z'",
            [],
        )
        .unwrap();
    env.run(&["run", "--all"]);
    assert_eq!(
        env.count("SELECT count(*) FROM items"),
        2,
        "the full fetch parses the body"
    );
    let last = server.received_requests().await.unwrap().pop().unwrap();
    assert!(
        !last.headers.contains_key("if-none-match"),
        "the full fetch sends no validators"
    );
}

// ---- web pages read with selectors ----

#[tokio::test(flavor = "multi_thread")]
async fn a_web_feed_yields_items_and_a_changed_page_is_reported_broken() {
    let server = MockServer::start().await;
    let page = r#"<html lang="en"><body>
        <article class="post"><h2><a href="/news/first">First story</a></h2><time datetime="2026-05-20T08:10:00Z">May 20</time>
          <p class="excerpt">About the first.</p><a class="more" data-href="/news/first?ref=more">more</a></article>
        <article class="post"><h2><a href="second">Second story</a></h2><time>20 May 2026 09:00</time></article>
        </body></html>"#;
    Mock::given(path("/news/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/news/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<html><body><div class='card'>Redesigned</div></body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"Lab newsroom\"\nurl = \"{}/news/\"\nkind = \"web\"\n  [feed.select]\n  item = \"article.post\"\n  title = \"h2\"\n  link = \"h2 a\"\n  date = \"time\"\n  summary = \"p.excerpt\"\n",
        server.uri()
    ));
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let items = env.json_lines(&["items", "--json"]);
    let by_title = |t: &str| items.iter().find(|i| i["title"] == t).unwrap().clone();
    let first = by_title("First story");
    assert_eq!(first["url"], format!("{}/news/first", server.uri()));
    assert_eq!(first["published_at"], "2026-05-20T08:10:00Z");
    assert_eq!(first["summary"], "About the first.");
    assert_eq!(
        by_title("Second story")["url"],
        format!("{}/news/second", server.uri()),
        "relative to the page"
    );
    assert_eq!(
        by_title("Second story")["published_at"],
        "2026-05-20T09:00:00Z"
    );

    let out = env.run(&["run", "--all"]);
    assert_eq!(out.status.code(), Some(1), "the only feed failed");
    assert!(
        stderr(&out).contains("selector `item` (`article.post`) matched nothing"),
        "{}",
        stderr(&out)
    );
    let f = feed_row(&env, "Lab newsroom");
    assert_eq!(f["error_class"], "selector");
    assert_eq!(env.count("SELECT count(*) FROM items"), 2, "nothing lost");
}

// ---- article pages ----

#[tokio::test(flavor = "multi_thread")]
async fn undated_items_are_dated_from_their_pages_once() {
    let server = MockServer::start().await;
    let base = server.uri();
    serve_feed(
        &server,
        "/search.rss",
        rss(&[
            ("1", "Undated story", &format!("{base}/story-1"), None),
            ("2", "Shortlink copy", &format!("{base}/p?id=2"), None),
            ("3", "Broken page", &format!("{base}/gone"), None),
            (
                "4",
                "Story two, canonical form",
                &format!("{base}/story-2"),
                Some("Tue, 19 May 2026 07:00:00 GMT"),
            ),
        ]),
        "\"s\"",
    )
    .await;
    Mock::given(path("/story-1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"<html><head><title>Undated story</title><meta property="article:published_time" content="2026-05-18T10:00:00+02:00"><meta name="description" content="From the page."></head><body><h1>Undated story</h1></body></html>"#,
            "text/html",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/p"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"<html><head><link rel="canonical" href="{base}/story-2"><title>Shortlink copy</title></head><body></body></html>"#),
            "text/html",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/gone"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[topic]]\nslug = \"t\"\ntitle = \"T\"\n  [[topic.feed]]\n  url = \"{base}/search.rss\"\n"
    ));
    let out = env.run(&["run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stats: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(stats["dated_from_pages"], 1, "{stats}");
    let items = env.json_lines(&["items", "--json"]);
    let find = |t: &str| {
        items
            .iter()
            .find(|i| i["title"] == t)
            .unwrap_or_else(|| panic!("{t} not in {items:?}"))
            .clone()
    };
    let dated = find("Undated story");
    assert_eq!(
        (
            dated["date_source"].as_str(),
            dated["published_at"].as_str()
        ),
        (Some("page"), Some("2026-05-18T08:00:00Z"))
    );
    assert_eq!(dated["summary"], "From the page.");
    assert!(
        dated["date_evidence"]
            .as_str()
            .unwrap()
            .contains("article:published_time")
    );
    let broken = find("Broken page");
    assert_eq!(
        (
            broken["date_source"].as_str(),
            broken["published_at"].clone()
        ),
        (Some("first_seen"), Value::Null)
    );
    let amp = find("Shortlink copy");
    let canonical = find("Story two, canonical form");
    assert_eq!(
        amp["url"],
        format!("{base}/story-2"),
        "the AMP item now cites the canonical link"
    );
    assert_eq!(
        canonical["duplicate_of"], amp["id"],
        "the same story: the later item is the duplicate"
    );
    // Pages are read once: a second run fetches none of them again (`.expect(1)` above).
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    let v = env.json_lines(&["version", "cut", "t", "--json"]);
    assert_eq!(
        v[0]["item_count"], 3,
        "the duplicate is left out of the version: {}",
        v[0]
    );
}

// ---- finding feeds, OPML ----

#[tokio::test(flavor = "multi_thread")]
async fn discover_lists_announced_feeds_then_well_known_paths() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(path("/blog/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"<html><head><link rel="alternate" type="application/atom+xml" title="Blog posts" href="/blog/atom.xml"></head></html>"#,
            "text/html",
        ))
        .mount(&server)
        .await;
    Mock::given(path("/plain/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("<html><head></head></html>", "text/html"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/elsewhere.xml"))
        .mount(&server)
        .await;
    Mock::given(path("/rss.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[(
            "1",
            "x",
            "https://p.example/1",
            None,
        )])))
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[])))
        .expect(0)
        .mount(&server)
        .await;
    let env = Env::new("");
    let out = env.run(&["feeds", "discover", &format!("{base}/blog/")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let snippet = stdout(&out);
    assert!(
        snippet.contains(&format!(
            "[[feed]]\nname = \"Blog posts\"\nurl = \"{base}/blog/atom.xml\"\nkind = \"feed\""
        )),
        "{snippet}"
    );
    let found = env.json_lines(&["feeds", "discover", &format!("{base}/plain/"), "--json"]);
    let urls: Vec<&str> = found.iter().map(|f| f["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        vec![format!("{base}/rss.xml")],
        "well-known paths at the site's root; redirects not followed"
    );
    assert_eq!(found[0]["found_by"], "well-known");
}

/// Regression: discovery resolved `<link rel="alternate" href="spip.php?page=backend">`
/// against the page's address even when the page has `<base href>`, and offered a feed
/// URL that does not exist.
#[tokio::test(flavor = "multi_thread")]
async fn discover_resolves_announced_feeds_against_the_base_href() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(path("/spip/rubrique/article-12.html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(
                r#"<html><head><base href="{base}/spip/"><link rel="alternate" type="application/rss+xml" title="Site news" href="spip.php?page=backend"></head><body></body></html>"#
            ),
            "text/html",
        ))
        .expect(2)
        .mount(&server)
        .await;
    // The announced feed is listed without a guess at the usual paths.
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[])))
        .expect(0)
        .mount(&server)
        .await;
    let env = Env::new("");
    let page = format!("{base}/spip/rubrique/article-12.html");
    let found = env.json_lines(&["feeds", "discover", &page, "--json"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0]["url"],
        format!("{base}/spip/spip.php?page=backend")
    );
    assert_eq!(found[0]["found_by"], "link");
    let out = env.run(&["feeds", "discover", &page]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("url = \"{base}/spip/spip.php?page=backend\"")),
        "{}",
        stdout(&out)
    );
}

#[test]
fn opml_import_keeps_comments_skips_known_feeds_and_export_lists_them() {
    let env = Env::new(
        "# my feeds, hand-kept\n[[feed]]\nname = \"Known\"\nurl = \"https://known.example/rss\"\n",
    );
    let opml = env.dir.path().join("subs.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0"?><opml version="2.0"><body><outline text="News">
            <outline text="Known again" xmlUrl="https://known.example/rss"/>
            <outline text="Fresh &amp; new" xmlUrl="https://fresh.example/feed"/>
            <outline text="Known" xmlUrl="https://other.example/atom"/>
            <outline text="Bad" xmlUrl="ftp://bad.example/x"/></outline></body></opml>"#,
    )
    .unwrap();
    let out = env.run(&["feeds", "import-opml", opml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("added 2 feeds"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("skipped 1 already there, 1 invalid"),
        "{}",
        stdout(&out)
    );
    let text = std::fs::read_to_string(env.config()).unwrap();
    assert!(text.contains("# my feeds, hand-kept"), "comments are kept");
    assert!(
        text.contains("name = \"Fresh & new\"") && text.contains("name = \"Known (2)\""),
        "{text}"
    );
    assert_eq!(env.run(&["check"]).status.code(), Some(0));
    let again = env.run(&["feeds", "import-opml", opml.to_str().unwrap()]);
    assert!(
        stdout(&again).contains("added 0 feeds"),
        "{}",
        stdout(&again)
    );
    let exported = stdout(&env.run(&["feeds", "export-opml"]));
    assert!(exported.starts_with("<?xml"));
    for url in [
        "https://known.example/rss",
        "https://fresh.example/feed",
        "https://other.example/atom",
    ] {
        assert!(
            exported.contains(&format!("xmlUrl=\"{url}\"")),
            "{exported}"
        );
    }
    assert!(exported.contains("text=\"Fresh &amp; new\""));
}

/// Regression: an outline whose `description` held raw markup with unescaped quotes was
/// dropped without being counted ("added 49 feeds" for a file of 50). Every outline with
/// an `xmlUrl` is now accounted for: added, already there, or invalid with its line,
/// title and reason.
#[test]
fn opml_import_accounts_for_every_outline_of_a_broken_file() {
    let env = Env::new("[[feed]]\nname = \"Known\"\nurl = \"https://known.example/rss\"\n");
    let opml = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/opml/real-world-breakage.opml");
    let out = env.run(&["-v", "feeds", "import-opml", opml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = stdout(&out);
    assert!(
        summary.contains("added 8 feeds to ")
            && summary.contains("skipped 2 already there, 3 invalid (13 feed outlines in "),
        "{summary}"
    );
    let err = stderr(&out);
    let file = opml.display();
    for line in [
        format!("{file}:7: outline `Signal`: read although its attributes are not well-formed"),
        format!(
            "{file}:16: outline `Plain again`: `https://plain.example/feed.xml` is already there"
        ),
        format!("{file}:18: outline `Known`: `https://known.example/rss` is already there"),
        format!("{file}:19: outline `Empty`: skipped: its xmlUrl is empty"),
        format!(
            "{file}:20: outline `Typo scheme`: skipped: `hhttps://typo.example/?feed=rss2` is not an http or https URL"
        ),
        format!(
            "{file}:21: outline `A list`: skipped: `https://lists.example/subs.opml` is a subscription list (type=\"source\"), not a feed"
        ),
    ] {
        assert!(err.contains(&line), "missing `{line}` in:\n{err}");
    }
    assert!(
        !err.contains("gone.example"),
        "a commented-out outline is no outline"
    );
    assert_eq!(env.run(&["check"]).status.code(), Some(0));
    let text = std::fs::read_to_string(env.config()).unwrap();
    for (name, url) in [
        ("Plain", "https://plain.example/feed.xml"),
        ("Signal", "https://signal.example/feed/"),
        ("Shouting", "https://shout.example/rss"),
        ("Spaced & bare", "https://spaced.example/rss?a=1&b=2"),
        ("No type", "https://notype.example/atom.xml"),
        ("Wordpress link", "https://wp.example/feed/"),
        ("Deep", "https://deep.example/rss"),
        ("Café du coin", "http://cafe.example/rss"),
    ] {
        assert!(
            text.contains(&format!("name = \"{name}\"\nurl = \"{url}\"\n")),
            "{name}: {text}"
        );
    }
    let feeds = env.json_lines(&["feeds", "--json"]);
    assert_eq!(feeds.len(), 9, "the known feed and the 8 added");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_story_via_three_feeds_with_tracking_and_amp_variants_and_a_retweet_is_one_source() {
    let server = MockServer::start().await;
    let base = server.uri();
    serve_feed(
        &server,
        "/a.rss",
        rss(&[(
            "a-1",
            "Chip exports curbed",
            "https://news.example/2026/05/chips?utm_source=rss",
            Some("Tue, 19 May 2026 08:00:00 GMT"),
        )]),
        "\"a\"",
    )
    .await;
    // An AMP page whose article address is its own canonical link, not a guess.
    serve_feed(
        &server,
        "/b.rss",
        rss(&[(
            "b-9",
            "Chip exports curbed - Wire Service",
            &format!("{base}/amp/2026/05/chips"),
            Some("Tue, 19 May 2026 09:00:00 GMT"),
        )]),
        "\"b\"",
    )
    .await;
    Mock::given(path("/amp/2026/05/chips"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"<html><head><link rel="canonical" href="https://news.example/2026/05/chips"></head><body></body></html>"#,
            "text/html",
        ))
        .expect(1)
        .mount(&server)
        .await;
    // An AMP switch and a tracking parameter: the same address without them.
    serve_feed(
        &server,
        "/c.rss",
        rss(&[(
            "c-3",
            "Chip exports curbed",
            "https://news.example/2026/05/chips?amp=1&amp;fbclid=z",
            Some("Tue, 19 May 2026 10:00:00 GMT"),
        )]),
        "\"c\"",
    )
    .await;
    let posts = r#"{"version":"https://jsonfeed.org/version/1.1","title":"Posts","items":[
        {"id":"p1","url":"https://x.example/status/1","content_text":"RT @newsdesk: Chip exports curbed by new rules overnight","date_published":"2026-05-19T11:00:00Z"}]}"#;
    Mock::given(path("/posts.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(posts, "application/feed+json"))
        .mount(&server)
        .await;
    serve_feed(
        &server,
        "/d.rss",
        rss(&[(
            "d-1",
            "Chip exports curbed by new rules overnight",
            "https://news.example/2026/05/chips-rules",
            Some("Tue, 19 May 2026 07:00:00 GMT"),
        )]),
        "\"d\"",
    )
    .await;
    let feeds: String = ["a", "b", "c"]
        .iter()
        .map(|n| {
            format!("[[feed]]\nname = \"{n}\"\nurl = \"{base}/{n}.rss\"\ntopics = [\"t\"]\n\n")
        })
        .collect();
    let extra = format!(
        "[[feed]]\nname = \"d\"\nurl = \"{base}/d.rss\"\ntopics = [\"t\"]\n\n[[feed]]\nname = \"posts\"\nurl = \"{base}/posts.json\"\ntopics = [\"t\"]\n"
    );
    let env = Env::new(&format!(
        "[[topic]]\nslug = \"t\"\ntitle = \"T\"\n\n{feeds}{extra}"
    ));
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let items = env.json_lines(&["items", "--json"]);
    let chips = items
        .iter()
        .find(|i| i["url"] == "https://news.example/2026/05/chips")
        .unwrap();
    assert_eq!(
        chips["sightings"], 3,
        "tracking and AMP variants are one item: {items:?}"
    );
    let rules = items
        .iter()
        .find(|i| i["url"] == "https://news.example/2026/05/chips-rules")
        .unwrap_or_else(|| panic!("{items:?}"));
    let retweet = items
        .iter()
        .find(|i| i["url"] == "https://x.example/status/1")
        .unwrap();
    assert_eq!(
        retweet["duplicate_of"], rules["id"],
        "the retweet repeats the story it quotes"
    );
    let v = env.json_lines(&["version", "cut", "t", "--json"]);
    assert_eq!(v[0]["item_count"], 2, "two stories, no copies: {}", v[0]);
}

/// Regression: a feed link with an AMP path segment (`/amp/story.html`) was canonicalised
/// by guessing (`/story.html`), the article page was then fetched at the guessed address
/// (which need not exist), and the page's own `rel=canonical` was never read. Now the
/// page is fetched at the link the feed gave, and its canonical link joins the item to the
/// same story from another feed.
#[tokio::test(flavor = "multi_thread")]
async fn an_amp_link_is_read_as_given_and_its_canonical_joins_the_story() {
    let server = MockServer::start().await;
    let base = server.uri();
    let date = Some("Tue, 19 May 2026 08:00:00 GMT");
    let amp_link = format!("{base}/amp/story.html");
    let story = format!("{base}/story.html");
    let other_amp = format!("{base}/amp/other.html");
    Mock::given(path("/amp.rss"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            rss(&[
                ("m-1", "Harbour tunnel reopens (AMP)", &amp_link, date),
                ("m-3", "Council votes on budget", &other_amp, date),
                ("m-3", "Council votes on budget", &other_amp, date),
            ]),
            "application/rss+xml",
        ))
        .mount(&server)
        .await;
    serve_feed(
        &server,
        "/plain.rss",
        rss(&[("p-1", "Harbour tunnel reopens", &story, date)]),
        "\"p\"",
    )
    .await;
    Mock::given(path("/amp/story.html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(
                r#"<html amp><head><link rel="canonical" href="{story}"><title>Harbour tunnel reopens</title></head><body></body></html>"#
            ),
            "text/html",
        ))
        .expect(1)
        .mount(&server)
        .await;
    // A CMS default: every page names the home page as canonical. Ignored, as ever.
    Mock::given(path("/amp/other.html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"<html amp><head><link rel="canonical" href="{base}/"></head></html>"#),
            "text/html",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/story.html"))
        .respond_with(ResponseTemplate::new(404))
        .expect(0)
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[topic]]\nslug = \"t\"\ntitle = \"T\"\n\n[[feed]]\nname = \"AMP wire\"\nurl = \"{base}/amp.rss\"\ntopics = [\"t\"]\n\n[[feed]]\nname = \"Plain\"\nurl = \"{base}/plain.rss\"\ntopics = [\"t\"]\n"
    ));
    let out = env.run(&["run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/amp.rss",
            "/amp/other.html",
            "/amp/story.html",
            "/plain.rss"
        ],
        "AMP pages are read at the feed's links; `/story.html` and `/other.html` are never guessed"
    );
    let items = env.json_lines(&["items", "--json"]);
    let find = |items: &[Value], url: &str| -> Vec<Value> {
        items.iter().filter(|i| i["url"] == url).cloned().collect()
    };
    assert_eq!(items.len(), 2, "{items:?}");
    let tunnel = find(&items, &story);
    assert_eq!(tunnel.len(), 1, "one story: {items:?}");
    assert_eq!(tunnel[0]["sightings"], 2);
    assert_eq!(
        tunnel[0]["feed"], "AMP wire",
        "the first feed in the config is the origin"
    );
    assert_eq!(tunnel[0]["original_url"], amp_link);
    let other = find(&items, &other_amp);
    assert_eq!(
        (other.len(), other[0]["sightings"].as_i64()),
        (1, Some(1)),
        "a home-page canonical neither renames nor joins the item: {items:?}"
    );

    // The AMP feed sends the entry again (a changed document): it finds the story, and
    // the page is not read a second time.
    server.reset().await;
    Mock::given(path("/amp.rss"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            rss(&[
                ("m-1", "Harbour tunnel reopens (AMP)", &amp_link, date),
                ("m-3", "Council votes on budget", &other_amp, date),
                (
                    "m-2",
                    "Ferry timetable changes",
                    &format!("{base}/ferry"),
                    date,
                ),
            ]),
            "application/rss+xml",
        ))
        .mount(&server)
        .await;
    Mock::given(path("/plain.rss"))
        .respond_with(ResponseTemplate::new(304))
        .mount(&server)
        .await;
    let out = env.run(&["run", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pages = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| !r.url.path().ends_with(".rss"))
        .count();
    assert_eq!(pages, 0, "no page is read twice, none guessed");
    let items = env.json_lines(&["items", "--json"]);
    let tunnel = find(&items, &story);
    assert_eq!((items.len(), tunnel.len()), (3, 1), "{items:?}");
    assert_eq!(tunnel[0]["sightings"], 2);
    let v = env.json_lines(&["version", "cut", "t", "--json"]);
    assert_eq!(v[0]["item_count"], 3, "{}", v[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retweet_a_syndicated_copy_and_a_quoting_post_are_marked_duplicates() {
    let server = MockServer::start().await;
    let base = server.uri();
    serve_feed(
        &server,
        "/news.rss",
        rss(&[
            (
                "n1",
                "China files far more AI patents than the US",
                "https://news.example/patents",
                Some("Mon, 18 May 2026 08:00:00 GMT"),
            ),
            (
                "n2",
                "Live updates: chip talks, day 12",
                "https://news.example/live-12",
                Some("Mon, 18 May 2026 09:00:00 GMT"),
            ),
        ]),
        "\"n\"",
    )
    .await;
    let posts = r#"{"version":"https://jsonfeed.org/version/1.1","title":"Posts","items":[
        {"id":"p1","url":"https://x.example/p1","content_text":"RT @newsdesk: China files far more AI patents than the US","date_published":"2026-05-18T10:00:00Z"},
        {"id":"p2","url":"https://x.example/p2","content_text":"Must read https://www.news.example/patents?utm_source=x","date_published":"2026-05-18T11:00:00Z"},
        {"id":"p3","url":"https://wire.example/patents","title":"China files far more AI patents than the US - Wire Service","date_published":"2026-05-18T12:00:00Z"},
        {"id":"p4","url":"https://x.example/p4","title":"Live updates: chip talks, day 13","date_published":"2026-05-19T09:00:00Z"}]}"#;
    Mock::given(path("/posts.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(posts, "application/feed+json"))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[topic]]\nslug = \"t\"\ntitle = \"T\"\n  [[topic.feed]]\n  url = \"{base}/news.rss\"\n  [[topic.feed]]\n  url = \"{base}/posts.json\"\n"
    ));
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let items = env.json_lines(&["items", "--json"]);
    let id_of = |url: &str| items.iter().find(|i| i["url"] == url).unwrap()["id"].clone();
    let original = id_of("https://news.example/patents");
    for url in [
        "https://x.example/p1",
        "https://x.example/p2",
        "https://wire.example/patents",
    ] {
        let item = items.iter().find(|i| i["url"] == url).unwrap();
        assert_eq!(
            item["duplicate_of"], original,
            "{url} repeats the original: {item}"
        );
    }
    let day13 = items
        .iter()
        .find(|i| i["url"] == "https://x.example/p4")
        .unwrap();
    assert_eq!(
        day13["duplicate_of"],
        Value::Null,
        "a recurring headline with another number is another story"
    );
    let v = env.json_lines(&["version", "cut", "t", "--json"]);
    assert_eq!(
        v[0]["item_count"], 3,
        "original, day 12 and day 13: {}",
        v[0]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_topic_rules_rematch_the_last_30_days() {
    let server = MockServer::start().await;
    let day = |ago: i64| (chrono::Utc::now() - chrono::Duration::days(ago)).to_rfc2822();
    let (recent_a, recent_b, old_b) = (day(2), day(3), day(60));
    serve_feed(
        &server,
        "/wire.rss",
        rss(&[
            (
                "1",
                "Alpha launches a model",
                "https://w.example/1",
                Some(recent_a.as_str()),
            ),
            (
                "2",
                "Beta raises funding",
                "https://w.example/2",
                Some(recent_b.as_str()),
            ),
            (
                "3",
                "Beta's old news",
                "https://w.example/3",
                Some(old_b.as_str()),
            ),
        ]),
        "\"w\"",
    )
    .await;
    let config = |kw: &str| {
        format!(
            "[[topic]]\nslug = \"t\"\ntitle = \"T\"\nmatch_any = [\"{kw}\"]\n\n[[feed]]\nname = \"wire\"\nurl = \"{}/wire.rss\"\n",
            server.uri()
        )
    };
    let env = Env::new(&config("Alpha"));
    env.run(&["run"]);
    let titles = |env: &Env| -> Vec<String> {
        env.json_lines(&["items", "--json", "--topic", "t"])
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(titles(&env), vec!["Alpha launches a model"]);
    let text = std::fs::read_to_string(env.config())
        .unwrap()
        .replace("match_any = [\"Alpha\"]", "match_any = [\"Beta\"]");
    std::fs::write(env.config(), text).unwrap();
    assert_eq!(
        env.run(&["run"]).status.code(),
        Some(0),
        "nothing due, but the rules changed"
    );
    assert_eq!(
        titles(&env),
        vec!["Beta raises funding"],
        "the 60-day-old item is outside the window"
    );
}

// ---- The world's feeds: documents as real sites serve them (issue 11) ----

/// Regression: an RSS 2.0 feed whose root declares a default namespace, served with a
/// charset its bytes contradict, came out as 0 items with exit 0 and no warning.
#[tokio::test(flavor = "multi_thread")]
async fn a_namespaced_rss_with_a_wrong_charset_label_is_read_whole() {
    let server = MockServer::start().await;
    let body = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\
        <rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\"><channel><title>N</title>\
        <item><title>Brøndby vinder</title><link>/a</link></item>\
        <item><title>Second</title><guid isPermaLink=\"true\">/b</guid></item></channel></rss>";
    Mock::given(path("/ns.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/rss+xml; charset=iso-8859-1")
                .set_body_string(body),
        )
        .expect(1)
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"Namespaced\"\nurl = \"{}/ns.xml\"\n",
        server.uri()
    ));
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let items = env.json_lines(&["items", "--json"]);
    let mut got: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap().to_string(),
                i["url"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("Brøndby vinder".to_string(), format!("{}/a", server.uri())),
            ("Second".to_string(), format!("{}/b", server.uri())),
        ]
    );
    // Nothing was left out or repaired; only the one missing guid is worth a word.
    let feeds = env.json_lines(&["feeds", "--json"]);
    assert_eq!(
        feeds[0]["warning"],
        "guids unreliable (1 of 2 missing, 0 repeated): items identified by link instead"
    );
}

/// Silence is never an answer: a document that holds items but yields none warns on the
/// feed's row, and `parse` says it on stderr.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_with_items_that_yields_none_warns() {
    let body = "<rss version=\"2.0\"><channel><title>Ids only</title>\
        <item><guid isPermaLink=\"false\">a</guid></item>\
        <item><guid isPermaLink=\"false\">b</guid><author>x@y.example</author></item></channel></rss>";
    let server = MockServer::start().await;
    Mock::given(path("/ids.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"Ids\"\nurl = \"{}/ids.xml\"\n",
        server.uri()
    ));
    let out = env.run(&["run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(run["items_new"], 0);
    let feeds = env.json_lines(&["feeds", "--json"]);
    let warning = feeds[0]["warning"].as_str().unwrap_or_default();
    assert!(
        warning.contains("holds 2 item(s) but yielded none"),
        "{warning:?}"
    );
    let file = env.dir.path().join("ids.xml");
    std::fs::write(&file, body).unwrap();
    let out = env.run(&["parse", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("warning: the document holds 2 item(s) but yielded none"),
        "{}",
        stderr(&out)
    );
}

/// A feedproxy link with feedburner's origLink dedups with the publisher's own feed, and
/// keeps the link the feed gave as its original URL.
#[tokio::test(flavor = "multi_thread")]
async fn an_origlink_joins_the_publishers_own_item() {
    let server = MockServer::start().await;
    let proxied = format!(
        "<rss version=\"2.0\" xmlns:feedburner=\"http://rssnamespace.org/feedburner/ext/1.0\"><channel><title>P</title>\
         <item><title>The story</title><link>{0}/~r/x/~3/abc/story</link><feedburner:origLink>https://publisher.example/story?utm_source=feedburner</feedburner:origLink></item>\
         </channel></rss>",
        server.uri()
    );
    Mock::given(path("/proxied.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_string(proxied))
        .mount(&server)
        .await;
    Mock::given(path("/own.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[(
            "own-1",
            "The story",
            "https://publisher.example/story",
            None,
        )])))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"Proxied\"\nurl = \"{0}/proxied.xml\"\n\n[[feed]]\nname = \"Own\"\nurl = \"{0}/own.xml\"\n",
        server.uri()
    ));
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let items = env.json_lines(&["items", "--json"]);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["url"], "https://publisher.example/story");
    assert_eq!(items[0]["sightings"], 2);
}

/// A server's Retry-After outlasts the run that heard it: every later run, `run --all`
/// included, sends nothing to that host until the time it named, and a feed the hold kept
/// from being requested keeps the time and status of its last real fetch.
#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_holds_the_host_across_runs_and_run_all() {
    let server = MockServer::start().await;
    Mock::given(path("/busy.rss"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/calm.rss"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[(
            "c1",
            "Calm story",
            "https://calm.example/1",
            Some("Mon, 18 May 2026 10:00:00 GMT"),
        )])))
        .expect(1)
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"calm\"\nurl = \"{0}/calm.rss\"\n\n[[feed]]\nname = \"busy\"\nurl = \"{0}/busy.rss\"\n",
        server.uri()
    ));
    // The calm feed is fetched first, alone; then the busy one gets the 429.
    assert_eq!(env.run(&["run", "--feed", "calm"]).status.code(), Some(0));
    let calm_before = feed_row(&env, "calm");
    assert_eq!(calm_before["last_status"], "200");
    let out = env.run(&["run", "--feed", "busy"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let busy_before = feed_row(&env, "busy");
    assert_eq!(busy_before["last_status"], "429");

    for args in [&["run", "--all", "--json"][..], &["run", "--json"][..]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let stats: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(stats["failed"], 0, "{args:?}: {stats}");
        assert_eq!(stats["fetched"], 0, "{args:?}: {stats}");
    }
    // Nothing more was sent to the host (the mocks' `expect(1)` are checked on drop).
    let calm = feed_row(&env, "calm");
    let busy = feed_row(&env, "busy");
    for (now, before) in [(&calm, &calm_before), (&busy, &busy_before)] {
        assert_eq!(now["last_fetch_at"], before["last_fetch_at"], "{now}");
        assert_eq!(now["last_status"], before["last_status"], "{now}");
        assert_eq!(now["consecutive_failures"], 0, "{now}");
        let held = now["held_until"].as_str().expect("the row says it is held");
        let until = chrono::DateTime::parse_from_rfc3339(held).unwrap();
        let left = until.signed_duration_since(chrono::Utc::now());
        assert!(
            left > chrono::Duration::minutes(55) && left <= chrono::Duration::minutes(61),
            "held for {left:?}"
        );
    }
    let text = stdout(&env.run(&["feeds"]));
    assert!(
        text.contains("held: its server asked for a rest (HTTP 429); no request before"),
        "{text}"
    );
}

/// A Retry-After is capped at a day, however long the server asks for.
#[tokio::test(flavor = "multi_thread")]
async fn a_hold_lasts_a_day_at_most() {
    let server = MockServer::start().await;
    Mock::given(path("/slow.rss"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "31536000"))
        .expect(1)
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"slow\"\nurl = \"{}/slow.rss\"\n",
        server.uri()
    ));
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let held = feed_row(&env, "slow")["held_until"]
        .as_str()
        .map(str::to_string)
        .unwrap();
    let left = chrono::DateTime::parse_from_rfc3339(&held)
        .unwrap()
        .signed_duration_since(chrono::Utc::now());
    assert!(
        left > chrono::Duration::hours(23) && left <= chrono::Duration::hours(24),
        "{left:?}"
    );
}

/// On a terminal a run shows a progress bar (feeds done of due, items stored, rate, time
/// left) that it clears at the end; piped to a log, stderr has no trace of it.
#[tokio::test(flavor = "multi_thread")]
async fn the_progress_bar_shows_on_a_terminal_only() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` to give the run a terminal");
        return;
    }
    let server = MockServer::start().await;
    let mut cfg = String::new();
    for f in 0..6 {
        Mock::given(path(format!("/p{f}.rss")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string(rss(&[(
                        &format!("p{f}"),
                        &format!("Progress story {f}"),
                        &format!("https://p.example/{f}"),
                        Some("Mon, 18 May 2026 10:00:00 GMT"),
                    )]))
                    .set_delay(Duration::from_millis(300)),
            )
            .mount(&server)
            .await;
        cfg += &format!(
            "[[feed]]\nname = \"p{f}\"\nurl = \"{}/p{f}.rss\"\n\n",
            server.uri()
        );
    }
    let env = Env::new(&cfg);
    // One request at a time, so the run lasts long enough to draw.
    let text = std::fs::read_to_string(env.config())
        .unwrap()
        .replace("[fetch]\n", "[fetch]\nconcurrency = 1\n");
    std::fs::write(env.config(), text).unwrap();
    let piped = env.run(&["run", "--all"]);
    assert_eq!(piped.status.code(), Some(0), "{}", stderr(&piped));
    assert!(
        !stderr(&piped).contains("feeds ["),
        "no bar in a log: {}",
        stderr(&piped)
    );
    let command = format!("{BIN} --config {} run --all", env.config().display());
    let tty = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("COLUMNS", "120")
        .output()
        .unwrap();
    assert_eq!(tty.status.code(), Some(0));
    let screen = String::from_utf8_lossy(&tty.stdout);
    assert!(screen.contains("/6 feeds ["), "{screen}");
    assert!(screen.contains("items stored"), "{screen}");
    assert!(screen.contains("left"), "{screen}");
    // The summary line is the last thing on the screen: the bar was cleared before it.
    let last = screen.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.contains("dossier: 6 feeds, 0 fetched, 6 not modified"),
        "{last:?}"
    );
}
