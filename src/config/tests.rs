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

#[test]
fn a_query_is_percent_encoded_as_one_url_component() {
    use super::search::fill;
    let t = "https://s.example/rss?q={query}&hl=en";
    assert_eq!(
        fill(t, "China AI"),
        "https://s.example/rss?q=China%20AI&hl=en"
    );
    assert_eq!(
        fill(t, "R&D #1 a/b+c?d=e"),
        "https://s.example/rss?q=R%26D%20%231%20a%2Fb%2Bc%3Fd%3De&hl=en"
    );
    assert_eq!(
        fill(t, "人工智能"),
        "https://s.example/rss?q=%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD&hl=en"
    );
    assert_eq!(
        fill(t, "100% a-b.c_d~e"),
        "https://s.example/rss?q=100%25%20a-b.c_d~e&hl=en"
    );
    assert_eq!(
        fill("https://s.example/search/{query}/rss?again={query}", "a b"),
        "https://s.example/search/a%20b/rss?again=a%20b"
    );
}

const PROVIDERS: &str = r#"
[fetch]
interval_mins = 45

[[search]]
name = "news"
url = "https://news.example/rss/search?q={query}&hl=en"

[[search]]
name = "bridge"
url = "https://bridge.example/search/{query}/feed"
interval_mins = 10
"#;

#[test]
fn each_query_and_provider_is_one_of_the_topics_own_feeds() {
    let text = format!(
        r#"{PROVIDERS}
[[topic]]
slug = "ai"
title = "AI"
queries = ["China AI", " 人工智能 "]
  [[topic.feed]]
  url = "https://hand.example/rss"

[[topic]]
slug = "chips"
title = "Chips"
queries = ["H20 & export"]
search = ["bridge"]
"#
    );
    let checked = parse_checked(&text, Path::new("c.toml")).unwrap();
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    assert_eq!(
        checked
            .providers
            .iter()
            .map(|p| (p.name.as_str(), p.interval_mins))
            .collect::<Vec<_>>(),
        [("news", 45), ("bridge", 10)]
    );
    // In the file's order: the queries come before the `[[topic.feed]]`.
    // (key, label, topic, (provider, query), interval)
    type Row = (String, String, String, Option<(String, String)>, u32);
    let feeds: Vec<Row> = checked
        .config
        .feeds
        .iter()
        .map(|f| {
            (
                f.key.clone(),
                f.label.clone(),
                f.owner_topic.clone().unwrap(),
                f.search
                    .as_ref()
                    .map(|o| (o.provider.clone(), o.query.clone())),
                f.interval_mins,
            )
        })
        .collect();
    let s = |p: &str, q: &str| Some((p.to_string(), q.to_string()));
    assert_eq!(
        feeds,
        [
            (
                "reactive:ai https://news.example/rss/search?q=China%20AI&hl=en".into(),
                "reactive:ai".into(),
                "ai".into(),
                s("news", "China AI"),
                45
            ),
            (
                "reactive:ai https://bridge.example/search/China%20AI/feed".into(),
                "reactive:ai".into(),
                "ai".into(),
                s("bridge", "China AI"),
                10
            ),
            (
                "reactive:ai https://news.example/rss/search?q=%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD&hl=en".into(),
                "reactive:ai".into(),
                "ai".into(),
                s("news", "人工智能"),
                45
            ),
            (
                "reactive:ai https://bridge.example/search/%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD/feed".into(),
                "reactive:ai".into(),
                "ai".into(),
                s("bridge", "人工智能"),
                10
            ),
            (
                "reactive:ai https://hand.example/rss".into(),
                "reactive:ai".into(),
                "ai".into(),
                None,
                45
            ),
            (
                "reactive:chips https://bridge.example/search/H20%20%26%20export/feed".into(),
                "reactive:chips".into(),
                "chips".into(),
                s("bridge", "H20 & export"),
                10
            ),
        ]
    );
    for f in &checked.config.feeds {
        assert_eq!(
            f.key,
            format!("{} {}", f.label, f.url),
            "key is label and URL"
        );
        assert_eq!(f.name, f.label);
        assert!(f.topics.is_empty());
    }
}

