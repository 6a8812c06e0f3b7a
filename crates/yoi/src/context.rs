//! What every command needs: the workspace, its stores, and the resolved plan.

use std::path::PathBuf;

use anyhow::Context as _;
use yoi_workspace::{Config, Plan, Stores};

use crate::cli::GlobalArgs;

pub struct Context {
    pub workspace: PathBuf,
    pub stores: Stores,
}

impl Context {
    pub fn new(args: GlobalArgs) -> anyhow::Result<Context> {
        let workspace = match args.workspace {
            Some(dir) => dir,
            None => std::env::current_dir().context("cannot determine the current directory")?,
        };
        let workspace = std::path::absolute(&workspace)
            .with_context(|| format!("invalid workspace `{}`", workspace.display()))?;
        let stores = Stores::for_workspace(&workspace);
        Ok(Context { workspace, stores })
    }

    pub fn config(&self) -> anyhow::Result<Config> {
        Config::load(&self.workspace).map_err(|e| {
            crate::output::hinted(
                e,
                "fix `.yoi/config.toml` by hand; yoi does not overwrite a file it cannot read",
            )
        })
    }

    /// Discover every store and resolve against the enablement file.
    pub fn plan(&self) -> anyhow::Result<Plan> {
        let config = self.config()?;
        let inventory = yoi_workspace::discover(&self.stores);
        Ok(yoi_workspace::resolve(inventory, &config))
    }
}
