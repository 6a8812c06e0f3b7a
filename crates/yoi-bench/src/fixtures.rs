//! Shared set-up: fixtures, a workspace with `echo` enabled, sessions, and
//! the native baseline doing the same work as the echo guest.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use yoi_history::History;
use yoi_package::Package;
use yoi_runtime::{Limits, Runtime, RuntimeConfig};
use yoi_tools::{Session, ToolRegistry};

/// The packed example plugins, found as every test suite finds them.
pub use yoi_test_support::{fixture, plugins_dir};

/// An echo input of about `bytes` bytes: `{"text": "xxx..."}`.
pub fn echo_input(bytes: usize) -> String {
    serde_json::json!({ "text": "x".repeat(bytes.saturating_sub(12)) }).to_string()
}

#[derive(Deserialize)]
struct EchoIn {
    text: String,
}

#[derive(Serialize)]
struct EchoOut {
    text: String,
}

/// The floor: the echo guest's work (parse the input into a typed struct,
/// serialise the typed output) as a plain Rust function.
pub fn native_echo(input: &str) -> String {
    let i: EchoIn = serde_json::from_str(input).expect("valid input");
    serde_json::to_string(&EchoOut { text: i.text }).expect("serializable")
}

/// A runtime with default limits over the cache directory `cache`.
pub fn runtime(cache: &Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_root: cache.to_path_buf(),
        limits: Limits::default(),
    })
    .expect("runtime")
}

/// Install `packages` into the project store of a new workspace `ws` and
/// enable each, pinned to its digest, with its `echo` tool granted.
pub fn write_workspace(ws: &Path, packages: &[(String, Vec<u8>)]) {
    let store = ws.join(".yoi/plugins");
    std::fs::create_dir_all(&store).expect("creating the store");
    let mut config = String::new();
    for (id, bytes) in packages {
        let package = Package::from_archive_bytes(bytes).expect("a valid package");
        std::fs::write(store.join(format!("{id}.yoi-plugin")), bytes).expect("installing");
        config.push_str(&format!(
            "[plugins.\"project:{id}\"]\nversion = \"{}\"\ndigest = \"{}\"\nsurfaces = [\"tool\"]\ngrants = {{ tools = [\"echo\"] }}\n\n",
            package.manifest().version,
            package.digest()
        ));
    }
    std::fs::write(ws.join(".yoi/config.toml"), config).expect("writing the config");
}

/// Approve the config of `ws` in the trust store under `config_home` (the
/// `XDG_CONFIG_HOME` of the `yoi` processes a bench starts), as `yoi trust`
/// would: the bench wrote that config itself.
pub fn trust_workspace(ws: &Path, config_home: &Path) {
    let config = yoi_workspace::Config::load(ws).expect("the config");
    yoi_workspace::TrustStore::at(config_home.join(yoi_workspace::TRUST_FILE))
        .approve(ws, &config)
        .expect("approving the bench workspace");
}

/// A workspace at `ws` with only `echo` installed and enabled.
pub fn echo_workspace(ws: &Path) {
    let package = fixture("echo");
    write_workspace(
        ws,
        &[("echo".to_owned(), yoi_package::pack_files(package.files()))],
    );
}

/// `count` distinct copies of `echo` (ids `echo-000`, `echo-001`, ...), packed.
pub fn echo_copies(count: usize) -> Vec<(String, Vec<u8>)> {
    let package = fixture("echo");
    let manifest = std::str::from_utf8(package.files().get("plugin.toml").expect("a manifest"))
        .expect("UTF-8 manifest")
        .to_owned();
    assert!(
        manifest.contains("id = \"echo\""),
        "unexpected echo manifest"
    );
    (0..count)
        .map(|i| {
            let id = format!("echo-{i:03}");
            let mut files = package.files().clone();
            let path = yoi_package::PackagePath::new("plugin.toml").expect("a valid path");
            files.insert(
                path,
                manifest
                    .replace("id = \"echo\"", &format!("id = \"{id}\""))
                    .into_bytes(),
            );
            (id, yoi_package::pack_files(&files))
        })
        .collect()
}

/// A session over a workspace with `echo` enabled and loaded (warm), with
/// or without durable history. The workspace lives as long as this value.
pub struct Bench {
    pub session: Session,
    pub _dir: tempfile::TempDir,
}

impl Bench {
    pub fn new(with_history: bool) -> Bench {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ws = dir.path().join("ws");
        echo_workspace(&ws);
        let mut stores = yoi_workspace::Stores::for_workspace(&ws);
        stores.user = None;
        stores.builtin = None;
        let config = yoi_workspace::Config::load(&ws).expect("the config");
        // The bench wrote this config itself, so its authority is its own.
        let plan = yoi_workspace::resolve(
            yoi_workspace::discover(&stores),
            &config,
            &yoi_workspace::Trust::Trusted,
        );
        assert_eq!(
            plan.plugins.len(),
            1,
            "echo must be active: {:?}",
            plan.reports
        );
        let registry = Arc::new(ToolRegistry::new(
            &plan,
            Some(runtime(&dir.path().join("cache"))),
        ));
        assert!(registry.preload().is_empty());
        let history = with_history
            .then(|| Arc::new(History::open(&ws.join(".yoi/history.db")).expect("history")));
        Bench {
            session: Session::new(registry, history),
            _dir: dir,
        }
    }
}
