//! Editing `.yoi/config.toml` without losing what a person wrote.
//!
//! Edits go through `toml_edit`, so comments, ordering and unrelated entries
//! stay as they were. Every edit is re-parsed before it is written, and the
//! file is replaced atomically (temporary file in the same directory, then
//! rename), so a crash or a bad edit never leaves a corrupt config behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};

use crate::config::read_bounded;
use crate::{Config, Enablement, QualifiedId, WorkspaceError};

/// An open, editable enablement file.
#[derive(Debug)]
pub struct ConfigEditor {
    path: PathBuf,
    doc: DocumentMut,
}

impl ConfigEditor {
    /// Open `<workspace>/.yoi/config.toml` for editing; a missing file is an
    /// empty document, created on the first [`save`](Self::save).
    pub fn open(workspace: &Path) -> Result<ConfigEditor, WorkspaceError> {
        let path = workspace.join(crate::CONFIG_FILE);
        let text = read_bounded(&path)?.unwrap_or_default();
        let doc = text
            .parse::<DocumentMut>()
            .map_err(|e| WorkspaceError::ConfigSyntax {
                path: path.clone(),
                message: yoi_manifest::bounded(&e.to_string(), 400),
            })?;
        Ok(ConfigEditor { path, doc })
    }

    fn plugins(&mut self) -> Result<&mut Table, WorkspaceError> {
        let path = self.path.clone();
        let item = self.doc.entry("plugins").or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        item.as_table_mut().ok_or(WorkspaceError::ConfigShape {
            path,
            message: "`plugins` must be a table".into(),
        })
    }

    /// Write `enablement` for `qid`. An existing entry keeps its `config`
    /// table (and its comments) unless `enablement` sets one, and its
    /// `ingress` sender checks unless `enablement` sets some; pins, surfaces
    /// and grants are replaced.
    pub fn set_enablement(
        &mut self,
        qid: &QualifiedId,
        enablement: &Enablement,
    ) -> Result<(), WorkspaceError> {
        let mut fresh = enablement.clone();
        let keep_config = fresh.config.is_empty();
        fresh.config = toml::Table::new();
        let text = toml::to_string(&fresh).map_err(|e| WorkspaceError::BadGrant {
            message: e.to_string(),
        })?;
        let rendered: DocumentMut =
            text.parse()
                .map_err(|e: toml_edit::TomlError| WorkspaceError::BadGrant {
                    message: e.to_string(),
                })?;
        let plugins = self.plugins()?;
        let key = qid.to_string();
        let old_config = plugins
            .get(&key)
            .and_then(|e| e.as_table())
            .and_then(|t| t.get("config"))
            .cloned();
        let old_ingress = plugins
            .get(&key)
            .and_then(|e| e.as_table())
            .and_then(|t| t.get("ingress"))
            .cloned();
        let mut entry = rendered.as_table().clone();
        if enablement.ingress.is_empty()
            && let Some(ingress) = old_ingress
        {
            entry.insert("ingress", ingress);
        }
        entry.remove("config");
        entry.set_implicit(false);
        if let Some(grants) = entry.get_mut("grants").and_then(Item::as_table_mut) {
            grants.set_implicit(false);
        }
        if keep_config {
            if let Some(config) = old_config {
                entry.insert("config", config);
            }
        } else {
            let config: DocumentMut = toml::to_string(&enablement.config)
                .unwrap_or_default()
                .parse()
                .map_err(|e: toml_edit::TomlError| WorkspaceError::BadGrant {
                    message: e.to_string(),
                })?;
            entry.insert("config", Item::Table(config.as_table().clone()));
        }
        let replacing = plugins.contains_key(&key);
        plugins.insert(&key, Item::Table(entry));
        if !replacing {
            // New tables go after everything already in the file, in order.
            let mut next = max_position(self.doc.as_table()) + 1;
            if let Some(entry) = self.plugins()?.get_mut(&key).and_then(Item::as_table_mut) {
                place_after(entry, &mut next);
            }
        }
        Ok(())
    }

    /// Change only the version and digest pins of an existing entry.
    pub fn repin(
        &mut self,
        qid: &QualifiedId,
        version: &semver::Version,
        digest: &yoi_package::Digest,
    ) -> Result<bool, WorkspaceError> {
        let plugins = self.plugins()?;
        let Some(entry) = plugins
            .get_mut(&qid.to_string())
            .and_then(Item::as_table_mut)
        else {
            return Ok(false);
        };
        entry["version"] = toml_edit::value(version.to_string());
        entry["digest"] = toml_edit::value(digest.to_string());
        Ok(true)
    }

    /// Remove the entry for `key` (as written in the file). Returns whether there was one.
    pub fn remove(&mut self, key: &str) -> Result<bool, WorkspaceError> {
        Ok(self.plugins()?.remove(key).is_some())
    }

