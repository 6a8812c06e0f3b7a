//! [`PackageFiles`]: the normalized content of a package.
//!
//! A package *is* this map, not its archive: the digest, the packer and the
//! cache all work from it, so ZIP ordering, timestamps, compression and
//! attributes can never change what a package means.

use std::collections::BTreeMap;
use std::collections::btree_map;

use crate::path::PackagePath;

/// The files of a package, sorted by path.
///
/// Values built by [`read_archive`](crate::read_archive) satisfy every bound in
/// [`limits`](crate::limits) and hold no two paths that differ only by letter
/// case or where one is a directory of the other. [`PackageFiles::insert`] does
/// not re-check those rules; an archive packed from such a map is checked in
/// full when it is read back.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PackageFiles {
    files: BTreeMap<PackagePath, Vec<u8>>,
}

impl PackageFiles {
    /// An empty set of files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add or replace a file, returning the previous content.
    pub fn insert(&mut self, path: PackagePath, content: Vec<u8>) -> Option<Vec<u8>> {
        self.files.insert(path, content)
    }

    /// The content of the file at `path`.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Whether a file exists at `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Sum of all file sizes, in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.files
            .values()
            .map(|content| content.len() as u64)
            .sum()
    }

    /// Files in path order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&PackagePath, &[u8])> {
        self.files
            .iter()
            .map(|(path, content)| (path, content.as_slice()))
    }

    /// Paths in order.
    pub fn paths(&self) -> impl ExactSizeIterator<Item = &PackagePath> {
        self.files.keys()
    }

    /// The underlying map.
    pub fn into_inner(self) -> BTreeMap<PackagePath, Vec<u8>> {
        self.files
    }
}

impl std::fmt::Debug for PackageFiles {
    /// Paths and sizes only: contents may be large and are never echoed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.files
                    .iter()
                    .map(|(path, content)| (path, content.len())),
            )
            .finish()
    }
}

impl FromIterator<(PackagePath, Vec<u8>)> for PackageFiles {
    fn from_iter<I: IntoIterator<Item = (PackagePath, Vec<u8>)>>(iter: I) -> Self {
        Self {
            files: iter.into_iter().collect(),
        }
    }
}

impl IntoIterator for PackageFiles {
    type Item = (PackagePath, Vec<u8>);
    type IntoIter = btree_map::IntoIter<PackagePath, Vec<u8>>;

    fn into_iter(self) -> Self::IntoIter {
        self.files.into_iter()
    }
}

impl<'a> IntoIterator for &'a PackageFiles {
    type Item = (&'a PackagePath, &'a Vec<u8>);
    type IntoIter = btree_map::Iter<'a, PackagePath, Vec<u8>>;

    fn into_iter(self) -> Self::IntoIter {
        self.files.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> PackagePath {
        PackagePath::new(text).unwrap()
    }

    #[test]
    fn iterates_in_byte_order_of_paths() {
        let files: PackageFiles = [
            (path("b.txt"), b"2".to_vec()),
            (path("a/z.txt"), b"1".to_vec()),
            (path("B.txt"), b"0".to_vec()),
        ]
        .into_iter()
        .collect();
        let order: Vec<&str> = files.paths().map(PackagePath::as_str).collect();
        assert_eq!(order, ["B.txt", "a/z.txt", "b.txt"]);
        assert_eq!(files.get("a/z.txt"), Some(&b"1"[..]));
        assert!(!files.contains("a"));
        assert_eq!(files.total_bytes(), 3);
    }

    #[test]
    fn debug_shows_sizes_not_contents() {
        let mut files = PackageFiles::new();
        files.insert(path("secret.txt"), b"hunter2".to_vec());
        assert_eq!(format!("{files:?}"), r#"{"secret.txt": 7}"#);
    }
}
