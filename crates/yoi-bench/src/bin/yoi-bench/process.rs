//! Whole processes: `yoi plugin list` over 100 packages, and MCP over stdio
//! (round trip and start-up) next to the floor process.
//!
//! Every `yoi` started here runs against a workspace and caches under one
//! temporary directory (`XDG_CACHE_HOME`, `XDG_DATA_HOME`, `XDG_CONFIG_HOME` (whose trust store approves the workspaces) and
//! `YOI_BUILTIN_DIR` point into it), so the user's stores and caches neither
//! help nor hinder.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, ensure};
use serde_json::json;
use yoi_bench::client::StdioClient;
use yoi_bench::echo_input;
use yoi_bench::fixtures::{echo_copies, echo_workspace, trust_workspace, write_workspace};
use yoi_bench::harness::{fast, slow};
use yoi_bench::report::{Figure, Report};

/// A server to time: name, how to start it, baseline, other comparisons.
type Server<'a> = (
    &'a str,
    &'a dyn Fn() -> Command,
    Option<&'a str>,
    &'a [&'a str],
);

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Env {
    fn new() -> anyhow::Result<Env> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().to_path_buf();
        for d in ["cache", "data", "builtin"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        Ok(Env { _dir: dir, root })
    }

    fn yoi(&self, yoi: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(yoi);
        cmd.args(args)
            .env("XDG_CACHE_HOME", self.root.join("cache"))
            .env("XDG_DATA_HOME", self.root.join("data"))
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("YOI_BUILTIN_DIR", self.root.join("builtin"))
            .env_remove("YOI_WORKSPACE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }
}

fn run_ok(mut cmd: Command) {
    let status = cmd.status().expect("starting a process");
    assert!(status.success(), "{cmd:?} failed with {status}");
}

pub fn run(yoi: &Path, floor: &Path, report: &mut Report) -> anyhow::Result<()> {
    let env = Env::new()?;
    let ws = env.root.join("ws");
    echo_workspace(&ws);
    let ws100 = env.root.join("ws100");
    write_workspace(&ws100, &echo_copies(100));
    trust_workspace(&ws, &env.root.join("config"));
    trust_workspace(&ws100, &env.root.join("config"));
    let ws = ws.to_str().context("a UTF-8 temporary path")?;
    let ws100 = ws100.to_str().context("a UTF-8 temporary path")?;

    let t = slow(21, || env.yoi(yoi, &["--version"]), run_ok);
    report.add("yoi_process_start", Figure::Time(t), None, &[]);

    let listing = env
        .yoi(yoi, &["--workspace", ws100, "plugin", "list"])
        .stdout(Stdio::piped())
        .output()?;
    let rows = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter(|l| l.contains("project:echo-") && l.contains("active"))
        .count();
    ensure!(
        listing.status.success() && rows == 100,
        "`yoi plugin list` over 100 packages listed {rows} active plugins"
    );
    let t = slow(
        21,
        || env.yoi(yoi, &["--workspace", ws100, "plugin", "list"]),
        run_ok,
    );
    report.add(
        "list_100_packages",
        Figure::Time(t),
        Some("yoi_process_start"),
        &[],
    );

    let small = echo_input(100);
    let floor_cmd = || {
        let mut cmd = Command::new(floor);
        cmd.stderr(Stdio::null());
        cmd
    };
    let rmcp = floor.with_file_name("mcp-floor-rmcp");
    let rmcp_cmd = || {
        let mut cmd = Command::new(&rmcp);
        cmd.stderr(Stdio::null());
        cmd
    };
    let rmcp_single_cmd = || {
        let mut cmd = rmcp_cmd();
        cmd.arg("--current-thread");
        cmd
    };
    let mcp_cmd = || env.yoi(yoi, &["--workspace", ws, "mcp"]);
    let roundtrips: [Server; 4] = [
        ("mcp_stdio_floor", &floor_cmd, None, &[]),
        (
            "mcp_stdio_rmcp_floor",
            &rmcp_cmd,
            Some("mcp_stdio_floor"),
            &[],
        ),
        (
            "mcp_stdio_rmcp_floor_current_thread",
            &rmcp_single_cmd,
            Some("mcp_stdio_floor"),
            &[],
        ),
        (
            "mcp_stdio_roundtrip",
            &mcp_cmd,
            Some("mcp_stdio_floor"),
            &["mcp_stdio_rmcp_floor"],
        ),
    ];
    for (name, make, baseline, also) in roundtrips {
        let mut client = StdioClient::spawn(make())?;
        client.initialize()?;
        let arguments: serde_json::Value = serde_json::from_str(&small)?;
        let result = client.request(
            "tools/call",
            json!({"name": "echo", "arguments": arguments}),
        )?;
        ensure!(
            result["structuredContent"] == arguments,
            "{name}: unexpected reply {result}"
        );
        let t = fast(|| client.call_tool("echo", &small).expect("tools/call"));
        report.add(name, Figure::Time(t), baseline, also);
        client.close()?;
    }

    for (name, make, baseline) in [
        (
            "mcp_startup_floor",
            &floor_cmd as &dyn Fn() -> Command,
            None,
        ),
        ("mcp_startup", &mcp_cmd, Some("mcp_startup_floor")),
    ] {
        let t = slow(15, make, |cmd| {
            let mut client = StdioClient::spawn(cmd).expect("starting the server");
            client.initialize().expect("initialize");
            let tools = client.request("tools/list", json!({})).expect("tools/list");
            assert!(
                tools["tools"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t["name"] == "echo")),
                "{name}: no echo in {tools}"
            );
            client
        });
        report.add(name, Figure::Time(t), baseline, &[]);
    }
    Ok(())
}
