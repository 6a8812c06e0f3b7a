//! Results, their ratios to baselines, the targets, and the output:
//! the JSON report and a table.
//!
//! A ratio is always this entry's figure over its baseline's, measured in the
//! same run: time over time (below 1 is faster), calls per second over calls
//! per second for the `throughput_*` entries (above 1 is more), and bytes
//! over bytes for memory.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

/// What was measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    /// Median nanoseconds per operation.
    Time(f64),
    /// Calls per second over all callers, and the median latency of a call.
    Throughput { calls_per_sec: f64, median_ns: f64 },
    /// A memory figure in bytes.
    Bytes(u64),
}

impl Figure {
    fn ratio_to(&self, base: &Figure) -> Option<f64> {
        match (self, base) {
            (Figure::Time(a), Figure::Time(b)) => Some(a / b),
            (
                Figure::Throughput {
                    calls_per_sec: a, ..
                },
                Figure::Throughput {
                    calls_per_sec: b, ..
                },
            ) => Some(a / b),
            (Figure::Bytes(a), Figure::Bytes(b)) => Some(*a as f64 / *b as f64),
            _ => None,
        }
    }

    fn median_ns(&self) -> Option<f64> {
        match self {
            Figure::Time(ns) => Some(*ns),
            Figure::Throughput { median_ns, .. } => Some(*median_ns),
            Figure::Bytes(_) => None,
        }
    }

    fn show(&self) -> String {
        match self {
            Figure::Time(ns) => time(*ns),
            Figure::Throughput {
                calls_per_sec,
                median_ns,
            } => format!("{calls_per_sec:.0} calls/s ({} each)", time(*median_ns)),
            Figure::Bytes(b) => format!("{:.1} MiB", *b as f64 / (1 << 20) as f64),
        }
    }
}

/// A duration in ns, in the unit that reads best.
pub fn time(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} us", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// One named result.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub figure: Figure,
    /// The entry the ratio is taken against.
    pub baseline: Option<String>,
    /// Further entries it is compared with (as `ratios` in the JSON).
    pub also: Vec<String>,
}

/// A target from the issue.
#[derive(Debug, Clone)]
pub struct Target {
    /// What is compared: `a / b`, or a single figure.
    pub what: String,
    pub value: f64,
    pub op: &'static str,
    pub limit: f64,
    /// `x` for a ratio, `ms` for a time.
    pub unit: &'static str,
}

impl Target {
    pub fn met(&self) -> bool {
        match self.op {
            "<=" => self.value <= self.limit,
            _ => self.value >= self.limit,
        }
    }
}

/// Every result of a run.
#[derive(Debug, Default)]
pub struct Report {
    pub entries: Vec<Entry>,
}

impl Report {
    /// Record `name` with its baseline (and other comparisons).
    pub fn add(&mut self, name: &str, figure: Figure, baseline: Option<&str>, also: &[&str]) {
        eprintln!("  {name:<36} {}", figure.show());
        self.entries.push(Entry {
            name: name.to_owned(),
            figure,
            baseline: baseline.map(str::to_owned),
            also: also.iter().map(|s| (*s).to_owned()).collect(),
        });
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// `a`'s figure over `b`'s, if both were measured.
    pub fn ratio(&self, a: &str, b: &str) -> Option<f64> {
        self.get(a)?.figure.ratio_to(&self.get(b)?.figure)
    }

    /// The targets that this run can judge.
    pub fn targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        let mut ratio = |a: &str, b: &str, op: &'static str, limit: f64| {
            if let Some(value) = self.ratio(a, b) {
                out.push(Target {
                    what: format!("{a} / {b}"),
                    value,
                    op,
                    limit,
                    unit: "x",
                });
            }
        };
        ratio("warm_call_small", "native_echo_small", "<=", 20.0);
        ratio("warm_call_small", "extism_warm_call_small", "<=", 0.5);
        ratio("warm_call_small_no_history", "wasmtime_raw_warm", "<=", 1.5);
        ratio(
            "fresh_instance_call",
            "wasmtime_raw_fresh_pooling",
            "<=",
            1.5,
        );
        ratio("fresh_instance_call", "extism_fresh_call", "<=", 0.2);
        ratio("compile_load", "cached_load", ">=", 100.0);
        ratio("mcp_stdio_roundtrip", "mcp_stdio_floor", "<=", 1.3);
        ratio("throughput_2", "throughput_1", ">=", 1.7);
        if let Some(Figure::Time(ns)) = self.get("mcp_startup").map(|e| e.figure) {
            out.push(Target {
                what: "mcp_startup".to_owned(),
                value: ns / 1e6,
                op: "<=",
                limit: 50.0,
                unit: "ms",
            });
        }
        out
    }

    /// The JSON report: `{"machine", "results": [...], "targets": [...]}`.
    pub fn to_json(&self, machine: Value) -> Value {
        let results: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                let mut o = Map::new();
                o.insert("name".into(), json!(e.name));
                o.insert("median_ns".into(), json!(e.figure.median_ns()));
                o.insert("baseline".into(), json!(e.baseline));
                o.insert(
                    "ratio".into(),
                    json!(e.baseline.as_deref().and_then(|b| self.ratio(&e.name, b))),
                );
                match e.figure {
                    Figure::Throughput { calls_per_sec, .. } => {
                        o.insert("calls_per_sec".into(), json!(calls_per_sec));
                    }
                    Figure::Bytes(b) => {
                        o.insert("bytes".into(), json!(b));
                    }
                    Figure::Time(_) => {}
                }
                let ratios: Map<String, Value> = e
                    .also
                    .iter()
                    .filter_map(|b| Some((b.clone(), json!(self.ratio(&e.name, b)?))))
                    .collect();
                if !ratios.is_empty() {
                    o.insert("ratios".into(), Value::Object(ratios));
                }
                Value::Object(o)
            })
            .collect();
        let targets: Vec<Value> = self
            .targets()
            .iter()
            .map(|t| {
                json!({
                    "what": t.what,
                    "value": t.value,
                    "target": format!("{} {}{}", t.op, t.limit, t.unit),
                    "met": t.met(),
                })
            })
            .collect();
        json!({ "machine": machine, "results": results, "targets": targets })
    }

    /// The results and targets as Markdown tables.
    pub fn table(&self) -> String {
        let mut out = String::new();
        out.push_str("| benchmark | median | baseline | ratio |\n|---|---:|---|---:|\n");
        for e in &self.entries {
            let ratio = e
                .baseline
                .as_deref()
                .and_then(|b| self.ratio(&e.name, b))
                .map(|r| format!("{r:.2}x"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                e.name,
                e.figure.show(),
                e.baseline
                    .as_deref()
                    .map(|b| format!("`{b}`"))
                    .unwrap_or_default(),
                ratio
            );
        }
        out.push_str("\n| target | measured | wanted | met |\n|---|---:|---:|---|\n");
        for t in self.targets() {
            let _ = writeln!(
                out,
                "| `{}` | {:.2}{} | {} {}{} | {} |",
                t.what,
                t.value,
                t.unit,
                t.op,
                t.limit,
                t.unit,
                if t.met() { "yes" } else { "**no**" }
            );
        }
        out
    }
}

