//! The pages of `dossier serve` in a real browser: Debian's headless Chromium driven over
//! WebDriver (its `chromedriver`, through `thirtyfour`), on a store made by `dossier run`
//! from loopback feeds, with a cut version. One session walks the pages: the dashboard
//! loads with no error in the browser's log (a CSP violation is one), a version page shows
//! every source line `version show` prints, the search form finds an item, a source's
//! links lead to its source page and to its URL, the topic links its Atom feed. A
//! screenshot of each page goes to `target/screenshots/`.
//!
//! Without `/usr/bin/chromedriver` the test says so and passes, except under `CI=true`,
//! where `.ci/run` installs it and its absence fails the test.

use crate::util::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::LoggingPrefsLogLevel;
use thirtyfour::prelude::*;
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, ResponseTemplate};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// `dossier serve --listen 127.0.0.1:0` on an [`Env`]'s store, killed on drop.
pub struct Served {
    child: Child,
    pub addr: SocketAddr,
}

impl Served {
    pub fn start(env: &Env) -> Served {
        let mut child = env
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        let at = line
            .find("http://")
            .unwrap_or_else(|| panic!("dossier serve said: {line}"));
        let addr = line[at + 7..]
            .split(['/', ' '])
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("no address in: {line}"));
        // Keep the pipe drained so that the server never blocks on it.
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        Served { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A plain GET: status, lowercased header lines and body.
    pub fn get(&self, path: &str) -> (u16, Vec<String>, Vec<u8>) {
        self.get_with(path, "")
    }

    /// [`Served::get`] with more header lines (`Name: value\r\n` each); a `Host` among
    /// them replaces the server's own.
    pub fn get_with(&self, path: &str, headers: &str) -> (u16, Vec<String>, Vec<u8>) {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let host = if headers.to_ascii_lowercase().contains("host:") {
            String::new()
        } else {
            format!("Host: {}\r\n", self.addr)
        };
        write!(
            s,
            "GET {path} HTTP/1.1\r\n{host}{headers}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a whole response head");
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap();
        let headers: Vec<String> = lines.map(|l| l.to_ascii_lowercase()).collect();
        let mut body = raw[end + 4..].to_vec();
        if headers.iter().any(|h| h == "transfer-encoding: chunked") {
            body = dechunk(&body);
        }
        (status.parse().unwrap(), headers, body)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A chunked body, joined.
fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = std::str::from_utf8(&b[..eol]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// `chromedriver --port=0` in a process group of its own, which is killed on drop (the
/// browsers it started with it).
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut seen = String::new();
        // The first line says "on port 0"; the port it took comes on the last.
        let port = loop {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "chromedriver exited: {seen}"
            );
            seen.push_str(&line);
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let port: u16 = rest.trim().trim_end_matches('.').parse().unwrap();
                if port != 0 {
                    break port;
                }
            }
        };
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and any browser left behind by a failed test.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The browser's log since the last call: every entry at SEVERE (a failed load, a script
/// error, a Content-Security-Policy violation) fails the test; so does any CSP report.
async fn assert_clean_log(driver: &WebDriver, page: &str) {
    let log = driver.browser_log().await.unwrap();
    let bad: Vec<String> = log
        .iter()
        .filter(|e| {
            e.level == "SEVERE"
                || e.message.contains("Content Security Policy")
                || e.message.contains("Content-Security-Policy")
        })
        .map(|e| format!("{} {}", e.level, e.message))
        .collect();
    assert!(bad.is_empty(), "{page}: the browser logged {bad:#?}");
}

/// The page's URL once a click's navigation has arrived where `arrived` says: a click
/// returns before the browser has navigated, so the URL is polled (every 50 ms, 10 s at
/// most) rather than read once.
async fn arrive(driver: &WebDriver, what: &str, arrived: impl Fn(&url::Url) -> bool) -> url::Url {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let at = driver.current_url().await.unwrap();
        if arrived(&at) {
            return at;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: still at {at} after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Saves a screenshot of the current page as `name.png`.
async fn shoot(driver: &WebDriver, name: &str) {
    driver
        .screenshot(&screenshots().join(format!("{name}.png")))
        .await
        .unwrap();
}

/// A store made by `dossier run` from loopback feeds (each item linking to a page on the
/// same loopback server), with version 1 of `ai` cut.
async fn fixture(server: &MockServer) -> Env {
    let base = server.uri();
    let link = |n: &str| format!("{base}/story/{n}");
    serve_feed(
        server,
        "/ai.rss",
        rss(&[
            (
                "1",
                "Open weights &amp; &lt;b&gt;open&lt;/b&gt; questions",
                &link("1"),
                Some("Fri, 22 May 2026 10:15:00 +0200"),
            ),
            (
                "2",
                "DeepSeek ships a smaller model",
                &link("2"),
                Some("Sat, 23 May 2026 01:00:00 GMT"),
            ),
            (
                "3",
                "Inference clusters go sovereign",
                &link("3"),
                Some("Sun, 24 May 2026 09:30:00 GMT"),
            ),
        ]),
        "\"ai1\"",
    )
    .await;
    serve_feed(
        server,
        "/wire.rss",
        rss(&[
            (
                "w1",
                "Chipmakers weigh new export controls",
                &link("w1"),
                Some("Sat, 23 May 2026 12:00:00 GMT"),
            ),
            (
                "w2",
                "Quarterly zeppelin tariffs unchanged",
                &link("w2"),
                Some("Mon, 25 May 2026 07:00:00 GMT"),
            ),
        ]),
        "\"w1\"",
    )
    .await;
    Mock::given(path_regex("^/story/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<!doctype html><html lang=\"en\"><head><title>A story</title></head><body><p>The story.</p></body></html>",
            "text/html",
        ))
        .mount(server)
        .await;
    let env = Env::new(&two_topic_config(&base));
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = env.run(&["version", "cut", "ai"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_work_in_a_headless_browser() {
    if !Path::new(CHROMEDRIVER).exists() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{CHROMEDRIVER} is missing: CI must install chromium and chromium-driver"
        );
        eprintln!("skipped: {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)");
        return;
    }
    let feeds = MockServer::start().await;
    let env = fixture(&feeds).await;
    let served = Served::start(&env);
    let driver_proc = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(CHROMIUM).unwrap();
    for arg in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1024,700",
        &format!("--user-data-dir={}", profile.path().display()),
    ] {
        caps.add_arg(arg).unwrap();
    }
    caps.set_browser_log_level(LoggingPrefsLogLevel::All)
        .unwrap();
    // The WebDriver client is a reqwest client: it needs the crypto provider installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let driver = WebDriver::new(format!("http://127.0.0.1:{}", driver_proc.port), caps)
        .await
        .unwrap();
    let result = walk(&driver, &served, &env, &feeds.uri()).await;
    driver.quit().await.unwrap();
    drop(driver_proc);
    result.unwrap();
}

async fn walk(driver: &WebDriver, served: &Served, env: &Env, feeds: &str) -> WebDriverResult<()> {
    // The dashboard, under a Content-Security-Policy that the browser enforces.
    let (status, headers, _) = served.get("/");
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|h| h.starts_with("content-security-policy: default-src 'none'")),
        "{headers:?}"
    );
    driver.goto(served.url("/")).await?;
    assert_eq!(driver.find(By::Css("h1")).await?.text().await?, "Topics");
    let topic = driver.find(By::Css("a[href='/topics/ai']")).await?;
    assert_eq!(topic.text().await?, "AI Watch");
    assert!(
        driver
            .find(By::Css("a[href='/topics/ai/versions/1']"))
            .await?
            .is_displayed()
            .await?
    );
    // The stylesheet applied: the page is styled, not the browser's default.
    let css = driver.find(By::Css("link[rel=stylesheet]")).await?;
    let href = css.attr("href").await?.unwrap();
    assert!(href.starts_with("/static/app-"), "{href}");
    assert_eq!(served.get(&href).0, 200);
    assert_clean_log(driver, "dashboard").await;
    shoot(driver, "dashboard").await;

    // A version page shows every line `version show` prints, in order.
    let shown = env.run(&["version", "show", "ai", "1"]);
    assert_eq!(shown.status.code(), Some(0));
    let text = stdout(&shown);
    let expected: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Sources")
        .skip(1)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(expected.len(), 3, "{text}");
    driver.goto(served.url("/topics/ai/versions/1")).await?;
    let mut lines = Vec::new();
    for li in driver.find_all(By::Css("ol.sources > li")).await? {
        let t = li.text().await?;
        lines.push(t.strip_suffix(" source").unwrap_or(&t).to_string());
    }
    assert_eq!(lines, expected, "the version page's sources");
    assert_clean_log(driver, "version page").await;
    shoot(driver, "version").await;

    // The topic page: its Atom feed is linked and answers Atom.
    driver.goto(served.url("/topics/ai")).await?;
    let atom = driver.find(By::Css("a[href='/topics/ai.atom']")).await?;
    assert!(atom.is_displayed().await?);
    let (status, headers, body) = served.get("/topics/ai.atom");
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|h| h.starts_with("content-type: application/atom+xml")),
        "{headers:?}"
    );
    assert!(String::from_utf8_lossy(&body).contains("<feed"));
    assert_clean_log(driver, "topic page").await;
    shoot(driver, "topic").await;

