//! The config loader's unit tests.

use super::checker::LineIndex;
use super::*;

fn problems(text: &str) -> Vec<String> {
    match parse(text, Path::new("c.toml")) {
        Ok(_) => Vec::new(),
        Err(e) => e.to_string().lines().map(str::to_string).collect(),
    }
}

#[test]
fn the_bundled_example_config_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dossier.toml");
    let cfg = load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(!cfg.topics.is_empty() && !cfg.feeds.is_empty());
    assert_eq!(
        cfg.store,
        Location::Sqlite(path.parent().unwrap().join("dossier.sqlite"))
    );
}

/// A feed list of operator size loads whole, and a problem at its very end still names
/// its line (finding lines was once quadratic; timing lives in the benchmarks).
#[test]
fn a_config_of_100000_feeds_loads() {
    let mut text = String::from("[[topic]]\nslug = \"t\"\ntitle = \"T\"\n\n");
    for i in 0..100_000 {
        text += &format!(
            "[[feed]]\nname = \"feed-{i}\"\nurl = \"https://h{}.example/{i}.rss\"\ntopics = [\"t\"]\n\n",
            i % 977
        );
    }
    let cfg = parse(&text, Path::new("big.toml")).unwrap();
    assert_eq!(cfg.feeds.len(), 100_000);
    assert_eq!(cfg.feeds[99_999].name, "feed-99999");
    text += "[[feed]]\nname = \"feed-0\"\nurl = \"https://dup.example/\"\n";
    let err = parse(&text, Path::new("big.toml")).unwrap_err();
    let lines = text.lines().count();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].line, lines - 1, "{err}");
    assert!(err.problems[0].message.contains("first on line 6"), "{err}");
}

#[test]
fn lines_are_found_by_offset() {
    let idx = LineIndex::new("a\nbc\n\nd");
    let lines: Vec<usize> = (0..8).map(|o| idx.line(o)).collect();
    assert_eq!(lines, [1, 1, 2, 2, 2, 3, 4, 4]);
}

#[test]
fn defaults_fill_what_is_left_out() {
    let cfg = parse("", Path::new("/etc/dossier/d.toml")).unwrap();
    assert_eq!(cfg.fetch, FetchSettings::default());
    assert_eq!(
        cfg.store,
        Location::Sqlite("/etc/dossier/dossier.sqlite".into())
    );
}

#[test]
fn every_problem_is_reported_with_line_and_key() {
    let text = r#"[fetch]
concurency = 4
per_host = "two"

[[topic]]
slug = "Bad Slug"
title = "T"

[[topic]]
slug = "ok"
title = "Ok"
  [[topic.feed]]
  url = "ftp://example.org/feed"

[[feed]]
name = "A"
url = "https://a.example/rss"
topics = ["missing"]

[[feed]]
name = "A"
url = "https://b.example/rss"
colour = "red"
"#;
    let got = problems(text);
    assert_eq!(
        got,
        vec![
            "c.toml:2: fetch.concurency: unknown key (did you mean `concurrency`?); known keys here: concurrency, per_host, timeout_secs, max_body_bytes, user_agent, interval_mins, article_pages, allow_private_addresses, per_host_gap_ms, retries, lease_secs",
            "c.toml:3: fetch.per_host: expected an integer, found string",
            "c.toml:6: topic[0].slug: `Bad Slug` must match [a-z0-9-]+",
            "c.toml:13: topic[1].feed[0].url: `ftp://example.org/feed` is not an http or https URL",
            "c.toml:18: feed[0].topics: feed `A` names unknown topic `missing`",
            "c.toml:21: feed[1].name: duplicate feed name `A` (first on line 16)",
            "c.toml:23: feed[1].colour: unknown key; known keys here: name, url, kind, interval_mins, topics, select",
        ]
    );
}

#[test]
fn syntax_errors_name_the_line() {
    let got = problems("[fetch]\nconcurrency = \n");
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("c.toml:2: "), "{got:?}");
}

