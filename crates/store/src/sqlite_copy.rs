//! The SQLite side of `store copy` (see `crate::copy`): rows out in key order, rows in by
//! prepared statements, one transaction per batch; the search indexes are built once at
//! the end, in the transaction that removes the unfinished mark.

use crate::copy::{BATCH, Kind, Table, Tables, UNFINISHED, Value};
use crate::ingest::index_items_after;
use crate::{Result, SqliteStore};
use rusqlite::types::ToSqlOutput;
use rusqlite::{ToSql, params};

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::from(rusqlite::types::Null),
            Value::Int(i) => ToSqlOutput::from(*i),
            Value::Text(s) => ToSqlOutput::from(s.as_str()),
        })
    }
}

fn columns(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| c.0)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Tables for SqliteStore {
    fn count(&self, table: &Table) -> Result<u64> {
        let n: i64 =
            self.conn
                .query_row(&format!("SELECT count(*) FROM {}", table.name), [], |r| {
                    r.get(0)
                })?;
        Ok(n as u64)
    }

    fn scan(
        &self,
        table: &Table,
        each: &mut dyn FnMut(Vec<Vec<Value>>) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns(table),
            table.name,
            table.order_by
        ))?;
        let mut rows = stmt.query([])?;
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(table.columns.len());
            for (i, (_, kind)) in table.columns.iter().enumerate() {
                row.push(match kind {
                    Kind::Int => r.get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::Int),
                    Kind::Text => r
                        .get::<_, Option<String>>(i)?
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
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM feeds) + (SELECT count(*) FROM items)
                + (SELECT count(*) FROM versions) = 0",
            [],
            |r| r.get(0),
        )?)
    }

    fn mark_unfinished(&mut self, note: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![UNFINISHED, note],
        )?;
        Ok(())
    }

    fn insert(&mut self, table: &Table, rows: Vec<Vec<Value>>) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let marks = vec!["?"; table.columns.len()].join(", ");
            let mut stmt = tx.prepare(&format!(
                "INSERT INTO {}({}) VALUES ({marks})",
                table.name,
                columns(table)
            ))?;
            for row in &rows {
                stmt.execute(rusqlite::params_from_iter(row.iter()))?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn set_duplicates(&mut self, pairs: &[(i64, i64)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare("UPDATE items SET duplicate_of = ?2 WHERE id = ?1")?;
            for (id, of) in pairs {
                stmt.execute(params![id, of])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        index_items_after(&tx, 0)?;
        tx.execute("DELETE FROM meta WHERE key = ?1", [UNFINISHED])?;
        tx.commit()?;
        Ok(())
    }
}