    // A source's page link, then its `[n]` link to the item's own URL.
    let first = driver.find(By::Css("ol.sources > li#s1")).await?;
    first.find(By::Css("a.more")).await?.click().await?;
    let at = arrive(driver, "the source link", |u| u.path() != "/topics/ai").await;
    assert_eq!(at.path(), "/topics/ai/sources/1");
    assert!(
        driver
            .find(By::Css("h1"))
            .await?
            .text()
            .await?
            .starts_with("[1]")
    );
    assert_clean_log(driver, "source page").await;
    shoot(driver, "source").await;
    driver.back().await?;
    let first = driver.find(By::Css("ol.sources > li#s1")).await?;
    let n = first.find(By::Css("a[rel~=noopener]")).await?;
    assert_eq!(n.text().await?, "[1]");
    n.click().await?;
    let at = arrive(driver, "the [1] link", |u| u.path() != "/topics/ai").await;
    assert_eq!(at.as_str(), format!("{feeds}/story/1"));
    assert_eq!(driver.title().await?, "A story");
    // (What the story's server logs is not the dossier pages' business.)
    let _ = driver.browser_log().await?;

    // The search form finds an item, by a word of its title.
    driver.goto(served.url("/items")).await?;
    let q = driver.find(By::Css("form input[name=q]")).await?;
    q.send_keys("zeppelin").await?;
    driver
        .find(By::Css("form button[type=submit]"))
        .await?
        .click()
        .await?;
    let at = arrive(driver, "the search form", |u| u.query().is_some()).await;
    assert_eq!(at.path(), "/items");
    assert_eq!(at.query(), Some("q=zeppelin"));
    let found = driver.find_all(By::Css("ul.items > li")).await?;
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .text()
            .await?
            .contains("Quarterly zeppelin tariffs unchanged")
    );
    assert_clean_log(driver, "search page").await;
    shoot(driver, "search").await;

    // The feeds page.
    driver.goto(served.url("/feeds")).await?;
    assert!(driver.find(By::Css("h1")).await?.is_displayed().await?);
    assert_clean_log(driver, "feeds page").await;
    shoot(driver, "feeds").await;
    Ok(())
}
