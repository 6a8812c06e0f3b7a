//! `.yoi/config.toml`: which plugins are enabled, pinned to what, granted what.
//!
//! ```toml
//! [plugins."project:echo"]
//! version = "0.1.0"
//! digest = "sha256:…"
//! surfaces = ["tool"]
//!
//! [plugins."project:echo".grants]
//! tools = ["echo"]            # or ["*"]
//!
//! [[plugins."project:echo".grants.https]]
//! url = "https://api.example.com/v1/"
//! methods = ["GET", "POST"]
//!
//! [[plugins."project:echo".grants.fs]]
//! root = "/home/me/notes"
//! ops = ["read", "list", "write"]
//!
//! [plugins."project:echo".config]   # passed to the plugin at start
//! greeting = "hello"
//! ```
//!
//! Each plugin entry is read on its own: a malformed entry rejects that plugin
//! only. A file that is not TOML at all is an error for the whole workspace,
//! and then nothing is enabled (fail closed).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use yoi_manifest::Surface;
use yoi_package::Digest;

use crate::{Grants, HttpsSettings, IngressAuth, QualifiedId, WorkspaceError};

/// Where the enablement file lives, relative to the workspace.
pub const CONFIG_FILE: &str = ".yoi/config.toml";
/// Largest config file read.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
const TOP_LEVEL_KEYS: [&str; 5] = ["plugins", "limits", "serve", "https", "history"];

/// The parsed enablement file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file this was read from, or would be when it does not exist.
    pub path: PathBuf,
    /// Every entry under `[plugins]`, keyed by its text as written. An entry
    /// that does not parse is kept as an error so it can be reported.
    pub plugins: BTreeMap<String, Result<Enablement, String>>,
    /// `[limits]`, read by the runtime.
    pub limits: toml::Table,
    /// `[serve]`, read by the host daemon.
    pub serve: toml::Table,
    /// `[https]`: workspace-wide settings of the `https` host API.
    pub https: HttpsSettings,
    /// The digest of the file's authority (every `[plugins]` entry but its
    /// `config` table, `[serve]`, `[https]`, `[limits]`), which an approval
    /// in the [`TrustStore`](crate::TrustStore) must match; `None` when the
    /// file grants nothing.
    pub authority: Option<Digest>,
    /// `[history]`: the history's settings, read by the front end that
    /// opens it.
    pub history: HistorySettings,
}

/// `[history]` in `.yoi/config.toml`.
///
/// ```toml
/// [history]
/// max_bytes = 1073741824   # the default, 1 GiB; from 1 MiB to 1 TiB
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySettings {
    /// The most bytes `.yoi/history.db` may take; `None` for the default.
    /// Bounds are checked by `yoi_history::check_max_bytes` when the
    /// history is opened.
    pub max_bytes: Option<u64>,
}

/// One enabled plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Enablement {
    /// The exact version pinned.
    #[schemars(with = "String")]
    pub version: semver::Version,
    /// The exact package digest pinned.
    #[schemars(with = "String", pattern(r"^sha256:[0-9a-f]{64}$"))]
    pub digest: Digest,
    /// The surfaces selected; a surface not listed is off.
    #[serde(default)]
    pub surfaces: Vec<Surface>,
    /// What the plugin may do; nothing the manifest requests is implied.
    #[serde(default)]
    #[schemars(description = "What the plugin may do: tools, services, ingresses, host APIs.")]
    pub grants: Grants,
    /// Plugin configuration, handed to the instance at start.
    #[serde(default)]
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub config: toml::Table,
    /// How inbound events of each ingress (by name) must prove their sender.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ingress: BTreeMap<String, IngressAuth>,
}

impl Config {
    /// Read `<workspace>/.yoi/config.toml`; a missing file is an empty config.
    pub fn load(workspace: &Path) -> Result<Config, WorkspaceError> {
        let path = workspace.join(CONFIG_FILE);
        let text = match read_bounded(&path)? {
            Some(text) => text,
            None => {
                return Ok(Config {
                    path,
                    ..Config::default()
                });
            }
        };
        Config::parse(&text, path)
    }

