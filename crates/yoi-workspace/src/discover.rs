//! Discovery: a read-only inventory of every package in every store.
//!
//! Discovery reads archives and manifests; it never executes anything and never
//! stops at one bad package. A package that cannot be read is still listed (as
//! an error, under its file name) so that a person can see and fix it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use yoi_package::Package;

use crate::{Diagnostic, DiagnosticKind, QualifiedId, Source, Stores};

/// The file extension of a packaged plugin.
pub const PACKAGE_EXTENSION: &str = "yoi-plugin";
/// Most package files read from one store.
pub const MAX_PACKAGES_PER_STORE: usize = 4096;

/// One package file found in a store.
#[derive(Debug)]
pub struct Discovered {
    /// The store's source and the manifest's id; for a package that cannot
    /// be read, the id its manifest seems to give, else its file name.
    pub qid: QualifiedId,
    /// The package file.
    pub path: PathBuf,
    /// The validated package, or why it is not one.
    pub package: Result<Package, Diagnostic>,
    /// Other problems (e.g. the same id twice in a store).
    pub diagnostics: Vec<Diagnostic>,
}

impl Discovered {
    /// Whether the package is valid and nothing else is wrong with it.
    pub fn is_usable(&self) -> bool {
        self.package.is_ok() && self.diagnostics.is_empty()
    }
}

/// Everything discovery found.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Every package file found, usable or not.
    pub packages: Vec<Discovered>,
    /// Problems with a store itself (e.g. unreadable directory).
    pub store_errors: Vec<(Source, String)>,
    /// The user store's directory, protected from fs grants.
    pub user_store: Option<PathBuf>,
}

impl Inventory {
    /// All packages found under `qid`.
    pub fn by_qid<'a>(&'a self, qid: &'a QualifiedId) -> impl Iterator<Item = &'a Discovered> + 'a {
        self.packages.iter().filter(move |d| &d.qid == qid)
    }
}

/// Inventory every store.
pub fn discover(stores: &Stores) -> Inventory {
    let mut inventory = Inventory {
        user_store: stores.user.clone(),
        ..Inventory::default()
    };
    for source in Source::ALL {
        let Some(dir) = stores.dir(source) else {
            continue;
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                inventory
                    .store_errors
                    .push((source, format!("cannot read `{}`: {e}", dir.display())));
                continue;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == PACKAGE_EXTENSION))
            .collect();
        paths.sort();
        if paths.len() > MAX_PACKAGES_PER_STORE {
            inventory.store_errors.push((
                source,
                format!(
                    "more than {MAX_PACKAGES_PER_STORE} packages in `{}`; the rest are ignored",
                    dir.display()
                ),
            ));
            paths.truncate(MAX_PACKAGES_PER_STORE);
        }
        let mut found: Vec<Discovered> = paths.into_iter().map(|p| read_one(source, p)).collect();
        mark_duplicates(&mut found);
        inventory.packages.extend(found);
    }
    inventory
}

fn read_one(source: Source, path: PathBuf) -> Discovered {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fallback_id = if yoi_manifest::is_valid_plugin_id(&stem) {
        stem
    } else {
        "invalid-file-name".into()
    };
    let package = match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_symlink() => Err(Diagnostic::new(
            DiagnosticKind::Package,
            format!(
                "`{}` is a symbolic link; stores hold regular files only",
                path.display()
            ),
        )),
        Ok(m) if !m.is_file() => Err(Diagnostic::new(
            DiagnosticKind::Package,
            format!("`{}` is not a regular file", path.display()),
        )),
        Ok(_) => Package::from_archive_file(&path)
            .map_err(|e| Diagnostic::new(DiagnosticKind::Package, e.to_string())),
        Err(e) => Err(Diagnostic::new(
            DiagnosticKind::Package,
            format!("cannot read `{}`: {e}", path.display()),
        )),
    };
    let id = match &package {
        Ok(p) => p.manifest().id.clone(),
        Err(_) => manifest_id_of_broken(&path).unwrap_or(fallback_id),
    };
    Discovered {
        qid: QualifiedId { source, id },
        path,
        package,
        diagnostics: Vec::new(),
    }
}

/// The id of a package that failed validation, when its manifest still parses,
/// so that the failure is reported under the name a person enabled.
fn manifest_id_of_broken(path: &std::path::Path) -> Option<String> {
    let files = yoi_package::read_archive_file(path).ok()?;
    let text = std::str::from_utf8(files.get(yoi_manifest::MANIFEST_FILE)?).ok()?;
    Some(yoi_manifest::Manifest::from_toml_str(text).ok()?.id)
}

fn mark_duplicates(found: &mut [Discovered]) {
    let mut by_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, d) in found.iter().enumerate() {
        by_id.entry(d.qid.id.clone()).or_default().push(i);
    }
    for indexes in by_id.into_values() {
        if indexes.len() < 2 {
            continue;
        }
        let files: Vec<String> = indexes
            .iter()
            .map(|&i| {
                found[i]
                    .path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        for &i in &indexes {
            let qid = &found[i].qid;
            let msg = format!(
                "`{qid}` is provided by {} files in the {} store ({}); remove all but one",
                indexes.len(),
                qid.source,
                files.join(", ")
            );
            found[i]
                .diagnostics
                .push(Diagnostic::new(DiagnosticKind::Duplicate, msg));
        }
    }
}
