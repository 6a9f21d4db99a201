//! Reactive topics made from searches: `[[search]]` providers filled with a topic's
//! `queries` are the topic's own feeds. What each provider is sent, how their results are
//! labelled, linked and merged, what editing the queries does to feeds and items, what
//! `check` says, and how OPML keeps searches apart from plain feeds.

use crate::util::*;
use serde_json::Value;
use std::collections::BTreeSet;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every request the server received, as `path?query` exactly as sent, sorted.
async fn requests(server: &MockServer) -> Vec<String> {
    let mut got: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| match r.url.query() {
            Some(q) => format!("{}?{q}", r.url.path()),
            None => r.url.path().to_string(),
        })
        .collect();
    got.sort();
    got
}

/// Serves `body` as RSS for `GET route?q=query`.
async fn serve_results(server: &MockServer, route: &str, query: &str, body: String) {
    Mock::given(method("GET"))
        .and(path(route))
        .and(query_param("q", query))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/rss+xml")
                .set_body_string(body),
        )
        .mount(server)
        .await;
}

/// The 1-based line of the first line of the env's config that contains `needle`.
fn line_of(env: &Env, needle: &str) -> usize {
    let text = std::fs::read_to_string(env.config()).unwrap();
    1 + text.lines().position(|l| l.contains(needle)).unwrap()
}

const DAY: Option<&str> = Some("Wed, 20 May 2026 10:00:00 GMT");

#[tokio::test(flavor = "multi_thread")]
async fn each_query_is_sent_to_each_provider_percent_encoded_as_one_component() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/rss+xml")
                .set_body_string(rss(&[])),
        )
        .mount(&server)
        .await;
    let base = server.uri();
    let env = Env::new(&format!(
        r#"[[search]]
name = "news"
url = "{base}/news/rss?q={{query}}&hl=en"

[[search]]
name = "bridge"
url = "{base}/bridge/{{query}}/feed"
interval_mins = 15

[[topic]]
slug = "ai"
title = "AI"
queries = ["China AI", "R&D #1", "人工智能", "a/b+c?d=e"]
"#
    ));
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("8 feeds, 8 fetched"),
        "{}",
        stdout(&out)
    );
    let ren = "%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD";
    let mut want = vec![
        "/news/rss?q=China%20AI&hl=en".to_string(),
        "/news/rss?q=R%26D%20%231&hl=en".to_string(),
        format!("/news/rss?q={ren}&hl=en"),
        "/news/rss?q=a%2Fb%2Bc%3Fd%3De&hl=en".to_string(),
        "/bridge/China%20AI/feed".to_string(),
        "/bridge/R%26D%20%231/feed".to_string(),
        format!("/bridge/{ren}/feed"),
        "/bridge/a%2Fb%2Bc%3Fd%3De/feed".to_string(),
    ];
    want.sort();
    assert_eq!(requests(&server).await, want, "each pair once, exactly so");
    // The server reads each query back whole: one parameter, nothing added to the URL.
    let received = server.received_requests().await.unwrap();
    let news: BTreeSet<(String, usize)> = received
        .iter()
        .filter(|r| r.url.path() == "/news/rss")
        .map(|r| {
            let q = r.url.query_pairs().find(|(k, _)| k == "q").unwrap().1;
            (q.into_owned(), r.url.query_pairs().count())
        })
        .collect();
    let queries = ["China AI", "R&D #1", "人工智能", "a/b+c?d=e"];
    assert_eq!(
        news,
        queries.iter().map(|q| (q.to_string(), 2)).collect(),
        "q and hl, and nothing else"
    );
    assert!(received.iter().all(|r| r.url.fragment().is_none()));

    // `feeds --json` lists each search feed with its health, provider and query.
    let feeds = env.json_lines(&["feeds", "--json"]);
    assert_eq!(feeds.len(), 8, "{feeds:?}");
    let mut origins = BTreeSet::new();
    for f in &feeds {
        assert_eq!(f["name"], "reactive:ai");
        assert_eq!(f["label"], "reactive:ai");
        assert_eq!(f["topics"], serde_json::json!(["ai"]));
        assert_eq!(f["last_status"], "200", "{f}");
        let (provider, query) = (
            f["search"]["provider"].as_str().unwrap(),
            f["search"]["query"].as_str().unwrap(),
        );
        let url = f["url"].as_str().unwrap();
        let interval = if provider == "news" {
            assert!(url.starts_with(&format!("{base}/news/rss?q=")), "{url}");
            30
        } else {
            assert!(url.starts_with(&format!("{base}/bridge/")), "{url}");
            15
        };
        let due = chrono::DateTime::parse_from_rfc3339(f["next_due_at"].as_str().unwrap()).unwrap()
            - chrono::DateTime::parse_from_rfc3339(f["last_fetch_at"].as_str().unwrap()).unwrap();
        assert_eq!(due.num_minutes(), interval, "{f}");
        origins.insert((provider.to_string(), query.to_string()));
    }
    assert_eq!(origins.len(), 8, "one feed per (provider, query)");

    // `feeds` and `check` name the provider and the query.
    let text = stdout(&env.run(&["feeds"]));
    assert!(
        text.contains(&format!(
            "    {base}/bridge/{ren}/feed\n    search: provider bridge, query \"人工智能\"\n"
        )),
        "{text}"
    );
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "no warning: every provider is used");
    let check = stdout(&out);
    for line in [
        " — 1 topics, 8 feeds (8 topic feeds, 0 standalone); ".to_string(),
        "\ntopic ai: AI — 8 own feeds (8 from searches), 0 keywords, 0 vetoes\n".to_string(),
        format!(
            "\n  search news \"R&D #1\": feed {base}/news/rss?q=R%26D%20%231&hl=en every 30 min\n"
        ),
        format!(
            "\n  search bridge \"a/b+c?d=e\": feed {base}/bridge/a%2Fb%2Bc%3Fd%3De/feed every 15 min\n"
        ),
        format!(
            "\nsearch news: feed {base}/news/rss?q={{query}}&hl=en every 30 min → 4 feeds for ai\n"
        ),
        format!(
            "\nsearch bridge: feed {base}/bridge/{{query}}/feed every 15 min → 4 feeds for ai\n"
        ),
    ] {
        assert!(check.contains(&line), "missing {line:?} in:\n{check}");
    }
}

