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
    ArchiveTooLarge {
        /// Size of the archive, in bytes.
        size: u64,
        /// The limit it is over.
        limit: u64,
    },

    /// The bytes are not a ZIP archive this crate can read.
    #[error("archive is malformed: {reason}")]
    Malformed {
        /// The ZIP reader's reason.
        reason: String,
    },

    /// The archive declares more entries than [`MAX_ENTRIES`](crate::limits::MAX_ENTRIES),
    /// or a directory holds more files than that.
    #[error("package has `{count}` entries, more than the limit of `{limit}`")]
    TooManyEntries {
        /// How many entries or files were counted; counting may stop once past `limit`.
        count: usize,
        /// The limit it is over.
        limit: usize,
    },

    /// An entry name or a manifest-referenced path is not a safe in-package path.
    #[error("invalid path `{path}`: {problem}")]
    InvalidPath {
        /// The offending path.
        path: String,
        /// Which path rule it breaks.
        problem: PathProblem,
    },

    /// Two entries in the archive's central directory have the same name.
    #[error("archive has more than one entry with the same name")]
    DuplicateEntryName,

    /// Two paths differ only by letter case, so they would name one file on a
    /// case-insensitive file system.
    #[error("paths `{path}` and `{other}` differ only by letter case")]
    DuplicatePath {
        /// One of the two paths.
        path: String,
        /// The other path.
        other: String,
    },

    /// One path is a file and also the directory of another path.
    #[error("path `{path}` is a file and also a directory of `{other}`")]
    PathConflict {
        /// The path that is a file.
        path: String,
        /// The path that needs it to be a directory.
        other: String,
    },

    /// A symlink, device, socket or other non-regular entry.
    #[error("entry `{path}` is not a regular file (unix mode `{mode:#o}`)")]
    SpecialEntry {
        /// The entry's name.
        path: String,
        /// The unix mode its header declares.
        mode: u32,
    },

    /// An entry named as a directory (trailing `/`) that has content or a file mode.
    #[error("entry `{path}` is named as a directory but is not an empty directory entry")]
    BadDirectoryEntry {
        /// The entry's name.
        path: String,
    },

    /// The entry is encrypted.
    #[error("entry `{path}` is encrypted")]
    Encrypted {
        /// The entry's name.
        path: String,
    },

    /// The entry uses a compression method other than stored or deflate.
    #[error("entry `{path}` uses unsupported compression method `{method}`")]
    UnsupportedCompression {
        /// The entry's name.
        path: String,
        /// The compression method, as the ZIP reader names it.
        method: String,
    },

    /// One file is larger than [`MAX_FILE_BYTES`](crate::limits::MAX_FILE_BYTES).
    #[error("file `{path}` is larger than the limit of `{limit}` bytes")]
    FileTooLarge {
        /// The file.
        path: String,
        /// The per-file limit, in bytes.
        limit: u64,
    },

    /// All files together are larger than [`MAX_EXPANDED_BYTES`](crate::limits::MAX_EXPANDED_BYTES).
    #[error("package expands to more than the limit of `{limit}` bytes (at `{path}`)")]
    ExpandedTooLarge {
        /// The file at which the total went over.
        path: String,
        /// The total limit, in bytes.
        limit: u64,
    },

    /// An entry expands more than [`MAX_COMPRESSION_RATIO`](crate::limits::MAX_COMPRESSION_RATIO)
    /// times its compressed size.
    #[error("entry `{path}` expands more than `{limit}` times its compressed size")]
    CompressionRatio {
        /// The entry's name.
        path: String,
        /// The ratio limit.
        limit: u64,
    },

    /// An entry's content does not have the size its header declares.
    #[error("entry `{path}` declares `{declared}` bytes but holds `{actual}`")]
    SizeMismatch {
        /// The entry's name.
        path: String,
        /// The size its header declares, in bytes.
        declared: u64,
        /// The size its content has, in bytes.
        actual: u64,
    },

    /// An entry's content does not match its CRC-32, or its deflate stream is corrupt.
    #[error("entry `{path}` is corrupt: {reason}")]
    CorruptEntry {
        /// The entry's name.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// There is no `plugin.toml` at the package root.
    #[error("package has no `plugin.toml` at its root")]
    MissingManifest,

    /// `plugin.toml` is larger than [`MAX_MANIFEST_BYTES`](crate::limits::MAX_MANIFEST_BYTES).
    #[error("`plugin.toml` is `{size}` bytes, more than the limit of `{limit}`")]
    ManifestTooLarge {
        /// Size of `plugin.toml`, in bytes.
        size: usize,
        /// The limit it is over.
        limit: usize,
    },

    /// `plugin.toml` is not valid UTF-8.
    #[error("`plugin.toml` is not valid UTF-8")]
    ManifestNotUtf8,

    /// `plugin.toml` does not parse or validate.
    #[error("invalid `plugin.toml`: {source}")]
    Manifest {
        /// The manifest's own error.
        #[source]
        source: yoi_manifest::ManifestError,
    },

    /// The manifest references a path that is not a valid in-package path.
    #[error("plugin `{id}`: manifest references invalid path `{path}`: {problem}")]
    InvalidReferencedPath {
        /// The plugin's id.
        id: String,
        /// The referenced path.
        path: String,
        /// Which path rule it breaks.
        problem: PathProblem,
    },

    /// A typed component (`world = "typed"`) does not match its manifest:
    /// an export is missing, unmappable or named twice, a declared schema
    /// contradicts the WIT, or it imports what is not provided or requested.
    #[error("plugin `{id}`: {source}")]
    Typed {
        /// The plugin's id.
        id: String,
        /// What is wrong, naming the function (boxed: it is the largest variant).
        source: Box<yoi_typed::TypedError>,
    },

    /// The manifest references a file the package does not contain.
    #[error("plugin `{id}`: manifest references `{path}`, which is not in the package")]
    MissingFile {
        /// The plugin's id.
        id: String,
        /// The referenced path.
        path: String,
    },

    /// The runtime artifact does not start with a WebAssembly header.
    #[error("plugin `{id}`: artifact `{path}` is not a WebAssembly module or component")]
    NotWasm {
        /// The plugin's id.
        id: String,
        /// The artifact's path.
        path: String,
    },

    /// The runtime artifact is a core module where the manifest names a
    /// component, or the reverse.
    #[error("plugin `{id}`: artifact `{path}` is a {found} but the manifest declares a {expected}")]
    ArtifactKindMismatch {
        /// The plugin's id.
        id: String,
        /// The artifact's path.
        path: String,
        /// What the manifest's runtime kind needs.
        expected: BinaryKind,
        /// What the bytes are.
        found: BinaryKind,
    },

    /// While packing a directory: a file to include is missing.
    #[error("`{path}` is missing from the package directory")]
    MissingSourceFile {
        /// The path, relative to the package directory.
        path: String,
    },

    /// While packing a directory or loading the cache: a path is a symlink.
    #[error("`{path}` is a symlink; packages hold regular files only")]
    Symlink {
        /// The symlink.
        path: String,
    },

    /// While packing a directory or loading the cache: a file was expected
    /// and something else (a directory, a device, a socket) was found.
    #[error("`{path}` is not a regular file")]
    NotARegularFile {
        /// The path.
        path: String,
    },

    /// A cache entry's path exists but is not a directory.
    #[error("`{path}` is not a directory")]
    NotADirectory {
        /// The path.
        path: String,
    },

    /// A `sha256:<hex>` digest string is malformed.
    #[error("invalid digest `{value}`: expected `sha256:` and 64 lowercase hex digits")]
    InvalidDigest {
        /// The text that was to be a digest.
        value: String,
    },

    /// No materialized package with this digest is in the cache.
    #[error("package `{digest}` is not in the cache")]
    NotCached {
        /// The digest looked up.
        digest: Digest,
    },

    /// A cached package's files do not hash to the digest it is stored under.
    #[error("cached package `{expected}` was modified: its files hash to `{actual}`")]
    DigestMismatch {
        /// The digest the package is stored under.
        expected: Digest,
        /// The digest its files have now.
        actual: Digest,
    },

    /// A file system operation failed.
    #[error("i/o error at `{}`: {source}", path.display())]
    Io {
        /// The path the operation was on.
        path: PathBuf,
        /// The operating system error.
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
