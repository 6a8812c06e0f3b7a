//! The materialized cache: digest-keyed, written atomically, re-verified on load.

use std::fs;

use yoi_package::{
    Digest, Package, PackageError, load_materialized, materialize, pack_files, package_dir,
};

use crate::support::valid_component_files;

fn package() -> Package {
    Package::from_archive_bytes(&pack_files(&valid_component_files())).unwrap()
}

#[test]
fn materializes_under_the_digest_and_loads_back() {
    let root = tempfile::tempdir().unwrap();
    let package = package();
    let cached = materialize(root.path(), &package).unwrap();
    let expected_dir = root.path().join("packages").join(package.digest().hex());
    assert_eq!(cached.dir(), expected_dir);
    assert_eq!(package_dir(root.path(), &package.digest()), expected_dir);
    assert_eq!(
        fs::read(expected_dir.join("schemas/input.json")).unwrap(),
        br#"{"type":"object"}"#
    );

    let loaded = load_materialized(root.path(), &package.digest()).unwrap();
    assert_eq!(loaded.digest(), package.digest());
    assert_eq!(loaded.package().files(), package.files());

    let entries: Vec<String> = fs::read_dir(root.path().join("packages"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        entries,
        [package.digest().hex()],
        "no temp directories left"
    );
}

#[test]
fn a_missing_entry_is_not_cached() {
    let root = tempfile::tempdir().unwrap();
    let digest: Digest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
    let err = load_materialized(root.path(), &digest).unwrap_err();
    assert!(
        matches!(err, PackageError::NotCached { digest: d } if d == digest),
        "{err}"
    );
}

#[test]
fn a_tampered_entry_fails_verification_and_is_repaired() {
    let root = tempfile::tempdir().unwrap();
    let package = package();
    let cached = materialize(root.path(), &package).unwrap();
    fs::write(cached.dir().join("plugin.wasm"), b"\0asm\x0d\0\x01\0evil").unwrap();

    let err = load_materialized(root.path(), &package.digest()).unwrap_err();
    assert!(
        matches!(err, PackageError::DigestMismatch { expected, actual } if expected == package.digest() && actual != expected),
        "{err}"
    );

    let repaired = materialize(root.path(), &package).unwrap();
    assert_eq!(repaired.package().artifact(), package.artifact());
    assert!(load_materialized(root.path(), &package.digest()).is_ok());
}

#[test]
fn an_added_file_fails_verification() {
    let root = tempfile::tempdir().unwrap();
    let package = package();
    let cached = materialize(root.path(), &package).unwrap();
    fs::write(cached.dir().join("extra.txt"), b"planted").unwrap();
    let err = load_materialized(root.path(), &package.digest()).unwrap_err();
    assert!(matches!(err, PackageError::DigestMismatch { .. }), "{err}");
}

#[cfg(unix)]
#[test]
fn a_symlink_planted_in_an_entry_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let package = package();
    let cached = materialize(root.path(), &package).unwrap();
    let target = cached.dir().join("README.md");
    fs::remove_file(&target).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", &target).unwrap();
    let err = load_materialized(root.path(), &package.digest()).unwrap_err();
    assert!(
        matches!(&err, PackageError::Symlink { path } if path == "README.md"),
        "{err}"
    );
    assert!(
        materialize(root.path(), &package).is_ok(),
        "the entry is replaced"
    );
    assert!(
        !fs::symlink_metadata(&target)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn concurrent_writers_agree_on_one_entry() {
    let root = tempfile::tempdir().unwrap();
    let package = package();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| materialize(root.path(), &package)))
            .collect();
        for handle in handles {
            let cached = handle.join().unwrap().unwrap();
            assert_eq!(cached.digest(), package.digest());
        }
    });
    let entries = fs::read_dir(root.path().join("packages")).unwrap().count();
    assert_eq!(entries, 1);
    assert!(load_materialized(root.path(), &package.digest()).is_ok());
}
