//! Dossier versions: the rendering contract, and frozen once cut.

use crate::util::*;
use wiremock::MockServer;

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

/// Two outlets report one launch, a third item is about something else: the cut groups
/// the two into one story and leaves the third alone, and a later run and cut (a headline
/// edited, an item added) leaves version 1's stories as they were.
#[tokio::test(flavor = "multi_thread")]
async fn version_stories_groups_one_event_and_stays_frozen() {
    let server = MockServer::start().await;
    let launch = (
        "1",
        "DeepSeek releases DeepSeek-V4 with a 1M-token context window",
        "https://n.example/deepseek-v4",
        Some("Wed, 20 May 2026 08:00:00 GMT"),
    );
    let other = (
        "2",
        "Rail timetables change in Lyon this winter",
        "https://n.example/lyon",
        Some("Thu, 21 May 2026 09:00:00 GMT"),
    );
    let wire = (
        "w1",
        "DeepSeek-V4 is out: the DeepSeek model reads 1M tokens of context",
        "https://wire.example/v4",
        Some("Wed, 20 May 2026 10:30:00 GMT"),
    );
    serve_feed(&server, "/ai.rss", rss(&[launch, other]), "\"a1\"").await;
    serve_feed(&server, "/wire.rss", rss(&[wire]), "\"w1\"").await;
    let env = Env::new(&two_topic_config(&server.uri()));
    let none = env.run(&["version", "stories", "ai"]);
    assert_eq!(none.status.code(), Some(1), "no store yet");
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let none = env.run(&["version", "stories", "ai"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        stderr(&none).contains("topic `ai` has no version yet"),
        "{}",
        stderr(&none)
    );
    let unknown = env.run(&["version", "stories", "nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));

    assert_eq!(env.run(&["version", "cut", "ai"]).status.code(), Some(0));
    let shown = env.json_lines(&["version", "show", "ai", "--json"]);
    let titles: Vec<&str> = shown[0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec![launch.1, wire.1, other.1],
        "numbered oldest first"
    );
    let stories = env.json_lines(&["version", "stories", "ai", "--json"]);
    assert_eq!(stories.len(), 1);
    let v1 = &stories[0];
    assert_eq!(
        (v1["topic"].as_str(), v1["version"].as_i64()),
        (Some("ai"), Some(1))
    );
    let list = v1["stories"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{v1}");
    assert_eq!(list[0]["story"], 1);
    assert_eq!(list[0]["sources"], serde_json::json!([1, 2]));
    assert_eq!(list[0]["published_at"], "2026-05-20T08:00:00Z");
    assert!(
        [launch.1, wire.1].contains(&list[0]["title"].as_str().unwrap()),
        "{v1}"
    );
    assert_eq!(
        list[1],
        serde_json::json!({"story": 2, "title": other.1,
                           "published_at": "2026-05-21T09:00:00Z", "sources": [3]})
    );

    let out = env.run(&["version", "stories", "ai"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "", "frozen stories need no note");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "AI Watch");
    assert!(lines[1].starts_with("Version 1 · ") && lines[1].ends_with(" · 3 items · 2 stories"));
    assert_eq!(
        lines[2..],
        [
            "",
            &format!("2026-05-20 · {}", list[0]["title"].as_str().unwrap()),
            &format!("[1] {} — reactive:ai (2026-05-20)", launch.1),
            &format!("[2] {} — Wire (2026-05-20)", wire.1),
            "",
            &format!("2026-05-21 · {}", other.1),
            &format!("[3] {} — reactive:ai (2026-05-21)", other.1),
        ]
    );
    assert_eq!(
        stdout(&env.run(&["version", "stories", "ai", "1"])),
        text,
        "N names the version"
    );

    // The wire retitles its report into another story and the topic gains an item.
    server.reset().await;
    let retitled = (
        "w1",
        "Lyon rail timetables: the winter changes",
        wire.2,
        wire.3,
    );
    let added = (
        "3",
        "DeepSeek-V4 benchmarks: what the 1M-token context buys",
        "https://n.example/v4-benchmarks",
        Some("Thu, 21 May 2026 12:00:00 GMT"),
    );
    serve_feed(&server, "/ai.rss", rss(&[launch, other, added]), "\"a2\"").await;
    serve_feed(&server, "/wire.rss", rss(&[retitled]), "\"w2\"").await;
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    assert_eq!(env.run(&["version", "cut", "ai"]).status.code(), Some(0));
    let v2 = env.json_lines(&["version", "stories", "ai", "--json"]);
    assert_eq!(v2[0]["version"], 2);
    assert_ne!(
        v2[0]["stories"], v1["stories"],
        "version 2 groups what it froze"
    );
    assert_eq!(
        env.json_lines(&["version", "stories", "ai", "1", "--json"])[0],
        *v1,
        "version 1's stories are frozen"
    );
    assert_eq!(stdout(&env.run(&["version", "stories", "ai", "1"])), text);
    let missing = env.run(&["version", "stories", "ai", "9"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("topic `ai` has no version 9"));
}
