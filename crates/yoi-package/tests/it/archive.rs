//! Hostile archives: each is refused with its exact error.

use yoi_package::limits::{MAX_ARCHIVE_BYTES, MAX_ENTRIES, MAX_EXPANDED_BYTES, MAX_FILE_BYTES};
use yoi_package::{PackageError, PathProblem, read_archive, read_archive_file};
use zip::System;

use crate::support::{Field, Zip, deflated, patch, replace_all, stored};

const MIB: usize = 1024 * 1024;

fn invalid_path_problem(bytes: &[u8]) -> PathProblem {
    match read_archive(bytes) {
        Err(PackageError::InvalidPath { problem, .. }) => problem,
        other => panic!("expected InvalidPath, got {other:?}"),
    }
}

#[test]
fn refuses_zip_slip() {
    let bytes = Zip::new().file("../evil", b"x", deflated()).finish();
    assert_eq!(invalid_path_problem(&bytes), PathProblem::ParentDir);
    let bytes = Zip::new().file("a/../../evil", b"x", deflated()).finish();
    assert_eq!(invalid_path_problem(&bytes), PathProblem::ParentDir);
}

#[test]
fn refuses_absolute_backslash_and_drive_paths() {
    let bytes = Zip::new().file("/etc/passwd", b"x", stored()).finish();
    assert_eq!(invalid_path_problem(&bytes), PathProblem::Absolute);
    let bytes = Zip::new().file("..\\evil", b"x", stored()).finish();
    assert_eq!(invalid_path_problem(&bytes), PathProblem::Backslash);
    let bytes = Zip::new().file("C:/evil", b"x", stored()).finish();
    assert_eq!(invalid_path_problem(&bytes), PathProblem::DrivePrefix);
}

#[test]
fn refuses_nul_and_non_utf8_names() {
    let mut bytes = Zip::new().file("evil#name", b"x", stored()).finish();
    assert_eq!(replace_all(&mut bytes, b"evil#name", b"evil\0name"), 2);
    assert_eq!(invalid_path_problem(&bytes), PathProblem::ControlCharacter);

    let mut bytes = Zip::new().file("evil#name", b"x", stored()).finish();
    assert_eq!(replace_all(&mut bytes, b"evil#name", b"evil\xffname"), 2);
    assert_eq!(invalid_path_problem(&bytes), PathProblem::NotUtf8);
}

#[test]
fn echoes_hostile_names_bounded_and_escaped() {
    let name = format!("\u{1b}[2J{}", "x".repeat(5000));
    let bytes = Zip::new().file(&name, b"x", stored()).finish();
    let err = read_archive(&bytes).unwrap_err();
    assert!(matches!(
        err,
        PackageError::InvalidPath {
            problem: PathProblem::TooLong,
            ..
        }
    ));
    let message = err.to_string();
    assert!(message.len() < 300, "{} bytes: {message}", message.len());
    assert!(!message.contains('\u{1b}'), "{message}");
    assert!(message.contains("\\u{1b}[2J"), "{message}");
}

#[test]
fn refuses_symlink_entries() {
    let bytes = Zip::new().symlink("link", "/etc/passwd").finish();
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(&err, PackageError::SpecialEntry { path, mode } if path == "link" && mode & 0o170000 == 0o120000),
        "{err}"
    );
}

#[test]
fn refuses_special_entries_from_raw_mode_bits() {
    for kind in [0o120_000u32, 0o010_000, 0o020_000, 0o060_000, 0o140_000] {
        let options = stored()
            .system(System::Unix)
            .external_attributes((kind | 0o644) << 16);
        let bytes = Zip::new().file("entry", b"x", options).finish();
        let err = read_archive(&bytes).unwrap_err();
        assert!(
            matches!(err, PackageError::SpecialEntry { mode, .. } if mode == kind | 0o644),
            "{kind:o}: {err}"
        );
    }
}

