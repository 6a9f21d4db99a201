//! Cutting a dossier version on PostgreSQL, with the SQLite store's rules (see
//! `crate::versions`). Two cuts of one topic at once are serialised by a lock on the
//! topic's row, so numbers stay consecutive and each item keeps its source number; the
//! unique constraints stand behind it. Cuts of different topics do not wait for each
//! other, and runs writing items do not wait for cuts.

use super::{PgStore, read};
use crate::{
    Result, Source, StoreError, Version, VersionStories, VersionStory, group_on_read,
    number_stories, story_sources,
};
use chrono::{DateTime, Timelike, Utc};
use dossier_model::{Grouping, fmt_time};
use postgres::Transaction;
use std::collections::HashMap;

impl PgStore {
    pub(super) fn cut_version(
        &mut self,
        slug: &str,
        now: DateTime<Utc>,
        group: Grouping,
    ) -> Result<Version> {
        let mut tx = self.client_mut().transaction()?;
        let head = tx
            .query_opt(
                "SELECT id, title FROM topics WHERE slug = $1 FOR UPDATE",
                &[&slug],
            )?
            .ok_or_else(|| StoreError::UnknownTopic(slug.to_string()))?;
        let (topic_id, title): (i64, String) = (head.get(0), head.get(1));
        let number: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE topic_id = $1",
                &[&topic_id],
            )?
            .get(0);
        let mut sources = candidates(&mut tx, topic_id)?;
        let new_items = number_sources(&mut tx, topic_id, &mut sources)?;
        let created_at = now.with_nanosecond(0).unwrap_or(now);
        let version_id: i64 = tx
            .query_one(
                "INSERT INTO versions(topic_id, number, title, created_at, item_count, new_items)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &topic_id,
                    &number,
                    &title,
                    &fmt_time(created_at),
                    &(sources.len() as i64),
                    &new_items,
                ],
            )?
            .get(0);
        sources.sort_by_key(|s| s.n);
        let n: Vec<i64> = sources.iter().map(|s| s.n).collect();
        let items: Vec<i64> = sources.iter().map(|s| s.item_id).collect();
        let titles: Vec<&str> = sources.iter().map(|s| s.title.as_str()).collect();
        let urls: Vec<Option<&str>> = sources.iter().map(|s| s.url.as_deref()).collect();
        let labels: Vec<&str> = sources.iter().map(|s| s.label.as_str()).collect();
        let dates: Vec<Option<String>> = sources
            .iter()
            .map(|s| s.published_at.map(fmt_time))
            .collect();
        let date_sources: Vec<&str> = sources.iter().map(|s| s.date_source.as_str()).collect();
        tx.execute(
            "INSERT INTO version_sources(version_id, n, item_id, title, url, label, published_at, date_source)
             SELECT $1, n, i, t, u, l, p, d
             FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                  AS c(n, i, t, u, l, p, d)",
            &[&version_id, &n, &items, &titles, &urls, &labels, &dates, &date_sources],
        )?;
        freeze_stories(&mut tx, version_id, &sources, group)?;
        tx.commit()?;
        Ok(Version {
            topic: slug.to_string(),
            title,
            version: number,
            created_at,
            item_count: sources.len() as i64,
            new_items,
            sources,
        })
    }
}

/// As `crate::versions::version_candidates`.
fn candidates(tx: &mut Transaction<'_>, topic_id: i64) -> Result<Vec<Source>> {
    tx.query(
        "SELECT 0::bigint AS n, i.id AS item_id, i.title, COALESCE(i.url, i.original_url) AS url,
            f.label, i.published_at, i.date_source
         FROM item_topics it
         JOIN items i ON i.id = it.item_id
         JOIN feeds f ON f.id = i.feed_id
         WHERE it.topic_id = $1
           AND (i.duplicate_of IS NULL OR NOT EXISTS (
                SELECT 1 FROM item_topics o WHERE o.topic_id = $1 AND o.item_id = i.duplicate_of))
         ORDER BY i.published_at IS NULL, i.published_at, i.id",
        &[&topic_id],
    )?
    .iter()
    .map(read::source)
    .collect()
}

