//! The compiled-artifact cache: reused across engines, and anything that is
//! not exactly what yoi wrote is recompiled, never trusted.

use std::path::{Path, PathBuf};

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

/// The one compiled artifact in the cache, and its checksum file.
fn cache_entry(root: &Path) -> (PathBuf, PathBuf) {
    let dir = root.join("compiled");
    let mut code: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    assert_eq!(code.len(), 1, "expected one compiled artifact: {code:?}");
    let code = code.pop().unwrap();
    let sum = code.with_extension("sha256");
    assert!(sum.is_file(), "no checksum beside {}", code.display());
    (code, sum)
}

/// Loads from `root` must now compile again, serve calls, and leave a valid
/// entry behind that the next engine loads from the cache.
async fn assert_recompiles(root: &Path, package: &Package) {
    let plugin = load(root, package);
    assert_eq!(plugin.load_source(), LoadSource::Compiled);
    assert_still_serves(&plugin, "echo").await;
    let again = load(root, package);
    assert_eq!(again.load_source(), LoadSource::Cache);
    assert_still_serves(&again, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_engine_loads_from_the_cache() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    let first = load(root.path(), &package);
    assert_eq!(first.load_source(), LoadSource::Compiled);
    assert_still_serves(&first, "echo").await;

    let second = load(root.path(), &package);
    assert_eq!(second.load_source(), LoadSource::Cache);
    assert_still_serves(&second, "echo").await;
    // The first plugin is unaffected by the second engine.
    assert_still_serves(&first, "echo").await;
}

#[cfg(unix)]
#[test]
fn cache_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    // A root that does not exist yet, so the runtime creates the whole path.
    let root = root.path().join("nested/yoi");
    load(&root, &fixture("echo"));
    let (code, _) = cache_entry(&root);
    let dir = code.parent().unwrap();
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{} has mode {mode:o}", dir.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipped_byte_is_recompiled() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let (code, _) = cache_entry(root.path());
    let mut bytes = std::fs::read(&code).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&code, &bytes).unwrap();
    assert_recompiles(root.path(), &package).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_artifact_is_recompiled() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let (code, _) = cache_entry(root.path());
    let len = std::fs::metadata(&code).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&code)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    assert_recompiles(root.path(), &package).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_checksum_is_recompiled() {
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let (_, sum) = cache_entry(root.path());
    std::fs::remove_file(&sum).unwrap();
    assert_recompiles(root.path(), &package).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_file_with_matching_checksum_is_recompiled() {
    // Bytes that are not wasmtime's output, with their real checksum: the
    // checksum passes, deserialization must fail safely, and yoi recompiles.
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let (code, sum) = cache_entry(root.path());
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
    std::fs::write(&code, &foreign).unwrap();
    std::fs::write(&sum, hex::encode(Sha256::digest(&foreign))).unwrap();
    assert_recompiles(root.path(), &package).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elf_header_with_matching_checksum_is_recompiled() {
    // A foreign file that starts like a compiled artifact (an ELF object) but
    // is not one.
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let (code, sum) = cache_entry(root.path());
    let real = std::fs::read(&code).unwrap();
    let mut foreign = real[..64.min(real.len())].to_vec();
    foreign.resize(real.len(), 0xAA);
    std::fs::write(&code, &foreign).unwrap();
    std::fs::write(&sum, hex::encode(Sha256::digest(&foreign))).unwrap();
    assert_recompiles(root.path(), &package).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn module_artifact_in_the_component_slot_is_recompiled() {
    // A real wasmtime artifact of the other kind under the component's name,
    // with a matching checksum: wasmtime refuses it, yoi recompiles.
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let (code, sum) = cache_entry(root.path());
    let engine = runtime(root.path()).engine().clone();
    let module = engine
        .precompile_module(&wat::parse_str("(module)").unwrap())
        .unwrap();
    std::fs::write(&code, &module).unwrap();
    std::fs::write(&sum, hex::encode(Sha256::digest(&module))).unwrap();
    assert_recompiles(root.path(), &package).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writable_cache_directory_is_not_trusted_and_is_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let package = fixture("echo");
    load(root.path(), &package);
    let (code, _) = cache_entry(root.path());
    let dir = code.parent().unwrap().to_owned();
    // Others could have planted an artifact and its checksum here.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let plugin = load(root.path(), &package);
    assert_eq!(plugin.load_source(), LoadSource::Compiled);
    assert_still_serves(&plugin, "echo").await;
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the directory was not made private again");
    assert_eq!(load(root.path(), &package).load_source(), LoadSource::Cache);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlinked_cache_directory_is_not_trusted() {
    let package = fixture("echo");
    // A valid cache entry, elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    load(elsewhere.path(), &package);
    let (code, _) = cache_entry(elsewhere.path());
    let target = code.parent().unwrap();

    let root = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(target, root.path().join("compiled")).unwrap();
    for _ in 0..2 {
        let plugin = load(root.path(), &package);
        assert_eq!(plugin.load_source(), LoadSource::Compiled);
        assert_still_serves(&plugin, "echo").await;
    }
}
