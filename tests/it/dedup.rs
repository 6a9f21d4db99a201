//! Identity: one story through several feeds and links is one item, and a retweet, a
//! syndicated copy or a quoting post is marked a duplicate of it.

use crate::util::*;
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    // schema: the link each feed gave is kept on its sighting; `items --json` shows only the
    // origin feed's (`original_url`), so the wire copy's tracked link is seen only in SQL.
    assert_eq!(
        env.sql_count("SELECT count(*) FROM sightings WHERE original_url LIKE '%utm_source%'"),
        1
    );
    let v = env.json_lines(&["version", "cut", "ai", "--json"]);
    assert_eq!(v[0]["item_count"], 1);
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
