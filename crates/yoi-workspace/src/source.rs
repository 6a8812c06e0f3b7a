//! Stores and source-qualified plugin ids (`project:echo`, `user:echo`, `builtin:echo`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;

use crate::WorkspaceError;

/// Where a package was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// `<workspace>/.yoi/plugins/`: travels with a repository, never runs until enabled.
    Project,
    /// `$XDG_DATA_HOME/yoi/plugins/` (default `~/.local/share/yoi/plugins/`).
    User,
    /// Packages shipped with yoi (`$YOI_BUILTIN_DIR`, default `<exe dir>/../share/yoi/plugins/`).
    Builtin,
}

impl Source {
    /// Every source, in the order stores are listed.
    pub const ALL: [Source; 3] = [Source::Project, Source::User, Source::Builtin];

    /// The source's name, as a qualified id spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Project => "project",
            Source::User => "user",
            Source::Builtin => "builtin",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A source-qualified plugin id, e.g. `project:echo`. The key of an enablement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedId {
    /// The store the plugin is found in.
    pub source: Source,
    /// The plugin id, as its manifest gives it.
    pub id: String,
}

impl fmt::Display for QualifiedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.id)
    }
}

impl Serialize for QualifiedId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A reference typed by a person: qualified (`user:echo`) or bare (`echo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRef {
    /// The source, when the reference is qualified.
    pub source: Option<Source>,
    /// The plugin id.
    pub id: String,
}

impl PluginRef {
    /// The qualified id, if the reference names a source.
    pub fn qualified(&self) -> Option<QualifiedId> {
        self.source.map(|source| QualifiedId {
            source,
            id: self.id.clone(),
        })
    }
}

/// What a [`PluginRef`] names among some known plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Exactly one plugin.
    One(QualifiedId),
    /// None of them.
    None,
    /// A bare id held by more than one source: never guessed, it fails closed.
    Ambiguous(Vec<QualifiedId>),
}

impl PluginRef {
    /// Whether `qid` is what this reference names: the same id, and the same
    /// source when one is given.
    pub fn matches(&self, qid: &QualifiedId) -> bool {
        qid.id == self.id && self.source.is_none_or(|s| s == qid.source)
    }

    /// The one plugin among `known` that this reference names. This is the
    /// only place a reference is matched, so the rule (a qualified reference
    /// is exact, a bare one must match exactly one source) holds everywhere.
    pub fn lookup<'a>(&self, known: impl IntoIterator<Item = &'a QualifiedId>) -> Lookup {
        let mut found: Vec<QualifiedId> = known
            .into_iter()
            .filter(|q| self.matches(q))
            .cloned()
            .collect();
        found.sort();
        found.dedup();
        match found.len() {
            0 => Lookup::None,
            1 => Lookup::One(found.remove(0)),
            _ => Lookup::Ambiguous(found),
        }
    }
}

impl fmt::Display for PluginRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            Some(s) => write!(f, "{s}:{}", self.id),
            None => f.write_str(&self.id),
        }
    }
}

impl FromStr for PluginRef {
    type Err = WorkspaceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |message: &str| WorkspaceError::BadRef {
            reference: yoi_manifest::bounded(text, 140),
            message: message.to_owned(),
        };
        let (source, id) = match text.split_once(':') {
            Some((source, id)) => {
                let source = Source::ALL
                    .into_iter()
                    .find(|s| s.as_str() == source)
                    .ok_or_else(|| bad("the source must be `project`, `user` or `builtin`"))?;
                (Some(source), id)
            }
            None => (None, text),
        };
        if !yoi_manifest::is_valid_plugin_id(id) {
            return Err(bad(
                "a plugin id is 1-128 of [a-z0-9._-] with no leading or trailing dot",
            ));
        }
        Ok(PluginRef {
            source,
            id: id.to_owned(),
        })
    }
}

impl FromStr for QualifiedId {
    type Err = WorkspaceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let r: PluginRef = text.parse()?;
        r.qualified().ok_or_else(|| WorkspaceError::BadRef {
            reference: yoi_manifest::bounded(text, 140),
            message: "expected a source-qualified id such as `project:echo`".into(),
        })
    }
}

/// The store directories of one workspace.
#[derive(Debug, Clone)]
pub struct Stores {
    /// The workspace directory.
    pub workspace: PathBuf,
    /// `<workspace>/.yoi/plugins/`.
    pub project: PathBuf,
    /// The user store, if the environment names a home for it.
    pub user: Option<PathBuf>,
    /// The builtin store, if one can be located.
    pub builtin: Option<PathBuf>,
}

impl Stores {
    /// The stores for `workspace`, with the user and builtin stores taken from
    /// the environment (`XDG_DATA_HOME`/`HOME`, `YOI_BUILTIN_DIR`).
    pub fn for_workspace(workspace: &Path) -> Stores {
        let user = env_dir("XDG_DATA_HOME")
            .or_else(|| env_dir("HOME").map(|h| h.join(".local/share")))
            .map(|d| d.join("yoi/plugins"));
        let builtin = env_dir("YOI_BUILTIN_DIR").or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent()?.parent().map(|p| p.join("share/yoi/plugins")))
        });
        Stores {
            workspace: workspace.to_path_buf(),
            project: workspace.join(".yoi/plugins"),
            user,
            builtin,
        }
    }

    /// The directory of `source`'s store, if it has one.
    pub fn dir(&self, source: Source) -> Option<&Path> {
        match source {
            Source::Project => Some(&self.project),
            Source::User => self.user.as_deref(),
            Source::Builtin => self.builtin.as_deref(),
        }
    }

    /// The workspace's enablement file.
    pub fn config_path(&self) -> PathBuf {
        self.workspace.join(crate::CONFIG_FILE)
    }
}

/// An absolute directory from the environment; relative or empty values are
/// ignored, as the XDG base directory specification requires.
pub(crate) fn env_dir(var: &str) -> Option<PathBuf> {
    let value = std::env::var_os(var)?;
    let path = PathBuf::from(value);
    path.is_absolute().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_parse() {
        let r: PluginRef = "project:echo".parse().unwrap();
        assert_eq!(r.source, Some(Source::Project));
        assert_eq!(r.to_string(), "project:echo");
        let bare: PluginRef = "echo".parse().unwrap();
        assert_eq!(bare.source, None);
        assert!("galaxy:echo".parse::<PluginRef>().is_err());
        assert!("project:Echo".parse::<PluginRef>().is_err());
        assert!("project:".parse::<PluginRef>().is_err());
        assert!("echo".parse::<QualifiedId>().is_err());
        assert_eq!(
            "user:a.b".parse::<QualifiedId>().unwrap().to_string(),
            "user:a.b"
        );
    }

    #[test]
    fn a_bare_reference_must_name_one_source() {
        let known: Vec<QualifiedId> = ["project:echo", "user:echo", "user:notes"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let find = |text: &str| text.parse::<PluginRef>().unwrap().lookup(&known);
        assert_eq!(find("notes"), Lookup::One("user:notes".parse().unwrap()));
        assert_eq!(find("user:echo"), Lookup::One("user:echo".parse().unwrap()));
        assert_eq!(find("builtin:echo"), Lookup::None);
        assert_eq!(find("other"), Lookup::None);
        assert_eq!(
            find("echo"),
            Lookup::Ambiguous(vec![
                "project:echo".parse().unwrap(),
                "user:echo".parse().unwrap()
            ])
        );
    }
}