    /// Validate and atomically write the file.
    pub fn save(&self) -> Result<(), WorkspaceError> {
        let mut text = self.doc.to_string();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        Config::parse(&text, self.path.clone())?;
        let dir = self.path.parent().expect("config path has a parent");
        let write_err = |source| WorkspaceError::Write {
            path: self.path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(write_err)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
        tmp.write_all(text.as_bytes()).map_err(write_err)?;
        tmp.as_file().sync_all().map_err(write_err)?;
        tmp.persist(&self.path).map_err(|e| write_err(e.error))?;
        Ok(())
    }

    /// The document as it would be written.
    pub fn to_text(&self) -> String {
        self.doc.to_string()
    }
}

fn max_position(table: &Table) -> isize {
    let mut max = table.position().unwrap_or(0);
    for (_, item) in table.iter() {
        match item {
            Item::Table(t) => max = max.max(max_position(t)),
            Item::ArrayOfTables(a) => {
                for t in a.iter() {
                    max = max.max(max_position(t));
                }
            }
            _ => {}
        }
    }
    max
}

fn place_after(table: &mut Table, next: &mut isize) {
    table.set_position(Some(*next));
    *next += 1;
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => place_after(t, next),
            Item::ArrayOfTables(a) => {
                for t in a.iter_mut() {
                    place_after(t, next);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yoi_grants::{FsGrant, FsOp, Grants, HttpsGrant, NameGrant};

    fn enablement() -> Enablement {
        Enablement {
            version: semver::Version::new(1, 2, 3),
            digest: format!("sha256:{}", "ab".repeat(32)).parse().unwrap(),
            surfaces: vec![yoi_manifest::Surface::Tool],
            grants: Grants {
                tools: NameGrant(vec!["echo".into()]),
                https: vec![
                    HttpsGrant::new("https://api.example.com/v1/", &["GET".into()]).unwrap(),
                ],
                fs: vec![FsGrant {
                    root: "/data".into(),
                    ops: vec![FsOp::Read, FsOp::List],
                }],
                ..Grants::default()
            },
            config: toml::Table::new(),
            ingress: Default::default(),
        }
    }

    #[test]
    fn enable_keeps_unrelated_content_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".yoi")).unwrap();
        let original = "# my notes\n[plugins.\"user:other\"]\n# keep me\nversion = \"0.1.0\"\ndigest = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"\n\n[plugins.\"user:other\".config]\nkey = \"value\"\n";
        std::fs::write(dir.path().join(crate::CONFIG_FILE), original).unwrap();
        let qid: QualifiedId = "project:echo".parse().unwrap();
        let mut ed = ConfigEditor::open(dir.path()).unwrap();
        ed.set_enablement(&qid, &enablement()).unwrap();
        ed.save().unwrap();
        let text = std::fs::read_to_string(dir.path().join(crate::CONFIG_FILE)).unwrap();
        assert!(text.starts_with(original), "{text}");
        let config = Config::load(dir.path()).unwrap();
        assert_eq!(
            config.plugins["project:echo"].as_ref().unwrap(),
            &enablement()
        );
        assert_eq!(
            config.plugins["user:other"].as_ref().unwrap().config["key"].as_str(),
            Some("value")
        );
        assert!(
            text.contains("[[plugins.\"project:echo\".grants.https]]"),
            "{text}"
        );
    }

    #[test]
    fn re_enable_keeps_plugin_config_and_repin_changes_only_pins() {
        let dir = tempfile::tempdir().unwrap();
        let qid: QualifiedId = "project:echo".parse().unwrap();
        let mut e = enablement();
        e.config.insert("greeting".into(), "hi".into());
        let mut ed = ConfigEditor::open(dir.path()).unwrap();
        ed.set_enablement(&qid, &e).unwrap();
        ed.save().unwrap();
        let mut ed = ConfigEditor::open(dir.path()).unwrap();
        ed.set_enablement(&qid, &enablement()).unwrap();
        let new_digest: yoi_package::Digest =
            format!("sha256:{}", "cd".repeat(32)).parse().unwrap();
        assert!(
            ed.repin(&qid, &semver::Version::new(2, 0, 0), &new_digest)
                .unwrap()
        );
        ed.save().unwrap();
        let c = Config::load(dir.path()).unwrap();
        let got = c.plugins["project:echo"].as_ref().unwrap();
        assert_eq!(got.config["greeting"].as_str(), Some("hi"));
        assert_eq!(got.digest, new_digest);
        assert_eq!(got.version, semver::Version::new(2, 0, 0));
        assert_eq!(got.grants, enablement().grants);
    }

    #[test]
    fn a_broken_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".yoi")).unwrap();
        std::fs::write(dir.path().join(crate::CONFIG_FILE), "[plugins\n").unwrap();
        assert!(ConfigEditor::open(dir.path()).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(crate::CONFIG_FILE)).unwrap(),
            "[plugins\n"
        );
    }
}