#[test]
fn ignores_genuine_directories_but_refuses_fake_ones() {
    let bytes = Zip::new()
        .dir("schemas/", stored())
        .file("schemas/a.json", b"{}", stored())
        .finish();
    let files = read_archive(&bytes).unwrap();
    assert_eq!(files.len(), 1);
    assert!(files.contains("schemas/a.json"));

    let bytes = Zip::new().file("hidden/", b"payload", stored()).finish();
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(&err, PackageError::BadDirectoryEntry { path } if path == "hidden/"),
        "{err}"
    );

    let options = stored()
        .system(System::Unix)
        .external_attributes(0o100_644 << 16);
    let bytes = Zip::new().file("notadir/", b"", options).finish();
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(err, PackageError::BadDirectoryEntry { .. }),
        "{err}"
    );

    let options = stored()
        .system(System::Unix)
        .external_attributes(0o040_755 << 16);
    let bytes = Zip::new().file("nameless-dir", b"", options).finish();
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            PackageError::SpecialEntry {
                mode: 0o040_755,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn refuses_duplicate_names() {
    let mut bytes = Zip::new()
        .file("a.txt", b"first", stored())
        .file("b.txt", b"second", stored())
        .finish();
    assert_eq!(replace_all(&mut bytes, b"b.txt", b"a.txt"), 2);
    let err = read_archive(&bytes).unwrap_err();
    assert!(matches!(err, PackageError::DuplicateEntryName), "{err}");
}

#[test]
fn refuses_names_that_differ_only_by_case() {
    let bytes = Zip::new()
        .file("README.md", b"one", stored())
        .file("readme.md", b"two", stored())
        .finish();
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(&err, PackageError::DuplicatePath { path, other } if path == "readme.md" && other == "README.md"),
        "{err}"
    );
}

#[test]
fn refuses_a_deflate_bomb_that_declares_a_small_size() {
    let mut bytes = Zip::new().zeros("bomb", 200 * MIB, deflated()).finish();
    assert!(bytes.len() < MIB, "the bomb is small: {}", bytes.len());
    patch(&mut bytes, Field::UncompressedSize, 1024);
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(&err, PackageError::CompressionRatio { path, limit: 100 } if path == "bomb"),
        "{err}"
    );
}

#[test]
fn refuses_an_honestly_declared_high_ratio_entry_while_inflating() {
    let bytes = Zip::new().zeros("zeros", 20 * MIB, deflated()).finish();
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(err, PackageError::CompressionRatio { .. }),
        "{err}"
    );
}

#[test]
fn small_highly_compressible_files_are_fine() {
    let bytes = Zip::new().zeros("zeros", 512 * 1024, deflated()).finish();
    assert_eq!(read_archive(&bytes).unwrap().total_bytes(), 512 * 1024);
}

#[test]
fn refuses_too_many_entries() {
    let mut zip = Zip::new();
    for i in 0..=MAX_ENTRIES {
        zip = zip.file(&format!("f{i}"), b"", stored());
    }
    let err = read_archive(&zip.finish()).unwrap_err();
    assert!(
        matches!(
            err,
            PackageError::TooManyEntries {
                count: 1025,
                limit: 1024
            }
        ),
        "{err}"
    );
}

#[test]
fn refuses_a_huge_central_directory_before_indexing_it() {
    let err = read_archive(&crate::support::many_central_entries(1025)).unwrap_err();
    assert!(
        matches!(
            err,
            PackageError::TooManyEntries {
                count: 1025,
                limit: 1024
            }
        ),
        "{err}"
    );

    let err = read_archive(&crate::support::many_central_entries(60_000)).unwrap_err();
    assert!(
        matches!(
            err,
            PackageError::TooManyEntries {
                count: 4097,
                limit: 1024
            }
        ),
        "{err}"
    );

    let files = read_archive(&crate::support::many_central_entries(1)).unwrap();
    assert_eq!(
        files.get("000000"),
        Some(&b""[..]),
        "the raw builder makes a readable archive"
    );
}

#[test]
fn refuses_an_oversized_file_by_its_header() {
    let bytes = Zip::new()
        .zeros("big", MAX_FILE_BYTES as usize + 1, stored())
        .finish();
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(&err, PackageError::FileTooLarge { path, .. } if path == "big"),
        "{err}"
    );
}

