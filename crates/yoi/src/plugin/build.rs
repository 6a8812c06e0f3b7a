//! `yoi plugin build [DIR]`: compile a plugin project, then pack it.
//!
//! The build is `cargo build --release --target wasm32-wasip2` in `DIR` (the
//! manifest format has no build command of its own; another toolchain builds
//! by hand and packs with `yoi plugin pack`). The `wasm32-wasip2` target is
//! added through rustup when it is missing. While cargo runs, one progress
//! line is shown on stderr; when it fails, cargo's own output is shown as it
//! wrote it. The component cargo built is copied to the path the manifest's
//! `runtime.component` names, and the directory is validated and packed
//! exactly as `yoi plugin pack` does, printing the package's path and digest.

mod cargo;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use yoi_manifest::{MANIFEST_FILE, Manifest, Runtime};

use crate::context::Context;
use crate::output::{self, hinted};
use crate::plugin::pack;

/// The target every component is built for.
pub(super) const TARGET: &str = "wasm32-wasip2";

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The plugin project (holds `plugin.toml` and `Cargo.toml`).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Where to write the package [default: `./<id>-<version>.yoi-plugin`].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print `{"path": ..., "digest": ..., "id": ..., "version": ...}`.
    #[arg(long)]
    pub json: bool,
}

/// A component built and staged where the manifest says.
pub(super) struct Built {
    /// The project directory, absolute.
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// The staged component, `DIR/<runtime.component>`.
    pub staged: PathBuf,
}

pub fn run(ctx: &Context, args: BuildArgs) -> anyhow::Result<ExitCode> {
    let Some(built) = build(&args.dir)? else {
        return Ok(ExitCode::from(1));
    };
    output::stderr!(
        "staged {} {} as `{}`; packing",
        built.manifest.id,
        built.manifest.version,
        built.staged.display()
    );
    pack::run(
        ctx,
        pack::PackArgs {
            dir: args.dir,
            output: args.output,
            json: args.json,
        },
    )
}

/// Compile the component of the project in `dir` and stage it. `Ok(None)`
/// when the compiler refused: its messages have been shown already.
pub(super) fn build(dir: &Path) -> anyhow::Result<Option<Built>> {
    let dir = std::path::absolute(dir)
        .with_context(|| format!("invalid plugin directory `{}`", dir.display()))?;
    let manifest = read_manifest(&dir)?;
    let component = match &manifest.runtime {
        Runtime::Component { component, .. } => component.clone(),
        Runtime::Legacy { .. } => {
            return Err(hinted(
                format!(
                    "`{}` is a legacy `kind = \"wasm\"` plugin; `yoi plugin build` builds components",
                    manifest.id
                ),
                "build the core module yourself and run `yoi plugin pack DIR`, or move to a component (docs/plugin-authoring.md, \"Migrating from the legacy raw ABI\")",
            ));
        }
    };
    let cargo_toml = dir.join("Cargo.toml");
    if !cargo_toml.is_file() {
        return Err(hinted(
            format!(
                "`{}` has no Cargo.toml; `yoi plugin build` builds Rust projects with cargo",
                dir.display()
            ),
            format!(
                "build the component with your toolchain, put it at `{component}` and run `yoi plugin pack DIR`"
            ),
        ));
    }
    cargo::ensure_target(&dir)?;
    let Some(artifact) = cargo::build(&dir, &cargo_toml, &manifest.id)? else {
        return Ok(None);
    };
    let staged = dir.join(&component);
    if let Some(parent) = staged.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    let bytes = std::fs::read(&artifact)
        .with_context(|| format!("cannot read the built component `{}`", artifact.display()))?;
    // Written to a temporary file and renamed: a link at `staged` is replaced,
    // never written through.
    yoi_package::write_atomically(&staged, &bytes)
        .with_context(|| format!("cannot stage the component as `{}`", staged.display()))?;
    Ok(Some(Built {
        dir,
        manifest,
        staged,
    }))
}

fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    use std::io::Read as _;
    let path = dir.join(MANIFEST_FILE);
    let file = std::fs::File::open(&path).map_err(|e| {
        hinted(
            format!("cannot read `{}`: {e}", path.display()),
            "run this in a plugin project (`yoi plugin new NAME` makes one), or name its directory",
        )
    })?;
    let mut text = String::new();
    file.take(yoi_manifest::MAX_MANIFEST_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    Manifest::from_toml_str(&text).map_err(|e| {
        hinted(
            format!("`{}` is invalid: {e}", path.display()),
            "every field is described in docs/manifest.md",
        )
    })
}
