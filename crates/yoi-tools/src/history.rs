//! The durable, append-only history of a workspace (`.yoi/history.db`).
//!
//! SQLite in WAL mode. Each event is one row, inserted in its own
//! transaction before the caller sees the outcome. With `synchronous=NORMAL`
//! (the WAL default recommended by SQLite) a committed event survives a crash
//! or kill of the yoi process; an operating-system crash or power loss can
//! lose the most recent events but never corrupts the database. Inputs and
//! outputs are recorded bounded to [`MAX_RECORDED_BYTES`] (with a marker).

use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::ToolsError;

/// Largest input or output text stored per event.
pub const MAX_RECORDED_BYTES: usize = 64 * 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms       INTEGER NOT NULL,
    session     TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    call_id     INTEGER,
    tool        TEXT,
    plugin      TEXT,
    digest      TEXT,
    input       TEXT,
    output      TEXT,
    error_kind  TEXT,
    message     TEXT,
    duration_us INTEGER
);
CREATE INDEX IF NOT EXISTS events_call ON events(call_id);
";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A tool was called (recorded before it runs).
    ToolCall,
    /// The call returned a result.
    ToolResult,
    /// The call ended in an error (guest error, sandbox stop, or refusal).
    ToolError,
    /// An ingress event was accepted.
    IngressEvent,
    /// A plugin emitted a visible notification.
    Notification,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            EventKind::ToolCall => "tool_call",
            EventKind::ToolResult => "tool_result",
            EventKind::ToolError => "tool_error",
            EventKind::IngressEvent => "ingress_event",
            EventKind::Notification => "notification",
        }
    }

    fn parse(s: &str) -> EventKind {
        match s {
            "tool_call" => EventKind::ToolCall,
            "tool_result" => EventKind::ToolResult,
            "tool_error" => EventKind::ToolError,
            "ingress_event" => EventKind::IngressEvent,
            _ => EventKind::Notification,
        }
    }
}

/// An event to append.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    pub session: &'a str,
    pub kind: Option<EventKind>,
    pub call_id: Option<i64>,
    pub tool: Option<&'a str>,
    pub plugin: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub input: Option<&'a str>,
    pub output: Option<&'a str>,
    pub error_kind: Option<&'a str>,
    pub message: Option<&'a str>,
    pub duration_us: Option<u64>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub id: i64,
    pub ts_ms: i64,
    pub session: String,
    pub kind: EventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_us: Option<i64>,
}

/// The history database.
#[derive(Debug)]
pub struct History {
    conn: Mutex<Connection>,
    path: String,
}

impl History {
    /// Open (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<History, ToolsError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| ToolsError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let shown = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| ToolsError::History {
            path: shown.clone(),
            source,
        })?;
        History::init(conn, shown)
    }

    /// An in-memory history (tests, benchmarks, `--no-history` runs).
    pub fn in_memory() -> Result<History, ToolsError> {
        let conn = Connection::open_in_memory().map_err(|source| ToolsError::History {
            path: ":memory:".into(),
            source,
        })?;
        History::init(conn, ":memory:".into())
    }

    fn init(conn: Connection, path: String) -> Result<History, ToolsError> {
        let err = |source| ToolsError::History {
            path: path.clone(),
            source,
        };
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(History {
            conn: Mutex::new(conn),
            path,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Append one event; returns its id.
    pub fn append(&self, e: &Event<'_>) -> Result<i64, ToolsError> {
        let conn = self.lock();
        let bounded = |s: Option<&str>| s.map(bound);
        conn.prepare_cached(
            "INSERT INTO events (ts_ms, session, kind, call_id, tool, plugin, digest, input, output, error_kind, message, duration_us)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                now_ms(),
                e.session,
                e.kind.unwrap_or(EventKind::Notification).as_str(),
                e.call_id,
                e.tool,
                e.plugin,
                e.digest,
                bounded(e.input),
                bounded(e.output),
                e.error_kind,
                bounded(e.message),
                e.duration_us.map(|d| d as i64),
            ])
        })
        .map_err(|source| ToolsError::History { path: self.path.clone(), source })?;
        Ok(conn.last_insert_rowid())
    }

    /// The most recent `limit` events, oldest first.
    pub fn recent(&self, limit: usize) -> Result<Vec<Record>, ToolsError> {
        let conn = self.lock();
        let err = |source| ToolsError::History {
            path: self.path.clone(),
            source,
        };
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, ts_ms, session, kind, call_id, tool, plugin, digest, input, output, error_kind, message, duration_us
                 FROM events ORDER BY id DESC LIMIT ?1",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(Record {
                    id: r.get(0)?,
                    ts_ms: r.get(1)?,
                    session: r.get(2)?,
                    kind: EventKind::parse(&r.get::<_, String>(3)?),
                    call_id: r.get(4)?,
                    tool: r.get(5)?,
                    plugin: r.get(6)?,
                    digest: r.get(7)?,
                    input: r.get(8)?,
                    output: r.get(9)?,
                    error_kind: r.get(10)?,
                    message: r.get(11)?,
                    duration_us: r.get(12)?,
                })
            })
            .map_err(err)?;
        let mut out = rows.collect::<Result<Vec<_>, _>>().map_err(err)?;
        out.reverse();
        Ok(out)
    }

    /// Number of events stored.
    pub fn count(&self) -> Result<i64, ToolsError> {
        self.lock()
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .optional()
            .map(|n| n.unwrap_or(0))
            .map_err(|source| ToolsError::History {
                path: self.path.clone(),
                source,
            })
    }
}

fn bound(s: &str) -> String {
    if s.len() <= MAX_RECORDED_BYTES {
        return s.to_owned();
    }
    let mut end = MAX_RECORDED_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[{} bytes truncated]", &s[..end], s.len() - end)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_survive_reopen_and_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".yoi/history.db");
        {
            let h = History::open(&path).unwrap();
            let id = h
                .append(&Event {
                    session: "s1",
                    kind: Some(EventKind::ToolCall),
                    tool: Some("echo"),
                    input: Some("{}"),
                    ..Event::default()
                })
                .unwrap();
            let big = "x".repeat(MAX_RECORDED_BYTES + 10);
            h.append(&Event {
                session: "s1",
                kind: Some(EventKind::ToolResult),
                call_id: Some(id),
                output: Some(&big),
                ..Event::default()
            })
            .unwrap();
        }
        let h = History::open(&path).unwrap();
        let recent = h.recent(10).unwrap();
        assert_eq!(recent.len(), 2);
        assert_eq!(recent[0].kind, EventKind::ToolCall);
        assert_eq!(recent[1].call_id, Some(recent[0].id));
        assert!(
            recent[1]
                .output
                .as_ref()
                .unwrap()
                .ends_with("[10 bytes truncated]")
        );
        assert_eq!(h.recent(1).unwrap()[0].id, recent[1].id);
    }
}
