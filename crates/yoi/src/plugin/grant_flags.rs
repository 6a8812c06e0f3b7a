//! The host API grant flags (`--https`, `--methods`, `--fs`, `--ops`), one
//! [`GrantFlags`] flattened into every command that grants host APIs
//! (`yoi plugin enable`, `yoi plugin dev`), so the flags, their defaults and
//! how they become grants are decided in one place.
//!
//! Nothing is implied: no flag, no grant. `--methods` and `--ops` apply to
//! every `--https` prefix and `--fs` root given, and are refused without one.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use yoi_grants::{FsGrant, FsOp, HttpsGrant, Protected};

// No `///` on the struct: clap would take it as the about text of the
// commands it is flattened into.
#[derive(Debug, Args)]
pub struct GrantFlags {
    /// Allow outbound HTTP(S) to this URL prefix (scheme, host, port, path prefix). Repeatable.
    #[arg(long, value_name = "URLPREFIX")]
    pub https: Vec<String>,
    /// Methods allowed for the `--https` prefixes given, comma-separated.
    #[arg(
        long,
        value_name = "METHODS",
        default_value = "GET",
        requires = "https"
    )]
    pub methods: String,
    /// Allow file access beneath this directory. Repeatable.
    #[arg(long, value_name = "ROOT")]
    pub fs: Vec<PathBuf>,
    /// Operations allowed beneath the `--fs` roots given: read, list, write, create-dir, remove.
    #[arg(long, value_name = "OPS", default_value = "read,list", requires = "fs")]
    pub ops: String,
}

impl GrantFlags {
    /// `--https URL... --methods M,..` as grants.
    pub fn https_grants(&self) -> anyhow::Result<Vec<HttpsGrant>> {
        let methods: Vec<String> = self.methods.split(',').map(str::to_owned).collect();
        Ok(self
            .https
            .iter()
            .map(|u| HttpsGrant::new(u, &methods))
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// `--fs ROOT... --ops OP,..` as grants: each root an existing directory,
    /// canonicalized so the grant names what the path means now, and none
    /// reaching yoi's own state (`protected`; the workspace's `.yoi` inside a
    /// granted project is denied by inode instead).
    pub fn fs_grants(&self, protected: &Protected) -> anyhow::Result<Vec<FsGrant>> {
        let ops = self
            .ops
            .split(',')
            .map(FsOp::parse)
            .collect::<Result<Vec<_>, _>>()?;
        let mut grants = Vec::new();
        for root in &self.fs {
            let root = std::fs::canonicalize(root).with_context(|| {
                format!(
                    "the fs root `{}` must be an existing directory",
                    root.display()
                )
            })?;
            anyhow::ensure!(
                root.is_dir(),
                "the fs root `{}` is not a directory",
                root.display()
            );
            let grant = FsGrant {
                root,
                ops: ops.clone(),
            };
            grant.validate()?;
            protected.check_root(&grant.root).map_err(|e| {
                crate::output::hinted(
                    e,
                    "grant a directory that holds none of yoi's state (its cache, stores, config, secrets)",
                )
            })?;
            grants.push(grant);
        }
        Ok(grants)
    }
}

/// Refuse, for a manifest requesting `wasi:filesystem`, fs grants that
/// cannot be preopens ([`yoi_grants::wasi_preopens`]: a root holding any of
/// yoi's state, the workspace's `.yoi` included, or ops no preopen
/// expresses). The same rule rejects them at resolution and at load.
pub fn check_wasi_fs(
    manifest: &yoi_manifest::Manifest,
    grants: &[FsGrant],
    protected: &Protected,
) -> anyhow::Result<()> {
    if !manifest
        .permissions
        .host_apis
        .contains(&yoi_manifest::HostApi::WasiFilesystem)
    {
        return Ok(());
    }
    yoi_grants::wasi_preopens(grants, protected).map_err(|e| {
        let hint = match e {
            yoi_grants::GrantError::WasiOps { .. } => {
                "use `--ops read,list` (read-only) or `--ops read,list,write,create-dir,remove` (read-write)"
            }
            _ => {
                "grant a subdirectory that holds none of yoi's state, or use `yoi:host/fs` (host API `fs`), which denies `.yoi` inside a granted project"
            }
        };
        crate::output::hinted(e, hint)
    })?;
    Ok(())
}
