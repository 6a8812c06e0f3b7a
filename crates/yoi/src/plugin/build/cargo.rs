//! Running cargo for a plugin project: the wasm target, the build with a
//! progress line, and cargo's own output when it fails.
//!
//! Cargo's machine-readable messages (stdout) say which crates are done and
//! which file is the component; its human output (stderr, with the
//! compiler's diagnostics rendered as usual) is kept, bounded, to be shown
//! as is when the build fails or warns.

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use parking_lot::Mutex;

use super::TARGET;
use crate::output::{self, hinted};

/// Most of cargo's stderr kept to show after a failure: the end, where the
/// errors and `could not compile` are.
const MAX_KEPT_OUTPUT: usize = 1 << 20;

/// Add the wasm target through rustup when it is not installed.
pub(super) fn ensure_target(dir: &Path) -> anyhow::Result<()> {
    let listed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output();
    let installed = match listed {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => {
            return Err(hinted(
                format!(
                    "`rustup target list --installed` failed: {}",
                    yoi_manifest::bounded(String::from_utf8_lossy(&out.stderr).trim(), 2000)
                ),
                format!("fix rustup, or run `rustup target add {TARGET}` yourself"),
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            output::stderr!(
                "note: rustup was not found; assuming the Rust standard library for `{TARGET}` is installed"
            );
            return Ok(());
        }
        Err(e) => return Err(e).context("cannot run `rustup`"),
    };
    if installed.lines().any(|l| l.trim() == TARGET) {
        return Ok(());
    }
    output::stderr!(
        "the `{TARGET}` target is not installed; adding it: rustup target add {TARGET}"
    );
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .context("cannot run `rustup target add`")?;
    if !status.success() {
        return Err(hinted(
            format!("`rustup target add {TARGET}` failed ({status})"),
            "see rustup's message above; yoi plugins are built for this target",
        ));
    }
    Ok(())
}

/// Run `cargo build --release --target wasm32-wasip2` for the package at
/// `cargo_toml`. Returns the component it built, or `None` after showing
/// why cargo failed.
pub(super) fn build(dir: &Path, cargo_toml: &Path, id: &str) -> anyhow::Result<Option<PathBuf>> {
    let tty = std::io::stderr().is_terminal();
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&program);
    cmd.args(["build", "--release", "--target", TARGET])
        .arg("--manifest-path")
        .arg(cargo_toml)
        .arg("--message-format=json-render-diagnostics")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if tty {
        cmd.arg("--color=always");
    }
    let mut child = cmd.spawn().map_err(|e| {
        hinted(
            format!("cannot run `{}`: {e}", program.to_string_lossy()),
            "install Rust with rustup (https://rustup.rs), then run `yoi plugin build` again",
        )
    })?;
    let progress = Progress::start(id, tty);

    let stderr = child.stderr.take().expect("piped");
    let status_line = progress.state.clone();
    let kept = std::thread::spawn(move || {
        let mut kept = Tail::default();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let plain = strip_ansi(&line);
            let word = plain.trim_start();
            if [
                "Compiling",
                "Downloading",
                "Downloaded",
                "Updating",
                "Locking",
                "Blocking",
            ]
            .iter()
            .any(|verb| word.starts_with(verb))
            {
                status_line.lock().current = yoi_manifest::bounded(word, 60);
            }
            kept.push(line);
        }
        kept
    });

    let own_manifest = std::fs::canonicalize(cargo_toml).ok();
    let mut artifact = None;
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        progress.state.lock().compiled += 1;
        let ours = message["manifest_path"]
            .as_str()
            .and_then(|p| std::fs::canonicalize(p).ok())
            .is_some_and(|p| Some(p) == own_manifest);
        let cdylib = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "cdylib"));
        if ours && cdylib {
            artifact = message["filenames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
                .find(|f| f.ends_with(".wasm"))
                .map(PathBuf::from);
        }
    }
    let status = child.wait().context("cargo did not finish")?;
    let kept = kept.join().unwrap_or_default();
    let elapsed = progress.finish();

    if !status.success() {
        kept.show();
        output::stderr!("error: building `{id}` failed: cargo exited with {status}");
        output::stderr!("hint: fix what cargo reports above, then run this again");
        return Ok(None);
    }
    if kept.has_warnings() {
        kept.show();
    }
    let artifact = artifact.ok_or_else(|| {
        hinted(
            format!(
                "cargo built no `.wasm` library from `{}`",
                cargo_toml.display()
            ),
            "a component is a library: set `crate-type = [\"cdylib\"]` in `[lib]` of Cargo.toml",
        )
    })?;
    output::stderr!(
        "built `{}` in {:.1}s",
        artifact.display(),
        elapsed.as_secs_f64()
    );
    Ok(Some(artifact))
}

