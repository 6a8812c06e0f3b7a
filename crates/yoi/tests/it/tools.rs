//! Tool calls through the CLI on real guest plugins, and their history.

use crate::support::{Env, fixture};

fn enabled(ids: &[(&str, &str)]) -> Env {
    let env = Env::new();
    for (id, tools) in ids {
        let r = env.yoi(&["plugin", "install", fixture(id).to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = env.yoi(&[
            "plugin",
            "enable",
            &format!("project:{id}"),
            "--tools",
            tools,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    env
}

/// Put a `[limits]` table with `entries` at the top of the enablement file.
fn set_limits(env: &Env, entries: &str) {
    let path = env.ws().join(".yoi/config.toml");
    let rest = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("[limits]\n{entries}\n\n{rest}")).unwrap();
    // Approved as a user would; a file that does not parse cannot be, and
    // the test then sees its error.
    env.yoi(&["trust", "--yes"]);
}

#[test]
fn echo_is_called_and_recorded() {
    let env = enabled(&[("echo", "echo"), ("legacy-echo", "legacy_echo")]);
    let r = env.yoi(&[
        "tool",
        "call",
        "echo",
        "--input",
        r#"{"text":"hi there"}"#,
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["ok"], true);
    assert_eq!(
        v["content"][0],
        serde_json::json!({"type": "json", "json": {"text": "hi there"}})
    );
    // stdin input, legacy ABI.
    let r = env.yoi_stdin(
        &["tool", "call", "legacy_echo"],
        Some(r#"{"text":"from stdin"}"#),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("from stdin"));
    let h = env.yoi(&["history", "--json"]).json();
    let events = h["events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["kind"], "tool_call");
    assert_eq!(events[0]["tool"], "echo");
    assert_eq!(events[0]["plugin"], "project:echo");
    assert!(events[0]["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(events[1]["kind"], "tool_result");
    assert_eq!(events[1]["call_id"], events[0]["id"]);
    assert_eq!(events[3]["tool"], "legacy_echo");
}

#[test]
fn schema_violations_are_rejected_before_the_guest_runs() {
    let env = enabled(&[("hostile", "*")]);
    // `spin` never returns; a schema failure must answer without running it.
    let r = env.yoi(&["tool", "call", "spin", "--input", "[1, 2]", "--json"]);
    assert_eq!(r.code, 1);
    let v = r.json();
    assert_eq!(v["error"]["kind"], "invalid-input");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not match the schema")
    );
    let r = env.yoi(&["tool", "call", "echo", "--input", "{not json", "--json"]);
    assert_eq!(r.json()["error"]["kind"], "invalid-input");
    let h = env.yoi(&["history", "--json"]).json();
    let kinds: Vec<_> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["tool_call", "tool_error", "tool_call", "tool_error"]
    );
}

#[test]
fn ungranted_tools_are_not_registered_and_calls_are_refused() {
    let env = enabled(&[("hostile", "echo")]);
    let list = env.yoi(&["tool", "list", "--json"]).json();
    let names: Vec<_> = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["echo", "yoi_history"]);
    let r = env.yoi(&["tool", "call", "read_passwd", "--input", "{}", "--json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["kind"], "not-found");
    let r = env.yoi(&["tool", "call", "echo", "--input", r#"{"text":"ok"}"#]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_hostile_call_is_contained_and_the_next_call_works() {
    let env = enabled(&[("hostile", "*")]);
    set_limits(&env, "deadline_ms = 3000\nmemory_bytes = 33554432");
    for (tool, kind) in [
        ("spin", "timeout"),
        ("alloc_bomb", "memory-limit"),
        ("panic", "trap"),
        ("bad_json", "bad-output"),
    ] {
        let r = env.yoi(&["tool", "call", tool, "--input", "{}", "--json"]);
        assert_eq!(r.code, 1, "{tool}: {}", r.stderr);
        assert_eq!(r.json()["error"]["kind"], kind, "{tool}");
    }
    let r = env.yoi(&["tool", "call", "print_flood", "--input", "{}"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        "done",
        "guest output must not reach stdout"
    );
    let r = env.yoi(&["tool", "call", "env_vars", "--input", "{}", "--json"]);
    assert_eq!(
        r.json()["content"][0]["json"],
        serde_json::json!({"vars": [], "args": []})
    );
}

/// A repository's config asks for a call that never ends: a deadline of
/// `u64::MAX` ms. TOML integers stop at `i64::MAX`, so the config parser
/// refuses that one; the largest that parses is refused by the deadline's
/// bound. Either way the command exits 2 with the error and its hint, the
/// plugin never runs, and nothing panics.
#[test]
fn an_endless_deadline_is_refused() {
    let env = enabled(&[("echo", "echo")]);
    let call = ["tool", "call", "echo", "--input", r#"{"text":"hi"}"#];

    set_limits(&env, "deadline_ms = 18446744073709551615");
    let r = env.yoi(&call);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(r.stderr.contains("is not valid TOML"), "{}", r.stderr);
    assert!(
        r.stderr.contains("deadline_ms = 18446744073709551615") && r.stderr.contains("too large"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.ends_with(
            "hint: fix `.yoi/config.toml` by hand; yoi does not overwrite a file it cannot read\n"
        ),
        "{}",
        r.stderr
    );

    let path = env.ws().join(".yoi/config.toml");
    let config = std::fs::read_to_string(&path)
        .unwrap()
        .replace("18446744073709551615", &i64::MAX.to_string());
    std::fs::write(&path, config).unwrap();
    env.trust();
    let r = env.yoi(&call);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(
        r.stderr,
        "error: invalid `[limits]`: `deadline_ms` is `9223372036854775807`, past its upper bound `3600000`\n\
         hint: see `[limits]` in docs/security.md for the keys and their bounds\n"
    );
    let history = env.yoi(&["history", "--json"]).json();
    assert_eq!(
        history["events"],
        serde_json::json!([]),
        "the plugin never ran"
    );
}

/// A call is recorded before the plugin runs, and stays recorded when `yoi`
/// is killed in the middle of it; the log the dead process leaves is cleaned
/// up by the next one. (That a log's events reach the database when the
/// process died before committing them is tested in `yoi-tools`.)
#[test]
fn a_call_in_flight_when_yoi_is_killed_stays_in_history() {
    let env = enabled(&[("hostile", "spin")]);
    set_limits(&env, "deadline_ms = 120000");
    let mut child = env
        .command(&["tool", "call", "spin", "--input", "{}"])
        .spawn()
        .unwrap();
    let events = || env.yoi(&["history", "--json"]).json()["events"].clone();
    let waited = std::time::Instant::now();
    while events().as_array().unwrap().is_empty() {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(60),
            "the call was never recorded"
        );
        assert!(child.try_wait().unwrap().is_none(), "yoi ended early");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let log_dir = env.ws().join(".yoi/history.db-log");
    let locks = || {
        std::fs::read_dir(&log_dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".lock")
            })
            .count()
    };
    assert_eq!(locks(), 1, "the killed process leaves its log behind");

    let events = events();
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "tool_call");
    assert_eq!(events[0]["tool"], "spin");
    assert_eq!(events[0]["plugin"], "project:hostile");
    assert_eq!(locks(), 0, "the next process removes a dead one's log");
}

#[test]
fn the_compiled_cache_is_reused_across_processes() {
    let env = enabled(&[("echo", "echo")]);
    assert_eq!(
        env.yoi(&["tool", "call", "echo", "--input", r#"{"text":"a"}"#])
            .code,
        0
    );
    let compiled: Vec<_> = std::fs::read_dir(env.path("cache/yoi/compiled"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        compiled
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
            .count(),
        1
    );
    let cwasm = compiled
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .unwrap();
    let before = std::fs::metadata(cwasm).unwrap().modified().unwrap();
    assert_eq!(
        env.yoi(&["tool", "call", "echo", "--input", r#"{"text":"b"}"#])
            .code,
        0
    );
    assert_eq!(
        std::fs::metadata(cwasm).unwrap().modified().unwrap(),
        before,
        "a second process must not recompile"
    );
    // A corrupt cache file is detected and rebuilt, never trusted.
    let mut bytes = std::fs::read(cwasm).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(cwasm, &bytes).unwrap();
    let r = env.yoi(&["tool", "call", "echo", "--input", r#"{"text":"c"}"#]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_ne!(std::fs::read(cwasm).unwrap(), bytes);
    // ... and the person sees it once, named for its plugin.
    let warnings: Vec<_> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: `project:echo`: the compiled cache was not used: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    let r = env.yoi(&["tool", "call", "echo", "--input", r#"{"text":"d"}"#]);
    assert!(!r.stderr.contains("compiled cache"), "{}", r.stderr);
}

#[test]
fn name_collisions_are_diagnostics_never_overrides() {
    use crate::support::fake_plugin;
    let env = Env::new();
    for (id, tools) in [
        ("left", &["shared", "mine"][..]),
        ("right", &["shared"][..]),
        ("greedy", &["yoi_history"][..]),
    ] {
        let src = fake_plugin(env.dir.path(), id, "1.0.0", tools, tools);
        let out = env.path(&format!("{id}.yoi-plugin"));
        assert_eq!(
            env.yoi(&[
                "plugin",
                "pack",
                src.to_str().unwrap(),
                "-o",
                out.to_str().unwrap()
            ])
            .code,
            0
        );
        assert_eq!(
            env.yoi(&["plugin", "install", out.to_str().unwrap()]).code,
            0
        );
        assert_eq!(env.yoi(&["plugin", "enable", id, "--tools", "*"]).code, 0);
    }
    let list = env.yoi(&["tool", "list", "--json"]).json();
    let names: Vec<_> = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["mine", "yoi_history"]);
    let builtin = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "yoi_history")
        .unwrap();
    assert_eq!(builtin["origin"]["kind"], "builtin");
    let diagnostics: Vec<_> = list["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect();
    assert!(
        diagnostics
            .iter()
            .any(|d| d.contains("`shared` of `project:left`") && d.contains("`project:right`")),
        "{diagnostics:?}"
    );
    assert!(
        diagnostics
            .iter()
            .any(|d| d.contains("`shared` of `project:right`")),
        "{diagnostics:?}"
    );
    assert!(
        diagnostics
            .iter()
            .any(|d| d.contains("`yoi_history` of `project:greedy`") && d.contains("built-in")),
        "{diagnostics:?}"
    );
    // A call to the contested name is refused, not routed to either plugin.
    let r = env.yoi(&["tool", "call", "shared", "--input", "{}", "--json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["kind"], "not-found");
}

/// What a terminal would act on: ESC, CR, the 8-bit CSI, a bidi override.
fn raw_terminal_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| matches!(c, '\u{1b}' | '\r' | '\u{9b}' | '\u{202e}'))
        .collect()
}

#[test]
fn a_tool_result_cannot_drive_the_terminal() {
    let env = enabled(&[("echo", "echo")]);
    // Clear the screen, return to the line's start, 8-bit CSI, right-to-left
    // override: ESC and CR as JSON escapes, the others raw (valid JSON).
    let input = "{\"text\":\"\\u001b[2J\\rok\u{9b}2J\u{202e}txet\"}";
    let r = env.yoi(&["tool", "call", "echo", "--input", input]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        raw_terminal_controls(&r.stdout),
        Vec::<char>::new(),
        "{:?}",
        r.stdout
    );
    assert!(
        r.stdout.contains(r"\u001b[2J\rok\u{9b}2J\u{202e}txet"),
        "{:?}",
        r.stdout
    );
    // `--json` stays JSON with the same value.
    let r = env.yoi(&["tool", "call", "echo", "--input", input, "--json"]);
    assert_eq!(
        raw_terminal_controls(&r.stdout),
        Vec::<char>::new(),
        "{:?}",
        r.stdout
    );
    assert_eq!(
        r.json()["content"][0]["json"]["text"],
        "\u{1b}[2J\rok\u{9b}2J\u{202e}txet"
    );
    // An error that quotes the input is escaped on stderr.
    let bad = "{\"text\":\"a\",\"\\u001b[2J\u{202e}\":1}";
    let r = env.yoi(&["tool", "call", "echo", "--input", bad]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        raw_terminal_controls(&r.stderr),
        Vec::<char>::new(),
        "{:?}",
        r.stderr
    );
    assert!(r.stderr.contains(r"'\u{1b}[2J\u{202e}'"), "{:?}", r.stderr);
    // The history shows the recorded input and output escaped as well.
    let r = env.yoi(&["history"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        raw_terminal_controls(&r.stdout),
        Vec::<char>::new(),
        "{:?}",
        r.stdout
    );
    assert!(r.stdout.contains(r"\u{9b}2J\u{202e}txet"), "{:?}", r.stdout);
}
