//! What every command needs: the workspace, its stores, the trust decision
//! on its config, and the resolved plan.
//!
//! Every command reads the config through [`Context::loaded`], which applies
//! the user's trust store: an unapproved config's authority never reaches a
//! runtime, a registry or a listener. Only `yoi trust` and the editing
//! commands see the file as written ([`Context::raw_config`]).

use std::path::PathBuf;

use anyhow::Context as _;
use yoi_workspace::{Config, ConfigEditor, Plan, Stores, Trust, TrustStore};

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

    /// The config as written, its authority not yet judged.
    pub fn raw_config(&self) -> anyhow::Result<Config> {
        Config::load(&self.workspace).map_err(|e| {
            crate::output::hinted(
                e,
                "fix `.yoi/config.toml` by hand; yoi does not overwrite a file it cannot read",
            )
        })
    }

    /// The user's trust store, if the environment names a config directory.
    pub fn trust_store(&self) -> Option<TrustStore> {
        TrustStore::for_user()
    }

    /// Whether `config`'s authority counts for this user.
    pub fn judge(&self, config: &Config) -> Trust {
        match self.trust_store() {
            Some(store) => store.judge(&self.workspace, config),
            None if config.authority.is_none() => Trust::NotNeeded,
            None => Trust::Untrusted {
                reason: "there is no trust store (set XDG_CONFIG_HOME or HOME)".into(),
            },
        }
    }

    /// The config with its trust applied, the decision, and a warning for
    /// every section an untrusted config loses.
    pub fn loaded(&self) -> anyhow::Result<(Config, Trust, Vec<String>)> {
        let mut config = self.raw_config()?;
        let trust = self.judge(&config);
        let warnings = config.restrict_to(&trust);
        Ok((config, trust, warnings))
    }

    /// The config with its trust applied (see [`Context::loaded`]).
    pub fn config(&self) -> anyhow::Result<Config> {
        Ok(self.loaded()?.0)
    }

    /// Edit the config. The result is approved when the config was trusted,
    /// or granted nothing, before the edit: the user's own command is their
    /// approval of what it writes. An edit of an untrusted config approves
    /// nothing (it must not approve what a cloned repository put there).
    /// Returns the trust of the config as written.
    pub fn edit_config(
        &self,
        edit: impl FnOnce(&mut ConfigEditor) -> anyhow::Result<()>,
    ) -> anyhow::Result<Trust> {
        let before = self.judge(&self.raw_config()?);
        let mut editor = ConfigEditor::open(&self.workspace)?;
        edit(&mut editor)?;
        editor.save()?;
        let after = self.raw_config()?;
        if let (true, Some(store)) = (before.allows_authority(), self.trust_store()) {
            store.approve(&self.workspace, &after)?;
        }
        Ok(self.judge(&after))
    }

    /// The sandbox, with `[limits]` from the config and the user's cache root.
    pub fn runtime(&self) -> anyhow::Result<yoi_runtime::Runtime> {
        let config = self.config()?;
        let limits = yoi_runtime::Limits::from_table(&config.limits).map_err(|e| {
            crate::output::hinted(
                e,
                "see `[limits]` in docs/security.md for the keys and their bounds",
            )
        })?;
        let cache_root = yoi_runtime::RuntimeConfig::default_cache_root().ok_or_else(|| {
            crate::output::hinted("no cache directory", "set XDG_CACHE_HOME or HOME")
        })?;
        Ok(yoi_runtime::Runtime::new(yoi_runtime::RuntimeConfig {
            cache_root,
            limits,
        })?)
    }

    /// The workspace history (`.yoi/history.db`), kept within `[history]
    /// max_bytes`. A config that cannot be read does not keep the history
    /// from being shown (with the default limit); the commands that need
    /// the config report it. A `max_bytes` out of bounds is an error.
    pub fn history(&self) -> anyhow::Result<std::sync::Arc<yoi_history::History>> {
        let max_bytes = match Config::load(&self.workspace) {
            Ok(config) => config.history.max_bytes,
            Err(_) => None,
        }
        .unwrap_or(yoi_history::DEFAULT_MAX_BYTES);
        let path = self.workspace.join(".yoi/history.db");
        let history = yoi_history::History::open_with_limit(&path, max_bytes).map_err(|e| match e {
            yoi_history::HistoryError::Limit { .. } => crate::output::hinted(
                e,
                "set `[history] max_bytes` in `.yoi/config.toml` within the bounds, or remove it for the default (1 GiB)",
            ),
            e => e.into(),
        })?;
        Ok(std::sync::Arc::new(history))
    }

    /// Run a future on a runtime made for this command.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> anyhow::Result<F::Output> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        Ok(rt.block_on(f))
    }

    /// Discover every store and resolve against the enablement file, as far
    /// as it is trusted; the sections an untrusted file loses are warnings
    /// among the plan's diagnostics.
    pub fn plan(&self) -> anyhow::Result<Plan> {
        let (config, trust, warnings) = self.loaded()?;
        let inventory = yoi_workspace::discover(&self.stores);
        let mut plan = yoi_workspace::resolve(inventory, &config, &trust);
        plan.diagnostics.extend(warnings);
        Ok(plan)
    }
}
