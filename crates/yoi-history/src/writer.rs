//! The machinery behind a [`History`](crate::History): appends go to this
//! process's log and a pending buffer; a background thread commits the
//! buffer to SQLite in batches, reserves ids ahead, and sweeps the logs of
//! processes that are gone into the database.
//!
//! Guarantees kept here: an append returns only once its frame is in the
//! log; a batch whose commit fails stays pending (and in the log) and is
//! retried, in order; ids come from blocks reserved in the database, so no
//! two processes hand out the same id; a reader waits (at most [`WAIT`])
//! until everything this process appended is committed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Condvar, Mutex, MutexGuard};
use rusqlite::Connection;

use crate::HistoryError;
use crate::db;
use crate::event::{Event, Row};
use crate::log::{self, Log};

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
pub(crate) const WAIT: Duration = Duration::from_secs(5);
/// How often the writer looks for logs left by processes that are gone.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// What a [`History`](crate::History) and its writer thread share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) path: String,
    /// The log directory; `None` for an in-memory history.
    log_dir: Option<PathBuf>,
    conn: Mutex<Connection>,
    state: Mutex<State>,
    /// Wakes the writer: events are pending, or the history is closing.
    work: Condvar,
    /// Wakes readers and appenders: the writer has committed a batch.
    committed: Condvar,
    problems: Mutex<Problems>,
    /// The total size limit, and what keeping it has cost.
    limit: Mutex<Limit>,
}

/// [`History::usage`](crate::History::usage): the size of the database
/// against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    /// Bytes the database's live pages take, as last measured.
    pub bytes: u64,
    /// The limit (`[history] max_bytes`).
    pub max_bytes: u64,
    /// Notifications and ingress events deleted to keep the limit, since
    /// this history was opened.
    pub pruned_rows: u64,
    /// The database is over its limit holding only tool calls and their
    /// outcomes; they are kept (never dropped) and new ones still appended.
    pub over_limit: bool,
}

#[derive(Debug)]
struct Limit {
    usage: Usage,
    /// A prune has been reported since the database was last under the
    /// limit: one problem per crossing, not one per commit.
    reported_prune: bool,
}

#[derive(Debug, Default)]
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

/// Start the background writer of `shared`.
pub(crate) fn spawn(shared: Arc<Shared>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("yoi-history".into())
        .spawn(move || shared.write_loop())
}

/// Problems kept for [`History::take_problems`](crate::History::take_problems)
/// before the oldest are dropped (and counted).
const MAX_PROBLEMS: usize = 64;

/// What went wrong in the background and has no caller to return it to (a
/// torn log, a failed commit): kept as data for the front end to show; the
/// library never prints.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    kept: std::collections::VecDeque<String>,
    dropped: u64,
}

impl Shared {
    /// Keep a problem for the front end (see [`Problems`]).
    pub(crate) fn warn(&self, message: std::fmt::Arguments<'_>) {
        let mut p = self.problems.lock();
        if p.kept.len() == MAX_PROBLEMS {
            p.kept.pop_front();
            p.dropped += 1;
        }
        p.kept.push_back(message.to_string());
    }

    /// The problems kept since the last call, oldest first, and how many
    /// older ones were dropped.
    pub(crate) fn take_problems(&self) -> (Vec<String>, u64) {
        let mut p = self.problems.lock();
        let dropped = std::mem::take(&mut p.dropped);
        (p.kept.drain(..).collect(), dropped)
    }

    /// The state of a history over `conn` (initialised), shown as `path`,
    /// logging to `log_dir` (none for an in-memory history).
    pub(crate) fn new(
        conn: Connection,
        path: String,
        log_dir: Option<PathBuf>,
        max_bytes: u64,
    ) -> Shared {
        Shared {
            path,
            log_dir,
            conn: Mutex::new(conn),
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            committed: Condvar::new(),
            problems: Mutex::default(),
            limit: Mutex::new(Limit {
                usage: Usage {
                    bytes: 0,
                    max_bytes,
                    pruned_rows: 0,
                    over_limit: false,
                },
                reported_prune: false,
            }),
        }
    }

    /// The size of the database against its limit, as last measured.
    pub(crate) fn usage(&self) -> Usage {
        self.limit.lock().usage
    }

    /// Keep the database within its limit (see [`db::prune`]): delete the
    /// oldest notifications, then ingress events; never a tool call or
    /// outcome. Each crossing of the limit is one problem for the front
    /// end, as is finding only calls left over it.
    pub(crate) fn keep_limit(&self) {
        let max_bytes = self.limit.lock().usage.max_bytes;
        let result = {
            let mut conn = self.lock_conn();
            db::prune(&mut conn, max_bytes).and_then(|p| Ok((p, db::used_bytes(&conn)?)))
        };
        let (pruned, bytes) = match result {
            Ok(done) => done,
            Err(e) => {
                self.warn(format_args!(
                    "cannot keep history `{}` within its limit of {max_bytes} bytes: {e}",
                    self.path
                ));
                return;
            }
        };
        let mut limit = self.limit.lock();
        let was_over = limit.usage.over_limit;
        limit.usage.bytes = bytes;
        limit.usage.pruned_rows += pruned.rows;
        limit.usage.over_limit = pruned.over;
        let report_prune = pruned.rows > 0 && !limit.reported_prune;
        if pruned.rows > 0 {
            limit.reported_prune = true;
        } else if !pruned.over {
            limit.reported_prune = false;
        }
        drop(limit);
        if report_prune {
            self.warn(format_args!(
                "history `{}` reached its limit of {max_bytes} bytes (`[history] max_bytes`); the oldest plugin notifications and ingress events are being deleted ({} so far)",
                self.path, pruned.rows
            ));
        }
        if pruned.over && !was_over {
            self.warn(format_args!(
                "history `{}` is over its limit of {max_bytes} bytes with only tool calls and their outcomes left; they are kept and new ones still recorded: raise `[history] max_bytes` or move the database away",
                self.path
            ));
        }
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    pub(crate) fn lock_conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock()
    }

