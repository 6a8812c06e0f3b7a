//! Packing a directory: which files go in, and the archive's fixed form.

use std::io::Cursor;

use yoi_package::{PackageError, pack_dir, read_archive, write_atomically};
use zip::{CompressionMethod, DateTime, ZipArchive};

use crate::support::{
    INPUT_SCHEMA, component, component_manifest, valid_component_dir, write_tree,
};

#[test]
fn packs_the_manifest_referenced_files_docs_schemas_and_assets_only() {
    let dir = valid_component_dir();
    let packed = pack_dir(dir.path()).unwrap();
    let paths: Vec<&str> = packed.files.paths().map(|p| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "LICENSE-MIT",
            "README.md",
            "assets/logo.txt",
            "build/plugin.wasm",
            "plugin.toml",
            "schemas/input.json",
            "schemas/nested/extra.json",
        ]
    );
    assert_eq!(read_archive(&packed.bytes).unwrap(), packed.files);
}

#[test]
fn writes_entries_in_path_order_with_fixed_metadata() {
    let dir = valid_component_dir();
    let packed = pack_dir(dir.path()).unwrap();
    let mut archive = ZipArchive::new(Cursor::new(&packed.bytes)).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    for index in 0..archive.len() {
        let entry = archive.by_index(index).unwrap();
        assert_eq!(entry.compression(), CompressionMethod::Deflated);
        assert_eq!(entry.unix_mode(), Some(0o100_644), "{:?}", entry.name());
        assert_eq!(entry.last_modified(), Some(DateTime::default()));
    }
}

#[test]
fn requires_the_manifest_and_every_referenced_file() {
    let empty = tempfile::tempdir().unwrap();
    let err = pack_dir(empty.path()).unwrap_err();
    assert!(
        matches!(&err, PackageError::MissingSourceFile { path } if path == "plugin.toml"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let manifest = component_manifest("plugin.wasm");
    write_tree(
        dir.path(),
        &[
            ("plugin.toml", manifest.as_bytes()),
            ("plugin.wasm", &component()),
        ],
    );
    let err = pack_dir(dir.path()).unwrap_err();
    assert!(
        matches!(&err, PackageError::MissingSourceFile { path } if path == "schemas/input.json"),
        "{err}"
    );
}

#[test]
fn bounds_the_number_of_files_across_directories() {
    let dir = valid_component_dir();
    let names: Vec<String> = (0..600)
        .flat_map(|i| [format!("schemas/s{i}.json"), format!("assets/a{i}.bin")])
        .collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"{}"[..])).collect();
    write_tree(dir.path(), &entries);
    let err = pack_dir(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            PackageError::TooManyEntries {
                count: 1025,
                limit: 1024
            }
        ),
        "{err}"
    );
}

#[test]
fn refuses_an_invalid_manifest() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[("plugin.toml", b"schema_version = 1\nbogus = true\n")],
    );
    let err = pack_dir(dir.path()).unwrap_err();
    assert!(matches!(err, PackageError::Manifest { .. }), "{err}");
}

#[cfg(unix)]
mod symlinks {
    use std::os::unix::fs::symlink;

    use super::*;

    fn dir_with_manifest() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let manifest = component_manifest("plugin.wasm");
        write_tree(
            dir.path(),
            &[
                ("plugin.toml", manifest.as_bytes()),
                ("schemas/input.json", INPUT_SCHEMA),
            ],
        );
        dir
    }

    #[test]
    fn refuses_a_symlinked_artifact() {
        let outside = tempfile::tempdir().unwrap();
        write_tree(outside.path(), &[("real.wasm", &component())]);
        let dir = dir_with_manifest();
        symlink(
            outside.path().join("real.wasm"),
            dir.path().join("plugin.wasm"),
        )
        .unwrap();
        let err = pack_dir(dir.path()).unwrap_err();
        assert!(
            matches!(&err, PackageError::Symlink { path } if path == "plugin.wasm"),
            "{err}"
        );
    }

    #[test]
    fn refuses_symlinks_among_docs_and_assets() {
        let outside = tempfile::tempdir().unwrap();
        write_tree(outside.path(), &[("secret", b"key")]);
        let dir = dir_with_manifest();
        write_tree(dir.path(), &[("plugin.wasm", &component())]);
        symlink(outside.path().join("secret"), dir.path().join("README")).unwrap();
        let err = pack_dir(dir.path()).unwrap_err();
        assert!(
            matches!(&err, PackageError::Symlink { path } if path == "README"),
            "{err}"
        );

        let dir = dir_with_manifest();
        write_tree(
            dir.path(),
            &[("plugin.wasm", &component()), ("assets/ok.txt", b"ok")],
        );
        symlink(outside.path().join("secret"), dir.path().join("assets/key")).unwrap();
        let err = pack_dir(dir.path()).unwrap_err();
        assert!(
            matches!(&err, PackageError::Symlink { path } if path == "assets/key"),
            "{err}"
        );

        let dir = dir_with_manifest();
        write_tree(dir.path(), &[("plugin.wasm", &component())]);
        symlink(outside.path(), dir.path().join("assets")).unwrap();
        let err = pack_dir(dir.path()).unwrap_err();
        assert!(
            matches!(&err, PackageError::Symlink { path } if path == "assets"),
            "{err}"
        );
    }
}

#[test]
fn write_atomically_creates_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("demo.yoi-plugin");
    write_atomically(&target, b"first").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"first");
    write_atomically(&target, b"second").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"second");
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temp files left behind");
}
