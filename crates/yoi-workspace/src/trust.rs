//! Workspace trust: authority in `.yoi/config.toml` counts only once this
//! user approved it on this machine.
//!
//! A config travels with the repository that holds it, so a cloned
//! repository could otherwise ship a plugin together with the grants that
//! let it run. Approvals therefore live outside every workspace, in
//! [`TrustStore`] (`$XDG_CONFIG_HOME/yoi/trust.toml`, else
//! `~/.config/yoi/trust.toml`), keyed by the workspace's canonical path and
//! the digest of the config's authority (see [`Config::authority`]). A copy
//! of the workspace at another path, or any change to what the file grants
//! (a `git pull`, an editor, a plugin), no longer matches: the config is
//! [`Trust::Untrusted`] until `yoi trust` shows it and the user approves it.
//!
//! While untrusted, [`distrust`] makes every enabled plugin `untrusted` (no
//! plugin code runs: nothing is resolved to run) and
//! [`Config::restrict_to`] drops `[serve]`, `[https]` and `[limits]` with a
//! warning each, so that the defaults apply. The store file is written
//! atomically, 0600 in a 0700 directory, and a store that another user
//! could have written (owned by another user, group- or world-writable, or
//! a symlink; the file and its directory) is not believed.

mod digest;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(crate) use digest::authority_digest;

use crate::{Config, Diagnostic, DiagnosticKind, Plan, Status, WorkspaceError};

/// Where the trust store lives, below the user's config directory.
pub const TRUST_FILE: &str = "yoi/trust.toml";
/// Largest trust store read.
const MAX_TRUST_BYTES: u64 = 4 * 1024 * 1024;
/// The hint every untrusted plugin and warning carries.
pub const TRUST_HINT: &str = "review it, then run `yoi trust`";

/// Whether the authority of a workspace's config counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "trust", rename_all = "kebab-case")]
pub enum Trust {
    /// The config grants nothing (no enablement, no `[serve]`, `[https]` or
    /// `[limits]`), so there is nothing to approve.
    #[default]
    NotNeeded,
    /// This user approved exactly this authority for this workspace path.
    Trusted,
    /// The config's authority is not approved and counts for nothing.
    Untrusted {
        /// Why: never approved, changed since, or the store unreadable.
        reason: String,
    },
}

impl Trust {
    /// Whether the config's authority may be used.
    pub fn allows_authority(&self) -> bool {
        !matches!(self, Trust::Untrusted { .. })
    }

    /// The decision's name: `not-needed`, `trusted` or `untrusted`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Trust::NotNeeded => "not-needed",
            Trust::Trusted => "trusted",
            Trust::Untrusted { .. } => "untrusted",
        }
    }
}

/// The user's approvals, one per workspace path.
#[derive(Debug, Clone)]
pub struct TrustStore {
    path: PathBuf,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    #[serde(default)]
    workspaces: BTreeMap<String, Approval>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Approval {
    /// The approved authority digest (`sha256:…`).
    config: String,
}

impl TrustStore {
    /// The store in file `path`.
    pub fn at(path: PathBuf) -> TrustStore {
        TrustStore { path }
    }