    pub(crate) fn db_err(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// Frame `e` into the log and the pending buffer; returns its id.
    pub(crate) fn append(&self, e: &Event<'_>) -> Result<i64, HistoryError> {
        let mut state = self.lock_state();
        if state.pending.len() >= MAX_PENDING {
            self.committed
                .wait_while_for(&mut state, |s| s.pending.len() >= MAX_PENDING, WAIT);
            if state.pending.len() >= MAX_PENDING {
                return Err(HistoryError::Behind {
                    path: self.path.clone(),
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
                None => self.reserve_ids()?,
            };
            state.next_id = start;
            state.block_end = start + ID_BLOCK;
        }
        if state.log.is_none()
            && let Some(dir) = &self.log_dir
        {
            state.log = Some(Log::create(dir).map_err(|source| HistoryError::Io {
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
            return Err(HistoryError::Io {
                path: self
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
            self.work.notify_one();
        }
        Ok(id)
    }

    /// Tell the writer to commit what is pending and stop.
    pub(crate) fn close(&self) {
        self.lock_state().closing = true;
        self.work.notify_one();
    }

    /// Once the writer has stopped: remove this process's log if everything
    /// it held is in the database. Otherwise it stays, for the next process
    /// to copy in.
    pub(crate) fn remove_log_if_done(&self) {
        let mut state = self.lock_state();
        if state.pending.is_empty()
            && state.failing.is_none()
            && let Some(log) = state.log.take()
        {
            log.remove();
        }
    }

    /// Reserve [`ID_BLOCK`] ids; returns the first.
    fn reserve_ids(&self) -> Result<i64, HistoryError> {
        db::reserve_ids(&mut self.lock_conn(), ID_BLOCK).map_err(|e| self.db_err(e))
    }

    /// Wait until everything this process appended is in the database (at
    /// most [`WAIT`]: while commits fail, the writer retries at once for a
    /// waiting reader), then copy in what other processes' logs hold.
    pub(crate) fn catch_up(&self) {
        let mut state = self.lock_state();
        let target = state.appended;
        if state.ingested < target {
            state.hurry = true;
            self.work.notify_one();
        }
        self.committed
            .wait_while_for(&mut state, |s| s.ingested < target, WAIT);
        drop(state);
        self.sweep();
    }

    /// Copy other processes' logs into the database; remove those whose
    /// owner is gone.
    pub(crate) fn sweep(&self) {
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
                self.warn(format_args!(
                    "history log in `{}` ends in an incomplete event (cut off by a crash); the events before it are kept",
                    dir.display()
                ));
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
                Err(e) => self.warn(format_args!(
                    "cannot copy a history log into `{}`: {e}; it is kept",
                    self.path
                )),
            }
        }
    }

    fn insert(&self, rows: &[Row<'_>]) -> Result<(), rusqlite::Error> {
        db::insert(&mut self.lock_conn(), rows)
    }

    /// The background writer: commit pending events in batches.
    fn write_loop(&self) {
        let mut last_sweep = Instant::now();
        loop {
            let mut state = self.lock_state();
            while state.pending.is_empty() && !state.closing {
                let timeout = self.work.wait_for(&mut state, SWEEP_EVERY);
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
            self.work.wait_while_for(
                &mut state,
                |s| !s.closing && !s.hurry && s.pending.len() < BATCH_BYTES,
                BATCH_WINDOW,
            );
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
                    self.keep_limit();
                    self.committed.notify_all();
                    if let Some(segment) = segment
                        && let Err(e) = segment.truncate()
                    {
                        // The segment is re-read by whoever sweeps it; the
                        // copy is idempotent, so this only costs space.
                        self.warn(format_args!("cannot truncate a history log segment: {e}"));
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
                        self.warn(format_args!(
                            "cannot write history to `{}`: {e}; events stay in the log and are retried",
                            self.path
                        ));
                    }
                    if closing {
                        return;
                    }
                    // Retry in a second, or as soon as a reader waits.
                    let mut state = self.lock_state();
                    self.work
                        .wait_while_for(&mut state, |s| !s.hurry && !s.closing, SWEEP_EVERY);
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
    use crate::{EventKind, History};

    fn call(session: &str) -> Event<'_> {
        Event {
            tool: Some("echo"),
            input: Some("{\"text\":\"hi\"}"),
            ..Event::new(session, EventKind::ToolCall)
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
            .args(["--exact", "writer::tests::killed_writer", "--nocapture"])
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
}
