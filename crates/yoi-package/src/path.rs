//! [`PackagePath`]: a validated path inside a package.
//!
//! Archive entry names and manifest-referenced paths both pass through
//! [`PackagePath::new`], so there is one definition of a safe in-package path:
//! relative, `/`-separated, every segment a plain name. Such a path can be
//! joined onto a directory and never leaves it, on Unix or Windows, so the
//! materialized cache cannot be written outside its root ("zip slip").

use std::borrow::Borrow;
use std::fmt;
use std::path::PathBuf;

use crate::limits::{MAX_PATH_BYTES, MAX_PATH_DEPTH};

/// A relative, normalized, `/`-separated path inside a package.
///
/// Orders byte-wise on its UTF-8 text, which is the order of files in an
/// archive written by this crate and in the digest.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackagePath(String);

/// Why a string is not a valid [`PackagePath`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathProblem {
    /// The path is empty.
    Empty,
    /// The path is longer than [`MAX_PATH_BYTES`].
    TooLong,
    /// The path has more than [`MAX_PATH_DEPTH`] segments.
    TooDeep,
    /// The path starts with `/`.
    Absolute,
    /// The path contains `\`, which Windows treats as a separator.
    Backslash,
    /// The path contains `:`: a drive prefix (`C:`) or, on Windows, an
    /// alternate data stream (`file:stream`).
    DrivePrefix,
    /// The path contains NUL or another control character.
    ControlCharacter,
    /// The path has an empty segment (`a//b`, or a trailing `/`).
    EmptySegment,
    /// The path has a `.` segment.
    CurrentDir,
    /// The path has a `..` segment.
    ParentDir,
    /// The name is not valid UTF-8 (archive entry names only).
    NotUtf8,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::Empty => "path is empty",
            Self::TooLong => "path is longer than 256 bytes",
            Self::TooDeep => "path has more than 16 segments",
            Self::Absolute => "path is absolute",
            Self::Backslash => "path contains a backslash",
            Self::DrivePrefix => "path contains `:` (drive prefix or stream name)",
            Self::ControlCharacter => "path contains NUL or a control character",
            Self::EmptySegment => "path has an empty segment",
            Self::CurrentDir => "path has a `.` segment",
            Self::ParentDir => "path has a `..` segment",
            Self::NotUtf8 => "path is not valid UTF-8",
        };
        f.write_str(text)
    }
}

impl PackagePath {
    /// Validate `path`. Nothing is rewritten: a path that is not already in
    /// normal form is refused, so two different names never map to one file.
    pub fn new(path: &str) -> Result<Self, PathProblem> {
        check(path)?;
        Ok(Self(path.to_owned()))
    }

    /// The path as text, with `/` separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `/`-separated segments.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The path for the host file system, relative, with the platform's
    /// separator. Join it onto a directory: it cannot climb out of it.
    pub fn to_relative_path_buf(&self) -> PathBuf {
        self.segments().collect()
    }
}

fn check(path: &str) -> Result<(), PathProblem> {
    if path.is_empty() {
        return Err(PathProblem::Empty);
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(PathProblem::TooLong);
    }
    if path.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    if path.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    if path.contains(':') {
        return Err(PathProblem::DrivePrefix);
    }
    if path.chars().any(char::is_control) {
        return Err(PathProblem::ControlCharacter);
    }
    let mut depth = 0;
    for segment in path.split('/') {
        depth += 1;
        match segment {
            "" => return Err(PathProblem::EmptySegment),
            "." => return Err(PathProblem::CurrentDir),
            ".." => return Err(PathProblem::ParentDir),
            _ => {}
        }
    }
    if depth > MAX_PATH_DEPTH {
        return Err(PathProblem::TooDeep);
    }
    Ok(())
}

impl fmt::Display for PackagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PackagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl AsRef<str> for PackagePath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Lets a `BTreeMap<PackagePath, _>` be looked up by `&str`; the ordering of
/// `PackagePath` is the ordering of its text, as `Borrow` requires.
impl Borrow<str> for PackagePath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PackagePath {
    type Err = PathProblem;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_relative_paths() {
        for ok in [
            "plugin.toml",
            "schemas/in.json",
            "a/b/c.d",
            ".hidden",
            "a..b",
            "é/ü.txt",
        ] {
            assert_eq!(
                PackagePath::new(ok).map(|p| p.as_str().to_owned()),
                Ok(ok.to_owned())
            );
        }
    }

    #[test]
    fn refuses_each_unsafe_form_with_its_reason() {
        let cases = [
            ("", PathProblem::Empty),
            ("/etc/passwd", PathProblem::Absolute),
            ("a\\b", PathProblem::Backslash),
            ("..\\evil", PathProblem::Backslash),
            ("C:/evil", PathProblem::DrivePrefix),
            ("c:evil", PathProblem::DrivePrefix),
            ("file.txt:stream", PathProblem::DrivePrefix),
            ("a\0b", PathProblem::ControlCharacter),
            ("a\nb", PathProblem::ControlCharacter),
            ("a\u{7f}", PathProblem::ControlCharacter),
            ("a//b", PathProblem::EmptySegment),
            ("a/", PathProblem::EmptySegment),
            ("./a", PathProblem::CurrentDir),
            ("a/./b", PathProblem::CurrentDir),
            ("../evil", PathProblem::ParentDir),
            ("a/../../evil", PathProblem::ParentDir),
            ("..", PathProblem::ParentDir),
        ];
        for (input, want) in cases {
            assert_eq!(PackagePath::new(input), Err(want), "input {input:?}");
        }
    }

    #[test]
    fn bounds_length_and_depth() {
        let at_limit = "a".repeat(MAX_PATH_BYTES);
        assert!(PackagePath::new(&at_limit).is_ok());
        assert_eq!(
            PackagePath::new(&format!("{at_limit}b")),
            Err(PathProblem::TooLong)
        );

        let deep_ok = vec!["d"; MAX_PATH_DEPTH].join("/");
        assert!(PackagePath::new(&deep_ok).is_ok());
        let too_deep = vec!["d"; MAX_PATH_DEPTH + 1].join("/");
        assert_eq!(PackagePath::new(&too_deep), Err(PathProblem::TooDeep));
    }

    #[test]
    fn relative_path_buf_stays_relative() {
        let path = PackagePath::new("schemas/tool/in.json").unwrap();
        let buf = path.to_relative_path_buf();
        assert!(buf.is_relative());
        assert_eq!(buf, PathBuf::from("schemas").join("tool").join("in.json"));
    }
}
