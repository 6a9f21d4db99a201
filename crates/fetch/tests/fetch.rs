//! The fetcher against loopback servers: conditional GET, failures as values, caps,
//! redirects and the address guard.

use dossier_fetch::{FetchConfig, FetchOutcome, FetchRequest, Fetcher};
use dossier_model::ErrorClass;
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn config(allow_private: bool) -> FetchConfig {
    FetchConfig {
        concurrency: 4,
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        max_body_bytes: 10_000,
        user_agent: "dossier-test/0.1".into(),
        ..FetchConfig::quick(allow_private)
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
        FetchOutcome::NotModified { moved_to: None, .. }
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
async fn a_redirect_to_a_private_address_is_refused_without_a_request() {
    // The feed's own host is pinned to the loopback server (as `resolve` does for a real
    // host); its redirect to a loopback address must be refused, with the guard on.
    let server = MockServer::start().await;
    let port = server.address().port();
    Mock::given(path("/feed"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("http://127.0.0.1:{port}/secret")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/feed2"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("location", format!("http://localhost:{port}/secret")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/secret"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let f = Fetcher::new(FetchConfig {
        resolve: vec![("feeds.test".into(), *server.address())],
        ..config(false)
    })
    .unwrap();
    let e = failure(
        f.fetch(&get(format!("http://feeds.test:{port}/feed")))
            .await,
    );
    assert_eq!(e.class, ErrorClass::Refused, "{e:?}");
    let e = failure(
        f.fetch(&get(format!("http://feeds.test:{port}/feed2")))
            .await,
    );
    assert_eq!(e.class, ErrorClass::Refused, "{e:?}");
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

#[tokio::test]
async fn a_5xx_then_200_succeeds_on_retry() {
    let server = MockServer::start().await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let f = Fetcher::new(FetchConfig {
        retries: 2,
        ..config(true)
    })
    .unwrap();
    assert!(matches!(
        f.fetch(&get(format!("{}/flaky", server.uri()))).await,
        FetchOutcome::Fetched(_)
    ));
}

#[tokio::test]
async fn retries_are_bounded_and_only_for_transient_failures() {
    let server = MockServer::start().await;
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(500))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(path("/gone"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let f = Fetcher::new(FetchConfig {
        retries: 2,
        ..config(true)
    })
    .unwrap();
    let started = Instant::now();
    let e = failure(f.fetch(&get(format!("{}/down", server.uri()))).await);
    assert_eq!(e.class, ErrorClass::Http5xx);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waits grow: 100 ms then 200 ms"
    );
    assert_eq!(
        failure(f.fetch(&get(format!("{}/gone", server.uri()))).await).class,
        ErrorClass::Http4xx
    );
}

#[tokio::test]
async fn a_429_delays_only_its_host_and_is_not_a_failure() {
    let busy = MockServer::start().await;
    let calm = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "2"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&busy)
        .await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&busy)
        .await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&calm)
        .await;
    let f = Fetcher::new(FetchConfig {
        retries: 1,
        ..config(true)
    })
    .unwrap();
    let started = Instant::now();
    let busy_req = get(format!("{}/feed", busy.uri()));
    let calm_req = get(format!("{}/feed", calm.uri()));
    let calm_fetch = async {
        // Start once the busy host has been told to wait.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let out = f.fetch(&calm_req).await;
        (out, started.elapsed())
    };
    let ((busy_out, busy_took), (calm_out, calm_took)) = tokio::join!(
        async { (f.fetch(&busy_req).await, started.elapsed()) },
        calm_fetch
    );
    assert!(matches!(busy_out, FetchOutcome::Fetched(_)), "{busy_out:?}");
    assert!(matches!(calm_out, FetchOutcome::Fetched(_)), "{calm_out:?}");
    assert!(
        busy_took >= Duration::from_secs(2),
        "the busy host waited its Retry-After: {busy_took:?}"
    );
    assert!(
        calm_took < busy_took,
        "the other host was not held up: {calm_took:?} vs {busy_took:?}"
    );
}

#[tokio::test]
async fn a_long_retry_after_defers_the_feed() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let f = Fetcher::new(FetchConfig {
        retries: 2,
        ..config(true)
    })
    .unwrap();
    match f.fetch(&get(format!("{}/feed", server.uri()))).await {
        FetchOutcome::Deferred {
            status,
            retry_after,
            requested,
            ..
        } => {
            assert_eq!(
                (status, retry_after, requested),
                (503, Duration::from_secs(3600), true)
            );
        }
        other => panic!("expected a deferral, got {other:?}"),
    }
}

