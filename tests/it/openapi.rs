//! `crates/web/openapi.json` kept true: its paths are the router's `/api/v1` routes and no
//! others; each documented path is requested from a real `dossier serve` (a store made by
//! `dossier run`, two versions cut) with real parameters, and each answer is checked
//! against the document: its status is documented, its content type too, and a JSON body
//! validates against the schema (JSON Schema 2020-12, which OpenAPI 3.1 uses); every
//! documented path and status but the guard's shared ones is exercised; and each
//! operation's query parameters are exactly the ones the server knows.

use crate::browser::Served;
use crate::util::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use wiremock::MockServer;

fn document() -> Value {
    serde_json::from_str(dossier_web::openapi::DOCUMENT).unwrap()
}

/// A path with every `{…}`-bearing segment made `{}`: the router's `{n}` answers the
/// document's `{n}.txt` too, and its `{range}` the document's `{a}..{b}`.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| if s.contains('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn the_document_lists_exactly_the_routes_under_api_v1() {
    let doc = document();
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|p| shape(p))
        .collect();
    let routed: BTreeSet<String> = dossier_web::ROUTES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| p.starts_with("/api/v1/"))
        .map(shape)
        .collect();
    assert_eq!(documented, routed);
    assert!(
        doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .all(|p| p.starts_with("/api/v1/")),
        "only the API is documented"
    );
}

/// Whether `path` (no query) fits the template; the literal characters the template
/// matched, to prefer `{n}.txt` over `{n}` for `1.txt`.
fn fits(template: &str, path: &str) -> Option<usize> {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    if t.len() != p.len() {
        return None;
    }
    let mut literal = 0;
    for (t, p) in t.iter().zip(&p) {
        literal += segment(t, p)?;
    }
    Some(literal)
}

/// One segment against a template segment with `{name}` holes, each matching at least
/// one character.
fn segment(t: &str, p: &str) -> Option<usize> {
    match t.find('{') {
        None => (t == p).then_some(t.len()),
        Some(0) => {
            let close = t.find('}')?;
            let rest = &t[close + 1..];
            // The hole takes 1..=len characters; try the shortest that lets the rest fit.
            (1..=p.len())
                .filter(|&k| p.is_char_boundary(k))
                .find_map(|k| segment(rest, &p[k..]))
        }
        Some(i) => {
            if p.get(..i)? != &t[..i] {
                return None;
            }
            segment(&t[i..], &p[i..]).map(|n| n + i)
        }
    }
}

/// A schema that validates against the document: `#/components/…` resolves in it.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.as_object().unwrap().clone();
    root.insert("components".into(), doc["components"].clone());
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .unwrap()
}

/// A response object, its `$ref` followed.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling {r}")),
        None => v,
    }
}

struct Checker {
    doc: Value,
    /// (template, status) pairs seen.
    seen: BTreeSet<(String, String)>,
}

impl Checker {
    /// Requests `target` (path and query) and checks the answer against the document;
    /// returns the JSON body, or the text.
    fn check(&mut self, served: &Served, target: &str, status: u16) -> Value {
        let (got, headers, body) = served.get(target);
        let (path, _) = target.split_once('?').unwrap_or((target, ""));
        assert_eq!(got, status, "{target}: {}", String::from_utf8_lossy(&body));
        let paths = self.doc["paths"].as_object().unwrap();
        let template = paths
            .keys()
            .filter_map(|t| fits(t, path).map(|n| (n, t)))
            .max()
            .unwrap_or_else(|| panic!("{path} fits no documented path"))
            .1
            .clone();
        let op = &paths[&template]["get"];
        let response = op["responses"]
            .get(status.to_string())
            .unwrap_or_else(|| panic!("{template}: status {status} is not documented"));
        let response = resolve(&self.doc, response).clone();
        self.seen.insert((template.clone(), status.to_string()));
        for (name, h) in response["headers"].as_object().into_iter().flatten() {
            let h = resolve(&self.doc, h);
            let present = headers
                .iter()
                .any(|l| l.starts_with(&format!("{}:", name.to_ascii_lowercase())));
            if h["required"] == true {
                assert!(
                    present,
                    "{target}: header {name} is documented as always sent"
                );
            }
        }
        let Some(content) = response["content"].as_object() else {
            assert!(body.is_empty(), "{target}: a body where none is documented");
            return Value::Null;
        };
        let kind = headers
            .iter()
            .find_map(|l| l.strip_prefix("content-type: "))
            .unwrap_or_else(|| panic!("{target}: no content type"))
            .to_string();
        let (_, media) = content
            .iter()
            .find(|(k, _)| k.to_ascii_lowercase() == kind)
            .unwrap_or_else(|| {
                panic!(
                    "{target}: content type {kind} is not documented ({:?})",
                    content.keys().collect::<Vec<_>>()
                )
            });
        if !kind.contains("json") {
            return Value::String(String::from_utf8(body).unwrap());
        }
        let value: Value = serde_json::from_slice(&body).unwrap();
        let v = validator(&self.doc, &media["schema"]);
        let errors: Vec<String> = v
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{target}: the answer does not fit {template}'s schema for {status}:\n{}\n{value:#}",
            errors.join("\n")
        );
        value
    }
}

