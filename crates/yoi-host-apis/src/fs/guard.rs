//! yoi's own state beneath a granted root, denied by device and inode.
//!
//! A root may legitimately contain the workspace (the project directory is
//! granted); its `.yoi` directory must still stay out of reach. Names cannot
//! tell: a symlink, a rename or a second hard link reaches the same place
//! under another name. So when the policy is built, the (device, inode) of
//! every protected location that exists is recorded, with the regular files
//! directly inside each protected directory (so a hard link to
//! `.yoi/config.toml`, a secret file or the cache key is caught too). Before
//! every operation, each prefix of the plugin's path is looked up through
//! the root handle, following symlinks beneath the root, and an operation
//! whose path passes through or lands on a recorded inode is denied. A read
//! checks the opened file itself as well, so what is read is what was
//! checked.
//!
//! Limits, stated: a file created inside a protected directory after the
//! policy was built is reached only through that directory, which is
//! checked; a new hard link to such a file made by someone else is not
//! known. A plugin cannot make links itself: the fs API has no link,
//! symlink or rename operation.

use cap_std::fs::{Dir, Metadata, MetadataExt};
use yoi_grants::Protected;

use super::FsError;
use super::path::RelPath;

/// The protected inodes of one policy.
#[derive(Debug, Default)]
pub(crate) struct Guard {
    ids: Vec<Protect>,
}

#[derive(Debug)]
struct Protect {
    dev: u64,
    ino: u64,
    what: String,
}

impl Guard {
    /// Record every protected location that exists now, and the regular
    /// files directly inside protected directories.
    pub(crate) fn new(protected: &Protected) -> Guard {
        use std::os::unix::fs::MetadataExt as _;
        let mut guard = Guard::default();
        for location in protected.locations() {
            let Ok(meta) = std::fs::metadata(&location.path) else {
                continue;
            };
            guard.push(meta.dev(), meta.ino(), &location.what);
            if !meta.is_dir() {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&location.path) else {
                continue;
            };
            for entry in entries.flatten().take(4096) {
                if let Ok(meta) = entry.metadata()
                    && meta.is_file()
                {
                    guard.push(meta.dev(), meta.ino(), &location.what);
                }
            }
        }
        guard
    }

    fn push(&mut self, dev: u64, ino: u64, what: &str) {
        self.ids.push(Protect {
            dev,
            ino,
            what: what.to_owned(),
        });
    }

    fn hit(&self, meta: &Metadata) -> Option<&str> {
        let (dev, ino) = (meta.dev(), meta.ino());
        self.ids
            .iter()
            .find(|p| p.dev == dev && p.ino == ino)
            .map(|p| p.what.as_str())
    }

    fn denied(what: &str, shown: &str) -> FsError {
        FsError::Denied {
            reason: format!("`{shown}` reaches yoi's own state ({what}); no fs grant covers it"),
        }
    }

    /// Deny `rel` if any prefix of it, resolved beneath `dir`, is protected.
    /// A prefix that does not resolve ends the walk: nothing exists past it
    /// and the operation reports that itself.
    pub(crate) fn check_path(&self, dir: &Dir, rel: &RelPath, shown: &str) -> Result<(), FsError> {
        if self.ids.is_empty() || rel.is_root() {
            return Ok(());
        }
        let mut prefix = std::path::PathBuf::new();
        for part in rel.as_path().components() {
            prefix.push(part);
            let Ok(meta) = dir.metadata(&prefix) else {
                return Ok(());
            };
            if let Some(what) = self.hit(&meta) {
                return Err(Self::denied(what, shown));
            }
        }
        Ok(())
    }

    /// Deny an opened file that is protected (a hard link, or a swap after
    /// [`Self::check_path`]).
    pub(crate) fn check_opened(&self, meta: &Metadata, shown: &str) -> Result<(), FsError> {
        match self.hit(meta) {
            Some(what) => Err(Self::denied(what, shown)),
            None => Ok(()),
        }
    }
}
