//! `yoi:host/fs@1.0.0`: file operations beneath granted roots.
//!
//! Each [`FsGrant`] becomes one root: a directory handle opened once, when
//! the policy is built, with `cap_std::fs::Dir::open_ambient_dir`. A plugin
//! names a root by its index in [`FsPolicy::roots`] (the order of the grants)
//! and a path relative to it. Every call checks, in order: the root exists,
//! the operation is granted on it (each separately: `write` does not imply
//! `read`), the path is plain and relative, and then performs the
//! operation through the handle only, which keeps it beneath the
//! root whatever symlinks say, races included.
//!
//! yoi's own state is never reachable: a root that is, lies inside or
//! contains a protected location is refused when the policy is built
//! ([`yoi_grants::Protected::check_root`]), except the workspace's `.yoi`
//! directory inside a granted project, which every operation denies by
//! device and inode (`guard.rs`).
//!
//! Bounds: reads, writes and listings have size limits ([`FsLimits`]); writes
//! are atomic, private while written, and keep the replaced file's
//! permission bits. Errors never carry file contents or the root's host path.
//!
//! The blocking work runs on tokio's blocking pool. Dropping a returned
//! future abandons its result, but an operation already running finishes:
//! bounded by the limits, and for `write` all or nothing.

mod error;
mod guard;
mod mode;
mod ops;
mod path;

use std::sync::Arc;

use cap_std::fs::Dir;
use yoi_grants::{FsGrant, FsOp, Protected};

pub use error::FsError;

use crate::PolicyError;
use guard::Guard;
use path::RelPath;

/// Size bounds for file operations.
///
/// Defaults: 16 MiB per read or write, 10 000 entries per listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsLimits {
    /// Largest file a read returns.
    pub max_read_bytes: u64,
    /// Largest file a write accepts.
    pub max_write_bytes: u64,
    /// Most entries one listing returns.
    pub max_list_entries: usize,
}

impl Default for FsLimits {
    fn default() -> Self {
        FsLimits {
            max_read_bytes: 16 * 1024 * 1024,
            max_write_bytes: 16 * 1024 * 1024,
            max_list_entries: 10_000,
        }
    }
}

/// What a plugin may learn about a root: a display name (the root
/// directory's final component, never its host path) and the granted ops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootInfo {
    /// The root directory's final component.
    pub name: String,
    /// The operations granted beneath it.
    pub ops: Vec<FsOp>,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name; a name that is not UTF-8 is shown lossily.
    pub name: String,
    /// What kind of entry it is.
    pub kind: EntryKind,
    /// Size in bytes for files, 0 otherwise.
    pub size: u64,
}

/// The kind of a directory entry, as stored (symlinks are not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link, not followed.
    Symlink,
    /// Anything else (device, socket, pipe).
    Other,
}

struct Root {
    info: RootInfo,
    dir: Dir,
}

/// The fs grants of one plugin, with their roots open.
pub struct FsPolicy {
    roots: Vec<Arc<Root>>,
    guard: Arc<Guard>,
    limits: FsLimits,
}

impl std::fmt::Debug for FsPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsPolicy")
            .field("roots", &self.roots())
            .field("limits", &self.limits)
            .finish()
    }
}

impl FsPolicy {
    /// Open every granted root. A root that cannot be opened as a directory,
    /// or that reaches a location in `protected` (other than a workspace
    /// `.yoi` it contains), fails the whole policy, so a plugin never starts
    /// with a grant that silently does nothing or more than it may.
    pub fn new(grants: &[FsGrant], protected: &Protected) -> Result<FsPolicy, PolicyError> {
        let mut roots = Vec::with_capacity(grants.len());
        for grant in grants {
            grant
                .validate()
                .and_then(|()| protected.check_root(&grant.root))
                .map_err(|e| PolicyError::BadFsGrant {
                    root: grant.root.clone(),
                    message: e.to_string(),
                })?;
            let dir = Dir::open_ambient_dir(&grant.root, cap_std::ambient_authority()).map_err(
                |source| PolicyError::OpenRoot {
                    root: grant.root.clone(),
                    source,
                },
            )?;
            let name = grant
                .root
                .file_name()
                .map_or_else(|| "/".to_owned(), |n| n.to_string_lossy().into_owned());
            let mut ops = grant.ops.clone();
            ops.sort();
            ops.dedup();
            roots.push(Arc::new(Root {
                info: RootInfo { name, ops },
                dir,
            }));
        }
        Ok(FsPolicy {
            roots,
            guard: Arc::new(Guard::new(protected)),
            limits: FsLimits::default(),
        })
    }

