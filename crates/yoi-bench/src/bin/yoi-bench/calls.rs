//! In-process call paths: the floors, bare wasmtime, yoi, and loading.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use tokio::runtime::Runtime as Tokio;
use yoi_bench::harness::{fast, fast_async, slow};
use yoi_bench::raw::{Alloc, Flavor, RawEngine};
use yoi_bench::report::{Figure, Report};
use yoi_bench::{Bench, echo_input, fixture, native_echo, runtime};

const SMALL: usize = 100;
const BIG: usize = 64 * 1024;

fn same_json(a: &str, b: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(a).ok()
        == serde_json::from_str::<serde_json::Value>(b).ok()
}

/// `native_echo_*` and `wasmtime_raw_*`.
pub fn baselines(rt: &Tokio, report: &mut Report) -> anyhow::Result<()> {
    let small = echo_input(SMALL);
    let big = echo_input(BIG);
    ensure!(same_json(&native_echo(&small), &small), "native echo");
    let t = fast(|| native_echo(black_box(&small)));
    report.add("native_echo_small", Figure::Time(t), None, &[]);
    let t = fast(|| native_echo(black_box(&big)));
    report.add("native_echo_64k", Figure::Time(t), None, &[]);

    let package = fixture("echo");
    let artifact = package.artifact();
    let bare = RawEngine::new(artifact, Flavor::Bare, Alloc::OnDemand)?;
    let mut instance = bare.instantiate()?;
    ensure!(
        same_json(&instance.echo_text(&small)?, &small),
        "bare wasmtime echo"
    );
    let t = fast(|| instance.call(black_box(&small)).expect("echo"));
    report.add(
        "wasmtime_raw_warm",
        Figure::Time(t),
        Some("native_echo_small"),
        &[],
    );
    let t = fast(|| instance.call(black_box(&big)).expect("echo"));
    report.add(
        "wasmtime_raw_warm_64k",
        Figure::Time(t),
        Some("native_echo_64k"),
        &[],
    );
    let pooled = RawEngine::new(artifact, Flavor::Bare, Alloc::Pooling)?;
    let t = fast(|| {
        let mut i = pooled.instantiate().expect("instance");
        i.call(black_box(&small)).expect("echo")
    });
    report.add(
        "wasmtime_raw_fresh_pooling",
        Figure::Time(t),
        Some("wasmtime_raw_warm"),
        &[],
    );
    let t = fast(|| {
        let mut i = bare.instantiate().expect("instance");
        i.call(black_box(&small)).expect("echo")
    });
    report.add(
        "wasmtime_raw_fresh_ondemand",
        Figure::Time(t),
        Some("wasmtime_raw_fresh_pooling"),
        &[],
    );

    let like = RawEngine::new(artifact, Flavor::YoiLike, Alloc::OnDemand)?;
    let like_pooled = RawEngine::new(artifact, Flavor::YoiLike, Alloc::Pooling)?;
    rt.block_on(async {
        let mut instance = like.instantiate_async().await?;
        let t =
            fast_async(async || instance.call_async(black_box(&small)).await.expect("echo")).await;
        report.add(
            "wasmtime_raw_warm_async",
            Figure::Time(t),
            Some("wasmtime_raw_warm"),
            &[],
        );
        let t = fast_async(async || {
            let mut i = like_pooled.instantiate_async().await.expect("instance");
            i.call_async(black_box(&small)).await.expect("echo")
        })
        .await;
        report.add(
            "wasmtime_raw_fresh_pooling_async",
            Figure::Time(t),
            Some("wasmtime_raw_fresh_pooling"),
            &[],
        );
        let t = fast_async(async || {
            let mut i = like.instantiate_async().await.expect("instance");
            i.call_async(black_box(&small)).await.expect("echo")
        })
        .await;
        report.add(
            "wasmtime_raw_fresh_ondemand_async",
            Figure::Time(t),
            Some("wasmtime_raw_fresh_pooling"),
            &[],
        );
        anyhow::Ok(())
    })
}

