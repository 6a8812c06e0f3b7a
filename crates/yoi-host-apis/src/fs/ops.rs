//! The file operations themselves, blocking, relative to a root handle.
//!
//! Every call goes through `cap_std::fs::Dir` methods on the root (or on a
//! directory opened beneath it), never through a path string on the host:
//! the kernel resolves each path beneath the handle (`openat2` with
//! `RESOLVE_BENEATH` on Linux, checked step-by-step resolution elsewhere), so
//! a symlink pointing out of the root is refused even if it is swapped in
//! between our check and our use.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt, Permissions, PermissionsExt};

use super::guard::Guard;
use super::mode;
use super::path::RelPath;
use super::{DirEntry, EntryKind, FsError, FsLimits};

pub(crate) fn read(
    dir: &Dir,
    path: &RelPath,
    shown: &str,
    limits: &FsLimits,
    guard: &Guard,
) -> Result<Vec<u8>, FsError> {
    let io = |e: std::io::Error| FsError::from_io(shown, &e);
    let max = limits.max_read_bytes;
    let too_large = || FsError::TooLarge {
        path: shown.to_owned(),
        what: "the file".into(),
        limit: format!("{max} bytes"),
    };
    let mut options = OpenOptions::new();
    // O_NONBLOCK: opening a FIFO must not hang the call; it is then refused
    // as not a regular file. It has no effect on regular files.
    options
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    let file = dir.open_with(path.as_path(), &options).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    guard.check_opened(&meta, shown)?;
    if !meta.is_file() {
        return Err(FsError::InvalidPath {
            path: shown.to_owned(),
            reason: "not a regular file".into(),
        });
    }
    if meta.len() > max {
        return Err(too_large());
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    // The file may grow after the metadata check: read at most one byte past
    // the bound to tell.
    file.take(max + 1).read_to_end(&mut data).map_err(io)?;
    if data.len() as u64 > max {
        return Err(too_large());
    }
    Ok(data)
}

/// Replace (or create) a file atomically: write a temporary file in the same
/// directory, flush it to disk, then rename it over the target. Readers see
/// the old content or the new, never a mix; a failed or abandoned write
/// leaves the target as it was. The temporary file is private until it is
/// given the replaced file's mode, just before the rename ([`super::mode`]).
pub(crate) fn write(dir: &Dir, path: &RelPath, shown: &str, data: &[u8]) -> Result<(), FsError> {
    let io = |e: std::io::Error| FsError::from_io(shown, &e);
    let Some((parent, name)) = path.split() else {
        return Err(FsError::InvalidPath {
            path: shown.to_owned(),
            reason: "cannot write to the root itself".into(),
        });
    };
    let parent = dir.open_dir(parent).map_err(io)?;
    let temp = temp_name();
    let result = parent
        .open_with(&temp, &mode::temp_options())
        .and_then(|mut file| {
            file.write_all(data)?;
            let mode = mode::replacing(&parent, name);
            file.set_permissions(Permissions::from_mode(mode))?;
            file.sync_all()
        })
        .and_then(|()| parent.rename(&temp, &parent, name));
    if let Err(e) = result {
        let _ = parent.remove_file(&temp);
        return Err(io(e));
    }
    Ok(())
}

fn temp_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(".yoi-write-{}-{n}.tmp", std::process::id())
}

pub(crate) fn list(
    dir: &Dir,
    path: &RelPath,
    shown: &str,
    limits: &FsLimits,
) -> Result<Vec<DirEntry>, FsError> {
    let io = |e: std::io::Error| FsError::from_io(shown, &e);
    let mut entries = Vec::new();
    for entry in dir.read_dir(path.as_path()).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entries.len() == limits.max_list_entries {
            return Err(FsError::TooLarge {
                path: shown.to_owned(),
                what: "the directory listing".into(),
                limit: format!("{} entries", limits.max_list_entries),
            });
        }
        // The entry's own type: a symlink is reported as one, not followed.
        let file_type = entry.file_type().map_err(io)?;
        let kind = if file_type.is_symlink() {
            EntryKind::Symlink
        } else if file_type.is_dir() {
            EntryKind::Dir
        } else if file_type.is_file() {
            EntryKind::File
        } else {
            EntryKind::Other
        };
        let size = match kind {
            EntryKind::File => entry.metadata().map_err(io)?.len(),
            _ => 0,
        };
        entries.push(DirEntry {
            name: entry.file_name().to_string_lossy().into_owned(),
            kind,
            size,
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

pub(crate) fn create_dir(dir: &Dir, path: &RelPath, shown: &str) -> Result<(), FsError> {
    dir.create_dir(path.as_path())
        .map_err(|e| FsError::from_io(shown, &e))
}

/// Remove a file, a symlink (not its target) or an empty directory.
pub(crate) fn remove(dir: &Dir, path: &RelPath, shown: &str) -> Result<(), FsError> {
    let io = |e: std::io::Error| FsError::from_io(shown, &e);
    if path.is_root() {
        return Err(FsError::InvalidPath {
            path: shown.to_owned(),
            reason: "cannot remove the root itself".into(),
        });
    }
    let meta = dir.symlink_metadata(path.as_path()).map_err(io)?;
    if meta.is_dir() {
        dir.remove_dir(path.as_path()).map_err(io)
    } else {
        dir.remove_file(path.as_path()).map_err(io)
    }
}
