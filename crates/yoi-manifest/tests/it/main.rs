//! Golden-file manifest tests: every `valid/*.toml` parses; every
//! `invalid/*.toml` fails with exactly the error in its `.err` sibling.
//!
//! Set `YOI_BLESS=1` to write missing `.err` files (review them before committing).
//! `docs` checks `docs/manifest.md` against the parser.

mod docs;

use std::fs;
use std::path::{Path, PathBuf};

use yoi_manifest::Manifest;

fn golden(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(kind);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden files in {}", dir.display());
    files
}

#[test]
fn valid_manifests_parse() {
    for path in golden("valid") {
        let text = fs::read_to_string(&path).unwrap();
        if let Err(e) = Manifest::from_toml_str(&text) {
            panic!("{} should be valid: {e}", path.display());
        }
    }
}

#[test]
fn invalid_manifests_fail_with_the_expected_error() {
    let bless = std::env::var_os("YOI_BLESS").is_some();
    let mut failures = Vec::new();
    for path in golden("invalid") {
        let text = fs::read_to_string(&path).unwrap();
        let err = match Manifest::from_toml_str(&text) {
            Ok(_) => {
                failures.push(format!("{}: parsed but should fail", path.display()));
                continue;
            }
            Err(e) => e.to_string(),
        };
        let expected_path = path.with_extension("err");
        match fs::read_to_string(&expected_path) {
            Ok(expected) if expected.trim_end() == err => {}
            Ok(expected) => failures.push(format!(
                "{}:\n  expected: {}\n  actual:   {err}",
                path.display(),
                expected.trim_end()
            )),
            Err(_) if bless => fs::write(&expected_path, format!("{err}\n")).unwrap(),
            Err(_) => failures.push(format!("{}: no .err file; actual: {err}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
