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
