//! The durable, append-only history of a workspace (`.yoi/history.db`): every
//! tool call, result, error, ingress event and plugin notification, in time
//! order. Nothing reaches a model or a client except through a tool result
//! or an event recorded here.
//!
//! An event is durable before [`History::append`] returns: it is written,
//! with one `write(2)`, to this process's log under `.yoi/history.db-log/`
//! (the `log` module). A background writer (the `writer` module) then
//! commits events to SQLite (WAL mode, `synchronous=NORMAL`) in batches, one
//! transaction per batch, and empties the log. So a tool call costs a file
//! append, not a database commit, and concurrent calls do not queue behind
//! each other's commits.
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
//! - Every event has a kind. A stored row whose kind this build does not
//!   know is an error when read ([`HistoryError::UnknownKind`]), never shown
//!   as some other kind.
//!
//! Ids are unique across processes (each writer reserves a block of ids in
//! the database) and increase within a process; events are listed in time
//! order. Inputs, outputs and messages are recorded bounded to
//! [`MAX_RECORDED_BYTES`], names to [`MAX_RECORDED_NAME_BYTES`] (with a
//! marker).
//!
//! A trusted record: a `message` is host-authored text; what a plugin or an
//! ingress sender wrote is kept in `input`, `output` and `notice_kind`
//! (a plugin's notice kind, its own field with its own alphabet, apart
//! from [`EventKind`]). [`History::session_calls`] reads what one session
//! did itself. Files are private (0600 in 0700 directories), and the
//! database is kept within a total size (`[history] max_bytes`, see
//! [`History::open_with_limit`]).

#![warn(missing_docs)]

mod db;
mod error;
mod event;
mod history;
mod log;
mod private;
mod writer;

pub use error::HistoryError;
pub use event::{
    Event, EventKind, INVALID_NOTICE_KIND, MAX_NOTICE_KIND_BYTES, MAX_RECORDED_BYTES,
    MAX_RECORDED_NAME_BYTES, Record, is_valid_notice_kind, new_session_id,
};
pub use history::{DEFAULT_MAX_BYTES, History, MAX_MAX_BYTES, MIN_MAX_BYTES, check_max_bytes};
pub use writer::Usage;
