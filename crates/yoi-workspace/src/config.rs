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

use crate::{Grants, QualifiedId, WorkspaceError};

/// Where the enablement file lives, relative to the workspace.
pub const CONFIG_FILE: &str = ".yoi/config.toml";
/// Largest config file read.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
const TOP_LEVEL_KEYS: [&str; 4] = ["plugins", "limits", "serve", "https"];

/// The parsed enablement file.
#[derive(Debug, Clone, Default)]
pub struct Config {
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
}

/// `[https]`: how the `https` host API trusts servers, for every plugin.
///
/// ```toml
/// [https]
/// extra_roots = ["/etc/ssl/private-ca.pem"]  # PEM files, absolute paths
/// builtin_roots = true                        # Mozilla's roots (default)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpsSettings {
    /// More trust roots for private deployments, as PEM files.
    #[serde(default)]
    pub extra_roots: Vec<PathBuf>,
    /// Whether Mozilla's root set, built into yoi, is trusted.
    #[serde(default = "yes")]
    pub builtin_roots: bool,
}

fn yes() -> bool {
    true
}

impl Default for HttpsSettings {
    fn default() -> Self {
        HttpsSettings {
            extra_roots: Vec::new(),
            builtin_roots: true,
        }
    }
}

/// Largest PEM file read for `[https] extra_roots`.
pub const MAX_ROOTS_PEM_BYTES: u64 = 1024 * 1024;

impl HttpsSettings {
    /// Read every extra root file.
    pub fn read_extra_roots(&self) -> Result<Vec<Vec<u8>>, WorkspaceError> {
        self.extra_roots
            .iter()
            .map(|path| {
                read_bounded_with(path, MAX_ROOTS_PEM_BYTES)?
                    .map(String::into_bytes)
                    .ok_or_else(|| WorkspaceError::ConfigShape {
                        path: path.clone(),
                        message: "this `[https] extra_roots` file does not exist".into(),
                    })
            })
            .collect()
    }
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

/// A check every event of one ingress must pass before it is accepted, the
/// way webhook senders sign their deliveries. The secret lives in a file of
/// its own, never in `.yoi/config.toml`.
///
/// ```toml
/// [plugins."project:webhook".ingress.receive]
/// hmac_sha256_file = "/home/me/.config/yoi/webhook-secret"
/// # header = "X-Hub-Signature-256"   # the default; value `sha256=<hex>`
/// ```
///
/// or, for senders that can only repeat a shared token:
///
/// ```toml
/// [plugins."project:webhook".ingress.receive]
/// token_file = "/home/me/.config/yoi/webhook-token"
/// # header = "X-Yoi-Ingress-Token"   # the default
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressAuth {
    /// Absolute path of the shared secret: each event must carry the
    /// HMAC-SHA256 of its exact body under that secret, as `sha256=<hex>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_sha256_file: Option<PathBuf>,
    /// Absolute path of a token each event must carry as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    /// The header that carries the signature or token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
}

/// The check an [`IngressAuth`] describes, with its secret read.
#[derive(Clone, PartialEq, Eq)]
pub enum IngressCheck {
    /// `header` carries `sha256=<hex of HMAC-SHA256(secret, body)>`.
    HmacSha256 { header: String, secret: Vec<u8> },
    /// `header` carries the token itself.
    Token { header: String, token: Vec<u8> },
}

impl std::fmt::Debug for IngressCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IngressCheck::HmacSha256 { header, .. } => write!(f, "HmacSha256({header})"),
            IngressCheck::Token { header, .. } => write!(f, "Token({header})"),
        }
    }
}

impl IngressAuth {
    fn validate(&self, ingress: &str) -> Result<(), WorkspaceError> {
        let bad = |message: String| WorkspaceError::BadGrant {
            message: format!("ingress `{ingress}`: {message}"),
        };
        let path = match (&self.hmac_sha256_file, &self.token_file) {
            (Some(p), None) | (None, Some(p)) => p,
            _ => {
                return Err(bad(
                    "set exactly one of `hmac_sha256_file` and `token_file`".into(),
                ));
            }
        };
        if !path.is_absolute() {
            return Err(bad(format!(
                "the secret file `{}` must be an absolute path",
                path.display()
            )));
        }
        if let Some(h) = &self.header
            && (h.is_empty()
                || h.len() > 100
                || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(bad(format!(
                "`{}` is not a header name",
                yoi_manifest::bounded(h, 100)
            )));
        }
        Ok(())
    }

    /// Read the secret and say what to check.
    pub fn check(&self) -> Result<IngressCheck, WorkspaceError> {
        let read = |path: &Path| {
            crate::grants::read_secret(path, "ingress secret").map(String::into_bytes)
        };
        let header = |default: &str| {
            self.header
                .clone()
                .unwrap_or_else(|| default.to_owned())
                .to_ascii_lowercase()
        };
        match (&self.hmac_sha256_file, &self.token_file) {
            (Some(p), None) => Ok(IngressCheck::HmacSha256 {
                header: header("x-hub-signature-256"),
                secret: read(p)?,
            }),
            (None, Some(p)) => Ok(IngressCheck::Token {
                header: header("x-yoi-ingress-token"),
                token: read(p)?,
            }),
            _ => Err(WorkspaceError::BadGrant {
                message: "set exactly one of `hmac_sha256_file` and `token_file`".into(),
            }),
        }
    }
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
            limits: section("limits")?,
            serve: section("serve")?,
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
    read_bounded_with(path, MAX_CONFIG_BYTES)
}

/// Read a UTF-8 file of at most `limit` bytes; `Ok(None)` when it does not
/// exist. The bound is applied to what is read, not to what metadata says,
/// so a file that grows meanwhile cannot get past it.
pub(crate) fn read_bounded_with(path: &Path, limit: u64) -> Result<Option<String>, WorkspaceError> {
    use std::io::Read as _;
    let read_err = |source| WorkspaceError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(e)),
    };
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(WorkspaceError::ConfigShape {
            path: path.to_path_buf(),
            message: format!("larger than {limit} bytes"),
        });
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| WorkspaceError::ConfigShape {
            path: path.to_path_buf(),
            message: "not UTF-8 text".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    fn parse(text: &str) -> Result<Config, WorkspaceError> {
        Config::parse(text, PathBuf::from("/w/.yoi/config.toml"))
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

    #[test]
    fn secrets_are_read_bounded_and_never_empty() {
        let dir = tempfile::tempdir().unwrap();
        let auth = |path: &Path| IngressAuth {
            hmac_sha256_file: Some(path.to_path_buf()),
            token_file: None,
            header: None,
        };
        let missing = auth(&dir.path().join("nope")).check().unwrap_err();
        assert!(missing.to_string().contains("does not exist"), "{missing}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        assert!(
            auth(&empty)
                .check()
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'k'; crate::MAX_SECRET_BYTES as usize + 1]).unwrap();
        assert!(
            auth(&big)
                .check()
                .unwrap_err()
                .to_string()
                .contains("larger than")
        );
        let good = dir.path().join("good");
        std::fs::write(&good, "key\n").unwrap();
        match auth(&good).check().unwrap() {
            IngressCheck::HmacSha256 { header, secret } => {
                assert_eq!(header, "x-hub-signature-256");
                assert_eq!(secret, b"key");
            }
            other => panic!("{other:?}"),
        }
    }
}
