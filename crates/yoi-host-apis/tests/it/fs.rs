//! The fs capability against real directories, symlinks and races.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use yoi_grants::{FsGrant, FsOp};
use yoi_host_apis::PolicyError;
use yoi_host_apis::fs::{DirEntry, EntryKind, FsError, FsLimits, FsPolicy, RootInfo};

const OUTSIDE: &str = "OUTSIDE-SECRET-CONTENT";

/// A root to grant, and a sibling directory holding content that must stay out of reach.
struct Fixture {
    _tmp: tempfile::TempDir,
    root: std::path::PathBuf,
    outside: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("workspace");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(root.join("docs/readme.txt"), "inside").unwrap();
    std::fs::write(outside.join("secret.txt"), OUTSIDE).unwrap();
    Fixture {
        _tmp: tmp,
        root,
        outside,
    }
}

fn policy(root: &Path, ops: &[FsOp]) -> FsPolicy {
    FsPolicy::new(&[FsGrant {
        root: root.to_path_buf(),
        ops: ops.to_vec(),
    }])
    .unwrap()
}

fn entry(name: &str, kind: EntryKind, size: u64) -> DirEntry {
    DirEntry {
        name: name.into(),
        kind,
        size,
    }
}

#[tokio::test]
async fn read_list_write_inside_the_root() {
    let f = fixture();
    let fs = policy(&f.root, &FsOp::ALL);
    assert_eq!(
        fs.roots(),
        vec![RootInfo {
            name: "workspace".into(),
            ops: FsOp::ALL.to_vec(),
        }]
    );
    assert_eq!(fs.read(0, "docs/readme.txt").await.unwrap(), b"inside");
    assert_eq!(fs.read(0, "./docs/readme.txt").await.unwrap(), b"inside");

    fs.create_dir(0, "notes").await.unwrap();
    fs.write(0, "notes/a.txt", b"first".to_vec()).await.unwrap();
    fs.write(0, "notes/a.txt", b"second!".to_vec())
        .await
        .unwrap();
    assert_eq!(fs.read(0, "notes/a.txt").await.unwrap(), b"second!");
    assert_eq!(
        std::fs::read(f.root.join("notes/a.txt")).unwrap(),
        b"second!"
    );
    // The atomic write leaves no temporary file behind.
    assert_eq!(
        fs.list_dir(0, "notes").await.unwrap(),
        vec![entry("a.txt", EntryKind::File, 7)]
    );
    symlink("docs/readme.txt", f.root.join("link")).unwrap();
    assert_eq!(fs.read(0, "link").await.unwrap(), b"inside");
    assert_eq!(
        fs.list_dir(0, ".").await.unwrap(),
        vec![
            entry("docs", EntryKind::Dir, 0),
            entry("link", EntryKind::Symlink, 0),
            entry("notes", EntryKind::Dir, 0),
        ]
    );

    fs.remove(0, "notes/a.txt").await.unwrap();
    fs.remove(0, "notes").await.unwrap();
    fs.remove(0, "link").await.unwrap();
    assert_eq!(
        std::fs::read(f.root.join("docs/readme.txt")).unwrap(),
        b"inside"
    );
    assert!(matches!(
        fs.read(0, "notes/a.txt").await,
        Err(FsError::NotFound { .. })
    ));
    assert!(matches!(
        fs.create_dir(0, "docs").await,
        Err(FsError::AlreadyExists { .. })
    ));
    assert!(matches!(
        fs.read(0, "docs").await,
        Err(FsError::InvalidPath { .. })
    ));
    assert!(matches!(
        fs.remove(0, ".").await,
        Err(FsError::InvalidPath { .. })
    ));
}

#[tokio::test]
async fn malformed_paths_are_invalid() {
    let f = fixture();
    let fs = policy(&f.root, &FsOp::ALL);
    let outside = f.outside.join("secret.txt");
    for bad in [
        "",
        "..",
        "../outside/secret.txt",
        "docs/../../outside/secret.txt",
        outside.to_str().unwrap(),
        "/etc/passwd",
        "docs\\readme.txt",
        "docs//readme.txt",
        "docs/readme.txt\0",
    ] {
        let result = fs.read(0, bad).await;
        assert!(
            matches!(result, Err(FsError::InvalidPath { .. })),
            "{bad:?}: {result:?}"
        );
        let result = fs.write(0, bad, b"x".to_vec()).await;
        assert!(
            matches!(result, Err(FsError::InvalidPath { .. })),
            "{bad:?}: {result:?}"
        );
    }
    assert_eq!(std::fs::read_to_string(outside).unwrap(), OUTSIDE);
}