    /// Parse config text read from `path` (named in errors and diagnostics).
    /// An unknown top-level key fails the whole file; a bad `[plugins]`
    /// entry fails only that entry.
    pub fn parse(text: &str, path: PathBuf) -> Result<Config, WorkspaceError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| WorkspaceError::ConfigSyntax {
                    path: path.clone(),
                    message: yoi_manifest::bounded(&e.to_string(), 400),
                })?;
        let shape = |message: String| WorkspaceError::ConfigShape {
            path: path.clone(),
            message,
        };
        for key in table.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                return Err(shape(format!(
                    "unknown top-level key `{}` (expected one of: {})",
                    yoi_manifest::bounded(key, 60),
                    TOP_LEVEL_KEYS.join(", ")
                )));
            }
        }
        let section = |name: &str| -> Result<toml::Table, WorkspaceError> {
            match table.get(name) {
                None => Ok(toml::Table::new()),
                Some(toml::Value::Table(t)) => Ok(t.clone()),
                Some(_) => Err(shape(format!("`{name}` must be a table"))),
            }
        };
        let mut plugins = BTreeMap::new();
        for (key, value) in section("plugins")? {
            let entry = match key.parse::<QualifiedId>() {
                Err(e) => Err(e.to_string()),
                Ok(_) => parse_enablement(value),
            };
            plugins.insert(key, entry);
        }
        let https: HttpsSettings = section("https")?
            .try_into()
            .map_err(|e: toml::de::Error| shape(format!("`[https]`: {}", e.message())))?;
        if let Some(p) = https.extra_roots.iter().find(|p| !p.is_absolute()) {
            return Err(shape(format!(
                "`[https] extra_roots`: `{}` must be an absolute path",
                p.display()
            )));
        }
        Ok(Config {
            plugins,
            authority: crate::trust::authority_digest(&table),
            limits: section("limits")?,
            serve: section("serve")?,
            history: section("history")?
                .try_into()
                .map_err(|e: toml::de::Error| shape(format!("`[history]`: {}", e.message())))?,
            https,
            path,
        })
    }

    /// The enablement for `qid`, if there is a well-formed one.
    pub fn enablement(&self, qid: &QualifiedId) -> Option<&Result<Enablement, String>> {
        self.plugins.get(&qid.to_string())
    }
}

fn parse_enablement(value: toml::Value) -> Result<Enablement, String> {
    let e: Enablement = value
        .try_into()
        .map_err(|e: toml::de::Error| yoi_manifest::bounded(&e.to_string(), 400))?;
    e.grants.validate().map_err(|e| e.to_string())?;
    for (name, auth) in &e.ingress {
        auth.validate(name).map_err(|e| e.to_string())?;
    }
    Ok(e)
}

