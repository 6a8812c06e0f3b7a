//! `yoi plugin new NAME --from-component FILE.wasm`: wrap an existing
//! component as a typed plugin, ready to pack.
//!
//! The component's type is decoded (nothing runs). Every exported function
//! whose types map to JSON becomes a `[[tools]]` entry naming its export,
//! described by its WIT doc comment when the component carries one, with its
//! derived schemas written to `schemas/` so they can be read and reviewed;
//! each function that cannot be a tool is listed in a comment and on stderr
//! with the reason. The result is checked as a package before it is kept.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;
use yoi_typed::{TypedComponent, split_export};

use super::{Written, prepare, shell_word};
use crate::output::{self, hinted};

/// Largest component read.
const MAX_COMPONENT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Serialize)]
struct Created<'a> {
    path: &'a Path,
    id: &'a str,
    world: &'static str,
    tools: Vec<String>,
    skipped: Vec<Skipped>,
}

#[derive(Serialize)]
struct Skipped {
    export: String,
    reason: String,
}

pub(crate) fn run(id: &str, file: &Path, dest: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read `{}`", file.display()))?
        .len();
    if size > MAX_COMPONENT_BYTES {
        anyhow::bail!(
            "`{}` is {size} bytes, more than the limit of {MAX_COMPONENT_BYTES}",
            file.display()
        );
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    let component = TypedComponent::decode(&bytes).map_err(|e| {
        hinted(
            format!("`{}`: {e}", file.display()),
            "`--from-component` takes a WebAssembly component (e.g. built for `wasm32-wasip2`)",
        )
    })?;

    let mut tools: Vec<(String, &yoi_typed::ExportedFunction, yoi_typed::Signature)> = Vec::new();
    let mut skipped = Vec::new();
    for func in &component.functions {
        match &func.signature {
            Ok(signature) => {
                let name = split_export(&func.export).1.to_owned();
                if let Some((_, other, _)) = tools.iter().find(|(n, _, _)| *n == name) {
                    return Err(hinted(
                        format!(
                            "export names clash: `{}` and `{}` would both be tool `{name}`",
                            other.export, func.export
                        ),
                        "write plugin.toml by hand with a distinct `name` for each `export`",
                    ));
                }
                if !yoi_manifest::is_valid_surface_name(&name) {
                    skipped.push(Skipped {
                        export: func.export.clone(),
                        reason: format!("`{name}` is not a valid tool name"),
                    });
                    continue;
                }
                tools.push((name, func, signature.clone()));
            }
            Err(reason) => skipped.push(Skipped {
                export: func.export.clone(),
                reason: reason.clone(),
            }),
        }
    }
    if tools.is_empty() {
        return Err(hinted(
            format!(
                "`{}` exports no function that can be a tool",
                file.display()
            ),
            "a typed tool's parameters and result must map to JSON (no resources, streams or futures)",
        ));
    }

    let artifact = format!("{id}.wasm");
    let mut manifest = format!(
        "schema_version = 1\nid = {id}\nname = {id}\nversion = \"0.1.0\"\ndescription = {desc}\n\n[runtime]\nkind = \"wasm-component\"\ncomponent = {artifact}\n# The exported functions are the tools; schemas derived from the WIT (`schemas/`).\nworld = \"typed\"\n",
        id = quote(id),
        desc = quote(&format!(
            "Tools exported by {}.",
            file.file_name().unwrap_or_default().to_string_lossy()
        )),
        artifact = quote(&artifact),
    );
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, func, signature) in &tools {
        let description = func
            .docs
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map_or_else(|| format!("Calls `{}`.", func.export), str::to_owned);
        let input = format!("schemas/{name}.input.json");
        write!(
            manifest,
            "\n[[tools]]\nname = {}\nexport = {}\ndescription = {}\ninput_schema = {}\n",
            quote(name),
            quote(&func.export),
            quote(&yoi_manifest::bounded(&description, 4000)),
            quote(&input)
        )?;
        files.push((input, pretty(&signature.input_schema)?));
        if signature.output_schema.get("type") == Some(&serde_json::Value::from("object")) {
            let output = format!("schemas/{name}.output.json");
            writeln!(manifest, "output_schema = {}", quote(&output))?;
            files.push((output, pretty(&signature.output_schema)?));
        }
    }
    for s in &skipped {
        write!(manifest, "\n# not a tool: `{}`: {}", s.export, s.reason)?;
    }
    if !skipped.is_empty() {
        manifest.push('\n');
    }
    let names: Vec<String> = tools.iter().map(|(n, _, _)| quote(n)).collect();
    let host_apis: Vec<&str> = [
        ("yoi:host/https@1.0.0", "\"https\""),
        ("yoi:host/fs@1.0.0", "\"fs\""),
    ]
    .into_iter()
    .filter(|(import, _)| component.imports.iter().any(|i| i == import))
    .map(|(_, api)| api)
    .collect();
    write!(
        manifest,
        "\n[permissions]\nsurfaces = [\"tool\"]\ntools = [{}]\nhost_apis = [{}]\n",
        names.join(", "),
        host_apis.join(", ")
    )?;
    files.insert(0, ("plugin.toml".into(), manifest.into_bytes()));
    files.insert(1, (artifact, bytes));

    let fresh = prepare(dest)?;
    let mut written = Written {
        dest,
        fresh,
        created: Vec::new(),
    };
    for (path, bytes) in &files {
        written.file(path, bytes).with_context(|| {
            format!(
                "cannot write `{}`; nothing was left behind",
                dest.join(path).display()
            )
        })?;
    }
    yoi_package::Package::from_dir(dest).map_err(|e| {
        hinted(
            format!(
                "the plugin made from `{}` does not check: {e}",
                file.display()
            ),
            "nothing was left behind; the component must import only WASI p2 and yoi host APIs",
        )
    })?;
    written.keep();

    for s in &skipped {
        output::stderr!("warning: `{}` is not a tool: {}", s.export, s.reason);
    }
    let tool_names: Vec<String> = tools.into_iter().map(|(n, _, _)| n).collect();
    if json {
        output::json(&Created {
            path: dest,
            id,
            world: "typed",
            tools: tool_names,
            skipped,
        })?;
    } else {
        output::print(&format!("{}\n", dest.display()))?;
        output::stderr!(
            "created typed plugin `{id}` with tools {}; next:\n  yoi plugin check {dir}\n  yoi plugin pack {dir}",
            tool_names.join(", "),
            dir = shell_word(dest),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn quote(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn pretty(schema: &serde_json::Value) -> anyhow::Result<Vec<u8>> {
    let mut text = serde_json::to_vec_pretty(schema)?;
    text.push(b'\n');
    Ok(text)
}
