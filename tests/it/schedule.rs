//! Fetching like a good citizen: schedules, backoff, `410 Gone`, permanent redirects, our
//! own outages, unchanged bodies, server freshness, deferrals and `Retry-After` holds.

use crate::util::*;
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Minutes from the last fetch to the next due time.
fn scheduled_gap_mins(f: &Value) -> i64 {
    let at = |k: &str| chrono::DateTime::parse_from_rfc3339(f[k].as_str().unwrap()).unwrap();
    (at("next_due_at") - at("last_fetch_at")).num_minutes()
}

#[tokio::test(flavor = "multi_thread")]
async fn backoff_grows_with_failures_and_a_success_resets_it() {
    let server = MockServer::start().await;
    Mock::given(path("/f.rss"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&server)
        .await;
    serve_feed(
        &server,
        "/f.rss",
        rss(&[("1", "Back", "https://b.example/1", None)]),
        "\"b\"",
    )
    .await;
    let good = format!(
        "[[feed]]\nname = \"ok\"\nurl = \"{}/ok.rss\"\n",
        server.uri()
    );
    serve_feed(
        &server,
        "/ok.rss",
        rss(&[("o", "Fine", "https://o.example/1", None)]),
        "\"o\"",
    )
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"f\"\nurl = \"{}/f.rss\"\ninterval_mins = 10\n\n{good}",
        server.uri()
    ));
    let mut gaps = Vec::new();
    for _ in 0..3 {
        assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
        let f = feed_row(&env, "f");
        gaps.push((
            f["consecutive_failures"].as_i64().unwrap(),
            scheduled_gap_mins(&f),
        ));
    }
    assert_eq!(gaps, vec![(1, 10), (2, 20), (3, 40)]);
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    let f = feed_row(&env, "f");
    assert_eq!(
        (f["consecutive_failures"].as_i64(), scheduled_gap_mins(&f)),
        (Some(0), 10)
    );
    assert_eq!(f["last_status"], "200");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_410_disables_the_feed_and_feeds_says_so() {
    let server = MockServer::start().await;
    Mock::given(path("/gone.rss"))
        .respond_with(ResponseTemplate::new(410))
        .expect(1)
        .mount(&server)
        .await;
    serve_feed(
        &server,
        "/ok.rss",
        rss(&[("o", "Fine", "https://o.example/1", None)]),
        "\"o\"",
    )
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"gone\"\nurl = \"{0}/gone.rss\"\n\n[[feed]]\nname = \"ok\"\nurl = \"{0}/ok.rss\"\n",
        server.uri()
    ));
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let f = feed_row(&env, "gone");
    assert_eq!(f["last_status"], "410");
    assert!(
        f["disabled"]
            .as_str()
            .unwrap()
            .starts_with("gone (HTTP 410)"),
        "{f}"
    );
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    let text = stdout(&env.run(&["feeds"]));
    assert!(text.contains("disabled: gone (HTTP 410)"), "{text}");
    // `.expect(1)` on the mock: the disabled feed was not requested again.
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_redirect_moves_the_feed() {
    let server = MockServer::start().await;
    Mock::given(path("/old.rss"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/new.rss"))
        .expect(1)
        .mount(&server)
        .await;
    serve_feed(
        &server,
        "/new.rss",
        rss(&[("n", "Moved", "https://m.example/1", None)]),
        "\"n\"",
    )
    .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"m\"\nurl = \"{}/old.rss\"\n",
        server.uri()
    ));
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let f = feed_row(&env, "m");
    let new = format!("{}/new.rss", server.uri());
    assert_eq!(
        (f["moved_to"].as_str(), f["final_url"].as_str()),
        (Some(new.as_str()), Some(new.as_str()))
    );
    assert_eq!(env.run(&["run", "--all"]).status.code(), Some(0));
    let new_hits = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/new.rss")
        .count();
    assert_eq!(new_hits, 2, "the second run went straight to the new URL");
}

