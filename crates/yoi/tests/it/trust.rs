//! Workspace trust, tried as the attacker: a repository you clone ships
//! plugins and a config that grants them. Its authority must count for
//! nothing until this user runs `yoi trust` on this machine.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Env, Run, fixture};

const ECHO: [&str; 5] = ["tool", "call", "echo", "--input", r#"{"text":"hi"}"#];

/// A workspace with the example `echo` installed and enabled (so approved).
fn echo_env() -> Env {
    let env = Env::new();
    let r = env.yoi(&["plugin", "install", fixture("echo").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.yoi(&["plugin", "enable", "project:echo", "--tools", "echo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    env
}

/// `yoi ARGS` with `--workspace dir`.
fn yoi_in(env: &Env, dir: &Path, args: &[&str]) -> Run {
    let dir = dir.to_str().unwrap();
    env.yoi(&[&["--workspace", dir][..], args].concat())
}

fn status(env: &Env, dir: &Path, reference: &str) -> String {
    let v = yoi_in(env, dir, &["plugin", "show", reference, "--json"]).json();
    v["plugins"][0]["status"].as_str().unwrap().to_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The tool names `yoi mcp` in `dir` lists, and what it said on stderr.
fn mcp_tools(env: &Env, dir: &Path) -> (Vec<String>, String) {
    let mut child = env
        .command(&["--workspace", dir.to_str().unwrap(), "mcp"])
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for message in [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
    ] {
        writeln!(stdin, "{message}").unwrap();
    }
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let tools = loop {
        let line = lines.next().expect("an answer to tools/list").unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        if v["id"] == 2 {
            break v["result"]["tools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect();
        }
    };
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (tools, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_cloned_workspace_runs_no_plugin_until_trusted() {
    let env = echo_env();
    assert_eq!(env.yoi(&ECHO).code, 0, "the original workspace runs echo");
    let clone = env.path("clone");
    copy_dir(&env.ws().join(".yoi"), &clone.join(".yoi"));

    let list = yoi_in(&env, &clone, &["plugin", "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("untrusted"), "{}", list.stdout);
    assert!(
        list.stderr
            .ends_with("hint: review it, then run `yoi trust`\n"),
        "{}",
        list.stderr
    );
    let show = yoi_in(&env, &clone, &["plugin", "show", "echo", "--json"]);
    assert_eq!(show.code, 1);
    let report = &show.json()["plugins"][0];
    assert_eq!(report["status"], "untrusted");
    assert_eq!(report["diagnostics"][0]["kind"], "untrusted");
    let message = report["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("has never been approved"), "{message}");
    assert!(message.ends_with("run `yoi trust`"), "{message}");
    assert_eq!(report["tools"][0]["eligible"], false);

    let call = yoi_in(&env, &clone, &ECHO);
    assert_eq!(call.code, 1, "{}", call.stderr);
    assert!(call.stderr.contains("is not trusted"), "{}", call.stderr);
    assert!(
        call.stderr
            .ends_with("hint: review it, then run `yoi trust`\n"),
        "{}",
        call.stderr
    );

    let (tools, stderr) = mcp_tools(&env, &clone);
    assert!(!tools.iter().any(|t| t == "echo"), "{tools:?}");
    assert!(tools.iter().all(|t| t.starts_with("yoi_")), "{tools:?}");
    let why: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("not trusted"))
        .collect();
    assert_eq!(why.len(), 1, "{stderr}");
    assert!(
        why[0].starts_with(&format!(
            "yoi mcp: `{}` is not trusted, so only built-in tools are served",
            clone.display()
        )) && why[0].ends_with("run `yoi trust`"),
        "{}",
        why[0]
    );

    let trust = yoi_in(&env, &clone, &["trust", "--yes"]);
    assert_eq!(trust.code, 0, "{}", trust.stderr);
    assert!(
        trust.stdout.contains("plugin project:echo"),
        "{}",
        trust.stdout
    );
    assert!(
        trust.stdout.contains("tools       echo"),
        "{}",
        trust.stdout
    );
    assert_eq!(yoi_in(&env, &clone, &ECHO).code, 0);
    let (tools, _) = mcp_tools(&env, &clone);
    assert!(tools.iter().any(|t| t == "echo"), "{tools:?}");
}

#[test]
fn a_config_edited_by_hand_is_untrusted() {
    let env = echo_env();
    let ws = env.ws();
    let config = ws.join(".yoi/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert_eq!(status(&env, &ws, "echo"), "active");

    std::fs::write(&config, format!("# reviewed by me\n{text}\n# the end\n")).unwrap();
    assert_eq!(
        status(&env, &ws, "echo"),
        "active",
        "a comment grants nothing"
    );

    // A plugin, a `git pull` or an editor widens the grant.
    let wider = text.replace("tools = [\"echo\"]", "tools = [\"*\"]");
    assert_ne!(wider, text);
    std::fs::write(&config, &wider).unwrap();
    assert_eq!(status(&env, &ws, "echo"), "untrusted");
    let show = env.yoi(&["plugin", "show", "echo", "--json"]).json();
    let message = show["plugins"][0]["diagnostics"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("changed since it was approved"),
        "{message}"
    );

    let trust = env.yoi(&["trust", "--yes"]);
    assert_eq!(trust.code, 0, "{}", trust.stderr);
    assert!(trust.stdout.contains("tools       *"), "{}", trust.stdout);
    assert_eq!(status(&env, &ws, "echo"), "active");
}

#[test]
fn enabling_a_plugin_in_a_cloned_workspace_approves_nothing_else() {
    let env = echo_env();
    let clone = env.path("clone");
    copy_dir(&env.ws().join(".yoi"), &clone.join(".yoi"));
    let r = yoi_in(
        &env,
        &clone,
        &["plugin", "enable", "echo", "--tools", "echo"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("(untrusted)"), "{}", r.stdout);
    assert!(
        r.stderr.contains("this edit approves nothing"),
        "{}",
        r.stderr
    );
    assert_eq!(status(&env, &clone, "echo"), "untrusted");
}

#[test]
fn yoi_trust_without_yes_and_without_a_terminal_refuses_and_revoke_revokes() {
    let env = echo_env();
    let ws = env.ws();
    assert_eq!(
        env.yoi(&["trust", "--revoke"]).stdout,
        format!("revoked the approval of `{}`\n", ws.display())
    );
    assert_eq!(status(&env, &ws, "echo"), "untrusted");
    assert_eq!(
        env.yoi(&["trust", "--revoke"]).stdout,
        format!("`{}` was not approved\n", ws.display())
    );

    let r = env.yoi_stdin(&["trust"], Some("yes\n"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.contains("status        untrusted"), "{}", r.stdout);
    assert!(
        r.stderr.ends_with(
            "error: not approved: there is no terminal to confirm on\nhint: review the output above, then run `yoi trust --yes`\n"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(status(&env, &ws, "echo"), "untrusted");

    let json = env.yoi(&["trust", "--yes", "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let v = json.json();
    assert_eq!(v["trust"], "untrusted", "the review shows the state before");
    assert_eq!(v["plugins"]["project:echo"]["grants"]["tools"][0], "echo");
    assert_eq!(status(&env, &ws, "echo"), "active");
    let again = env.yoi(&["trust", "--json"]).json();
    assert_eq!(again["trust"], "trusted");
}

/// A cloned repository's `[serve]` asks for every interface and a token it
/// knows; `yoi serve` ignores it, says so, and listens on loopback only.
#[test]
fn an_untrusted_serve_section_is_ignored() {
    let env = echo_env();
    let config = env.ws().join(".yoi/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "[serve]\nlisten = \"0.0.0.0:7717\"\ntoken_file = \"/nonexistent/token\"\n\n{text}"
        ),
    )
    .unwrap();
    let mut child = env.command(&["serve"]).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let start = Instant::now();
    let mut log = String::new();
    let mut outcome = None;
    while start.elapsed() < Duration::from_secs(60) {
        let Some(Ok(line)) = lines.next() else { break };
        log.push_str(&line);
        log.push('\n');
        if line.contains("listening on http://") || line.starts_with("error:") {
            outcome = Some(line);
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let outcome = outcome.unwrap_or_else(|| panic!("no outcome: {log}"));
    assert!(
        log.contains(&format!(
            "yoi serve: warning: `[serve]` of `{}` is ignored: the workspace is not trusted; review it, then run `yoi trust`",
            config.display()
        )),
        "{log}"
    );
    assert!(log.contains("so only built-in tools are served"), "{log}");
    // Listening on the default loopback address, or (another process holds
    // it) failing on that address: never on 0.0.0.0, never reading the token.
    assert!(outcome.contains("127.0.0.1:7717"), "{log}");
    assert!(!log.contains("0.0.0.0") && !log.contains("token"), "{log}");
}
