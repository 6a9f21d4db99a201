//! How rows read to a person: the words and short dates that the command line and the
//! server's pages share, kept beside the rows so that both say the same thing.

use crate::{FeedRow, ItemRow};
use chrono::{DateTime, Utc};
use dossier_model::FeedSpec;
use std::collections::HashMap;

impl FeedRow {
    /// The row of a configured feed no run has seen yet.
    pub fn never_fetched(f: &FeedSpec) -> FeedRow {
        FeedRow {
            key: f.key.clone(),
            name: f.name.clone(),
            label: f.label.clone(),
            url: f.url.clone(),
            kind: f.kind,
            topics: match &f.owner_topic {
                Some(owner) => vec![owner.clone()],
                None => f.topics.clone(),
            },
            last_fetch_at: None,
            last_status: None,
            error_class: None,
            last_error: None,
            consecutive_failures: 0,
            next_due_at: None,
            moved_to: None,
            items: 0,
            final_url: None,
            disabled: None,
            warning: None,
            held_until: None,
            held_by: None,
            search: f.search.clone(),
        }
    }

    /// The feed's state in one word or two: the error class (with the HTTP status when it
    /// differs), else the last status, else `never fetched`.
    pub fn status_label(&self) -> String {
        match (&self.error_class, &self.last_status) {
            (Some(class), Some(st)) if class.as_str() != st.to_string() => {
                format!("{} ({st})", class.as_str())
            }
            (Some(class), _) => class.as_str().to_string(),
            (None, Some(st)) => st.to_string(),
            (None, None) => "never fetched".into(),
        }
    }
}

impl ItemRow {
    /// The day the item is dated, `YYYY-MM-DD`, when it is.
    pub fn day(&self) -> Option<String> {
        self.published_at.map(|t| t.format("%Y-%m-%d").to_string())
    }
}

/// A time as the text output shows it: `2026-05-22 10:15:00`, or `-` for none.
pub fn short_time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// The configured feeds with what the store knows of their health, as `feeds` shows them
/// (and the server's `/api/v1/feeds`): in the order the store first saw them, then the
/// config's new ones in its order. A feed the store has but the config no longer names is
/// left out; one whose URL changed is shown as never fetched, since a new address is a
/// new resource that the next run starts afresh.
pub fn configured_feeds(stored: Vec<FeedRow>, feeds: &[FeedSpec]) -> Vec<FeedRow> {
    let configured: HashMap<&str, usize> = feeds
        .iter()
        .enumerate()
        .map(|(i, f)| (f.key.as_str(), i))
        .collect();
    let mut rows: Vec<FeedRow> = Vec::with_capacity(feeds.len());
    let mut shown = vec![false; feeds.len()];
    for row in stored {
        let Some(&i) = configured.get(row.key.as_str()) else {
            continue;
        };
        let f = &feeds[i];
        shown[i] = true;
        rows.push(if row.url == f.url {
            // What the config says of it now, with what the store knows of its health.
            FeedRow {
                name: f.name.clone(),
                label: f.label.clone(),
                kind: f.kind,
                topics: FeedRow::never_fetched(f).topics,
                search: f.search.clone(),
                ..row
            }
        } else {
            FeedRow::never_fetched(f)
        });
    }
    for (f, _) in feeds.iter().zip(&shown).filter(|(_, shown)| !**shown) {
        rows.push(FeedRow::never_fetched(f));
    }
    rows
}
