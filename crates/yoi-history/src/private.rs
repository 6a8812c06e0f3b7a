//! History files are private to the user: every file is created 0600 and
//! every directory 0700, and those found looser (made by an older yoi, or
//! by hand) are tightened when the history is opened. They hold tool
//! inputs, outputs and file contents.
//!
//! SQLite creates the `-wal` and `-shm` files with the mode of the database
//! file, so creating that 0600 first covers them; they are tightened too.

use std::fs::OpenOptions;
use std::io;
use std::path::Path;

/// Mode of every history file.
pub(crate) const FILE_MODE: u32 = 0o600;
/// Mode of every history directory.
pub(crate) const DIR_MODE: u32 = 0o700;

/// Options that create a file 0600.
pub(crate) fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o
}

/// Create `dir` (and missing parents) 0700, or tighten it to 0700.
pub(crate) fn dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
    b.create(dir)?;
    tighten(dir, DIR_MODE)
}

/// Create `path` 0600 if it is missing; tighten it (and its `-wal`/`-shm`
/// companions, if present) to 0600.
pub(crate) fn db_file(path: &Path) -> io::Result<()> {
    options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    tighten(path, FILE_MODE)?;
    for suffix in ["-wal", "-shm"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        match tighten(Path::new(&companion), FILE_MODE) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// Remove group and other bits from `path` if it has any.
#[cfg(unix)]
pub(crate) fn tighten(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.permissions().mode() & 0o777 & !mode != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn tighten(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}
