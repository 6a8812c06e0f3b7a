//! `cargo xtask`: the one entry point for building guests, testing and the demo.
//!
//! - `cargo xtask examples`: build every guest in `examples/` and pack it into
//!   `target/yoi-plugins/<id>.yoi-plugin`.
//! - `cargo xtask test`: fmt check, clippy `-D warnings`, then the whole suite.
//! - `cargo xtask demo`: build everything, prepare `target/demo`, and run it.
//! - `cargo xtask bench [--json FILE]`: build in release and run every
//!   benchmark next to its baselines (see docs/performance.md).
//! - `cargo xtask schemas`: write the JSON Schemas of `plugin.toml` and
//!   `.yoi/config.toml` into `schemas/` (`--check`: fail if they are stale).
//!
//! xtask installs what it needs (wasm targets through rustup) rather than
//! assuming the machine's state.

mod bench;
mod demo;
mod examples;
mod python;
mod schemas;
mod test;
mod util;

use anyhow::bail;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        usage();
        bail!("no command given");
    };
    match command.as_str() {
        "examples" => examples::build_all().map(|_| ()),
        "test" => test::run(&args[1..]),
        "bench" => bench::run(&args[1..]),
        "demo" => demo::run(),
        "schemas" => schemas::run(&args[1..]),
        "help" | "--help" | "-h" => {
            usage();
            Ok(())
        }
        other => {
            usage();
            bail!("unknown command `{other}`")
        }
    }
}

fn usage() {
    eprintln!(
        "usage: cargo xtask <command>\n\n\
         commands:\n  \
         examples   build every example and fixture into target/yoi-plugins/\n  \
         test       fmt check, clippy -D warnings, and every test\n  \
         bench      build in release and run every benchmark [--json FILE]\n  \
         demo       build everything, prepare target/demo, call a tool, show history\n  \
         schemas    write schemas/*.schema.json from the Rust types [--check: fail if stale]"
    );
}
