//! The status vocabulary end to end: pack, install, list, enable, tamper,
//! re-inspect, update; ambiguity, broken packages and broken configs.

use crate::support::{Env, fake_plugin, fixture};

fn pack(env: &Env, dir: &std::path::Path, out: &str) -> String {
    let out = env.path(out);
    let r = env.yoi(&[
        "plugin",
        "pack",
        dir.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["path"].as_str().unwrap(), out.to_str().unwrap());
    assert!(v["digest"].as_str().unwrap().starts_with("sha256:"));
    v["digest"].as_str().unwrap().to_owned()
}

fn status_of(env: &Env, reference: &str) -> String {
    let v = env.yoi(&["plugin", "show", reference, "--json"]).json();
    v["plugins"][0]["status"].as_str().unwrap().to_owned()
}

#[test]
fn the_whole_life_of_a_plugin() {
    let env = Env::new();
    let src = fake_plugin(
        env.dir.path(),
        "alpha",
        "1.0.0",
        &["one", "two"],
        &["one", "two"],
    );
    let digest = pack(&env, &src, "alpha.yoi-plugin");
    // Packing twice gives the same digest.
    assert_eq!(pack(&env, &src, "alpha-again.yoi-plugin"), digest);

    let r = env.yoi(&[
        "plugin",
        "install",
        env.path("alpha.yoi-plugin").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(status_of(&env, "alpha"), "disabled");

    // Granting one of two requested tools: partial.
    let r = env.yoi(&["plugin", "enable", "alpha", "--tools", "one"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let show = env
        .yoi(&["plugin", "show", "project:alpha", "--json"])
        .json();
    let p = &show["plugins"][0];
    assert_eq!(p["status"], "partial");
    assert_eq!(p["digest"].as_str().unwrap(), digest);
    assert_eq!(
        p["tools"][0],
        serde_json::json!({"name": "one", "eligible": true})
    );
    assert_eq!(p["tools"][1]["eligible"], false);
    assert_eq!(p["tools"][1]["reason"], "tool `two` is not granted");

    let r = env.yoi(&["plugin", "enable", "alpha", "--tools", "*"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(status_of(&env, "alpha"), "active");

    // Tamper: a different package under the same id is rejected until re-pinned.
    let changed = fake_plugin(
        env.dir.path(),
        "alpha",
        "1.0.1",
        &["one", "two"],
        &["one", "two"],
    );
    pack(&env, &changed, "alpha-1.0.1.yoi-plugin");
    env.yoi(&[
        "plugin",
        "install",
        env.path("alpha-1.0.1.yoi-plugin").to_str().unwrap(),
    ]);
    let show = env.yoi(&["plugin", "show", "alpha", "--json"]);
    assert_eq!(show.code, 1);
    let p = &show.json()["plugins"][0];
    assert_eq!(p["status"], "rejected");
    assert_eq!(p["diagnostics"][0]["kind"], "version-mismatch");

    let r = env.yoi(&["plugin", "update", "alpha", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["changed"], true);
    assert_eq!(status_of(&env, "alpha"), "active");

    // Same version, different bytes: a digest mismatch.
    let evil = fake_plugin(
        &env.path("evil"),
        "alpha",
        "1.0.1",
        &["one", "two"],
        &["one", "two"],
    );
    std::fs::write(evil.join("p.wasm"), b"\0asm\x0d\x00\x01\x00tampered").unwrap();
    pack(&env, &evil, "evil.yoi-plugin");
    std::fs::copy(
        env.path("evil.yoi-plugin"),
        env.ws().join(".yoi/plugins/alpha.yoi-plugin"),
    )
    .unwrap();
    let p = env.yoi(&["plugin", "show", "alpha", "--json"]).json();
    assert_eq!(p["plugins"][0]["status"], "rejected");
    assert_eq!(p["plugins"][0]["diagnostics"][0]["kind"], "digest-mismatch");

    // Missing: enabled, but the package is gone.
    std::fs::remove_file(env.ws().join(".yoi/plugins/alpha.yoi-plugin")).unwrap();
    assert_eq!(status_of(&env, "project:alpha"), "missing");

    let r = env.yoi(&["plugin", "disable", "alpha"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let list = env.yoi(&["plugin", "list", "--json"]).json();
    assert_eq!(list["plugins"].as_array().unwrap().len(), 0);
}

#[test]
fn list_output_snapshot() {
    let env = Env::new();
    for (id, tools) in [("beta", &["b1"][..]), ("gamma", &["g1", "g2"][..])] {
        let src = fake_plugin(env.dir.path(), id, "0.2.0", tools, tools);
        pack(&env, &src, &format!("{id}.yoi-plugin"));
        env.yoi(&[
            "plugin",
            "install",
            env.path(&format!("{id}.yoi-plugin")).to_str().unwrap(),
        ]);
    }
    env.yoi(&["plugin", "enable", "gamma", "--tools", "g1"]);
    std::fs::write(
        env.ws().join(".yoi/plugins/broken.yoi-plugin"),
        b"not a zip",
    )
    .unwrap();
    let text = env.yoi(&["plugin", "list"]);
    let json = env.yoi(&["plugin", "list", "--json"]);
    let show = env.yoi(&["plugin", "show", "project:broken"]);
    assert_eq!(show.code, 1);
    let filters = env.filters();
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!("list_text", text.stdout);
        insta::assert_snapshot!("list_json", json.stdout);
        insta::assert_snapshot!("show_broken", show.stdout);
    });
}

#[test]
fn ambiguous_bare_ids_fail_closed() {
    let env = Env::new();
    let src = fake_plugin(env.dir.path(), "dup", "1.0.0", &["t"], &["t"]);
    pack(&env, &src, "dup.yoi-plugin");
    let file = env.path("dup.yoi-plugin");
    assert_eq!(
        env.yoi(&["plugin", "install", file.to_str().unwrap()]).code,
        0
    );
    assert_eq!(
        env.yoi(&["plugin", "install", "--user", file.to_str().unwrap()])
            .code,
        0
    );
    let r = env.yoi(&["plugin", "enable", "dup", "--tools", "*"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("ambiguous"), "{}", r.stderr);
    assert!(
        r.stderr.contains("hint: use a source-qualified id"),
        "{}",
        r.stderr
    );
    assert!(!env.ws().join(".yoi/config.toml").exists());
    assert_eq!(env.yoi(&["plugin", "show", "dup"]).code, 2);
    assert_eq!(
        env.yoi(&["plugin", "enable", "user:dup", "--tools", "*"])
            .code,
        0
    );
    assert_eq!(status_of(&env, "user:dup"), "active");
    assert_eq!(status_of(&env, "project:dup"), "disabled");
}

#[test]
fn duplicate_ids_in_one_store_are_rejected_without_touching_others() {
    let env = Env::new();
    let src = fake_plugin(env.dir.path(), "twin", "1.0.0", &["t"], &["t"]);
    pack(&env, &src, "twin.yoi-plugin");
    let ok = fake_plugin(env.dir.path(), "fine", "1.0.0", &["f"], &["f"]);
    pack(&env, &ok, "fine.yoi-plugin");
    env.yoi(&[
        "plugin",
        "install",
        env.path("fine.yoi-plugin").to_str().unwrap(),
    ]);
    env.yoi(&["plugin", "enable", "fine", "--tools", "*"]);
    let store = env.ws().join(".yoi/plugins");
    std::fs::copy(env.path("twin.yoi-plugin"), store.join("twin-a.yoi-plugin")).unwrap();
    std::fs::copy(env.path("twin.yoi-plugin"), store.join("twin-b.yoi-plugin")).unwrap();
    let list = env.yoi(&["plugin", "list", "--json"]).json();
    let plugins = list["plugins"].as_array().unwrap();
    let twins: Vec<_> = plugins
        .iter()
        .filter(|p| p["ref"] == "project:twin")
        .collect();
    assert_eq!(twins.len(), 2);
    for t in twins {
        assert_eq!(t["status"], "rejected");
        assert_eq!(t["diagnostics"][0]["kind"], "duplicate");
    }
    assert_eq!(status_of(&env, "fine"), "active");
}

#[test]
fn hostile_archives_are_refused_with_a_clear_error() {
    let env = Env::new();
    // A zip slip entry, written by hand with the zip crate's raw API is not
    // needed here: a file that is not a zip at all, and an empty file.
    std::fs::write(env.path("junk.yoi-plugin"), b"PK\x03\x04garbage").unwrap();
    let r = env.yoi(&[
        "plugin",
        "check",
        env.path("junk.yoi-plugin").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r.code, 1);
    let v = r.json();
    assert_eq!(v["ok"], false);
    assert!(!v["errors"][0].as_str().unwrap().is_empty());
    let r = env.yoi(&[
        "plugin",
        "install",
        env.path("junk.yoi-plugin").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nothing was installed"), "{}", r.stderr);
    assert!(
        !env.ws().join(".yoi/plugins").exists()
            || std::fs::read_dir(env.ws().join(".yoi/plugins"))
                .unwrap()
                .next()
                .is_none()
    );
}

#[test]
fn check_reads_the_binary_kind_from_the_header() {
    let env = Env::new();
    let src = fake_plugin(env.dir.path(), "kind", "1.0.0", &["t"], &["t"]);
    let r = env.yoi(&["plugin", "check", src.to_str().unwrap(), "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["artifact_kind"], "component");
    std::fs::write(src.join("p.wasm"), b"\0asm\x01\x00\x00\x00").unwrap();
    let r = env.yoi(&["plugin", "check", src.to_str().unwrap(), "--json"]);
    assert_eq!(r.code, 1);
    let err = r.json()["errors"][0].as_str().unwrap().to_owned();
    assert!(err.contains("core module"), "{err}");
}

#[test]
fn a_broken_config_is_reported_and_never_overwritten() {
    let env = Env::new();
    let src = fake_plugin(env.dir.path(), "cfg", "1.0.0", &["t"], &["t"]);
    pack(&env, &src, "cfg.yoi-plugin");
    env.yoi(&[
        "plugin",
        "install",
        env.path("cfg.yoi-plugin").to_str().unwrap(),
    ]);
    let config = env.ws().join(".yoi/config.toml");
    std::fs::write(&config, "[plugins\nbroken").unwrap();
    let r = env.yoi(&["plugin", "enable", "cfg", "--tools", "*"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not valid TOML"), "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "[plugins\nbroken"
    );
    assert_eq!(env.yoi(&["plugin", "list"]).code, 2);
}

#[test]
fn a_bad_enablement_entry_rejects_only_that_plugin() {
    let env = Env::new();
    for id in ["good", "bad"] {
        let src = fake_plugin(env.dir.path(), id, "1.0.0", &["t"], &["t"]);
        pack(&env, &src, &format!("{id}.yoi-plugin"));
        env.yoi(&[
            "plugin",
            "install",
            env.path(&format!("{id}.yoi-plugin")).to_str().unwrap(),
        ]);
        assert_eq!(env.yoi(&["plugin", "enable", id, "--tools", "*"]).code, 0);
    }
    let config = env.ws().join(".yoi/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replace(
        "[plugins.\"project:bad\".grants]",
        "[plugins.\"project:bad\".grants]\nnetwork = \"all\"",
    );
    std::fs::write(&config, text).unwrap();
    env.trust();
    assert_eq!(status_of(&env, "good"), "active");
    let bad = env.yoi(&["plugin", "show", "bad", "--json"]).json();
    assert_eq!(bad["plugins"][0]["status"], "rejected");
    assert_eq!(bad["plugins"][0]["diagnostics"][0]["kind"], "config");
}

#[test]
fn enable_writes_grants_readably_and_keeps_hand_edits() {
    let env = Env::new();
    let src = fake_plugin(env.dir.path(), "net", "1.0.0", &["t"], &["t"]);
    pack(&env, &src, "net.yoi-plugin");
    env.yoi(&[
        "plugin",
        "install",
        env.path("net.yoi-plugin").to_str().unwrap(),
    ]);
    std::fs::write(
        env.ws().join(".yoi/config.toml"),
        "# my workspace\n[limits]\ndeadline_ms = 5000\n",
    )
    .unwrap();
    env.trust();
    // Not `data`: that holds the user store, which no fs root may contain.
    let root = env.path("files");
    std::fs::create_dir_all(&root).unwrap();
    let r = env.yoi(&[
        "plugin",
        "enable",
        "net",
        "--tools",
        "t",
        "--https",
        "api.example.com/v1/",
        "--methods",
        "GET,POST",
        "--fs",
        root.to_str().unwrap(),
        "--ops",
        "read,list,write",
        "--config",
        "greeting=\"hi\"",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(env.ws().join(".yoi/config.toml")).unwrap();
    let filters = env.filters();
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!("config_after_enable", text);
    });
}

/// `plugin show` says whether a plugin runs as one stateful instance, from
/// its manifest's world.
#[test]
fn show_tells_a_stateful_plugin_from_a_stateless_one() {
    let env = Env::new();
    for id in ["counter", "echo"] {
        let r = env.yoi(&["plugin", "install", fixture(id).to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let line = |reference: &str| {
        let show = env.yoi(&["plugin", "show", reference]);
        assert_eq!(show.code, 0, "{}", show.stderr);
        show.stdout
            .lines()
            .find(|l| l.starts_with("instance"))
            .unwrap_or_else(|| panic!("no instance line: {}", show.stdout))
            .to_owned()
    };
    assert!(line("counter").contains("one stateful instance"));
    assert!(line("echo").contains("stateless"));
}
