//! The compiled-artifact cache.
//!
//! Compiling a component takes tens to hundreds of milliseconds; loading a
//! precompiled one takes well under one. Compiled code is written once per
//! (package digest, engine compatibility hash) under `<cache>/compiled/`,
//! with a sha256 of the file beside it.
//!
//! Loading precompiled code is `unsafe` in wasmtime: the bytes are trusted to
//! be wasmtime's own output. yoi only deserializes a file that (1) sits in its
//! own cache directory (created or tightened to `0700`; a symlinked, group- or
//! world-writable directory is not read), (2) is named for this exact package
//! digest and engine, and (3) matches the checksum yoi recorded when it wrote
//! it, checked on the very bytes that are then deserialized. Anything else
//! (a corrupt, truncated, foreign or stale file) is compiled again from the
//! materialized package and the cache entry is replaced.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

/// Compiled code of either ABI.
pub(crate) enum Compiled {
    Component(Component),
    Module(Module),
}

/// Which kind of artifact to compile.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Component,
    Module,
}

pub(crate) struct CompiledCache<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) root: &'a Path,
    pub(crate) engine_key: &'a str,
}

/// Where the compiled code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadSource {
    /// Deserialized from the compiled cache.
    Cache,
    /// Compiled now (and written to the cache).
    Compiled,
}

impl CompiledCache<'_> {
    fn paths(&self, digest_hex: &str, kind: Kind) -> (PathBuf, PathBuf) {
        let tag = match kind {
            Kind::Component => "component",
            Kind::Module => "module",
        };
        let dir = self.root.join("compiled");
        let base = format!("{digest_hex}-{}-{tag}", self.engine_key);
        (
            dir.join(format!("{base}.cwasm")),
            dir.join(format!("{base}.sha256")),
        )
    }

    /// The cached compiled code, if a valid entry exists.
    pub(crate) fn get(&self, digest_hex: &str, kind: Kind) -> Option<Compiled> {
        let (code_path, sum_path) = self.paths(digest_hex, kind);
        if !is_private_dir(code_path.parent()?) {
            return None;
        }
        let recorded = std::fs::read_to_string(&sum_path).ok()?;
        let bytes = std::fs::read(&code_path).ok()?;
        if hex::encode(Sha256::digest(&bytes)) != recorded.trim() {
            return None;
        }
        deserialize(self.engine, &bytes, kind).ok()
    }

    /// Compile `wasm`, then record it in the cache (best effort: a cache that
    /// cannot be written only costs time).
    pub(crate) fn compile_and_store(
        &self,
        digest_hex: &str,
        kind: Kind,
        wasm: &[u8],
    ) -> wasmtime::Result<Compiled> {
        let serialized = match kind {
            Kind::Component => self.engine.precompile_component(wasm)?,
            Kind::Module => self.engine.precompile_module(wasm)?,
        };
        let compiled = deserialize(self.engine, &serialized, kind)?;
        let _ = self.store(digest_hex, kind, &serialized);
        Ok(compiled)
    }

    fn store(&self, digest_hex: &str, kind: Kind, serialized: &[u8]) -> std::io::Result<()> {
        let (code_path, sum_path) = self.paths(digest_hex, kind);
        let dir = code_path.parent().expect("cache path has a parent");
        create_private_dir(dir)?;
        write_atomically(dir, &code_path, serialized)?;
        write_atomically(
            dir,
            &sum_path,
            hex::encode(Sha256::digest(serialized)).as_bytes(),
        )
    }
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, bytes: &[u8], kind: Kind) -> wasmtime::Result<Compiled> {
    // SAFETY: `bytes` is either the output of `Engine::precompile_*` in this
    // process, or a cache file yoi wrote whose recorded checksum matches
    // these exact bytes (see the module docs). wasmtime additionally checks
    // the engine configuration and version embedded in the artifact.
    unsafe {
        Ok(match kind {
            Kind::Component => Compiled::Component(Component::deserialize(engine, bytes)?),
            Kind::Module => Compiled::Module(Module::deserialize(engine, bytes)?),
        })
    }
}

/// Create `dir` (`0700`), or make an existing one private again. An entry is
/// only written where [`is_private_dir`] will later trust it.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    if !std::fs::symlink_metadata(dir)?.is_dir() {
        return Err(std::io::Error::other(
            "the compiled cache directory is a symlink or not a directory",
        ));
    }
    // `create` leaves an existing directory as it was: tighten it.
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    Ok(())
}

/// Whether `dir` is a real directory (not a symlink) that neither group nor
/// others may write. Nothing is deserialized from anywhere else: a directory
/// others can write to may hold files yoi did not write, with checksums to
/// match.
fn is_private_dir(dir: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return false;
    };
    #[cfg(unix)]
    if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o022 != 0 {
        return false;
    }
    meta.is_dir()
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
