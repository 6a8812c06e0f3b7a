//! The per-user key that authenticates compiled artifacts.
//!
//! 32 random bytes (`getrandom`, the operating system's generator) in
//! `<cache root>/compiled.key`, mode `0600`, owned by the effective user,
//! one link. It is written to a fresh temporary file (`O_EXCL`, `0600`) and
//! linked into place only if no key exists (two processes racing both end
//! up with the winner's key). A key file that fails any check is not used:
//! it is replaced by a new key, which also invalidates every artifact
//! authenticated under the old one. The cache root is protected state
//! (`yoi_workspace::protected_state`), so no fs grant reaches the key.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::owner::{self, Doubt};

/// The key's length, that of a BLAKE3 key.
pub(crate) const KEY_LEN: usize = blake3::KEY_LEN;

pub(crate) fn key_path(root: &Path) -> PathBuf {
    root.join("compiled.key")
}

/// The key, if a valid one exists. `Ok(None)`: there is none yet.
pub(crate) fn read(root: &Path) -> Result<Option<[u8; KEY_LEN]>, Doubt> {
    let path = key_path(root);
    let Some((file, len)) = owner::open_checked(&path, true)? else {
        return Ok(None);
    };
    let shown = path.display();
    if len != KEY_LEN as u64 {
        return Err(format!("`{shown}` is {len} bytes, not {KEY_LEN}"));
    }
    let mut key = [0u8; KEY_LEN];
    file.take(KEY_LEN as u64)
        .read_exact(&mut key)
        .map_err(|e| format!("`{shown}`: {e}"))?;
    Ok(Some(key))
}

/// The key, created if there is none and replaced if the one there cannot
/// be trusted. Call only once the directory holding it is verified.
pub(crate) fn read_or_create(root: &Path) -> Result<[u8; KEY_LEN], Doubt> {
    let replace = match read(root) {
        Ok(Some(key)) => return Ok(key),
        Ok(None) => false,
        Err(_) => true,
    };
    let path = key_path(root);
    let shown = path.display();
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| format!("no random key: {e}"))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".compiled.key-")
        .tempfile_in(root)
        .map_err(|e| format!("cannot write `{shown}`: {e}"))?;
    temp.write_all(&key)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| format!("cannot write `{shown}`: {e}"))?;
    if replace {
        temp.persist(&path)
            .map_err(|e| format!("cannot replace `{shown}`: {}", e.error))?;
        return Ok(key);
    }
    match temp.persist_noclobber(&path) {
        Ok(_) => Ok(key),
        // Another process created it first: use theirs.
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            read(root)?.ok_or_else(|| format!("`{shown}` vanished while it was being created"))
        }
        Err(e) => Err(format!("cannot create `{shown}`: {}", e.error)),
    }
}
