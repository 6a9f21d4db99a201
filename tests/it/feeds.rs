//! The feeds themselves: their health as `feeds --json` reports it, finding a site's feeds
//! (`feeds discover`), and OPML import and export.

use crate::util::*;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    assert_eq!(env.items().len(), 1);

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
