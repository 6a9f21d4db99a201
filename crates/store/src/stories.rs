//! A version's stories: its sources grouped by the event they report, frozen with it.
//!
//! The method is not the store's: it is handed in as a [`Grouping`]
//! (`dossier_normalize::stories::group`), so the store sees only the model's nouns. The
//! store builds what the method reads from the version's frozen sources, checks and
//! numbers what it returns, and keeps it beside the version, in the transaction that cuts
//! it. What every backend must do alike (building the [`StorySource`]s, checking that
//! each source is in one story, numbering, reading the rows back) is plain Rust on plain
//! rows here, so a second backend writes only its own statements.
//!
//! A version cut before the store kept stories has none stored. Reading its stories groups
//! its frozen sources (titles, URLs, dates: what the version froze, not the items as they
//! are now) and stores nothing, since reads never write; [`VersionStories::frozen`] says
//! which of the two a reader got.

use crate::query::opt_time;
use crate::versions::{Source, Version};
use crate::{Result, SqliteStore, StoreError};
use chrono::{DateTime, Utc};
use dossier_model::{Grouping, Story, StorySource, fmt_time};
use rusqlite::params;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;

/// A version's stories, as `version stories --json` prints them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionStories {
    pub topic: String,
    pub version: i64,
    /// By date (undated last), then by lowest source number; numbered from 1 in that order.
    pub stories: Vec<VersionStory>,
    /// Whether the stories were frozen when the version was cut. `false` for a version
    /// cut before the store kept stories: they were grouped when read, and not stored.
    #[serde(skip)]
    pub frozen: bool,
}

/// One story of a version: the sources that report one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionStory {
    /// The story's number in the version, from 1.
    pub story: i64,
    /// The most representative source's title.
    pub title: String,
    /// The earliest date among its sources; `None` when none is dated.
    #[serde(serialize_with = "dossier_model::ser::opt_time")]
    pub published_at: Option<DateTime<Utc>>,
    /// Its source numbers, ascending.
    pub sources: Vec<i64>,
}

/// What the grouping reads of a version's sources: the frozen title, URL and date, and the
/// item's summary where `summaries` (by item id) has one. The store keeps no quoted links.
pub fn story_sources(
    sources: &[Source],
    summaries: &HashMap<i64, String>,
) -> Result<Vec<StorySource>> {
    sources
        .iter()
        .map(|s| {
            Ok(StorySource {
                n: u32::try_from(s.n).map_err(|_| {
                    StoreError::Stories(format!("source number {} is out of range", s.n))
                })?,
                title: s.title.clone(),
                summary: summaries.get(&s.item_id).cloned(),
                url: s.url.clone(),
                published_at: s.published_at,
                links: Vec::new(),
            })
        })
        .collect()
}

/// Numbers the stories `group` made of `sources` from 1, in the order it listed them,
/// after checking that they hold every source once and nothing else.
pub fn number_stories(sources: &[Source], stories: Vec<Story>) -> Result<Vec<VersionStory>> {
    let mut seen: HashMap<i64, usize> = sources.iter().map(|s| (s.n, 0)).collect();
    for n in stories.iter().flat_map(|st| &st.sources) {
        let n = i64::from(*n);
        let count = seen
            .get_mut(&n)
            .ok_or_else(|| StoreError::Stories(format!("[{n}] is not a source of the version")))?;
        *count += 1;
    }
    if let Some((n, count)) = seen.iter().filter(|(_, c)| **c != 1).min() {
        return Err(StoreError::Stories(match count {
            0 => format!("source [{n}] is in no story"),
            _ => format!("source [{n}] is in {count} stories"),
        }));
    }
    Ok(stories
        .into_iter()
        .zip(1..)
        .map(|(st, story)| {
            let mut sources: Vec<i64> = st.sources.into_iter().map(i64::from).collect();
            sources.sort_unstable();
            VersionStory {
                story,
                title: st.title,
                published_at: st.published_at,
                sources,
            }
        })
        .collect())
}

/// Groups the frozen `sources` of a version cut before the store kept stories.
pub fn group_on_read(
    version: &Version,
    sources: &[Source],
    group: Grouping,
) -> Result<VersionStories> {
    let stories = number_stories(sources, group(&story_sources(sources, &HashMap::new())?))?;
    Ok(VersionStories {
        topic: version.topic.clone(),
        version: version.version,
        stories,
        frozen: false,
    })
}

