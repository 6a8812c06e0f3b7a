//! Outbound HTTP(S): the per-plugin grant ([`HttpsGrant`], parsed into an
//! [`HttpsTarget`]) and the workspace-wide trust settings ([`HttpsSettings`]).
//!
//! A grant fixes scheme, host, port and a path prefix, and names its
//! methods; it carries no credentials (those are [`SecretHeader`]s), no
//! query and no fragment. Plain `http` must be written out: it is never the
//! default.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{GrantError, SecretHeader};

/// Outbound HTTP(S) allowed to one URL prefix with some methods.
///
/// `url` fixes the scheme, host, port (explicit or the scheme's default) and a
/// path prefix. Plain `http` must be written out; it is never the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpsGrant {
    /// The URL prefix requests must fall under.
    #[schemars(
        description = "Scheme, host, port and path prefix, e.g. `https://api.example.com/v1/`."
    )]
    pub url: String,
    /// The methods allowed, upper case, each one of [`HTTP_METHODS`].
    #[schemars(description = "HTTP methods allowed, e.g. `[\"GET\", \"POST\"]`.")]
    pub methods: Vec<String>,
    /// Credential headers the host attaches to requests this grant allows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretHeader>,
}

/// An [`HttpsGrant`] parsed into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsTarget {
    /// `https`, or `http` when written out.
    pub scheme: String,
    /// The host, lower case.
    pub host: String,
    /// The port, explicit or the scheme's default.
    pub port: u16,
    /// The path every allowed request's path starts with.
    pub path_prefix: String,
    /// The methods allowed, each one of [`HTTP_METHODS`].
    pub methods: Vec<String>,
}

/// HTTP methods a grant may name.
pub const HTTP_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

impl HttpsGrant {
    /// Parse a grant as written on the command line; a URL without a scheme gets `https://`.
    pub fn new(url: &str, methods: &[String]) -> Result<HttpsGrant, GrantError> {
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
    pub fn target(&self) -> Result<HttpsTarget, GrantError> {
        let bad = GrantError::invalid;
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
    pub fn read_extra_roots(&self) -> Result<Vec<Vec<u8>>, GrantError> {
        self.extra_roots
            .iter()
            .map(|path| {
                crate::read_bounded(path, MAX_ROOTS_PEM_BYTES)?
                    .map(String::into_bytes)
                    .ok_or_else(|| GrantError::MissingRoots { path: path.clone() })
            })
            .collect()
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
}
