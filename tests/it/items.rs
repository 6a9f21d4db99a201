//! Reading items: the `items --json` and `parse` contracts, filters, and topic matching.

use crate::util::*;
use serde_json::Value;
use std::path::Path;
use wiremock::MockServer;

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
    let out = dossier()
        .current_dir(dir.path())
        .args(["parse", fixture.to_str().unwrap()])
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

/// Reads never write: `feeds`, `items` and `version show/list` leave the store's bytes as
/// they were, even when the config names a feed and a topic no run has seen yet (shown as
/// never fetched, and as having no version), and they need no store at all before the
/// first run.
#[tokio::test(flavor = "multi_thread")]
async fn reading_commands_never_write_to_the_store() {
    let server = MockServer::start().await;
    serve_feed(
        &server,
        "/a.rss",
        rss(&[("a1", "A story", "https://a.example/1", None)]),
        "\"a\"",
    )
    .await;
    let first = format!(
        "[[topic]]\nslug = \"t\"\ntitle = \"T\"\n\n[[feed]]\nname = \"A\"\nurl = \"{}/a.rss\"\ntopics = [\"t\"]\n",
        server.uri()
    );
    let env = Env::new(&first);
    // Before any run: nothing to read, nothing created.
    assert_eq!(env.json_lines(&["items", "--json"]).len(), 0);
    let feeds = env.json_lines(&["feeds", "--json"]);
    assert_eq!(feeds[0]["last_status"], Value::Null);
    assert!(!env.store().exists(), "a read created the store");
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    assert_eq!(env.run(&["version", "cut", "t"]).status.code(), Some(0));
    // The config grows a feed and a topic; no run has seen them.
    let grown = std::fs::read_to_string(env.config()).unwrap()
        + "\n[[topic]]\nslug = \"u\"\ntitle = \"U\"\n\n[[feed]]\nname = \"B\"\nurl = \"https://b.example/rss\"\n";
    std::fs::write(env.config(), grown).unwrap();
    let fingerprint = |env: &Env| {
        let dir = env.store().parent().unwrap().to_path_buf();
        let mut files: Vec<(String, usize, u64)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            // The database and any log of writes to it. A reader may leave SQLite's
            // shared-memory index and an empty log behind; neither holds data.
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name == "store.sqlite"
                    || (name == "store.sqlite-wal" && p.metadata().unwrap().len() > 0)
            })
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                let mut hash = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(&bytes, &mut hash);
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, bytes.len(), std::hash::Hasher::finish(&hash))
            })
            .collect();
        files.sort();
        files
    };
    let before = fingerprint(&env);
    let feeds = env.json_lines(&["feeds", "--json"]);
    assert_eq!(
        feeds
            .iter()
            .map(|f| (f["name"].as_str().unwrap(), f["last_status"].clone()))
            .collect::<Vec<_>>(),
        [("A", Value::from("200")), ("B", Value::Null)]
    );
    assert_eq!(env.json_lines(&["items", "--json"]).len(), 1);
    assert_eq!(env.json_lines(&["version", "list", "t", "--json"]).len(), 1);
    let show = env.run(&["version", "show", "t"]);
    assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
    assert_eq!(env.json_lines(&["version", "list", "u", "--json"]).len(), 0);
    let none = env.run(&["version", "show", "u"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        stderr(&none).contains("topic `u` has no version yet"),
        "{}",
        stderr(&none)
    );
    let stories = env.json_lines(&["version", "stories", "t", "--json"]);
    assert_eq!(stories[0]["stories"][0]["sources"], serde_json::json!([1]));
    let none = env.run(&["version", "stories", "u"]);
    assert_eq!(none.status.code(), Some(1), "{}", stderr(&none));
    assert_eq!(fingerprint(&env), before, "a read wrote to the store");
}
