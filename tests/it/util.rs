//! What every test shares: the binary, a temp config and store ([`Env`]), the [`rss`]
//! document builder, [`serve_feed`] for a loopback server, and readers of the commands'
//! output.

use rusqlite::Connection;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The `dossier` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_dossier");

/// The `dossier` binary, with no config taken from the environment.
pub fn dossier() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("DOSSIER_CONFIG")
        .env_remove("DOSSIER_STORE_URL");
    cmd
}

/// A temp directory holding `dossier.toml` and the store it names, `store.sqlite`, or a
/// fresh PostgreSQL schema that every command is pointed at (`DOSSIER_STORE_URL`).
pub struct Env {
    pub dir: tempfile::TempDir,
    pub pg: Option<dossier_store::pg::testing::TestSchema>,
}

impl Env {
    /// A config for loopback tests (private addresses allowed, short timeout, no retries,
    /// no per-host gap) followed by `config_body`.
    pub fn new(config_body: &str) -> Env {
        Env::with_config(&format!(
            "[store]\npath = \"store.sqlite\"\n\n[fetch]\nallow_private_addresses = true\ntimeout_secs = 2\nretries = 0\nper_host_gap_ms = 0\n\n{config_body}"
        ))
    }

    /// `text` as the whole config; it should keep the store at `store.sqlite`.
    pub fn with_config(text: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dossier.toml"), text).unwrap();
        Env { dir, pg: None }
    }

    /// [`Env::new`] on a fresh PostgreSQL schema; `None` when there is no PostgreSQL to
    /// test against outside CI (the test is then skipped, saying so).
    pub fn new_postgres(name: &str, config_body: &str) -> Option<Env> {
        let pg = dossier_store::pg::testing::TestSchema::new(name)?;
        Some(Env {
            pg: Some(pg),
            ..Env::new(config_body)
        })
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("dossier.toml")
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store.sqlite")
    }

    /// `dossier --config dossier.toml ARGS`, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = dossier();
        cmd.arg("--config").arg(self.config()).args(args);
        match &self.pg {
            Some(pg) => cmd.env("DOSSIER_STORE_URL", &pg.url),
            None => cmd.env_remove("DOSSIER_STORE_URL"),
        };
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Every stored item, as `items --json` prints it.
    pub fn items(&self) -> Vec<Value> {
        self.json_lines(&["items", "--json"])
    }

    /// How many sightings the stored items have between them, from `items --json`.
    pub fn sightings(&self) -> i64 {
        self.items()
            .iter()
            .map(|i| i["sightings"].as_i64().unwrap())
            .sum()
    }

    /// The store opened with SQLite directly. Only for what no command shows: the schema
    /// and SQLite's own guarantees; behaviour is checked through the commands' JSON so
    /// that it holds for every backend. Mark each use with a `// schema:` comment.
    pub fn db(&self) -> Connection {
        Connection::open(self.store()).unwrap()
    }

    /// A `SELECT count(*) …` on the store; see [`Env::db`] for when.
    pub fn sql_count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Runs `args`, which must exit 0, and reads its stdout as JSON Lines.
    pub fn json_lines(&self, args: &[&str]) -> Vec<Value> {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The row `feeds --json` prints for the feed `name`.
pub fn feed_row(env: &Env, name: &str) -> Value {
    env.json_lines(&["feeds", "--json"])
        .into_iter()
        .find(|f| f["name"] == name)
        .unwrap()
}

/// An RSS 2.0 document with items `(guid, title, link, pubDate)`.
pub fn rss(items: &[(&str, &str, &str, Option<&str>)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>https://x.example/</link>",
    );
    for (guid, title, link, date) in items {
        s += &format!("<item><guid>{guid}</guid><title>{title}</title><link>{link}</link>");
        if let Some(d) = date {
            s += &format!("<pubDate>{d}</pubDate>");
        }
        s += "</item>";
    }
    s + "</channel></rss>"
}

/// Serves `body` at `route` with an ETag, answering a matching If-None-Match with 304.
pub async fn serve_feed(server: &MockServer, route: &str, body: String, etag: &str) {
    Mock::given(method("GET"))
        .and(path(route))
        .and(header("if-none-match", etag))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", etag))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", etag)
                .insert_header("content-type", "application/rss+xml")
                .set_body_string(body),
        )
        .with_priority(2)
        .mount(server)
        .await;
}

/// Two topics: `ai` with its own feed (`/ai.rss`) and the keyword "DeepSeek", `chips`
/// with the keyword "export controls"; and one standalone feed, `Wire` (`/wire.rss`).
pub fn two_topic_config(base: &str) -> String {
    format!(
        r#"[[topic]]
slug = "ai"
title = "AI Watch"
match_any = ["DeepSeek"]
  [[topic.feed]]
  url = "{base}/ai.rss"

[[topic]]
slug = "chips"
title = "Chips"
match_any = ["export controls"]

[[feed]]
name = "Wire"
url = "{base}/wire.rss"
"#
    )
}
