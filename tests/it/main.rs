//! dossier's integration tests: one binary (one link, not one per file), modules grouped by
//! behaviour, helpers in `util`. Most tests run the built `dossier` binary against loopback
//! HTTP servers with a temp config and store, and check exit codes, printed output, the
//! commands' JSON, stored rows and the requests the servers saw.

mod cli;
mod crash;
mod dedup;
mod feeds;
mod fixtures;
mod hostile;
mod items;
mod pages;
mod run;
mod schedule;
mod util;
mod versions;
mod world;
