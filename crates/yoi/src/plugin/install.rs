//! `yoi plugin install FILE`: check a package, then copy it into a store.
//! Installing never enables: the package stays `disabled` until someone enables it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use yoi_workspace::Source;

use crate::context::Context;
use crate::output;

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// A `.yoi-plugin` file.
    pub file: PathBuf,
    /// Install into the user store instead of the project store.
    #[arg(long)]
    pub user: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: InstallArgs) -> anyhow::Result<ExitCode> {
    let package = yoi_package::Package::from_archive_file(&args.file).map_err(|e| {
        output::hinted(
            format!("`{}` is not a valid plugin: {e}", args.file.display()),
            "nothing was installed; `yoi plugin check FILE` shows the full diagnosis",
        )
    })?;
    let source = if args.user {
        Source::User
    } else {
        Source::Project
    };
    let dir = ctx.stores.dir(source).ok_or_else(|| {
        output::hinted(
            "the user store has no location",
            "set XDG_DATA_HOME or HOME",
        )
    })?;
    std::fs::create_dir_all(dir)?;
    let manifest = package.manifest();
    let dest = dir.join(format!("{}.yoi-plugin", manifest.id));
    // Write what was checked, not the file again: it may have changed since.
    let bytes = yoi_package::pack_files(package.files());
    yoi_package::write_atomically(&dest, &bytes)?;
    let reference = format!("{source}:{}", manifest.id);
    if args.json {
        output::json(&serde_json::json!({
            "ref": reference, "path": dest, "version": manifest.version.to_string(), "digest": package.digest().to_string(),
        }))?;
    } else {
        output::print(&format!(
            "installed {reference} {} {}\n",
            manifest.version,
            package.digest()
        ))?;
        output::stderr!(
            "hint: it runs only once enabled: `yoi plugin enable {reference} --tools '*'`"
        );
    }
    Ok(ExitCode::SUCCESS)
}
