//! A session over the built-in tools only (`yoi_history`), with history in a
//! temporary directory, and the Python client scripts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use yoi_history::History;
use yoi_tools::{Session, ToolRegistry};

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub registry: Arc<ToolRegistry>,
    pub history: Arc<History>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let registry = Arc::new(ToolRegistry::new(&yoi_workspace::Plan::default(), None));
        let history = Arc::new(History::open(&dir.path().join("history.db")).unwrap());
        Fixture {
            _dir: dir,
            registry,
            history,
        }
    }

    pub fn session(&self) -> Session {
        Session::new(self.registry.clone(), Some(self.history.clone()))
    }

    /// Every recorded event as JSON, oldest first.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.history
            .recent(10_000)
            .unwrap()
            .iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect()
    }
}

/// The Python interpreter with the `mcp` package; never skipped when missing.
pub fn python() -> PathBuf {
    let python = std::env::var_os("YOI_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "YOI_TEST_PYTHON is not set: run `cargo xtask test`, which makes target/py-venv \
                 with the official `mcp` package and sets it"
            )
        });
    assert!(
        python.is_file(),
        "YOI_TEST_PYTHON `{}` does not exist: run `cargo xtask test`",
        python.display()
    );
    python
}

/// Run `tests/python/<name>` with `config` and return the JSON it prints.
/// A script that hangs is killed and fails the test after three minutes.
pub fn run_script(name: &str, config: serde_json::Value) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/python")
        .join(name);
    let mut child = Command::new(python())
        .arg(script)
        .arg(config.to_string())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || std::io::read_to_string(out).unwrap());
    let err = std::thread::spawn(move || std::io::read_to_string(err).unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            panic!("{name} did not finish within 180s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    assert!(status.success(), "{name} failed ({status}):\n{stderr}");
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{name} printed no JSON ({e}):\n{stdout}\nstderr:\n{stderr}"))
}
