//! Reading a `.yoi-plugin` archive, which must be assumed hostile.
//!
//! The `zip` crate parses the container; everything that decides safety is
//! checked here, per entry, before its content is kept:
//!
//! - the name is a valid [`PackagePath`] (no zip slip, absolute path,
//!   backslash, drive prefix, NUL, empty or dot segments);
//! - the entry is a regular file (unix file-type bits in the external
//!   attributes) or a genuine, empty directory entry, which is skipped;
//!   symlinks, devices and other special entries are refused, because an
//!   extractor that honours them can be made to write or read outside its root;
//! - it is not encrypted and is stored or deflated;
//! - its size, the package's total size and its compression ratio are
//!   measured on the bytes actually produced (see [`content`]), then the
//!   declared size and CRC-32 must match what was produced;
//! - no two names collide, exactly or by letter case, and no file is also
//!   the directory of another, so the package materializes the same way on
//!   every file system.
//!
//! Local headers must agree with the central directory, so another ZIP tool
//! cannot be shown different names than yoi reads.

mod content;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use zip::{CompressionMethod, ZipArchive};

use crate::error::PackageError;
use crate::files::PackageFiles;
use crate::limits::{self, bounded, bounded_bytes};
use crate::path::{PackagePath, PathProblem};

/// Unix file-type bits (`S_IFMT`) and the two types a package may hold.
const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
/// MS-DOS directory attribute, in the low byte of the external attributes.
const DOS_DIRECTORY: u32 = 0x10;
/// The compressed size of an empty deflate stream.
const EMPTY_DEFLATE_BYTES: u64 = 2;
/// Signature that starts every central directory header.
const CENTRAL_SIGNATURE: &[u8; 4] = b"PK\x01\x02";
/// Central-directory signatures allowed per permitted entry before the
/// archive is indexed: one per real entry, with room for chance occurrences
/// inside file data.
const SIGNATURE_ALLOWANCE: usize = 4;

/// The bounds applied while reading; [`Limits::default`] is the set in
/// [`limits`]. Smaller values exist only so unit tests can hit each bound cheaply.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) archive_bytes: u64,
    pub(crate) entries: usize,
    pub(crate) file_bytes: u64,
    pub(crate) expanded_bytes: u64,
    pub(crate) ratio: u64,
    pub(crate) ratio_min_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            archive_bytes: limits::MAX_ARCHIVE_BYTES,
            entries: limits::MAX_ENTRIES,
            file_bytes: limits::MAX_FILE_BYTES,
            expanded_bytes: limits::MAX_EXPANDED_BYTES,
            ratio: limits::MAX_COMPRESSION_RATIO,
            ratio_min_bytes: limits::RATIO_CHECK_MIN_BYTES,
        }
    }
}

/// Read and check a whole archive held in memory.
pub fn read_archive(bytes: &[u8]) -> Result<PackageFiles, PackageError> {
    read_archive_with(bytes, &Limits::default())
}

/// Read and check an archive file. Its size is checked before it is read,
/// and the read itself stops one byte past the limit in case it grows.
pub fn read_archive_file(path: &Path) -> Result<PackageFiles, PackageError> {
    let too_large = |size| PackageError::ArchiveTooLarge {
        size,
        limit: limits::MAX_ARCHIVE_BYTES,
    };
    let file = std::fs::File::open(path).map_err(|e| PackageError::io(path, e))?;
    let size = file
        .metadata()
        .map_err(|e| PackageError::io(path, e))?
        .len();
    if size > limits::MAX_ARCHIVE_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::new();
    file.take(limits::MAX_ARCHIVE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| PackageError::io(path, e))?;
    if bytes.len() as u64 > limits::MAX_ARCHIVE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    read_archive(&bytes)
}

