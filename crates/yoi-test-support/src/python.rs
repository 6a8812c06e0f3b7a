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

/// Run the Python `script` with `config` (JSON) as its one argument, and
/// `pythonpath` on `PYTHONPATH` when given; return the JSON it prints. A
/// script that fails or prints no JSON fails the test with its stderr; one
/// that hangs is killed and fails the test after three minutes.
pub fn run_python(
    script: &Path,
    config: &serde_json::Value,
    pythonpath: Option<&Path>,
) -> serde_json::Value {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let name = script.display();
    let mut cmd = Command::new(python());
    cmd.arg(script)
        .arg(config.to_string())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = pythonpath {
        cmd.env("PYTHONPATH", path);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || std::io::read_to_string(out).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(err).unwrap_or_default());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} did not finish within 180s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    assert!(status.success(), "{name} failed ({status}):\n{stderr}");
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{name} printed no JSON ({e}):\n{stdout}\nstderr:\n{stderr}"))
}
