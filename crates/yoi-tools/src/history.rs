//! The durable, append-only history of a workspace (`.yoi/history.db`).
//!
//! An event is durable before [`History::append`] returns: it is written,
//! with one `write(2)`, to this process's log under `.yoi/history.db-log/`
//! (see [`log`]). A background writer then commits events to SQLite (WAL
//! mode, `synchronous=NORMAL`) in batches, one transaction per batch, and
//! empties the log. So a tool call costs a file append, not a database
//! commit, and concurrent calls do not queue behind each other's commits.
//!
//! What is guaranteed:
//! - An event appended before the process is killed (or panics, or exits
//!   without closing the history) is not lost: the next process that opens
//!   the history, or a running one within about a second, finds the log of
//!   the dead process and copies it into the database.
//! - Readers in this process ([`History::recent`], [`History::count`]) see
//!   every event this process appended, and what other processes' logs hold
//!   when they read.
//! - An operating-system crash or power loss can lose the most recent
//!   events (as with SQLite's `synchronous=NORMAL`), never corrupt earlier
//!   ones: a frame cut off by the crash fails its checksum and ends the log.
//!
//! Ids are unique across processes (each writer reserves a block of ids in
//! the database) and increase within a process; events are listed in time
//! order. Inputs and outputs are recorded bounded to [`MAX_RECORDED_BYTES`]
//! (with a marker).

mod log;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use self::log::Log;

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
CREATE INDEX IF NOT EXISTS events_time ON events(ts_ms, id);
CREATE TABLE IF NOT EXISTS id_blocks (
    k    INTEGER PRIMARY KEY,
    next INTEGER NOT NULL
);
";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum EventKind {
    /// A tool was called (recorded before it runs).
    ToolCall = 0,
    /// The call returned a result.
    ToolResult = 1,
    /// The call ended in an error (guest error, sandbox stop, or refusal).
    ToolError = 2,
    /// An ingress event was accepted.
    IngressEvent = 3,
    /// A plugin emitted a visible notification.
    Notification = 4,
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

    fn from_u8(n: u8) -> Option<EventKind> {
        [
            EventKind::ToolCall,
            EventKind::ToolResult,
            EventKind::ToolError,
            EventKind::IngressEvent,
            EventKind::Notification,
        ]
        .get(usize::from(n))
        .copied()
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

/// One event as stored, borrowed from the log frame that carries it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row<'a> {
    id: i64,
    ts_ms: i64,
    kind: EventKind,
    call_id: Option<i64>,
    duration_us: Option<i64>,
    session: &'a str,
    tool: Option<&'a str>,
    plugin: Option<&'a str>,
    digest: Option<&'a str>,
    input: Option<&'a str>,
    output: Option<&'a str>,
    error_kind: Option<&'a str>,
    message: Option<&'a str>,
}

/// Ids handed out per reservation. Each writer reserves a block of ids in
/// the database and numbers its events from it without asking again.
const ID_BLOCK: i64 = 1024;
/// Bytes of events waiting for the writer before appends wait for room.
const MAX_PENDING: usize = 64 << 20;
/// How long the writer lets events gather before committing them, unless a
/// reader is waiting or [`BATCH_BYTES`] have gathered. Events are durable in
/// the log meanwhile; this only delays when other processes' readers see
/// them without reading the log.
const BATCH_WINDOW: Duration = Duration::from_millis(2);
const BATCH_BYTES: usize = 1 << 20;
/// How long a reader or a full queue waits for the writer.
const WAIT: Duration = Duration::from_secs(5);
/// How often the writer looks for logs left by processes that are gone.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The history of a workspace.
#[derive(Debug)]
pub struct History {
    shared: Arc<Shared>,
    writer: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    path: String,
    /// The log directory; `None` for an in-memory history.
    log_dir: Option<PathBuf>,
    conn: Mutex<Connection>,
    state: Mutex<State>,
    /// Wakes the writer: events are pending, or the history is closing.
    work: Condvar,
    /// Wakes readers and appenders: the writer has committed a batch.
    committed: Condvar,
}