pub(crate) fn read_archive_with(
    bytes: &[u8],
    limits: &Limits,
) -> Result<PackageFiles, PackageError> {
    let size = bytes.len() as u64;
    if size > limits.archive_bytes {
        return Err(PackageError::ArchiveTooLarge {
            size,
            limit: limits.archive_bytes,
        });
    }
    let signatures = count_central_signatures(bytes, limits.entries * SIGNATURE_ALLOWANCE);
    if signatures > limits.entries * SIGNATURE_ALLOWANCE {
        return Err(PackageError::TooManyEntries {
            count: signatures,
            limit: limits.entries,
        });
    }
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(malformed)?;
    if archive.len() > limits.entries {
        return Err(PackageError::TooManyEntries {
            count: archive.len(),
            limit: limits.entries,
        });
    }
    if archive.has_duplicate_names() {
        return Err(PackageError::DuplicateEntryName);
    }
    archive.validate_header_consistency().map_err(malformed)?;

    let mut files = PackageFiles::new();
    let mut folded = BTreeMap::new();
    let mut expanded = 0u64;
    for index in 0..archive.len() {
        let mut entry = archive.by_index_raw(index).map_err(malformed)?;
        let Some(path) = check_entry(&entry)? else {
            continue;
        };
        let content = content::read(&mut entry, &path, limits, expanded)?;
        expanded += content.len() as u64;
        if let Some(other) = folded.insert(path.as_str().to_lowercase(), path.clone()) {
            return Err(PackageError::DuplicatePath {
                path: bounded(path.as_str()),
                other: bounded(other.as_str()),
            });
        }
        files.insert(path, content);
    }
    check_file_dir_conflicts(&folded)?;
    Ok(files)
}

/// Check an entry's metadata. `Ok(None)` for a genuine directory entry, which
/// carries nothing a package needs and is skipped.
fn check_entry<R: Read>(
    entry: &zip::read::ZipFile<'_, R>,
) -> Result<Option<PackagePath>, PackageError> {
    let raw = entry.name_raw();
    let name = std::str::from_utf8(raw).map_err(|_| PackageError::InvalidPath {
        path: bounded_bytes(raw),
        problem: PathProblem::NotUtf8,
    })?;
    let (is_dir, logical) = match name.strip_suffix('/') {
        Some(dir) => (true, dir),
        None => (false, name),
    };
    let path = PackagePath::new(logical).map_err(|problem| PackageError::InvalidPath {
        path: bounded(name),
        problem,
    })?;
    if entry.encrypted() {
        return Err(PackageError::Encrypted {
            path: bounded(name),
        });
    }

    let attributes = entry.external_attributes();
    let mut mode = attributes >> 16;
    if mode & S_IFMT == 0 && attributes & DOS_DIRECTORY != 0 {
        mode |= S_IFDIR;
    }
    if is_dir {
        let empty = entry.size() == 0 && entry.compressed_size() <= EMPTY_DEFLATE_BYTES;
        if !matches!(mode & S_IFMT, 0 | S_IFDIR) || !empty {
            return Err(PackageError::BadDirectoryEntry {
                path: bounded(name),
            });
        }
        return Ok(None);
    }
    if !matches!(mode & S_IFMT, 0 | S_IFREG) {
        return Err(PackageError::SpecialEntry {
            path: bounded(name),
            mode,
        });
    }
    match entry.compression() {
        CompressionMethod::Stored | CompressionMethod::Deflated => Ok(Some(path)),
        other => Err(PackageError::UnsupportedCompression {
            path: bounded(name),
            method: format!("{other:?}"),
        }),
    }
}

/// Refuse a file whose path is also a directory of another file (`a` and
/// `a/b`), compared case-insensitively like the duplicate check.
fn check_file_dir_conflicts(folded: &BTreeMap<String, PackagePath>) -> Result<(), PackageError> {
    for (key, path) in folded {
        let ancestors = key.match_indices('/').map(|(at, _)| &key[..at]);
        for ancestor in ancestors {
            if let Some(file) = folded.get(ancestor) {
                return Err(PackageError::PathConflict {
                    path: bounded(file.as_str()),
                    other: bounded(path.as_str()),
                });
            }
        }
    }
    Ok(())
}