#[tokio::test]
async fn the_host_gap_spaces_requests_out() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x"))
        .expect(3)
        .mount(&server)
        .await;
    let f = Fetcher::new(FetchConfig {
        host_gap: Duration::from_millis(200),
        per_host: 4,
        ..config(true)
    })
    .unwrap();
    let r = get(format!("{}/x", server.uri()));
    let started = Instant::now();
    let _ = tokio::join!(f.fetch(&r), f.fetch(&r), f.fetch(&r));
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "three starts need two gaps: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_gzip_bomb_is_cut_off_at_the_cap() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b'a'; 5_000_000]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(
        bomb.len() < 10_000,
        "the compressed body itself is under the cap"
    );
    let server = MockServer::start().await;
    Mock::given(path("/bomb"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_bytes(bomb),
        )
        .mount(&server)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    let e = failure(f.fetch(&get(format!("{}/bomb", server.uri()))).await);
    assert_eq!(e.class, ErrorClass::TooLarge, "{e:?}");
}

#[tokio::test]
async fn gzip_bodies_are_decompressed() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"<rss>compressed</rss>").unwrap();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_bytes(gz.finish().unwrap()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    let FetchOutcome::Fetched(got) = f.fetch(&get(server.uri())).await else {
        panic!()
    };
    assert_eq!(got.body, b"<rss>compressed</rss>");
}

#[tokio::test]
async fn a_dripping_server_is_cut_off_by_the_deadline() {
    // Headers at once, then one byte a second, forever.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
            for _ in 0..10 {
                if s.write_all(b"<").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    });
    let f = Fetcher::new(config(true)).unwrap();
    let started = Instant::now();
    let e = failure(f.fetch(&get(format!("http://{addr}/drip"))).await);
    assert_eq!(e.class, ErrorClass::Timeout, "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cut off at the 2 s deadline: {:?}",
        started.elapsed()
    );
}

#[test]
fn retry_after_and_freshness_headers_are_read() {
    use reqwest::header::{HeaderMap, HeaderValue};
    let mut h = HeaderMap::new();
    h.insert("retry-after", HeaderValue::from_static("120"));
    assert_eq!(
        dossier_fetch::retry_after(&h),
        Some(Duration::from_secs(120))
    );
    let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(600));
    h.insert("retry-after", HeaderValue::from_str(&later).unwrap());
    let got = dossier_fetch::retry_after(&h).unwrap();
    assert!(
        got > Duration::from_secs(590) && got <= Duration::from_secs(600),
        "{got:?}"
    );

    let mut h = HeaderMap::new();
    h.insert(
        "cache-control",
        HeaderValue::from_static("public, max-age=3600"),
    );
    assert_eq!(
        dossier_fetch::fresh_for(&h),
        Some(Duration::from_secs(3600))
    );
    let mut h = HeaderMap::new();
    h.insert(
        "date",
        HeaderValue::from_static("Fri, 22 May 2026 10:00:00 GMT"),
    );
    h.insert(
        "expires",
        HeaderValue::from_static("Fri, 22 May 2026 12:00:00 GMT"),
    );
    assert_eq!(
        dossier_fetch::fresh_for(&h),
        Some(Duration::from_secs(7200))
    );
}

#[tokio::test]
async fn a_host_held_past_the_run_defers_its_other_feeds_at_once() {
    let server = MockServer::start().await;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/b"))
        .respond_with(ResponseTemplate::new(200).set_body_string("b"))
        .expect(0)
        .mount(&server)
        .await;
    let f = Fetcher::new(FetchConfig {
        retries: 2,
        ..config(true)
    })
    .unwrap();
    assert!(matches!(
        f.fetch(&get(format!("{}/a", server.uri()))).await,
        FetchOutcome::Deferred { status: 429, .. }
    ));
    let started = Instant::now();
    match f.fetch(&get(format!("{}/b", server.uri()))).await {
        FetchOutcome::Deferred {
            status,
            retry_after,
            requested,
            ..
        } => {
            assert_eq!(status, 429);
            assert!(!requested, "the host was held: nothing may be sent");
            assert!(retry_after > Duration::from_secs(3000), "{retry_after:?}");
        }
        other => panic!("expected a deferral without a request, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "no waiting: {:?}",
        started.elapsed()
    );
}

/// A hold carried over from an earlier run defers every request to that host without
/// sending one, and leaves other hosts alone.
#[tokio::test]
async fn a_carried_hold_sends_nothing_to_its_host() {
    let held = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<rss/>"))
        .expect(0)
        .mount(&held)
        .await;
    let free = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<rss/>"))
        .expect(1)
        .mount(&free)
        .await;
    let f = Fetcher::new(config(true)).unwrap();
    let host = dossier_model::host_key(&held.uri());
    f.hold(&host, Duration::from_secs(3600), 503);
    match f.fetch(&get(format!("{}/feed", held.uri()))).await {
        FetchOutcome::Deferred {
            status,
            retry_after,
            requested,
            host: held_host,
        } => {
            assert_eq!((status, requested), (503, false));
            assert_eq!(held_host, host);
            assert!(retry_after > Duration::from_secs(3500), "{retry_after:?}");
        }
        other => panic!("expected a deferral without a request, got {other:?}"),
    }
    assert!(matches!(
        f.fetch(&get(format!("{}/feed", free.uri()))).await,
        FetchOutcome::Fetched(_)
    ));
}
