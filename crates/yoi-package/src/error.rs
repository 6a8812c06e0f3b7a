//! [`PackageError`]: every way reading, packing, validating or caching a
//! package can fail.
//!
//! Paths and reasons that come from a package are stored already passed
//! through [`limits::bounded`](crate::limits::bounded), so an error value is
//! small and safe to print however it is displayed. Errors found after the
//! manifest is parsed carry the plugin id.

use std::io;
use std::path::PathBuf;

use crate::digest::Digest;
use crate::kind::BinaryKind;
use crate::path::PathProblem;

/// An error from this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The archive is larger than [`MAX_ARCHIVE_BYTES`](crate::limits::MAX_ARCHIVE_BYTES).
    #[error("archive is `{size}` bytes, more than the limit of `{limit}`")]
    ArchiveTooLarge { size: u64, limit: u64 },

    /// The bytes are not a ZIP archive this crate can read.
    #[error("archive is malformed: {reason}")]
    Malformed { reason: String },

    /// The archive declares more entries than [`MAX_ENTRIES`](crate::limits::MAX_ENTRIES),
    /// or a directory holds more files than that.
    #[error("package has `{count}` entries, more than the limit of `{limit}`")]
    TooManyEntries { count: usize, limit: usize },

    /// An entry name or a manifest-referenced path is not a safe in-package path.
    #[error("invalid path `{path}`: {problem}")]
    InvalidPath { path: String, problem: PathProblem },

    /// Two entries in the archive's central directory have the same name.
    #[error("archive has more than one entry with the same name")]
    DuplicateEntryName,

    /// Two paths differ only by letter case, so they would name one file on a
    /// case-insensitive file system.
    #[error("paths `{path}` and `{other}` differ only by letter case")]
    DuplicatePath { path: String, other: String },

    /// One path is a file and also the directory of another path.
    #[error("path `{path}` is a file and also a directory of `{other}`")]
    PathConflict { path: String, other: String },

    /// A symlink, device, socket or other non-regular entry.
    #[error("entry `{path}` is not a regular file (unix mode `{mode:#o}`)")]
    SpecialEntry { path: String, mode: u32 },

    /// An entry named as a directory (trailing `/`) that has content or a file mode.
    #[error("entry `{path}` is named as a directory but is not an empty directory entry")]
    BadDirectoryEntry { path: String },

    /// The entry is encrypted.
    #[error("entry `{path}` is encrypted")]
    Encrypted { path: String },

    /// The entry uses a compression method other than stored or deflate.
    #[error("entry `{path}` uses unsupported compression method `{method}`")]
    UnsupportedCompression { path: String, method: String },

    /// One file is larger than [`MAX_FILE_BYTES`](crate::limits::MAX_FILE_BYTES).
    #[error("file `{path}` is larger than the limit of `{limit}` bytes")]
    FileTooLarge { path: String, limit: u64 },

    /// All files together are larger than [`MAX_EXPANDED_BYTES`](crate::limits::MAX_EXPANDED_BYTES).
    #[error("package expands to more than the limit of `{limit}` bytes (at `{path}`)")]
    ExpandedTooLarge { path: String, limit: u64 },

    /// An entry expands more than [`MAX_COMPRESSION_RATIO`](crate::limits::MAX_COMPRESSION_RATIO)
    /// times its compressed size.
    #[error("entry `{path}` expands more than `{limit}` times its compressed size")]
    CompressionRatio { path: String, limit: u64 },

    /// An entry's content does not have the size its header declares.
    #[error("entry `{path}` declares `{declared}` bytes but holds `{actual}`")]
    SizeMismatch {
        path: String,
        declared: u64,
        actual: u64,
    },

    /// An entry's content does not match its CRC-32, or its deflate stream is corrupt.
    #[error("entry `{path}` is corrupt: {reason}")]
    CorruptEntry { path: String, reason: String },

    /// There is no `plugin.toml` at the package root.
    #[error("package has no `plugin.toml` at its root")]
    MissingManifest,

    /// `plugin.toml` is larger than [`MAX_MANIFEST_BYTES`](crate::limits::MAX_MANIFEST_BYTES).
    #[error("`plugin.toml` is `{size}` bytes, more than the limit of `{limit}`")]
    ManifestTooLarge { size: usize, limit: usize },

    /// `plugin.toml` is not valid UTF-8.
    #[error("`plugin.toml` is not valid UTF-8")]
    ManifestNotUtf8,

    /// `plugin.toml` does not parse or validate.
    #[error("invalid `plugin.toml`: {source}")]
    Manifest {
        #[source]
        source: yoi_manifest::ManifestError,
    },

    /// The manifest references a path that is not a valid in-package path.
    #[error("plugin `{id}`: manifest references invalid path `{path}`: {problem}")]
    InvalidReferencedPath {
        id: String,
        path: String,
        problem: PathProblem,
    },

    /// The manifest references a file the package does not contain.
    #[error("plugin `{id}`: manifest references `{path}`, which is not in the package")]
    MissingFile { id: String, path: String },

    /// The runtime artifact does not start with a WebAssembly header.
    #[error("plugin `{id}`: artifact `{path}` is not a WebAssembly module or component")]
    NotWasm { id: String, path: String },

    /// The runtime artifact is a core module where the manifest names a
    /// component, or the reverse.
    #[error("plugin `{id}`: artifact `{path}` is a {found} but the manifest declares a {expected}")]
    ArtifactKindMismatch {
        id: String,
        path: String,
        expected: BinaryKind,
        found: BinaryKind,
    },

    /// While packing a directory: a file to include is missing.
    #[error("`{path}` is missing from the package directory")]
    MissingSourceFile { path: String },

    /// While packing a directory or loading the cache: a path is a symlink.
    #[error("`{path}` is a symlink; packages hold regular files only")]
    Symlink { path: String },

    /// While packing a directory or loading the cache: a file was expected
    /// and something else (a directory, a device, a socket) was found.
    #[error("`{path}` is not a regular file")]
    NotARegularFile { path: String },

    /// A cache entry's path exists but is not a directory.
    #[error("`{path}` is not a directory")]
    NotADirectory { path: String },

    /// A `sha256:<hex>` digest string is malformed.
    #[error("invalid digest `{value}`: expected `sha256:` and 64 lowercase hex digits")]
    InvalidDigest { value: String },

    /// No materialized package with this digest is in the cache.
    #[error("package `{digest}` is not in the cache")]
    NotCached { digest: Digest },

    /// A cached package's files do not hash to the digest it is stored under.
    #[error("cached package `{expected}` was modified: its files hash to `{actual}`")]
    DigestMismatch { expected: Digest, actual: Digest },

    /// A file system operation failed.
    #[error("i/o error at `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl PackageError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
