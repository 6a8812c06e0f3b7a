//! A temporary workspace with its own XDG directories (its trust store in
//! `config/`, never the user's), and helpers to run `yoi`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use yoi_test_support::TestManifest;

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        for d in ["ws", "data", "cache", "home"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Env { dir }
    }

    pub fn ws(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn yoi(&self, args: &[&str]) -> Run {
        self.yoi_stdin(args, None)
    }

    /// `yoi args` in the workspace, with only this environment's
    /// directories and piped stdio; not started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_yoi"));
        cmd.args(args)
            .current_dir(self.ws())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("YOI_BUILTIN_DIR", self.path("builtin"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    }

    /// Approve the workspace's config as written (`yoi trust --yes`), as a
    /// user does after editing it by hand.
    pub fn trust(&self) {
        let r = self.yoi(&["trust", "--yes"]);
        assert_eq!(r.code, 0, "yoi trust --yes: {}", r.stderr);
    }

    pub fn yoi_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        use std::io::Write;
        let mut child = self.command(args).spawn().unwrap();
        let mut pipe = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            pipe.write_all(s.as_bytes()).unwrap();
        }
        drop(pipe);
        let out: Output = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Replace temporary paths and digests so snapshots are stable.
    pub fn filters(&self) -> Vec<(String, String)> {
        vec![
            (
                regex_escape(&self.dir.path().display().to_string()),
                "[TMP]".into(),
            ),
            (r"sha256:[0-9a-f]{64}".into(), "sha256:[DIGEST]".into()),
            (r"sha256:[0-9a-f]{12}".into(), "sha256:[SHORT]".into()),
        ]
    }
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Write a plugin directory with a fake component artifact (never executed
/// by the inspection commands) and return it.
pub fn fake_plugin(
    root: &Path,
    id: &str,
    version: &str,
    tools: &[&str],
    requested: &[&str],
) -> PathBuf {
    let dir = root.join(format!("src-{id}-{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = tools
        .iter()
        .fold(
            TestManifest::component(id, "p.wasm")
                .version(version)
                .description("test plugin"),
            |m, t| m.tool(t, &format!("tool {t}")),
        )
        .requests_tools(requested, None);
    std::fs::write(dir.join("plugin.toml"), manifest.to_toml()).unwrap();
    // The version in the artifact gives each version its own digest.
    let mut wasm = b"\0asm\x0d\x00\x01\x00".to_vec();
    wasm.extend_from_slice(version.as_bytes());
    std::fs::write(dir.join("p.wasm"), wasm).unwrap();
    dir
}

pub use yoi_test_support::fixture_path as fixture;
