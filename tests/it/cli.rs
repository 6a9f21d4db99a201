//! What holds for every command: config validation, usage errors, a closed stdout, and
//! the offline demo.

use crate::util::*;
use std::path::Path;
use std::process::Stdio;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn an_invalid_config_names_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        r#"[fetch]
timeout = 5

[[topic]]
slug = "ai"
title = "AI"

[[feed]]
name = "A"
url = "gopher://a.example/feed"

[[feed]]
name = "A"
url = "https://b.example/feed"
topics = ["nope"]
"#,
    )
    .unwrap();
    for cmd in ["check", "run"] {
        let out = dossier()
            .arg("--config")
            .arg(&cfg)
            .arg(cmd)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = stderr(&out);
        let file = cfg.display().to_string();
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with(&file)).collect();
        assert_eq!(lines.len(), 4, "{err}");
        assert!(
            lines[0].starts_with(&format!("{file}:2: fetch.timeout: unknown key")),
            "{err}"
        );
        assert!(
            lines[1].starts_with(&format!(
                "{file}:10: feed[0].url: `gopher://a.example/feed` is not an http or https URL"
            )),
            "{err}"
        );
        assert!(
            lines[2].starts_with(&format!("{file}:13: feed[1].name: duplicate feed name `A`")),
            "{err}"
        );
        assert!(
            lines[3].starts_with(&format!(
                "{file}:15: feed[1].topics: feed `A` names unknown topic `nope`"
            )),
            "{err}"
        );
    }
}

#[test]
fn check_summarises_a_valid_config() {
    let out = dossier()
        .arg("--config")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dossier.toml"))
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(
        s.contains("ok — 2 topics, 6 feeds (4 topic feeds, 2 standalone)"),
        "{s}"
    );
    assert!(
        s.contains("\n  search news-search \"China AI\": feed https://news.example/rss/search?q=China%20AI&hl=en every 30 min\n"),
        "the example's search feeds are listed with provider and query: {s}"
    );
    assert_eq!(stderr(&out), "", "the example config has no warning");
}