/// Count central-directory signatures in the raw bytes, stopping past `stop`.
///
/// The `zip` crate indexes the whole central directory before anything can be
/// checked, at a few hundred bytes of memory per entry, and believes the end
/// record's entry count; a 64 MiB archive of minimal entries would cost
/// hundreds of MiB. Every entry it can index starts with this signature, so the
/// count bounds that work whatever the end record claims.
fn count_central_signatures(bytes: &[u8], stop: usize) -> usize {
    let mut count = 0;
    for window in bytes.windows(CENTRAL_SIGNATURE.len()) {
        if window == CENTRAL_SIGNATURE {
            count += 1;
            if count > stop {
                break;
            }
        }
    }
    count
}

fn malformed(error: zip::result::ZipError) -> PackageError {
    PackageError::Malformed {
        reason: bounded(&error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    fn zip_of(entries: &[(&str, &[u8], CompressionMethod)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content, method) in entries {
            let options = SimpleFileOptions::default().compression_method(*method);
            writer.start_file(*name, options).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn small() -> Limits {
        Limits {
            archive_bytes: 1 << 20,
            entries: 4,
            file_bytes: 1000,
            expanded_bytes: 2500,
            ratio: 10,
            ratio_min_bytes: 100,
        }
    }

    #[test]
    fn reads_stored_and_deflated_files() {
        let bytes = zip_of(&[
            ("b.txt", b"bee", CompressionMethod::Stored),
            ("a/c.txt", b"sea sea sea sea", CompressionMethod::Deflated),
        ]);
        let files = read_archive(&bytes).unwrap();
        let paths: Vec<&str> = files.paths().map(PackagePath::as_str).collect();
        assert_eq!(paths, ["a/c.txt", "b.txt"]);
        assert_eq!(files.get("a/c.txt"), Some(&b"sea sea sea sea"[..]));
    }

    #[test]
    fn counts_every_entry_against_the_limit() {
        let entries: Vec<(String, Vec<u8>)> = (0..5).map(|i| (format!("f{i}"), vec![])).collect();
        let refs: Vec<(&str, &[u8], CompressionMethod)> = entries
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice(), CompressionMethod::Stored))
            .collect();
        let err = read_archive_with(&zip_of(&refs), &small()).unwrap_err();
        assert!(
            matches!(err, PackageError::TooManyEntries { count: 5, limit: 4 }),
            "{err}"
        );
    }

    #[test]
    fn measures_the_expanded_total_across_files() {
        let noise: Vec<u8> = (0..900u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let bytes = zip_of(&[
            ("a", &noise, CompressionMethod::Stored),
            ("b", &noise, CompressionMethod::Deflated),
            ("c", &noise, CompressionMethod::Stored),
        ]);
        let err = read_archive_with(&bytes, &small()).unwrap_err();
        assert!(
            matches!(&err, PackageError::ExpandedTooLarge { path, limit: 2500 } if path == "c"),
            "{err}"
        );
    }

    #[test]
    fn checks_the_ratio_only_past_the_threshold() {
        let just_under = vec![0u8; 100];
        let bytes = zip_of(&[("z", &just_under, CompressionMethod::Deflated)]);
        assert!(read_archive_with(&bytes, &small()).is_ok());

        let over = vec![0u8; 900];
        let bytes = zip_of(&[("z", &over, CompressionMethod::Deflated)]);
        let err = read_archive_with(&bytes, &small()).unwrap_err();
        assert!(
            matches!(err, PackageError::CompressionRatio { limit: 10, .. }),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_file_that_is_also_a_directory() {
        let bytes = zip_of(&[
            ("lib", b"file", CompressionMethod::Stored),
            ("LIB/x.json", b"{}", CompressionMethod::Stored),
        ]);
        let err = read_archive(&bytes).unwrap_err();
        assert!(
            matches!(&err, PackageError::PathConflict { path, other } if path == "lib" && other == "LIB/x.json"),
            "{err}"
        );
    }
}
