//! Grants: what an enablement allows, per surface and per host API.
//!
//! A grant is never implied by a request in the manifest; both must agree for
//! anything to be eligible (see [`crate::resolve`]). Grants are parsed into
//! typed values here so that no later check works on raw strings.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::WorkspaceError;

/// The grants of one enabled plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Tool names, or `["*"]` for every tool the manifest requests.
    #[serde(default, skip_serializing_if = "NameGrant::is_empty")]
    pub tools: NameGrant,
    #[serde(default, skip_serializing_if = "NameGrant::is_empty")]
    #[schemars(
        description = "Service names, or `[\"*\"]` for every service the manifest requests."
    )]
    pub services: NameGrant,
    #[serde(default, skip_serializing_if = "NameGrant::is_empty")]
    #[schemars(
        description = "Ingress names, or `[\"*\"]` for every ingress the manifest requests."
    )]
    pub ingresses: NameGrant,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(description = "Outbound HTTP(S) allowed, one URL prefix and its methods each.")]
    pub https: Vec<HttpsGrant>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(description = "File access allowed, one absolute root and its operations each.")]
    pub fs: Vec<FsGrant>,
}

/// A list of granted names; `*` grants every name the manifest requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct NameGrant(pub Vec<String>);

impl NameGrant {
    pub fn all() -> Self {
        NameGrant(vec!["*".into()])
    }

    pub fn allows(&self, name: &str) -> bool {
        self.0.iter().any(|n| n == "*" || n == name)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn validate(&self, what: &str) -> Result<(), WorkspaceError> {
        for name in &self.0 {
            if name != "*" && !yoi_manifest::is_valid_surface_name(name) {
                return Err(WorkspaceError::BadGrant {
                    message: format!(
                        "{what} name `{}` is not a valid name (or `*`)",
                        yoi_manifest::bounded(name, 80)
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Outbound HTTP(S) allowed to one URL prefix with some methods.
///
/// `url` fixes the scheme, host, port (explicit or the scheme's default) and a
/// path prefix. Plain `http` must be written out; it is never the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpsGrant {
    #[schemars(
        description = "Scheme, host, port and path prefix, e.g. `https://api.example.com/v1/`."
    )]
    pub url: String,
    #[schemars(description = "HTTP methods allowed, e.g. `[\"GET\", \"POST\"]`.")]
    pub methods: Vec<String>,
    /// Credential headers the host attaches to requests this grant allows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretHeader>,
}

/// A credential header whose value the host reads from a file.
///
/// The value lives in its own file (for example one only the user can read),
/// never in `.yoi/config.toml`, which is meant to be shared and reviewed. The
/// plugin never sees the value: the host adds the header to requests the
/// grant allows, and refuses requests in which the plugin sets it itself.
///
/// ```toml
/// [[plugins."project:fetch".grants.https.secrets]]
/// header = "Authorization"
/// file = "/home/me/.config/yoi/api-token"   # e.g. "Bearer ..."
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretHeader {
    #[schemars(description = "The header the host sets, e.g. `Authorization`.")]
    pub header: String,
    /// Absolute path of a file holding the header value (one line).
    pub file: PathBuf,
}

/// Largest secret file read.
pub const MAX_SECRET_BYTES: u64 = 16 * 1024;

impl SecretHeader {
    fn validate(&self) -> Result<(), WorkspaceError> {
        let valid_name = !self.header.is_empty()
            && self.header.len() <= 100
            && self
                .header
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_name {
            return Err(WorkspaceError::BadGrant {
                message: format!(
                    "secret header name `{}` is not a valid header name",
                    yoi_manifest::bounded(&self.header, 100)
                ),
            });
        }
        if !self.file.is_absolute() {
            return Err(WorkspaceError::BadGrant {
                message: format!(
                    "the secret file for `{}` must be an absolute path, not `{}`",
                    self.header,
                    self.file.display()
                ),
            });
        }
        Ok(())
    }

    /// Read the value: the file's text without its trailing line break.
    pub fn read_value(&self) -> Result<String, WorkspaceError> {
        read_secret(&self.file, &format!("secret for `{}`", self.header))
    }
}

/// Read a secret file: at most [`MAX_SECRET_BYTES`] of UTF-8, without its
/// trailing line break, and not empty. Errors name `what` and the path,
/// never the contents.
pub(crate) fn read_secret(path: &std::path::Path, what: &str) -> Result<String, WorkspaceError> {
    let bad = |message: String| WorkspaceError::BadGrant {
        message: format!("{what} in `{}`: {message}", path.display()),
    };
    let text = crate::config::read_bounded_with(path, MAX_SECRET_BYTES)
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| bad("the file does not exist".into()))?;
    let secret = text.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return Err(bad("the file is empty".into()));
    }
    Ok(secret.to_owned())
}

/// An [`HttpsGrant`] parsed into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsTarget {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub path_prefix: String,
    pub methods: Vec<String>,
}

/// HTTP methods a grant may name.
pub const HTTP_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

impl HttpsGrant {
    /// Parse a grant as written on the command line; a URL without a scheme gets `https://`.
    pub fn new(url: &str, methods: &[String]) -> Result<HttpsGrant, WorkspaceError> {
        let url = if url.contains("://") {
            url.to_owned()
        } else {
            format!("https://{url}")
        };
        let grant = HttpsGrant {
            url,
            methods: methods
                .iter()
                .map(|m| m.trim().to_ascii_uppercase())
                .collect(),
            secrets: Vec::new(),
        };
        grant.target()?;
        Ok(grant)
    }

    /// Check and split the grant.
    pub fn target(&self) -> Result<HttpsTarget, WorkspaceError> {
        let bad = |message: String| WorkspaceError::BadGrant { message };
        let shown = yoi_manifest::bounded(&self.url, 200);
        let parsed = url::Url::parse(&self.url)
            .map_err(|e| bad(format!("https grant `{shown}` is not a URL: {e}")))?;
        let scheme = parsed.scheme().to_owned();
        if scheme != "https" && scheme != "http" {
            return Err(bad(format!(
                "https grant `{shown}`: scheme must be `https` or `http`"
            )));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(bad(format!(
                "https grant `{shown}`: credentials do not belong in a grant URL; configure a secret"
            )));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad(format!(
                "https grant `{shown}`: a grant is a prefix; drop the query and fragment"
            )));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| bad(format!("https grant `{shown}` has no host")))?
            .to_ascii_lowercase();
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| bad(format!("https grant `{shown}` has no port")))?;
        if self.methods.is_empty() {
            return Err(bad(format!("https grant `{shown}` names no methods")));
        }
        for m in &self.methods {
            if !HTTP_METHODS.contains(&m.as_str()) {
                return Err(bad(format!(
                    "https grant `{shown}`: unknown method `{}` (expected one of {})",
                    yoi_manifest::bounded(m, 20),
                    HTTP_METHODS.join(", ")
                )));
            }
        }
        Ok(HttpsTarget {
            scheme,
            host,
            port,
            path_prefix: parsed.path().to_owned(),
            methods: self.methods.clone(),
        })
    }
}