#[test]
fn usage_errors_exit_2() {
    let out = dossier().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let env = Env::new("");
    assert_eq!(
        env.run(&["items", "--since", "last tuesday"]).status.code(),
        Some(2)
    );
    assert_eq!(
        env.run(&["version", "cut", "no-such-topic"]).status.code(),
        Some(2)
    );
    let out = env.run(&["run", "--feed", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no feed named `nope`"));
}

/// Runs `args` with stdout a pipe whose reader is gone before anything is written (as
/// `dossier … | head` once `head` has its lines), and returns (exit code, stderr).
fn run_with_stdout_closed(env: &Env, args: &[&str]) -> (Option<i32>, String) {
    let mut child = env
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (out.status.code(), stderr(&out))
}

/// Regression: `dossier parse X | head` printed "Broken pipe (os error 32)" and exited 1
/// (serde_json hid the pipe error from the check), and commands that used `print!`
/// panicked. Every command that prints to stdout now stops quietly with exit 0.
#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stdout_ends_every_printing_command_quietly() {
    let server = MockServer::start().await;
    let base = server.uri();
    // Enough output that the writes pass through serde_json and BufWriter flushes, not
    // only the final flush.
    let words = "a long summary that takes room ".repeat(8);
    let entries: Vec<(String, String, String)> = (0..300)
        .map(|i| {
            (
                format!("g{i}"),
                format!("Story {i}: {words}"),
                format!("https://news.example/{i}"),
            )
        })
        .collect();
    let items: Vec<(&str, &str, &str, Option<&str>)> = entries
        .iter()
        .map(|(g, t, l)| {
            (
                g.as_str(),
                t.as_str(),
                l.as_str(),
                Some("Tue, 19 May 2026 08:00:00 GMT"),
            )
        })
        .collect();
    let body = rss(&items);
    serve_feed(&server, "/big.rss", body.clone(), "\"big\"").await;
    Mock::given(path("/site/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"<html><head><link rel="alternate" type="application/rss+xml" href="/big.rss"></head></html>"#,
            "text/html",
        ))
        .mount(&server)
        .await;
    let env = Env::new(&format!(
        "[[topic]]\nslug = \"t\"\ntitle = \"T\"\n  [[topic.feed]]\n  url = \"{base}/big.rss\"\n"
    ));
    let out = env.run(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.run(&["version", "cut", "t"]).status.code(), Some(0));
    let feed_file = env.dir.path().join("big.rss");
    std::fs::write(&feed_file, &body).unwrap();
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages/jsonld-article.html");
    let page = page.to_str().unwrap();
    let mut inspect = vec!["inspect"];
    inspect.extend(std::iter::repeat_n(page, 60));
    let site = format!("{base}/site/");
    let commands: Vec<Vec<&str>> = vec![
        vec!["parse", feed_file.to_str().unwrap()],
        inspect,
        vec!["items"],
        vec!["items", "--json"],
        vec!["feeds"],
        vec!["feeds", "--json"],
        vec!["version", "show", "t"],
        vec!["version", "show", "t", "--json"],
        vec!["version", "list", "t"],
        vec!["version", "stories", "t"],
        vec!["version", "cut", "t", "--json"],
        vec!["check"],
        vec!["feeds", "export-opml"],
        vec!["feeds", "discover", &site],
        vec!["run", "--all", "--json"],
    ];
    for args in commands {
        let (code, err) = run_with_stdout_closed(&env, &args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("Broken pipe") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn the_demo_runs_offline_and_prints_a_version_per_topic() {
    let out = dossier().arg("demo").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = stdout(&out);
    assert_eq!(s.matches("\nSources\n").count(), 4, "{s}");
    assert_eq!(
        s.lines().filter(|l| l.starts_with("Version 1 · ")).count(),
        4
    );
    assert!(
        s.contains(" — reactive:us-china-chip-export-debate"),
        "a keyword-matched item from another topic's feed"
    );
    assert!(
        s.lines()
            .any(|l| l.contains("...") && l.contains("— Rohan Paul Twitter")),
        "a long post is cut"
    );
    let dup = s
        .lines()
        .filter(|l| l.contains("overtake U.S. in download share"))
        .count();
    assert_eq!(
        dup, 2,
        "the duplicated story is one source in each of its two topics"
    );
    // The reactive topic made from one provider and two queries: five sources, the bank
    // story that both queries found (once through a search engine's wrapper) only once.
    let coding = s.split("Coding Agents at Work\n").nth(1).expect(&s);
    assert!(coding.contains(" · 5 items\n"), "{coding}");
    assert_eq!(
        coding
            .lines()
            .filter(|l| l.contains("a third of new code at two large banks"))
            .count(),
        1,
        "{coding}"
    );
    assert_eq!(
        coding.matches(" — reactive:coding-agents").count(),
        5,
        "{coding}"
    );
}

/// The man page and the completions come from the same definitions as `--help`.
#[test]
fn the_man_page_and_completions_are_generated() {
    let man = dossier().args(["generate", "man"]).output().unwrap();
    assert_eq!(man.status.code(), Some(0));
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH dossier"),
        "{}",
        &man[..200.min(man.len())]
    );
    for needle in [
        "Turns feeds into numbered",
        "version",
        "feeds",
        "\\-\\-config",
    ] {
        assert!(man.contains(needle), "man page lacks {needle:?}");
    }
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = dossier().args(["generate", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("dossier") && text.contains("import-opml"),
            "{shell}: {text}"
        );
    }
    // Every subcommand's help has words for its arguments (the unit test checks all).
    let help = dossier()
        .args(["version", "cut", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("The topic's slug"), "{help}");
    assert!(
        help.contains("Print the version as one JSON object"),
        "{help}"
    );
}
