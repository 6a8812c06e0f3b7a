//! The guest crate a new project builds against, and its exact dependencies.
//!
//! `yoi plugin new` writes a copy of `yoi-pdk` and the WIT it binds into the
//! project (`vendor/yoi-pdk/`), so that the project builds anywhere: no
//! registry release of the PDK and no checkout of yoi is needed. The copy is
//! embedded from this repository's own sources at compile time
//! (`crates/yoi-pdk/src/*.rs`, `wit/**/*.wit`), so it is always the PDK and
//! WIT of the yoi that wrote it; a unit test fails when a file is added to
//! either directory without being listed here.
//!
//! The project also gets a `Cargo.lock` holding the versions the examples are
//! built and tested with (`examples/Cargo.lock`), so a first build resolves
//! nothing new.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, bail};

macro_rules! repo_file {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../", $path)),
        )
    };
}

/// `crates/yoi-pdk/src/`, file name -> content.
pub(super) const PDK_SOURCES: [(&str, &str); 8] = [
    repo_file!("crates/yoi-pdk/src/error.rs"),
    repo_file!("crates/yoi-pdk/src/fs.rs"),
    repo_file!("crates/yoi-pdk/src/https.rs"),
    repo_file!("crates/yoi-pdk/src/input.rs"),
    repo_file!("crates/yoi-pdk/src/instance.rs"),
    repo_file!("crates/yoi-pdk/src/lib.rs"),
    repo_file!("crates/yoi-pdk/src/output.rs"),
    repo_file!("crates/yoi-pdk/src/tool.rs"),
];

/// `wit/`: every WIT package the PDK binds.
pub(super) const WIT_FILES: [(&str, &str); 5] = [
    repo_file!("wit/host/fs.wit"),
    repo_file!("wit/host/https.wit"),
    repo_file!("wit/host/world.wit"),
    repo_file!("wit/plugin/types.wit"),
    repo_file!("wit/plugin/worlds.wit"),
];

const PDK_MANIFEST: (&str, &str) = repo_file!("crates/yoi-pdk/Cargo.toml");
/// The guest workspace: the PDK inherits its package fields and dependencies from it.
const GUEST_WORKSPACE: (&str, &str) = repo_file!("examples/Cargo.toml");
/// The versions the examples (and so the PDK) are built and tested with.
const GUEST_LOCK: (&str, &str) = repo_file!("examples/Cargo.lock");

/// Where the PDK's sources name the WIT directories, relative to the crate.
const PDK_WIT_PATH: &str = "\"../../wit/";
/// The same inside the vendored copy, which carries the WIT in `wit/`.
const VENDORED_WIT_PATH: &str = "\"wit/";

/// The vendored crate's files, relative to `vendor/yoi-pdk/`.
pub(super) fn vendored_pdk() -> anyhow::Result<Vec<(String, String)>> {
    let mut files = vec![("Cargo.toml".to_owned(), pdk_manifest()?)];
    let mut rewritten = false;
    for (path, text) in PDK_SOURCES {
        let name = path.rsplit('/').next().unwrap_or(path);
        rewritten |= text.contains(PDK_WIT_PATH);
        files.push((
            format!("src/{name}"),
            text.replace(PDK_WIT_PATH, VENDORED_WIT_PATH),
        ));
    }
    if !rewritten {
        bail!(
            "yoi-pdk's sources no longer name `../../wit/`; the vendored copy cannot find its WIT"
        );
    }
    for (path, text) in WIT_FILES {
        files.push((path.to_owned(), text.to_owned()));
    }
    Ok(files)
}

/// The PDK's version, as the vendored copy and the lockfile give it.
pub(super) fn pdk_version() -> anyhow::Result<String> {
    let package = guest_workspace()?
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let own = parse(PDK_MANIFEST)?
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str().map(str::to_owned));
    own.or(package)
        .context("yoi-pdk's Cargo.toml has no version")
}

fn parse((path, text): (&str, &str)) -> anyhow::Result<toml::Table> {
    text.parse()
        .with_context(|| format!("the embedded `{path}` is not valid TOML"))
}

fn guest_workspace() -> anyhow::Result<toml::Table> {
    parse(GUEST_WORKSPACE)?
        .remove("workspace")
        .and_then(|w| match w {
            toml::Value::Table(t) => Some(t),
            _ => None,
        })
        .context("examples/Cargo.toml has no [workspace]")
}