/// Filesystem access beneath one absolute root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FsGrant {
    #[schemars(description = "An absolute directory; plugins reach only what is beneath it.")]
    pub root: PathBuf,
    #[schemars(description = "Operations allowed beneath `root`.")]
    pub ops: Vec<FsOp>,
}

/// A filesystem operation. Each is granted separately: `write` does not imply `read`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FsOp {
    /// Read a file's bytes and metadata.
    Read,
    /// List a directory.
    List,
    /// Create or replace a file (atomically).
    Write,
    /// Create a directory.
    CreateDir,
    /// Remove a file or an empty directory.
    Remove,
}

impl FsOp {
    pub const ALL: [FsOp; 5] = [
        FsOp::Read,
        FsOp::List,
        FsOp::Write,
        FsOp::CreateDir,
        FsOp::Remove,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FsOp::Read => "read",
            FsOp::List => "list",
            FsOp::Write => "write",
            FsOp::CreateDir => "create-dir",
            FsOp::Remove => "remove",
        }
    }

    pub fn parse(text: &str) -> Result<FsOp, WorkspaceError> {
        FsOp::ALL
            .into_iter()
            .find(|op| op.as_str() == text.trim())
            .ok_or_else(|| WorkspaceError::BadGrant {
                message: format!(
                    "unknown fs operation `{}` (expected read, list, write, create-dir or remove)",
                    yoi_manifest::bounded(text, 40)
                ),
            })
    }
}

impl fmt::Display for FsOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FsGrant {
    pub fn validate(&self) -> Result<(), WorkspaceError> {
        if !self.root.is_absolute() {
            return Err(WorkspaceError::BadGrant {
                message: format!("fs root `{}` must be an absolute path", self.root.display()),
            });
        }
        if self.ops.is_empty() {
            return Err(WorkspaceError::BadGrant {
                message: format!("fs grant for `{}` names no operations", self.root.display()),
            });
        }
        Ok(())
    }
}

impl Grants {
    pub(crate) fn validate(&self) -> Result<(), WorkspaceError> {
        self.tools.validate("tool")?;
        self.services.validate("service")?;
        self.ingresses.validate("ingress")?;
        for h in &self.https {
            h.target()?;
            for s in &h.secrets {
                s.validate()?;
            }
        }
        for f in &self.fs {
            f.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_grants_parse_into_parts() {
        let g = HttpsGrant::new("api.example.com/v1/", &["get".into(), "POST".into()]).unwrap();
        let t = g.target().unwrap();
        assert_eq!(
            (
                t.scheme.as_str(),
                t.host.as_str(),
                t.port,
                t.path_prefix.as_str()
            ),
            ("https", "api.example.com", 443, "/v1/")
        );
        assert_eq!(t.methods, vec!["GET", "POST"]);
        let plain = HttpsGrant::new("http://127.0.0.1:8080/", &["GET".into()]).unwrap();
        assert_eq!(plain.target().unwrap().port, 8080);
        for bad in ["ftp://x/", "https://u:p@x/", "https://x/?q=1", "https:///"] {
            assert!(HttpsGrant::new(bad, &["GET".into()]).is_err(), "{bad}");
        }
        assert!(HttpsGrant::new("https://x/", &["BREW".into()]).is_err());
        assert!(HttpsGrant::new("https://x/", &[]).is_err());
    }

    #[test]
    fn name_grants() {
        assert!(NameGrant::all().allows("anything"));
        let g = NameGrant(vec!["echo".into()]);
        assert!(g.allows("echo") && !g.allows("other"));
        assert!(NameGrant(vec!["bad name".into()]).validate("tool").is_err());
    }

    #[test]
    fn fs_grants() {
        assert!(
            FsGrant {
                root: "rel".into(),
                ops: vec![FsOp::Read]
            }
            .validate()
            .is_err()
        );
        assert!(
            FsGrant {
                root: "/abs".into(),
                ops: vec![]
            }
            .validate()
            .is_err()
        );
        assert_eq!(FsOp::parse("create-dir").unwrap(), FsOp::CreateDir);
        assert!(FsOp::parse("chmod").is_err());
    }
}