/// As `crate::versions::number_sources`: the numbers by `crate::versions::assign_numbers`.
fn number_sources(tx: &mut Transaction<'_>, topic_id: i64, sources: &mut [Source]) -> Result<i64> {
    let mut numbers: HashMap<i64, i64> = tx
        .query(
            "SELECT item_id, n FROM source_numbers WHERE topic_id = $1",
            &[&topic_id],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let fresh = crate::versions::assign_numbers(&mut numbers, sources);
    if !fresh.is_empty() {
        let n: Vec<i64> = fresh.iter().map(|f| f.0).collect();
        let items: Vec<i64> = fresh.iter().map(|f| f.1).collect();
        tx.execute(
            "INSERT INTO source_numbers(topic_id, n, item_id)
             SELECT $1, n, i FROM unnest($2::bigint[], $3::bigint[]) AS c(n, i)",
            &[&topic_id, &n, &items],
        )?;
    }
    Ok(fresh.len() as i64)
}

/// As `crate::stories::freeze_stories`: the cut version's sources grouped by `group`,
/// written in the cut's transaction.
fn freeze_stories(
    tx: &mut Transaction<'_>,
    version_id: i64,
    sources: &[Source],
    group: Grouping,
) -> Result<()> {
    let summaries: HashMap<i64, String> = tx
        .query(
            "SELECT s.item_id, i.summary FROM version_sources s JOIN items i ON i.id = s.item_id
             WHERE s.version_id = $1 AND i.summary IS NOT NULL",
            &[&version_id],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let stories = number_stories(sources, group(&story_sources(sources, &summaries)?))?;
    let numbers: Vec<i64> = stories.iter().map(|s| s.story).collect();
    let titles: Vec<&str> = stories.iter().map(|s| s.title.as_str()).collect();
    let dates: Vec<Option<String>> = stories
        .iter()
        .map(|s| s.published_at.map(fmt_time))
        .collect();
    tx.execute(
        "INSERT INTO version_stories(version_id, story, title, published_at)
         SELECT $1, s, t, p FROM unnest($2::bigint[], $3::text[], $4::text[]) AS c(s, t, p)",
        &[&version_id, &numbers, &titles, &dates],
    )?;
    let (mut n, mut story) = (Vec::new(), Vec::new());
    for st in &stories {
        for source in &st.sources {
            n.push(*source);
            story.push(st.story);
        }
    }
    tx.execute(
        "INSERT INTO version_story_sources(version_id, n, story)
         SELECT $1, n, s FROM unnest($2::bigint[], $3::bigint[]) AS c(n, s)",
        &[&version_id, &n, &story],
    )?;
    Ok(())
}

/// As `SqliteStore::stories`: the stories frozen with the version, or for a version cut
/// before the store kept them, its frozen sources grouped now (and not stored).
pub(super) fn stories(
    c: &mut postgres::Client,
    slug: &str,
    number: Option<i64>,
    group: Grouping,
) -> Result<Option<VersionStories>> {
    let Some(version) = read::version(c, slug, number)? else {
        return Ok(None);
    };
    let rows = c.query(
        "SELECT st.story, st.title, st.published_at,
            ARRAY(SELECT ss.n FROM version_story_sources ss
                  WHERE ss.version_id = st.version_id AND ss.story = st.story ORDER BY ss.n) AS sources
         FROM version_stories st JOIN versions v ON v.id = st.version_id JOIN topics t ON t.id = v.topic_id
         WHERE t.slug = $1 AND v.number = $2 ORDER BY st.story",
        &[&slug, &version.version],
    )?;
    if rows.is_empty() && version.item_count > 0 {
        return group_on_read(&version, &version.sources, group).map(Some);
    }
    let stories = rows
        .iter()
        .map(|r| {
            Ok(VersionStory {
                story: r.try_get("story")?,
                title: r.try_get("title")?,
                published_at: read::opt_time(r, "published_at")?,
                sources: r.try_get("sources")?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Some(VersionStories {
        topic: version.topic,
        version: version.version,
        stories,
        frozen: true,
    }))
}