#[test]
fn when_nearly_every_feed_fails_at_the_network_level_the_outage_is_ours() {
    // Ports nothing listens on: every connection is refused.
    let closed: Vec<u16> = (0..3)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        })
        .collect();
    let feeds: String = closed
        .iter()
        .enumerate()
        .map(|(i, p)| format!("[[feed]]\nname = \"f{i}\"\nurl = \"http://127.0.0.1:{p}/x\"\n\n"))
        .collect();
    let env = Env::new(&feeds);
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("our outage"), "{}", stderr(&out));
    for f in env.json_lines(&["feeds", "--json"]) {
        assert_eq!(f["error_class"], "connect", "{f}");
        assert_eq!(
            f["consecutive_failures"], 0,
            "not held against the feed: {f}"
        );
        assert_eq!(f["next_due_at"], Value::Null, "still due next run: {f}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_body_counts_as_not_modified_and_is_not_parsed_again() {
    let server = MockServer::start().await;
    // No validators at all: the server always sends the whole body.
    Mock::given(path("/same.rss"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[(
            "1",
            "Same",
            "https://s.example/1",
            None,
        )])))
        .expect(2)
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"same\"\nurl = \"{}/same.rss\"\n",
        server.uri()
    ));
    env.run(&["run"]);
    let out = env.run(&["run", "--all", "--json"]);
    let stats: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        (stats["fetched"].as_u64(), stats["not_modified"].as_u64()),
        (Some(0), Some(1)),
        "{stats}"
    );
    assert_eq!(feed_row(&env, "same")["last_status"], "not_modified");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_freshness_raises_the_interval_but_never_lowers_it() {
    let server = MockServer::start().await;
    let body = rss(&[("1", "Fresh", "https://f.example/1", None)]);
    Mock::given(path("/long.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("cache-control", "max-age=7200")
                .set_body_string(body.clone()),
        )
        .mount(&server)
        .await;
    Mock::given(path("/short.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("cache-control", "max-age=60")
                .set_body_string(body.clone()),
        )
        .mount(&server)
        .await;
    let ttl = body
        .replace("<title>t</title>", "<title>t</title><ttl>180</ttl>")
        .replace("\"1\"", "\"2\"");
    Mock::given(path("/ttl.rss"))
        .respond_with(ResponseTemplate::new(200).set_body_string(ttl))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"long\"\nurl = \"{0}/long.rss\"\n\n[[feed]]\nname = \"short\"\nurl = \"{0}/short.rss\"\n\n[[feed]]\nname = \"ttl\"\nurl = \"{0}/ttl.rss\"\n",
        server.uri()
    ));
    env.run(&["run"]);
    assert_eq!(scheduled_gap_mins(&feed_row(&env, "long")), 120);
    assert_eq!(
        scheduled_gap_mins(&feed_row(&env, "short")),
        30,
        "the configured interval is the floor"
    );
    assert_eq!(scheduled_gap_mins(&feed_row(&env, "ttl")), 180);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_defers_the_feed_without_counting_a_failure() {
    let server = MockServer::start().await;
    Mock::given(path("/busy.rss"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"busy\"\nurl = \"{}/busy.rss\"\n",
        server.uri()
    ));
    let out = env.run(&["run", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "back-pressure is no failure: {}",
        stderr(&out)
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let stats: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        (stats["deferred"].as_u64(), stats["failed"].as_u64()),
        (Some(1), Some(0))
    );
    let f = feed_row(&env, "busy");
    assert_eq!(
        (f["last_status"].as_str(), f["error_class"].clone()),
        (Some("429"), Value::Null)
    );
    assert_eq!(f["consecutive_failures"], 0);
    assert_eq!(scheduled_gap_mins(&f), 60);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daily_full_fetch_sees_past_an_etag_that_never_changes() {
    let server = MockServer::start().await;
    // A server whose ETag never changes and which ignores If-None-Match.
    Mock::given(path("/stale.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"same\"")
                .set_body_string(rss(&[("1", "One", "https://s.example/1", None)])),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/stale.rss"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"same\"")
                .set_body_string(rss(&[
                    ("1", "One", "https://s.example/1", None),
                    ("2", "Two", "https://s.example/2", None),
                ])),
        )
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"stale\"\nurl = \"{}/stale.rss\"\n",
        server.uri()
    ));
    env.run(&["run"]);
    env.run(&["run", "--all"]);
    assert_eq!(
        env.items().len(),
        1,
        "same ETag on a conditional request: not parsed"
    );
    // schema: a day passing is simulated by ageing the feed's last full fetch; no command
    // sets it.
    env.db()
        .execute(
            "UPDATE feeds SET last_full_fetch_at = '2000-01-01T00:00:00Z'",
            [],
        )
        .unwrap();
    env.run(&["run", "--all"]);
    assert_eq!(env.items().len(), 2, "the full fetch parses the body");
    let last = server.received_requests().await.unwrap().pop().unwrap();
    assert!(
        !last.headers.contains_key("if-none-match"),
        "the full fetch sends no validators"
    );
}

