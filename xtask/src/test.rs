//! `cargo xtask test`: formatting, lints, guests, and every test.

use crate::examples;
use crate::python;
use crate::schemas;
use crate::util::{self, cargo};

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    util::run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    util::run(cargo().args([
        "fmt",
        "--manifest-path",
        "examples/Cargo.toml",
        "--all",
        "--",
        "--check",
    ]))?;
    schemas::check()?;
    examples::build_all()?;
    util::run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    util::run(cargo().args([
        "clippy",
        "--manifest-path",
        "examples/Cargo.toml",
        "--target-dir",
        "target",
        "--target",
        "wasm32-wasip2",
        "--workspace",
        "--exclude",
        "yoi-example-legacy-echo",
        "--",
        "-D",
        "warnings",
    ]))?;
    let python = python::ensure_venv()?;
    util::run(
        cargo()
            .args(["test", "--workspace", "--no-fail-fast"])
            .env("YOI_TEST_PLUGINS", examples::plugins_dir())
            .env("YOI_TEST_PYTHON", python),
    )?;
    util::run(cargo().args([
        "test",
        "--manifest-path",
        "crates/yoi-pdk/Cargo.toml",
        "--target-dir",
        "target",
    ]))?;
    Ok(())
}
