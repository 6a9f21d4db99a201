//! dossier's integration tests: one binary (one link, not one per file), modules grouped by
//! behaviour, helpers in `util`. Most tests run the built `dossier` binary against loopback
//! HTTP servers with a temp config and store, and check exit codes, printed output and the
//! requests the servers saw. Behaviour is checked through the commands' JSON (`items
//! --json`, `feeds --json`, `version … --json`) so that it holds for every store backend;
//! raw SQL is left only where the test is about the schema or SQLite's own guarantees, or
//! checks what no command shows yet, each marked `// schema:`.

mod browser;
mod cli;
mod crash;
mod dedup;
mod feeds;
mod fixtures;
mod hostile;
mod items;
mod openapi;
mod pages;
mod postgres;
mod reactive;
mod run;
mod schedule;
mod serve;
mod util;
mod versions;
mod world;
