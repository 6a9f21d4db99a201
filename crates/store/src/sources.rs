//! One source number of a topic across its versions: what a writer citing `[n]` needs to
//! check it (the frozen copy in every version that holds it, why its item joined the
//! topic, the items merged into it as duplicates).

use crate::query::{date_source, opt_time, time};
use crate::{Result, Source, SqliteStore};
use chrono::{DateTime, Utc};
use dossier_model::TopicReason;
use rusqlite::OptionalExtension;
use serde::Serialize;

/// Source `[n]` of a topic: its item and its frozen copy in each version holding it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRecord {
    pub n: i64,
    pub item_id: i64,
    /// The frozen copy of the source in every version that holds it, oldest first.
    pub copies: Vec<SourceCopy>,
    /// Why the item is attached to the topic now (`None` when a later rule change took
    /// it out: its frozen copies stay).
    pub joined: Option<TopicReason>,
    /// The items found to be duplicates of this one, merged into it.
    pub duplicates: Vec<i64>,
}

/// What version `version` froze of a source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceCopy {
    pub version: i64,
    #[serde(serialize_with = "dossier_model::ser::time")]
    pub created_at: DateTime<Utc>,
    pub source: Source,
}

impl SqliteStore {
    pub(crate) fn source(&self, slug: &str, n: i64) -> Result<Option<SourceRecord>> {
        let topic_id = self.topic_id(slug)?;
        let Some(item_id) = self
            .conn
            .query_row(
                "SELECT item_id FROM source_numbers WHERE topic_id = ?1 AND n = ?2",
                (topic_id, n),
                |r| r.get::<_, i64>(0),
            )
            .optional()?
        else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare(
            "SELECT v.number, v.created_at, vs.n, vs.item_id, vs.title, vs.url, vs.label,
                vs.published_at, vs.date_source
             FROM versions v JOIN version_sources vs ON vs.version_id = v.id AND vs.n = ?2
             WHERE v.topic_id = ?1 ORDER BY v.number",
        )?;
        let copies = stmt
            .query_map((topic_id, n), |r| {
                Ok(SourceCopy {
                    version: r.get(0)?,
                    created_at: time(r, 1)?,
                    source: Source {
                        n: r.get(2)?,
                        item_id: r.get(3)?,
                        title: r.get(4)?,
                        url: r.get(5)?,
                        label: r.get(6)?,
                        published_at: opt_time(r, 7)?,
                        date_source: date_source(r, 8)?,
                    },
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let joined = self
            .conn
            .query_row(
                "SELECT reason, detail FROM item_topics WHERE topic_id = ?1 AND item_id = ?2",
                (topic_id, item_id),
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)),
            )
            .optional()?
            .and_then(|(kind, detail)| TopicReason::from_stored(&kind, detail));
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM items WHERE duplicate_of = ?1 ORDER BY id")?;
        let duplicates = stmt
            .query_map([item_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(SourceRecord {
            n,
            item_id,
            copies,
            joined,
            duplicates,
        }))
    }
}
