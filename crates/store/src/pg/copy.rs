//! The PostgreSQL side of `store copy` (see `crate::copy`): rows streamed out in key
//! order, rows in through one `INSERT … SELECT FROM unnest(…)` per batch, with what only
//! this backend keeps made on the way in (a feed's host, an item's search vector); the
//! id sequences are moved past the copied ids at the end, in the transaction that removes
//! the unfinished mark.

use super::{PgStore, search};
use crate::copy::{BATCH, Kind, Table, Tables, UNFINISHED, Value};
use crate::{Result, StoreError};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

/// Tables whose ids come from a sequence, which must not hand out a copied id again.
const WITH_IDS: &[&str] = &["topics", "feeds", "runs", "items", "versions"];

fn columns(table: &Table) -> Vec<&'static str> {
    table.columns.iter().map(|c| c.0).collect()
}

/// One column of a batch, as the array `unnest` takes.
enum Column {
    Int(Vec<Option<i64>>),
    Text(Vec<Option<String>>),
}

impl Column {
    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Column::Int(v) => v,
            Column::Text(v) => v,
        }
    }

    fn cast(&self) -> &'static str {
        match self {
            Column::Int(_) => "bigint[]",
            Column::Text(_) => "text[]",
        }
    }
}

fn text_at(row: &[Value], at: usize) -> Option<&str> {
    match &row[at] {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

impl Tables for PgStore {
    fn count(&self, table: &Table) -> Result<u64> {
        let n: i64 = self
            .conn()
            .query_one(&format!("SELECT count(*) FROM {}", table.name), &[])?
            .get(0);
        Ok(n as u64)
    }

    fn scan(
        &self,
        table: &Table,
        each: &mut dyn FnMut(Vec<Vec<Value>>) -> Result<()>,
    ) -> Result<()> {
        let mut conn = self.conn();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns(table).join(", "),
            table.name,
            table.order_by
        );
        let mut rows = conn.query_raw(&sql, std::iter::empty::<&(dyn ToSql + Sync)>())?;
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(table.columns.len());
            for (i, (_, kind)) in table.columns.iter().enumerate() {
                row.push(match kind {
                    Kind::Int => r
                        .try_get::<_, Option<i64>>(i)?
                        .map_or(Value::Null, Value::Int),
                    Kind::Text => r
                        .try_get::<_, Option<String>>(i)?
                        .map_or(Value::Null, Value::Text),
                });
            }
            batch.push(row);
            if batch.len() == BATCH {
                each(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            each(batch)?;
        }
        Ok(())
    }

    fn is_empty(&self) -> Result<bool> {
        Ok(self
            .conn()
            .query_one(
                "SELECT (SELECT count(*) FROM feeds) + (SELECT count(*) FROM items)
                    + (SELECT count(*) FROM versions) = 0",
                &[],
            )?
            .get(0))
    }

    fn mark_unfinished(&mut self, note: &str) -> Result<()> {
        self.client_mut().execute(
            "INSERT INTO meta(key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&UNFINISHED, &note],
        )?;
        Ok(())
    }

    fn insert(&mut self, table: &Table, rows: Vec<Vec<Value>>) -> Result<()> {
        let mut names = columns(table);
        let mut cols: Vec<Column> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| match kind {
                Kind::Int => Column::Int(
                    rows.iter()
                        .map(|r| match r[i] {
                            Value::Int(v) => Some(v),
                            _ => None,
                        })
                        .collect(),
                ),
                Kind::Text => Column::Text(
                    rows.iter()
                        .map(|r| match &r[i] {
                            Value::Text(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect(),
                ),
            })
            .collect();
        let at = |name: &str| names.iter().position(|n| *n == name);
        let mut tx = self.client_mut().transaction()?;
        // What only PostgreSQL keeps, made from the copied columns.
        let mut extra_cast = "";
        match table.name {
            "feeds" => {
                let (url, moved) = (at("url"), at("moved_to"));
                let hosts: Vec<Option<String>> = rows
                    .iter()
                    .map(|r| {
                        let fetched = moved.and_then(|m| text_at(r, m));
                        let url = fetched.or_else(|| url.and_then(|u| text_at(r, u)));
                        url.map(dossier_model::host_key)
                    })
                    .collect();
                tx.execute(
                    "INSERT INTO hosts(host_key) SELECT DISTINCT h FROM unnest($1::text[]) AS h
                     WHERE h IS NOT NULL ON CONFLICT DO NOTHING",
                    &[&hosts],
                )?;
                names.push("host_key");
                cols.push(Column::Text(hosts));
            }
            "items" => {
                let (title, summary) = (at("title"), at("summary"));
                let vectors: Vec<Option<String>> = rows
                    .iter()
                    .map(|r| {
                        let title = title.and_then(|t| text_at(r, t)).unwrap_or_default();
                        Some(search::vector(title, summary.and_then(|s| text_at(r, s))))
                    })
                    .collect();
                names.push("search");
                cols.push(Column::Text(vectors));
                extra_cast = "::tsvector";
            }
            _ => {}
        }
        let arrays: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", i + 1, c.cast()))
            .collect();
        let aliases: Vec<String> = (0..cols.len()).map(|i| format!("c{i}")).collect();
        let mut select = aliases.clone();
        if !extra_cast.is_empty()
            && let Some(last) = select.last_mut()
        {
            last.push_str(extra_cast);
        }
        let sql = format!(
            "INSERT INTO {}({}) SELECT {} FROM unnest({}) AS u({})",
            table.name,
            names.join(", "),
            select.join(", "),
            arrays.join(", "),
            aliases.join(", ")
        );
        let params: Vec<&(dyn ToSql + Sync)> = cols.iter().map(Column::param).collect();
        tx.execute(&sql, &params)?;
        tx.commit()?;
        Ok(())
    }

    fn set_duplicates(&mut self, pairs: &[(i64, i64)]) -> Result<()> {
        let ids: Vec<i64> = pairs.iter().map(|p| p.0).collect();
        let of: Vec<i64> = pairs.iter().map(|p| p.1).collect();
        self.client_mut().execute(
            "UPDATE items i SET duplicate_of = c.of FROM unnest($1::bigint[], $2::bigint[]) AS c(id, of)
             WHERE i.id = c.id",
            &[&ids, &of],
        )?;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        let mut tx = self.client_mut().transaction()?;
        for table in WITH_IDS {
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                        GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1),
                        (SELECT COUNT(*) > 0 FROM {table}))"
                ),
                &[],
            )?;
        }
        tx.execute("DELETE FROM meta WHERE key = $1", &[&UNFINISHED])?;
        tx.commit()?;
        Ok(())
    }
}

impl PgStore {
    /// A store that a `store copy` began and never finished is no store to read or write.
    pub(super) fn refuse_unfinished_copy(&mut self) -> Result<()> {
        let name = self.name();
        let note: Option<String> = self
            .client_mut()
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&UNFINISHED])?
            .map(|r| r.get(0));
        match note {
            Some(detail) => Err(StoreError::UnfinishedCopy { path: name, detail }),
            None => Ok(()),
        }
    }
}
