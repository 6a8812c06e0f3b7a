//! Builders for archives, hostile header patches, manifests and wasm headers.

use std::io::{Cursor, Write};
use std::path::Path;

use yoi_package::{PackageFiles, PackagePath};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use yoi_test_support::TestManifest;
pub use yoi_test_support::{component_bytes as component, core_module_bytes as core_module};

/// A tool-world component manifest whose artifact is `artifact` and whose
/// tool input schema is the file `schemas/input.json`.
pub fn component_manifest(artifact: &str) -> String {
    TestManifest::component("demo", artifact)
        .name("Demo")
        .description("A test package.")
        .tool_with_schema("echo", "Echo.", "\"schemas/input.json\"")
        .requests_tools(&["echo"], None)
        .to_toml()
}

/// A legacy core-module manifest whose entry is `entry`.
pub fn legacy_manifest(entry: &str) -> String {
    TestManifest::legacy("legacy-demo", entry)
        .name("Legacy demo")
        .version("1.0.0")
        .description("")
        .tool("echo", "Echo.")
        .to_toml()
}

pub const INPUT_SCHEMA: &[u8] = br#"{"type":"object"}"#;

/// `PackageFiles` from `(path, content)` pairs.
pub fn files(entries: &[(&str, &[u8])]) -> PackageFiles {
    entries
        .iter()
        .map(|(path, content)| (PackagePath::new(path).unwrap(), content.to_vec()))
        .collect()
}

/// A complete, valid component package.
pub fn valid_component_files() -> PackageFiles {
    let manifest = component_manifest("plugin.wasm");
    files(&[
        ("plugin.toml", manifest.as_bytes()),
        ("plugin.wasm", &component()),
        ("schemas/input.json", INPUT_SCHEMA),
        ("README.md", b"# Demo\n"),
    ])
}

pub fn stored() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
}

pub fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

/// An in-memory ZIP writer with chainable helpers.
pub struct Zip(ZipWriter<Cursor<Vec<u8>>>);

impl Zip {
    pub fn new() -> Self {
        Self(ZipWriter::new(Cursor::new(Vec::new())))
    }

    pub fn file(mut self, name: &str, content: &[u8], options: SimpleFileOptions) -> Self {
        self.0.start_file(name, options).unwrap();
        self.0.write_all(content).unwrap();
        self
    }

    /// A file of `len` zero bytes, written in chunks so the content is never
    /// held in memory whole.
    pub fn zeros(mut self, name: &str, len: usize, options: SimpleFileOptions) -> Self {
        self.0.start_file(name, options).unwrap();
        let chunk = vec![0u8; 1 << 20];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len());
            self.0.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
        self
    }

    pub fn dir(mut self, name: &str, options: SimpleFileOptions) -> Self {
        self.0.add_directory(name, options).unwrap();
        self
    }

    pub fn symlink(mut self, name: &str, target: &str) -> Self {
        self.0
            .add_symlink(name, target, SimpleFileOptions::default())
            .unwrap();
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.0.finish().unwrap().into_inner()
    }
}

/// Replace every occurrence of `from` with `to` (same length) and return how
/// many there were; a name occurs twice, in the local and central headers.
pub fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut count = 0;
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], from) {
        let start = at + found;
        bytes[start..start + to.len()].copy_from_slice(to);
        count += 1;
        at = start + to.len();
    }
    count
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A header field of the first (local) and last (central) entry, by offset.
#[derive(Clone, Copy)]
pub enum Field {
    Flags,
    Method,
    Crc,
    UncompressedSize,
}

impl Field {
    /// Offsets in the local file header and the central directory header.
    fn offsets(self) -> (usize, usize, usize) {
        match self {
            Field::Flags => (6, 8, 2),
            Field::Method => (8, 10, 2),
            Field::Crc => (14, 16, 4),
            Field::UncompressedSize => (22, 24, 4),
        }
    }
}

/// Set `field` of a single-entry archive in both headers, so the headers stay
/// consistent with each other and only the content disagrees.
pub fn patch(bytes: &mut [u8], field: Field, value: u32) {
    assert_eq!(&bytes[..4], b"PK\x03\x04", "local header at the start");
    let central = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x01\x02")
        .expect("a central directory header");
    let (local_at, central_at, width) = field.offsets();
    let le = value.to_le_bytes();
    bytes[local_at..local_at + width].copy_from_slice(&le[..width]);
    bytes[central + central_at..central + central_at + width].copy_from_slice(&le[..width]);
}

/// Write `(relative path, content)` files under `dir`, creating parents.
pub fn write_tree(dir: &Path, entries: &[(&str, &[u8])]) {
    for (path, content) in entries {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
}

/// A package directory holding [`valid_component_files`] plus files the
/// packer must leave out.
pub fn valid_component_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let manifest = component_manifest("build/plugin.wasm");
    write_tree(
        dir.path(),
        &[
            ("plugin.toml", manifest.as_bytes()),
            ("build/plugin.wasm", &component()),
            ("build/other.wasm", &component()),
            ("schemas/input.json", INPUT_SCHEMA),
            ("schemas/nested/extra.json", b"{}"),
            ("assets/logo.txt", b"logo"),
            ("README.md", b"# Demo\n"),
            ("LICENSE-MIT", b"MIT"),
            ("src/lib.rs", b"fn main() {}"),
            ("notes.txt", b"private"),
            (".git/config", b"[core]"),
        ],
    );
    dir
}

/// A raw archive whose end record declares `count` central directory entries,
/// all pointing at one empty stored file named `000000`: cheap to build,
/// costly to index.
pub fn many_central_entries(count: u16) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend(0x0403_4b50u32.to_le_bytes());
    bytes.extend([20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
    bytes.extend([0; 12]);
    bytes.extend(6u16.to_le_bytes());
    bytes.extend(0u16.to_le_bytes());
    bytes.extend(b"000000");
    let directory_start = bytes.len() as u32;
    for i in 0..count {
        bytes.extend(0x0201_4b50u32.to_le_bytes());
        bytes.extend([0x1e, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        bytes.extend([0; 12]);
        bytes.extend(6u16.to_le_bytes());
        bytes.extend([0; 12]);
        bytes.extend(0u32.to_le_bytes());
        bytes.extend(format!("{i:06}").as_bytes());
    }
    let directory_size = bytes.len() as u32 - directory_start;
    bytes.extend(0x0605_4b50u32.to_le_bytes());
    bytes.extend([0; 4]);
    bytes.extend(count.to_le_bytes());
    bytes.extend(count.to_le_bytes());
    bytes.extend(directory_size.to_le_bytes());
    bytes.extend(directory_start.to_le_bytes());
    bytes.extend(0u16.to_le_bytes());
    bytes
}
