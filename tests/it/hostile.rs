//! Hostile input, each with the clear outcome it must have: no hang, no panic, no
//! unbounded memory, nothing read from the local machine, nothing stored half-parsed.

use crate::util::*;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// Runs `dossier ARGS` in `dir`, with no config.
fn dossier_in(dir: &Path, args: &[&str]) -> Output {
    dossier().current_dir(dir).args(args).output().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    std::fs::write(dir.join(name), bytes).unwrap();
    name.to_string()
}

#[test]
fn entity_expansion_is_not_performed() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
    doc += "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n";
    for i in 2..10 {
        let prev = format!("&lol{};", i - 1).repeat(10);
        doc += &format!("<!ENTITY lol{i} \"{prev}\">\n");
    }
    doc += "]>\n<rss version=\"2.0\"><channel><title>t</title><item><guid>1</guid><title>&lol9;</title><link>https://x.example/1</link></item></channel></rss>";
    let f = write(dir.path(), "laughs.xml", doc.as_bytes());
    let started = Instant::now();
    let out = dossier_in(dir.path(), &["parse", &f]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no exponential expansion"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.len() < 10_000,
        "a billion laughs must not come out: {} bytes",
        text.len()
    );
    assert_ne!(
        out.status.code(),
        Some(101),
        "no panic: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn external_entities_are_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    let doc = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file://{}\">]>\n<rss version=\"2.0\"><channel><title>t</title>\
         <item><guid>1</guid><title>x &xxe; y</title><link>https://x.example/1</link></item></channel></rss>",
        secret.display()
    );
    let f = write(dir.path(), "xxe.xml", doc.as_bytes());
    let out = dossier_in(dir.path(), &["parse", &f]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("TOP-SECRET"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("TOP-SECRET"));
    assert_ne!(out.status.code(), Some(101));
}

#[test]
fn invalid_utf8_and_nul_bytes_do_not_break_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc =
        b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>t</title>"
            .to_vec();
    doc.extend_from_slice(b"<item><guid>1</guid><title>bad \xff\xfe bytes\x00 and NUL</title><link>https://x.example/1</link></item>");
    doc.extend_from_slice(b"<item><guid>2</guid><title>fine</title><link>https://x.example/2</link></item></channel></rss>");
    let f = write(dir.path(), "bytes.xml", &doc);
    let out = dossier_in(dir.path(), &["parse", &f]);
    assert_ne!(
        out.status.code(),
        Some(101),
        "no panic: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("output is always UTF-8");
    assert!(!text.contains('\u{0}'), "no NUL in the output");
}

#[test]
fn a_huge_feed_is_capped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc = String::from("<rss version=\"2.0\"><channel><title>t</title>");
    for i in 0..100_000 {
        doc += &format!("<item><guid>{i}</guid><title>Item {i}</title></item>");
    }
    doc += "</channel></rss>";
    let f = write(dir.path(), "huge.xml", doc.as_bytes());
    let out = dossier_in(dir.path(), &["parse", &f]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 10_000);
    assert!(String::from_utf8_lossy(&out.stderr).contains("kept the first 10000 of 100000 items"));
}

#[test]
fn dangerous_links_are_not_kept_as_urls() {
    let dir = tempfile::tempdir().unwrap();
    let doc = "<rss version=\"2.0\"><channel><title>t</title>\
        <item><guid>1</guid><title>a</title><link>file:///etc/passwd</link></item>\
        <item><guid>2</guid><title>b</title><link>ftp://files.example/x</link></item>\
        <item><guid>3</guid><title>c</title><link>javascript:alert(1)</link></item></channel></rss>";
    let f = write(dir.path(), "links.xml", doc.as_bytes());
    let out = dossier_in(dir.path(), &["parse", &f]);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["url"], serde_json::Value::Null, "{v}");
    }
}

#[test]
fn script_in_titles_is_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let doc = "<rss version=\"2.0\"><channel><title>t</title><item><guid>1</guid>\
        <title>Hello &lt;script&gt;alert(1)&lt;/script&gt; world &lt;b&gt;bold&lt;/b&gt;</title>\
        <link>https://x.example/1</link></item></channel></rss>";
    let f = write(dir.path(), "script.xml", doc.as_bytes());
    let out = dossier_in(dir.path(), &["parse", &f]);
    let v: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(v["title"], "Hello world bold");
}

#[test]
fn deeply_nested_html_and_hostile_json_ld_are_read_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let mut page = String::from(
        "<html><head><meta property=\"article:published_time\" content=\"2026-01-09\">",
    );
    page += "<script type=\"application/ld+json\">";
    page += &"[".repeat(5_000);
    page += &"]".repeat(5_000);
    page +=
        "</script><script type=\"application/ld+json\">{\"@type\":\"Article\",\"datePublished\":";
    page += &"{\"a\":".repeat(3_000);
    page += "1";
    page += &"}".repeat(3_000);
    page += "}</script></head><body>";
    page += &"<div>".repeat(depth);
    page += "<h1>Deep</h1><p class=\"date\">May 2, 2026</p>";
    page += &"</div>".repeat(depth);
    page += "</body></html>";
    let f = write(dir.path(), "deep.html", page.as_bytes());
    let started = Instant::now();
    let out = dossier_in(dir.path(), &["inspect", &f]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["published_date"], "2026-01-09");
}

#[test]
fn a_store_from_a_newer_dossier_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.toml"), "[store]\npath = \"s.sqlite\"\n").unwrap();
    // schema: the test is about the store's schema version; a newer one is written directly.
    let conn = rusqlite::Connection::open(dir.path().join("s.sqlite")).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let out = dossier_in(dir.path(), &["--config", "d.toml", "items"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schema version 999, newer than this dossier supports"),
        "{err}"
    );
}