/// A server's Retry-After outlasts the run that heard it: every later run, `run --all`
/// included, sends nothing to that host until the time it named, and a feed the hold kept
/// from being requested keeps the time and status of its last real fetch.
#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_holds_the_host_across_runs_and_run_all() {
    let server = MockServer::start().await;
    Mock::given(path("/busy.rss"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/calm.rss"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rss(&[(
            "c1",
            "Calm story",
            "https://calm.example/1",
            Some("Mon, 18 May 2026 10:00:00 GMT"),
        )])))
        .expect(1)
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"calm\"\nurl = \"{0}/calm.rss\"\n\n[[feed]]\nname = \"busy\"\nurl = \"{0}/busy.rss\"\n",
        server.uri()
    ));
    // The calm feed is fetched first, alone; then the busy one gets the 429.
    assert_eq!(env.run(&["run", "--feed", "calm"]).status.code(), Some(0));
    let calm_before = feed_row(&env, "calm");
    assert_eq!(calm_before["last_status"], "200");
    let out = env.run(&["run", "--feed", "busy"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let busy_before = feed_row(&env, "busy");
    assert_eq!(busy_before["last_status"], "429");

    for args in [&["run", "--all", "--json"][..], &["run", "--json"][..]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let stats: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(stats["failed"], 0, "{args:?}: {stats}");
        assert_eq!(stats["fetched"], 0, "{args:?}: {stats}");
    }
    // Nothing more was sent to the host (the mocks' `expect(1)` are checked on drop).
    let calm = feed_row(&env, "calm");
    let busy = feed_row(&env, "busy");
    for (now, before) in [(&calm, &calm_before), (&busy, &busy_before)] {
        assert_eq!(now["last_fetch_at"], before["last_fetch_at"], "{now}");
        assert_eq!(now["last_status"], before["last_status"], "{now}");
        assert_eq!(now["consecutive_failures"], 0, "{now}");
        let held = now["held_until"].as_str().expect("the row says it is held");
        let until = chrono::DateTime::parse_from_rfc3339(held).unwrap();
        let left = until.signed_duration_since(chrono::Utc::now());
        assert!(
            left > chrono::Duration::minutes(55) && left <= chrono::Duration::minutes(61),
            "held for {left:?}"
        );
    }
    let text = stdout(&env.run(&["feeds"]));
    assert!(
        text.contains("held: its server asked for a rest (HTTP 429); no request before"),
        "{text}"
    );
}

/// A Retry-After is capped at a day, however long the server asks for.
#[tokio::test(flavor = "multi_thread")]
async fn a_hold_lasts_a_day_at_most() {
    let server = MockServer::start().await;
    Mock::given(path("/slow.rss"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "31536000"))
        .expect(1)
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[feed]]\nname = \"slow\"\nurl = \"{}/slow.rss\"\n",
        server.uri()
    ));
    assert_eq!(env.run(&["run"]).status.code(), Some(0));
    let held = feed_row(&env, "slow")["held_until"]
        .as_str()
        .map(str::to_string)
        .unwrap();
    let left = chrono::DateTime::parse_from_rfc3339(&held)
        .unwrap()
        .signed_duration_since(chrono::Utc::now());
    assert!(
        left > chrono::Duration::hours(23) && left <= chrono::Duration::hours(24),
        "{left:?}"
    );
}
