//! [`Package`]: files, manifest and digest that have passed every check.
//!
//! A `Package` value is the resolved form the rest of yoi works from: the
//! archive was read safely, `plugin.toml` parsed, every referenced path is
//! present, and the artifact's header matches the runtime kind the manifest
//! chose; a typed component's exports match its tools (their schemas are
//! derived here, statically, once). A directory goes through the same path as an archive (it is packed in
//! memory and read back), so both give the same digest and the same checks.

use std::path::Path;
use std::sync::Arc;

use yoi_manifest::{MANIFEST_FILE, Manifest, Schema};
use yoi_typed::{TypedComponent, TypedTool};

use crate::archive::{read_archive, read_archive_file};
use crate::digest::{Digest, digest_files};
use crate::error::PackageError;
use crate::files::PackageFiles;
use crate::kind::{BinaryKind, detect};
use crate::limits::{MAX_MANIFEST_BYTES, bounded};
use crate::pack::pack_dir;
use crate::path::PackagePath;

/// A validated package.
#[derive(Debug, Clone)]
pub struct Package {
    manifest: Manifest,
    files: PackageFiles,
    digest: Digest,
    typed: Option<Arc<[TypedTool]>>,
}

impl Package {
    /// Read and validate a `.yoi-plugin` archive held in memory.
    pub fn from_archive_bytes(bytes: &[u8]) -> Result<Self, PackageError> {
        Self::from_files(read_archive(bytes)?)
    }

    /// Read and validate a `.yoi-plugin` archive file.
    pub fn from_archive_file(path: &Path) -> Result<Self, PackageError> {
        Self::from_files(read_archive_file(path)?)
    }

    /// Pack `dir` in memory, then read the archive back and validate it, so a
    /// directory and its packed archive are held to the same rules and give
    /// the same digest.
    pub fn from_dir(dir: &Path) -> Result<Self, PackageError> {
        Self::from_archive_bytes(&pack_dir(dir)?.bytes)
    }

    /// Validate files that were already read safely, by [`read_archive`] or
    /// from the materialized cache; `PackageFiles` built by hand have not had
    /// the archive checks, so this is not public.
    pub(crate) fn from_files(files: PackageFiles) -> Result<Self, PackageError> {
        let bytes = files
            .get(MANIFEST_FILE)
            .ok_or(PackageError::MissingManifest)?;
        let manifest = parse_manifest(bytes)?;
        let id = || manifest.id.clone();
        for referenced in manifest.referenced_paths() {
            let path = PackagePath::new(referenced).map_err(|problem| {
                PackageError::InvalidReferencedPath {
                    id: id(),
                    path: bounded(referenced),
                    problem,
                }
            })?;
            if !files.contains(path.as_str()) {
                return Err(PackageError::MissingFile {
                    id: id(),
                    path: bounded(referenced),
                });
            }
        }
        let artifact = manifest.artifact_path();
        let bytes = files
            .get(artifact)
            .ok_or_else(|| PackageError::MissingFile {
                id: id(),
                path: bounded(artifact),
            })?;
        let expected = runtime_kind(&manifest);
        match detect(bytes) {
            None => {
                return Err(PackageError::NotWasm {
                    id: id(),
                    path: bounded(artifact),
                });
            }
            Some(found) if found != expected => {
                return Err(PackageError::ArtifactKindMismatch {
                    id: id(),
                    path: bounded(artifact),
                    expected,
                    found,
                });
            }
            Some(_) => {}
        }
        let typed = if manifest.runtime.is_typed() {
            let typed = |source| PackageError::Typed {
                id: id(),
                source: Box::new(source),
            };
            let component = TypedComponent::decode(bytes).map_err(typed)?;
            let declared = |schema: &Schema| match schema {
                Schema::Inline(v) => Some(v.clone()),
                Schema::File(path) => serde_json::from_slice(files.get(path)?).ok(),
            };
            Some(
                yoi_typed::check(&manifest, &component, &declared)
                    .map_err(typed)?
                    .into(),
            )
        } else {
            None
        };
        let digest = digest_files(&files);
        Ok(Self {
            manifest,
            files,
            digest,
            typed,
        })
    }

    /// A typed component's tools, in manifest order, bound to their exports
    /// with the schemas derived from WIT; `None` for the other worlds.
    pub fn typed_tools(&self) -> Option<&[TypedTool]> {
        self.typed.as_deref()
    }

    /// The typed tool called `name`.
    pub fn typed_tool(&self, name: &str) -> Option<&TypedTool> {
        self.typed_tools()?.iter().find(|t| t.name == name)
    }

    /// The parsed manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// All files, including `plugin.toml`.
    pub fn files(&self) -> &PackageFiles {
        &self.files
    }

    /// The content digest.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The runtime artifact's bytes (component or legacy core module).
    pub fn artifact(&self) -> &[u8] {
        self.files
            .get(self.manifest.artifact_path())
            .expect("checked by Package::from_files")
    }

    /// The binary kind of the artifact, which matches the manifest's runtime kind.
    pub fn artifact_kind(&self) -> BinaryKind {
        runtime_kind(&self.manifest)
    }

    /// Take the parts apart.
    pub fn into_parts(self) -> (Manifest, PackageFiles, Digest) {
        (self.manifest, self.files, self.digest)
    }
}

/// Parse `plugin.toml` bytes: at most [`MAX_MANIFEST_BYTES`], UTF-8, valid.
pub(crate) fn parse_manifest(bytes: &[u8]) -> Result<Manifest, PackageError> {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(PackageError::ManifestTooLarge {
            size: bytes.len(),
            limit: MAX_MANIFEST_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| PackageError::ManifestNotUtf8)?;
    Manifest::from_toml_str(text).map_err(|source| PackageError::Manifest { source })
}

/// The binary kind the manifest's runtime requires.
fn runtime_kind(manifest: &Manifest) -> BinaryKind {
    if manifest.runtime.is_component() {
        BinaryKind::Component
    } else {
        BinaryKind::CoreModule
    }
}