#[derive(Debug)]
struct State {
    /// Created on the first append, so that a reader leaves no log behind.
    log: Option<Log>,
    next_id: i64,
    block_end: i64,
    /// A block the writer reserved ahead, so that appends rarely wait for
    /// the database.
    spare_block: Option<i64>,
    last_ts: i64,
    /// Frames (see [`log`]) appended and not yet committed, oldest first.
    pending: Vec<u8>,
    /// The last id appended, and the last id the database holds.
    appended: i64,
    ingested: i64,
    /// A reader is waiting: commit without waiting for the batch window.
    hurry: bool,
    /// Why the last commit failed, while it keeps failing.
    failing: Option<String>,
    closing: bool,
}

impl History {
    /// Open (creating if needed) the database at `path`, with its log
    /// directory `<path>-log/` next to it. Logs left there by processes that
    /// are gone are copied into the database first.
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
        let mut log_dir = path.as_os_str().to_owned();
        log_dir.push("-log");
        let history = History::init(conn, shown, Some(PathBuf::from(log_dir)))?;
        history.shared.sweep();
        Ok(history)
    }

    /// An in-memory history (tests, benchmarks, `plugin dev --no-history`).
    pub fn in_memory() -> Result<History, ToolsError> {
        let conn = Connection::open_in_memory().map_err(|source| ToolsError::History {
            path: ":memory:".into(),
            source,
        })?;
        History::init(conn, ":memory:".into(), None)
    }

    fn init(
        conn: Connection,
        path: String,
        log_dir: Option<PathBuf>,
    ) -> Result<History, ToolsError> {
        let err = |source| ToolsError::History {
            path: path.clone(),
            source,
        };
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.busy_timeout(WAIT).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        let shared = Arc::new(Shared {
            path,
            log_dir,
            conn: Mutex::new(conn),
            state: Mutex::new(State {
                log: None,
                next_id: 0,
                block_end: 0,
                spare_block: None,
                last_ts: 0,
                pending: Vec::new(),
                appended: 0,
                ingested: 0,
                hurry: false,
                failing: None,
                closing: false,
            }),
            work: Condvar::new(),
            committed: Condvar::new(),
        });
        let writer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("yoi-history".into())
                .spawn(move || shared.write_loop())
                .map_err(|source| ToolsError::Io {
                    path: "the history writer thread".into(),
                    source,
                })?
        };
        Ok(History {
            shared,
            writer: Some(writer),
        })
    }

    /// Append one event; returns its id.
    ///
    /// When this returns, the event is in this process's log: it survives
    /// the process being killed. It reaches the database a moment later.
    pub fn append(&self, e: &Event<'_>) -> Result<i64, ToolsError> {
        let shared = &*self.shared;
        let mut state = shared.lock_state();
        if state.pending.len() >= MAX_PENDING {
            let (s, _) = shared
                .committed
                .wait_timeout_while(state, WAIT, |s| s.pending.len() >= MAX_PENDING)
                .unwrap_or_else(|e| e.into_inner());
            state = s;
            if state.pending.len() >= MAX_PENDING {
                return Err(ToolsError::Behind {
                    path: shared.path.clone(),
                    reason: state
                        .failing
                        .clone()
                        .unwrap_or_else(|| "it is too slow".into()),
                });
            }
        }
        if state.next_id == state.block_end {
            let start = match state.spare_block.take() {
                Some(start) => start,
                None => shared.reserve_ids()?,
            };
            state.next_id = start;
            state.block_end = start + ID_BLOCK;
        }
        if state.log.is_none()
            && let Some(dir) = &shared.log_dir
        {
            state.log = Some(Log::create(dir).map_err(|source| ToolsError::Io {
                path: dir.display().to_string(),
                source,
            })?);
        }
        let id = state.next_id;
        let ts_ms = now_ms().max(state.last_ts);
        let start = state.pending.len();
        log::frame(&mut state.pending, id, ts_ms, e);
        if let Some(log) = &state.log
            && let Err(source) = log.write(&state.pending[start..])
        {
            state.pending.truncate(start);
            return Err(ToolsError::Io {
                path: shared
                    .log_dir
                    .as_deref()
                    .unwrap_or(Path::new(""))
                    .display()
                    .to_string(),
                source,
            });
        }
        state.next_id += 1;
        state.last_ts = ts_ms;
        state.appended = id;
        // The writer sleeps while nothing is pending and lets a batch gather
        // once something is: wake it for the first event and a full batch.
        let wake = start == 0 || (start < BATCH_BYTES && state.pending.len() >= BATCH_BYTES);
        drop(state);
        if wake {
            shared.work.notify_one();
        }
        Ok(id)
    }

    /// The most recent `limit` events, oldest first, including everything
    /// this process has appended and what other processes' logs hold.
    pub fn recent(&self, limit: usize) -> Result<Vec<Record>, ToolsError> {
        self.shared.catch_up();
        let conn = self.shared.lock_conn();
        let err = |source| ToolsError::History {
            path: self.shared.path.clone(),
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

    /// Number of events stored, as [`History::recent`] sees them.
    pub fn count(&self) -> Result<i64, ToolsError> {
        self.shared.catch_up();
        self.shared
            .lock_conn()
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .optional()
            .map(|n| n.unwrap_or(0))
            .map_err(|source| ToolsError::History {
                path: self.shared.path.clone(),
                source,
            })
    }
}

impl Drop for History {
    /// Commit what is pending, then remove the log. If the database cannot
    /// take it, the log stays and the next process to open the history
    /// copies it in.
    fn drop(&mut self) {
        self.shared.lock_state().closing = true;
        self.shared.work.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        let mut state = self.shared.lock_state();
        if state.pending.is_empty()
            && state.failing.is_none()
            && let Some(log) = state.log.take()
        {
            log.remove();
        }
    }
}

impl Shared {
    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn db_err(&self, source: rusqlite::Error) -> ToolsError {
        ToolsError::History {
            path: self.path.clone(),
            source,
        }
    }

    /// Reserve [`ID_BLOCK`] ids; returns the first.
    fn reserve_ids(&self) -> Result<i64, ToolsError> {
        let mut conn = self.lock_conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.db_err(e))?;
        let start: i64 = tx
            .query_row(
                "INSERT INTO id_blocks (k, next) VALUES (0, (SELECT coalesce(max(id), 0) + 1 FROM events))
                 ON CONFLICT (k) DO UPDATE SET next = max(next, (SELECT coalesce(max(id), 0) + 1 FROM events))
                 RETURNING next",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.db_err(e))?;
        tx.execute(
            "UPDATE id_blocks SET next = ?1 WHERE k = 0",
            [start + ID_BLOCK],
        )
        .map_err(|e| self.db_err(e))?;
        tx.commit().map_err(|e| self.db_err(e))?;
        Ok(start)
    }

    /// Insert `rows` in one transaction; rows already there are left alone.
    fn insert(&self, rows: &[Row<'_>]) -> Result<(), rusqlite::Error> {
        let mut conn = self.lock_conn();
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

    /// Wait until everything this process appended is in the database (at
    /// most [`WAIT`]: while commits fail, the writer retries at once for a
    /// waiting reader), then copy in what other processes' logs hold.
    fn catch_up(&self) {
        let mut state = self.lock_state();
        let target = state.appended;
        if state.ingested < target {
            state.hurry = true;
            self.work.notify_one();
        }
        let _ = self
            .committed
            .wait_timeout_while(state, WAIT, |s| s.ingested < target)
            .unwrap_or_else(|e| e.into_inner());
        self.sweep();
    }

    /// Copy other processes' logs into the database; remove those whose
    /// owner is gone.
    fn sweep(&self) {
        let Some(dir) = &self.log_dir else {
            return;
        };
        let own = self.lock_state().log.as_ref().map(|l| l.stem().to_owned());
        for found in log::scan(dir, own.as_deref()) {
            let mut rows = Vec::new();
            let torn = found
                .segments
                .iter()
                .fold(false, |torn, s| log::parse(s, true, &mut rows) | torn);
            if torn && found.orphan.is_some() {
                eprintln!(
                    "yoi: warning: history log in `{}` ends in an incomplete event (cut off by a crash); the events before it are kept",
                    dir.display()
                );
            }
            // A live log is usually empty (its owner commits within
            // milliseconds): no transaction for nothing.
            let copied = if rows.is_empty() {
                Ok(())
            } else {
                self.insert(&rows)
            };
            match copied {
                Ok(()) => {
                    if let Some(orphan) = found.orphan {
                        orphan.remove();
                    }
                }
                Err(e) => eprintln!(
                    "yoi: warning: cannot copy a history log into `{}`: {e}; it is kept",
                    self.path
                ),
            }
        }
    }

    /// The background writer: commit pending events in batches.
    fn write_loop(&self) {
        let mut last_sweep = Instant::now();
        loop {
            let mut state = self.lock_state();
            while state.pending.is_empty() && !state.closing {
                let (s, timeout) = self
                    .work
                    .wait_timeout(state, SWEEP_EVERY)
                    .unwrap_or_else(|e| e.into_inner());
                state = s;
                if timeout.timed_out() && state.pending.is_empty() {
                    drop(state);
                    self.sweep();
                    last_sweep = Instant::now();
                    state = self.lock_state();
                }
            }
            if state.pending.is_empty() {
                return;
            }
            let (s, _) = self
                .work
                .wait_timeout_while(state, BATCH_WINDOW, |s| {
                    !s.closing && !s.hurry && s.pending.len() < BATCH_BYTES
                })
                .unwrap_or_else(|e| e.into_inner());
            state = s;
            state.hurry = false;
            let batch = std::mem::take(&mut state.pending);
            let last_id = state.appended;
            let segment = state.log.as_mut().map(Log::swap);
            let closing = state.closing;
            let want_spare = state.spare_block.is_none()
                && state.block_end > 0
                && state.block_end - state.next_id < ID_BLOCK / 2;
            drop(state);

            let mut rows = Vec::new();
            log::parse(&batch, false, &mut rows);
            let result = self.insert(&rows);
            let spare = want_spare.then(|| self.reserve_ids().ok()).flatten();
            let mut state = self.lock_state();
            if state.spare_block.is_none() {
                state.spare_block = spare;
            }
            match result {
                Ok(()) => {
                    state.ingested = last_id;
                    state.failing = None;
                    drop(state);
                    self.committed.notify_all();
                    if let Some(segment) = segment
                        && let Err(e) = segment.truncate()
                    {
                        // The segment is re-read by whoever sweeps it; the
                        // copy is idempotent, so this only costs space.
                        eprintln!("yoi: warning: cannot truncate a history log segment: {e}");
                    }
                }
                Err(e) => {
                    let first = state.failing.is_none();
                    state.failing = Some(e.to_string());
                    // Put the batch back in front, in order; its segment is
                    // not truncated, so the log still holds it as well.
                    let later = std::mem::replace(&mut state.pending, batch);
                    state.pending.extend(later);
                    drop(state);
                    self.committed.notify_all();
                    if first {
                        eprintln!(
                            "yoi: warning: cannot write history to `{}`: {e}; events stay in the log and are retried",
                            self.path
                        );
                    }
                    if closing {
                        return;
                    }
                    // Retry in a second, or as soon as a reader waits.
                    let state = self.lock_state();
                    let _ = self
                        .work
                        .wait_timeout_while(state, SWEEP_EVERY, |s| !s.hurry && !s.closing)
                        .unwrap_or_else(|e| e.into_inner());
                }
            }
            if last_sweep.elapsed() >= SWEEP_EVERY * 5 {
                self.sweep();
                last_sweep = Instant::now();
            }
        }
    }
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

    fn call(session: &str) -> Event<'_> {
        Event {
            session,
            kind: Some(EventKind::ToolCall),
            tool: Some("echo"),
            input: Some("{\"text\":\"hi\"}"),
            ..Event::default()
        }
    }

    /// The child half of `events_of_a_killed_process_are_recovered`: runs
    /// only in the process that test starts.
    #[test]
    fn killed_writer() {
        let Some(db) = std::env::var_os("YOI_HISTORY_KILLED_WRITER") else {
            return;
        };
        let db = std::path::PathBuf::from(db);
        let h = History::open(&db).unwrap();
        // The first append reserves this writer's ids in the database.
        h.append(&call("committed")).unwrap();
        assert_eq!(h.count().unwrap(), 1);
        // Then hold the database so that nothing more reaches it: whatever
        // else the parent finds came from the log.
        let blocker = Connection::open(&db).unwrap();
        blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
        for _ in 0..3 {
            h.append(&call("killed")).unwrap();
        }
        std::process::abort();
    }

    #[test]
    fn events_of_a_killed_process_are_recovered() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.db");
        drop(History::open(&db).unwrap());
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "history::tests::killed_writer", "--nocapture"])
            .env("YOI_HISTORY_KILLED_WRITER", &db)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "the child must die, not finish");
        let log_dir = dir.path().join("history.db-log");
        assert_eq!(
            std::fs::read_dir(&log_dir).unwrap().count(),
            3,
            "the dead writer's lock and two segments are left behind"
        );

        let h = History::open(&db).unwrap();
        let sessions: Vec<String> = h
            .recent(10)
            .unwrap()
            .into_iter()
            .map(|r| r.session)
            .collect();
        assert_eq!(sessions, ["committed", "killed", "killed", "killed"]);
        assert_eq!(std::fs::read_dir(&log_dir).unwrap().count(), 0);
    }

    /// A commit that fails (here: the database stays locked past the busy
    /// timeout) keeps its events and retries them.
    #[test]
    fn events_whose_commit_fails_are_kept_and_retried() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.db");
        let h = History::open(&db).unwrap();
        h.append(&call("before")).unwrap();
        assert_eq!(h.count().unwrap(), 1);
        let blocker = Connection::open(&db).unwrap();
        blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
        for _ in 0..3 {
            h.append(&call("blocked")).unwrap();
        }
        // Past the writer's 5 s busy timeout: its commit fails once.
        let failed = Instant::now() + WAIT + Duration::from_millis(500);
        while h.shared.lock_state().failing.is_none() {
            assert!(Instant::now() < failed, "the commit never failed");
            std::thread::sleep(Duration::from_millis(50));
        }
        blocker.execute_batch("COMMIT").unwrap();
        drop(blocker);
        let sessions: Vec<String> = h
            .recent(10)
            .unwrap()
            .into_iter()
            .map(|r| r.session)
            .collect();
        assert_eq!(sessions, ["before", "blocked", "blocked", "blocked"]);
    }

    #[test]
    fn writers_sharing_a_database_get_distinct_ids_and_see_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.db");
        let a = History::open(&db).unwrap();
        let b = History::open(&db).unwrap();
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(a.append(&call("a")).unwrap());
            ids.push(b.append(&call("b")).unwrap());
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        // `a` sees what `b` has logged, committed or not.
        let seen = a.recent(100).unwrap();
        assert_eq!(seen.len(), 10);
        assert!(seen.windows(2).all(|w| w[0].ts_ms <= w[1].ts_ms));
        drop(b);
        drop(a);
        assert_eq!(History::open(&db).unwrap().count().unwrap(), 10);
        assert_eq!(
            std::fs::read_dir(dir.path().join("history.db-log"))
                .unwrap()
                .count(),
            0
        );
    }
}
