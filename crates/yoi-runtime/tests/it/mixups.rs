//! Artifacts that are the wrong kind, implement the wrong world, or import
//! what yoi does not provide: all refused at load, before any guest code runs.

use yoi_package::{BinaryKind, PackageError};
use yoi_runtime::RuntimeError;

use crate::support::{
    Sandbox, component_manifest, component_package, legacy_manifest, package_from_parts,
};

const CORE_MODULE: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "yoi_call") (result i32) (i32.const 0)))"#;

fn load_err(id: &str, component_wat: &str) -> RuntimeError {
    let sandbox = Sandbox::new();
    match sandbox.try_load(id, &component_package(id, component_wat)) {
        Ok(_) => panic!("`{id}` loaded but must be refused"),
        Err(e) => e,
    }
}

#[test]
fn core_module_declared_as_component_is_refused_by_the_package() {
    let wasm = wat::parse_str(CORE_MODULE).unwrap();
    let err = package_from_parts(
        &component_manifest("core-as-component"),
        "component.wasm",
        &wasm,
    )
    .expect_err("a core module passed as a component");
    match err {
        PackageError::ArtifactKindMismatch {
            id,
            path,
            expected,
            found,
        } => {
            assert_eq!(id, "core-as-component");
            assert_eq!(path, "component.wasm");
            assert_eq!(expected, BinaryKind::Component);
            assert_eq!(found, BinaryKind::CoreModule);
        }
        other => panic!("expected ArtifactKindMismatch, got {other:?}"),
    }
}

#[test]
fn component_declared_as_legacy_module_is_refused_by_the_package() {
    let wasm = wat::parse_str("(component)").unwrap();
    let err = package_from_parts(&legacy_manifest("component-as-core"), "module.wasm", &wasm)
        .expect_err("a component passed as a core module");
    match err {
        PackageError::ArtifactKindMismatch {
            id,
            path,
            expected,
            found,
        } => {
            assert_eq!(id, "component-as-core");
            assert_eq!(path, "module.wasm");
            assert_eq!(expected, BinaryKind::CoreModule);
            assert_eq!(found, BinaryKind::Component);
        }
        other => panic!("expected ArtifactKindMismatch, got {other:?}"),
    }
}

#[test]
fn component_without_exports_is_the_wrong_world() {
    let err = load_err("empty", "(component)");
    match &err {
        RuntimeError::WrongWorld {
            plugin,
            world,
            message,
        } => {
            assert_eq!(plugin, "empty");
            assert_eq!(*world, "yoi:plugin/tool@1.0.0");
            assert!(message.contains("yoi:plugin/tools@1.0.0"), "{message}");
        }
        other => panic!("expected WrongWorld, got {other:?}"),
    }
}

#[test]
fn component_exporting_an_empty_tools_instance_is_the_wrong_world() {
    let err = load_err(
        "empty-tools",
        r#"(component
             (instance $tools)
             (export "yoi:plugin/tools@1.0.0" (instance $tools)))"#,
    );
    assert!(
        matches!(&err, RuntimeError::WrongWorld { message, .. } if message.contains("call")),
        "{err:?}"
    );
}

#[test]
fn component_importing_a_foreign_interface_is_unsupported() {
    let err = load_err(
        "evil-instance",
        r#"(component (import "evil:x/y" (instance)))"#,
    );
    match &err {
        RuntimeError::UnsupportedImport { plugin, import } => {
            assert_eq!(plugin, "evil-instance");
            assert_eq!(import, "evil:x/y");
        }
        other => panic!("expected UnsupportedImport, got {other:?}"),
    }
}

#[test]
fn component_importing_a_bare_function_is_unsupported() {
    let err = load_err("evil-func", r#"(component (import "evil" (func)))"#);
    assert!(
        matches!(&err, RuntimeError::UnsupportedImport { import, .. } if import == "evil"),
        "{err:?}"
    );
}

#[test]
fn component_importing_a_host_api_its_manifest_does_not_request_is_refused() {
    // The manifest here requests no host API: importing one fails at load,
    // before instantiation, whatever the grants say.
    let err = load_err(
        "https",
        r#"(component (import "yoi:host/https@1.0.0" (instance)))"#,
    );
    assert!(
        matches!(&err, RuntimeError::HostApiNotRequested { api, .. } if *api == "https"),
        "{err:?}"
    );
    let err = load_err(
        "fs",
        r#"(component (import "yoi:host/fs@1.0.0" (instance)))"#,
    );
    assert!(
        matches!(&err, RuntimeError::HostApiNotRequested { api, .. } if *api == "fs"),
        "{err:?}"
    );
}

#[test]
fn component_importing_an_unknown_host_api_version_is_unsupported() {
    let err = load_err(
        "https2",
        r#"(component (import "yoi:host/https@2.0.0" (instance)))"#,
    );
    assert!(
        matches!(&err, RuntimeError::UnsupportedImport { import, .. } if import == "yoi:host/https@2.0.0"),
        "{err:?}"
    );
}

#[test]
fn a_component_without_the_instance_exports_fails_closed() {
    // The manifest says instance world; the component exports nothing.
    let id = "instance-world";
    let manifest =
        component_manifest(id).replace("yoi:plugin/tool@1.0.0", "yoi:plugin/instance@1.0.0");
    let wasm = wat::parse_str("(component)").unwrap();
    let package = package_from_parts(&manifest, "component.wasm", &wasm).unwrap();
    match Sandbox::new().try_load(id, &package) {
        Err(RuntimeError::WrongWorld { plugin, world, .. }) => {
            assert_eq!(plugin, id);
            assert_eq!(world, "yoi:plugin/instance@1.0.0");
        }
        other => panic!("expected WrongWorld, got {other:?}"),
    }
}
