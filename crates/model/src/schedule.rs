//! When a feed is fetched: pure functions of a feed's state, what its fetch came to, and
//! the time, so that every rule of the schedule is a unit test.
//!
//! A feed's next fetch is its interval, raised (never lowered) by what the server asks
//! (`Cache-Control`, `Expires`, RSS `<ttl>`), pushed out exponentially after consecutive
//! failures (capped at a day), and never for a feed the server said is gone. A server's
//! `Retry-After` holds its host until the time it names, capped at a day. A feed is
//! fetched without validators at least daily, for servers whose validators lie. When
//! nearly every feed of a run fails at the network level, the outage is ours.

use crate::FeedState;
use chrono::{DateTime, Duration, Utc};

/// Longest a server's freshness hint or `<ttl>` may stretch a feed's interval.
pub const MAX_HINTED_INTERVAL: Duration = Duration::hours(24);
/// Longest backoff after consecutive failures.
pub const MAX_BACKOFF: Duration = Duration::hours(24);
/// Longest a server's `Retry-After` holds its host.
pub const MAX_HOLD: Duration = Duration::hours(24);
/// A fetch without validators at least this often.
pub const FULL_FETCH_EVERY: Duration = Duration::hours(24);
/// The share of network-level failures, of at least [`OUTAGE_MIN_FEEDS`] feeds, that makes
/// a run call the outage its own.
pub const OUTAGE_SHARE: f64 = 0.9;
pub const OUTAGE_MIN_FEEDS: usize = 3;

fn minutes(m: u32) -> Duration {
    Duration::minutes(i64::from(m))
}

/// Whether a feed is fetched by a run at `now`: never when it is disabled (410 Gone);
/// with `all`, whenever it is not; otherwise when it was never fetched or its time came.
pub fn is_due(state: Option<&FeedState>, now: DateTime<Utc>, all: bool) -> bool {
    match state {
        None => true,
        Some(s) if s.disabled_reason.is_some() => false,
        Some(_) if all => true,
        Some(s) => s.next_due_at.is_none_or(|due| due <= now),
    }
}

/// Whether this fetch goes without validators (the daily full fetch).
pub fn needs_full_fetch(state: Option<&FeedState>, now: DateTime<Utc>) -> bool {
    state
        .and_then(|s| s.last_full_fetch_at)
        .is_none_or(|t| now - t >= FULL_FETCH_EVERY)
}

/// The next fetch after a success (or a 304): the interval, raised by the server's hint
/// within a cap.
pub fn next_after_success(
    now: DateTime<Utc>,
    interval_mins: u32,
    hint: Option<std::time::Duration>,
) -> DateTime<Utc> {
    let interval = minutes(interval_mins);
    let hinted = hint
        .and_then(|h| Duration::from_std(h).ok())
        .map_or(interval, |h| h.min(MAX_HINTED_INTERVAL).max(interval));
    now + hinted
}

/// The next fetch after the `failures`-th consecutive failure: the interval, doubled for
/// each failure after the first, capped at a day (or the interval, when that is longer).
pub fn next_after_failure(now: DateTime<Utc>, interval_mins: u32, failures: u32) -> DateTime<Utc> {
    let interval = minutes(interval_mins);
    let factor = 1i32
        .checked_shl(failures.saturating_sub(1).min(20))
        .unwrap_or(i32::MAX);
    now + interval
        .checked_mul(factor)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF.max(interval))
}

/// A deferral (a 429, or a 503 with `Retry-After`): until when the host is held, and when
/// the feed is next due. A feed that heard the answer itself (`requested`) waits for the
/// longer of the hold and its interval; one held before it asked is due when the hold
/// ends.
pub fn after_deferral(
    now: DateTime<Utc>,
    interval_mins: u32,
    retry_after: std::time::Duration,
    requested: bool,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let wait = Duration::from_std(retry_after)
        .unwrap_or(MAX_HOLD)
        .min(MAX_HOLD);
    let until = now + wait;
    let next = if requested {
        now + wait.max(minutes(interval_mins))
    } else {
        until
    };
    (until, next)
}