/// The last [`MAX_KEPT_OUTPUT`] bytes of cargo's stderr, by lines.
#[derive(Default)]
struct Tail {
    lines: VecDeque<String>,
    bytes: usize,
    dropped: bool,
}

impl Tail {
    fn push(&mut self, line: String) {
        self.bytes += line.len() + 1;
        self.lines.push_back(line);
        while self.bytes > MAX_KEPT_OUTPUT {
            let Some(old) = self.lines.pop_front() else {
                break;
            };
            self.bytes -= old.len() + 1;
            self.dropped = true;
        }
    }

    fn has_warnings(&self) -> bool {
        self.lines
            .iter()
            .any(|l| strip_ansi(l).starts_with("warning"))
    }

    fn show(&self) {
        let mut err = std::io::stderr().lock();
        if self.dropped {
            let _ = writeln!(err, "[... earlier cargo output cut ...]");
        }
        for line in &self.lines {
            let _ = writeln!(err, "{line}");
        }
    }
}

/// `text` without ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Default)]
struct State {
    current: String,
    compiled: usize,
}

/// One line on stderr while cargo runs: redrawn in place on a terminal,
/// a start and an end line otherwise (logs stay readable).
struct Progress {
    state: Arc<Mutex<State>>,
    started: Instant,
    stop: Arc<AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn start(id: &str, tty: bool) -> Progress {
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let ticker = if tty {
            let (state, stop, id) = (state.clone(), stop.clone(), id.to_owned());
            Some(std::thread::spawn(move || {
                const SPIN: [char; 4] = ['|', '/', '-', '\\'];
                let mut tick = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let line = {
                        let s = state.lock();
                        format!(
                            "{} building {id} for {TARGET}: {} crates done, {}s  {}",
                            SPIN[tick % SPIN.len()],
                            s.compiled,
                            started.elapsed().as_secs(),
                            s.current
                        )
                    };
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K{}", output::printable(&line));
                    let _ = err.flush();
                    drop(err);
                    tick += 1;
                    std::thread::sleep(Duration::from_millis(120));
                }
                let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
            }))
        } else {
            output::stderr!(
                "building {id}: cargo build --release --target {TARGET} (cargo's output is shown if it fails)"
            );
            None
        };
        Progress {
            state,
            started,
            stop,
            ticker,
        }
    }

    /// Clear the line; returns how long the build took.
    fn finish(mut self) -> Duration {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_sequences_are_stripped() {
        assert_eq!(
            strip_ansi("\u{1b}[1m\u{1b}[32m   Compiling\u{1b}[0m serde"),
            "   Compiling serde"
        );
        assert_eq!(strip_ansi("plain"), "plain");
    }

    #[test]
    fn the_tail_keeps_the_end() {
        let mut tail = Tail::default();
        for i in 0..(MAX_KEPT_OUTPUT / 10 + 100) {
            tail.push(format!("line {i:04}"));
        }
        assert!(tail.dropped);
        assert!(tail.bytes <= MAX_KEPT_OUTPUT);
        assert!(tail.lines.back().unwrap().starts_with("line"));
        assert!(!tail.has_warnings());
        tail.push("\u{1b}[33mwarning\u{1b}[0m: unused variable".into());
        assert!(tail.has_warnings());
    }
}