/// `warm_call_*` and `fresh_instance_call`.
pub fn yoi(rt: &Tokio, report: &mut Report) -> anyhow::Result<()> {
    let small = echo_input(SMALL);
    let big = echo_input(BIG);
    let with_history = Bench::new(true);
    let no_history = Bench::new(false);
    let package = fixture("echo");
    let cache = tempfile::tempdir()?;
    let plugin = runtime(cache.path()).load("project:echo", &package, Default::default())?;
    rt.block_on(async {
        let out = with_history.session.call("echo", &small).await.result?;
        let json = out.json().context("echo returned no JSON")?;
        ensure!(
            *json == serde_json::from_str::<serde_json::Value>(&small)?,
            "yoi echo"
        );

        let t = fast_async(async || {
            with_history
                .session
                .call("echo", black_box(&small))
                .await
                .result
                .expect("echo")
        })
        .await;
        report.add(
            "warm_call_small",
            Figure::Time(t),
            Some("native_echo_small"),
            &["extism_warm_call_small", "wasmtime_raw_warm"],
        );
        let t = fast_async(async || {
            with_history
                .session
                .call("echo", black_box(&big))
                .await
                .result
                .expect("echo")
        })
        .await;
        report.add(
            "warm_call_64k",
            Figure::Time(t),
            Some("native_echo_64k"),
            &["extism_warm_call_64k", "wasmtime_raw_warm_64k"],
        );
        let t = fast_async(async || {
            no_history
                .session
                .call("echo", black_box(&small))
                .await
                .result
                .expect("echo")
        })
        .await;
        report.add(
            "warm_call_small_no_history",
            Figure::Time(t),
            Some("wasmtime_raw_warm"),
            &["wasmtime_raw_warm_async", "native_echo_small"],
        );
        let t = fast_async(async || {
            plugin
                .call_fresh("echo", black_box(&small))
                .await
                .expect("echo")
        })
        .await;
        report.add(
            "fresh_instance_call",
            Figure::Time(t),
            Some("wasmtime_raw_fresh_pooling"),
            &["extism_fresh_call", "wasmtime_raw_fresh_ondemand_async"],
        );
        anyhow::Ok(())
    })
}

/// What one durable history event costs on its own (`history_append`),
/// next to one `write` of the same bytes to an append-only file
/// (`file_append`): the floor for any history that is on disk before the
/// caller hears the outcome; and what it costs sustained, with the writer
/// thread committing to SQLite (`history_sustained`).
pub fn history(report: &mut Report) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let history = yoi_history::History::open(&dir.path().join("history.db"))?;
    let small = echo_input(SMALL);
    let event = yoi_history::Event {
        tool: Some("echo"),
        plugin: Some("project:echo"),
        output: Some(&small),
        duration_us: Some(3),
        ..yoi_history::Event::new("bench", yoi_history::EventKind::ToolResult)
    };
    let t = fast(|| history.append(black_box(&event)).expect("append"));
    report.add("history_append", Figure::Time(t), None, &[]);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("history.log"))?;
    let line = format!("{{\"session\":\"bench\",\"kind\":\"tool_result\",\"output\":{small}}}\n");
    let t = fast(|| {
        use std::io::Write as _;
        file.write_all(black_box(line.as_bytes())).expect("write")
    });
    report.add("file_append", Figure::Time(t), Some("history_append"), &[]);

    // Sustained: what one event costs once the writer thread has to keep
    // up, i.e. appends until every event is in SQLite (`count` waits for the
    // writer), per event. This is the ceiling history puts on calls.
    const SUSTAINED: u32 = 100_000;
    let t = slow(
        5,
        || {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let h = yoi_history::History::open(&dir.path().join("history.db")).expect("history");
            (h, dir)
        },
        |(h, dir)| {
            for _ in 0..SUSTAINED {
                h.append(black_box(&event)).expect("append");
            }
            assert!(h.count().expect("count") >= i64::from(SUSTAINED));
            (h, dir)
        },
    ) / f64::from(SUSTAINED);
    report.add(
        "history_sustained",
        Figure::Time(t),
        Some("history_append"),
        &[],
    );
    Ok(())
}