    /// Replace the default size bounds.
    pub fn with_limits(mut self, limits: FsLimits) -> FsPolicy {
        self.limits = limits;
        self
    }

    /// The roots a plugin may address, in index order.
    pub fn roots(&self) -> Vec<RootInfo> {
        self.roots.iter().map(|r| r.info.clone()).collect()
    }

    /// Read a whole file, at most `max_read_bytes`.
    pub async fn read(&self, root: u32, path: &str) -> Result<Vec<u8>, FsError> {
        let limits = self.limits;
        let guard = self.guard.clone();
        self.run(root, path, FsOp::Read, move |dir, rel, shown| {
            ops::read(dir, rel, shown, &limits, &guard)
        })
        .await
    }

    /// Create or atomically replace a file with `data`, at most `max_write_bytes`.
    pub async fn write(&self, root: u32, path: &str, data: Vec<u8>) -> Result<(), FsError> {
        let max = self.limits.max_write_bytes;
        let checked = self.check(root, path, FsOp::Write)?;
        if data.len() as u64 > max {
            return Err(FsError::TooLarge {
                path: yoi_manifest::bounded(path, 200),
                what: format!("{} bytes of data", data.len()),
                limit: format!("{max} bytes"),
            });
        }
        blocking(checked, move |dir, rel, shown| {
            ops::write(dir, rel, shown, &data)
        })
        .await
    }

    /// List a directory (`.` for the root), sorted by name.
    pub async fn list_dir(&self, root: u32, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let limits = self.limits;
        self.run(root, path, FsOp::List, move |dir, rel, shown| {
            ops::list(dir, rel, shown, &limits)
        })
        .await
    }

    /// Create one directory; its parent must exist.
    pub async fn create_dir(&self, root: u32, path: &str) -> Result<(), FsError> {
        self.run(root, path, FsOp::CreateDir, ops::create_dir).await
    }

    /// Remove a file, a symlink, or an empty directory.
    pub async fn remove(&self, root: u32, path: &str) -> Result<(), FsError> {
        self.run(root, path, FsOp::Remove, ops::remove).await
    }

    /// The grant and path checks every call makes before touching anything.
    fn check(&self, root: u32, path: &str, op: FsOp) -> Result<Checked, FsError> {
        let handle = usize::try_from(root)
            .ok()
            .and_then(|i| self.roots.get(i))
            .ok_or_else(|| FsError::Denied {
                reason: format!("no fs root #{root} is granted"),
            })?;
        if !handle.info.ops.contains(&op) {
            return Err(FsError::Denied {
                reason: format!(
                    "`{op}` is not granted on fs root #{root} (`{}`)",
                    handle.info.name
                ),
            });
        }
        let rel = RelPath::parse(path)?;
        Ok(Checked {
            root: handle.clone(),
            guard: self.guard.clone(),
            rel,
            shown: yoi_manifest::bounded(path, 200),
        })
    }

    async fn run<T, F>(&self, root: u32, path: &str, op: FsOp, f: F) -> Result<T, FsError>
    where
        T: Send + 'static,
        F: FnOnce(&Dir, &RelPath, &str) -> Result<T, FsError> + Send + 'static,
    {
        let checked = self.check(root, path, op)?;
        blocking(checked, f).await
    }
}

struct Checked {
    root: Arc<Root>,
    guard: Arc<Guard>,
    rel: RelPath,
    shown: String,
}

async fn blocking<T, F>(checked: Checked, f: F) -> Result<T, FsError>
where
    T: Send + 'static,
    F: FnOnce(&Dir, &RelPath, &str) -> Result<T, FsError> + Send + 'static,
{
    let shown = checked.shown.clone();
    tokio::task::spawn_blocking(move || {
        let dir = &checked.root.dir;
        checked
            .guard
            .check_path(dir, &checked.rel, &checked.shown)?;
        f(dir, &checked.rel, &checked.shown)
    })
    .await
    .unwrap_or_else(|e| {
        Err(FsError::Io {
            path: shown,
            message: format!("the operation did not complete: {e}"),
        })
    })
}
