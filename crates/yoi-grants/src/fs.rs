//! File access: [`FsGrant`], one absolute root and the [`FsOp`]s allowed
//! beneath it. Each operation is granted separately: `write` does not imply
//! `read`.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::GrantError;

/// Filesystem access beneath one absolute root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FsGrant {
    /// The absolute directory the grant is confined to.
    #[schemars(description = "An absolute directory; plugins reach only what is beneath it.")]
    pub root: PathBuf,
    /// The operations allowed beneath `root`; anything else is denied.
    #[schemars(description = "Operations allowed beneath `root`.")]
    pub ops: Vec<FsOp>,
}

/// A filesystem operation. Each is granted separately: `write` does not imply `read`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FsOp {
    /// Read a file's bytes and metadata.
    Read,
    /// List a directory.
    List,
    /// Create or replace a file (atomically).
    Write,
    /// Create a directory.
    CreateDir,
    /// Remove a file or an empty directory.
    Remove,
}

impl FsOp {
    /// Every operation, in the order messages list them.
    pub const ALL: [FsOp; 5] = [
        FsOp::Read,
        FsOp::List,
        FsOp::Write,
        FsOp::CreateDir,
        FsOp::Remove,
    ];

    /// The operation's name, as config and the command line spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            FsOp::Read => "read",
            FsOp::List => "list",
            FsOp::Write => "write",
            FsOp::CreateDir => "create-dir",
            FsOp::Remove => "remove",
        }
    }

    /// Parse an operation name; anything but the five names is an error.
    pub fn parse(text: &str) -> Result<FsOp, GrantError> {
        FsOp::ALL
            .into_iter()
            .find(|op| op.as_str() == text.trim())
            .ok_or_else(|| {
                GrantError::invalid(format!(
                    "unknown fs operation `{}` (expected read, list, write, create-dir or remove)",
                    yoi_manifest::bounded(text, 40)
                ))
            })
    }
}

impl fmt::Display for FsOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FsGrant {
    /// Check that the root is absolute and at least one operation is named.
    pub fn validate(&self) -> Result<(), GrantError> {
        if !self.root.is_absolute() {
            return Err(GrantError::invalid(format!(
                "fs root `{}` must be an absolute path",
                self.root.display()
            )));
        }
        if self.ops.is_empty() {
            return Err(GrantError::invalid(format!(
                "fs grant for `{}` names no operations",
                self.root.display()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fs_grants() {
        assert!(
            FsGrant {
                root: "rel".into(),
                ops: vec![FsOp::Read]
            }
            .validate()
            .is_err()
        );
        assert!(
            FsGrant {
                root: "/abs".into(),
                ops: vec![]
            }
            .validate()
            .is_err()
        );
        assert_eq!(FsOp::parse("create-dir").unwrap(), FsOp::CreateDir);
        assert!(FsOp::parse("chmod").is_err());
    }
}
