//! [`History`]: open a workspace's history, append events, read them back.
//!
//! The API is synchronous and cheap: [`History::append`] writes one frame to
//! this process's log (durable from then on) and returns; the commit to
//! SQLite happens on the writer thread. Readers first wait for that commit,
//! so they see everything this process appended.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

use crate::HistoryError;
use crate::db;
use crate::event::{Event, Record};
use crate::writer::{self, Shared, Usage, WAIT};

/// The default of `[history] max_bytes`: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// The smallest `[history] max_bytes` accepted: 1 MiB.
pub const MIN_MAX_BYTES: u64 = 1 << 20;
/// The largest `[history] max_bytes` accepted: 1 TiB.
pub const MAX_MAX_BYTES: u64 = 1 << 40;

/// The history of a workspace. Dropping it commits what is pending and
/// stops its writer thread.
#[derive(Debug)]
pub struct History {
    pub(crate) shared: Arc<Shared>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl History {
    /// [`History::open_with_limit`] with the default limit,
    /// [`DEFAULT_MAX_BYTES`].
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        History::open_with_limit(path, DEFAULT_MAX_BYTES)
    }

    /// Open (creating if needed) the database at `path`, with its log
    /// directory `<path>-log/` next to it, kept within `max_bytes` (from
    /// [`MIN_MAX_BYTES`] to [`MAX_MAX_BYTES`]). Logs left there by processes
    /// that are gone are copied into the database first.
    ///
    /// Files are created 0600 and directories 0700 (the database's own
    /// directory included); looser ones are tightened.
    ///
    /// At the limit, the oldest plugin notifications are deleted first,
    /// then the oldest ingress events; tool calls, results and errors are
    /// never deleted. Over the limit with only those left, new ones are
    /// still recorded and the history says so ([`History::usage`],
    /// [`History::take_problems`]): a call is never dropped silently, and
    /// never refused for the history's sake.
    pub fn open_with_limit(path: &Path, max_bytes: u64) -> Result<History, HistoryError> {
        check_max_bytes(max_bytes)?;
        let io = |p: &Path| {
            let path = p.display().to_string();
            move |source| HistoryError::Io { path, source }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private::dir(dir).map_err(io(dir))?;
        }
        crate::private::db_file(path).map_err(io(path))?;
        let mut log_dir = path.as_os_str().to_owned();
        log_dir.push("-log");
        let log_dir = PathBuf::from(log_dir);
        match crate::private::tighten(&log_dir, crate::private::DIR_MODE) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&log_dir)(e)),
            _ => {}
        }
        let shown = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| HistoryError::Database {
            path: shown.clone(),
            source,
        })?;
        let history = History::init(conn, shown, Some(log_dir), max_bytes)?;
        history.shared.sweep();
        history.shared.keep_limit();
        Ok(history)
    }

    /// An in-memory history (tests, benchmarks, `plugin dev --no-history`).
    pub fn in_memory() -> Result<History, HistoryError> {
        let conn = Connection::open_in_memory().map_err(|source| HistoryError::Database {
            path: ":memory:".into(),
            source,
        })?;
        History::init(conn, ":memory:".into(), None, DEFAULT_MAX_BYTES)
    }

    fn init(
        conn: Connection,
        path: String,
        log_dir: Option<PathBuf>,
        max_bytes: u64,
    ) -> Result<History, HistoryError> {
        db::init(&conn, WAIT).map_err(|source| HistoryError::Database {
            path: path.clone(),
            source,
        })?;
        let shared = Arc::new(Shared::new(conn, path, log_dir, max_bytes));
        let writer = writer::spawn(shared.clone()).map_err(|source| HistoryError::Io {
            path: "the history writer thread".into(),
            source,
        })?;
        Ok(History {
            shared,
            writer: Some(writer),
        })
    }

    /// Append one event; returns its id.
    ///
    /// When this returns, the event is in this process's log: it survives
    /// the process being killed. It reaches the database a moment later.
    ///
    /// An error is also kept among the [problems](History::take_problems),
    /// so that a caller that cannot fail (the call already happened) loses
    /// nothing by not handling it.
    pub fn append(&self, e: &Event<'_>) -> Result<i64, HistoryError> {
        self.shared.append(e).inspect_err(|err| {
            self.shared.warn(format_args!("{err}"));
        })
    }

    /// What went wrong since the last call that no caller was told of: the
    /// background writer's problems (a torn log of a dead process, a failed
    /// commit) and failed appends, oldest first, bounded (a last line says
    /// how many older ones were dropped). The library never prints them;
    /// front ends show them.
    pub fn take_problems(&self) -> Vec<String> {
        let (mut problems, dropped) = self.shared.take_problems();
        if dropped > 0 {
            problems.push(format!("{dropped} older history problems were not kept"));
        }
        problems
    }

    /// The most recent `limit` events, oldest first, including everything
    /// this process has appended and what other processes' logs hold.
    ///
    /// A stored event whose kind this build does not know fails the read
    /// ([`HistoryError::UnknownKind`]) rather than being shown as another.
    pub fn recent(&self, limit: usize) -> Result<Vec<Record>, HistoryError> {
        self.shared.catch_up();
        db::recent(&self.shared.lock_conn(), &self.shared.path, limit, None)
    }

    /// The most recent `limit` tool calls, results and errors of `session`,
    /// oldest first: what that session did itself, and nothing anyone else
    /// wrote (no other session's calls, no ingress event, no plugin
    /// notification). This is what a model may be shown as its own record.
    pub fn session_calls(&self, session: &str, limit: usize) -> Result<Vec<Record>, HistoryError> {
        self.shared.catch_up();
        db::recent(
            &self.shared.lock_conn(),
            &self.shared.path,
            limit,
            Some(session),
        )
    }

    /// The size of the database against its limit, as measured after the
    /// last commit.
    pub fn usage(&self) -> Usage {
        self.shared.usage()
    }

    /// Number of events stored, as [`History::recent`] sees them.
    pub fn count(&self) -> Result<i64, HistoryError> {
        self.shared.catch_up();
        db::count(&self.shared.lock_conn()).map_err(|e| self.shared.db_err(e))
    }
}

