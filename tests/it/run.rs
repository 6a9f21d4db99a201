//! `dossier run`: conditional and idempotent fetching, exit codes when feeds fail, the run
//! lock against overlapping and killed runs, `--deadline`, and the progress bar.

use crate::util::*;
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    assert_eq!(env.items().len(), 3);
    let in_topic = |slug: &str| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = env
            .json_lines(&["items", "--json", "--topic", slug])
            .iter()
            .map(|i| {
                (
                    i["title"].as_str().unwrap().into(),
                    i["feed"].as_str().unwrap().into(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        in_topic("ai"),
        vec![
            ("DeepSeek ships a model".into(), "reactive:ai".into()),
            ("Qwen tops a chart".into(), "reactive:ai".into())
        ],
        "the topic feed's items join `ai`"
    );
    assert_eq!(
        in_topic("chips"),
        vec![("New export controls announced".into(), "Wire".into())],
        "the wire story (from a feed with no topics) joins `chips` by keyword"
    );
    // schema: why an item joined a topic (`topic_feed`, `keyword` and the keyword) is kept
    // only in `item_topics`, which README's SQL section documents; no JSON output carries it.
    assert_eq!(
        env.sql_count("SELECT count(*) FROM item_topics WHERE reason = 'topic_feed'"),
        2
    );
    assert_eq!(
        env.sql_count("SELECT count(*) FROM item_topics WHERE reason = 'keyword' AND detail = 'export controls'"),
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
    assert_eq!(env.items().len(), 3);

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
    assert_eq!(env.items().len(), 4);

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
    // schema: runs are recorded only in the store's `runs` table (README, "What `run --json`
    // counts"); no command lists them.
    assert_eq!(
        env.sql_count("SELECT count(*) FROM runs"),
        1,
        "the second run recorded nothing"
    );
    assert_eq!(env.items().len(), 1);
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
    assert_eq!(env.items().len(), 1);
    assert_eq!(env.sightings(), 1);
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
    assert_eq!(env.items().len(), 1);
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
