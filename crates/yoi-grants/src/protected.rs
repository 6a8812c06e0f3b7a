//! Protected state: the places yoi keeps its own state, which no fs grant
//! may reach. One predicate, [`Protected::check_root`], is applied where a
//! root is granted (`yoi plugin enable`), where a plan is resolved, and where
//! a policy is built, so the three cannot drift.
//!
//! A root that lies inside a protected location, or equals one, is refused.
//! A root that contains one is refused too (granting `$HOME` with write would
//! let a plugin replace its own compiled code or read a secret), except for
//! the workspace's own state directory: granting the project directory is
//! legitimate, and the `.yoi` directory inside it is then denied at operation
//! time, by device and inode (see `yoi-host-apis`' fs policy).
//!
//! Both sides are compared canonical: every existing prefix is resolved
//! through symlinks, so `/proj/link/..` and a symlinked home cannot slip past
//! a comparison of names.

use std::path::{Component, Path, PathBuf};

use crate::GrantError;

/// One location yoi owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedLocation {
    /// The location, canonical as far as it exists.
    pub path: PathBuf,
    /// What it is, for messages: "the compiled cache", "a secret file".
    pub what: String,
    /// Whether a granted root may contain it; it is then denied by inode
    /// at operation time. Only the workspace's own `.yoi` directory is.
    pub may_lie_under_a_root: bool,
}

/// Every location of yoi's own state that one workspace knows of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protected {
    locations: Vec<ProtectedLocation>,
}

impl Protected {
    /// No protected location (a policy built for a test or a tool that has
    /// no workspace).
    pub fn none() -> Protected {
        Protected::default()
    }

    /// Protect `path`, described as `what`: no root may contain it or lie
    /// inside it.
    pub fn add(&mut self, path: &Path, what: &str) {
        self.push(path, what, false);
    }

    /// Protect the workspace's state directory `path` (`<workspace>/.yoi`):
    /// no root may lie inside it, and a root that contains it gets it
    /// denied at operation time.
    pub fn add_workspace_state(&mut self, path: &Path) {
        self.push(path, "the workspace's `.yoi` directory", true);
    }

    fn push(&mut self, path: &Path, what: &str, may_lie_under_a_root: bool) {
        let location = ProtectedLocation {
            path: canonical(path),
            what: what.to_owned(),
            may_lie_under_a_root,
        };
        if !self.locations.contains(&location) {
            self.locations.push(location);
        }
    }

    /// Every protected location.
    pub fn locations(&self) -> &[ProtectedLocation] {
        &self.locations
    }

    /// Refuse `root` if it is, lies inside, or contains a protected
    /// location (other than the workspace's `.yoi`, which may lie under it).
    pub fn check_root(&self, root: &Path) -> Result<(), GrantError> {
        let shown = canonical(root);
        for location in &self.locations {
            let relation = if shown.starts_with(&location.path) {
                "lies inside"
            } else if location.path.starts_with(&shown) && !location.may_lie_under_a_root {
                "contains"
            } else {
                continue;
            };
            return Err(GrantError::ProtectedRoot {
                root: shown,
                relation,
                what: location.what.clone(),
                location: location.path.clone(),
            });
        }
        Ok(())
    }
}

impl Protected {
    /// [`Self::check_root`] for a `wasi:filesystem` preopen, stricter: a
    /// root that contains the workspace's `.yoi` is refused too, because a
    /// preopen cannot deny one directory beneath it by inode.
    pub fn check_wasi_root(&self, root: &Path) -> Result<(), GrantError> {
        self.check_root(root)?;
        let shown = canonical(root);
        match self.locations.iter().find(|l| l.path.starts_with(&shown)) {
            Some(location) => Err(GrantError::WasiProtectedRoot {
                root: shown,
                what: location.what.clone(),
                location: location.path.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// `path` made absolute and resolved through symlinks as far as it exists;
/// the part that does not exist yet is appended as written (without `.`,
/// and with `..` applied to it).
pub fn canonical(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::Normal(name) => out.push(name),
                    _ => {}
                }
            }
            return out;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(dir: &Path) -> Protected {
        let mut p = Protected::none();
        p.add(&dir.join("cache/yoi"), "the compiled cache");
        p.add_workspace_state(&dir.join("proj/.yoi"));
        p
    }

    #[test]
    fn roots_around_protected_state() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("proj/.yoi")).unwrap();
        std::fs::create_dir_all(dir.join("cache/yoi/compiled")).unwrap();
        let p = set(dir);
        // The project directory contains `.yoi`: allowed (denied by inode).
        p.check_root(&dir.join("proj")).unwrap();
        p.check_root(&dir.join("elsewhere")).unwrap();
        let refused = |root: PathBuf| p.check_root(&root).unwrap_err().to_string();
        assert!(refused(dir.join("proj/.yoi")).contains("lies inside the workspace's `.yoi`"));
        assert!(refused(dir.join("proj/.yoi/plugins")).contains("lies inside"));
        assert!(refused(dir.join("cache/yoi/compiled")).contains("lies inside the compiled cache"));
        assert!(refused(dir.to_owned()).contains("contains the compiled cache"));
        assert!(refused(dir.join("cache")).contains("contains"));
        // Names that only look different are the same place.
        assert!(refused(dir.join("proj/../cache/./yoi")).contains("lies inside"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("cache"), dir.join("link")).unwrap();
            assert!(refused(dir.join("link")).contains("contains the compiled cache"));
        }
        // A sibling sharing a prefix of the name is not inside.
        p.check_root(&dir.join("cache/yoi-other")).unwrap();
        // wasi:filesystem cannot deny `.yoi` by inode: the project is refused.
        let wasi = p
            .check_wasi_root(&dir.join("proj"))
            .unwrap_err()
            .to_string();
        assert!(wasi.contains("contains the workspace's `.yoi`"), "{wasi}");
        assert!(wasi.contains("cannot hide"), "{wasi}");
        p.check_wasi_root(&dir.join("elsewhere")).unwrap();
        assert!(
            p.check_wasi_root(&dir.join("cache"))
                .unwrap_err()
                .to_string()
                .contains("contains the compiled cache")
        );
    }
}
