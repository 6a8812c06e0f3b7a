//! `cargo xtask demo`: build everything, prepare a demo workspace under
//! `target/demo`, install and enable the examples, call `echo`, show history,
//! then serve the workspace with `yoi serve` in the foreground (Ctrl-C stops
//! it). The foreground server is skipped when stdin is not a terminal or
//! `YOI_DEMO_NO_SERVE=1` is set, so scripts and CI never hang on it.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::process::Command;

use crate::examples;
use crate::util::{self, cargo, root};

pub fn run() -> anyhow::Result<()> {
    let packed = examples::build_all()?;
    util::run(cargo().args(["build", "-p", "yoi"]))?;
    let yoi = root().join("target/debug/yoi");
    let demo = root().join("target/demo");
    if demo.exists() {
        std::fs::remove_dir_all(&demo)?;
    }
    std::fs::create_dir_all(&demo)?;
    let step = |args: &[&str]| -> anyhow::Result<()> {
        println!("\n$ yoi {}", args.join(" "));
        let status = Command::new(&yoi).args(args).current_dir(&demo).status()?;
        anyhow::ensure!(
            status.success(),
            "`yoi {}` failed with {status}",
            args.join(" ")
        );
        Ok(())
    };
    for (id, path) in &packed {
        if id == "echo" || id == "legacy-echo" || id == "counter" {
            step(&["plugin", "install", &path.to_string_lossy()])?;
        }
    }
    step(&["plugin", "list"])?;
    step(&["plugin", "enable", "project:echo", "--tools", "echo"])?;
    step(&[
        "plugin",
        "enable",
        "project:legacy-echo",
        "--tools",
        "legacy_echo",
    ])?;
    step(&[
        "plugin",
        "enable",
        "project:counter",
        "--tools",
        "increment",
        "--ingresses",
        "tick",
    ])?;
    step(&["plugin", "list"])?;
    step(&["tool", "list"])?;
    step(&[
        "tool",
        "call",
        "echo",
        "--input",
        r#"{"text": "hello from yoi"}"#,
    ])?;
    step(&[
        "tool",
        "call",
        "legacy_echo",
        "--input",
        r#"{"text": "hello from the legacy ABI"}"#,
    ])?;
    step(&["history", "--limit", "5"])?;
    println!("\nThe demo workspace is {}.", display(&demo));
    println!(
        "MCP client config: {{\"mcpServers\": {{\"yoi\": {{\"command\": \"{}\", \"args\": [\"mcp\", \"--workspace\", \"{}\"]}}}}}}",
        display(&yoi),
        display(&demo)
    );
    println!(
        "MCP over Streamable HTTP (while `yoi serve` runs): {HTTP_URL}, e.g. {{\"mcpServers\": {{\"yoi\": {{\"type\": \"http\", \"url\": \"{HTTP_URL}\"}}}}}}"
    );
    println!(
        "Try: cd {} && {} tool call echo --input '{{\"text\": \"hi\"}}'",
        display(&demo),
        display(&yoi)
    );
    println!(
        "While `yoi serve` runs, tick the counter and read it back:\n  \
         curl -X POST -H 'Content-Type: application/json' -d '{{}}' http://127.0.0.1:7717/ingress/project:counter/tick\n  \
         curl http://127.0.0.1:7717/status\n  \
         (and call `increment` over MCP: it sees the ticks)"
    );
    serve(&yoi, &demo)
}

/// Where `yoi serve` listens by default.
const HTTP_URL: &str = "http://127.0.0.1:7717/mcp";

/// Run `yoi serve` on the demo workspace in the foreground, unless nobody is
/// at a terminal to stop it.
fn serve(yoi: &Path, demo: &Path) -> anyhow::Result<()> {
    let skip = if std::env::var_os("YOI_DEMO_NO_SERVE").is_some_and(|v| v == "1") {
        Some("YOI_DEMO_NO_SERVE=1 is set")
    } else if !std::io::stdin().is_terminal() {
        Some("stdin is not a terminal")
    } else {
        None
    };
    if let Some(why) = skip {
        println!(
            "\nNot starting `yoi serve` ({why}). To serve the demo over HTTP: cd {} && {} serve",
            display(demo),
            display(yoi)
        );
        return Ok(());
    }
    println!("\n$ yoi serve    (status: http://127.0.0.1:7717/status; Ctrl-C stops it)");
    std::io::stdout().flush()?;
    let mut cmd = Command::new(yoi);
    cmd.arg("serve").current_dir(demo);
    // Become `yoi serve` rather than wait for it: Ctrl-C then reaches only
    // the server, which shuts down gracefully and exits 0, instead of also
    // killing a waiting parent mid-shutdown.
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let err = cmd.exec();
        Err(anyhow::Error::new(err).context(format!("cannot start `{} serve`", display(yoi))))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status()?;
        anyhow::ensure!(status.success(), "`yoi serve` failed with {status}");
        Ok(())
    }
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
