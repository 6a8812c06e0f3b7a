//! The Python interpreter with the official `mcp` client package, which
//! `cargo xtask test` installs into `target/py-venv` and names in
//! `$YOI_TEST_PYTHON`, and the client scripts in `tests/python/`.

use std::path::{Path, PathBuf};

/// The interpreter; a test that needs it fails (never skips) without it.
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

/// The shared client scripts and helpers (`tests/python/` of the repository).
pub fn python_scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python")
}

/// One script of [`python_scripts_dir`].
pub fn python_script(name: &str) -> PathBuf {
    python_scripts_dir().join(name)
}
