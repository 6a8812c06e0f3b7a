//! The digest-keyed materialized cache: the only place runtime code loads
//! package files from.
//!
//! Layout: `<root>/packages/<64 hex digits>/` holds a package's files. An
//! entry is written into a temp directory beside it and renamed into place, so
//! a reader never sees a half-written entry; when two writers race, the loser's
//! rename fails, its copy is dropped and the winner's is verified and used.
//!
//! Nothing trusts the directory: [`load_materialized`] re-reads every file
//! (no symlinks, same limits as an archive), recomputes the digest and
//! re-validates the package before returning it. A modified entry is a
//! [`PackageError::DigestMismatch`]; [`materialize`] replaces such an entry.
//! Files are not fsynced: a torn write after a crash fails verification the
//! same way and is rewritten.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::digest::{Digest, digest_files};
use crate::error::PackageError;
use crate::files::PackageFiles;
use crate::limits::MAX_EXPANDED_BYTES;
use crate::package::Package;
use crate::path::PackagePath;
use crate::tree::{list_files, read_regular};

const PACKAGES_DIR: &str = "packages";
const TEMP_PREFIX: &str = ".tmp-";

/// A package whose files sit, verified, in the cache.
#[derive(Debug, Clone)]
pub struct MaterializedPackage {
    dir: PathBuf,
    package: Package,
}

impl MaterializedPackage {
    /// The entry's directory, `<root>/packages/<hex>/`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The package, as verified when this value was made.
    pub fn package(&self) -> &Package {
        &self.package
    }

    /// The package digest, which names the directory.
    pub fn digest(&self) -> Digest {
        self.package.digest()
    }

    /// Where the file at `path` lives inside the entry.
    pub fn file_path(&self, path: &PackagePath) -> PathBuf {
        self.dir.join(path.to_relative_path_buf())
    }

    /// The package.
    pub fn into_package(self) -> Package {
        self.package
    }
}

/// The default root of yoi's cache: `$XDG_CACHE_HOME/yoi`, else
/// `~/.cache/yoi` (relative values ignored, as XDG requires). The runtime
/// puts its compiled code here and the workspace protects it from fs grants,
/// so both take it from this one function.
pub fn default_cache_root() -> Option<PathBuf> {
    let abs = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    std::env::var_os("XDG_CACHE_HOME")
        .and_then(abs)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(abs)
                .map(|h| h.join(".cache"))
        })
        .map(|d| d.join("yoi"))
}

/// The directory a package with `digest` occupies under `root`.
pub fn package_dir(root: &Path, digest: &Digest) -> PathBuf {
    root.join(PACKAGES_DIR).join(digest.hex())
}

/// Put `package` into the cache under `root`, or reuse an entry that is
/// already there and verifies. An entry that fails verification is replaced.
pub fn materialize(root: &Path, package: &Package) -> Result<MaterializedPackage, PackageError> {
    let digest = package.digest();
    let dest = package_dir(root, &digest);
    match load_materialized(root, &digest) {
        Ok(existing) => return Ok(existing),
        Err(PackageError::NotCached { .. }) => {}
        Err(_) => remove_entry(&dest)?,
    }
    let packages = root.join(PACKAGES_DIR);
    fs::create_dir_all(&packages).map_err(|e| PackageError::io(&packages, e))?;
    let temp = temp_dir(&packages)?;
    write_files(temp.path(), package.files())?;
    match fs::rename(temp.path(), &dest) {
        Ok(()) => {
            let _ = temp.keep();
            Ok(MaterializedPackage {
                dir: dest,
                package: package.clone(),
            })
        }
        // Another writer put the entry in place first; use theirs once it verifies.
        Err(_) if dest.is_dir() => load_materialized(root, &digest),
        Err(e) => Err(PackageError::io(&dest, e)),
    }
}

/// Load the entry for `digest` from the cache under `root`, re-reading every
/// file and re-verifying the digest and the package.
///
/// [`PackageError::NotCached`] when there is no entry; any other error means
/// the entry is unusable and [`materialize`] will replace it.
pub fn load_materialized(
    root: &Path,
    digest: &Digest,
) -> Result<MaterializedPackage, PackageError> {
    let dir = package_dir(root, digest);
    match fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(PackageError::NotCached { digest: *digest });
        }
        Err(e) => return Err(PackageError::io(&dir, e)),
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(PackageError::Symlink {
                path: dir.display().to_string(),
            });
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(PackageError::NotADirectory {
                path: dir.display().to_string(),
            });
        }
        Ok(_) => {}
    }
    let mut files = PackageFiles::new();
    let mut total = 0u64;
    for path in list_files(&dir, "")? {
        let content = read_regular(&dir, &path)?;
        total += content.len() as u64;
        if total > MAX_EXPANDED_BYTES {
            let path = path.as_str().to_owned();
            return Err(PackageError::ExpandedTooLarge {
                path,
                limit: MAX_EXPANDED_BYTES,
            });
        }
        files.insert(path, content);
    }
    let actual = digest_files(&files);
    if actual != *digest {
        return Err(PackageError::DigestMismatch {
            expected: *digest,
            actual,
        });
    }
    let package = Package::from_files(files)?;
    Ok(MaterializedPackage { dir, package })
}

fn temp_dir(packages: &Path) -> Result<tempfile::TempDir, PackageError> {
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(packages)
        .map_err(|e| PackageError::io(packages, e))
}

fn write_files(dir: &Path, files: &PackageFiles) -> Result<(), PackageError> {
    for (path, content) in files.iter() {
        let target = dir.join(path.to_relative_path_buf());
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| PackageError::io(parent, e))?;
        }
        fs::write(&target, content).map_err(|e| PackageError::io(&target, e))?;
    }
    Ok(())
}

/// Move a bad entry aside into a temp directory, then delete it. Moving first
/// means no reader ever sees a half-deleted entry under the digest's name.
fn remove_entry(dest: &Path) -> Result<(), PackageError> {
    let packages = dest.parent().unwrap_or(dest);
    let trash = temp_dir(packages)?;
    match fs::rename(dest, trash.path().join("stale")) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(PackageError::io(dest, e)),
    }
    trash.close().map_err(|e| PackageError::io(packages, e))
}