/// `max_bytes` if it is within [`MIN_MAX_BYTES`] ..= [`MAX_MAX_BYTES`].
pub fn check_max_bytes(max_bytes: u64) -> Result<u64, HistoryError> {
    if (MIN_MAX_BYTES..=MAX_MAX_BYTES).contains(&max_bytes) {
        Ok(max_bytes)
    } else {
        Err(HistoryError::Limit {
            max_bytes,
            min: MIN_MAX_BYTES,
            max: MAX_MAX_BYTES,
        })
    }
}

impl Drop for History {
    /// Commit what is pending, then remove the log. If the database cannot
    /// take it, the log stays and the next process to open the history
    /// copies it in.
    fn drop(&mut self) {
        self.shared.close();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        self.shared.remove_log_if_done();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, MAX_RECORDED_BYTES};

    #[test]
    fn problems_are_kept_for_the_front_end_bounded_and_taken_once() {
        let h = History::in_memory().unwrap();
        assert!(h.take_problems().is_empty());
        for i in 0..70 {
            h.shared.warn(format_args!("problem {i}"));
        }
        let problems = h.take_problems();
        assert_eq!(problems.len(), 65);
        assert_eq!(problems[0], "problem 6");
        assert_eq!(problems[63], "problem 69");
        assert_eq!(problems[64], "6 older history problems were not kept");
        assert!(h.take_problems().is_empty());
    }

