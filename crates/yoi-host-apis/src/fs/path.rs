//! Plugin paths: relative, plain, checked before any system call.
//!
//! This is the early, cheap refusal with a clear message. It is not what
//! keeps a plugin inside its root: that is the directory handle, which
//! resolves every path beneath the root in the kernel, symlinks included.

use std::path::{Path, PathBuf};

use super::FsError;

const MAX_PATH_BYTES: usize = 4096;
const MAX_NAME_BYTES: usize = 255;

/// A checked relative path; `.` is the root itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelPath {
    path: PathBuf,
}

impl RelPath {
    /// Check a plugin-supplied path: `/`-separated, relative, no `..`.
    ///
    /// `.` segments and one trailing `/` are accepted and dropped; empty
    /// segments, NUL and backslashes are refused.
    pub(crate) fn parse(text: &str) -> Result<RelPath, FsError> {
        let invalid = |reason: &str| FsError::InvalidPath {
            path: yoi_manifest::bounded(text, 200),
            reason: reason.to_owned(),
        };
        if text.is_empty() {
            return Err(invalid("the path is empty; use `.` for the root"));
        }
        if text.len() > MAX_PATH_BYTES {
            return Err(invalid("the path is longer than 4096 bytes"));
        }
        if text.contains('\0') {
            return Err(invalid("the path contains NUL"));
        }
        if text.contains('\\') {
            return Err(invalid("the path contains a backslash; separate with `/`"));
        }
        if text.starts_with('/') {
            return Err(invalid(
                "the path is absolute; paths are relative to the root",
            ));
        }
        let trimmed = text.strip_suffix('/').unwrap_or(text);
        let mut path = PathBuf::new();
        for segment in trimmed.split('/') {
            match segment {
                "" => return Err(invalid("the path has an empty segment")),
                ".." => return Err(invalid("the path contains `..`")),
                "." => {}
                s if s.len() > MAX_NAME_BYTES => {
                    return Err(invalid("a path segment is longer than 255 bytes"));
                }
                s => path.push(s),
            }
        }
        if path.as_os_str().is_empty() {
            path.push(".");
        }
        Ok(RelPath { path })
    }

    pub(crate) fn as_path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn is_root(&self) -> bool {
        self.path == Path::new(".")
    }

    /// The parent directory (`.` for a top-level name) and the final name.
    pub(crate) fn split(&self) -> Option<(&Path, &std::ffi::OsStr)> {
        let name = self.path.file_name()?;
        let parent = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Some((parent, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_paths_pass() {
        for (text, want) in [
            ("a", "a"),
            ("a/b.txt", "a/b.txt"),
            ("./a/./b", "a/b"),
            ("dir/", "dir"),
            (".", "."),
            ("..a/b..", "..a/b.."),
        ] {
            assert_eq!(RelPath::parse(text).unwrap().as_path(), Path::new(want));
        }
        assert!(RelPath::parse(".").unwrap().is_root());
        let p = RelPath::parse("a/b/c").unwrap();
        assert_eq!(p.split().unwrap(), (Path::new("a/b"), "c".as_ref()));
        let p = RelPath::parse("c").unwrap();
        assert_eq!(p.split().unwrap(), (Path::new("."), "c".as_ref()));
    }

    #[test]
    fn dangerous_paths_are_refused() {
        let long = "a".repeat(256);
        for bad in [
            "",
            "/etc/passwd",
            "..",
            "a/../../b",
            "a/..",
            "a//b",
            "a\\b",
            "..\\x",
            "a\0b",
            long.as_str(),
        ] {
            assert!(
                matches!(RelPath::parse(bad), Err(FsError::InvalidPath { .. })),
                "{bad:?}"
            );
        }
    }
}