impl VersionStories {
    /// The text of `version stories`: the version's heading, then one paragraph per story,
    /// `DATE · TITLE` (`undated · TITLE`) over its sources' lines as `version show` renders
    /// them. `version` is the version the stories are of, with its sources.
    pub fn render(&self, version: &Version) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", version.title);
        let _ = writeln!(
            out,
            "{} · {} stories",
            version.heading(),
            self.stories.len()
        );
        for story in &self.stories {
            let day = story.published_at.map_or_else(
                || "undated".to_string(),
                |t| t.format("%Y-%m-%d").to_string(),
            );
            let _ = writeln!(out, "\n{day} · {}", crate::cut_title(&story.title));
            for n in &story.sources {
                match version.sources.binary_search_by_key(n, |s| s.n) {
                    Ok(at) => out += &version.sources[at].line(),
                    Err(_) => out += &format!("[{n}]\n"),
                }
            }
        }
        out
    }
}

/// Groups the sources of the version being cut and writes its stories, inside the cut's
/// transaction `tx`; `sources` are the version's, numbered and already written.
pub(crate) fn freeze_stories(
    tx: &rusqlite::Connection,
    version_id: i64,
    sources: &[Source],
    group: Grouping,
) -> Result<()> {
    let summaries: HashMap<i64, String> = {
        let mut stmt = tx.prepare(
            "SELECT s.item_id, i.summary FROM version_sources s JOIN items i ON i.id = s.item_id
             WHERE s.version_id = ?1 AND i.summary IS NOT NULL",
        )?;
        stmt.query_map([version_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let stories = number_stories(sources, group(&story_sources(sources, &summaries)?))?;
    let mut story_row = tx.prepare(
        "INSERT INTO version_stories(version_id, story, title, published_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut source_row =
        tx.prepare("INSERT INTO version_story_sources(version_id, n, story) VALUES (?1, ?2, ?3)")?;
    for st in &stories {
        story_row.execute(params![
            version_id,
            st.story,
            st.title,
            st.published_at.map(fmt_time)
        ])?;
        for n in &st.sources {
            source_row.execute(params![version_id, n, st.story])?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// The stories stored for a version, in order; empty for a version cut before the store
    /// kept stories (or one without sources).
    pub(crate) fn stored_stories(&self, version_id: i64) -> Result<Vec<VersionStory>> {
        let mut stmt = self.conn.prepare(
            "SELECT story, title, published_at FROM version_stories WHERE version_id = ?1 ORDER BY story",
        )?;
        let mut stories: Vec<VersionStory> = stmt
            .query_map([version_id], |r| {
                Ok(VersionStory {
                    story: r.get(0)?,
                    title: r.get(1)?,
                    published_at: opt_time(r, 2)?,
                    sources: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let at: HashMap<i64, usize> = stories
            .iter()
            .enumerate()
            .map(|(i, st)| (st.story, i))
            .collect();
        let mut stmt = self.conn.prepare(
            "SELECT story, n FROM version_story_sources WHERE version_id = ?1 ORDER BY story, n",
        )?;
        let rows = stmt.query_map([version_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (story, n) = row?;
            if let Some(&i) = at.get(&story) {
                stories[i].sources.push(n);
            }
        }
        Ok(stories)
    }

    /// The stories of version `number` of the topic (its latest when `None`): those frozen
    /// when it was cut, or for a version cut before the store kept stories, its frozen
    /// sources grouped now by `group` (and not stored).
    pub(crate) fn stories(
        &self,
        slug: &str,
        number: Option<i64>,
        group: Grouping,
    ) -> Result<Option<VersionStories>> {
        let Some((version_id, version)) = self.version_head(slug, number)? else {
            return Ok(None);
        };
        let stories = self.stored_stories(version_id)?;
        if stories.is_empty() && version.item_count > 0 {
            let sources = self.version_sources(version_id)?;
            return group_on_read(&version, &sources, group).map(Some);
        }
        Ok(Some(VersionStories {
            topic: version.topic,
            version: version.version,
            stories,
            frozen: true,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_model::DateSource;

    fn source(n: i64) -> Source {
        Source {
            n,
            item_id: n * 10,
            title: format!("Source {n}"),
            url: None,
            label: "L".into(),
            published_at: None,
            date_source: DateSource::FirstSeen,
        }
    }

    fn story(sources: &[u32]) -> Story {
        Story {
            sources: sources.to_vec(),
            title: "t".into(),
            published_at: None,
        }
    }

    #[test]
    fn stories_are_numbered_in_the_order_given_with_sources_ascending() {
        let sources: Vec<Source> = (1..=3).map(source).collect();
        let got = number_stories(&sources, vec![story(&[3, 1]), story(&[2])]).unwrap();
        let shape: Vec<(i64, Vec<i64>)> = got.into_iter().map(|s| (s.story, s.sources)).collect();
        assert_eq!(shape, vec![(1, vec![1, 3]), (2, vec![2])]);
    }

    #[test]
    fn a_grouping_that_loses_repeats_or_invents_a_source_is_refused() {
        let sources: Vec<Source> = (1..=3).map(source).collect();
        for (stories, says) in [
            (vec![story(&[1, 2])], "source [3] is in no story"),
            (
                vec![story(&[1, 2]), story(&[2, 3])],
                "source [2] is in 2 stories",
            ),
            (vec![story(&[1, 2, 3]), story(&[4])], "[4] is not a source"),
        ] {
            let err = number_stories(&sources, stories).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
    }

    #[test]
    fn summaries_come_from_the_items_and_the_rest_from_the_frozen_source() {
        let mut s = source(2);
        s.url = Some("https://n.example/2".into());
        let got = story_sources(&[s], &HashMap::from([(20, "Text".to_string())])).unwrap();
        assert_eq!(got[0].n, 2);
        assert_eq!(got[0].title, "Source 2");
        assert_eq!(got[0].summary.as_deref(), Some("Text"));
        assert_eq!(got[0].url.as_deref(), Some("https://n.example/2"));
        assert!(got[0].links.is_empty());
    }

    /// All of a version's sources in one story, titled by the first as the grouping read it.
    fn all_in_one(sources: &[StorySource]) -> Vec<Story> {
        vec![Story {
            sources: sources.iter().map(|s| s.n).collect(),
            title: format!("{} ({:?})", sources[0].title, sources[0].summary),
            published_at: sources.iter().filter_map(|s| s.published_at).min(),
        }]
    }

    /// A version cut by a dossier from before stories (schema 9) has none stored: reading
    /// its stories groups what it froze (not the items as they are now) and writes nothing,
    /// whether the store was opened to write or to read only.
    #[test]
    fn a_version_cut_before_stories_is_grouped_on_read_and_nothing_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            crate::cjk::register(&conn).unwrap();
            for sql in &crate::MIGRATIONS[..9] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 9).unwrap();
            conn.execute_batch(
                "INSERT INTO feeds(id, key, name, label, url, kind) VALUES (1, 'a', 'a', 'a', 'https://a.example/', 'feed');
                 INSERT INTO topics(id, slug, title) VALUES (1, 'ai', 'AI');
                 INSERT INTO items(id, feed_id, url, original_url, title, summary, date_source, first_seen_at, sort_at, identity)
                 VALUES (1, 1, 'https://n.example/1', 'https://n.example/1', 'Edited since', 'A summary', 'first_seen',
                         '2026-05-20T00:00:00Z', '2026-05-20T00:00:00Z', 'link'),
                        (2, 1, 'https://n.example/2', 'https://n.example/2', 'Second', NULL, 'feed',
                         '2026-05-20T00:00:00Z', '2026-05-20T00:00:00Z', 'link');
                 INSERT INTO versions(id, topic_id, number, title, created_at, item_count, new_items)
                 VALUES (1, 1, 1, 'AI', '2026-05-21T00:00:00Z', 2, 2);
                 INSERT INTO version_sources(version_id, n, item_id, title, url, label, published_at, date_source)
                 VALUES (1, 1, 1, 'As frozen', 'https://n.example/1', 'a', NULL, 'first_seen'),
                        (1, 2, 2, 'Second', 'https://n.example/2', 'a', '2026-05-19T00:00:00Z', 'feed');",
            )
            .unwrap();
        }
        let expected = VersionStories {
            topic: "ai".into(),
            version: 1,
            stories: vec![VersionStory {
                story: 1,
                title: "As frozen (None)".into(),
                published_at: dossier_model::parse_time("2026-05-19T00:00:00Z"),
                sources: vec![1, 2],
            }],
            frozen: false,
        };
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.stories("ai", None, all_in_one).unwrap(),
            Some(expected.clone())
        );
        let stored: i64 = store
            .conn
            .query_row("SELECT count(*) FROM version_stories", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 0, "reads never write");
        drop(store);
        let reader = SqliteStore::open_read_only(&path).unwrap();
        assert_eq!(
            reader.stories("ai", Some(1), all_in_one).unwrap(),
            Some(expected)
        );
    }
}
