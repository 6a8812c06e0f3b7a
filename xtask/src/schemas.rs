//! `cargo xtask schemas`: the JSON Schemas of `plugin.toml` and
//! `.yoi/config.toml`, for editor completion and validation.
//!
//! Both are generated from the Rust types that parse those files, never
//! written by hand: `plugin.toml` from the manifest's raw parse types
//! ([`yoi_manifest::json_schema`]), and each `[plugins."<ref>"]` entry and
//! `[https]` of the config from [`yoi_workspace::Enablement`] and
//! [`yoi_grants::HttpsSettings`]. `cargo xtask schemas` writes them to
//! `schemas/`; `cargo xtask test` regenerates them in memory and fails when
//! the files in the repository are not current.
//!
//! `[limits]` (read by `yoi-runtime`) and `[serve]` (read by the `yoi` binary)
//! are described here, key by key; the binary's integration tests
//! (`crates/yoi/tests/it/authoring.rs`) check those keys against the names the
//! real parsers accept, and the limits' defaults and maxima against what the
//! runtime accepts.

use std::path::PathBuf;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::util::root;

/// Makes one schema.
type Generate = fn() -> Value;

/// The schema files, relative to the repository root, and how to make each.
const SCHEMAS: [(&str, Generate); 2] = [
    ("schemas/plugin.schema.json", plugin_schema),
    ("schemas/config.schema.json", config_schema),
];

/// `cargo xtask schemas [--check]`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    match args {
        [] => write(),
        [flag] if flag == "--check" => check(),
        _ => bail!("usage: cargo xtask schemas [--check]"),
    }
}

/// Write every schema file.
pub fn write() -> anyhow::Result<()> {
    for (path, make) in SCHEMAS {
        let file = root().join(path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&file, render(&make()))
            .with_context(|| format!("cannot write {}", file.display()))?;
        eprintln!("wrote {path}");
    }
    Ok(())
}

/// Fail unless every schema file is exactly what the code generates now.
pub fn check() -> anyhow::Result<()> {
    let mut stale = Vec::new();
    for (path, make) in SCHEMAS {
        let file: PathBuf = root().join(path);
        let current = std::fs::read_to_string(&file).unwrap_or_default();
        if current != render(&make()) {
            stale.push(path);
        }
    }
    if !stale.is_empty() {
        bail!(
            "the JSON Schemas are not current: {} (the parse types changed); run `cargo xtask schemas` and commit the result",
            stale.join(", ")
        );
    }
    eprintln!("schemas/ is current");
    Ok(())
}

/// Pretty JSON with every object's keys sorted, so the text does not depend
/// on whether some crate in the build turned on serde_json's `preserve_order`.
fn render(schema: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut text = serde_json::to_string_pretty(&sorted(schema)).expect("a schema is JSON");
    text.push('\n');
    text
}

fn plugin_schema() -> Value {
    yoi_manifest::json_schema()
}

fn config_schema() -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let enablement = generator.subschema_for::<yoi_workspace::Enablement>();
    let https = generator.subschema_for::<yoi_grants::HttpsSettings>();
    let defs = generator.take_definitions(true);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": ".yoi/config.toml",
        "description": "A yoi workspace's enablement file: which plugins are enabled, pinned to what, granted what; and the workspace's limits and settings.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "plugins": {
                "description": "Enabled plugins, keyed by source-qualified id (`project:<id>`, `user:<id>`, `builtin:<id>`).",
                "type": "object",
                "propertyNames": { "pattern": "^(project|user|builtin):[a-z0-9_-]([a-z0-9._-]*[a-z0-9_-])?$" },
                "additionalProperties": enablement,
            },
            "limits": limits_schema(),
            "serve": serve_schema(),
            "https": https,
            "history": history_schema(),
        },
        "$defs": defs,
    })
}

/// `[history]`: the total size of `.yoi/history.db`, with the default and
/// bounds of `yoi_history` (`DEFAULT_MAX_BYTES`, `MIN_MAX_BYTES`,
/// `MAX_MAX_BYTES`).
fn history_schema() -> Value {
    json!({
        "description": "The workspace history. Unknown keys are errors.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "max_bytes": {
                "description": "The most bytes the history database may take. At the limit the oldest plugin notifications, then ingress events, are deleted; tool calls and results never are (over the limit with only those left, they are still recorded and the history reports it).",
                "type": "integer",
                "minimum": yoi_history::MIN_MAX_BYTES,
                "maximum": yoi_history::MAX_MAX_BYTES,
                "default": yoi_history::DEFAULT_MAX_BYTES,
            },
        },
    })
}

/// `[limits]`: the per-call limits of `yoi_runtime::Limits`, with its
/// defaults and its upper bounds (`Limits::MAX`).
fn limits_schema() -> Value {
    let limit = |description: &str, default: u64, maximum: u64| json!({ "description": description, "type": "integer", "minimum": 1, "maximum": maximum, "default": default });
    json!({
        "description": "Limits on every plugin call. Every key is optional; unknown keys, and values past their maximum, are errors.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "deadline_ms": limit("Wall-clock time for one call, guest code and host calls together, in milliseconds.", 10_000, 3_600_000),
            "memory_bytes": limit("Largest linear memory a guest may grow to, in bytes.", 256 << 20, 4 << 30),
            "table_elements": limit("Largest table a guest may grow to, in elements.", 100_000, 10_000_000),
            "max_input_bytes": limit("Largest tool input accepted, in bytes of JSON.", 1 << 20, 64 << 20),
            "max_output_bytes": limit("Largest tool output accepted, in bytes (all content together).", 4 << 20, 64 << 20),
            "max_diagnostic_bytes": limit("Captured guest stdout and stderr kept per call, in bytes each.", 16 << 10, 16 << 20),
            "max_error_message_bytes": limit("Longest error message kept from a guest, in bytes.", 4 << 10, 1 << 20),
        },
    })
}

/// `[serve]`: where `yoi serve` listens and how its endpoints are guarded.
fn serve_schema() -> Value {
    let names = |description: &str| json!({ "description": description, "type": "array", "items": { "type": "string", "maxLength": 300 } });
    json!({
        "description": "How `yoi serve` listens and guards its endpoints. Unknown keys are errors.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "listen": {
                "description": "Socket address to listen on; `--listen` overrides it. A non-loopback address is warned about.",
                "type": "string",
                "default": "127.0.0.1:7717",
            },
            "token_file": {
                "description": "File holding the bearer token required on `/mcp` and `/status`; a relative path is under the workspace.",
                "type": "string",
            },
            "allowed_hosts": names("`Host` header values accepted besides loopback."),
            "allowed_origins": names("Browser origins accepted besides loopback."),
        },
    })
}