#[test]
fn a_web_provider_takes_selectors_like_a_web_feed() {
    let text = r#"
[[search]]
name = "site"
url = "https://site.example/search?q={query}"
kind = "web"
  [search.select]
  item = "li.result"
  title = "a"
  link = "a@href"

[[search]]
name = "bare"
url = "https://bare.example/search?q={query}"
kind = "web"

[[topic]]
slug = "t"
title = "T"
queries = ["x"]
search = ["site"]
"#;
    assert_eq!(
        problems(text),
        [
            "c.toml:11: search[1].select: a kind = \"web\" provider needs [search.select] with item, title and link"
        ]
    );
    let text = text.replace("kind = \"web\"\n\n[[topic]]", "\n[[topic]]");
    let checked = parse_checked(&text, Path::new("c.toml")).unwrap();
    let f = &checked.config.feeds[0];
    assert_eq!(f.kind, dossier_model::FeedKind::Web);
    assert_eq!(f.select.as_ref().unwrap().link, "a@href");
    assert_eq!(f.url, "https://site.example/search?q=x");
    assert_eq!(checked.warning_lines().len(), 1, "`bare` is unused");
}

#[test]
fn search_problems_are_reported_with_line_and_key() {
    let text = r#"[[search]]
name = "news"
url = "https://news.example/rss?q=china"

[[search]]
name = "news"
url = "https://other.example/rss?q={query}"

[[search]]
name = "ftp"
url = "ftp://files.example/{query}"

[[search]]
name = "host"
url = "https://{query}.example/rss"

[[search]]
name = "ok"
url = "https://ok.example/rss?q={query}"
colour = "red"

[[topic]]
slug = "a"
title = "A"
queries = ["fine", "", "fine", "two words"]
search = ["ok", "nope", "ok", "host"]

[[topic]]
slug = "b"
title = "B"
search = ["ok"]

[[topic]]
slug = "c"
title = "C"
queries = ["x"]
search = []

[[topic]]
slug = "d"
title = "D"
queries = ["y"]
search = ["ok"]
  [[topic.feed]]
  url = "https://ok.example/rss?q=y"
"#;
    assert_eq!(
        problems(text),
        [
            "c.toml:3: search[0].url: `https://news.example/rss?q=china` has no `{query}` for the query to go in",
            "c.toml:6: search[1].name: duplicate search provider `news` (first on line 2)",
            "c.toml:11: search[2].url: `ftp://files.example/{query}` is not an http or https URL once `{query}` is filled in",
            "c.toml:20: search[4].colour: unknown key; known keys here: name, url, kind, interval_mins, select",
            "c.toml:25: topic[0].queries[1]: a query must not be empty",
            "c.toml:25: topic[0].queries[2]: duplicate query `fine` (first on line 25)",
            "c.toml:25: topic[0].queries[3]: provider `host` makes `https://two%20words.example/rss` of it: not a valid URL: invalid international domain name",
            "c.toml:26: topic[0].search[1]: unknown search provider `nope`; known providers: `news`, `ftp`, `host`, `ok`",
            "c.toml:26: topic[0].search[2]: provider `ok` is named twice",
            "c.toml:31: topic[1].search: names search providers, but the topic has no `queries` for them",
            "c.toml:37: topic[2].search: `search = []` leaves the topic's queries no provider to run them",
            "c.toml:45: topic[3].feed[0].url: `https://ok.example/rss?q=y` is listed twice for topic `d` (first on line 42)",
        ]
    );
}

#[test]
fn queries_need_a_provider() {
    assert_eq!(
        problems("[[topic]]\nslug = \"t\"\ntitle = \"T\"\nqueries = [\"x\"]\n"),
        [
            "c.toml:4: topic[0].queries: the topic has queries, but the config has no [[search]] provider to run them"
        ]
    );
    assert_eq!(
        problems("[[topic]]\nslug = \"t\"\ntitle = \"T\"\nqueries = [\"x\"]\nsearch = [\"s\"]\n"),
        [
            "c.toml:5: topic[0].search[0]: unknown search provider `s`; the config has no [[search]] provider"
        ]
    );
}

#[test]
fn a_provider_no_topic_uses_is_a_warning_not_an_error() {
    let text = format!(
        r#"{PROVIDERS}
[[topic]]
slug = "ai"
title = "AI"
queries = ["x"]
search = ["news"]

[[topic]]
slug = "quiet"
title = "Quiet"
search = []
"#
    );
    let checked = parse_checked(&text, Path::new("c.toml")).unwrap();
    assert_eq!(
        checked.warning_lines(),
        [
            "c.toml:10: warning: search[1].name: search provider `bridge` is used by no topic (no topic has `queries`, or every topic with queries names other providers in `search`)"
        ]
    );
    assert_eq!(checked.config.feeds.len(), 1);
    // Without topics that search, every provider is unused.
    let checked = parse_checked(PROVIDERS, Path::new("c.toml")).unwrap();
    assert_eq!(checked.warnings.len(), 2);
    assert!(checked.config.feeds.is_empty());
}