fn is_inherited(value: &toml::Value) -> bool {
    value
        .get("workspace")
        .and_then(toml::Value::as_bool)
        .unwrap_or(false)
}

/// `crates/yoi-pdk/Cargo.toml` with every `workspace = true` replaced by the
/// guest workspace's value, so the copy stands alone.
fn pdk_manifest() -> anyhow::Result<String> {
    let mut manifest = parse(PDK_MANIFEST)?;
    let workspace = guest_workspace()?;
    let section = |name: &str| {
        workspace
            .get(name)
            .and_then(toml::Value::as_table)
            .cloned()
            .unwrap_or_default()
    };
    let (ws_package, ws_deps) = (section("package"), section("dependencies"));
    manifest.remove("lints");
    if let Some(toml::Value::Table(package)) = manifest.get_mut("package") {
        package.remove("workspace");
        for (key, value) in package.iter_mut() {
            if is_inherited(value) {
                *value = ws_package.get(key).cloned().with_context(|| {
                    format!("yoi-pdk inherits `package.{key}`, which examples/Cargo.toml lacks")
                })?;
            }
        }
    }
    for kind in ["dependencies", "build-dependencies", "dev-dependencies"] {
        let Some(toml::Value::Table(deps)) = manifest.get_mut(kind) else {
            continue;
        };
        for (name, value) in deps.iter_mut() {
            if !is_inherited(value) {
                continue;
            }
            let mut resolved = ws_deps.get(name).cloned().with_context(|| {
                format!("yoi-pdk inherits `{name}`, which examples/Cargo.toml lacks")
            })?;
            if let toml::Value::String(version) = resolved {
                resolved = toml::Value::Table(toml::Table::from_iter([(
                    "version".to_owned(),
                    toml::Value::String(version),
                )]));
            }
            if resolved.get("path").is_some() {
                bail!("yoi-pdk depends on `{name}` by path; it cannot be vendored");
            }
            if let (Some(extra), toml::Value::Table(table)) = (
                value.get("features").and_then(toml::Value::as_array),
                &mut resolved,
            ) {
                let features = table
                    .entry("features")
                    .or_insert_with(|| toml::Value::Array(Vec::new()));
                if let toml::Value::Array(list) = features {
                    list.extend(extra.iter().cloned());
                }
            }
            *value = resolved;
        }
    }
    Ok(format!(
        "# yoi-pdk {}, written by `yoi plugin new` from the yoi that created this\n\
         # project: the guest side of yoi plugins, with the WIT it binds in wit/.\n\
         # Replace the whole directory to move to another PDK; do not edit it.\n{}",
        pdk_version()?,
        render_manifest(manifest)?
    ))
}

/// A Cargo.toml with `[package]` first and one line per dependency.
fn render_manifest(mut manifest: toml::Table) -> anyhow::Result<String> {
    let mut out = String::new();
    let order = ["package", "lib", "features"];
    for key in order {
        if let Some(value) = manifest.remove(key) {
            let section = toml::Table::from_iter([(key.to_owned(), value)]);
            out.push('\n');
            out.push_str(
                &toml::to_string(&section).context("cannot write the vendored Cargo.toml")?,
            );
        }
    }
    for key in ["dependencies", "build-dependencies", "dev-dependencies"] {
        if let Some(toml::Value::Table(deps)) = manifest.remove(key) {
            out.push_str(&format!("\n[{key}]\n"));
            for (name, spec) in deps {
                out.push_str(&format!("{name} = {spec}\n"));
            }
        }
    }
    if !manifest.is_empty() {
        out.push('\n');
        out.push_str(&toml::to_string(&manifest).context("cannot write the vendored Cargo.toml")?);
    }
    Ok(out)
}

/// One `[[package]]` of a lockfile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Locked {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    dependencies: Vec<String>,
}

