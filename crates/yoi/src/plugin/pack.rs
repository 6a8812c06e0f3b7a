//! `yoi plugin pack DIR`: validate and write a deterministic archive.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::context::Context;
use crate::output;

#[derive(Debug, Args)]
pub struct PackArgs {
    /// The plugin directory (holds `plugin.toml` and the files it references).
    pub dir: PathBuf,
    /// Where to write the archive [default: `./<id>-<version>.yoi-plugin`].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print `{"path": ..., "digest": ...}`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Packed {
    path: PathBuf,
    digest: String,
    id: String,
    version: String,
}

pub fn run(_ctx: &Context, args: PackArgs) -> anyhow::Result<ExitCode> {
    let packed = yoi_package::pack_dir(&args.dir).map_err(|e| {
        output::hinted(
            format!("cannot pack `{}`: {e}", args.dir.display()),
            "run `yoi plugin check DIR` for the full diagnosis",
        )
    })?;
    // `pack_dir` validated the files; validate the result as a package too, so
    // that what we write is exactly what `install` will accept.
    let package = yoi_package::Package::from_archive_bytes(&packed.bytes).map_err(|e| {
        output::hinted(
            format!("`{}` is not a valid plugin: {e}", args.dir.display()),
            "run `yoi plugin check DIR`",
        )
    })?;
    let manifest = package.manifest();
    let path = args.output.unwrap_or_else(|| {
        PathBuf::from(format!("{}-{}.yoi-plugin", manifest.id, manifest.version))
    });
    yoi_package::write_atomically(&path, &packed.bytes)?;
    let result = Packed {
        path: std::path::absolute(&path)?,
        digest: package.digest().to_string(),
        id: manifest.id.clone(),
        version: manifest.version.to_string(),
    };
    if args.json {
        output::json(&result)?;
    } else {
        output::print(&format!("{}\n{}\n", result.path.display(), result.digest))?;
    }
    Ok(ExitCode::SUCCESS)
}
