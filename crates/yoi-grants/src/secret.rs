//! Credential headers whose values the host reads from files
//! ([`SecretHeader`]), and the one way a secret file is read.
//!
//! A secret is read bounded ([`MAX_SECRET_BYTES`]), must be UTF-8 and not
//! empty, and an error names what the secret is for and its path, never its
//! contents.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::GrantError;

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
    /// The header the host sets; the plugin may not set it itself.
    #[schemars(description = "The header the host sets, e.g. `Authorization`.")]
    pub header: String,
    /// Absolute path of a file holding the header value (one line).
    pub file: PathBuf,
}

/// Largest secret file read.
pub const MAX_SECRET_BYTES: u64 = 16 * 1024;

impl SecretHeader {
    pub(crate) fn validate(&self) -> Result<(), GrantError> {
        let valid_name = !self.header.is_empty()
            && self.header.len() <= 100
            && self
                .header
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_name {
            return Err(GrantError::invalid(format!(
                "secret header name `{}` is not a valid header name",
                yoi_manifest::bounded(&self.header, 100)
            )));
        }
        if !self.file.is_absolute() {
            return Err(GrantError::invalid(format!(
                "the secret file for `{}` must be an absolute path, not `{}`",
                self.header,
                self.file.display()
            )));
        }
        Ok(())
    }

    /// Read the value: the file's text without its trailing line break.
    pub fn read_value(&self) -> Result<String, GrantError> {
        read_secret(&self.file, &format!("secret for `{}`", self.header))
    }
}

/// Read a secret file: at most [`MAX_SECRET_BYTES`] of UTF-8, without its
/// trailing line break, and not empty. Errors name `what` and the path,
/// never the contents.
pub(crate) fn read_secret(path: &Path, what: &str) -> Result<String, GrantError> {
    let bad =
        |message: String| GrantError::invalid(format!("{what} in `{}`: {message}", path.display()));
    let text = crate::read_bounded(path, MAX_SECRET_BYTES)
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| bad("the file does not exist".into()))?;
    let secret = text.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return Err(bad("the file is empty".into()));
    }
    Ok(secret.to_owned())
}
