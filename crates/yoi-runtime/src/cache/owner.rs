//! Who may have written a cache file: the checks on the compiled cache's
//! directories and files that come before any byte is trusted.
//!
//! - The `compiled/` directory is a real directory (not a symlink), owned by
//!   the effective user, writable by nobody else.
//! - Every ancestor up to `/` (resolved through symlinks) is owned by the
//!   effective user or by root, and writable by no one else, unless it is
//!   sticky (like `/tmp`): there others may create entries but cannot
//!   rename or remove ours, so the path below it stays ours.
//! - Files are opened with `O_NOFOLLOW` and checked on the opened handle
//!   (`fstat`): a regular file with one link, owned by the effective user,
//!   writable by nobody else. One link: a hard link made elsewhere could
//!   otherwise put a file someone else can rewrite under our name.

use std::fs::{File, Metadata, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Why a cache location is not trusted, for the one diagnostic.
pub(crate) type Doubt = String;

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Group- or other-writable.
const SHARED_WRITE: u32 = 0o022;
const STICKY: u32 = 0o1000;

/// Check `dir` and its ancestors (see the module docs).
pub(crate) fn check_dir(dir: &Path) -> Result<(), Doubt> {
    let shown = dir.display();
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("`{shown}`: {e}"))?;
    if !meta.is_dir() {
        return Err(format!("`{shown}` is a symlink or not a directory"));
    }
    own_and_private(&meta, &shown.to_string())?;
    let real = std::fs::canonicalize(dir).map_err(|e| format!("`{shown}`: {e}"))?;
    for ancestor in real.ancestors().skip(1) {
        let shown = ancestor.display().to_string();
        let meta = std::fs::metadata(ancestor).map_err(|e| format!("`{shown}`: {e}"))?;
        let mode = meta.mode();
        if meta.uid() != euid() && meta.uid() != 0 {
            return Err(format!(
                "`{shown}` is owned by user {}, neither this user nor root",
                meta.uid()
            ));
        }
        if mode & SHARED_WRITE != 0 && mode & STICKY == 0 {
            return Err(format!(
                "`{shown}` is writable by other users (mode {:o})",
                mode & 0o7777
            ));
        }
    }
    Ok(())
}

fn own_and_private(meta: &Metadata, shown: &str) -> Result<(), Doubt> {
    if meta.uid() != euid() {
        return Err(format!(
            "`{shown}` is owned by user {}, not this user ({})",
            meta.uid(),
            euid()
        ));
    }
    let mode = meta.permissions().mode();
    if mode & SHARED_WRITE != 0 {
        return Err(format!(
            "`{shown}` is writable by other users (mode {:o})",
            mode & 0o7777
        ));
    }
    Ok(())
}

/// Open `path` for reading without following a final symlink, and check the
/// opened file. `Ok(None)` when nothing is there; `private` also refuses
/// any read bit for group and others (the MAC key).
pub(crate) fn open_checked(path: &Path, private: bool) -> Result<Option<(File, u64)>, Doubt> {
    let shown = path.display().to_string();
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(format!("`{shown}` is a symlink"));
        }
        Err(e) => return Err(format!("`{shown}`: {e}")),
    };
    let meta = file.metadata().map_err(|e| format!("`{shown}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!("`{shown}` is not a regular file"));
    }
    if meta.nlink() != 1 {
        return Err(format!("`{shown}` has {} hard links", meta.nlink()));
    }
    own_and_private(&meta, &shown)?;
    if private && meta.mode() & 0o077 != 0 {
        return Err(format!(
            "`{shown}` is readable by other users (mode {:o}); it must be 0600",
            meta.mode() & 0o7777
        ));
    }
    Ok(Some((file, meta.len())))
}

/// Create `dir` (`0700`, parents included), or make an existing one that
/// this user owns private again. A directory owned by someone else is not
/// touched, and a failure to tighten is an error, never ignored: nothing is
/// written where [`check_dir`] would not trust it afterwards.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), Doubt> {
    let shown = dir.display();
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("cannot create `{shown}`: {e}"))?;
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("`{shown}`: {e}"))?;
    if !meta.is_dir() {
        return Err(format!("`{shown}` is a symlink or not a directory"));
    }
    if meta.uid() != euid() {
        return Err(format!(
            "`{shown}` is owned by user {}, not this user ({})",
            meta.uid(),
            euid()
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot make `{shown}` private: {e}"))?;
    }
    check_dir(dir)
}
