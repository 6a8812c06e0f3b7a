//! Files beneath granted roots: `yoi:host/fs@1.0.0`.
//!
//! Each `fs` grant of the plugin's enablement is one [`Root`]: a directory
//! plus the operations allowed in it, each granted separately (`write` does
//! not imply `read`). Paths are relative to the root and `/`-separated; `..`,
//! absolute paths and symlinks leading outside are refused by the host. The
//! manifest must list `"fs"` in `permissions.host_apis`, or the host refuses
//! to load the plugin.
//!
//! ```no_run
//! # fn f() -> Result<(), yoi_pdk::ToolError> {
//! let root = yoi_pdk::fs::first_root()?;
//! root.write("hello.txt", b"hi")?;
//! let text = root.read_to_string("hello.txt")?;
//! # Ok(()) }
//! ```

use std::fmt;

use crate::ToolError;
use crate::tool::bindings::yoi::host::fs as wit;

/// An operation a grant may allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    List,
    Write,
    CreateDir,
    Remove,
}

/// A granted root directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    index: u32,
    /// The directory's final path component, for display only.
    pub name: String,
    pub ops: Vec<Op>,
}

/// The kind of a directory entry, as stored: symlinks are not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub kind: EntryKind,
    /// Size in bytes for files, 0 otherwise.
    pub size: u64,
}

/// Why an operation failed. Messages name the relative path, never contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsError {
    /// Not granted, or the path leads outside the root.
    Denied(String),
    NotFound(String),
    AlreadyExists(String),
    /// Not a plain relative path, or the wrong kind of entry.
    InvalidPath(String),
    /// A host bound on size or entry count was exceeded.
    TooLarge(String),
    Io(String),
}

/// Every granted root, in grant order.
pub fn roots() -> Vec<Root> {
    wit::roots()
        .into_iter()
        .enumerate()
        .map(|(i, r)| Root {
            index: i as u32,
            name: r.name,
            ops: r
                .ops
                .into_iter()
                .map(|op| match op {
                    wit::Op::Read => Op::Read,
                    wit::Op::List => Op::List,
                    wit::Op::Write => Op::Write,
                    wit::Op::CreateDir => Op::CreateDir,
                    wit::Op::Remove => Op::Remove,
                })
                .collect(),
        })
        .collect()
}

/// The first granted root: what a plugin with one directory wants.
pub fn first_root() -> Result<Root, FsError> {
    roots()
        .into_iter()
        .next()
        .ok_or_else(|| FsError::Denied("no directory is granted to this plugin".into()))
}

impl Root {
    /// Whether the grant allows `op` here.
    pub fn allows(&self, op: Op) -> bool {
        self.ops.contains(&op)
    }

    pub fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        wit::read(self.index, path).map_err(FsError::from)
    }

    /// Read a file as UTF-8 text.
    pub fn read_to_string(&self, path: &str) -> Result<String, FsError> {
        String::from_utf8(self.read(path)?)
            .map_err(|_| FsError::InvalidPath(format!("`{path}` is not UTF-8 text")))
    }

    /// Create or atomically replace a file; its directory must exist.
    pub fn write(&self, path: &str, data: &[u8]) -> Result<(), FsError> {
        wit::write(self.index, path, data).map_err(FsError::from)
    }

    /// List a directory (`.` for the root), sorted by name.
    pub fn list_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        wit::list_dir(self.index, path)
            .map(|entries| {
                entries
                    .into_iter()
                    .map(|e| DirEntry {
                        name: e.name,
                        kind: match e.kind {
                            wit::EntryKind::File => EntryKind::File,
                            wit::EntryKind::Dir => EntryKind::Dir,
                            wit::EntryKind::Symlink => EntryKind::Symlink,
                            wit::EntryKind::Other => EntryKind::Other,
                        },
                        size: e.size,
                    })
                    .collect()
            })
            .map_err(FsError::from)
    }

    pub fn create_dir(&self, path: &str) -> Result<(), FsError> {
        wit::create_dir(self.index, path).map_err(FsError::from)
    }

    /// Remove a file, a symlink or an empty directory.
    pub fn remove(&self, path: &str) -> Result<(), FsError> {
        wit::remove(self.index, path).map_err(FsError::from)
    }
}

impl FsError {
    /// The error's kind, as named in the WIT interface.
    pub fn kind(&self) -> &'static str {
        match self {
            FsError::Denied(_) => "denied",
            FsError::NotFound(_) => "not-found",
            FsError::AlreadyExists(_) => "already-exists",
            FsError::InvalidPath(_) => "invalid-path",
            FsError::TooLarge(_) => "too-large",
            FsError::Io(_) => "io",
        }
    }

    fn message(&self) -> &str {
        match self {
            FsError::Denied(m)
            | FsError::NotFound(m)
            | FsError::AlreadyExists(m)
            | FsError::InvalidPath(m)
            | FsError::TooLarge(m)
            | FsError::Io(m) => m,
        }
    }
}

impl From<wit::Error> for FsError {
    fn from(e: wit::Error) -> Self {
        match e {
            wit::Error::Denied(m) => FsError::Denied(m),
            wit::Error::NotFound(m) => FsError::NotFound(m),
            wit::Error::AlreadyExists(m) => FsError::AlreadyExists(m),
            wit::Error::InvalidPath(m) => FsError::InvalidPath(m),
            wit::Error::TooLarge(m) => FsError::TooLarge(m),
            wit::Error::Io(m) => FsError::Io(m),
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fs {}: {}", self.kind(), self.message())
    }
}

impl std::error::Error for FsError {}

/// A denial stays a denial, a bad path is bad input; anything else is the
/// tool failing.
impl From<FsError> for ToolError {
    fn from(e: FsError) -> Self {
        match e {
            FsError::Denied(_) => ToolError::denied(e.to_string()),
            FsError::InvalidPath(_) => ToolError::invalid_input(e.to_string()),
            _ => ToolError::failed(e.to_string()),
        }
    }
}
