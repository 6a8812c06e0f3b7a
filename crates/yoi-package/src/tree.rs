//! Reading package files from a directory without following symlinks.
//!
//! Used by the packer (on a developer's or a cloned repository's directory)
//! and by the cache loader (on a directory that someone may have tampered
//! with). Both refuse symlinks, at the file and at every parent directory, so a
//! package can never pick up a file from outside its directory; both bound
//! what they read with the same limits as the archive reader.
//!
//! The checks use `symlink_metadata` before opening, which leaves a race
//! against someone swapping a file for a symlink in between; such a person
//! already has write access to the directory being read.

use std::fs;
use std::io::{ErrorKind, Read};
use std::path::Path;

use crate::error::PackageError;
use crate::limits::{MAX_ENTRIES, MAX_FILE_BYTES, bounded};
use crate::path::{PackagePath, PathProblem};

/// Every regular file under `base/sub` (`sub` may be empty for `base` itself),
/// as package paths relative to `base`. A missing `base/sub` gives no files.
/// Symlinks and special files are errors; the walk stops past [`MAX_ENTRIES`].
pub(crate) fn list_files(base: &Path, sub: &str) -> Result<Vec<PackagePath>, PackageError> {
    let mut out = Vec::new();
    let mut pending = vec![sub.to_owned()];
    while let Some(relative) = pending.pop() {
        let full = base.join(&relative);
        let meta = match fs::symlink_metadata(&full) {
            Err(e) if e.kind() == ErrorKind::NotFound && relative == sub => return Ok(out),
            other => other.map_err(|e| PackageError::io(&full, e))?,
        };
        if meta.file_type().is_symlink() {
            return Err(PackageError::Symlink {
                path: bounded(&relative),
            });
        }
        if meta.is_file() {
            out.push(package_path(&relative)?);
            if out.len() > MAX_ENTRIES {
                return Err(PackageError::TooManyEntries {
                    count: out.len(),
                    limit: MAX_ENTRIES,
                });
            }
            continue;
        }
        if !meta.is_dir() {
            return Err(PackageError::NotARegularFile {
                path: bounded(&relative),
            });
        }
        for entry in fs::read_dir(&full).map_err(|e| PackageError::io(&full, e))? {
            let entry = entry.map_err(|e| PackageError::io(&full, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                let shown = format!("{relative}/{}", name.to_string_lossy());
                return Err(PackageError::InvalidPath {
                    path: bounded(&shown),
                    problem: PathProblem::NotUtf8,
                });
            };
            pending.push(if relative.is_empty() {
                name.to_owned()
            } else {
                format!("{relative}/{name}")
            });
        }
    }
    Ok(out)
}

/// Read `base/path`, which must be a regular file no larger than
/// [`MAX_FILE_BYTES`], reached without passing through a symlink.
pub(crate) fn read_regular(base: &Path, path: &PackagePath) -> Result<Vec<u8>, PackageError> {
    let shown = || bounded(path.as_str());
    check_parents(base, path)?;
    let full = base.join(path.to_relative_path_buf());
    let meta = match fs::symlink_metadata(&full) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(PackageError::MissingSourceFile { path: shown() });
        }
        other => other.map_err(|e| PackageError::io(&full, e))?,
    };
    if meta.file_type().is_symlink() {
        return Err(PackageError::Symlink { path: shown() });
    }
    if !meta.is_file() {
        return Err(PackageError::NotARegularFile { path: shown() });
    }
    let file = fs::File::open(&full).map_err(|e| PackageError::io(&full, e))?;
    let mut content = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut content)
        .map_err(|e| PackageError::io(&full, e))?;
    if content.len() as u64 > MAX_FILE_BYTES {
        return Err(PackageError::FileTooLarge {
            path: shown(),
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(content)
}

/// `symlink_metadata` leaves only the last component unfollowed; refuse a
/// path whose parent directories inside `base` are symlinks, too.
fn check_parents(base: &Path, path: &PackagePath) -> Result<(), PackageError> {
    let segments: Vec<&str> = path.segments().collect();
    let mut current = base.to_path_buf();
    for depth in 1..segments.len() {
        current.push(segments[depth - 1]);
        let meta = match fs::symlink_metadata(&current) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(PackageError::MissingSourceFile {
                    path: bounded(path.as_str()),
                });
            }
            other => other.map_err(|e| PackageError::io(&current, e))?,
        };
        if meta.file_type().is_symlink() {
            return Err(PackageError::Symlink {
                path: bounded(&segments[..depth].join("/")),
            });
        }
        if !meta.is_dir() {
            return Err(PackageError::MissingSourceFile {
                path: bounded(path.as_str()),
            });
        }
    }
    Ok(())
}

pub(crate) fn package_path(relative: &str) -> Result<PackagePath, PackageError> {
    PackagePath::new(relative).map_err(|problem| PackageError::InvalidPath {
        path: bounded(relative),
        problem,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn lists_nested_files_and_skips_a_missing_dir() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("schemas/deep")).unwrap();
        fs::write(dir.path().join("schemas/a.json"), "{}").unwrap();
        fs::write(dir.path().join("schemas/deep/b.json"), "{}").unwrap();
        let mut found: Vec<String> = list_files(dir.path(), "schemas")
            .unwrap()
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        found.sort();
        assert_eq!(found, ["schemas/a.json", "schemas/deep/b.json"]);
        assert!(list_files(dir.path(), "assets").unwrap().is_empty());
    }

    #[test]
    fn refuses_a_symlinked_parent_directory() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), "x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        symlink(outside.path(), dir.path().join("build")).unwrap();
        let path = PackagePath::new("build/secret").unwrap();
        let err = read_regular(dir.path(), &path).unwrap_err();
        assert!(
            matches!(&err, PackageError::Symlink { path } if path == "build"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_directory_where_a_file_is_expected() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("plugin.wasm")).unwrap();
        let path = PackagePath::new("plugin.wasm").unwrap();
        let err = read_regular(dir.path(), &path).unwrap_err();
        assert!(matches!(err, PackageError::NotARegularFile { .. }), "{err}");
    }
}
