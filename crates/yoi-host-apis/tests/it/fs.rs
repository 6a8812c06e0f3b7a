//! The fs capability against real directories, symlinks and races.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use yoi_grants::{FsGrant, FsOp, Protected};
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
    FsPolicy::new(
        &[FsGrant {
            root: root.to_path_buf(),
            ops: ops.to_vec(),
        }],
        &Protected::none(),
    )
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
    let fs = FsPolicy::new(
        &[
            FsGrant {
                root: f.root.clone(),
                ops: vec![FsOp::Read, FsOp::List],
            },
            FsGrant {
                root: other.path().to_path_buf(),
                ops: vec![FsOp::Write],
            },
        ],
        &Protected::none(),
    )
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
    let missing = FsPolicy::new(
        &[FsGrant {
            root: f.root.join("missing"),
            ops: vec![FsOp::Read],
        }],
        &Protected::none(),
    );
    assert!(
        matches!(missing, Err(PolicyError::OpenRoot { .. })),
        "{missing:?}"
    );
    let relative = FsPolicy::new(
        &[FsGrant {
            root: "relative".into(),
            ops: vec![FsOp::Read],
        }],
        &Protected::none(),
    );
    assert!(
        matches!(relative, Err(PolicyError::BadFsGrant { .. })),
        "{relative:?}"
    );
}

/// A project with its `.yoi` state, granted whole to a plugin, with the
/// workspace state protected as resolution protects it.
fn granted_project() -> (tempfile::TempDir, std::path::PathBuf, FsPolicy) {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir_all(project.join(".yoi/plugins")).unwrap();
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join(".yoi/config.toml"), "[plugins]\n").unwrap();
    std::fs::write(project.join("src/main.rs"), "fn main() {}").unwrap();
    symlink(".yoi", project.join("state")).unwrap();
    let mut protected = Protected::none();
    protected.add_workspace_state(&project.join(".yoi"));
    let fs = FsPolicy::new(
        &[FsGrant {
            root: project.clone(),
            ops: FsOp::ALL.to_vec(),
        }],
        &protected,
    )
    .unwrap();
    (tmp, project, fs)
}

fn assert_protected<T: std::fmt::Debug>(result: Result<T, FsError>, shown: &str) {
    assert_eq!(
        result.unwrap_err(),
        FsError::Denied {
            reason: format!(
                "`{shown}` reaches yoi's own state (the workspace's `.yoi` directory); no fs grant covers it"
            ),
        }
    );
}

#[tokio::test]
async fn a_plugin_granted_the_project_cannot_write_its_config() {
    let (_tmp, project, fs) = granted_project();
    let widened = b"[plugins.\"project:evil\"]\n".to_vec();
    // By name, through a symlink, and the directory itself.
    for path in [
        ".yoi/config.toml",
        "state/config.toml",
        "./.yoi/config.toml",
    ] {
        assert_protected(fs.write(0, path, widened.clone()).await, path);
        assert_protected(fs.read(0, path).await, path);
        assert_protected(fs.remove(0, path).await, path);
    }
    for path in [".yoi", "state", ".yoi/plugins", "state/plugins/"] {
        assert_protected(fs.list_dir(0, path).await, path);
    }
    assert_protected(fs.create_dir(0, ".yoi/new").await, ".yoi/new");
    assert_protected(fs.remove(0, ".yoi/plugins").await, ".yoi/plugins");
    assert_protected(
        fs.write(0, ".yoi/plugins/evil.yoi-plugin", b"x".to_vec())
            .await,
        ".yoi/plugins/evil.yoi-plugin",
    );
    // `..` never gets as far as the walk.
    assert!(matches!(
        fs.write(0, ".yoi/../.yoi/config.toml", widened.clone())
            .await,
        Err(FsError::InvalidPath { .. })
    ));
    // Renamed after the policy was built: the inode is what is denied.
    std::fs::rename(project.join(".yoi"), project.join("renamed")).unwrap();
    assert_protected(
        fs.write(0, "renamed/config.toml", widened.clone()).await,
        "renamed/config.toml",
    );
    std::fs::rename(project.join("renamed"), project.join(".yoi")).unwrap();
    // A hard link to the config, made by someone else, is the same file.
    std::fs::hard_link(project.join(".yoi/config.toml"), project.join("cfg")).unwrap();
    assert_protected(fs.read(0, "cfg").await, "cfg");
    assert_protected(fs.write(0, "cfg", widened).await, "cfg");
    assert_eq!(
        std::fs::read_to_string(project.join(".yoi/config.toml")).unwrap(),
        "[plugins]\n"
    );
    // The rest of the project works as before.
    assert_eq!(fs.read(0, "src/main.rs").await.unwrap(), b"fn main() {}");
    fs.write(0, "src/lib.rs", b"//".to_vec()).await.unwrap();
    fs.create_dir(0, "src/bin").await.unwrap();
    fs.remove(0, "src/bin").await.unwrap();
    let names: Vec<String> = fs
        .list_dir(0, ".")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, [".yoi", "cfg", "src", "state"]);
}

#[test]
fn a_root_inside_or_around_protected_state_fails_the_policy() {
    let f = fixture();
    let mut protected = Protected::none();
    protected.add_workspace_state(&f.root.join("docs"));
    protected.add(&f.outside, "the compiled cache");
    for root in [
        f.root.join("docs"),
        f.outside.clone(),
        f.root.parent().unwrap().to_owned(),
    ] {
        let err = FsPolicy::new(
            &[FsGrant {
                root: root.clone(),
                ops: vec![FsOp::Read],
            }],
            &protected,
        )
        .unwrap_err();
        assert!(
            matches!(&err, PolicyError::BadFsGrant { message, .. } if message.contains("no plugin is granted yoi's own state")),
            "{root:?}: {err}"
        );
    }
}
