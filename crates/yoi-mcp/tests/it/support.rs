//! A session over the built-in tools only (`yoi_history`), with history in a
//! temporary directory, and the Python client scripts.

use std::sync::Arc;

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

/// Run `tests/python/<name>` with `config` and return the JSON it prints.
pub fn run_script(name: &str, config: serde_json::Value) -> serde_json::Value {
    yoi_test_support::run_python(&yoi_test_support::python_script(name), &config, None)
}