/// What this machine is, from `/proc` and the toolchain.
pub fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned());
    let mem = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024);
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let cores = std::thread::available_parallelism().map(|n| n.get()).ok();
    json!({
        "name": format!(
            "{}-core {}",
            cores.unwrap_or(0),
            cpu.as_deref().unwrap_or("unknown CPU")
        ),
        "cpu": cpu,
        "cores": cores,
        "memory_bytes": mem,
        "os": format!("{} {}", std::env::consts::OS, read("/proc/sys/kernel/osrelease").trim()),
        "arch": std::env::consts::ARCH,
        "rustc": rustc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut r = Report::default();
        r.add("native_echo_small", Figure::Time(200.0), None, &[]);
        r.add(
            "warm_call_small",
            Figure::Time(3000.0),
            Some("native_echo_small"),
            &["extism_warm_call_small"],
        );
        r.add("extism_warm_call_small", Figure::Time(12000.0), None, &[]);
        r.add(
            "throughput_1",
            Figure::Throughput {
                calls_per_sec: 1000.0,
                median_ns: 900.0,
            },
            None,
            &[],
        );
        r.add(
            "throughput_2",
            Figure::Throughput {
                calls_per_sec: 1800.0,
                median_ns: 1000.0,
            },
            Some("throughput_1"),
            &[],
        );
        r.add("idle", Figure::Bytes(4096), None, &[]);
        r
    }

    #[test]
    fn ratios_are_time_over_time_and_rate_over_rate() {
        let r = report();
        assert_eq!(r.ratio("warm_call_small", "native_echo_small"), Some(15.0));
        assert_eq!(r.ratio("throughput_2", "throughput_1"), Some(1.8));
        assert_eq!(r.ratio("idle", "native_echo_small"), None);
        assert_eq!(r.ratio("warm_call_small", "missing"), None);
    }

    #[test]
    fn targets_are_judged_in_their_direction() {
        let targets = report().targets();
        let find = |what: &str| targets.iter().find(|t| t.what == what).unwrap();
        assert!(find("warm_call_small / native_echo_small").met());
        assert!(find("warm_call_small / extism_warm_call_small").met());
        assert!(find("throughput_2 / throughput_1").met());
        assert!(
            !targets.iter().any(|t| t.what.contains("mcp")),
            "targets whose figures were not measured are left out"
        );
    }

    #[test]
    fn json_has_the_contract_fields() {
        let v = report().to_json(json!("m"));
        let results = v["results"].as_array().unwrap();
        let warm = &results[1];
        assert_eq!(warm["name"], "warm_call_small");
        assert_eq!(warm["median_ns"], 3000.0);
        assert_eq!(warm["baseline"], "native_echo_small");
        assert_eq!(warm["ratio"], 15.0);
        assert_eq!(warm["ratios"]["extism_warm_call_small"], 0.25);
        assert_eq!(results[0]["baseline"], Value::Null);
        assert_eq!(results[0]["ratio"], Value::Null);
        assert_eq!(results[4]["calls_per_sec"], 1800.0);
        assert_eq!(results[4]["median_ns"], 1000.0);
        assert_eq!(results[5]["bytes"], 4096);
        assert_eq!(results[5]["median_ns"], Value::Null);
        assert_eq!(v["machine"], "m");
    }
}
