//! `yoi plugin new NAME`: write a ready plugin project.
//!
//! The project is a cargo crate for `wasm32-wasip2` with a manifest that
//! requests nothing but its own surfaces (deny by default, no host APIs), a
//! typed tool written with `yoi-pdk`, unit tests and a README with the next
//! steps. `--template tool` is a tools-only plugin; `--template instance` a
//! stateful one (`yoi:plugin/instance@1.0.0`) whose tool and ingress share
//! one instance under `yoi serve`. It builds
//! outside this repository: the PDK and the WIT it binds are written into
//! `vendor/yoi-pdk/` from the yoi binary itself (or taken from a checkout with
//! `--pdk-path`), and `Cargo.lock` pins the versions yoi's own examples use.
//!
//! The destination is never overwritten and never reached through a symbolic
//! link: a path that does not exist is created (its last component with
//! `create_dir`, which fails on anything already there, links included); an
//! existing one must be an empty directory, not a link to one. Files are
//! created with `create_new`, so nothing already present is written through.
//! If writing fails, what was written is removed again.
//!
//! `--from-component FILE.wasm` instead wraps an existing component as a
//! typed plugin (`world = "typed"`, see `new/from_component.rs`).

mod from_component;
mod template;
mod vendor;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::context::Context;
use crate::output::{self, hinted};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin id: 1-128 of [a-z0-9._-], no leading or trailing dot.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// What kind of plugin to start from.
    #[arg(long, value_enum, default_value_t = Template::Tool)]
    pub template: Template,
    /// Where to create the project: a new or empty directory [default: `./NAME`].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Depend on the yoi-pdk crate in this directory (e.g. `crates/yoi-pdk` of a
    /// yoi checkout) instead of writing a copy into `vendor/yoi-pdk/`.
    #[arg(long, value_name = "PATH")]
    pub pdk_path: Option<PathBuf>,
    /// Wrap this existing component instead: a `world = "typed"` plugin whose
    /// tools are its exported functions, schemas derived from its WIT.
    #[arg(long, value_name = "FILE.wasm", conflicts_with_all = ["template", "pdk_path"])]
    pub from_component: Option<PathBuf>,
    /// Print `{"path": ..., "id": ..., "template": ..., "tool": ..., ...}`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Template {
    /// Tools only (`yoi:plugin/tool@1.0.0`): one typed tool.
    Tool,
    /// A stateful instance (`yoi:plugin/instance@1.0.0`): one typed tool and one
    /// ingress sharing its state, run by `yoi serve`.
    Instance,
}

#[derive(Serialize)]
struct Created {
    path: PathBuf,
    id: String,
    template: &'static str,
    #[serde(rename = "crate")]
    crate_name: String,
    tool: String,
    /// The ingress, for `--template instance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    ingress: Option<&'static str>,
    component: String,
    pdk: String,
}

