//! Build the guest crates in `examples/` and pack them.
//!
//! Each directory of `examples/` with a `plugin.toml` is a plugin: its
//! runtime kind picks the target (`wasm-component` -> `wasm32-wasip2`, legacy
//! `wasm` -> `wasm32-unknown-unknown`), the crate is built in release mode into
//! the shared `target/`, and the wasm is staged next to the manifest under the
//! name the manifest gives, then packed deterministically.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::util::{self, cargo, root};

pub struct Example {
    pub dir: PathBuf,
    pub id: String,
    pub crate_name: String,
    pub target: &'static str,
    pub artifact: String,
}

pub fn plugins_dir() -> PathBuf {
    root().join("target/yoi-plugins")
}

pub fn list() -> anyhow::Result<Vec<Example>> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("plugin.toml").is_file() && p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let manifest = yoi_manifest::Manifest::from_toml_str(&std::fs::read_to_string(
            dir.join("plugin.toml"),
        )?)
        .with_context(|| format!("{}", dir.join("plugin.toml").display()))?;
        let cargo_toml: toml::Table = std::fs::read_to_string(dir.join("Cargo.toml"))?.parse()?;
        let crate_name = cargo_toml
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .with_context(|| format!("no package name in {}", dir.join("Cargo.toml").display()))?
            .to_owned();
        let target = if manifest.runtime.is_component() {
            "wasm32-wasip2"
        } else {
            "wasm32-unknown-unknown"
        };
        out.push(Example {
            id: manifest.id.clone(),
            artifact: manifest.artifact_path().to_owned(),
            dir,
            crate_name,
            target,
        });
    }
    Ok(out)
}

/// Build and pack every example; returns the packed files.
pub fn build_all() -> anyhow::Result<Vec<(String, PathBuf)>> {
    util::ensure_wasm_targets()?;
    let examples = list()?;
    for target in ["wasm32-wasip2", "wasm32-unknown-unknown"] {
        let crates: Vec<&Example> = examples.iter().filter(|e| e.target == target).collect();
        if crates.is_empty() {
            continue;
        }
        let mut cmd = cargo();
        cmd.args([
            "build",
            "--release",
            "--manifest-path",
            "examples/Cargo.toml",
            "--target-dir",
            "target",
            "--target",
            target,
        ]);
        for e in &crates {
            cmd.args(["-p", &e.crate_name]);
        }
        util::run(&mut cmd)?;
    }
    let out_dir = plugins_dir();
    std::fs::create_dir_all(&out_dir)?;
    let mut packed = Vec::new();
    for e in &examples {
        let path = pack(e, &out_dir)?;
        packed.push((e.id.clone(), path));
    }
    Ok(packed)
}

fn pack(e: &Example, out_dir: &Path) -> anyhow::Result<PathBuf> {
    let wasm = root()
        .join("target")
        .join(e.target)
        .join("release")
        .join(format!("{}.wasm", e.crate_name.replace('-', "_")));
    if !wasm.is_file() {
        bail!("the build did not produce {}", wasm.display());
    }
    let stage = root().join("target/yoi-stage").join(&e.id);
    if stage.exists() {
        std::fs::remove_dir_all(&stage)?;
    }
    std::fs::create_dir_all(&stage)?;
    for entry in std::fs::read_dir(&e.dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let wanted =
            name == "plugin.toml" || name.starts_with("README") || name.starts_with("LICENSE");
        if wanted && path.is_file() {
            std::fs::copy(&path, stage.join(&name))?;
        } else if (name == "schemas" || name == "assets") && path.is_dir() {
            copy_dir(&path, &stage.join(&name))?;
        }
    }
    let artifact = stage.join(&e.artifact);
    if let Some(parent) = artifact.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(&wasm, &artifact)?;
    let packed =
        yoi_package::pack_dir(&stage).with_context(|| format!("packing {}", e.dir.display()))?;
    let path = out_dir.join(format!("{}.yoi-plugin", e.id));
    yoi_package::write_atomically(&path, &packed.bytes)?;
    eprintln!("packed {} {}", path.display(), packed.digest);
    Ok(path)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let dest = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_dir(&path, &dest)?;
        } else if path.is_file() {
            std::fs::copy(&path, dest)?;
        }
    }
    Ok(())
}