#[test]
fn refuses_an_oversized_file_that_declares_a_small_size() {
    let mut bytes = Zip::new()
        .zeros("big", MAX_FILE_BYTES as usize + 10, stored())
        .finish();
    patch(&mut bytes, Field::UncompressedSize, 10);
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(err, PackageError::FileTooLarge { limit, .. } if limit == MAX_FILE_BYTES),
        "{err}"
    );
}

#[test]
fn refuses_a_package_that_expands_past_the_total_limit() {
    // Bytes from a two-letter alphabet compress about 8x: under the ratio
    // limit, so only the expanded total can stop this archive.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let content: Vec<u8> = (0..30 * MIB)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b'a' + (state & 1) as u8
        })
        .collect();
    let mut zip = Zip::new();
    for i in 0..5 {
        zip = zip.file(&format!("part{i}"), &content, deflated());
    }
    let bytes = zip.finish();
    assert!((bytes.len() as u64) < MAX_ARCHIVE_BYTES);
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(&err, PackageError::ExpandedTooLarge { path, limit } if path == "part4" && *limit == MAX_EXPANDED_BYTES),
        "{err}"
    );
}

#[test]
fn refuses_content_that_disagrees_with_its_header() {
    let mut bytes = Zip::new().file("f", b"hello", deflated()).finish();
    patch(&mut bytes, Field::UncompressedSize, 10);
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            PackageError::SizeMismatch {
                declared: 10,
                actual: 5,
                ..
            }
        ),
        "{err}"
    );

    let mut bytes = Zip::new().file("f", b"hello", deflated()).finish();
    patch(&mut bytes, Field::Crc, 0xdead_beef);
    let err = read_archive(&bytes).unwrap_err();
    assert!(matches!(err, PackageError::CorruptEntry { .. }), "{err}");
}

#[test]
fn refuses_encrypted_entries() {
    let mut bytes = Zip::new().file("secret", b"data", stored()).finish();
    patch(&mut bytes, Field::Flags, 0x0001);
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(&err, PackageError::Encrypted { path } if path == "secret"),
        "{err}"
    );
}

#[test]
fn refuses_unsupported_compression() {
    let mut bytes = Zip::new().file("f", b"data", stored()).finish();
    patch(&mut bytes, Field::Method, 12);
    let err = read_archive(&bytes).unwrap_err();
    assert!(
        matches!(err, PackageError::UnsupportedCompression { .. }),
        "{err}"
    );
}

#[test]
fn refuses_a_local_header_that_disagrees_with_the_central_directory() {
    let mut bytes = Zip::new().file("shown.txt", b"x", stored()).finish();
    bytes[30..39].copy_from_slice(b"other.txt");
    let err = read_archive(&bytes).unwrap_err();
    assert!(matches!(err, PackageError::Malformed { .. }), "{err}");
}

#[test]
fn refuses_oversized_and_malformed_archives() {
    let huge = vec![0u8; MAX_ARCHIVE_BYTES as usize + 1];
    let err = read_archive(&huge).unwrap_err();
    assert!(
        matches!(err, PackageError::ArchiveTooLarge { size, .. } if size == MAX_ARCHIVE_BYTES + 1)
    );

    let err = read_archive(b"not a zip at all").unwrap_err();
    assert!(matches!(err, PackageError::Malformed { .. }), "{err}");
}

#[test]
fn checks_an_archive_file_size_before_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yoi-plugin");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_ARCHIVE_BYTES * 4).unwrap();
    let err = read_archive_file(&path).unwrap_err();
    assert!(
        matches!(err, PackageError::ArchiveTooLarge { size, .. } if size == MAX_ARCHIVE_BYTES * 4)
    );

    let ok = dir.path().join("ok.yoi-plugin");
    std::fs::write(&ok, Zip::new().file("a", b"b", deflated()).finish()).unwrap();
    assert_eq!(read_archive_file(&ok).unwrap().get("a"), Some(&b"b"[..]));
}
