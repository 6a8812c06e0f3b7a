//! The WIT in `wit/host` parses, and its error variants match the Rust enums.

use std::path::Path;

use wit_parser::{Resolve, TypeDefKind};
use yoi_host_apis::fs::FsError;
use yoi_host_apis::https::HttpsError;

fn variant_cases(resolve: &Resolve, interface: &str) -> Vec<String> {
    let (_, iface) = resolve
        .interfaces
        .iter()
        .find(|(_, i)| i.name.as_deref() == Some(interface))
        .unwrap_or_else(|| panic!("no interface `{interface}`"));
    let error = iface.types["error"];
    match &resolve.types[error].kind {
        TypeDefKind::Variant(v) => v.cases.iter().map(|c| c.name.clone()).collect(),
        other => panic!("`{interface}.error` is not a variant: {other:?}"),
    }
}

#[test]
fn host_wit_parses_and_matches_the_error_kinds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit/host");
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_dir(&dir).unwrap();
    assert_eq!(resolve.packages[package].name.to_string(), "yoi:host@1.0.0");

    assert_eq!(variant_cases(&resolve, "https"), HttpsError::KINDS);
    assert_eq!(variant_cases(&resolve, "fs"), FsError::KINDS);
}
