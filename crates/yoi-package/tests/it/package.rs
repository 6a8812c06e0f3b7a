//! Package validation: manifest, referenced files, artifact kind.

use yoi_package::{BinaryKind, Package, PackageError, PackageFiles, pack_files};

use crate::support::{
    INPUT_SCHEMA, component, component_manifest, core_module, files, legacy_manifest,
    valid_component_files,
};

fn validate(files: &PackageFiles) -> Result<Package, PackageError> {
    Package::from_archive_bytes(&pack_files(files))
}

#[test]
fn accepts_a_component_package() {
    let package = validate(&valid_component_files()).unwrap();
    assert_eq!(package.manifest().id, "demo");
    assert_eq!(package.artifact(), component().as_slice());
    assert_eq!(package.artifact_kind(), BinaryKind::Component);
    assert_eq!(package.files().len(), 4);
}

#[test]
fn accepts_a_legacy_core_module_package() {
    let manifest = legacy_manifest("legacy.wasm");
    let package = validate(&files(&[
        ("plugin.toml", manifest.as_bytes()),
        ("legacy.wasm", &core_module()),
    ]))
    .unwrap();
    assert_eq!(package.artifact_kind(), BinaryKind::CoreModule);
}

#[test]
fn refuses_a_core_module_named_as_a_component() {
    let manifest = component_manifest("plugin.wasm");
    let err = validate(&files(&[
        ("plugin.toml", manifest.as_bytes()),
        ("plugin.wasm", &core_module()),
        ("schemas/input.json", INPUT_SCHEMA),
    ]))
    .unwrap_err();
    assert!(
        matches!(
            &err,
            PackageError::ArtifactKindMismatch {
                id,
                path,
                expected: BinaryKind::Component,
                found: BinaryKind::CoreModule,
            } if id == "demo" && path == "plugin.wasm"
        ),
        "{err}"
    );
}

#[test]
fn refuses_a_component_named_as_a_core_module() {
    let manifest = legacy_manifest("legacy.wasm");
    let err = validate(&files(&[
        ("plugin.toml", manifest.as_bytes()),
        ("legacy.wasm", &component()),
    ]))
    .unwrap_err();
    assert!(
        matches!(
            err,
            PackageError::ArtifactKindMismatch {
                expected: BinaryKind::CoreModule,
                found: BinaryKind::Component,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn refuses_an_artifact_that_is_not_wasm() {
    let manifest = legacy_manifest("legacy.wasm");
    let err = validate(&files(&[
        ("plugin.toml", manifest.as_bytes()),
        ("legacy.wasm", b"#!/bin/sh\necho hi\n"),
    ]))
    .unwrap_err();
    assert!(
        matches!(&err, PackageError::NotWasm { path, .. } if path == "legacy.wasm"),
        "{err}"
    );
}

#[test]
fn refuses_a_missing_manifest() {
    let err = validate(&files(&[("plugin.wasm", &component())])).unwrap_err();
    assert!(matches!(err, PackageError::MissingManifest), "{err}");

    let nested = component_manifest("plugin.wasm");
    let err = validate(&files(&[("sub/plugin.toml", nested.as_bytes())])).unwrap_err();
    assert!(matches!(err, PackageError::MissingManifest), "{err}");
}

#[test]
fn refuses_an_unreadable_manifest() {
    let err = validate(&files(&[("plugin.toml", b"id = \"\xff\"")])).unwrap_err();
    assert!(matches!(err, PackageError::ManifestNotUtf8), "{err}");

    let big = format!("# {}\n", "x".repeat(64 * 1024));
    let err = validate(&files(&[("plugin.toml", big.as_bytes())])).unwrap_err();
    assert!(
        matches!(err, PackageError::ManifestTooLarge { limit: 65536, .. }),
        "{err}"
    );

    let err = validate(&files(&[("plugin.toml", b"schema_version = 1\n")])).unwrap_err();
    assert!(matches!(err, PackageError::Manifest { .. }), "{err}");
}

#[test]
fn refuses_a_manifest_referencing_a_missing_artifact() {
    let manifest = component_manifest("plugin.wasm");
    let err = validate(&files(&[
        ("plugin.toml", manifest.as_bytes()),
        ("schemas/input.json", INPUT_SCHEMA),
    ]))
    .unwrap_err();
    assert!(
        matches!(&err, PackageError::MissingFile { id, path } if id == "demo" && path == "plugin.wasm"),
        "{err}"
    );
}

#[test]
fn refuses_a_manifest_referencing_a_missing_schema() {
    let manifest = component_manifest("plugin.wasm");
    let err = validate(&files(&[
        ("plugin.toml", manifest.as_bytes()),
        ("plugin.wasm", &component()),
    ]))
    .unwrap_err();
    assert!(
        matches!(&err, PackageError::MissingFile { path, .. } if path == "schemas/input.json"),
        "{err}"
    );
}

#[test]
fn refuses_a_referenced_path_deeper_than_the_limit() {
    let deep = format!("{}plugin.wasm", "d/".repeat(16));
    let manifest = component_manifest(&deep);
    let err = validate(&files(&[
        ("plugin.toml", manifest.as_bytes()),
        ("schemas/input.json", INPUT_SCHEMA),
    ]))
    .unwrap_err();
    assert!(
        matches!(
            err,
            PackageError::InvalidReferencedPath {
                problem: yoi_package::PathProblem::TooDeep,
                ..
            }
        ),
        "{err}"
    );
}
