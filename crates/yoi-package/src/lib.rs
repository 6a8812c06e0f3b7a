//! The `.yoi-plugin` package format: safe reading of hostile archives,
//! deterministic packing, the content digest, binary-kind detection and the
//! digest-keyed materialized cache.
//!
//! The flow is one way: bytes or a directory become [`PackageFiles`] (every
//! path checked, every size bounded), then a validated [`Package`] (manifest
//! parsed, referenced files present, artifact kind confirmed), then a
//! [`MaterializedPackage`] in the cache, re-verified against its [`Digest`]
//! whenever it is loaded. Nothing in this crate executes WebAssembly.

#![warn(missing_docs)]

mod archive;
mod cache;
mod digest;
mod error;
mod files;
mod kind;
pub mod limits;
mod pack;
mod package;
mod path;
mod tree;

pub use archive::{read_archive, read_archive_file};
pub use cache::{
    MaterializedPackage, default_cache_root, load_materialized, materialize, package_dir,
};
pub use digest::{Digest, digest_files};
pub use error::PackageError;
pub use files::PackageFiles;
pub use kind::{BinaryKind, detect};
pub use pack::{Packed, pack_dir, pack_files, write_atomically};
pub use package::Package;
pub use path::{PackagePath, PathProblem};
