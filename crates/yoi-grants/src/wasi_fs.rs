//! `wasi:filesystem` preopens from `fs` grants: [`wasi_preopens`], the one
//! rule for which granted roots a standard WASI guest sees, under which
//! name, and with which permissions. Applied at enable, at resolution and
//! where the store's WASI context is built, so the three cannot drift.
//!
//! Guarantees:
//! - One preopen per granted root, in grant order, named `/grants/<index>`
//!   ([`wasi_label`]): the guest never learns the host path.
//! - wasmtime-wasi 48 knows two permission sets per preopen, read-only
//!   (read files, list directories, read metadata) and read-write (also
//!   write, truncate, create and remove files, directories and links, rename,
//!   change metadata). A grant maps to one of them only when its ops say
//!   exactly that: `read,list` is read-only, all five ops are read-write.
//!   Any other set of ops cannot be expressed and is refused, never widened
//!   to read-write nor silently narrowed.
//! - A preopen cannot hide a path inside it the way `yoi:host/fs` denies the
//!   workspace's `.yoi` by inode, so a root that is, lies inside or contains
//!   any protected location, the workspace's `.yoi` included, is refused
//!   ([`Protected::check_wasi_root`]).

use std::path::PathBuf;

use crate::{FsGrant, FsOp, GrantError, Protected};

/// What a guest may do beneath one preopen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasiAccess {
    /// Read files and metadata, list directories; nothing changes.
    ReadOnly,
    /// Everything: read, write, create, remove, rename, change metadata.
    ReadWrite,
}

/// One `wasi:filesystem` preopen derived from an fs grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasiPreopen {
    /// The name the guest sees, `/grants/<index>`; never the host path.
    pub label: String,
    /// The granted root on the host.
    pub root: PathBuf,
    /// The permissions the preopen carries.
    pub access: WasiAccess,
}

/// The guest-visible name of the preopen for the fs grant at `index`.
pub fn wasi_label(index: usize) -> String {
    format!("/grants/{index}")
}

/// The preopens for `grants`, in grant order, or the first grant that
/// cannot be one: an invalid grant, one reaching a `protected` location, or
/// one whose ops no preopen permission set expresses exactly.
pub fn wasi_preopens(
    grants: &[FsGrant],
    protected: &Protected,
) -> Result<Vec<WasiPreopen>, GrantError> {
    grants
        .iter()
        .enumerate()
        .map(|(index, grant)| {
            grant.validate()?;
            protected.check_wasi_root(&grant.root)?;
            Ok(WasiPreopen {
                label: wasi_label(index),
                root: grant.root.clone(),
                access: access(grant)?,
            })
        })
        .collect()
}

fn access(grant: &FsGrant) -> Result<WasiAccess, GrantError> {
    let has = |op| grant.ops.contains(&op);
    if FsOp::ALL.into_iter().all(has) {
        return Ok(WasiAccess::ReadWrite);
    }
    let mutates = [FsOp::Write, FsOp::CreateDir, FsOp::Remove];
    if has(FsOp::Read) && has(FsOp::List) && !mutates.into_iter().any(has) {
        return Ok(WasiAccess::ReadOnly);
    }
    let mut ops: Vec<&str> = grant.ops.iter().map(|op| op.as_str()).collect();
    ops.sort_unstable();
    ops.dedup();
    Err(GrantError::WasiOps {
        root: grant.root.clone(),
        ops: ops.join(","),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(ops: &[FsOp]) -> FsGrant {
        FsGrant {
            root: "/data".into(),
            ops: ops.to_vec(),
        }
    }

    #[test]
    fn ops_map_exactly_or_are_refused() {
        assert_eq!(
            access(&grant(&[FsOp::List, FsOp::Read])).unwrap(),
            WasiAccess::ReadOnly
        );
        assert_eq!(access(&grant(&FsOp::ALL)).unwrap(), WasiAccess::ReadWrite);
        for ops in [
            &[FsOp::Read][..],
            &[FsOp::List],
            &[FsOp::Write],
            &[FsOp::Read, FsOp::List, FsOp::Write],
            &[FsOp::Read, FsOp::List, FsOp::Remove],
        ] {
            let err = access(&grant(ops)).unwrap_err().to_string();
            assert!(err.contains("cannot express exactly"), "{err}");
        }
    }

    #[test]
    fn labels_follow_grant_order_and_hide_the_host_path() {
        let tmp = tempfile::tempdir().unwrap();
        let grants = [
            FsGrant {
                root: tmp.path().join("a"),
                ops: vec![FsOp::Read, FsOp::List],
            },
            FsGrant {
                root: tmp.path().join("b"),
                ops: FsOp::ALL.to_vec(),
            },
        ];
        let preopens = wasi_preopens(&grants, &Protected::none()).unwrap();
        let labels: Vec<_> = preopens.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["/grants/0", "/grants/1"]);
        assert_eq!(preopens[1].access, WasiAccess::ReadWrite);
    }
}
