//! Deterministic packing of a package directory into a `.yoi-plugin`.
//!
//! What goes in: `plugin.toml`, every path the manifest references, `README*`
//! and `LICENSE*` files at the root, and every file under `schemas/` and
//! `assets/`. Nothing else, so build output and editor files never leak into a
//! package. Symlinks are refused rather than followed: a package must not pick
//! up a file from outside its directory.
//!
//! The archive is a pure function of the files: entries in path order, a fixed
//! 1980-01-01 00:00 timestamp, unix mode `0o644`, deflate. Packing the same
//! files twice gives the same bytes and, more importantly, the same digest.

use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;

use yoi_manifest::MANIFEST_FILE;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::digest::{Digest, digest_files};
use crate::error::PackageError;
use crate::files::PackageFiles;
use crate::limits::{MAX_ENTRIES, MAX_EXPANDED_BYTES, bounded};
use crate::package::parse_manifest;
use crate::path::PackagePath;
use crate::tree::{self, list_files, read_regular};

/// Directories whose whole content is packed when they exist.
const PACKED_DIRS: [&str; 2] = ["schemas", "assets"];
/// Root file-name prefixes that are packed.
const ROOT_PREFIXES: [&str; 2] = ["README", "LICENSE"];

/// A packed archive and what it holds.
#[derive(Clone)]
pub struct Packed {
    /// The `.yoi-plugin` bytes.
    pub bytes: Vec<u8>,
    /// The package digest of `files`.
    pub digest: Digest,
    /// The files in the archive.
    pub files: PackageFiles,
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packed")
            .field("bytes", &self.bytes.len())
            .field("digest", &self.digest)
            .field("files", &self.files)
            .finish()
    }
}

/// Pack the package in `dir`.
///
/// `plugin.toml` is parsed to find the referenced paths; full validation of
/// the result (artifact kind, limits on the archive) is
/// [`Package::from_dir`](crate::Package::from_dir)'s job.
pub fn pack_dir(dir: &Path) -> Result<Packed, PackageError> {
    let mut files = PackageFiles::new();
    let manifest_path = tree::package_path(MANIFEST_FILE)?;
    let manifest_bytes = read_regular(dir, &manifest_path)?;
    let manifest = parse_manifest(&manifest_bytes)?;

    let mut wanted = Vec::new();
    for referenced in manifest.referenced_paths() {
        let path = PackagePath::new(referenced).map_err(|problem| {
            PackageError::InvalidReferencedPath {
                id: manifest.id.clone(),
                path: bounded(referenced),
                problem,
            }
        })?;
        wanted.push(path);
    }
    wanted.extend(root_files(dir)?);
    for name in PACKED_DIRS {
        wanted.extend(list_files(dir, name)?);
    }

    let mut total = manifest_bytes.len() as u64;
    files.insert(manifest_path, manifest_bytes);
    for path in wanted {
        if files.contains(path.as_str()) {
            continue;
        }
        if files.len() == MAX_ENTRIES {
            let count = files.len() + 1;
            return Err(PackageError::TooManyEntries {
                count,
                limit: MAX_ENTRIES,
            });
        }
        let content = read_regular(dir, &path)?;
        total += content.len() as u64;
        if total > MAX_EXPANDED_BYTES {
            let path = bounded(path.as_str());
            return Err(PackageError::ExpandedTooLarge {
                path,
                limit: MAX_EXPANDED_BYTES,
            });
        }
        files.insert(path, content);
    }
    let bytes = pack_files(&files);
    Ok(Packed {
        digest: digest_files(&files),
        bytes,
        files,
    })
}

/// Write `files` as a deterministic archive.
pub fn pack_files(files: &PackageFiles) -> Vec<u8> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (path, content) in files.iter() {
        // Writing to a Vec fails only on allocation failure or for entries over
        // 4 GiB, which no PackageFiles from this crate holds.
        writer
            .start_file(path.as_str(), options)
            .expect("zip entry header into memory");
        writer
            .write_all(content)
            .expect("zip entry content into memory");
    }
    writer
        .finish()
        .expect("zip directory into memory")
        .into_inner()
}

/// Write `bytes` to `path` so readers see the old file or the new one, never
/// a partial one: a temp file in the same directory, synced, then renamed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PackageError> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp =
        tempfile::NamedTempFile::new_in(parent).map_err(|e| PackageError::io(parent, e))?;
    temp.write_all(bytes)
        .map_err(|e| PackageError::io(temp.path(), e))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| PackageError::io(temp.path(), e))?;
    temp.persist(path)
        .map_err(|e| PackageError::io(path, e.error))?;
    Ok(())
}

/// `README*` and `LICENSE*` regular files at the root of `dir`.
fn root_files(dir: &Path) -> Result<Vec<PackagePath>, PackageError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| PackageError::io(dir, e))? {
        let entry = entry.map_err(|e| PackageError::io(dir, e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !ROOT_PREFIXES.iter().any(|prefix| name.starts_with(prefix)) {
            continue;
        }
        let file_type = entry
            .file_type()
            .map_err(|e| PackageError::io(entry.path(), e))?;
        if file_type.is_dir() {
            continue;
        }
        out.push(tree::package_path(&name)?);
    }
    Ok(out)
}
