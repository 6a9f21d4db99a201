//! What the store remembers of a feed between runs, and what one fetch changes of it.

use crate::ErrorClass;
use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;

/// What the scheduler and the conditional GET need to know of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedState {
    pub key: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_due_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    /// Where a permanent redirect sent the feed; fetched instead of the configured URL.
    pub moved_to: Option<String>,
    /// Why the feed is no longer fetched (410 Gone), if it is not.
    pub disabled_reason: Option<String>,
    pub body_hash: Option<String>,
    pub last_full_fetch_at: Option<DateTime<Utc>>,
}

/// What to do with a stored value: keep it, clear it, or set it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    /// `Set` for `Some`, `Clear` for `None`.
    pub fn to(value: Option<T>) -> Change<T> {
        value.map_or(Change::Clear, Change::Set)
    }
}

/// A server's validators for the next conditional GET.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What a feed's last fetch came to, as `last_status` says it: the HTTP status, the word
/// `not_modified`, or the class of a failure that had no status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchStatus {
    Http(u16),
    NotModified,
    Failed(ErrorClass),
}

impl fmt::Display for FetchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchStatus::Http(code) => write!(f, "{code}"),
            FetchStatus::NotModified => f.write_str("not_modified"),
            FetchStatus::Failed(class) => f.write_str(class.as_str()),
        }
    }
}

impl FromStr for FetchStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<FetchStatus, String> {
        if s == "not_modified" {
            return Ok(FetchStatus::NotModified);
        }
        if let Ok(code) = s.parse() {
            return Ok(FetchStatus::Http(code));
        }
        ErrorClass::parse(s)
            .map(FetchStatus::Failed)
            .ok_or_else(|| format!("`{s}` is no fetch status"))
    }
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchFailure {
    pub class: ErrorClass,
    /// The HTTP status that came with it, if any.
    pub status: Option<u16>,
    pub message: String,
}

/// A host (`host:port`) held until a time its server named.
#[derive(Debug, Clone, PartialEq)]
pub struct HostHold {
    pub host: String,
    pub until: DateTime<Utc>,
    pub status: u16,
}

/// The outcome of one fetch, as recorded on the feed's row.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedUpdate {
    pub fetched_at: DateTime<Utc>,
    pub status: FetchStatus,
    /// What went wrong, when the fetch failed.
    pub failure: Option<FetchFailure>,
    /// The validators of a fresh body; `Keep` keeps the stored ones.
    pub validators: Change<Validators>,
    /// When to fetch next; `None` keeps the stored time (a failure not held against the
    /// feed stays due).
    pub next_due_at: Option<DateTime<Utc>>,
    /// Where a permanent redirect sent the feed; `None` keeps the stored one.
    pub moved_to: Option<String>,
    /// Whether the outcome counts: a failure towards `consecutive_failures`, a success
    /// resetting them. Neither our own outage nor a server's deferral counts.
    pub counted: bool,
    /// Where the fetch ended after redirects; `None` keeps the stored one.
    pub final_url: Option<String>,
    /// Hash of a body that was parsed; `None` keeps the stored one.
    pub body_hash: Option<String>,
    /// The request went out without validators.
    pub full_fetch: bool,
    /// What the parse had to repair or leave out.
    pub warning: Change<String>,
    /// Stop fetching the feed, with this note (410 Gone).
    pub disable: Option<String>,
    /// Whether a request went out. `false` for a feed whose host was held: its row keeps
    /// the time and status of its last real fetch, and only its next due time moves.
    pub requested: bool,
    /// A `Retry-After` its server answered, to hold the host across runs.
    pub hold: Option<HostHold>,
}

impl FeedUpdate {
    /// A fresh update with nothing decided yet.
    pub fn new(fetched_at: DateTime<Utc>) -> FeedUpdate {
        FeedUpdate {
            fetched_at,
            status: FetchStatus::NotModified,
            failure: None,
            validators: Change::Keep,
            next_due_at: None,
            moved_to: None,
            counted: true,
            final_url: None,
            body_hash: None,
            full_fetch: false,
            warning: Change::Keep,
            disable: None,
            requested: true,
            hold: None,
        }
    }

    /// Records a failure: its status (the HTTP one when there was one, else the class).
    pub fn fail(&mut self, class: ErrorClass, status: Option<u16>, message: String) {
        self.status = status.map_or(FetchStatus::Failed(class), FetchStatus::Http);
        self.failure = Some(FetchFailure {
            class,
            status,
            message,
        });
    }

    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }
}

/// The counts of one `run`, as `run --json` prints them (without `seconds`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunStats {
    pub feeds: u64,
    pub fetched: u64,
    pub not_modified: u64,
    pub failed: u64,
    pub items_new: u64,
    pub items_duplicate: u64,
    pub dated_from_pages: u64,
    /// Feeds whose server asked to come back later (429, 503 with `Retry-After`).
    pub deferred: u64,
    /// Feeds not reached before the run's deadline; still due.
    pub not_fetched: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_they_are_written() {
        for s in [
            FetchStatus::Http(200),
            FetchStatus::Http(429),
            FetchStatus::NotModified,
            FetchStatus::Failed(ErrorClass::Timeout),
            FetchStatus::Failed(ErrorClass::NotAFeed),
        ] {
            assert_eq!(s.to_string().parse::<FetchStatus>(), Ok(s));
        }
        assert!("bogus".parse::<FetchStatus>().is_err());
    }

    #[test]
    fn a_failure_keeps_its_http_status() {
        let mut u = FeedUpdate::new(DateTime::UNIX_EPOCH);
        u.fail(ErrorClass::Http4xx, Some(404), "HTTP 404 Not Found".into());
        assert_eq!(u.status, FetchStatus::Http(404));
        u.fail(ErrorClass::Timeout, None, "slow".into());
        assert_eq!(u.status.to_string(), "timeout");
        assert!(u.failed());
    }
}
