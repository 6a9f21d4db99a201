//! Stories: what a version's sources are grouped into, by the event they report.
//!
//! The nouns live here, apart from the method (`dossier_normalize::stories`), because two
//! stages speak them: `normalize` groups [`StorySource`]s into [`Story`]s, and the store
//! freezes those stories with the version it cuts, in the same transaction. The store
//! sees only these types and is handed the method as a [`Grouping`], so it never depends
//! on `normalize`.

use chrono::{DateTime, Utc};

/// One source of a version, as the grouping reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StorySource {
    /// The source number in the version (`[n]`); numbers are expected to be distinct.
    pub n: u32,
    pub title: String,
    pub summary: Option<String>,
    /// The item's canonical URL.
    pub url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// URLs quoted by the item (its text's links), if known; links written in the title
    /// or summary are read from there as well.
    pub links: Vec<String>,
}

/// Sources that report one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Story {
    /// Source numbers, ascending.
    pub sources: Vec<u32>,
    /// The most representative source's title: the one most alike to the others.
    pub title: String,
    /// The earliest date of its sources; `None` when none is dated.
    pub published_at: Option<DateTime<Utc>>,
}

/// A method that groups a version's sources into stories: every source in exactly one
/// story, stories in the order they are listed (`dossier_normalize::stories::group`).
pub type Grouping = fn(&[StorySource]) -> Vec<Story>;
