//! Web pages read with selectors (`kind = "web"`) and article pages read for dates and
//! canonical links.

use crate::util::*;
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    assert_eq!(env.items().len(), 2, "nothing lost");
}

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
