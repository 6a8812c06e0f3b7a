//! Shared helpers: fixtures, a small-limits runtime over a private cache, and
//! the "still serves" check every containment test ends with.

use std::time::{Duration, Instant};

use tempfile::TempDir;
use yoi_package::Package;
use yoi_runtime::{
    CallError, CallErrorKind, Limits, LoadedPlugin, Runtime, RuntimeConfig, RuntimeError,
    ToolOutput,
};
use yoi_test_support::TestManifest;

/// The input every "still serves" check sends, and the JSON it expects back.
pub const STILL_HERE: &str = r#"{"text":"still here"}"#;

/// A call that has not returned after this long is a hung sandbox: the test
/// fails instead of hanging the suite. Not a timing assertion.
const HANG: Duration = Duration::from_secs(30);

/// Small limits so that hostile guests hit them quickly.
pub fn test_limits() -> Limits {
    Limits {
        deadline: Duration::from_secs(1),
        memory_bytes: 64 << 20,
        table_elements: 10_000,
        max_input_bytes: 64 << 10,
        max_output_bytes: 1 << 20,
        max_diagnostic_bytes: 16 << 10,
        max_error_message_bytes: 4 << 10,
    }
}

pub use yoi_test_support::fixture;

/// A runtime with [`test_limits`] over its own temporary cache root.
pub struct Sandbox {
    pub runtime: Runtime,
    /// The cache root, removed when the sandbox is dropped.
    _cache: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox::with_limits(test_limits())
    }

    pub fn with_limits(limits: Limits) -> Sandbox {
        let cache = tempfile::tempdir().expect("creating a temporary cache root");
        let runtime = Runtime::new(RuntimeConfig {
            cache_root: cache.path().to_owned(),
            limits,
        })
        .expect("creating the runtime");
        Sandbox {
            runtime,
            _cache: cache,
        }
    }

    /// Load a packed example by id.
    pub fn fixture(&self, id: &str) -> LoadedPlugin {
        self.load(id, &fixture(id))
    }

    pub fn load(&self, label: &str, package: &Package) -> LoadedPlugin {
        self.try_load(label, package)
            .unwrap_or_else(|e| panic!("loading `{label}`: {e}"))
    }

    pub fn try_load(&self, label: &str, package: &Package) -> Result<LoadedPlugin, RuntimeError> {
        self.runtime.load(label, package, Default::default())
    }
}

/// `plugin.call(tool, input)`, failing the test if it never returns.
pub async fn call(plugin: &LoadedPlugin, tool: &str, input: &str) -> Result<ToolOutput, CallError> {
    run(plugin, tool, input, false).await
}

/// `plugin.call_fresh(tool, input)`, failing the test if it never returns.
pub async fn call_fresh(
    plugin: &LoadedPlugin,
    tool: &str,
    input: &str,
) -> Result<ToolOutput, CallError> {
    run(plugin, tool, input, true).await
}

async fn run(
    plugin: &LoadedPlugin,
    tool: &str,
    input: &str,
    fresh: bool,
) -> Result<ToolOutput, CallError> {
    let start = Instant::now();
    let result = if fresh {
        tokio::time::timeout(HANG, plugin.call_fresh(tool, input)).await
    } else {
        tokio::time::timeout(HANG, plugin.call(tool, input)).await
    }
    .unwrap_or_else(|_| panic!("`{tool}` did not return within {HANG:?}: the sandbox hung"));
    // Reported for the reader, never asserted: speed is a benchmark.
    println!(
        "{} `{tool}`{} returned after {:?}: {}",
        plugin.label(),
        if fresh { " (fresh)" } else { "" },
        start.elapsed(),
        match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => yoi_manifest::bounded(&e.to_string(), 300),
        }
    );
    result
}

/// Call `tool`, expect a [`CallError`] of `kind` whose message contains
/// `needle`, and return it for further checks.
pub async fn expect_error(
    plugin: &LoadedPlugin,
    tool: &str,
    input: &str,
    kind: CallErrorKind,
    needle: &str,
) -> CallError {
    let err = match call(plugin, tool, input).await {
        Ok(out) => panic!("`{tool}` succeeded where {kind:?} was expected: {out:?}"),
        Err(e) => e,
    };
    assert_eq!(err.kind, kind, "`{tool}` failed the wrong way: {err}");
    assert!(
        err.message.contains(needle),
        "the {kind:?} message of `{tool}` should mention `{needle}`: {:?}",
        err.message
    );
    err
}

/// The same plugin still answers a normal call on `echo_tool` correctly.
pub async fn assert_still_serves(plugin: &LoadedPlugin, echo_tool: &str) {
    let out = call(plugin, echo_tool, STILL_HERE)
        .await
        .unwrap_or_else(|e| panic!("`{}` no longer serves `{echo_tool}`: {e}", plugin.label()));
    assert_eq!(
        out.json(),
        Some(&serde_json::json!({ "text": "still here" })),
        "`{echo_tool}` answered wrongly: {out:?}"
    );
}

/// A package built in a temporary directory from a manifest and one artifact,
/// through the same validation as any other (`Package::from_dir`).
pub fn package_from_parts(
    manifest: &str,
    artifact: &str,
    bytes: &[u8],
) -> Result<Package, yoi_package::PackageError> {
    yoi_test_support::package_from_parts(manifest, &[(artifact, bytes)])
}

/// The tools `echo` and `misbehave`, requested, with no host API.
fn with_tools(manifest: TestManifest) -> String {
    manifest
        .tool("echo", "Return the input.")
        .tool("misbehave", "Do the one bad thing this fixture exists for.")
        .requests_tools(&["echo", "misbehave"], Some(&[]))
        .to_toml()
}

/// A legacy `yoi-plugin-wasm-1` manifest with the tools `echo` and `misbehave`.
pub fn legacy_manifest(id: &str) -> String {
    with_tools(TestManifest::legacy(id, "module.wasm"))
}

/// A `wasm-component` manifest for the tool world with the tools `echo` and `misbehave`.
pub fn component_manifest(id: &str) -> String {
    with_tools(TestManifest::component(id, "component.wasm"))
}

/// A legacy package from WebAssembly text.
pub fn legacy_package(id: &str, wat: &str) -> Package {
    let wasm = wat::parse_str(wat).unwrap_or_else(|e| panic!("fixture `{id}` does not parse: {e}"));
    package_from_parts(&legacy_manifest(id), "module.wasm", &wasm)
        .unwrap_or_else(|e| panic!("fixture `{id}` is not a valid package: {e}"))
}

/// A component package from WebAssembly (component) text.
pub fn component_package(id: &str, wat: &str) -> Package {
    let wasm = wat::parse_str(wat).unwrap_or_else(|e| panic!("fixture `{id}` does not parse: {e}"));
    package_from_parts(&component_manifest(id), "component.wasm", &wasm)
        .unwrap_or_else(|e| panic!("fixture `{id}` is not a valid package: {e}"))
}
