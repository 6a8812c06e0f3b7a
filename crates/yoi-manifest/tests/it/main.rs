//! Golden-file manifest tests: every `golden/valid/*.toml` parses; every
//! `golden/invalid/*.toml` fails, and its error text is an insta snapshot
//! (`snapshots/it__invalid@<file>.snap`), so a changed diagnostic fails the test.
//!
//! A new or changed golden error is written as `.snap.new`: review it with
//! `cargo insta review` (or accept with `INSTA_UPDATE=always`) before committing.
//! `docs` checks `docs/manifest.md` against the parser.

mod docs;

use std::fs;
use std::path::Path;

use yoi_manifest::Manifest;

#[test]
fn valid_manifests_parse() {
    insta::glob!("../golden/valid", "*.toml", |path| {
        let text = fs::read_to_string(path).unwrap();
        if let Err(e) = Manifest::from_toml_str(&text) {
            panic!("{} should be valid: {e}", path.display());
        }
    });
}

#[test]
fn invalid_manifests_fail_with_the_expected_error() {
    insta::glob!("../golden/invalid", "*.toml", |path| {
        let text = fs::read_to_string(path).unwrap();
        match Manifest::from_toml_str(&text) {
            Ok(_) => panic!("{} parsed but should fail", path.display()),
            Err(e) => insta::assert_snapshot!("invalid", e.to_string()),
        }
    });
}

#[test]
fn the_component_example_reads_as_expected() {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/valid/component-tool.toml"),
    )
    .unwrap();
    let m = Manifest::from_toml_str(&text).unwrap();
    assert_eq!(m.id, "echo");
    assert_eq!(m.version, semver::Version::new(0, 1, 0));
    assert_eq!(m.artifact_path(), "echo.wasm");
    assert_eq!(
        m.referenced_paths(),
        vec!["echo.wasm", "schemas/echo.output.json"]
    );
    assert_eq!(
        m.tool("echo").unwrap().description,
        "Return the text you give it."
    );
    assert!(m.tool("nope").is_none());
    assert_eq!(m.permissions.tools, vec!["echo".to_string()]);
}

#[test]
fn oversized_manifest_is_refused_before_parsing() {
    let text = format!("# {}\n", "x".repeat(yoi_manifest::MAX_MANIFEST_BYTES));
    let err = Manifest::from_toml_str(&text).unwrap_err();
    assert!(
        matches!(err, yoi_manifest::ManifestError::TooLarge { .. }),
        "{err}"
    );
}

#[test]
fn diagnostics_are_bounded() {
    let long = "y".repeat(30_000);
    let text = format!(
        "schema_version = 1\nid = \"{long}\"\nname = \"n\"\nversion = \"1.0.0\"\ndescription = \"\"\n[runtime]\nkind = \"wasm\"\nentry = \"a.wasm\"\nabi = \"yoi-plugin-wasm-1\"\n"
    );
    let err = Manifest::from_toml_str(&text).unwrap_err().to_string();
    assert!(err.len() < 600, "diagnostic is {} bytes", err.len());
    assert!(err.contains("`id`"), "{err}");
}

#[test]
fn wasi_filesystem_is_a_host_api_that_uses_fs_grants() {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/valid/wasi-filesystem.toml"),
    )
    .unwrap();
    let m = Manifest::from_toml_str(&text).unwrap();
    assert_eq!(
        m.permissions.host_apis,
        vec![
            yoi_manifest::HostApi::WasiFilesystem,
            yoi_manifest::HostApi::Fs
        ]
    );
    assert_eq!(m.permissions.host_apis[0].as_str(), "wasi:filesystem");
    assert!(m.permissions.host_apis.iter().all(|a| a.uses_fs_grants()));
    assert!(!yoi_manifest::HostApi::Https.uses_fs_grants());
}
