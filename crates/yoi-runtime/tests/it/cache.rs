//! The compiled-artifact cache: reused across engines, and anything that is
//! not exactly what yoi wrote, in a place only this user can write, is
//! recompiled with one diagnostic, never trusted. Attackers: another local
//! user who can write (or owns) part of the cache path, and a plugin granted
//! files that swaps its own compiled code.

use std::path::{Path, PathBuf};

use std::os::unix::fs::PermissionsExt;

use sha2::{Digest as _, Sha256};
use yoi_package::Package;
use yoi_runtime::{LoadSource, LoadedPlugin, Runtime, RuntimeConfig};

use crate::support::{assert_still_serves, fixture, test_limits};

/// A fresh runtime (a new engine) over `root`.
fn runtime(root: &Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_root: root.to_owned(),
        limits: test_limits(),
    })
    .expect("creating the runtime")
}

fn load(root: &Path, package: &Package) -> LoadedPlugin {
    runtime(root)
        .load("echo", package, Default::default())
        .unwrap_or_else(|e| panic!("loading echo: {e}"))
}

/// The compiled artifacts in the cache, sorted.
fn artifacts(root: &Path) -> Vec<PathBuf> {
    let dir = root.join("compiled");
    let mut code: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    code.sort();
    code
}

/// The one compiled artifact in the cache.
fn cache_entry(root: &Path) -> PathBuf {
    let mut code = artifacts(root);
    assert_eq!(code.len(), 1, "expected one compiled artifact: {code:?}");
    code.pop().unwrap()
}

/// Write `artifact` at `code` as yoi would, with a MAC under the real key
/// (read as root can): what is left to stop it is wasmtime's own check.
fn forge_with_the_key(root: &Path, code: &Path, artifact: &[u8]) {
    let key: [u8; 32] = std::fs::read(root.join("compiled.key"))
        .unwrap()
        .try_into()
        .unwrap();
    let stem = code.file_stem().unwrap().to_str().unwrap();
    let mut parts = stem.splitn(3, '-');
    let (digest, engine, kind) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let mut hasher = blake3::Hasher::new_keyed(&key);
    for part in ["yoi compiled artifact v1", digest, engine, kind] {
        hasher.update(part.as_bytes());
        hasher.update(&[0]);
    }
    hasher.update(artifact);
    let mut bytes = artifact.to_vec();
    bytes.extend_from_slice(hasher.finalize().as_bytes());
    std::fs::write(code, bytes).unwrap();
}

/// The artifact bytes of a cache file, without the MAC.
fn artifact_of(code: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(code).unwrap();
    bytes.truncate(bytes.len() - 32);
    bytes
}

/// The next load compiles again and says why, once, with `needle` in it.
async fn assert_distrusted(root: &Path, package: &Package, needle: &str) -> LoadedPlugin {
    let plugin = load(root, package);
    assert_eq!(plugin.load_source(), LoadSource::Compiled);
    let diagnostic = plugin.cache_diagnostic().expect("a diagnostic");
    assert!(
        diagnostic.starts_with("the compiled cache was not used: ") && diagnostic.contains(needle),
        "`{needle}` not in `{diagnostic}`"
    );
    assert_still_serves(&plugin, "echo").await;
    plugin
}