#[tokio::test]
async fn symlinks_out_of_the_root_are_denied() {
    let f = fixture();
    let fs = policy(&f.root, &FsOp::ALL);
    symlink("/etc", f.root.join("etc")).unwrap();
    symlink(f.outside.join("secret.txt"), f.root.join("leak")).unwrap();
    symlink("../outside", f.root.join("up")).unwrap();

    for path in ["etc/passwd", "etc/hostname", "leak", "up/secret.txt"] {
        let result = fs.read(0, path).await;
        assert!(
            matches!(result, Err(FsError::Denied { .. })),
            "{path}: {result:?}"
        );
    }
    for path in ["etc", "up"] {
        let result = fs.list_dir(0, path).await;
        assert!(
            matches!(result, Err(FsError::Denied { .. })),
            "{path}: {result:?}"
        );
    }
    let result = fs.write(0, "up/secret.txt", b"overwritten".to_vec()).await;
    assert!(matches!(result, Err(FsError::Denied { .. })), "{result:?}");
    let result = fs.create_dir(0, "up/new").await;
    assert!(matches!(result, Err(FsError::Denied { .. })), "{result:?}");
    assert_eq!(
        std::fs::read_to_string(f.outside.join("secret.txt")).unwrap(),
        OUTSIDE
    );
    assert!(!f.outside.join("new").exists());

    // Writing over the link replaces the link inside the root, not its target.
    fs.write(0, "leak", b"replaced".to_vec()).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(f.outside.join("secret.txt")).unwrap(),
        OUTSIDE
    );
    assert_eq!(fs.read(0, "leak").await.unwrap(), b"replaced");
}

