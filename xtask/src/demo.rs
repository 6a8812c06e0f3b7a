//! `cargo xtask demo`: build everything, prepare a demo workspace under
//! `target/demo`, install and enable the examples, call `echo`, show history.

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
        if id == "echo" || id == "legacy-echo" {
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
        "Try: cd {} && {} tool call echo --input '{{\"text\": \"hi\"}}'",
        display(&demo),
        display(&yoi)
    );
    Ok(())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