#[test]
fn missing_required_keys_are_named() {
    let got = problems("[[feed]]\nurl = \"https://a.example/\"\n\n[[topic]]\nslug = \"x\"\n");
    assert_eq!(
        got,
        vec![
            "c.toml:1: feed[0].name: missing (required)",
            "c.toml:4: topic[0].title: missing (required)"
        ]
    );
}

#[test]
fn topic_feeds_get_reactive_labels_and_feeds_get_defaults() {
    let cfg = parse(
        r#"
[fetch]
interval_mins = 45
[[topic]]
slug = "ai"
title = "AI"
match_any = ["DeepSeek"]
  [[topic.feed]]
  url = "https://news.example/rss?q=ai"
[[feed]]
name = "Blog"
url = "https://blog.example/feed"
interval_mins = 15
topics = ["ai"]
"#,
        Path::new("c.toml"),
    )
    .unwrap();
    assert_eq!(cfg.feeds[0].label, "reactive:ai");
    assert_eq!(
        cfg.feeds[0].key,
        "reactive:ai https://news.example/rss?q=ai"
    );
    assert_eq!(cfg.feeds[0].owner_topic.as_deref(), Some("ai"));
    assert_eq!(cfg.feeds[0].interval_mins, 45);
    assert_eq!(cfg.feeds[1].label, "Blog");
    assert_eq!(cfg.feeds[1].interval_mins, 15);
    assert_eq!(cfg.feeds[1].topics, vec!["ai".to_string()]);
}

#[test]
fn web_feeds_need_valid_selectors() {
    let got = problems(
        r#"[[feed]]
name = "Lab"
url = "https://lab.example/news"
kind = "web"
  [feed.select]
  item = "article.post"
  title = "h2"
  link = "h2 a["
"#,
    );
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("c.toml:8: feed[0].select.link: selector `h2 a[` does not parse"),
        "{got:?}"
    );
}

proptest::proptest! {
    /// Config loading never panics, and every problem names a line inside the file.
    #[test]
    fn any_text_is_a_config_or_a_list_of_located_problems(text in "(\\[{1,2}[a-z.]{0,8}\\]{1,2}\n|[a-z_]{1,12} = (\"[^\"\\n]{0,20}\"|[0-9_]{1,6}|true|\\[\"[a-z]{0,5}\"\\])\n|#[^\\n]{0,10}\n|\\PC{0,8}\n){0,20}") {
        match parse(&text, Path::new("fuzz.toml")) {
            Ok(_) => {}
            Err(e) => {
                let lines = text.lines().count().max(1);
                for p in &e.problems {
                    proptest::prop_assert!(p.line >= 1 && p.line <= lines + 1, "{:?} in {:?}", p, text);
                }
            }
        }
    }
}

#[test]
fn the_store_is_a_sqlite_path_or_a_postgres_url_not_both() {
    let cfg = parse(
        "[store]\nurl = \"postgresql://dossier@db.internal/dossier\"\n",
        Path::new("/etc/d.toml"),
    )
    .unwrap();
    assert_eq!(
        cfg.store,
        Location::Postgres("postgresql://dossier@db.internal/dossier".into())
    );
    let cfg = parse("[store]\npath = \"s/x.sqlite\"\n", Path::new("/etc/d.toml")).unwrap();
    assert_eq!(cfg.store, Location::Sqlite("/etc/s/x.sqlite".into()));
    assert_eq!(
        problems("[store]\npath = \"x.sqlite\"\nurl = \"postgres://h/d\"\n"),
        [
            "c.toml:3: store.url: `path` and `url` are exclusive: the store is a SQLite file or a PostgreSQL database"
        ]
    );
    assert_eq!(
        problems("[store]\nurl = \"mysql://h/d\"\n"),
        [
            "c.toml:2: store.url: `mysql://h/d` is not a postgres:// or postgresql:// URL (a SQLite store is `path`)"
        ]
    );
}
