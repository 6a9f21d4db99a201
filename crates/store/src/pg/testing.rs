//! Throwaway PostgreSQL stores for tests: each a schema of its own in the test database,
//! dropped when the test is done, so tests run in parallel and leave nothing behind.
//!
//! The database is `DOSSIER_TEST_PG_URL`, else the local server every machine of this
//! project runs (`postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached, a
//! test is skipped with a message saying so, except under `CI=true`, where it fails: a
//! CI run must never pass without having tested PostgreSQL.

use postgres::{Client, NoTls};
use std::sync::atomic::{AtomicUsize, Ordering};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh, empty schema; `url` connects to it.
pub struct TestSchema {
    pub url: String,
    base: String,
    schema: String,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The test database's URL.
pub fn base_url() -> String {
    std::env::var("DOSSIER_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// Runs `f` on a thread of its own: the sync client must not run on a tokio worker, and
/// tests that need a schema may be async.
fn aside<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f)
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

impl TestSchema {
    /// A new schema for the test `name`; `None` (after saying why on stderr) when there
    /// is no PostgreSQL to test against outside CI. Panics under `CI=true`.
    pub fn new(name: &str) -> Option<TestSchema> {
        let name = name.to_string();
        aside(move || TestSchema::create(&name))
    }

    fn create(name: &str) -> Option<TestSchema> {
        let base = base_url();
        let mut admin = match Client::connect(&base, NoTls) {
            Ok(c) => c,
            Err(e) => {
                let why = format!("no PostgreSQL at {base} ({e})");
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("{why}: CI must test the PostgreSQL store");
                }
                eprintln!("skipped {name}: {why}; set DOSSIER_TEST_PG_URL to test PostgreSQL");
                return None;
            }
        };
        let schema = format!(
            "dossier_t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .expect("create a test schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(TestSchema { url, base, schema })
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (base, schema) = (self.base.clone(), self.schema.clone());
        aside(move || {
            if let Ok(mut admin) = Client::connect(&base, NoTls) {
                let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        });
    }
}