/// `cached_load` and `compile_load`: a new engine each time, then loading
/// `echo` from a warm compiled cache, or compiling it into an empty one.
/// Creating the engine is not timed; materialising and checking the package
/// and writing the cache entry are.
pub fn loads(report: &mut Report) -> anyhow::Result<()> {
    let package = fixture("echo");
    let cache = tempfile::tempdir()?;
    runtime(cache.path()).load("project:echo", &package, Default::default())?;
    let t = slow(
        21,
        || runtime(cache.path()),
        |r| {
            let p = r
                .load("project:echo", &package, Default::default())
                .expect("load");
            assert_eq!(p.load_source(), yoi_runtime::LoadSource::Cache);
            p
        },
    );
    report.add("cached_load", Figure::Time(t), None, &[]);
    let t = slow(
        11,
        || {
            let dir = tempfile::tempdir().expect("a temporary directory");
            (runtime(dir.path()), dir)
        },
        |(r, dir)| {
            let p = r
                .load("project:echo", &package, Default::default())
                .expect("load");
            assert_eq!(p.load_source(), yoi_runtime::LoadSource::Compiled);
            (p, dir)
        },
    );
    report.add("compile_load", Figure::Time(t), Some("cached_load"), &[]);
    Ok(())
}

/// A path [`profile`] can loop on.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Path {
    /// `warm_call_small`.
    WarmCall,
    /// `warm_call_small_no_history`.
    WarmCallNoHistory,
    /// `fresh_instance_call`.
    Fresh,
    /// `cached_load` (a new runtime per load is not counted).
    CachedLoad,
    /// `mcp_stdio_roundtrip` (profile the `yoi` process, e.g. `perf record -a`).
    Mcp,
}

/// Run `path` back to back for `length`, then print the calls made.
pub fn profile(path: Path, length: Duration, yoi: Option<&std::path::Path>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let small = echo_input(SMALL);
    let start = Instant::now();
    let mut calls = 0u64;
    match path {
        Path::WarmCall | Path::WarmCallNoHistory => {
            let bench = Bench::new(matches!(path, Path::WarmCall));
            rt.block_on(async {
                while start.elapsed() < length {
                    bench.session.call("echo", &small).await.result?;
                    calls += 1;
                }
                anyhow::Ok(())
            })?;
        }
        Path::Fresh => {
            let cache = tempfile::tempdir()?;
            let plugin =
                runtime(cache.path()).load("project:echo", &fixture("echo"), Default::default())?;
            rt.block_on(async {
                while start.elapsed() < length {
                    plugin.call_fresh("echo", &small).await?;
                    calls += 1;
                }
                anyhow::Ok(())
            })?;
        }
        Path::CachedLoad => {
            let cache = tempfile::tempdir()?;
            let package = fixture("echo");
            let rt = runtime(cache.path());
            rt.load("project:echo", &package, Default::default())?;
            while start.elapsed() < length {
                let plugin = rt.load("project:echo", &package, Default::default())?;
                anyhow::ensure!(plugin.load_source() == yoi_runtime::LoadSource::Cache);
                calls += 1;
            }
        }
        Path::Mcp => {
            let yoi = yoi.context("`--yoi` is needed for `mcp`")?;
            let dir = tempfile::tempdir()?;
            let ws = dir.path().join("ws");
            yoi_bench::fixtures::echo_workspace(&ws);
            yoi_bench::fixtures::trust_workspace(&ws, &dir.path().join("config"));
            let mut cmd = std::process::Command::new(yoi);
            cmd.arg("--workspace")
                .arg(&ws)
                .arg("mcp")
                .env("XDG_CACHE_HOME", dir.path().join("cache"))
                .env("XDG_CONFIG_HOME", dir.path().join("config"));
            let mut client = yoi_bench::client::StdioClient::spawn(cmd)?;
            client.initialize()?;
            eprintln!("calling `yoi mcp` (pid {})", client.id());
            while start.elapsed() < length {
                client.call_tool("echo", &small)?;
                calls += 1;
            }
            client.close()?;
        }
    }
    eprintln!(
        "{calls} calls in {:.1?}: {} each",
        start.elapsed(),
        yoi_bench::report::time(start.elapsed().as_nanos() as f64 / calls.max(1) as f64)
    );
    Ok(())
}
