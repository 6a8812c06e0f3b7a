//! What an fs call can fail with, mirroring the WIT `error` variant.
//!
//! Messages name the plugin's own relative path and the operation, never
//! file contents and never the host path of the root.

use std::io;

/// Why a file operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FsError {
    /// No grant allows this operation on this root, or the path resolved
    /// outside the root (through a symlink).
    #[error("denied: {reason}")]
    Denied {
        /// What was denied, and why.
        reason: String,
    },
    /// Nothing exists at the path.
    #[error("`{path}` not found")]
    NotFound {
        /// The path as the plugin gave it.
        path: String,
    },
    /// Something already exists at the path.
    #[error("`{path}` already exists")]
    AlreadyExists {
        /// The path as the plugin gave it.
        path: String,
    },
    /// The path is not a plain relative path, or names the wrong kind of entry.
    #[error("invalid path `{path}`: {reason}")]
    InvalidPath {
        /// The path as the plugin gave it.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A size or count bound was exceeded.
    #[error("`{path}`: {what} exceeds {limit}")]
    TooLarge {
        /// The path as the plugin gave it.
        path: String,
        /// What was too large.
        what: String,
        /// The bound it exceeded.
        limit: String,
    },
    /// The operating system refused for another reason.
    #[error("`{path}`: {message}")]
    Io {
        /// The path as the plugin gave it.
        path: String,
        /// The operating system's message, bounded.
        message: String,
    },
}

impl FsError {
    /// The WIT case names of `error`, in declaration order.
    pub const KINDS: [&'static str; 6] = [
        "denied",
        "not-found",
        "already-exists",
        "invalid-path",
        "too-large",
        "io",
    ];

    /// This error's WIT case name, e.g. for logs and counters.
    pub fn kind(&self) -> &'static str {
        Self::KINDS[match self {
            FsError::Denied { .. } => 0,
            FsError::NotFound { .. } => 1,
            FsError::AlreadyExists { .. } => 2,
            FsError::InvalidPath { .. } => 3,
            FsError::TooLarge { .. } => 4,
            FsError::Io { .. } => 5,
        }]
    }

    pub(crate) fn from_io(path: &str, err: &io::Error) -> FsError {
        let path = yoi_manifest::bounded(path, 200);
        match err.kind() {
            io::ErrorKind::NotFound => FsError::NotFound { path },
            io::ErrorKind::AlreadyExists => FsError::AlreadyExists { path },
            // cap-std reports a resolution that would leave the root as a
            // PermissionDenied with no OS error code; a real EACCES has one.
            io::ErrorKind::PermissionDenied if err.raw_os_error().is_none() => FsError::Denied {
                reason: format!("`{path}` leads outside the root"),
            },
            _ => FsError::Io {
                path,
                message: yoi_manifest::bounded(&err.to_string(), 200),
            },
        }
    }
}
