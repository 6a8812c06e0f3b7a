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
/// create the tables if they are not there (adding columns a database made
/// by an older build lacks).
pub(crate) fn init(conn: &Connection, busy: Duration) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(busy)?;
    conn.execute_batch(SCHEMA)?;
    let has_notice_kind: bool = conn.query_row(
        "SELECT count(*) FROM pragma_table_info('events') WHERE name = 'notice_kind'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !has_notice_kind {
        conn.execute_batch("ALTER TABLE events ADD COLUMN notice_kind TEXT")?;
    }
    Ok(())
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
            "INSERT OR IGNORE INTO events (id, ts_ms, session, kind, call_id, tool, plugin, digest, input, output, error_kind, message, duration_us, notice_kind)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
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
                r.notice_kind,
            ])?;
        }
    }
    tx.commit()
}

/// The most recent `limit` events of the database at `path`, oldest first;
/// with `session`, only that session's tool calls and their outcomes.
/// A row whose kind is unknown fails the read: it is not shown as another
/// kind, nor left out unseen.
pub(crate) fn recent(
    conn: &Connection,
    path: &str,
    limit: usize,
    session: Option<&str>,
) -> Result<Vec<Record>, HistoryError> {
    let err = |source| HistoryError::Database {
        path: path.to_owned(),
        source,
    };
    const COLUMNS: &str = "id, ts_ms, session, kind, call_id, tool, plugin, digest, input, output, error_kind, message, duration_us, notice_kind";
    let sql = match session {
        None => format!("SELECT {COLUMNS} FROM events ORDER BY ts_ms DESC, id DESC LIMIT ?1"),
        Some(_) => format!(
            "SELECT {COLUMNS} FROM events WHERE session = ?2 AND kind IN ('tool_call', 'tool_result', 'tool_error')
             ORDER BY ts_ms DESC, id DESC LIMIT ?1"
        ),
    };
    let mut stmt = conn.prepare_cached(&sql).map_err(err)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let params: Vec<&dyn rusqlite::ToSql> = match &session {
        None => vec![&limit],
        Some(s) => vec![&limit, s],
    };
    let rows = stmt
        .query_map(params.as_slice(), |r| {
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
                notice_kind: r.get(13)?,
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
                    kind: yoi_manifest::bounded(&kind, MAX_SHOWN_KIND),
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

/// Bytes the database's live pages take (freed pages, which SQLite reuses,
/// not counted).
pub(crate) fn used_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT (p.page_count - f.freelist_count) * s.page_size
         FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| u64::try_from(n).unwrap_or(0))
}

/// Rows deleted per pruning transaction.
const PRUNE_CHUNK: i64 = 256;

/// What [`prune`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pruned {
    /// Rows deleted.
    pub(crate) rows: u64,
    /// The database is still over the limit: only tool calls and their
    /// outcomes remain, and those are never deleted.
    pub(crate) over: bool,
}

/// Delete the oldest plugin notifications, then the oldest ingress events,
/// until the database takes at most `max_bytes`. Tool calls, results and
/// errors are never deleted.
pub(crate) fn prune(conn: &mut Connection, max_bytes: u64) -> rusqlite::Result<Pruned> {
    let mut pruned = Pruned::default();
    for kind in [EventKind::Notification, EventKind::IngressEvent] {
        while used_bytes(conn)? > max_bytes {
            let deleted = conn.execute(
                "DELETE FROM events WHERE id IN
                 (SELECT id FROM events WHERE kind = ?1 ORDER BY ts_ms, id LIMIT ?2)",
                params![kind.as_str(), PRUNE_CHUNK],
            )?;
            if deleted == 0 {
                break;
            }
            pruned.rows += deleted as u64;
        }
    }
    pruned.over = used_bytes(conn)? > max_bytes;
    Ok(pruned)
}
