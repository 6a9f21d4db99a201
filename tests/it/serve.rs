//! `dossier serve` over loopback: a real server process on a store that `dossier run`
//! filled from loopback feeds, asked with plain HTTP/1.1. The API must answer exactly
//! what the command line prints, on both backends; every error class has its status;
//! pages escape what feeds wrote; the cursor pages stably while new items arrive.

use crate::util::*;
use serde_json::Value;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;
use wiremock::MockServer;

/// A running `dossier serve`, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(env: &Env, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = env
            .command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server { child, addr }
    }

    fn get(&self, path: &str) -> Resp {
        self.ask("GET", path, &[])
    }

    fn json(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        serde_json::from_str(&r.body).unwrap()
    }

    /// One request on its own connection; `Host` is the server's address unless given.
    fn ask(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req += &format!("Host: {}\r\n", self.addr);
        }
        for (k, v) in headers {
            req += &format!("{k}: {v}\r\n");
        }
        s.write_all(format!("{req}\r\n").as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        Resp {
            status,
            headers,
            body: body.to_string(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn error(&self) -> String {
        let v: Value = serde_json::from_str(&self.body).unwrap_or(Value::Null);
        v["error"].as_str().unwrap_or("").to_string()
    }
}

/// Items of the `ai` topic's own feed: `n` dated ones (1 May 2026 onwards, a day apart)
/// from `first`, plus the hostile one.
fn ai_feed(first: usize, n: usize) -> String {
    let mut items: Vec<(String, String, String, Option<String>)> = (first..first + n)
        .map(|i| {
            (
                format!("a{i}"),
                format!("DeepSeek story {i}"),
                format!("https://n.example/{i}"),
                Some(format!(
                    "{}, {:02} May 2026 10:00:00 GMT",
                    ["Fri", "Sat", "Sun", "Mon", "Tue", "Wed", "Thu"][(i - 1) % 7],
                    i
                )),
            )
        })
        .collect();
    items.push((
        "evil".into(),
        "Evil &amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; DeepSeek".into(),
        "javascript:alert(1)".into(),
        Some("Thu, 30 Apr 2026 10:00:00 GMT".into()),
    ));
    let refs: Vec<(&str, &str, &str, Option<&str>)> = items
        .iter()
        .map(|(g, t, l, d)| (g.as_str(), t.as_str(), l.as_str(), d.as_deref()))
        .collect();
    rss(&refs)
}

/// A store with two versions of `ai`: version 1 of items 1–4 (and the hostile one),
/// version 2 with items 5–6 too.
async fn world(server: &MockServer, env: &Env) {
    serve_feed(server, "/ai.rss", ai_feed(1, 4), "\"1\"").await;
    serve_feed(server, "/wire.rss", rss(&[]), "\"w\"").await;
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    assert_eq!(env.run(&["version", "cut", "ai"]).status.code(), Some(0));
    server.reset().await;
    serve_feed(server, "/ai.rss", ai_feed(1, 6), "\"2\"").await;
    serve_feed(server, "/wire.rss", rss(&[]), "\"w\"").await;
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    assert_eq!(env.run(&["version", "cut", "ai"]).status.code(), Some(0));
}

fn cli_json(env: &Env, args: &[&str]) -> Value {
    env.json_lines(args).into_iter().next().unwrap()
}

/// Every endpoint answers what the command line prints.
fn answers_like_the_cli(env: &Env) {
    let s = Server::start(env, &[]);
    let items = s.json("/api/v1/items");
    assert_eq!(items["items"], Value::Array(env.items()));
    assert_eq!(items["next_cursor"], Value::Null);
    assert_eq!(
        s.json("/api/v1/feeds")["feeds"],
        Value::Array(env.json_lines(&["feeds", "--json"]))
    );
    let topics = s.json("/api/v1/topics")["topics"].clone();
    assert_eq!(topics[0]["slug"], "ai");
    assert_eq!(topics[0]["latest_version"], 2);
    assert_eq!(
        s.json("/api/v1/topics/ai/versions")["versions"],
        Value::Array(env.json_lines(&["version", "list", "ai", "--json"]))
    );

    let one = &env.items()[0];
    let item = s.json(&format!("/api/v1/items/{}", one["id"]));
    assert_eq!(item["title"], one["title"]);
    assert_eq!(item["sightings"][0]["feed"], "reactive:ai");

    // Versions: the JSON, the text and the stories, exactly; numbered ones immutable.
    let r = s.get("/api/v1/topics/ai/versions/1");
    assert_eq!(r.status, 200);
    let v1: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v1, cli_json(env, &["version", "show", "ai", "1", "--json"]));
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let etag = r.header("etag").unwrap().to_string();
    assert!(etag.starts_with('"'), "a strong ETag: {etag}");
    let again = s.ask(
        "GET",
        "/api/v1/topics/ai/versions/1",
        &[("If-None-Match", &etag)],
    );
    assert_eq!((again.status, again.body.as_str()), (304, ""));
    let latest = s.get("/api/v1/topics/ai/versions/latest");
    assert_eq!(latest.header("cache-control"), Some("no-cache"));
    assert_eq!(
        serde_json::from_str::<Value>(&latest.body).unwrap()["version"],
        2
    );
    let text = s.get("/api/v1/topics/ai/versions/2.txt");
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(text.body, stdout(&env.run(&["version", "show", "ai", "2"])));
    assert_eq!(
        s.json("/api/v1/topics/ai/versions/2/stories"),
        cli_json(env, &["version", "stories", "ai", "2", "--json"])
    );

    // What changed, citations, the check.
    let d = s.json("/api/v1/topics/ai/diff/1..2");
    assert_eq!(d["added"], serde_json::json!([6, 7]));
    assert_eq!(d["dropped"], serde_json::json!([]));
    let cite = s.json("/api/v1/topics/ai/versions/2/cite?numbers=2,99");
    let line = format!(
        "[2] {} — reactive:ai (2026-05-01)",
        v1["sources"][1]["title"].as_str().unwrap()
    );
    assert_eq!(cite["lines"], serde_json::json!([line]));
    assert_eq!(cite["unknown"], serde_json::json!([99]));
    let bib = s.get("/api/v1/topics/ai/versions/2/cite?numbers=1-2,99&format=bibtex");
    assert_eq!(bib.body.matches("@online{").count(), 2);
    assert_eq!(bib.header("dossier-unknown-numbers"), Some("99"));
    let csl = s.json("/api/v1/topics/ai/versions/2/cite?numbers=2&format=csl-json");
    assert_eq!(
        csl[0]["issued"]["date-parts"],
        serde_json::json!([[2026, 5, 1]])
    );
    let ris = s.get("/api/v1/topics/ai/versions/2/cite?numbers=2&format=ris");
    assert!(ris.body.starts_with("TY  - ELEC\r\n"), "{}", ris.body);
    let checked = s.json(
        "/api/v1/topics/ai/versions/1/check?text=As%20%5B1%5D%5B2%5D%20and%20%5B4-6%5D%20say",
    );
    assert_eq!(checked["cited"], serde_json::json!([1, 2, 4, 5]));
    assert_eq!(checked["unknown"], serde_json::json!([6]));

    // The Atom feed parses with dossier's own reader: one entry per version.
    let atom = s.get("/topics/ai.atom");
    assert_eq!(atom.status, 200);
    let file = env.dir.path().join("ai.atom");
    std::fs::write(&file, &atom.body).unwrap();
    let parsed = env.json_lines(&["parse", file.to_str().unwrap()]);
    assert_eq!(parsed.len(), 2);
    assert!(parsed[0]["guid"].as_str().unwrap().ends_with(":ai/v2"));

    // Every page answers, with the security headers.
    for page in [
        "/",
        "/feeds",
        "/items?q=DeepSeek",
        "/topics/ai",
        "/topics/ai/versions/1",
        "/topics/ai/diff/1..2",
    ] {
        let r = s.get(page);
        assert_eq!(r.status, 200, "{page}: {}", r.body);
        assert!(
            r.header("content-security-policy")
                .unwrap()
                .starts_with("default-src 'none'")
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    }

    // One source number's record: its frozen copies, why it joined, the item now.
    let src = s.json("/api/v1/topics/ai/sources/2");
    assert_eq!(src["topic"], "ai");
    assert_eq!(src["n"], 2);
    assert_eq!(src["copies"].as_array().unwrap().len(), 2);
    assert_eq!(src["copies"][0]["version"], 1);
    assert_eq!(src["copies"][0]["source"], v1["sources"][1]);
    assert_eq!(src["joined"]["reason"], "topic_feed");
    assert_eq!(src["item"]["id"], src["item_id"]);
    assert_eq!(src["item"]["sightings"][0]["feed"], "reactive:ai");
    assert_eq!(s.get("/topics/ai/sources/2").status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_what_the_command_line_prints() {
    let server = MockServer::start().await;
    let env = Env::new(&two_topic_config(&server.uri()));
    world(&server, &env).await;
    answers_like_the_cli(&env);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_what_the_command_line_prints_on_postgres() {
    let server = MockServer::start().await;
    let Some(env) = Env::new_postgres("serve_answers", &two_topic_config(&server.uri())) else {
        return;
    };
    world(&server, &env).await;
    answers_like_the_cli(&env);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_bad_requests_with_the_right_status() {
    let server = MockServer::start().await;
    let env = Env::new(&two_topic_config(&server.uri()));
    world(&server, &env).await;
    refuses_like_the_contract(&env);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_bad_requests_with_the_right_status_on_postgres() {
    let server = MockServer::start().await;
    let Some(env) = Env::new_postgres("serve_refuses", &two_topic_config(&server.uri())) else {
        return;
    };
    world(&server, &env).await;
    refuses_like_the_contract(&env);
}

/// Every error class of the API and the pages, on whichever store `env` has.
fn refuses_like_the_contract(env: &Env) {
    let s = Server::start(env, &[]);
    for (path, status, says) in [
        (
            "/api/v1/items?sort=new",
            400,
            "unknown parameter `sort`; known parameters: topic",
        ),
        ("/api/v1/items?limit=1001", 400, "`limit`"),
        ("/api/v1/items?limit=0", 400, "`limit`"),
        ("/api/v1/items?since=yesterday", 400, "`since`"),
        ("/api/v1/items?cursor=nonsense", 400, "`cursor`"),
        ("/api/v1/items?topic=nope", 404, "unknown topic `nope`"),
        ("/api/v1/items?feed=nope", 404, "unknown feed `nope`"),
        ("/api/v1/items/999999", 404, "no item 999999"),
        ("/api/v1/items/x", 400, "item `x`"),
        ("/api/v1/topics/nope/versions", 404, "unknown topic `nope`"),
        ("/api/v1/topics/ai/versions/9", 404, "has no version 9"),
        ("/api/v1/topics/ai/versions/0", 400, "version `0`"),
        ("/api/v1/topics/ai/versions/9.txt", 404, "has no version 9"),
        ("/api/v1/topics/ai/diff/1-2", 400, "range"),
        ("/api/v1/topics/ai/diff/1..9", 404, "has no version 9"),
        ("/api/v1/topics/ai/sources/999", 404, "has no source 999"),
        (
            "/api/v1/topics/ai/versions/1/cite",
            400,
            "`numbers` is required",
        ),
        (
            "/api/v1/topics/ai/versions/1/cite?numbers=1&format=mla",
            400,
            "`format`",
        ),
        (
            "/api/v1/topics/ai/versions/1/check",
            400,
            "`text` is required",
        ),
        ("/api/v1/feeds?x=1", 400, "unknown parameter `x`"),
        ("/api/v1/nothing", 404, "nothing at /api/v1/nothing"),
    ] {
        let r = s.get(path);
        assert_eq!(r.status, status, "{path}: {}", r.body);
        assert!(r.error().contains(says), "{path}: {}", r.body);
    }
    assert_eq!(s.get("/topics/nope").status, 404);
    assert_eq!(s.get("/static/app-0.css").status, 404);
    // What browsers ask for unbidden is answered, empty, not logged as missing.
    let icon = s.get("/favicon.ico");
    assert_eq!((icon.status, icon.body.as_str()), (204, ""));
    assert_eq!(icon.header("cache-control"), Some("public, max-age=86400"));
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let r = s.ask(method, "/api/v1/items", &[("Content-Length", "0")]);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
    let head = s.ask("HEAD", "/api/v1/topics", &[]);
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    // DNS rebinding: a page on another name that resolves here is refused.
    let r = s.ask("GET", "/api/v1/topics", &[("Host", "evil.example:80")]);
    assert_eq!(r.status, 403);
    for ok in ["localhost:1", "127.0.0.1", "[::1]:8080"] {
        assert_eq!(s.ask("GET", "/", &[("Host", ok)]).status, 200, "{ok}");
    }
    // The stylesheet the pages name is served, cached for good.
    let page = s.get("/").body;
    let css = page
        .split("href=\"/static/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let r = s.get(&format!("/static/{css}"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_with_a_token_and_cors() {
    let server = MockServer::start().await;
    let env = Env::new(&two_topic_config(&server.uri()));
    world(&server, &env).await;
    let token = env.dir.path().join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let s = Server::start(
        &env,
        &[
            "--token-file",
            token.to_str().unwrap(),
            "--cors-origin",
            "https://app.example",
        ],
    );
    let r = s.get("/api/v1/topics");
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    assert_eq!(s.get("/").status, 401);
    let wrong = s.ask(
        "GET",
        "/api/v1/topics",
        &[("Authorization", "Bearer s3cret")],
    );
    assert_eq!(wrong.status, 401);
    let auth = ("Authorization", "Bearer s3cret-token");
    assert_eq!(s.ask("GET", "/api/v1/topics", &[auth]).status, 200);
    // CORS: the listed origin, on the API only; a preflight needs no token.
    let origin = ("Origin", "https://app.example");
    let r = s.ask("GET", "/api/v1/topics", &[auth, origin]);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let other = s.ask(
        "GET",
        "/api/v1/topics",
        &[auth, ("Origin", "https://evil.example")],
    );
    assert_eq!(other.header("access-control-allow-origin"), None);
    assert_eq!(
        s.ask("GET", "/", &[auth, origin])
            .header("access-control-allow-origin"),
        None
    );
    let pre = s.ask("OPTIONS", "/api/v1/topics", &[origin]);
    assert_eq!(pre.status, 204);
    assert!(
        pre.header("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );
    // Without a listed origin, OPTIONS is just another method.
    assert_eq!(s.ask("OPTIONS", "/api/v1/topics", &[auth]).status, 405);
}

#[test]
fn serve_refuses_to_listen_openly_without_a_token() {
    let env = Env::new("");
    let out = env.run(&["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--token-file"), "{}", stderr(&out));
    let out = env.run(&["serve", "--listen", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    let empty = env.dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let out = env.run(&["serve", "--token-file", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("holds no token"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_pages_never_let_a_feed_run_script() {
    let server = MockServer::start().await;
    let env = Env::new(&two_topic_config(&server.uri()));
    world(&server, &env).await;
    let evil = env
        .items()
        .into_iter()
        .find(|i| i["guid"] == "evil")
        .unwrap();
    assert_eq!(evil["title"], "Evil <script>alert(1)</script> DeepSeek");
    assert_eq!(evil["original_url"], "javascript:alert(1)");
    let s = Server::start(&env, &[]);
    let id = evil["id"].to_string();
    for page in [
        "/topics/ai".to_string(),
        "/topics/ai/versions/2".into(),
        "/items?q=Evil".into(),
        format!("/items?q={}", "%3Cscript%3E"),
        "/topics/ai/diff/1..2".into(),
        // Last: it needs the store's source record.
        "/topics/ai/sources/1".into(),
    ] {
        let r = s.get(&page);
        assert_eq!(r.status, 200, "{page}");
        let doc = scraper::Html::parse_document(&r.body);
        let scripts = scraper::Selector::parse("script").unwrap();
        assert_eq!(doc.select(&scripts).count(), 0, "{page}: {}", r.body);
        let links = scraper::Selector::parse("[href], [src]").unwrap();
        for el in doc.select(&links) {
            for attr in ["href", "src"] {
                let v = el.value().attr(attr).unwrap_or("").to_ascii_lowercase();
                assert!(!v.starts_with("javascript:"), "{page}: {v}");
            }
        }
        for a in doc.select(&scraper::Selector::parse("a[href^=http]").unwrap()) {
            assert_eq!(a.value().attr("rel"), Some("noopener noreferrer"), "{page}");
        }
    }
    let version = s.get("/topics/ai/versions/2").body;
    // The title is there, as text: escaped in the markup, whole once read.
    assert!(!version.contains("<script"), "{version}");
    let text: String = scraper::Html::parse_document(&version)
        .root_element()
        .text()
        .collect();
    assert!(
        text.contains("Evil <script>alert(1)</script> DeepSeek"),
        "{text}"
    );
    assert!(version.contains("id=\"s1\""));
    assert!(s.get("/items?q=Evil").body.contains(&format!("item {id}")));
    let atom = s.get("/topics/ai.atom").body;
    assert!(!atom.contains("<script>"), "{atom}");
}

/// Pages of `limit=2` while new items arrive between them: every item there was at the
/// start is listed once, none twice.
async fn pages_stay_stable(server: &MockServer, env: &Env) {
    serve_feed(server, "/ai.rss", ai_feed(1, 7), "\"1\"").await;
    serve_feed(server, "/wire.rss", rss(&[]), "\"w\"").await;
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    let before: Vec<Value> = env.items().iter().map(|i| i["id"].clone()).collect();
    let s = Server::start(env, &[]);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0..50 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/items?limit=2&cursor={c}"),
            None => "/api/v1/items?limit=2".to_string(),
        };
        let body = s.json(&path);
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].clone()),
        );
        if page == 1 {
            // Newer and older items arrive while the client pages.
            server.reset().await;
            let mut more = ai_feed(1, 9);
            more = more.replace(
                "</channel>",
                "<item><guid>old</guid><title>DeepSeek old</title><link>https://n.example/old</link>\
                 <pubDate>Mon, 06 Apr 2026 10:00:00 GMT</pubDate></item></channel>",
            );
            serve_feed(server, "/ai.rss", more, "\"2\"").await;
            serve_feed(server, "/wire.rss", rss(&[]), "\"w\"").await;
            assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
        }
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let unique: HashSet<String> = seen.iter().map(Value::to_string).collect();
    assert_eq!(unique.len(), seen.len(), "an item listed twice: {seen:?}");
    for id in &before {
        assert!(seen.contains(id), "item {id} skipped: {seen:?}");
    }
    // The old item that arrived mid-way sorts after every page read so far: it is listed.
    assert_eq!(seen.len(), before.len() + 1, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_pages_items_stably_while_new_ones_arrive() {
    let server = MockServer::start().await;
    let env = Env::new(&two_topic_config(&server.uri()));
    pages_stay_stable(&server, &env).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_pages_items_stably_while_new_ones_arrive_on_postgres() {
    let server = MockServer::start().await;
    let Some(env) = Env::new_postgres("serve_pages", &two_topic_config(&server.uri())) else {
        return;
    };
    pages_stay_stable(&server, &env).await;
}
