//! The world's feeds: documents as real sites serve them (issue 11), with wrong charset
//! labels, default namespaces, cut-off bodies, no usable items, feedburner's origLink.

use crate::util::*;
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

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