/// A DuckDuckGo-style HTML results page: each result's link is the engine's wrapper,
/// protocol-relative, with the publisher's URL in `uddg`.
fn ddg_page(results: &[(&str, &str, &str)]) -> String {
    let mut s = String::from("<!DOCTYPE html><html lang=\"en\"><body>");
    for (title, target, day) in results {
        let encoded = target
            .replace('%', "%25")
            .replace(':', "%3A")
            .replace('/', "%2F")
            .replace('?', "%3F")
            .replace('=', "%3D")
            .replace('&', "%26");
        s += &format!(
            "<div class=\"result\"><a class=\"result__a\" href=\"//duckduckgo.com/l/?uddg={encoded}&amp;rut=9f\">{title}</a><span class=\"date\">{day}</span></div>"
        );
    }
    s + "</body></html>"
}

/// One story found by two providers and two queries is one item with a sighting per
/// search feed, under the publisher's URL whatever wrapper each provider put around it;
/// every result is labelled `reactive:<slug>` and attached to the topic as its own feed's.
#[tokio::test(flavor = "multi_thread")]
async fn one_story_from_two_providers_and_two_queries_is_one_item_with_a_sighting_each() {
    let server = MockServer::start().await;
    let base = server.uri();
    let story = "https://publisher.example/2026/05/v4";
    serve_results(
        &server,
        "/news/rss",
        "DeepSeek",
        rss(&[
            (
                "news-1",
                "DeepSeek V4 tops the open leaderboard",
                "https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://publisher.example/2026/05/v4%3Futm_source%3Dnews&amp;ct=ga",
                DAY,
            ),
            (
                "news-2",
                "Regulators weigh export controls on model weights",
                "https://policy.example/weights",
                DAY,
            ),
        ]),
    )
    .await;
    serve_results(
        &server,
        "/news/rss",
        "Qwen",
        rss(&[
            (
                "news-9",
                "DeepSeek V4 tops the open leaderboard - Publisher",
                "https://publisher.example/2026/05/v4?utm_medium=rss",
                DAY,
            ),
            (
                "news-10",
                "Qwen 3.5 ships with a longer context",
                "https://qwen.example/3.5",
                DAY,
            ),
        ]),
    )
    .await;
    for (query, results) in [
        (
            "DeepSeek",
            vec![("DeepSeek V4 tops the open leaderboard", story, "2026-05-20")],
        ),
        (
            "Qwen",
            vec![
                (
                    "Qwen 3.5 ships with a longer context",
                    "https://qwen.example/3.5",
                    "2026-05-20",
                ),
                (
                    "A field guide to Qwen fine-tunes",
                    "https://guide.example/qwen?ref=1",
                    "2026-05-19",
                ),
            ],
        ),
    ] {
        Mock::given(method("GET"))
            .and(path("/html/"))
            .and(query_param("q", query))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "text/html; charset=utf-8")
                    .set_body_string(ddg_page(&results)),
            )
            .mount(&server)
            .await;
    }
    let env = Env::new(&format!(
        r#"[[search]]
name = "news"
url = "{base}/news/rss?q={{query}}"

[[search]]
name = "ddg"
url = "{base}/html/?q={{query}}"
kind = "web"
  [search.select]
  item = "div.result"
  title = "a.result__a"
  link = "a.result__a"
  date = "span.date"

[[topic]]
slug = "ai"
title = "AI"
queries = ["DeepSeek", "Qwen"]

[[topic]]
slug = "chips"
title = "Chips"
match_any = ["export controls"]
"#
    ));
    let out = env.run(&["run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        (run["feeds"].as_i64(), run["failed"].as_i64()),
        (Some(4), Some(0))
    );
    assert_eq!(
        requests(&server).await,
        [
            "/html/?q=DeepSeek",
            "/html/?q=Qwen",
            "/news/rss?q=DeepSeek",
            "/news/rss?q=Qwen"
        ]
    );
    let items = env.items();
    let by_url = |url: &str| -> &Value {
        items
            .iter()
            .find(|i| i["url"] == url)
            .unwrap_or_else(|| panic!("no item {url} in {items:?}"))
    };
    assert_eq!(items.len(), 4, "{items:?}");
    let v4 = by_url(story);
    assert_eq!(v4["sightings"], 3, "news×DeepSeek, news×Qwen, ddg×DeepSeek");
    assert_eq!(v4["title"], "DeepSeek V4 tops the open leaderboard");
    assert!(
        v4["original_url"]
            .as_str()
            .unwrap()
            .starts_with("https://www.google.com/url?"),
        "the first search feed's link, as it gave it: {v4}"
    );
    let qwen = by_url("https://qwen.example/3.5");
    assert_eq!(qwen["sightings"], 2);
    assert_eq!(
        by_url("https://guide.example/qwen?ref=1")["original_url"],
        "http://duckduckgo.com/l/?uddg=https%3A%2F%2Fguide.example%2Fqwen%3Fref%3D1&rut=9f",
        "a relative wrapper resolved against the results page, then unwrapped"
    );
    for i in &items {
        assert_eq!(i["label"], "reactive:ai", "{i}");
        assert_eq!(i["feed"], "reactive:ai", "{i}");
        assert_eq!(i["duplicate_of"], Value::Null, "{i}");
    }
    assert_eq!(
        by_url("https://policy.example/weights")["topics"],
        serde_json::json!(["ai", "chips"]),
        "a search result is offered to every topic's keywords too"
    );
    assert_eq!(env.sightings(), 7);
    // schema: why an item joined a topic is kept only in `item_topics`.
    assert_eq!(
        env.sql_count(
            "SELECT count(*) FROM item_topics t JOIN topics p ON p.id = t.topic_id
             WHERE p.slug = 'ai' AND t.reason = 'topic_feed'"
        ),
        4,
        "each result attaches to the topic as its own feed's"
    );
    assert_eq!(
        env.sql_count(
            "SELECT count(*) FROM item_topics WHERE reason = 'keyword' AND detail = 'export controls'"
        ),
        1
    );
    let version = env.json_lines(&["version", "cut", "ai", "--json"]);
    let sources = version[0]["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 4);
    assert!(sources.iter().all(|s| s["label"] == "reactive:ai"));
    assert_eq!(
        sources.iter().filter(|s| s["url"] == story).count(),
        1,
        "one source for the story"
    );
    // The feeds' health counts their sightings.
    let feeds = env.json_lines(&["feeds", "--json"]);
    let count = |provider: &str, query: &str| {
        feeds
            .iter()
            .find(|f| f["search"]["provider"] == provider && f["search"]["query"] == query)
            .unwrap()["items"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        [
            count("news", "DeepSeek"),
            count("ddg", "DeepSeek"),
            count("news", "Qwen"),
            count("ddg", "Qwen")
        ],
        [2, 1, 2, 2]
    );
}

/// Editing a topic's queries: the feed of a query that went is retired (no longer
/// fetched or listed) and the new query's feed is added and fetched at once; the items the
/// old feed brought stay, with their origin, sightings and topic.
fn editing_queries_retires_and_adds_feeds(env: &Env, server_requests: &dyn Fn() -> Vec<String>) {
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.items().len(), 3);
    let text = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        text.replace(
            "queries = [\"alpha\", \"beta\"]",
            "queries = [\"alpha\", \"gamma ray\"]",
        ),
    )
    .unwrap();
    let check = stdout(&env.run(&["check"]));
    assert!(check.contains("search news \"gamma ray\""), "{check}");
    assert!(!check.contains("beta"), "{check}");

    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 feeds, 1 fetched"),
        "only the new feed is due: {}",
        stdout(&out)
    );
    assert_eq!(
        server_requests(),
        [
            "/news/rss?q=alpha",
            "/news/rss?q=beta",
            "/news/rss?q=gamma%20ray"
        ]
    );
    let feeds = env.json_lines(&["feeds", "--json"]);
    let queries: Vec<&str> = feeds
        .iter()
        .map(|f| f["search"]["query"].as_str().unwrap())
        .collect();
    assert_eq!(queries, ["alpha", "gamma ray"], "the beta feed is retired");
    assert_eq!(feeds[0]["items"], 1, "alpha keeps its health: {}", feeds[0]);
    assert_eq!(feeds[1]["items"], 2);

    let items = env.items();
    assert_eq!(items.len(), 4, "nothing lost: {items:?}");
    for i in &items {
        assert_eq!(i["label"], "reactive:ai", "{i}");
        assert_eq!(i["topics"], serde_json::json!(["ai"]), "{i}");
    }
    let by_title = |t: &str| items.iter().find(|i| i["title"] == t).unwrap();
    assert_eq!(by_title("Only beta found this")["sightings"], 1);
    assert_eq!(
        by_title("Both beta and gamma found this")["sightings"],
        2,
        "the new feed adds a sighting to what the old one brought"
    );
    let version = env.json_lines(&["version", "cut", "ai", "--json"]);
    assert_eq!(version[0]["item_count"], 4);

    // A later run never asks for the retired query again.
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    assert_eq!(
        server_requests()
            .iter()
            .filter(|r| r.ends_with("q=beta"))
            .count(),
        1
    );
}

