//! Concurrency: calls per second with 1, 2 and 8 concurrent callers, and
//! the memory that 1000 idle instances take.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::runtime::Runtime as Tokio;
use yoi_bench::harness::median;
use yoi_bench::raw::{Alloc, Flavor, RawEngine};
use yoi_bench::report::{Figure, Report};
use yoi_bench::{Bench, echo_input, fixture};
use yoi_tools::Session;

const ROUNDS: usize = 5;
const ROUND: Duration = Duration::from_millis(400);
const IDLE: usize = 1000;

pub fn run(rt: &Tokio, report: &mut Report) -> anyhow::Result<()> {
    for (history, suffix) in [(true, ""), (false, "_no_history")] {
        let bench = Bench::new(history);
        for callers in [1, 2, 8] {
            let figure = throughput(rt, &bench.session, callers);
            let name = format!("throughput_{callers}{suffix}");
            let base = format!("throughput_1{suffix}");
            report.add(&name, figure, (callers > 1).then_some(&*base), &[]);
        }
    }
    for threads in [1, 2] {
        let figure = native_throughput(threads);
        let base = (threads > 1).then_some("throughput_native_1");
        report.add(&format!("throughput_native_{threads}"), figure, base, &[]);
    }
    let engine = Arc::new(RawEngine::new(
        fixture("echo").artifact(),
        Flavor::YoiLike,
        Alloc::OnDemand,
    )?);
    for callers in [1, 2] {
        let figure = raw_throughput(rt, &engine, callers);
        let base = (callers > 1).then_some("throughput_raw_1");
        report.add(&format!("throughput_raw_{callers}"), figure, base, &[]);
    }
    idle_rss(report)
}

/// The native echo on `threads` OS threads: how far this machine scales at
/// the moment of the run (other load on a shared machine shows here first).
fn native_throughput(threads: usize) -> Figure {
    let input: Arc<str> = echo_input(100).into();
    let mut rates = Vec::new();
    let mut latencies = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let input = input.clone();
                std::thread::spawn(move || {
                    let mut calls = 0u64;
                    let t = Instant::now();
                    while t.elapsed() < ROUND {
                        std::hint::black_box(yoi_bench::native_echo(&input));
                        calls += 1;
                    }
                    (calls, t.elapsed().as_nanos() as f64 / calls as f64)
                })
            })
            .collect();
        let mut calls = 0;
        for h in handles {
            let (n, each) = h.join().expect("a thread panicked");
            calls += n;
            latencies.push(each);
        }
        rates.push(calls as f64 / start.elapsed().as_secs_f64());
    }
    Figure::Throughput {
        calls_per_sec: median(&mut rates),
        median_ns: median(&mut latencies),
    }
}

/// [`throughput`] for bare wasmtime with yoi's settings, each caller on its
/// own instance: how far the engine and this machine scale with nothing
/// shared between callers.
fn raw_throughput(rt: &Tokio, engine: &Arc<RawEngine>, callers: usize) -> Figure {
    let input: Arc<str> = echo_input(100).into();
    rt.block_on(async {
        let round = async |length: Duration| {
            let stop = Arc::new(AtomicBool::new(false));
            let start = Instant::now();
            let tasks: Vec<_> = (0..callers)
                .map(|_| {
                    let (engine, input, stop) = (engine.clone(), input.clone(), stop.clone());
                    tokio::spawn(async move {
                        let mut instance = engine.instantiate_async().await.expect("instance");
                        let mut latencies = Vec::new();
                        while !stop.load(Ordering::Relaxed) {
                            let t = Instant::now();
                            instance.call_async(&input).await.expect("echo");
                            latencies.push(t.elapsed().as_nanos() as f64);
                            // A call that never waits never yields; without
                            // this, busy workers would never run the timer
                            // that ends the round (yoi's calls yield at each
                            // epoch tick).
                            if latencies.len() % 64 == 0 {
                                tokio::task::yield_now().await;
                            }
                        }
                        latencies
                    })
                })
                .collect();
            tokio::time::sleep(length).await;
            stop.store(true, Ordering::Relaxed);
            let mut latencies = Vec::new();
            for task in tasks {
                latencies.extend(task.await.expect("a caller panicked"));
            }
            (
                latencies.len() as f64 / start.elapsed().as_secs_f64(),
                latencies,
            )
        };
        round(Duration::from_millis(200)).await;
        let mut rates = Vec::new();
        let mut latencies = Vec::new();
        for _ in 0..ROUNDS {
            let (rate, l) = round(ROUND).await;
            rates.push(rate);
            latencies.extend(l);
        }
        Figure::Throughput {
            calls_per_sec: median(&mut rates),
            median_ns: median(&mut latencies),
        }
    })
}