/// A store with two versions of `ai`: one item's title edited and one added between them.
async fn store(server: &MockServer) -> Env {
    let base = server.uri();
    let feed = |second: &str, extra: bool| {
        let mut items = vec![
            (
                "1",
                "Open weights win a round",
                format!("{base}/story/1"),
                Some("Fri, 22 May 2026 10:15:00 +0200"),
            ),
            (
                "2",
                second,
                format!("{base}/story/2"),
                Some("Sat, 23 May 2026 01:00:00 GMT"),
            ),
            ("3", "An undated note", format!("{base}/story/3"), None),
        ];
        if extra {
            items.push((
                "4",
                "DeepSeek answers the critics",
                format!("{base}/story/4"),
                Some("Mon, 25 May 2026 08:00:00 GMT"),
            ));
        }
        let items: Vec<(&str, &str, &str, Option<&str>)> = items
            .iter()
            .map(|(g, t, l, d)| (*g, *t, l.as_str(), *d))
            .collect();
        rss(&items)
    };
    serve_feed(server, "/ai.rss", feed("A first headline", false), "\"a\"").await;
    serve_feed(
        server,
        "/wire.rss",
        rss(&[(
            "w1",
            "New export controls on chips",
            &format!("{base}/story/w1"),
            Some("Sat, 23 May 2026 12:00:00 GMT"),
        )]),
        "\"w\"",
    )
    .await;
    let env = Env::new(&two_topic_config(&base));
    let ok = |out: std::process::Output| assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    ok(env.run(&["run"]));
    ok(env.run(&["version", "cut", "ai"]));
    server.reset().await;
    serve_feed(
        server,
        "/ai.rss",
        feed("A corrected headline", true),
        "\"b\"",
    )
    .await;
    ok(env.run(&["run", "--all", "--feed", "reactive:ai"]));
    ok(env.run(&["version", "cut", "ai"]));
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_answer_fits_its_schema() {
    let server = MockServer::start().await;
    let env = store(&server).await;
    let served = Served::start(&env);
    let mut c = Checker {
        doc: document(),
        seen: BTreeSet::new(),
    };
    let id = env.items()[0]["id"].as_i64().unwrap();

    let doc = c.check(&served, "/api/v1/openapi.json", 200);
    assert_eq!(doc, c.doc, "the server serves the file");

    // Items: a page, the next one through the cursor, filters, search, errors.
    let page = c.check(&served, "/api/v1/items?limit=2", 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let next = c.check(
        &served,
        &format!("/api/v1/items?limit=2&cursor={cursor}"),
        200,
    );
    assert_ne!(next["items"][0], page["items"][0]);
    c.check(
        &served,
        "/api/v1/items?topic=ai&feed=reactive%3Aai&since=2026-05-01&until=2026-06-30T00%3A00%3A00Z&limit=1000",
        200,
    );
    let found = c.check(&served, "/api/v1/items?q=export", 200);
    assert_eq!(found["items"][0]["title"], "New export controls on chips");
    assert_eq!(found["next_cursor"], Value::Null);
    c.check(&served, "/api/v1/items?limit=1001", 400);
    c.check(&served, "/api/v1/items?since=yesterday", 400);
    c.check(&served, "/api/v1/items?cursor=nonsense", 400);
    c.check(&served, "/api/v1/items?topic=nope", 404);
    c.check(&served, "/api/v1/items?feed=nope", 404);

    // One item.
    let item = c.check(&served, &format!("/api/v1/items/{id}"), 200);
    assert!(!item["sightings"].as_array().unwrap().is_empty());
    c.check(&served, "/api/v1/items/x", 400);
    c.check(&served, "/api/v1/items/999999", 404);

    c.check(&served, "/api/v1/feeds", 200);
    let topics = c.check(&served, "/api/v1/topics", 200);
    assert!(
        topics["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["slug"] == "ai" && t["latest_version"] == 2)
    );

    // Versions: the list, one by number and as `latest`, its text, stories, 304s.
    c.check(&served, "/api/v1/topics/ai/versions", 200);
    c.check(&served, "/api/v1/topics/nope/versions", 404);
    let v1 = c.check(&served, "/api/v1/topics/ai/versions/1", 200);
    assert_eq!(v1["sources"].as_array().unwrap().len(), 3);
    c.check(&served, "/api/v1/topics/ai/versions/latest", 200);
    c.check(&served, "/api/v1/topics/ai/versions/0", 400);
    c.check(&served, "/api/v1/topics/ai/versions/9", 404);
    c.check(&served, "/api/v1/topics/nope/versions/1", 404);
    let text = c.check(&served, "/api/v1/topics/ai/versions/1.txt", 200);
    assert_eq!(
        text.as_str().unwrap(),
        stdout(&env.run(&["version", "show", "ai", "1"]))
    );
    c.check(&served, "/api/v1/topics/ai/versions/x.txt", 400);
    c.check(&served, "/api/v1/topics/ai/versions/9.txt", 404);
    c.check(&served, "/api/v1/topics/ai/versions/2/stories", 200);
    c.check(&served, "/api/v1/topics/ai/versions/x/stories", 400);
    c.check(&served, "/api/v1/topics/ai/versions/9/stories", 404);

    // Citations and the citation check.
    let cited = c.check(
        &served,
        "/api/v1/topics/ai/versions/2/cite?numbers=1,2,99",
        200,
    );
    assert_eq!(cited["unknown"], json!([99]));
    c.check(
        &served,
        "/api/v1/topics/ai/versions/2/cite?numbers=1,4&format=csl-json",
        200,
    );
    c.check(
        &served,
        "/api/v1/topics/ai/versions/2/cite?numbers=1&format=bibtex",
        200,
    );
    c.check(
        &served,
        "/api/v1/topics/ai/versions/2/cite?numbers=1&format=ris",
        200,
    );
    c.check(&served, "/api/v1/topics/ai/versions/2/cite", 400);
    c.check(&served, "/api/v1/topics/ai/versions/9/cite?numbers=1", 404);
    let checked = c.check(
        &served,
        "/api/v1/topics/ai/versions/2/check?text=As%20%5B1%5D%20and%20%5B7%5D%20say",
        200,
    );
    assert_eq!(checked["cited"], json!([1]));
    assert_eq!(checked["unknown"], json!([7]));
    c.check(&served, "/api/v1/topics/ai/versions/2/check", 400);
    c.check(&served, "/api/v1/topics/ai/versions/9/check?text=x", 404);

    // The diff: the added source and the edited headline.
    let diff = c.check(&served, "/api/v1/topics/ai/diff/1..2", 200);
    assert_eq!(diff["added"].as_array().unwrap().len(), 1);
    assert_eq!(diff["changed"].as_array().unwrap().len(), 1);
    c.check(&served, "/api/v1/topics/ai/diff/1..9", 404);

    // A source number.
    let source = c.check(&served, "/api/v1/topics/ai/sources/1", 200);
    assert_eq!(source["copies"].as_array().unwrap().len(), 2);
    c.check(&served, "/api/v1/topics/ai/sources/x", 400);
    c.check(&served, "/api/v1/topics/ai/sources/99", 404);

    let doc = c.doc.clone();
    // The shared answers have the documented shape too.
    let (status, _, body) = served.get_with("/api/v1/topics", "Host: evil.example\r\n");
    assert_eq!(status, 403);
    let error = validator(&doc, &json!({"$ref": "#/components/schemas/Error"}));
    assert!(error.is_valid(&serde_json::from_slice(&body).unwrap()));
    let (status, headers, _) = served.get_with("/api/v1/topics/ai/versions/1", "");
    assert_eq!(status, 200);
    let etag = headers
        .iter()
        .find_map(|h| h.strip_prefix("etag: "))
        .unwrap()
        .to_string();
    let (status, _, body) = served.get_with(
        "/api/v1/topics/ai/versions/1",
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert_eq!(status, 304);
    assert!(body.is_empty());

    // Each operation's query parameters are the ones the server knows: an unknown one
    // is refused with the list.
    let samples = [
        ("/api/v1/openapi.json", "/api/v1/openapi.json"),
        ("/api/v1/items", "/api/v1/items"),
        ("/api/v1/items/{id}", &format!("/api/v1/items/{id}") as &str),
        ("/api/v1/feeds", "/api/v1/feeds"),
        ("/api/v1/topics", "/api/v1/topics"),
        (
            "/api/v1/topics/{slug}/versions",
            "/api/v1/topics/ai/versions",
        ),
        (
            "/api/v1/topics/{slug}/versions/{n}",
            "/api/v1/topics/ai/versions/1",
        ),
        (
            "/api/v1/topics/{slug}/versions/{n}.txt",
            "/api/v1/topics/ai/versions/1.txt",
        ),
        (
            "/api/v1/topics/{slug}/versions/{n}/stories",
            "/api/v1/topics/ai/versions/1/stories",
        ),
        (
            "/api/v1/topics/{slug}/versions/{n}/cite",
            "/api/v1/topics/ai/versions/1/cite",
        ),
        (
            "/api/v1/topics/{slug}/versions/{n}/check",
            "/api/v1/topics/ai/versions/1/check",
        ),
        (
            "/api/v1/topics/{slug}/diff/{a}..{b}",
            "/api/v1/topics/ai/diff/1..2",
        ),
        (
            "/api/v1/topics/{slug}/sources/{n}",
            "/api/v1/topics/ai/sources/1",
        ),
    ];
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        paths,
        samples.iter().map(|(t, _)| *t).collect(),
        "a sample for each path"
    );
    for (template, path) in samples {
        let documented: BTreeSet<String> = doc["paths"][template]["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| resolve(&doc, p))
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        let refused = c.check(&served, &format!("{path}?bogus=1"), 400);
        let message = refused["error"].as_str().unwrap();
        let known: BTreeSet<String> = match message.split_once("known parameters: ") {
            Some((_, list)) => list.split(", ").map(str::to_string).collect(),
            None => {
                assert!(message.contains("takes no parameters"), "{message}");
                BTreeSet::new()
            }
        };
        assert_eq!(known, documented, "{template}'s query parameters");
    }
    // Every documented path and status was met, but the guard's (401, 403, 405, 503, and
    // 304, which needs a validator), which every path shares.
    let shared = ["304", "401", "403", "405", "503"];
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for status in item["get"]["responses"].as_object().unwrap().keys() {
            if !shared.contains(&status.as_str()) {
                documented.insert((path.clone(), status.clone()));
            }
        }
    }
    let missing: Vec<_> = documented.difference(&c.seen).collect();
    assert!(
        missing.is_empty(),
        "documented but never requested: {missing:?}"
    );
}

#[test]
fn templates_fit_paths() {
    assert_eq!(fits("/a/{n}", "/a/1"), Some(1));
    assert_eq!(fits("/a/{n}.txt", "/a/1.txt"), Some(5));
    assert_eq!(fits("/a/{n}.txt", "/a/1"), None);
    assert_eq!(fits("/d/{a}..{b}", "/d/1..2"), Some(3));
    assert_eq!(fits("/d/{a}..{b}", "/d/1-2"), None);
    assert_eq!(fits("/a/{n}", "/a/1/b"), None);
}