fn read_lock() -> anyhow::Result<Vec<Locked>> {
    let lock = parse(GUEST_LOCK)?;
    let packages = lock
        .get("package")
        .and_then(toml::Value::as_array)
        .context("examples/Cargo.lock has no packages")?;
    packages
        .iter()
        .map(|p| {
            let text = |key: &str| p.get(key).and_then(toml::Value::as_str).map(str::to_owned);
            Ok(Locked {
                name: text("name").context("a locked package without a name")?,
                version: text("version").context("a locked package without a version")?,
                source: text("source"),
                checksum: text("checksum"),
                dependencies: p
                    .get("dependencies")
                    .and_then(toml::Value::as_array)
                    .map(|deps| {
                        deps.iter()
                            .filter_map(|d| d.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// Every package name in the guest lockfile: names a new crate must not take.
pub(super) fn locked_names() -> anyhow::Result<BTreeSet<String>> {
    Ok(read_lock()?.into_iter().map(|p| p.name).collect())
}

/// A `Cargo.lock` for a project named `crate_name` that depends on `yoi-pdk`
/// (by path) and on the registry crates `direct` (e.g. `serde`), with exactly
/// the versions of `examples/Cargo.lock`.
pub(super) fn project_lock(crate_name: &str, direct: &[&str]) -> anyhow::Result<String> {
    let all = read_lock()?;
    let registry: Vec<&Locked> = all.iter().filter(|p| p.source.is_some()).collect();
    // A dependency entry is `name`, `name version` or `name version (source)`.
    let resolve = |spec: &str| -> anyhow::Result<&Locked> {
        let mut parts = spec.split(' ');
        let name = parts.next().unwrap_or_default();
        let version = parts.next();
        let found: Vec<&&Locked> = registry
            .iter()
            .filter(|p| p.name == name && version.is_none_or(|v| p.version == v))
            .collect();
        match found.as_slice() {
            [one] => Ok(**one),
            _ => bail!("examples/Cargo.lock does not pin exactly one `{spec}`"),
        }
    };
    let pdk = all
        .iter()
        .find(|p| p.name == "yoi-pdk" && p.source.is_none())
        .context("examples/Cargo.lock has no yoi-pdk")?;
    let direct: Vec<&Locked> = direct
        .iter()
        .map(|name| resolve(name))
        .collect::<anyhow::Result<_>>()?;

    let mut closure: BTreeMap<(String, String), &Locked> = BTreeMap::new();
    let mut todo: Vec<&Locked> = direct.clone();
    for dep in &pdk.dependencies {
        todo.push(resolve(dep)?);
    }
    while let Some(p) = todo.pop() {
        if closure
            .insert((p.name.clone(), p.version.clone()), p)
            .is_none()
        {
            for dep in &p.dependencies {
                todo.push(resolve(dep)?);
            }
        }
    }
    let locals = [
        Locked {
            name: crate_name.to_owned(),
            version: "0.1.0".into(),
            source: None,
            checksum: None,
            dependencies: vec![],
        },
        Locked {
            name: "yoi-pdk".into(),
            version: pdk_version()?,
            source: None,
            checksum: None,
            dependencies: vec![],
        },
    ];
    if closure
        .keys()
        .any(|(name, _)| locals.iter().any(|l| &l.name == name))
    {
        bail!("`{crate_name}` is also the name of one of its dependencies");
    }
    let mut packages: Vec<Locked> = closure.values().map(|p| (*p).clone()).collect();
    packages.extend(locals);
    packages.sort();

    // Re-render each dependency the way cargo does for this set of packages:
    // the bare name when it is unique, with its version otherwise.
    let count = |name: &str| packages.iter().filter(|p| p.name == name).count();
    let spec = |p: &Locked| {
        if count(&p.name) == 1 {
            p.name.clone()
        } else {
            format!("{} {}", p.name, p.version)
        }
    };
    let mut deps_of: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for p in &packages {
        let resolved: Vec<&Locked> = if p.source.is_some() {
            p.dependencies
                .iter()
                .map(|d| resolve(d))
                .collect::<anyhow::Result<_>>()?
        } else if p.name == "yoi-pdk" {
            pdk.dependencies
                .iter()
                .map(|d| resolve(d))
                .collect::<anyhow::Result<_>>()?
        } else {
            direct.clone()
        };
        let mut specs: Vec<(String, String, String)> = resolved
            .iter()
            .map(|d| (d.name.clone(), d.version.clone(), spec(d)))
            .collect();
        if p.source.is_none() && p.name != "yoi-pdk" {
            specs.push(("yoi-pdk".into(), String::new(), "yoi-pdk".into()));
        }
        specs.sort();
        deps_of.insert(
            (p.name.clone(), p.version.clone()),
            specs.into_iter().map(|(_, _, s)| s).collect(),
        );
    }

    let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut out = String::from(
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n",
    );
    for p in &packages {
        out.push_str(&format!(
            "\n[[package]]\nname = {}\nversion = {}\n",
            quote(&p.name),
            quote(&p.version)
        ));
        if let Some(source) = &p.source {
            out.push_str(&format!("source = {}\n", quote(source)));
        }
        if let Some(checksum) = &p.checksum {
            out.push_str(&format!("checksum = {}\n", quote(checksum)));
        }
        let deps = &deps_of[&(p.name.clone(), p.version.clone())];
        if !deps.is_empty() {
            out.push_str("dependencies = [\n");
            for d in deps {
                out.push_str(&format!(" {},\n", quote(d)));
            }
            out.push_str("]\n");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn listed(dir: &str, ext: &str) -> BTreeSet<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut out = BTreeSet::new();
        let mut todo = vec![root.join(dir)];
        while let Some(d) = todo.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                } else if path.extension().is_some_and(|e| e == ext) {
                    let rel = path.strip_prefix(&root).unwrap();
                    out.insert(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        out
    }

    /// A file added to the PDK or to wit/ must be vendored too, or projects
    /// made by `yoi plugin new` would not build.
    #[test]
    fn every_pdk_and_wit_file_is_embedded() {
        let embedded = |files: &[(&str, &str)]| -> BTreeSet<String> {
            files.iter().map(|(p, _)| (*p).to_owned()).collect()
        };
        assert_eq!(
            embedded(&PDK_SOURCES),
            listed("crates/yoi-pdk/src", "rs"),
            "update PDK_SOURCES in crates/yoi/src/plugin/new/vendor.rs"
        );
        assert_eq!(
            embedded(&WIT_FILES),
            listed("wit", "wit"),
            "update WIT_FILES in crates/yoi/src/plugin/new/vendor.rs"
        );
    }

    #[test]
    fn the_vendored_pdk_stands_alone() {
        let files = vendored_pdk().unwrap();
        let manifest: toml::Table = files[0].1.parse().unwrap();
        let text = toml::to_string(&manifest).unwrap();
        assert!(!text.contains("workspace"), "{text}");
        assert_eq!(manifest["package"]["name"].as_str(), Some("yoi-pdk"));
        assert_eq!(
            manifest["dependencies"]["wit-bindgen"]["version"].as_str(),
            guest_workspace().unwrap()["dependencies"]["wit-bindgen"]["version"].as_str()
        );
        for (path, text) in &files {
            assert!(
                !text.contains(PDK_WIT_PATH),
                "{path} still names ../../wit/"
            );
        }
        let tool = files.iter().find(|(p, _)| p == "src/tool.rs").unwrap();
        assert!(tool.1.contains("\"wit/host\""));
    }

    #[test]
    fn the_lockfile_pins_what_the_examples_use() {
        let lock: toml::Table = project_lock("my-tool", &["serde"])
            .unwrap()
            .parse()
            .unwrap();
        let packages = lock["package"].as_array().unwrap();
        let find = |name: &str| {
            packages
                .iter()
                .find(|p| p["name"].as_str() == Some(name))
                .unwrap_or_else(|| panic!("{name} is not locked"))
        };
        let root = find("my-tool");
        assert_eq!(
            root["dependencies"],
            toml::Value::Array(vec!["serde".into(), "yoi-pdk".into()])
        );
        let guest = read_lock().unwrap();
        let wit_bindgen = guest.iter().find(|p| p.name == "wit-bindgen").unwrap();
        assert_eq!(
            find("wit-bindgen")["version"].as_str(),
            Some(wit_bindgen.version.as_str())
        );
        let lock: toml::Table = project_lock("my-instance", &["serde", "serde_json"])
            .unwrap()
            .parse()
            .unwrap();
        let root = lock["package"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"].as_str() == Some("my-instance"))
            .unwrap();
        assert_eq!(
            root["dependencies"],
            toml::Value::Array(vec!["serde".into(), "serde_json".into(), "yoi-pdk".into()])
        );
        // Only what the project needs: nothing of the examples themselves.
        assert!(packages.iter().all(|p| {
            let name = p["name"].as_str().unwrap();
            !name.starts_with("yoi-example")
        }));
    }

    #[test]
    fn a_crate_named_like_a_dependency_is_refused() {
        let err = project_lock("serde", &["serde"]).unwrap_err();
        assert!(err.to_string().contains("dependencies"), "{err}");
    }
}
