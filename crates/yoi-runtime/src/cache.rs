//! The compiled-artifact cache.
//!
//! Compiling a component takes tens to hundreds of milliseconds; loading a
//! precompiled one takes well under one. Compiled code is written once per
//! (package digest, engine compatibility hash) under `<cache>/compiled/`:
//! the serialized artifact followed by a 32-byte keyed BLAKE3 MAC.
//!
//! Loading precompiled code is `unsafe` in wasmtime: the bytes are trusted to
//! be wasmtime's own output, and they are native code run outside the
//! sandbox. So yoi only deserializes a file that (1) sits in a directory
//! that only this user can write, ancestors included, and is itself a
//! regular file with one link, owned by this user and writable by no one
//! else, opened without following symlinks (`owner.rs`); and (2) carries a
//! MAC under this user's key (`key.rs`) over the very bytes that are then
//! deserialized *and* the name inputs (package digest, engine key, kind), so
//! that a valid artifact of plugin A copied over plugin B's name fails. A
//! plain checksum beside the file would not do: whoever can write the file
//! can recompute it. The MAC is computed on the bytes already read (BLAKE3
//! runs at GB/s): no extra read of the file.
//!
//! Any doubt (a directory or file that fails a check, a key file that is
//! not private, a MAC that does not match, bytes wasmtime refuses) means
//! the package is compiled again from the materialized package, with one
//! diagnostic for the load ([`crate::LoadedPlugin::cache_diagnostic`]). A
//! new entry is written only into a directory that passed the checks.

mod key;
mod owner;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use wasmtime::component::Component;
use wasmtime::{Engine, Module};

use owner::Doubt;

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
    fn dir(&self) -> PathBuf {
        self.root.join("compiled")
    }

    fn base(&self, digest_hex: &str, kind: Kind) -> String {
        format!("{digest_hex}-{}-{}", self.engine_key, kind.tag())
    }

    /// The MAC of an entry: the name inputs, then the artifact bytes.
    fn mac(
        &self,
        key: &[u8; key::KEY_LEN],
        digest_hex: &str,
        kind: Kind,
        bytes: &[u8],
    ) -> blake3::Hash {
        let mut hasher = blake3::Hasher::new_keyed(key);
        for part in [DOMAIN, digest_hex, self.engine_key, kind.tag()] {
            hasher.update(part.as_bytes());
            hasher.update(&[0]);
        }
        hasher.update(bytes);
        hasher.finalize()
    }

    /// The cached compiled code: `Ok(None)` when there is no entry, an
    /// error (the doubt, for the diagnostic) when an entry or its directory
    /// cannot be trusted.
    pub(crate) fn get(&self, digest_hex: &str, kind: Kind) -> Result<Option<Compiled>, Doubt> {
        let dir = self.dir();
        let code_path = dir.join(format!("{}.cwasm", self.base(digest_hex, kind)));
        match std::fs::symlink_metadata(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            _ => owner::check_dir(&dir)?,
        }
        let Some((file, len)) = owner::open_checked(&code_path, false)? else {
            return Ok(None);
        };
        let shown = code_path.display();
        if len > MAX_ARTIFACT_BYTES {
            return Err(format!(
                "`{shown}` is larger than {MAX_ARTIFACT_BYTES} bytes"
            ));
        }
        let mut bytes = Vec::with_capacity(len as usize);
        file.take(MAX_ARTIFACT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("`{shown}`: {e}"))?;
        let Some(split) = bytes.len().checked_sub(blake3::OUT_LEN) else {
            return Err(format!("`{shown}` is too short to carry a MAC"));
        };
        let Some(key) = key::read(self.root)? else {
            return Err(format!(
                "`{shown}` exists but there is no key to check it with"
            ));
        };
        let (artifact, mac) = bytes.split_at(split);
        let recorded = blake3::Hash::from_bytes(mac.try_into().expect("split at OUT_LEN"));
        // `blake3::Hash` compares in constant time.
        if self.mac(&key, digest_hex, kind, artifact) != recorded {
            return Err(format!(
                "`{shown}` does not carry this user's MAC for this package and engine"
            ));
        }
        deserialize(self.engine, artifact, kind)
            .map(Some)
            .map_err(|e| format!("`{shown}` was refused by wasmtime: {e}"))
    }

    /// Compile `wasm`, then record it in the cache. A cache that cannot be
    /// written only costs time; why it could not is returned for the
    /// diagnostic.
    pub(crate) fn compile_and_store(
        &self,
        digest_hex: &str,
        kind: Kind,
        wasm: &[u8],
    ) -> wasmtime::Result<(Compiled, Option<Doubt>)> {
        let serialized = match kind {
            Kind::Component => self.engine.precompile_component(wasm)?,
            Kind::Module => self.engine.precompile_module(wasm)?,
        };
        let compiled = deserialize(self.engine, &serialized, kind)?;
        Ok((compiled, self.store(digest_hex, kind, serialized).err()))
    }

    fn store(&self, digest_hex: &str, kind: Kind, mut serialized: Vec<u8>) -> Result<(), Doubt> {
        let dir = self.dir();
        owner::create_private_dir(&dir)?;
        let key = key::read_or_create(self.root)?;
        let mac = self.mac(&key, digest_hex, kind, &serialized);
        serialized.extend_from_slice(mac.as_bytes());
        let base = self.base(digest_hex, kind);
        let code_path = dir.join(format!("{base}.cwasm"));
        write_atomically(&dir, &code_path, &serialized)
            .map_err(|e| format!("cannot write `{}`: {e}", code_path.display()))?;
        // The plain checksum older versions kept beside each artifact.
        let _ = std::fs::remove_file(dir.join(format!("{base}.sha256")));
        Ok(())
    }
}

/// What the MAC's input starts with, so it can mean nothing else.
const DOMAIN: &str = "yoi compiled artifact v1";
/// Largest compiled artifact read back (a package's code is at most tens of
/// MiB; its compiled form a small multiple of that).
const MAX_ARTIFACT_BYTES: u64 = 1 << 30;

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Component => "component",
            Kind::Module => "module",
        }
    }
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, bytes: &[u8], kind: Kind) -> wasmtime::Result<Compiled> {
    // SAFETY: `bytes` is either the output of `Engine::precompile_*` in this
    // process, or a cache file in a directory only this user can write that
    // carries this user's MAC over these exact bytes and this entry's name
    // (see the module docs). wasmtime additionally checks
    // the engine configuration and version embedded in the artifact.
    unsafe {
        Ok(match kind {
            Kind::Component => Compiled::Component(Component::deserialize(engine, bytes)?),
            Kind::Module => Compiled::Module(Module::deserialize(engine, bytes)?),
        })
    }
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