/// Read a UTF-8 file of bounded size; `Ok(None)` when it does not exist.
pub(crate) fn read_bounded(path: &Path) -> Result<Option<String>, WorkspaceError> {
    Ok(yoi_grants::read_bounded(path, MAX_CONFIG_BYTES)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    fn parse(text: &str) -> Result<Config, WorkspaceError> {
        Config::parse(text, PathBuf::from("/w/.yoi/config.toml"))
    }

    #[test]
    fn history_takes_max_bytes_and_nothing_else() {
        let c = parse("[history]\nmax_bytes = 2097152\n").unwrap();
        assert_eq!(c.history.max_bytes, Some(2 << 20));
        assert_eq!(parse("").unwrap().history.max_bytes, None);
        let err = parse("[history]\nmax_rows = 5\n").unwrap_err().to_string();
        assert!(
            err.contains("`[history]`: unknown field `max_rows`"),
            "{err}"
        );
        let err = parse("[history]\nmax_bytes = -1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`[history]`"), "{err}");
    }

    #[test]
    fn a_bad_entry_does_not_spoil_the_others() {
        let text = format!(
            r#"
[plugins."project:good"]
version = "1.0.0"
digest = "{DIGEST}"
surfaces = ["tool"]
grants = {{ tools = ["*"] }}

[plugins."project:bad"]
version = "1.0.0"
digest = "{DIGEST}"
surprise = true

[plugins."nosource"]
version = "1.0.0"
digest = "{DIGEST}"
"#
        );
        let c = parse(&text).unwrap();
        let good = c.plugins["project:good"].as_ref().unwrap();
        assert!(good.grants.tools.allows("x"));
        assert!(
            c.plugins["project:bad"]
                .as_ref()
                .unwrap_err()
                .contains("surprise")
        );
        assert!(
            c.plugins["nosource"]
                .as_ref()
                .unwrap_err()
                .contains("source-qualified")
        );
    }

    #[test]
    fn bad_grants_reject_the_entry() {
        let text = format!(
            "[plugins.\"user:x\"]\nversion = \"1.0.0\"\ndigest = \"{DIGEST}\"\n[[plugins.\"user:x\".grants.fs]]\nroot = \"relative\"\nops = [\"read\"]\n"
        );
        let c = parse(&text).unwrap();
        assert!(
            c.plugins["user:x"]
                .as_ref()
                .unwrap_err()
                .contains("absolute")
        );
    }

    #[test]
    fn malformed_and_unknown_top_level_fail_whole() {
        assert!(matches!(
            parse("[plugins"),
            Err(WorkspaceError::ConfigSyntax { .. })
        ));
        assert!(matches!(
            parse("x = 1"),
            Err(WorkspaceError::ConfigShape { .. })
        ));
        assert!(matches!(
            parse("plugins = 3"),
            Err(WorkspaceError::ConfigShape { .. })
        ));
    }

    #[test]
    fn bad_digest_pin_is_an_entry_error() {
        let text = "[plugins.\"user:x\"]\nversion = \"1.0.0\"\ndigest = \"md5:abc\"\n";
        let c = parse(text).unwrap();
        assert!(c.plugins["user:x"].is_err());
    }

    /// The error of entry `user:x` with `extra` appended to it.
    fn entry_error(extra: &str) -> String {
        let text =
            format!("[plugins.\"user:x\"]\nversion = \"1.0.0\"\ndigest = \"{DIGEST}\"\n{extra}");
        parse(&text).unwrap().plugins["user:x"]
            .clone()
            .expect_err("the entry should be rejected")
    }

    #[test]
    fn bad_ingress_checks_reject_the_entry() {
        let both =
            "[plugins.\"user:x\".ingress.hook]\nhmac_sha256_file = \"/a\"\ntoken_file = \"/b\"\n";
        assert!(
            entry_error(both).contains("exactly one"),
            "{}",
            entry_error(both)
        );
        let neither = "[plugins.\"user:x\".ingress.hook]\nheader = \"X-Sig\"\n";
        assert!(entry_error(neither).contains("exactly one"));
        let relative = "[plugins.\"user:x\".ingress.hook]\ntoken_file = \"token\"\n";
        assert!(entry_error(relative).contains("absolute"));
        let header = "[plugins.\"user:x\".ingress.hook]\ntoken_file = \"/t\"\nheader = \"X Sig\"\n";
        assert!(entry_error(header).contains("not a header name"));
        let unknown = "[plugins.\"user:x\".ingress.hook]\ntoken_file = \"/t\"\nsalt = 1\n";
        assert!(entry_error(unknown).contains("salt"));
    }

    #[test]
    fn bad_https_secrets_reject_the_entry() {
        let grant = "[[plugins.\"user:x\".grants.https]]\nurl = \"https://a.example/\"\nmethods = [\"GET\"]\n";
        let name = format!(
            "{grant}[[plugins.\"user:x\".grants.https.secrets]]\nheader = \"Bad Name\"\nfile = \"/s\"\n"
        );
        assert!(entry_error(&name).contains("not a valid header name"));
        let relative = format!(
            "{grant}[[plugins.\"user:x\".grants.https.secrets]]\nheader = \"Authorization\"\nfile = \"s\"\n"
        );
        assert!(entry_error(&relative).contains("absolute"));
    }

    #[test]
    fn a_bad_https_section_is_an_error_for_the_workspace() {
        let relative = parse("[https]\nextra_roots = [\"ca.pem\"]\n").unwrap_err();
        assert!(relative.to_string().contains("absolute"), "{relative}");
        let unknown = parse("[https]\nroots = []\n").unwrap_err();
        assert!(unknown.to_string().contains("roots"), "{unknown}");
        let ok = parse("[https]\nextra_roots = [\"/ca.pem\"]\nbuiltin_roots = false\n").unwrap();
        assert!(!ok.https.builtin_roots);
    }
}
