//! `wasi:filesystem` end to end: the `wasi-files` plugin, whose tools are
//! plain `std::fs` calls, sees each fs grant as a preopen `/grants/<index>`
//! with the permissions its ops map to, nothing else, and nothing at all
//! when its manifest does not request `wasi:filesystem`.

use std::path::Path;

use serde_json::{Value, json};

use crate::host_apis::{assert_refused, call, enable, install};
use crate::support::{Env, fixture};

/// A workspace with `wasi-files` enabled on `files` (one file, one
/// subdirectory, and a symlink to a secret beside it) with `ops`.
fn wasi_env(ops: &str) -> Env {
    let env = Env::new();
    let root = env.path("files");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("hello.txt"), "hello wasi").unwrap();
    std::fs::write(env.path("secret.txt"), "TOP-SECRET-CONTENT").unwrap();
    std::os::unix::fs::symlink(env.path("secret.txt"), root.join("escape")).unwrap();
    install(&env, "wasi-files");
    enable(
        &env,
        &[
            "project:wasi-files",
            "--tools",
            "*",
            "--fs",
            root.to_str().unwrap(),
            "--ops",
            ops,
        ],
    );
    env
}

fn text(v: &Value) -> &Value {
    &v["content"][0]["json"]["text"]
}

/// The attacker: a plugin using plain `std::fs` that tries to leave its
/// preopen by `..`, by an absolute host path and through a symlink.
#[test]
fn a_wasi_plugin_reads_inside_its_grant_and_not_outside() {
    let env = wasi_env("read,list");
    let v = call(&env, "read_text", json!({"path": "/grants/0/hello.txt"}));
    assert_eq!(text(&v), "hello wasi", "{v}");
    let v = call(&env, "list_names", json!({"path": "/grants/0"}));
    assert_eq!(
        v["content"][0]["json"]["names"],
        json!(["escape", "hello.txt", "sub"]),
        "{v}"
    );
    let secret = env.path("secret.txt");
    for (path, kind) in [
        ("/grants/0/../secret.txt".to_owned(), "denied"),
        ("/grants/0/sub/../../secret.txt".to_owned(), "denied"),
        (secret.display().to_string(), "not-found"),
        ("/grants/0/escape".to_owned(), "denied"),
        ("/grants/1/hello.txt".to_owned(), "not-found"),
    ] {
        let v = call(&env, "read_text", json!({ "path": path }));
        assert_refused(&v, kind, &format!("`{path}`"));
        assert!(!v.to_string().contains("TOP-SECRET"), "{v}");
    }
    // The guest never learns the host path of its root.
    let v = call(&env, "list_names", json!({"path": "/"}));
    assert!(
        !v.to_string()
            .contains(&*env.path("files").to_string_lossy()),
        "{v}"
    );
}

/// The attacker: a plugin granted `read,list` that writes, creates and
/// removes anyway. A read-only preopen refuses all of it; all five ops give
/// a read-write one, so the refusal is the grant's doing.
#[test]
fn a_wasi_plugin_without_write_cannot_write() {
    let env = wasi_env("read,list");
    let input = json!({"path": "/grants/0/new.txt", "text": "x"});
    let v = call(&env, "write_text", input.clone());
    assert_refused(&v, "denied", "`/grants/0/new.txt`");
    let v = call(
        &env,
        "write_text",
        json!({"path": "/grants/0/hello.txt", "text": "replaced"}),
    );
    assert_refused(&v, "denied", "`/grants/0/hello.txt`");
    assert!(!env.path("files/new.txt").exists());
    assert_eq!(
        std::fs::read_to_string(env.path("files/hello.txt")).unwrap(),
        "hello wasi"
    );

    let env = wasi_env("read,list,write,create-dir,remove");
    let v = call(&env, "write_text", input);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        std::fs::read_to_string(env.path("files/new.txt")).unwrap(),
        "x"
    );
}

