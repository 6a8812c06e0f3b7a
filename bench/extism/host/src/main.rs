//! The Extism peer: the echo plugin (`bench/extism/guest`) run by the
//! `extism` host crate, timed with the same method as `yoi-bench`.
//!
//! `extism-bench GUEST.wasm` prints a JSON array of `{"name", "median_ns"}`
//! on stdout; `cargo xtask bench` hands it to `yoi-bench`, which puts it in
//! the one report next to yoi's figures.
//!
//! - `extism_warm_call_small`: one plugin, called again and again.
//! - `extism_warm_call_64k`: the same with a 64 KiB input.
//! - `extism_fresh_call`: a new plugin (store and instance) per call, from a
//!   `CompiledPlugin` made once, so compilation is not counted.
//! - `extism_pool_call_small`: a call through `extism::Pool` (check out,
//!   call, return).

use std::hint::black_box;
use std::time::{Duration, Instant};

use extism::{CompiledPlugin, Plugin, PluginBuilder, Pool, PoolBuilder};

fn main() {
    let path = std::env::args_os()
        .nth(1)
        .expect("usage: extism-bench GUEST.wasm");
    let wasm = std::fs::read(&path).expect("reading the guest");
    let compiled = CompiledPlugin::new(
        PluginBuilder::new(extism::Manifest::new([extism::Wasm::data(wasm)]))
            .with_wasi(false)
            .with_cache_disabled(),
    )
    .expect("compiling the guest");
    let small = echo_input(100);
    let big = echo_input(64 * 1024);
    let mut results = Vec::new();

    let mut plugin = Plugin::new_from_compiled(&compiled).expect("plugin");
    check(&mut plugin, &small);
    results.push(("extism_warm_call_small", fast(|| call(&mut plugin, &small))));
    results.push(("extism_warm_call_64k", fast(|| call(&mut plugin, &big))));
    results.push((
        "extism_fresh_call",
        fast(|| {
            let mut p = Plugin::new_from_compiled(&compiled).expect("plugin");
            call(&mut p, &small)
        }),
    ));
    let source = compiled.clone();
    let pool: Pool = PoolBuilder::new()
        .with_max_instances(2)
        .build(move || Plugin::new_from_compiled(&source));
    results.push((
        "extism_pool_call_small",
        fast(|| {
            let mut p = pool
                .get(Duration::from_secs(1))
                .expect("pool")
                .expect("a pooled plugin");
            black_box(p.call::<&str, String>("echo", &small).expect("echo").len())
        }),
    ));

    let out: Vec<serde_json::Value> = results
        .into_iter()
        .map(|(name, ns)| serde_json::json!({ "name": name, "median_ns": ns }))
        .collect();
    println!("{}", serde_json::Value::Array(out));
}

fn call(plugin: &mut Plugin, input: &str) -> usize {
    let out: &str = plugin.call("echo", black_box(input)).expect("echo");
    black_box(out.len())
}

fn check(plugin: &mut Plugin, input: &str) {
    let out: &str = plugin.call("echo", input).expect("echo");
    let v: serde_json::Value = serde_json::from_str(out).expect("JSON output");
    let i: serde_json::Value = serde_json::from_str(input).expect("JSON input");
    assert_eq!(v, i, "the Extism echo must echo");
}

/// `{"text": "xxx..."}` of about `bytes` bytes; the same as `yoi_bench::echo_input`.
fn echo_input(bytes: usize) -> String {
    serde_json::json!({ "text": "x".repeat(bytes.saturating_sub(12)) }).to_string()
}

/// Median time per call in ns: batches sized to about 1 ms, 0.3 s of warm-up,
/// then up to 1.5 s (or 101 batches) of samples. The same method as
/// `yoi_bench::harness::fast`.
fn fast<R>(mut f: impl FnMut() -> R) -> f64 {
    let mut batch = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        if t.elapsed() >= Duration::from_millis(1) || batch >= 1 << 20 {
            break;
        }
        batch *= 2;
    }
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(300) {
        black_box(f());
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 101
        && (samples.len() < 11 || start.elapsed() < Duration::from_millis(1500))
    {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        samples.push(t.elapsed().as_nanos() as f64 / batch as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