    /// The user's store, `$XDG_CONFIG_HOME/yoi/trust.toml`, else
    /// `$HOME/.config/yoi/trust.toml`; `None` when neither is set.
    pub fn for_user() -> Option<TrustStore> {
        // One place decides where yoi's config directory is, so the store
        // is always inside what fs grants may not reach.
        let dir = crate::user_config_dir()?;
        Some(TrustStore::at(dir.join("trust.toml")))
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `config`, read from `workspace`, may be used as it is.
    pub fn judge(&self, workspace: &Path, config: &Config) -> Trust {
        let Some(digest) = config.authority else {
            return Trust::NotNeeded;
        };
        let untrusted = |reason: String| Trust::Untrusted { reason };
        let key = match workspace_key(workspace) {
            Ok(key) => key,
            Err(e) => return untrusted(e.to_string()),
        };
        let store = match self.read() {
            Ok(store) => store,
            Err(e) => return untrusted(format!("the trust store cannot be used: {e}")),
        };
        match store.workspaces.get(&key) {
            None => untrusted(format!("`{key}` has never been approved on this machine")),
            Some(a) if a.config == digest.to_string() => Trust::Trusted,
            Some(_) => untrusted(format!(
                "what `{}` grants changed since it was approved",
                config.path.display()
            )),
        }
    }

    /// Record that this user approves `config`'s authority for `workspace`,
    /// replacing any earlier approval of that path. A config with no
    /// authority needs none; its earlier approval is removed.
    pub fn approve(&self, workspace: &Path, config: &Config) -> Result<(), WorkspaceError> {
        let key = workspace_key(workspace)?;
        let mut store = self.read()?;
        match config.authority {
            Some(digest) => {
                store.workspaces.insert(
                    key,
                    Approval {
                        config: digest.to_string(),
                    },
                );
            }
            None => {
                store.workspaces.remove(&key);
            }
        }
        self.write(&store)
    }

    /// Remove the approval of `workspace`; `false` when there was none.
    pub fn revoke(&self, workspace: &Path) -> Result<bool, WorkspaceError> {
        let key = workspace_key(workspace)?;
        let mut store = self.read()?;
        let removed = store.workspaces.remove(&key).is_some();
        if removed {
            self.write(&store)?;
        }
        Ok(removed)
    }

    fn error(&self, message: impl Into<String>) -> WorkspaceError {
        WorkspaceError::TrustStore {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    fn read(&self) -> Result<StoreFile, WorkspaceError> {
        for path in [self.path.parent(), Some(self.path.as_path())]
            .into_iter()
            .flatten()
        {
            let meta = match std::fs::symlink_metadata(path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(StoreFile::default());
                }
                Err(e) => return Err(self.error(e.to_string())),
            };
            if meta.file_type().is_symlink() {
                return Err(self.error(format!("`{}` is a symbolic link", path.display())));
            }
            let me = rustix::process::geteuid().as_raw();
            if meta.uid() != me {
                return Err(self.error(format!(
                    "`{}` is owned by user {}, not this user",
                    path.display(),
                    meta.uid()
                )));
            }
            if meta.permissions().mode() & 0o022 != 0 {
                return Err(self.error(format!(
                    "`{}` is writable by other users (mode {:o}); `chmod go-w` it",
                    path.display(),
                    meta.permissions().mode() & 0o777
                )));
            }
        }
        let text = yoi_grants::read_bounded(&self.path, MAX_TRUST_BYTES)?.unwrap_or_default();
        toml::from_str(&text)
            .map_err(|e: toml::de::Error| self.error(yoi_manifest::bounded(e.message(), 400)))
    }

    fn write(&self, store: &StoreFile) -> Result<(), WorkspaceError> {
        let dir = self
            .path
            .parent()
            .ok_or_else(|| self.error("no directory"))?;
        let io = |e: std::io::Error| self.error(e.to_string());
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        let text = format!(
            "# Workspaces whose .yoi/config.toml this user approved (`yoi trust`).\n\
             # Written by yoi; `yoi trust --revoke` removes an entry.\n\n{}",
            toml::to_string(store).map_err(|e| self.error(e.to_string()))?
        );
        // A named temporary file is created 0600; the rename is atomic.
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        tmp.write_all(text.as_bytes()).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&self.path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// The workspace's canonical path, the key of its approval.
fn workspace_key(workspace: &Path) -> Result<String, WorkspaceError> {
    let canonical = std::fs::canonicalize(workspace).map_err(|e| WorkspaceError::TrustStore {
        path: workspace.to_path_buf(),
        message: format!("cannot resolve the workspace path: {e}"),
    })?;
    canonical
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| WorkspaceError::TrustStore {
            path: canonical.clone(),
            message: "the workspace path is not UTF-8, so it cannot be approved".into(),
        })
}

impl Config {
    /// Apply `trust` to the workspace-wide sections: when the config is
    /// untrusted, `[serve]`, `[https]` and `[limits]` are dropped (the
    /// defaults apply), and one warning per dropped section is returned for
    /// the front end to show. Plugin entries stay, for [`distrust`] to report.
    pub fn restrict_to(&mut self, trust: &Trust) -> Vec<String> {
        if trust.allows_authority() {
            return Vec::new();
        }
        let mut warnings = Vec::new();
        let mut warn = |section: &str| {
            warnings.push(format!(
                "`[{section}]` of `{}` is ignored: the workspace is not trusted; {TRUST_HINT}",
                self.path.display()
            ));
        };
        if !self.serve.is_empty() {
            warn("serve");
        }
        if self.https != crate::HttpsSettings::default() {
            warn("https");
        }
        if !self.limits.is_empty() {
            warn("limits");
        }
        self.serve.clear();
        self.limits.clear();
        self.https = crate::HttpsSettings::default();
        warnings
    }
}

/// Make every enabled plugin of `plan` `untrusted` when `trust` says so:
/// nothing is left to run, every surface member and host API is
/// ineligible, and each report says why, with the hint.
pub(crate) fn distrust(plan: &mut Plan, trust: &Trust) {
    plan.trust = trust.clone();
    let Trust::Untrusted { reason } = trust else {
        return;
    };
    plan.plugins.clear();
    plan.https = crate::HttpsSettings::default();
    let why = "the workspace config is not trusted";
    for report in plan.reports.iter_mut().filter(|r| r.enabled) {
        report.status = Status::Untrusted;
        report.surfaces.clear();
        for e in report
            .tools
            .iter_mut()
            .chain(&mut report.services)
            .chain(&mut report.ingresses)
            .chain(&mut report.host_apis)
        {
            e.eligible = false;
            e.reason = Some(why.into());
        }
        report.diagnostics.insert(
            0,
            Diagnostic::new(
                DiagnosticKind::Untrusted,
                format!("{why}: {reason}; {TRUST_HINT}"),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    fn config(ws: &Path, text: &str) -> Config {
        Config::parse(text, ws.join(crate::CONFIG_FILE)).unwrap()
    }

    fn granting(ws: &Path, root: &str) -> Config {
        config(
            ws,
            &format!(
                "[plugins.\"project:x\"]\nversion = \"1.0.0\"\ndigest = \"{DIGEST}\"\n\
                 [[plugins.\"project:x\".grants.fs]]\nroot = \"{root}\"\nops = [\"read\"]\n"
            ),
        )
    }

    fn untrusted_because(trust: Trust) -> String {
        match trust {
            Trust::Untrusted { reason } => reason,
            other => panic!("expected untrusted, got {other:?}"),
        }
    }

    #[test]
    fn an_approval_holds_for_one_path_and_one_authority() {
        let tmp = tempfile::tempdir().unwrap();
        let (ws, clone) = (tmp.path().join("ws"), tmp.path().join("clone"));
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::create_dir_all(&clone).unwrap();
        let store = TrustStore::at(tmp.path().join("config/yoi/trust.toml"));
        let narrow = granting(&ws, "/home/me/notes");
        assert!(untrusted_because(store.judge(&ws, &narrow)).contains("never"));
        store.approve(&ws, &narrow).unwrap();
        assert_eq!(store.judge(&ws, &narrow), Trust::Trusted);
        // The same file at another path, and a wider grant at the same path.
        assert!(untrusted_because(store.judge(&clone, &narrow)).contains("never"));
        let wide = granting(&ws, "/");
        assert!(untrusted_because(store.judge(&ws, &wide)).contains("changed"));
        assert!(store.revoke(&ws).unwrap());
        assert!(!store.revoke(&ws).unwrap());
        assert!(untrusted_because(store.judge(&ws, &narrow)).contains("never"));
        assert_eq!(store.judge(&ws, &config(&ws, "")), Trust::NotNeeded);
    }

    #[test]
    fn the_store_is_private_and_refused_when_others_can_write_it() {
        let tmp = tempfile::tempdir().unwrap();
        let store = TrustStore::at(tmp.path().join("config/yoi/trust.toml"));
        let c = granting(tmp.path(), "/n");
        store.approve(tmp.path(), &c).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(store.path().parent().unwrap()), 0o700);
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o622)).unwrap();
        let reason = untrusted_because(store.judge(tmp.path(), &c));
        assert!(reason.contains("writable by other users"), "{reason}");
        assert!(store.approve(tmp.path(), &c).is_err());

        // Another local user who owns the store (or its directory) cannot
        // approve for this one, however tight the mode.
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(store.judge(tmp.path(), &c), Trust::Trusted);
        const NOBODY: u32 = 65534;
        std::os::unix::fs::chown(store.path(), Some(NOBODY), Some(NOBODY)).unwrap();
        let reason = untrusted_because(store.judge(tmp.path(), &c));
        assert!(
            reason.contains("is owned by user 65534, not this user"),
            "{reason}"
        );
        std::os::unix::fs::chown(store.path(), Some(0), Some(0)).unwrap();
        let dir = store.path().parent().unwrap();
        std::os::unix::fs::chown(dir, Some(NOBODY), Some(NOBODY)).unwrap();
        let reason = untrusted_because(store.judge(tmp.path(), &c));
        assert!(
            reason.contains("is owned by user 65534, not this user"),
            "{reason}"
        );
    }

    #[test]
    fn an_untrusted_config_loses_serve_https_and_limits() {
        let tmp = tempfile::tempdir().unwrap();
        let mut c = config(
            tmp.path(),
            "[serve]\nlisten = \"0.0.0.0:80\"\n[https]\nbuiltin_roots = false\n[limits]\ndeadline_ms = 60000\n",
        );
        let untrusted = Trust::Untrusted { reason: "r".into() };
        let warnings = c.restrict_to(&untrusted);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].starts_with("`[serve]` of `"), "{}", warnings[0]);
        assert!(warnings[0].ends_with("run `yoi trust`"), "{}", warnings[0]);
        assert!(c.serve.is_empty() && c.limits.is_empty());
        assert_eq!(c.https, crate::HttpsSettings::default());
        assert!(c.clone().restrict_to(&Trust::Trusted).is_empty());
    }
}
