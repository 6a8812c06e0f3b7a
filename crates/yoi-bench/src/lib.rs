//! Shared set-up for the benchmarks: fixtures, a workspace with `echo`
//! enabled, and the native baseline doing the same work as the echo guest.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use yoi_package::Package;
use yoi_runtime::{Limits, Runtime, RuntimeConfig};
use yoi_tools::{History, Session, ToolRegistry};

/// The packed example plugins; `cargo xtask examples` builds them.
pub fn fixture(id: &str) -> Package {
    let dir = std::env::var_os("YOI_TEST_PLUGINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/yoi-plugins")
        });
    let path = dir.join(format!("{id}.yoi-plugin"));
    Package::from_archive_file(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask examples`", path.display()))
}

/// An echo input of about `bytes` bytes.
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

/// The floor: the echo guest's work (parse the input, build the output) as a
/// plain Rust function.
pub fn native_echo(input: &str) -> String {
    let i: EchoIn = serde_json::from_str(input).expect("valid input");
    serde_json::to_string(&EchoOut { text: i.text }).expect("serializable")
}

/// A runtime over a fresh cache directory.
pub fn runtime(cache: &std::path::Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_root: cache.to_path_buf(),
        limits: Limits::default(),
    })
    .expect("runtime")
}

/// A session with `echo` enabled, with or without durable history.
pub struct Bench {
    pub session: Session,
    pub _dir: tempfile::TempDir,
}

impl Bench {
    pub fn new(with_history: bool) -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        let store = ws.join(".yoi/plugins");
        std::fs::create_dir_all(&store).unwrap();
        let package = fixture("echo");
        std::fs::write(
            store.join("echo.yoi-plugin"),
            yoi_package::pack_files(package.files()),
        )
        .unwrap();
        std::fs::write(
            ws.join(".yoi/config.toml"),
            format!(
                "[plugins.\"project:echo\"]\nversion = \"{}\"\ndigest = \"{}\"\nsurfaces = [\"tool\"]\ngrants = {{ tools = [\"echo\"] }}\n",
                package.manifest().version,
                package.digest()
            ),
        )
        .unwrap();
        let mut stores = yoi_workspace::Stores::for_workspace(&ws);
        stores.user = None;
        stores.builtin = None;
        let config = yoi_workspace::Config::load(&ws).unwrap();
        let plan = yoi_workspace::resolve(yoi_workspace::discover(&stores), &config);
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
        let history =
            with_history.then(|| Arc::new(History::open(&ws.join(".yoi/history.db")).unwrap()));
        Bench {
            session: Session::new(registry, history),
            _dir: dir,
        }
    }
}