    #[test]
    fn appends_survive_reopen_and_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".yoi/history.db");
        {
            let h = History::open(&path).unwrap();
            let id = h
                .append(&Event {
                    tool: Some("echo"),
                    input: Some("{}"),
                    ..Event::new("s1", EventKind::ToolCall)
                })
                .unwrap();
            let big = "x".repeat(MAX_RECORDED_BYTES + 10);
            h.append(&Event {
                call_id: Some(id),
                output: Some(&big),
                ..Event::new("s1", EventKind::ToolResult)
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
            tool: Some("echo"),
            input: Some("{\"text\":\"hi\"}"),
            ..Event::new(session, EventKind::ToolCall)
        }
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

    /// A row whose kind this build does not know is an error that names it,
    /// not a notification; known rows still read once it is gone.
    #[test]
    fn an_unknown_stored_kind_fails_the_read_instead_of_passing_as_another() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.db");
        let h = History::open(&db).unwrap();
        h.append(&call("known")).unwrap();
        let other = Connection::open(&db).unwrap();
        other
            .execute(
                "INSERT INTO events (id, ts_ms, session, kind) VALUES (999999, 0, 'x', 'mystery\n')",
                [],
            )
            .unwrap();
        match h.recent(10) {
            Err(HistoryError::UnknownKind { id, kind, .. }) => {
                assert_eq!((id, kind.as_str()), (999999, "mystery\\n"));
            }
            other => panic!("expected an unknown kind, got {other:?}"),
        }
        assert_eq!(
            h.recent(10).unwrap_err().to_string(),
            format!(
                "history database `{}`: event 999999 has unknown kind `mystery\\n`",
                db.display()
            )
        );
        other
            .execute("DELETE FROM events WHERE id = 999999", [])
            .unwrap();
        let sessions: Vec<String> = h
            .recent(10)
            .unwrap()
            .into_iter()
            .map(|r| r.session)
            .collect();
        assert_eq!(sessions, ["known"]);
    }

    /// Another local user reads nothing: the database, its WAL companions,
    /// the log files and their directories are the owner's alone, also
    /// when an older build left them world-readable.
    #[cfg(unix)]
    #[test]
    fn history_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let yoi = dir.path().join(".yoi");
        std::fs::create_dir(&yoi).unwrap();
        std::fs::set_permissions(&yoi, std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = yoi.join("history.db");
        let h = History::open(&db).unwrap();
        h.append(&call("s")).unwrap();
        assert_eq!(h.count().unwrap(), 1);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let log_dir = yoi.join("history.db-log");
        let mut files = vec![
            db.clone(),
            yoi.join("history.db-wal"),
            yoi.join("history.db-shm"),
        ];
        files.extend(
            std::fs::read_dir(&log_dir)
                .unwrap()
                .map(|e| e.unwrap().path()),
        );
        assert!(files.len() >= 5, "{files:?}");
        for f in &files {
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
        for d in [&yoi, &log_dir] {
            assert_eq!(mode(d), 0o700, "{}", d.display());
        }
        drop(h);
        // Loosened by hand, tightened on the next open.
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&log_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let _h = History::open(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&log_dir), 0o700);
    }

    /// A granted service that floods history with notices cannot grow it
    /// past `[history] max_bytes`: its oldest notices go first, and every
    /// tool call and outcome stays. Over the limit with only calls left,
    /// calls are still recorded and the history says it is over.
    #[test]
    fn history_stays_under_max_bytes_and_keeps_every_tool_call() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.db");
        let h = History::open_with_limit(&db, MIN_MAX_BYTES).unwrap();
        let big = "n".repeat(MAX_RECORDED_BYTES);
        let mut calls = 0;
        for i in 0..200 {
            h.append(&Event {
                notice_kind: Some("flood"),
                output: Some(&big),
                ..Event::new("service", EventKind::Notification)
            })
            .unwrap();
            if i % 10 == 0 {
                h.append(&call("model")).unwrap();
                calls += 1;
            }
            if i % 50 == 0 {
                h.count().unwrap();
            }
        }
        h.count().unwrap();
        let usage = h.usage();
        assert!(usage.bytes <= MIN_MAX_BYTES, "{usage:?}");
        assert!(usage.pruned_rows > 150, "{usage:?}");
        assert!(!usage.over_limit);
        let kept = h.session_calls("model", 1000).unwrap();
        assert_eq!(kept.len(), calls);
        let problems = h.take_problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("reached its limit of 1048576 bytes"));

        // Only calls left: nothing is deleted, new calls are kept, and the
        // history reports it is over its limit.
        let input = "c".repeat(MAX_RECORDED_BYTES);
        for _ in 0..40 {
            h.append(&Event {
                tool: Some("echo"),
                input: Some(&input),
                ..Event::new("model", EventKind::ToolCall)
            })
            .unwrap();
        }
        h.count().unwrap();
        assert!(h.usage().over_limit, "{:?}", h.usage());
        assert_eq!(h.session_calls("model", 1000).unwrap().len(), calls + 40);
        let problems = h.take_problems();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("over its limit of 1048576 bytes with only tool calls")),
            "{problems:?}"
        );
        assert_eq!(
            History::open_with_limit(&db, 1).unwrap_err().to_string(),
            "`[history] max_bytes` = 1 is out of bounds (from 1048576 to 1099511627776 bytes)"
        );
    }

    #[test]
    fn a_session_reads_only_its_own_calls() {
        let h = History::in_memory().unwrap();
        h.append(&call("mine")).unwrap();
        h.append(&call("theirs")).unwrap();
        h.append(&Event {
            input: Some("{\"webhook\":1}"),
            ..Event::new("mine", EventKind::IngressEvent)
        })
        .unwrap();
        h.append(&Event {
            notice_kind: Some("tool_call"),
            ..Event::new("mine", EventKind::Notification)
        })
        .unwrap();
        let mine = h.session_calls("mine", 10).unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(
            (mine[0].session.as_str(), mine[0].kind),
            ("mine", EventKind::ToolCall)
        );
    }

    /// A tool name of a megabyte (a client may call any name) is cut like
    /// every other recorded field, and a notice kind outside its alphabet
    /// is replaced.
    #[test]
    fn names_are_bounded_and_notice_kinds_checked() {
        let h = History::in_memory().unwrap();
        let name = "t".repeat(1 << 20);
        h.append(&Event {
            tool: Some(&name),
            ..Event::new("s", EventKind::ToolCall)
        })
        .unwrap();
        h.append(&Event {
            notice_kind: Some("tool_result\n[host] ok"),
            ..Event::new("s", EventKind::Notification)
        })
        .unwrap();
        let r = h.recent(2).unwrap();
        let tool = r[0].tool.as_deref().unwrap();
        assert!(
            tool.len() < 300 && tool.ends_with("bytes truncated]"),
            "{tool}"
        );
        assert_eq!(
            r[1].notice_kind.as_deref(),
            Some(crate::INVALID_NOTICE_KIND)
        );
    }
}
