//! `yoi-bench`: every measurement of the performance report in one run.
//!
//! `cargo xtask bench` builds the release binaries and the Extism baseline,
//! then runs `yoi-bench run`; see `docs/performance.md` for what each figure
//! means. `yoi-bench idle-rss` is the child process that the memory figure
//! is read from, so that nothing else the run did is in it.

mod calls;
mod concurrency;
mod process;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use yoi_bench::report::{self, Figure, Report};

#[derive(Debug, Parser)]
#[command(name = "yoi-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every benchmark and report.
    Run(RunArgs),
    /// (Child process) hold `--count` idle instances and print RSS figures.
    IdleRss {
        #[arg(long)]
        count: usize,
    },
    /// Run one path in a loop for `--secs`, for a profiler to watch:
    /// `perf record -g target/release/yoi-bench profile warm-call`.
    Profile {
        #[arg(value_enum)]
        path: calls::Path,
        #[arg(long, default_value_t = 5)]
        secs: u64,
        /// The release `yoi` binary (for `mcp`).
        #[arg(long)]
        yoi: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The release `yoi` binary (for the whole-process figures).
    #[arg(long)]
    yoi: PathBuf,
    /// The `mcp-floor` binary.
    #[arg(long)]
    floor: PathBuf,
    /// Extism results written by `bench/extism`'s `extism-bench`.
    #[arg(long)]
    extism: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the Markdown tables here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Run only these groups (comma-separated); all by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Group>,
}

/// The groups of measurements, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Group {
    /// Native and bare-wasmtime baselines.
    Baselines,
    /// yoi's warm and fresh calls.
    Calls,
    /// The Extism figures (needs `--extism`).
    Extism,
    /// Compiled-cache load vs compile.
    Loads,
    /// `plugin list` and MCP over stdio, as processes.
    Processes,
    /// Throughput and idle-instance memory.
    Concurrency,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run(args) => run(args),
        Command::IdleRss { count } => concurrency::idle_rss_child(count),
        Command::Profile { path, secs, yoi } => {
            calls::profile(path, std::time::Duration::from_secs(secs), yoi.as_deref())
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let load_before = loadavg();
    let mut report = Report::default();
    let on = |g: Group| args.only.is_empty() || args.only.contains(&g);
    if on(Group::Baselines) {
        eprintln!("baselines: native and bare wasmtime");
        calls::baselines(&rt, &mut report)?;
    }
    if on(Group::Calls) {
        eprintln!("yoi: calls through the registry and session");
        calls::yoi(&rt, &mut report)?;
        calls::history(&mut report)?;
    }
    if let Some(path) = args.extism.as_deref().filter(|_| on(Group::Extism)) {
        eprintln!("the peer: Extism (measured by extism-bench)");
        extism(path, &mut report)?;
    }
    if on(Group::Loads) {
        eprintln!("cold start: compiled cache vs compiling");
        calls::loads(&mut report)?;
    }
    if on(Group::Processes) {
        eprintln!("whole processes: plugin list, MCP over stdio");
        process::run(&args.yoi, &args.floor, &mut report)?;
    }
    if on(Group::Concurrency) {
        eprintln!("concurrency and memory");
        concurrency::run(&rt, &mut report)?;
    }

    let mut machine = report::machine();
    machine["loadavg_before"] = load_before.into();
    machine["loadavg_after"] = loadavg().into();
    let json = report.to_json(machine);
    let table = report.table();
    eprintln!("\n{table}");
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&json)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, &table).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Merge the Extism figures, with the baselines they are read against.
fn extism(path: &std::path::Path, report: &mut Report) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let results: Vec<serde_json::Value> = serde_json::from_str(&text)?;
    for r in results {
        let name = r["name"]
            .as_str()
            .context("an Extism result without a name")?;
        let ns = r["median_ns"]
            .as_f64()
            .context("an Extism result without a time")?;
        let baseline = match name {
            "extism_warm_call_small" => Some("native_echo_small"),
            "extism_warm_call_64k" => Some("native_echo_64k"),
            _ => Some("extism_warm_call_small"),
        };
        report.add(name, Figure::Time(ns), baseline, &[]);
    }
    Ok(())
}

/// The 1-minute load average, to show how busy the machine was.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