async fn query_edit_server() -> MockServer {
    let server = MockServer::start().await;
    serve_results(
        &server,
        "/news/rss",
        "alpha",
        rss(&[("a1", "Alpha story", "https://a.example/1", DAY)]),
    )
    .await;
    serve_results(
        &server,
        "/news/rss",
        "beta",
        rss(&[
            ("b1", "Only beta found this", "https://b.example/1", DAY),
            (
                "b2",
                "Both beta and gamma found this",
                "https://shared.example/story",
                DAY,
            ),
        ]),
    )
    .await;
    serve_results(
        &server,
        "/news/rss",
        "gamma ray",
        rss(&[
            (
                "g1",
                "Gamma ray bursts, explained",
                "https://g.example/1",
                DAY,
            ),
            (
                "g2",
                "Both beta and gamma found this",
                "https://shared.example/story?utm_source=gamma",
                DAY,
            ),
        ]),
    )
    .await;
    server
}

fn query_edit_config(base: &str) -> String {
    format!(
        r#"[[search]]
name = "news"
url = "{base}/news/rss?q={{query}}"

[[topic]]
slug = "ai"
title = "AI"
queries = ["alpha", "beta"]
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn editing_a_topics_queries_retires_old_feeds_and_adds_new_ones_keeping_items() {
    let server = query_edit_server().await;
    let env = Env::new(&query_edit_config(&server.uri()));
    let handle = tokio::runtime::Handle::current();
    let seen = || tokio::task::block_in_place(|| handle.block_on(requests(&server)));
    editing_queries_retires_and_adds_feeds(&env, &seen);
    // schema: which feed brought an item, and whether a feed is still configured, are
    // columns no command shows for feeds that share a label.
    let origin_of = |title: &str| -> String {
        env.db()
            .query_row(
                "SELECT f.url FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.title = ?1",
                [title],
                |r| r.get(0),
            )
            .unwrap()
    };
    let beta = format!("{}/news/rss?q=beta", server.uri());
    assert_eq!(origin_of("Only beta found this"), beta);
    assert_eq!(
        origin_of("Both beta and gamma found this"),
        beta,
        "the origin stays the feed that first brought it"
    );
    assert_eq!(
        env.sql_count("SELECT count(*) FROM feeds WHERE active = 0 AND url LIKE '%q=beta'"),
        1,
        "retired, kept for provenance"
    );
    assert_eq!(
        env.sql_count("SELECT count(*) FROM feeds WHERE active = 1"),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn editing_a_topics_queries_on_postgresql_keeps_items_too() {
    let server = query_edit_server().await;
    let Some(env) = Env::new_postgres(
        "editing_a_topics_queries_on_postgresql",
        &query_edit_config(&server.uri()),
    ) else {
        return;
    };
    let handle = tokio::runtime::Handle::current();
    let seen = || tokio::task::block_in_place(|| handle.block_on(requests(&server)));
    editing_queries_retires_and_adds_feeds(&env, &seen);
}

#[test]
fn a_provider_no_topic_uses_is_a_warning_check_prints_and_run_does_not() {
    let env = Env::new(
        r#"[[search]]
name = "news"
url = "http://127.0.0.1:9/news?q={query}"

[[search]]
name = "spare"
url = "http://127.0.0.1:9/spare?q={query}"

[[topic]]
slug = "ai"
title = "AI"
queries = ["x"]
search = ["news"]
"#,
    );
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "a warning is no error");
    let line = line_of(&env, "name = \"spare\"");
    assert_eq!(
        stderr(&out),
        format!(
            "{}:{line}: warning: search[1].name: search provider `spare` is used by no topic (no topic has `queries`, or every topic with queries names other providers in `search`)\ndossier: the config has 1 warning(s)\n",
            env.config().display()
        )
    );
    assert!(
        stdout(&out).contains(
            "\nsearch spare: feed http://127.0.0.1:9/spare?q={query} every 30 min → used by no topic\n"
        ),
        "{}",
        stdout(&out)
    );
    // Other commands load the same config without a word about it (cron mails stderr).
    let out = env.run(&["feeds"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
}

#[test]
fn search_config_errors_name_file_line_and_key() {
    let env = Env::new(
        r#"[[search]]
name = "news"
url = "https://news.example/rss?q=fixed"

[[topic]]
slug = "ai"
title = "AI"
queries = ["China AI", "  "]
search = ["news", "bing"]
"#,
    );
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let file = env.config().display().to_string();
    let url = line_of(&env, "q=fixed");
    let queries = line_of(&env, "queries =");
    let search = line_of(&env, "search = [");
    assert_eq!(
        stderr(&out),
        format!(
            "{file}:{url}: search[0].url: `https://news.example/rss?q=fixed` has no `{{query}}` for the query to go in\n\
             {file}:{queries}: topic[0].queries[1]: a query must not be empty\n\
             {file}:{search}: topic[0].search[1]: unknown search provider `bing`; known providers: `news`\n\
             dossier: the config has 3 problem(s)\n"
        )
    );
    assert_eq!(env.run(&["run"]).status.code(), Some(2), "no run on it");
}

/// Export marks search feeds with their provider and query; import leaves them out,
/// naming each, instead of making plain `[[feed]]`s of them.
#[test]
fn opml_keeps_search_feeds_apart_from_plain_feeds() {
    let env = Env::new(
        r#"[[search]]
name = "news"
url = "https://news.example/rss?q={query}"

[[topic]]
slug = "ai"
title = "AI & co"
queries = ["China AI", "R&D \"labs\""]

[[feed]]
name = "Wire"
url = "https://wire.example/rss"
"#,
    );
    let out = env.run(&["feeds", "export-opml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let opml = stdout(&out);
    assert!(
        opml.contains("<opml version=\"2.0\" xmlns:dossier=\"urn:x-dossier:opml\">"),
        "{opml}"
    );
    for line in [
        "    <outline text=\"ai\" title=\"AI &amp; co\">\n",
        "      <outline type=\"rss\" text=\"reactive:ai\" title=\"reactive:ai\" xmlUrl=\"https://news.example/rss?q=China%20AI\" dossier:search=\"news\" dossier:query=\"China AI\"/>\n",
        "      <outline type=\"rss\" text=\"reactive:ai\" title=\"reactive:ai\" xmlUrl=\"https://news.example/rss?q=R%26D%20%22labs%22\" dossier:search=\"news\" dossier:query=\"R&amp;D &quot;labs&quot;\"/>\n",
        "    <outline type=\"rss\" text=\"Wire\" title=\"Wire\" xmlUrl=\"https://wire.example/rss\"/>\n",
    ] {
        assert!(opml.contains(line), "missing {line:?} in:\n{opml}");
    }

    let other = Env::new("[[feed]]\nname = \"Mine\"\nurl = \"https://mine.example/rss\"\n");
    let file = other.dir.path().join("export.opml");
    std::fs::write(&file, &opml).unwrap();
    let out = other.run(&["feeds", "import-opml", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("added 1 feeds to ",)
            && stdout(&out).contains(
                ", skipped 0 already there, 0 invalid, 2 search feeds left out (3 feed outlines in "
            ),
        "{}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}:7: outline `reactive:ai`: left out: a search feed (provider `news`, query \"R&D \\\"labs\\\"\"); searches are a [[search]] provider and a topic's `queries`, not a [[feed]]",
            file.display()
        )),
        "{err}"
    );
    let text = std::fs::read_to_string(other.config()).unwrap();
    assert!(text.contains("name = \"Wire\""), "{text}");
    assert!(!text.contains("news.example"), "{text}");
    assert_eq!(other.run(&["check"]).status.code(), Some(0));
}
