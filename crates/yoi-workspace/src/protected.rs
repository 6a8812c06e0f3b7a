//! Where yoi keeps its own state for one workspace, gathered once into the
//! [`Protected`] set that every fs grant is checked against (at
//! `yoi plugin enable`, at resolution, and when the policy is built).
//!
//! Protected: the workspace's `.yoi` directory (config, project store,
//! history), the user store, the cache root (compiled code, its key and
//! materialized packages), yoi's config directory (the trust store,
//! [`user_config_dir`]), and every file the config names as a secret: https
//! secret headers, ingress sender secrets, the `[serve]` token file, and the
//! `[https] extra_roots` trust roots. A location that does not exist yet is
//! protected all the same, by its canonical parent and name.

use std::path::{Path, PathBuf};

use yoi_grants::Protected;

use crate::Config;
use crate::source::env_dir;

/// yoi's per-user config directory, `$XDG_CONFIG_HOME/yoi`, else
/// `~/.config/yoi`: the trust store (`trust.toml`) lives here.
pub fn user_config_dir() -> Option<PathBuf> {
    env_dir("XDG_CONFIG_HOME")
        .or_else(|| env_dir("HOME").map(|h| h.join(".config")))
        .map(|d| d.join("yoi"))
}

/// The protected state of the workspace whose config is `config`, with the
/// user store at `user_store`; the cache root and config directory come from
/// the environment, as the runtime and the trust store find them.
pub fn protected_state(config: &Config, user_store: Option<&Path>) -> Protected {
    let mut protected = Protected::none();
    let state = config.path.parent().unwrap_or(&config.path);
    protected.add_workspace_state(state);
    if let Some(store) = user_store {
        protected.add(store, "the user store");
    }
    if let Some(cache) = yoi_package::default_cache_root() {
        protected.add(&cache, "yoi's cache");
    }
    if let Some(dir) = user_config_dir() {
        protected.add(&dir, "yoi's config directory");
    }
    for enablement in config.plugins.values().flatten() {
        for secret in enablement.grants.https.iter().flat_map(|g| &g.secrets) {
            protected.add(&secret.file, "a secret file");
        }
        for auth in enablement.ingress.values() {
            for file in [&auth.hmac_sha256_file, &auth.token_file]
                .into_iter()
                .flatten()
            {
                protected.add(file, "an ingress secret file");
            }
        }
    }
    for root in &config.https.extra_roots {
        protected.add(root, "an `[https] extra_roots` file");
    }
    if let Some(token) = config.serve.get("token_file").and_then(|v| v.as_str()) {
        let workspace = state.parent().unwrap_or(state);
        protected.add(&workspace.join(token), "the `[serve]` token file");
    }
    protected
}