/// Loads from `root` must now compile again, serve calls, and leave a valid
/// entry behind that the next engine loads from the cache.
async fn assert_recompiles(root: &Path, package: &Package, needle: &str) {
    assert_distrusted(root, package, needle).await;
    let again = load(root, package);
    assert_eq!(again.load_source(), LoadSource::Cache);
    assert_eq!(again.cache_diagnostic(), None);
    assert_still_serves(&again, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_engine_loads_from_the_cache() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    let first = load(root.path(), &package);
    assert_eq!(first.load_source(), LoadSource::Compiled);
    assert_eq!(first.cache_diagnostic(), None, "a fresh cache is no doubt");
    assert_still_serves(&first, "echo").await;

    let second = load(root.path(), &package);
    assert_eq!(second.load_source(), LoadSource::Cache);
    assert_still_serves(&second, "echo").await;
    // The first plugin is unaffected by the second engine.
    assert_still_serves(&first, "echo").await;
}

#[test]
fn cache_directory_is_private() {
    let root = tempfile::tempdir().unwrap();
    // A root that does not exist yet, so the runtime creates the whole path.
    let root = root.path().join("nested/yoi");
    load(&root, &fixture("echo"));
    let code = cache_entry(&root);
    let dir = code.parent().unwrap();
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{} has mode {mode:o}", dir.display());
    for file in [code.clone(), root.join("compiled.key")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} has mode {mode:o}", file.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipped_byte_is_recompiled() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let code = cache_entry(root.path());
    let mut bytes = std::fs::read(&code).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&code, &bytes).unwrap();
    assert_recompiles(root.path(), &package, "does not carry this user's MAC").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_artifact_is_recompiled() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let code = cache_entry(root.path());
    let len = std::fs::metadata(&code).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&code)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    assert_recompiles(root.path(), &package, "does not carry this user's MAC").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_key_is_recompiled_and_a_new_key_made() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let key = root.path().join("compiled.key");
    let old = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    assert_recompiles(root.path(), &package, "no key to check it with").await;
    assert_ne!(std::fs::read(&key).unwrap(), old);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_file_with_matching_checksum_is_recompiled() {
    // Bytes that are not wasmtime's output, with their real checksum: the
    // checksum passes, deserialization must fail safely, and yoi recompiles.
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let code = cache_entry(root.path());
    let len = std::fs::metadata(&code).unwrap().len() as usize;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let foreign: Vec<u8> = (0..len)
        .map(|_| {
            // xorshift64: deterministic noise, no extra dependency.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    forge_with_the_key(root.path(), &code, &foreign);
    assert_recompiles(root.path(), &package, "was refused by wasmtime").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elf_header_with_matching_checksum_is_recompiled() {
    // A foreign file that starts like a compiled artifact (an ELF object) but
    // is not one.
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let code = cache_entry(root.path());
    let real = artifact_of(&code);
    let mut foreign = real[..64.min(real.len())].to_vec();
    foreign.resize(real.len(), 0xAA);
    forge_with_the_key(root.path(), &code, &foreign);
    assert_recompiles(root.path(), &package, "was refused by wasmtime").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn module_artifact_in_the_component_slot_is_recompiled() {
    // A real wasmtime artifact of the other kind under the component's name,
    // with a matching checksum: wasmtime refuses it, yoi recompiles.
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let code = cache_entry(root.path());
    let engine = runtime(root.path()).engine().clone();
    let module = engine
        .precompile_module(&wat::parse_str("(module)").unwrap())
        .unwrap();
    forge_with_the_key(root.path(), &code, &module);
    assert_recompiles(root.path(), &package, "was refused by wasmtime").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlinked_cache_directory_is_not_trusted() {
    let package = fixture("echo");
    // A valid cache entry, elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    load(elsewhere.path(), &package);
    let code = cache_entry(elsewhere.path());
    let target = code.parent().unwrap();

    let root = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(target, root.path().join("compiled")).unwrap();
    for _ in 0..2 {
        assert_distrusted(root.path(), &package, "is a symlink or not a directory").await;
    }
}

/// The attacker: a plugin granted write on `$HOME` copies another plugin's
/// compiled code over its own entry and recomputes the plain checksum that
/// used to sit beside it. The MAC covers the entry's name, so the swapped
/// file is refused and the right plugin answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swapped_artifact_with_a_recomputed_checksum_is_not_loaded() {
    let root = tempfile::tempdir().unwrap();
    let echo = fixture("echo");
    let other = fixture("hostile");
    load(root.path(), &echo);
    let echo_code = cache_entry(root.path());
    runtime(root.path())
        .load("hostile", &other, Default::default())
        .unwrap();
    let other_code = artifacts(root.path())
        .into_iter()
        .find(|p| *p != echo_code)
        .unwrap();
    let swapped = std::fs::read(&other_code).unwrap();
    std::fs::write(&echo_code, &swapped).unwrap();
    std::fs::write(
        echo_code.with_extension("sha256"),
        hex::encode(Sha256::digest(&swapped)),
    )
    .unwrap();
    assert_recompiles(root.path(), &echo, "does not carry this user's MAC").await;
}

/// The attacker: another local user who can write into the cache directory
/// (group write) and plant files there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_dir_with_group_write_is_ignored() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let dir = root.path().join("compiled");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o770)).unwrap();
    assert_distrusted(
        root.path(),
        &package,
        "is writable by other users (mode 770)",
    )
    .await;
    // This user owns it, so it was made private again before anything was written.
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the directory was not made private again");
    assert_eq!(load(root.path(), &package).load_source(), LoadSource::Cache);
}

/// The attacker: another local user who owns the cache directory under a
/// shared `XDG_CACHE_HOME` (mode 0755 passed before). Nothing in it is
/// read, and nothing is written into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_dir_owned_by_another_user_is_ignored() {
    const NOBODY: u32 = 65534;
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let dir = root.path().join("compiled");
    let code = cache_entry(root.path());
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).unwrap();
    let before = std::fs::metadata(&code).unwrap().modified().unwrap();
    for _ in 0..2 {
        assert_distrusted(
            root.path(),
            &package,
            "is owned by user 65534, not this user",
        )
        .await;
    }
    assert_eq!(
        std::fs::metadata(&code).unwrap().modified().unwrap(),
        before
    );
    assert_eq!(artifacts(root.path()), [code]);

    // An ancestor owned by someone else is as bad.
    std::os::unix::fs::chown(&dir, Some(0), Some(0)).unwrap();
    std::os::unix::fs::chown(root.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    assert_distrusted(
        root.path(),
        &package,
        "is owned by user 65534, neither this user nor root",
    )
    .await;
    std::os::unix::fs::chown(root.path(), Some(0), Some(0)).unwrap();
}

/// The attacker: a second hard link to the artifact, made where someone
/// else can rewrite it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_linked_artifact_is_ignored() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let code = cache_entry(root.path());
    std::fs::hard_link(&code, root.path().join("elsewhere")).unwrap();
    assert_recompiles(root.path(), &package, "has 2 hard links").await;
}

/// A key file others can read may be known to them: it is not used, and a
/// new private key replaces it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_file_with_the_wrong_mode_is_not_used() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let key = root.path().join("compiled.key");
    let old = std::fs::read(&key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_recompiles(
        root.path(),
        &package,
        "is readable by other users (mode 644)",
    )
    .await;
    assert_ne!(
        std::fs::read(&key).unwrap(),
        old,
        "the old key is still in use"
    );
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