/// Whether a run's network-level failures are its own outage rather than the feeds'.
pub fn is_outage(network_failures: usize, feeds_done: usize) -> bool {
    network_failures >= OUTAGE_MIN_FEEDS
        && network_failures as f64 >= OUTAGE_SHARE * feeds_done as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        crate::parse_time(s).unwrap()
    }

    fn state() -> FeedState {
        FeedState {
            key: "f".into(),
            etag: None,
            last_modified: None,
            next_due_at: None,
            consecutive_failures: 0,
            moved_to: None,
            disabled_reason: None,
            body_hash: None,
            last_full_fetch_at: None,
        }
    }

    #[test]
    fn due_means_never_fetched_or_its_time_came_and_never_when_gone() {
        let now = t("2026-05-22T12:00:00Z");
        assert!(is_due(None, now, false));
        let mut s = state();
        assert!(is_due(Some(&s), now, false));
        s.next_due_at = Some(now + Duration::minutes(1));
        assert!(!is_due(Some(&s), now, false));
        assert!(is_due(Some(&s), now, true), "--all");
        s.next_due_at = Some(now);
        assert!(is_due(Some(&s), now, false));
        s.disabled_reason = Some("gone".into());
        assert!(!is_due(Some(&s), now, true), "--all skips a gone feed");
    }

    #[test]
    fn a_hint_raises_the_interval_within_a_day_and_never_lowers_it() {
        let now = t("2026-05-22T12:00:00Z");
        let secs = std::time::Duration::from_secs;
        assert_eq!(
            next_after_success(now, 30, None),
            now + Duration::minutes(30)
        );
        assert_eq!(
            next_after_success(now, 30, Some(secs(60))),
            now + Duration::minutes(30)
        );
        assert_eq!(
            next_after_success(now, 30, Some(secs(7200))),
            now + Duration::hours(2)
        );
        assert_eq!(
            next_after_success(now, 30, Some(secs(30 * 86_400))),
            now + Duration::hours(24)
        );
    }

    #[test]
    fn failures_back_off_doubling_to_a_day() {
        let now = t("2026-05-22T12:00:00Z");
        let gaps: Vec<i64> = (1..=8)
            .map(|n| (next_after_failure(now, 30, n) - now).num_minutes())
            .collect();
        assert_eq!(gaps, [30, 60, 120, 240, 480, 960, 1440, 1440]);
        assert_eq!((next_after_failure(now, 30, 1000) - now).num_hours(), 24);
        // An interval longer than a day is never shortened by the cap.
        assert_eq!((next_after_failure(now, 2880, 3) - now).num_hours(), 48);
    }

    #[test]
    fn a_hold_is_capped_at_a_day_and_a_held_feed_returns_when_it_ends() {
        let now = t("2026-05-22T12:00:00Z");
        let secs = std::time::Duration::from_secs;
        let (until, next) = after_deferral(now, 30, secs(3600), true);
        assert_eq!(
            (until - now, next - now),
            (Duration::hours(1), Duration::hours(1))
        );
        let (_, next) = after_deferral(now, 120, secs(60), true);
        assert_eq!(next - now, Duration::hours(2), "the interval is the floor");
        let (until, next) = after_deferral(now, 120, secs(60), false);
        assert_eq!(
            (until, next),
            (now + Duration::minutes(1), now + Duration::minutes(1))
        );
        let (until, _) = after_deferral(now, 30, secs(365 * 86_400), true);
        assert_eq!(until - now, Duration::hours(24));
    }

    #[test]
    fn the_full_fetch_comes_daily() {
        let now = t("2026-05-22T12:00:00Z");
        let mut s = state();
        assert!(needs_full_fetch(None, now));
        assert!(needs_full_fetch(Some(&s), now));
        s.last_full_fetch_at = Some(now - Duration::hours(23));
        assert!(!needs_full_fetch(Some(&s), now));
        s.last_full_fetch_at = Some(now - Duration::hours(24));
        assert!(needs_full_fetch(Some(&s), now));
    }

    #[test]
    fn an_outage_is_nearly_every_feed_failing_at_the_network_level() {
        assert!(!is_outage(2, 2), "too few feeds to tell");
        assert!(is_outage(3, 3));
        assert!(is_outage(9, 10));
        assert!(!is_outage(8, 10));
    }
}
