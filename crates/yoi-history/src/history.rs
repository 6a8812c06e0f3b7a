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
use crate::writer::{self, Shared, WAIT};

/// The history of a workspace. Dropping it commits what is pending and
/// stops its writer thread.
#[derive(Debug)]
pub struct History {
    pub(crate) shared: Arc<Shared>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl History {
    /// Open (creating if needed) the database at `path`, with its log
    /// directory `<path>-log/` next to it. Logs left there by processes that
    /// are gone are copied into the database first.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| HistoryError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let shown = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| HistoryError::Database {
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
    pub fn in_memory() -> Result<History, HistoryError> {
        let conn = Connection::open_in_memory().map_err(|source| HistoryError::Database {
            path: ":memory:".into(),
            source,
        })?;
        History::init(conn, ":memory:".into(), None)
    }

    fn init(
        conn: Connection,
        path: String,
        log_dir: Option<PathBuf>,
    ) -> Result<History, HistoryError> {
        db::init(&conn, WAIT).map_err(|source| HistoryError::Database {
            path: path.clone(),
            source,
        })?;
        let shared = Arc::new(Shared::new(conn, path, log_dir));
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
        db::recent(&self.shared.lock_conn(), &self.shared.path, limit)
    }

    /// Number of events stored, as [`History::recent`] sees them.
    pub fn count(&self) -> Result<i64, HistoryError> {
        self.shared.catch_up();
        db::count(&self.shared.lock_conn()).map_err(|e| self.shared.db_err(e))
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
}
