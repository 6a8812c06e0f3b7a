//! `cargo xtask bench [--json FILE]`: the performance report.
//!
//! Builds, in release: the example plugins, `yoi`, the `yoi-bench` runner
//! and its `mcp-floor`, and the Extism baseline (its own workspace in
//! `bench/extism`, built into `target/extism-bench` so that no other build
//! compiles its wasmtime). Then runs the Extism host, and `yoi-bench run`,
//! which measures everything else and writes one report with ratios.
//! Outputs land in `target/bench/` (`report.json`, `report.md`); `--json`
//! copies the JSON report to FILE as well.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::examples;
use crate::util::{self, cargo, root};

const EXTISM_TARGET: &str = "target/extism-bench";

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut json: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => {
                let file = it.next().context("`--json` needs a FILE")?;
                json = Some(std::path::absolute(file)?);
            }
            other => bail!("unknown argument `{other}`; usage: cargo xtask bench [--json FILE]"),
        }
    }
    let started = std::time::Instant::now();
    examples::build_all()?;
    util::run(cargo().args([
        "build",
        "--release",
        "-p",
        "yoi",
        "-p",
        "yoi-bench",
        "--bins",
    ]))?;
    util::run(cargo().args([
        "build",
        "--manifest-path",
        "bench/extism/Cargo.toml",
        "--target-dir",
        EXTISM_TARGET,
        "--profile",
        "guest",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "extism-echo-guest",
    ]))?;
    util::run(cargo().args([
        "build",
        "--manifest-path",
        "bench/extism/Cargo.toml",
        "--target-dir",
        EXTISM_TARGET,
        "--release",
        "-p",
        "extism-bench",
    ]))?;
    eprintln!("built in {:.0?}", started.elapsed());

    let out = root().join("target/bench");
    std::fs::create_dir_all(&out)?;
    let extism_json = out.join("extism.json");
    let guest = root()
        .join(EXTISM_TARGET)
        .join("wasm32-unknown-unknown/guest/extism_echo_guest.wasm");
    eprintln!("$ extism-bench {}", guest.display());
    let extism = util::output(
        Command::new(root().join(EXTISM_TARGET).join("release/extism-bench")).arg(&guest),
    )?;
    std::fs::write(&extism_json, extism)?;

    let report = out.join("report.json");
    let release = root().join("target/release");
    util::run(
        Command::new(release.join("yoi-bench"))
            .arg("run")
            .arg("--yoi")
            .arg(release.join("yoi"))
            .arg("--floor")
            .arg(release.join("mcp-floor"))
            .arg("--extism")
            .arg(&extism_json)
            .arg("--json")
            .arg(&report)
            .arg("--markdown")
            .arg(out.join("report.md"))
            .env("YOI_TEST_PLUGINS", examples::plugins_dir()),
    )?;
    if let Some(file) = json {
        std::fs::copy(&report, &file)
            .with_context(|| format!("copying the report to {}", file.display()))?;
        eprintln!("wrote {}", file.display());
    }
    eprintln!("cargo xtask bench took {:.0?}", started.elapsed());
    Ok(())
}
