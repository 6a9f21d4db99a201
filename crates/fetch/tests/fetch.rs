//! The fetcher against loopback servers: conditional GET, failures as values, caps,
//! redirects and the address guard.

use dossier_fetch::{FetchConfig, FetchOutcome, FetchRequest, Fetcher};
use dossier_model::ErrorClass;
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn config(allow_private: bool) -> FetchConfig {
    FetchConfig {
        concurrency: 4,
        per_host: 2,
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        max_body_bytes: 10_000,
        user_agent: "dossier-test/0.1".into(),
        allow_private_addresses: allow_private,
    }
}

fn get(url: String) -> FetchRequest {
    FetchRequest {
        url,
        ..Default::default()
    }
}

fn failure(outcome: FetchOutcome) -> dossier_fetch::Failure {
    match outcome {
        FetchOutcome::Failed(f) => f,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn conditional_get_sends_validators_and_treats_304_as_not_modified() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .insert_header("last-modified", "Fri, 22 May 2026 10:00:00 GMT")
                .set_body_string("<rss/>"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    let FetchOutcome::Fetched(first) = f.fetch(&get(format!("{}/feed", server.uri()))).await else {
        panic!("first fetch must get the body")
    };
    assert_eq!(first.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        first.last_modified.as_deref(),
        Some("Fri, 22 May 2026 10:00:00 GMT")
    );
    assert_eq!(first.body, b"<rss/>");
    let again = FetchRequest {
        etag: first.etag.clone(),
        last_modified: first.last_modified.clone(),
        ..get(format!("{}/feed", server.uri()))
    };
    assert!(matches!(
        f.fetch(&again).await,
        FetchOutcome::NotModified { moved_to: None }
    ));
}

#[tokio::test]
async fn sends_an_honest_user_agent() {
    let server = MockServer::start().await;
    Mock::given(header("user-agent", "dossier-test/0.1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    assert!(matches!(
        f.fetch(&get(server.uri())).await,
        FetchOutcome::Fetched(_)
    ));
}

#[tokio::test]
async fn http_errors_are_classified() {
    let server = MockServer::start().await;
    Mock::given(path("/500"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(path("/404"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    let e = failure(f.fetch(&get(format!("{}/500", server.uri()))).await);
    assert_eq!((e.class, e.status), (ErrorClass::Http5xx, Some(500)));
    let e = failure(f.fetch(&get(format!("{}/404", server.uri()))).await);
    assert_eq!((e.class, e.status), (ErrorClass::Http4xx, Some(404)));
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    let e = failure(f.fetch(&get(format!("{}/slow", server.uri()))).await);
    assert_eq!(e.class, ErrorClass::Timeout, "{e:?}");
}

#[tokio::test]
async fn an_oversized_body_fails_cleanly() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 20_000]))
        .mount(&server)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    let e = failure(f.fetch(&get(format!("{}/big", server.uri()))).await);
    assert_eq!(e.class, ErrorClass::TooLarge);
    assert!(e.message.contains("10000"), "{}", e.message);
}

#[tokio::test]
async fn permanent_redirects_report_the_new_address() {
    let server = MockServer::start().await;
    let new = format!("{}/new", server.uri());
    Mock::given(path("/old"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/new"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/new"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x"))
        .mount(&server)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    let FetchOutcome::Fetched(got) = f.fetch(&get(format!("{}/old", server.uri()))).await else {
        panic!()
    };
    assert_eq!(got.final_url, new);
    assert_eq!(got.moved_to.as_deref(), Some(new.as_str()));
}

#[tokio::test]
async fn temporary_redirects_do_not_move_the_feed() {
    let server = MockServer::start().await;
    Mock::given(path("/old"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/tmp"))
        .mount(&server)
        .await;
    Mock::given(path("/tmp"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x"))
        .mount(&server)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    let FetchOutcome::Fetched(got) = f.fetch(&get(format!("{}/old", server.uri()))).await else {
        panic!()
    };
    assert_eq!(got.moved_to, None);
    assert!(got.final_url.ends_with("/tmp"));
}

#[tokio::test]
async fn a_redirect_loop_stops_after_five_hops() {
    let server = MockServer::start().await;
    Mock::given(path("/loop"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/loop"))
        .expect(6)
        .mount(&server)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    let e = failure(f.fetch(&get(format!("{}/loop", server.uri()))).await);
    assert_eq!(e.class, ErrorClass::Redirect);
}

#[tokio::test]
async fn private_addresses_are_refused_without_a_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let f = Fetcher::new(config(false)).unwrap();
    let e = failure(f.fetch(&get(format!("{}/feed", server.uri()))).await);
    assert_eq!(e.class, ErrorClass::Refused);
    let e = failure(f.fetch(&get("http://localhost:9/feed".into())).await);
    assert_eq!(
        e.class,
        ErrorClass::Refused,
        "names resolving to loopback are refused too: {e:?}"
    );
    let e = failure(f.fetch(&get("ftp://example.org/feed".into())).await);
    assert_eq!(e.class, ErrorClass::Refused);
}

#[tokio::test]
async fn ipv4_mapped_loopback_literals_are_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let f = Fetcher::new(config(false)).unwrap();
    let e = failure(
        f.fetch(&get(format!(
            "{}/x",
            server.uri().replace("127.0.0.1", "[::ffff:127.0.0.1]")
        )))
        .await,
    );
    assert_eq!(e.class, ErrorClass::Refused, "{e:?}");
}

#[tokio::test]
async fn per_host_limit_bounds_requests_in_flight() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(300))
                .set_body_string("x"),
        )
        .expect(4)
        .mount(&server)
        .await;
    let f = Fetcher::new(FetchConfig {
        per_host: 1,
        ..config(true)
    })
    .unwrap();
    let url = format!("{}/slow", server.uri());
    let started = std::time::Instant::now();
    let reqs: Vec<_> = (0..4).map(|_| get(url.clone())).collect();
    let results = futures_join(&f, &reqs).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, FetchOutcome::Fetched(_)))
    );
    // One at a time: four 300 ms responses cannot overlap.
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
}

async fn futures_join(f: &Fetcher, reqs: &[FetchRequest]) -> Vec<FetchOutcome> {
    let (a, b, c, d) = tokio::join!(
        f.fetch(&reqs[0]),
        f.fetch(&reqs[1]),
        f.fetch(&reqs[2]),
        f.fetch(&reqs[3])
    );
    vec![a, b, c, d]
}
