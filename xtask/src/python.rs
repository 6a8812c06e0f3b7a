//! The Python environment for the MCP interoperability tests: a virtual
//! environment in `target/py-venv` with the official `mcp` package pinned to
//! [`MCP_VERSION`], made with the machine's `python3`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context as _;

use crate::util;

/// The `mcp` release the tests are written against.
pub const MCP_VERSION: &str = "2.3.0";

/// Make sure `target/py-venv` exists with `mcp==MCP_VERSION`; return its python.
pub fn ensure_venv() -> anyhow::Result<PathBuf> {
    let venv = util::root().join("target/py-venv");
    let python = venv.join("bin/python");
    if installed_version(&python).as_deref() == Some(MCP_VERSION) {
        return Ok(python);
    }
    if !python.is_file() {
        util::run(Command::new("python3").arg("-m").arg("venv").arg(&venv)).context(
            "cannot create the Python virtual environment; install python3 with venv and pip \
             (Debian: `apt-get install python3-venv`)",
        )?;
    }
    util::run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(format!("mcp=={MCP_VERSION}")),
    )
    .context("cannot install the Python `mcp` package into target/py-venv")?;
    anyhow::ensure!(
        installed_version(&python).as_deref() == Some(MCP_VERSION),
        "target/py-venv still does not have mcp=={MCP_VERSION}"
    );
    Ok(python)
}

/// The `mcp` version installed for `python`, if any.
fn installed_version(python: &std::path::Path) -> Option<String> {
    if !python.is_file() {
        return None;
    }
    let out = Command::new(python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('mcp'))",
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