/// `callers` tasks on the runtime's two workers, each calling `echo`
/// back to back: the median over [`ROUNDS`] of total calls per second, and
/// the median latency of one call.
fn throughput(rt: &Tokio, session: &Session, callers: usize) -> Figure {
    let input: Arc<str> = echo_input(100).into();
    rt.block_on(async {
        let round = async |length: Duration| {
            let stop = Arc::new(AtomicBool::new(false));
            let start = Instant::now();
            let tasks: Vec<_> = (0..callers)
                .map(|_| {
                    let (session, input, stop) = (session.clone(), input.clone(), stop.clone());
                    tokio::spawn(async move {
                        let mut latencies = Vec::new();
                        while !stop.load(Ordering::Relaxed) {
                            let t = Instant::now();
                            session.call("echo", &input).await.result.expect("echo");
                            latencies.push(t.elapsed().as_nanos() as f64);
                        }
                        latencies
                    })
                })
                .collect();
            tokio::time::sleep(length).await;
            stop.store(true, Ordering::Relaxed);
            let mut latencies = Vec::new();
            for task in tasks {
                latencies.extend(task.await.expect("a caller panicked"));
            }
            (
                latencies.len() as f64 / start.elapsed().as_secs_f64(),
                latencies,
            )
        };
        round(Duration::from_millis(200)).await;
        let mut rates = Vec::new();
        let mut latencies = Vec::new();
        for _ in 0..ROUNDS {
            let (rate, l) = round(ROUND).await;
            rates.push(rate);
            latencies.extend(l);
        }
        Figure::Throughput {
            calls_per_sec: median(&mut rates),
            median_ns: median(&mut latencies),
        }
    })
}

/// Run [`idle_rss_child`] in a new process and record its figures.
fn idle_rss(report: &mut Report) -> anyhow::Result<()> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["idle-rss", "--count", &IDLE.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()?;
    anyhow::ensure!(out.status.success(), "the idle-rss child failed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let before = v["rss_before"].as_u64().context("rss_before")?;
    let peak = v["peak_after"].as_u64().context("peak_after")?;
    report.add(
        "idle_instances_0_rss_bytes",
        Figure::Bytes(before),
        None,
        &[],
    );
    report.add(
        "idle_instances_1000_rss_bytes",
        Figure::Bytes(peak),
        Some("idle_instances_0_rss_bytes"),
        &[],
    );
    eprintln!(
        "  ({:.1} KiB per idle instance)",
        (peak.saturating_sub(before)) as f64 / IDLE as f64 / 1024.0
    );
    Ok(())
}

/// The child: compile `echo` with yoi's engine settings, reset the peak, then
/// create `count` instances as yoi does (store state, limiter, epoch
/// callback), call each once so it is warm, and keep them all. Prints
/// `{"rss_before", "peak_after", "rss_after"}` in bytes.
///
/// yoi's `LoadedPlugin` keeps at most 16 idle instances and has no way to
/// hold more from outside, so the instances are made through
/// [`RawEngine`] with [`Flavor::YoiLike`], which mirrors yoi's settings.
pub fn idle_rss_child(count: usize) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let package = fixture("echo");
    let engine = RawEngine::new(package.artifact(), Flavor::YoiLike, Alloc::OnDemand)?;
    let input = echo_input(100);
    rt.block_on(async {
        let mut one = engine.instantiate_async().await?;
        one.call_async(&input).await?;
        drop(one);
        // Writing 5 to clear_refs resets VmHWM to the current RSS.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = status_bytes("VmRSS")?;
        let mut idle = Vec::with_capacity(count);
        for _ in 0..count {
            let mut i = engine.instantiate_async().await?;
            i.call_async(&input).await?;
            idle.push(i);
        }
        let peak = status_bytes("VmHWM")?;
        let after = status_bytes("VmRSS")?;
        println!(
            "{}",
            serde_json::json!({"rss_before": before, "peak_after": peak, "rss_after": after})
        );
        drop(idle);
        anyhow::Ok(())
    })
}

/// A `kB` field of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .with_context(|| format!("no {field} in /proc/self/status"))
}