/// A path flips between a file inside the root and a symlink to a file
/// outside while reads run: no read may ever return the outside content.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_swapped_in_during_reads_never_escapes() {
    let f = fixture();
    let fs = policy(&f.root, &[FsOp::Read]);
    std::fs::write(f.root.join("target"), "inside").unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let flipper = {
        let stop = stop.clone();
        let root = f.root.clone();
        let outside = f.outside.join("secret.txt");
        std::thread::spawn(move || {
            let (file, link) = (root.join("file.next"), root.join("link.next"));
            let target = root.join("target");
            while !stop.load(Ordering::SeqCst) {
                std::fs::write(&file, "inside").unwrap();
                std::fs::rename(&file, &target).unwrap();
                symlink(&outside, &link).unwrap();
                std::fs::rename(&link, &target).unwrap();
            }
        })
    };

    let (mut inside, mut denied, mut reads) = (0, 0, 0);
    while reads < 1000 || ((inside == 0 || denied == 0) && reads < 100_000) {
        reads += 1;
        match fs.read(0, "target").await {
            Ok(data) => {
                assert_ne!(data, OUTSIDE.as_bytes(), "read escaped the root");
                assert_eq!(data, b"inside");
                inside += 1;
            }
            Err(FsError::Denied { reason }) => {
                assert!(!reason.contains(OUTSIDE));
                denied += 1;
            }
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    stop.store(true, Ordering::SeqCst);
    flipper.join().unwrap();
    assert!(
        inside > 0 && denied > 0,
        "the race was not exercised: {inside} file reads, {denied} symlink refusals"
    );
}

#[tokio::test]
async fn each_operation_needs_its_own_grant() {
    let f = fixture();
    let other = tempfile::tempdir().unwrap();
    let fs = FsPolicy::new(&[
        FsGrant {
            root: f.root.clone(),
            ops: vec![FsOp::Read, FsOp::List],
        },
        FsGrant {
            root: other.path().to_path_buf(),
            ops: vec![FsOp::Write],
        },
    ])
    .unwrap();

    for result in [
        fs.write(0, "new.txt", b"x".to_vec()).await,
        fs.create_dir(0, "dir").await,
        fs.remove(0, "docs/readme.txt").await,
        fs.write(2, "new.txt", b"x".to_vec()).await,
    ] {
        assert!(matches!(result, Err(FsError::Denied { .. })), "{result:?}");
    }
    assert!(!f.root.join("new.txt").exists());
    assert!(f.root.join("docs/readme.txt").exists());

    // Write does not imply read or list.
    fs.write(1, "out.txt", b"written".to_vec()).await.unwrap();
    assert!(matches!(
        fs.read(1, "out.txt").await,
        Err(FsError::Denied { .. })
    ));
    assert!(matches!(
        fs.list_dir(1, ".").await,
        Err(FsError::Denied { .. })
    ));
    assert_eq!(
        std::fs::read(other.path().join("out.txt")).unwrap(),
        b"written"
    );
}

#[tokio::test]
async fn sizes_are_bounded() {
    let f = fixture();
    let fs = policy(&f.root, &FsOp::ALL).with_limits(FsLimits {
        max_read_bytes: 16,
        max_write_bytes: 8,
        max_list_entries: 3,
    });
    std::fs::write(f.root.join("exact"), "0123456789abcdef").unwrap();
    std::fs::write(f.root.join("big"), "0123456789abcdefX").unwrap();
    assert_eq!(fs.read(0, "exact").await.unwrap().len(), 16);
    let err = fs.read(0, "big").await.unwrap_err();
    assert!(matches!(err, FsError::TooLarge { .. }), "{err:?}");
    assert!(!err.to_string().contains("0123"), "{err}");

    assert!(matches!(
        fs.write(0, "w", b"123456789".to_vec()).await,
        Err(FsError::TooLarge { .. })
    ));
    assert!(!f.root.join("w").exists());
    fs.write(0, "w", b"12345678".to_vec()).await.unwrap();

    // Four entries now: big, docs, exact, w.
    assert!(matches!(
        fs.list_dir(0, ".").await,
        Err(FsError::TooLarge { .. })
    ));
    assert_eq!(fs.list_dir(0, "docs").await.unwrap().len(), 1);
}

fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// A plugin granted `write` replaces a file: the file keeps its permission
/// bits (a private key stays private, a script stays executable) but never
/// its set-id bits, and a new file gets what `File::create` gives. That the
/// temporary file is created private is a unit test (`fs/mode.rs`).
#[tokio::test]
async fn a_write_keeps_the_replaced_files_mode() {
    use std::os::unix::fs::PermissionsExt;
    let f = fixture();
    let fs = policy(&f.root, &[FsOp::Write]);
    for (before, after) in [
        (0o600, 0o600),
        (0o755, 0o755),
        (0o640, 0o640),
        (0o4755, 0o755),
    ] {
        let name = format!("mode-{before:o}");
        let path = f.root.join(&name);
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(before)).unwrap();
        fs.write(0, &name, b"new".to_vec()).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(mode_of(&path), after, "over a {before:o} file");
    }

    let reference = f.root.join("reference");
    drop(std::fs::File::create(&reference).unwrap());
    fs.write(0, "docs/new.txt", b"new".to_vec()).await.unwrap();
    let created = mode_of(&f.root.join("docs/new.txt"));
    assert_eq!(created, mode_of(&reference), "a new file: {created:o}");
}

#[tokio::test]
async fn a_fifo_is_refused_without_blocking() {
    let f = fixture();
    let status = std::process::Command::new("mkfifo")
        .arg(f.root.join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let fs = policy(&f.root, &[FsOp::Read]);
    let result = tokio::time::timeout(std::time::Duration::from_secs(10), fs.read(0, "pipe"))
        .await
        .expect("reading a fifo blocked");
    assert!(
        matches!(result, Err(FsError::InvalidPath { .. })),
        "{result:?}"
    );
}

#[test]
fn bad_grants_fail_the_policy() {
    let f = fixture();
    let missing = FsPolicy::new(&[FsGrant {
        root: f.root.join("missing"),
        ops: vec![FsOp::Read],
    }]);
    assert!(
        matches!(missing, Err(PolicyError::OpenRoot { .. })),
        "{missing:?}"
    );
    let relative = FsPolicy::new(&[FsGrant {
        root: "relative".into(),
        ops: vec![FsOp::Read],
    }]);
    assert!(
        matches!(relative, Err(PolicyError::BadFsGrant { .. })),
        "{relative:?}"
    );
}
