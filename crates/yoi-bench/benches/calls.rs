//! `cargo bench -p yoi-bench`: each yoi path next to its baseline in one run.
//!
//! Criterion's view of the in-process paths; `cargo xtask bench` runs the
//! full report (with Extism, MCP and process figures) through the
//! `yoi-bench` binary instead.
//!
//! - `native_echo_small`: the echo work as plain Rust (the floor).
//! - `wasmtime_raw_warm` / `wasmtime_raw_fresh_pooling`: bare wasmtime (the engine's limit).
//! - `warm_call_small` / `warm_call_64k`: registry + session + durable history, warm instance.
//! - `warm_call_small_no_history`: the same without history.
//! - `fresh_instance_call`: a new store and instance for every call.
//! - `cached_load` vs `compile_load`: loading from the compiled cache in a new
//!   engine vs compiling from scratch.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use yoi_bench::raw::{Alloc, Flavor, RawEngine};
use yoi_bench::{Bench, echo_input, fixture, native_echo, runtime};

fn calls(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let small = echo_input(100);
    let big = echo_input(64 * 1024);

    c.bench_function("native_echo_small", |b| {
        b.iter(|| native_echo(black_box(&small)))
    });

    let package = fixture("echo");
    let bare = RawEngine::new(package.artifact(), Flavor::Bare, Alloc::OnDemand).unwrap();
    let mut instance = bare.instantiate().unwrap();
    c.bench_function("wasmtime_raw_warm", |b| {
        b.iter(|| instance.call(black_box(&small)).unwrap())
    });
    let pooled = RawEngine::new(package.artifact(), Flavor::Bare, Alloc::Pooling).unwrap();
    c.bench_function("wasmtime_raw_fresh_pooling", |b| {
        b.iter(|| {
            pooled
                .instantiate()
                .unwrap()
                .call(black_box(&small))
                .unwrap()
        })
    });

    let with_history = Bench::new(true);
    c.bench_function("warm_call_small", |b| {
        b.to_async(&rt).iter(|| async {
            with_history
                .session
                .call("echo", black_box(&small))
                .await
                .result
                .unwrap()
        })
    });
    c.bench_function("warm_call_64k", |b| {
        b.to_async(&rt).iter(|| async {
            with_history
                .session
                .call("echo", black_box(&big))
                .await
                .result
                .unwrap()
        })
    });
    let no_history = Bench::new(false);
    c.bench_function("warm_call_small_no_history", |b| {
        b.to_async(&rt).iter(|| async {
            no_history
                .session
                .call("echo", black_box(&small))
                .await
                .result
                .unwrap()
        })
    });

    let cache = tempfile::tempdir().unwrap();
    let runtime_warm = runtime(cache.path());
    let plugin = runtime_warm
        .load("project:echo", &package, Default::default())
        .unwrap();
    c.bench_function("fresh_instance_call", |b| {
        b.to_async(&rt)
            .iter(|| async { plugin.call_fresh("echo", black_box(&small)).await.unwrap() })
    });

    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("cached_load", |b| {
        b.iter_batched(
            || runtime(cache.path()),
            |r| {
                r.load("project:echo", &package, Default::default())
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("compile_load", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                (runtime(dir.path()), dir)
            },
            |(r, _dir)| {
                r.load("project:echo", &package, Default::default())
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, calls);
criterion_main!(benches);
