//! The errors of the history: the database, the log files, and a writer that
//! does not keep up.

/// Why the history could not be opened, written or read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The SQLite database refused an operation.
    #[error("history database `{path}`: {source}")]
    Database {
        /// The database file (`:memory:` for an in-memory history).
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Events waited too long for the writer; this one was not recorded.
    #[error("history `{path}` is not keeping up ({reason}); the event was not recorded")]
    Behind {
        /// The database file.
        path: String,
        /// Why the writer is behind (its last commit error, if any).
        reason: String,
    },
    /// A directory, log file or the writer thread could not be created or
    /// written.
    #[error("cannot create `{path}`: {source}")]
    Io {
        /// What could not be created.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A stored event has a kind this build does not know (written by a
    /// newer yoi, or edited by hand).
    #[error("history database `{path}`: event {id} has unknown kind `{kind}`")]
    UnknownKind {
        /// The database file.
        path: String,
        /// The event's id.
        id: i64,
        /// The stored kind, bounded.
        kind: String,
    },
    /// `[history] max_bytes` is outside its bounds.
    #[error("`[history] max_bytes` = {max_bytes} is out of bounds (from {min} to {max} bytes)")]
    Limit {
        /// The value given.
        max_bytes: u64,
        /// The smallest value accepted.
        min: u64,
        /// The largest value accepted.
        max: u64,
    },
}