pub fn run(_ctx: &Context, args: NewArgs) -> anyhow::Result<ExitCode> {
    if !yoi_manifest::is_valid_plugin_id(&args.name) {
        return Err(hinted(
            format!(
                "`{}` is not a valid plugin id",
                yoi_manifest::bounded(&args.name, 140)
            ),
            format!(
                "a plugin id is 1-{} of [a-z0-9._-] with no leading or trailing dot, e.g. `word-count`",
                yoi_manifest::MAX_ID_LEN
            ),
        ));
    }
    let dest = match &args.dir {
        Some(dir) => dir.clone(),
        None => PathBuf::from(&args.name),
    };
    let dest = std::path::absolute(&dest)
        .with_context(|| format!("invalid destination `{}`", dest.display()))?;
    if let Some(component) = &args.from_component {
        return from_component::run(&args.name, component, &dest, args.json);
    }
    let names = template::Names::new(&args.name, &vendor::locked_names()?);

    let (pdk, pdk_files, pdk_label) = match &args.pdk_path {
        Some(path) => {
            let (dependency, dir) = pdk_at(path)?;
            let row = format!(
                "| `{}` (`--pdk-path`) | the yoi-pdk crate this project builds against |",
                dir.display()
            );
            (
                template::Pdk {
                    dependency,
                    readme_row: row,
                },
                Vec::new(),
                dir.display().to_string(),
            )
        }
        None => {
            let files = vendor::vendored_pdk()?
                .into_iter()
                .map(|(path, text)| (format!("vendor/yoi-pdk/{path}"), text))
                .collect();
            (
                template::Pdk {
                    dependency: "yoi-pdk = { path = \"vendor/yoi-pdk\" }".into(),
                    readme_row: format!(
                        "| `vendor/yoi-pdk/` | yoi-pdk {} and the WIT it binds, written by `yoi plugin new`; replace it whole to upgrade |",
                        vendor::pdk_version()?
                    ),
                },
                files,
                "vendor/yoi-pdk".to_owned(),
            )
        }
    };
    let mut files = template::render(args.template, &names, &pdk, &dest)?;
    files.push((
        "Cargo.lock".into(),
        vendor::project_lock(
            &names.crate_name,
            template::registry_dependencies(args.template),
        )?,
    ));
    files.extend(pdk_files);

    let fresh = prepare(&dest)?;
    let mut written = Written {
        dest: &dest,
        fresh,
        created: Vec::new(),
    };
    for (path, text) in &files {
        written.file(path, text.as_bytes()).with_context(|| {
            format!(
                "cannot write `{}`; nothing was left behind",
                dest.join(path).display()
            )
        })?;
    }
    written.keep();

    let created = Created {
        path: dest.clone(),
        id: names.id.clone(),
        template: args.template.name(),
        crate_name: names.crate_name.clone(),
        tool: names.tool.clone(),
        ingress: (args.template == Template::Instance).then_some(template::INGRESS),
        component: names.component.clone(),
        pdk: pdk_label,
    };
    if args.json {
        output::json(&created)?;
    } else {
        output::print(&format!("{}\n", dest.display()))?;
        match args.template {
            Template::Tool => output::stderr!(
                "created plugin `{}` with tool `{}`; next (also in README.md):\n  cd {}\n  cargo test\n  yoi plugin build\n  yoi plugin dev --tool {} --input '{{\"text\": \"hello world\"}}'",
                names.id,
                names.tool,
                shell_word(&dest),
                names.tool
            ),
            Template::Instance => output::stderr!(
                "created plugin `{id}` with tool `{tool}` and ingress `{ingress}`; next (also in README.md):\n  cd {dir}\n  cargo test\n  yoi plugin build\n  yoi plugin install {id}-0.1.0.yoi-plugin\n  yoi plugin enable project:{id} --tools {tool} --ingresses {ingress}\n  yoi serve",
                id = names.id,
                tool = names.tool,
                ingress = template::INGRESS,
                dir = shell_word(&dest),
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

impl Template {
    fn name(self) -> &'static str {
        match self {
            Template::Tool => "tool",
            Template::Instance => "instance",
        }
    }
}

/// `--pdk-path`: a directory holding the `yoi-pdk` crate. Returns the
/// dependency line and the canonical directory.
fn pdk_at(path: &Path) -> anyhow::Result<(String, PathBuf)> {
    let not_pdk = |why: String| {
        hinted(
            format!("`--pdk-path {}`: {why}", path.display()),
            "name the `crates/yoi-pdk` directory of a yoi checkout, or leave `--pdk-path` out to get a vendored copy",
        )
    };
    let dir = fs::canonicalize(path).map_err(|e| not_pdk(e.to_string()))?;
    let manifest = fs::read_to_string(dir.join("Cargo.toml"))
        .map_err(|e| not_pdk(format!("cannot read its Cargo.toml: {e}")))?;
    let name = manifest
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("package")?.get("name")?.as_str().map(str::to_owned));
    if name.as_deref() != Some("yoi-pdk") {
        return Err(not_pdk(
            "its Cargo.toml is not the `yoi-pdk` package".into(),
        ));
    }
    let text = dir
        .to_str()
        .ok_or_else(|| not_pdk("the path is not UTF-8".into()))?;
    let dependency = format!(
        "yoi-pdk = {{ path = {} }}",
        toml::Value::String(text.to_owned())
    );
    Ok((dependency, dir))
}

/// Make sure `dest` is a directory yoi may fill: created now (returns
/// `true`), or an existing empty directory that is not a symbolic link.
pub(crate) fn prepare(dest: &Path) -> anyhow::Result<bool> {
    let shown = dest.display();
    match fs::symlink_metadata(dest) {
        Ok(meta) if meta.file_type().is_symlink() => Err(hinted(
            format!("`{shown}` is a symbolic link; `yoi plugin new` never writes through one"),
            "name a real directory, or a path that does not exist yet, with `--dir`",
        )),
        Ok(meta) if !meta.is_dir() => Err(hinted(
            format!("`{shown}` exists and is not a directory"),
            "choose another destination with `--dir`",
        )),
        Ok(_) => {
            let mut entries = fs::read_dir(dest)
                .with_context(|| format!("cannot read the directory `{shown}`"))?;
            if entries.next().is_some() {
                return Err(hinted(
                    format!("`{shown}` is not empty"),
                    "`yoi plugin new` never overwrites files; choose a new or empty directory with `--dir`",
                ));
            }
            Ok(false)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create `{}`", parent.display()))?;
            }
            // Not `create_dir_all`: the last component must be made here,
            // and `create_dir` fails if anything (a link too) appeared meanwhile.
            fs::create_dir(dest).with_context(|| format!("cannot create `{shown}`"))?;
            Ok(true)
        }
        Err(e) => Err(e).with_context(|| format!("cannot inspect `{shown}`")),
    }
}

/// What has been written so far, removed again unless [`Written::keep`] is called.
pub(crate) struct Written<'a> {
    dest: &'a Path,
    fresh: bool,
    created: Vec<PathBuf>,
}

impl Written<'_> {
    /// Create `rel` (a `/`-separated relative path) with `bytes`, and any
    /// directories on the way; never opens anything that already exists.
    fn file(&mut self, rel: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let mut path = self.dest.to_path_buf();
        let mut segments = rel.split('/').peekable();
        while let Some(segment) = segments.next() {
            path.push(segment);
            if segments.peek().is_none() {
                break;
            }
            match fs::create_dir(&path) {
                Ok(()) => self.created.push(path.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let meta = fs::symlink_metadata(&path)?;
                    anyhow::ensure!(
                        meta.is_dir() && !meta.file_type().is_symlink(),
                        "`{}` is in the way",
                        path.display()
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        self.created.push(path);
        file.write_all(bytes)?;
        Ok(())
    }

    fn keep(mut self) {
        self.created.clear();
        self.fresh = false;
    }
}

impl Drop for Written<'_> {
    fn drop(&mut self) {
        for path in self.created.iter().rev() {
            let _ = fs::remove_file(path).or_else(|_| fs::remove_dir(path));
        }
        if self.fresh {
            let _ = fs::remove_dir(self.dest);
        }
    }
}

/// `path` as one shell word, quoted when it needs to be.
pub(crate) fn shell_word(path: &Path) -> String {
    let text = path.to_string_lossy();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c))
    {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
