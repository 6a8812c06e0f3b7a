//! Bounded reading of the files grants and settings name (secrets, trust
//! roots), and of the config file itself (`yoi-workspace` reads it with the
//! same function, so there is one bound rule).

use std::io::Read as _;
use std::path::Path;

use crate::GrantError;

/// Read a UTF-8 file of at most `limit` bytes; `Ok(None)` when it does not
/// exist. The bound is applied to what is read, not to what metadata says,
/// so a file that grows meanwhile cannot get past it.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Option<String>, GrantError> {
    let read_err = |source| GrantError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(e)),
    };
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(GrantError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| GrantError::NotText {
            path: path.to_path_buf(),
        })
}