/// The attacker: a plugin that asks only for `fs` (yoi:host/fs) but reaches
/// for files through `std::fs`. The fs grant gives it no preopen.
#[test]
fn a_wasi_plugin_that_did_not_request_wasi_filesystem_sees_no_preopen() {
    let env = Env::new();
    let root = env.path("files");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("hello.txt"), "hello wasi").unwrap();
    let pkg = yoi_package::Package::from_archive_file(&fixture("wasi-files")).unwrap();
    let dir = env.path("fs-only");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("wasi_files.wasm"), pkg.artifact()).unwrap();
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wasi-files/plugin.toml"),
    )
    .unwrap()
    .replace("host_apis = [\"wasi:filesystem\"]", "host_apis = [\"fs\"]");
    assert!(manifest.contains("host_apis = [\"fs\"]"));
    std::fs::write(dir.join("plugin.toml"), manifest).unwrap();
    let archive = env.path("fs-only.yoi-plugin");
    let r = env.yoi(&[
        "plugin",
        "pack",
        dir.to_str().unwrap(),
        "-o",
        archive.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.yoi(&["plugin", "install", archive.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    enable(
        &env,
        &[
            "project:wasi-files",
            "--tools",
            "*",
            "--fs",
            root.to_str().unwrap(),
        ],
    );
    let v = call(&env, "read_text", json!({"path": "/grants/0/hello.txt"}));
    assert_refused(
        &v,
        "not-found",
        "`/grants/0/hello.txt`: No such file or directory",
    );
    let v = call(&env, "list_names", json!({"path": "/"}));
    assert_refused(&v, "not-found", "`/`: No such file or directory");
}

/// The attacker: a plugin granted the project directory over
/// `wasi:filesystem`, which could then rewrite `.yoi/config.toml`. A preopen
/// cannot hide `.yoi`, so enable refuses the root, and a config written by
/// hand is rejected at resolution.
#[test]
fn wasi_filesystem_refuses_a_root_holding_the_workspace_config() {
    let env = Env::new();
    install(&env, "wasi-files");
    let ws = yoi_grants::canonical(&env.ws());
    let r = env.yoi(&[
        "plugin",
        "enable",
        "project:wasi-files",
        "--tools",
        "*",
        "--fs",
        ws.to_str().unwrap(),
        "--ops",
        "read,list",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "fs root `{}` contains the workspace's `.yoi` directory (`{}`), which a `wasi:filesystem` preopen cannot hide",
            ws.display(),
            ws.join(".yoi").display()
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("hint: grant a subdirectory"),
        "{}",
        r.stderr
    );
    // Ops no preopen expresses are refused too, with the two that work.
    std::fs::create_dir_all(env.path("files")).unwrap();
    let r = env.yoi(&[
        "plugin",
        "enable",
        "project:wasi-files",
        "--tools",
        "*",
        "--fs",
        env.path("files").to_str().unwrap(),
        "--ops",
        "read,write",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("grants `read,write`, which `wasi:filesystem` cannot express exactly"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("hint: use `--ops read,list`"),
        "{}",
        r.stderr
    );

    // A config edited by hand to grant the project: rejected, nothing runs.
    enable(
        &env,
        &[
            "project:wasi-files",
            "--tools",
            "*",
            "--fs",
            env.path("files").to_str().unwrap(),
        ],
    );
    let config = env.ws().join(".yoi/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let data = yoi_grants::canonical(&env.path("files"));
    let widened = text.replace(
        &format!("root = \"{}\"", data.display()),
        &format!("root = \"{}\"", ws.display()),
    );
    assert_ne!(widened, text, "the grant was not found in {text}");
    std::fs::write(&config, widened).unwrap();
    env.trust();
    let r = env.yoi(&["plugin", "show", "project:wasi-files", "--json"]);
    let v = r.json();
    assert_eq!(v["plugins"][0]["status"], "rejected", "{v}");
    assert!(v.to_string().contains("cannot hide"), "{v}");
    let v = call(
        &env,
        "read_text",
        json!({"path": "/grants/0/.yoi/config.toml"}),
    );
    assert_eq!(v["ok"], false, "{v}");
}
