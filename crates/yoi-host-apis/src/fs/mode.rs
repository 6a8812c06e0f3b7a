//! The permission bits of the file an atomic `write` leaves.
//!
//! The temporary file is created 0600, so its content is never readable by
//! anyone else while it is written, whatever the replaced file's mode. Just
//! before the rename it is given the mode the result should have: the
//! replaced file's permission bits, or for a new file what `File::create`
//! gives (0666 less the umask). Set-user-id, set-group-id and sticky bits are
//! not carried over: a plugin's content never becomes a set-id program.

use std::ffi::OsStr;
use std::sync::OnceLock;

use cap_std::fs::{Dir, MetadataExt, OpenOptions, OpenOptionsExt};

/// The mode the temporary file is created with: the owner's only.
pub(crate) const TEMP_MODE: u32 = 0o600;

/// The bits carried over from a replaced file.
const PERMISSION_BITS: u32 = 0o777;

/// Options that create a new temporary file, readable by its owner only.
pub(crate) fn temp_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).mode(TEMP_MODE);
    options
}

/// The mode `name` in `parent` should have once replaced: its own permission
/// bits when it is a regular file, else (a new name, or a symlink, which is
/// replaced and not followed) the default of a new file.
pub(crate) fn replacing(parent: &Dir, name: &OsStr) -> u32 {
    match parent.symlink_metadata(name) {
        Ok(meta) if meta.is_file() => meta.mode() & PERMISSION_BITS,
        _ => 0o666 & !umask(),
    }
}

/// The process's umask, read once: yoi never changes it. On Linux it is read
/// from `/proc/self/status`, which leaves it untouched; elsewhere it is set
/// to 0077 and back at once, and a file another thread creates in between
/// is only more private than it would have been.
fn umask() -> u32 {
    static UMASK: OnceLock<u32> = OnceLock::new();
    *UMASK.get_or_init(|| proc_umask().unwrap_or_else(swapped_umask))
}

fn proc_umask() -> Option<u32> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let value = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
    u32::from_str_radix(value.trim(), 8).ok()
}

// `mode_t` is `u16` on macOS and `u32` on Linux.
#[allow(clippy::useless_conversion)]
fn swapped_umask() -> u32 {
    use rustix::fs::Mode;
    let old = rustix::process::umask(Mode::from_raw_mode(0o077));
    rustix::process::umask(old);
    old.as_raw_mode().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_file_is_created_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority()).unwrap();
        let file = dir.open_with("t.tmp", &temp_options()).unwrap();
        let mode = file.metadata().unwrap().mode() & 0o7777;
        assert_eq!(mode & 0o077, 0, "created {mode:o}");
        assert!(
            dir.open_with("t.tmp", &temp_options()).is_err(),
            "create_new"
        );
    }

    #[test]
    fn the_umask_is_what_file_create_applies() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("reference");
        let mode = std::fs::File::create(&path)
            .unwrap()
            .metadata()
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o666 & !umask());
        assert_eq!(swapped_umask(), umask(), "both ways read the same");
    }
}
