//! The SQL of the history: the schema (`schema.sql`), reserving ids, copying
//! rows in, and reading them back. Nothing else in the crate speaks SQL.
//!
//! Rows carry their final ids and are inserted with `INSERT OR IGNORE`, so
//! copying the same rows twice (a log swept by two processes, a batch
//! retried) changes nothing.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::HistoryError;
use crate::event::{EventKind, Record, Row};

const SCHEMA: &str = include_str!("schema.sql");

/// Longest stored kind quoted in [`HistoryError::UnknownKind`].
const MAX_SHOWN_KIND: usize = 64;

/// Set the journal and sync modes, wait up to `busy` for other writers, and
/// create the tables if they are not there.
pub(crate) fn init(conn: &Connection, busy: Duration) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(busy)?;
    conn.execute_batch(SCHEMA)
}

/// Reserve `block` ids, past every id in the database and every block
/// reserved before; returns the first.
pub(crate) fn reserve_ids(conn: &mut Connection, block: i64) -> rusqlite::Result<i64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let start: i64 = tx.query_row(
        "INSERT INTO id_blocks (k, next) VALUES (0, (SELECT coalesce(max(id), 0) + 1 FROM events))
         ON CONFLICT (k) DO UPDATE SET next = max(next, (SELECT coalesce(max(id), 0) + 1 FROM events))
         RETURNING next",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "UPDATE id_blocks SET next = ?1 WHERE k = 0",
        [start + block],
    )?;
    tx.commit()?;
    Ok(start)
}

/// Insert `rows` in one transaction; rows already there are left alone.
pub(crate) fn insert(conn: &mut Connection, rows: &[Row<'_>]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT OR IGNORE INTO events (id, ts_ms, session, kind, call_id, tool, plugin, digest, input, output, error_kind, message, duration_us)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for r in rows {
            stmt.execute(params![
                r.id,
                r.ts_ms,
                r.session,
                r.kind.as_str(),
                r.call_id,
                r.tool,
                r.plugin,
                r.digest,
                r.input,
                r.output,
                r.error_kind,
                r.message,
                r.duration_us,
            ])?;
        }
    }
    tx.commit()
}

/// The most recent `limit` events of the database at `path`, oldest first.
/// A row whose kind is unknown fails the read: it is not shown as another
/// kind, nor left out unseen.
pub(crate) fn recent(
    conn: &Connection,
    path: &str,
    limit: usize,
) -> Result<Vec<Record>, HistoryError> {
    let err = |source| HistoryError::Database {
        path: path.to_owned(),
        source,
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, ts_ms, session, kind, call_id, tool, plugin, digest, input, output, error_kind, message, duration_us
             FROM events ORDER BY ts_ms DESC, id DESC LIMIT ?1",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map([limit as i64], |r| {
            let id = r.get(0)?;
            let kind: String = r.get(3)?;
            let Some(kind) = EventKind::parse(&kind) else {
                return Ok(Err((id, kind)));
            };
            Ok(Ok(Record {
                id,
                ts_ms: r.get(1)?,
                session: r.get(2)?,
                kind,
                call_id: r.get(4)?,
                tool: r.get(5)?,
                plugin: r.get(6)?,
                digest: r.get(7)?,
                input: r.get(8)?,
                output: r.get(9)?,
                error_kind: r.get(10)?,
                message: r.get(11)?,
                duration_us: r.get(12)?,
            }))
        })
        .map_err(err)?;
    let mut out = Vec::new();
    for row in rows {
        match row.map_err(err)? {
            Ok(record) => out.push(record),
            Err((id, kind)) => {
                return Err(HistoryError::UnknownKind {
                    path: path.to_owned(),
                    id,
                    kind: bounded(&kind, MAX_SHOWN_KIND),
                });
            }
        }
    }
    out.reverse();
    Ok(out)
}

/// Number of events in the database.
pub(crate) fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .optional()
        .map(|n| n.unwrap_or(0))
}

/// `text` cut to at most `max` bytes on a char boundary, control characters
/// escaped, so that a stored value can be quoted in an error.
fn bounded(text: &str, max: usize) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        let piece: String = if ch.is_control() {
            ch.escape_default().collect()
        } else {
            ch.to_string()
        };
        if out.len() + piece.len() > max {
            out.push('…');
            break;
        }
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoted_values_are_bounded_and_escaped() {
        assert_eq!(super::bounded("tool_call", 64), "tool_call");
        assert_eq!(super::bounded("a\nb", 64), "a\\nb");
        assert_eq!(super::bounded(&"x".repeat(100), 4), "xxxx…");
    }
}
