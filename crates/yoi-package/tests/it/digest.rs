//! The digest depends on normalized content only.

use yoi_package::{Digest, Package, digest_files, pack_dir, pack_files, read_archive};
use zip::DateTime;
use zip::write::SimpleFileOptions;

use crate::support::{Zip, deflated, files, stored, valid_component_dir};

const ENTRIES: [(&str, &[u8]); 3] = [
    ("plugin.toml", b"id = 1\n"),
    ("schemas/in.json", b"{\"type\":\"object\"}"),
    ("assets/data.bin", b"\x00\x01\x02\x03"),
];

#[test]
fn digest_of_known_files_is_stable() {
    // Pinned, and cross-checked with an independent implementation of the
    // documented layout (Python hashlib): changing the scheme must be a
    // deliberate, visible change.
    let digest = digest_files(&files(&ENTRIES));
    assert_eq!(
        digest.to_string(),
        "sha256:2f84311ec09349238cb141a3a1aec22988af5f1682bcfb40316f55ef941566a8"
    );
}

#[test]
fn entry_order_timestamps_compression_and_modes_do_not_change_the_digest() {
    let expected = digest_files(&files(&ENTRIES));

    let in_order = pack_files(&files(&ENTRIES));
    let mut reversed = Zip::new();
    for (i, (name, content)) in ENTRIES.iter().rev().enumerate() {
        let time = DateTime::from_date_and_time(2001 + i as u16, 2, 3, 4, 5, 6).unwrap();
        let options: SimpleFileOptions = if i % 2 == 0 { stored() } else { deflated() };
        let options = options
            .last_modified_time(time)
            .unix_permissions(0o600 + i as u32);
        reversed = reversed.file(name, content, options);
    }
    let with_dirs = Zip::new()
        .dir("assets/", stored())
        .file(
            "assets/data.bin",
            ENTRIES[2].1,
            deflated().compression_level(Some(9)),
        )
        .file("plugin.toml", ENTRIES[0].1, stored())
        .dir("schemas/", deflated())
        .file(
            "schemas/in.json",
            ENTRIES[1].1,
            deflated().compression_level(Some(1)),
        )
        .finish();

    for bytes in [in_order, reversed.finish(), with_dirs] {
        let files = read_archive(&bytes).unwrap();
        assert_eq!(digest_files(&files), expected);
    }
}

#[test]
fn one_changed_byte_changes_the_digest() {
    let base = digest_files(&files(&ENTRIES));
    let mut changed = ENTRIES;
    changed[2].1 = b"\x00\x01\x02\x04";
    assert_ne!(digest_files(&files(&changed)), base);

    let mut renamed = ENTRIES;
    renamed[2].0 = "assets/data.bim";
    assert_ne!(digest_files(&files(&renamed)), base);

    let fewer = &ENTRIES[..2];
    assert_ne!(digest_files(&files(fewer)), base);
}

#[test]
fn packing_is_byte_for_byte_deterministic() {
    assert_eq!(pack_files(&files(&ENTRIES)), pack_files(&files(&ENTRIES)));
    let dir = valid_component_dir();
    let first = pack_dir(dir.path()).unwrap();
    let second = pack_dir(dir.path()).unwrap();
    assert_eq!(first.bytes, second.bytes);
    assert_eq!(first.digest, second.digest);
}

#[test]
fn a_directory_and_its_packed_archive_have_the_same_digest() {
    let dir = valid_component_dir();
    let packed = pack_dir(dir.path()).unwrap();
    let from_dir = Package::from_dir(dir.path()).unwrap();
    let from_archive = Package::from_archive_bytes(&packed.bytes).unwrap();
    assert_eq!(from_dir.digest(), packed.digest);
    assert_eq!(from_archive.digest(), packed.digest);
    assert_eq!(
        digest_files(&read_archive(&packed.bytes).unwrap()),
        packed.digest
    );
    assert_eq!(from_archive.files(), &packed.files);
}

#[test]
fn digest_string_round_trips() {
    let digest = digest_files(&files(&ENTRIES));
    assert_eq!(digest.to_string().parse::<Digest>().unwrap(), digest);
}
