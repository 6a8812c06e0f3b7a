//! How inbound events of one ingress must prove their sender
//! ([`IngressAuth`], as configured), and the check with its secret read
//! ([`IngressCheck`]).
//!
//! The secret lives in a file of its own, never in `.yoi/config.toml`, and is
//! read like every secret (bounded, never empty). [`IngressCheck`]'s `Debug`
//! shows the header only, so a secret never reaches a log.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::GrantError;
use crate::secret::read_secret;

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
    HmacSha256 {
        /// The header that carries the signature.
        header: String,
        /// The shared secret, as read from its file.
        secret: Vec<u8>,
    },
    /// `header` carries the token itself.
    Token {
        /// The header that carries the token.
        header: String,
        /// The expected token, as read from its file.
        token: Vec<u8>,
    },
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
    /// Check the shape of the check configured for the ingress named `ingress`:
    /// exactly one secret file, absolute, and a plain header name if one is set.
    pub fn validate(&self, ingress: &str) -> Result<(), GrantError> {
        let bad = |message: String| GrantError::invalid(format!("ingress `{ingress}`: {message}"));
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
    pub fn check(&self) -> Result<IngressCheck, GrantError> {
        let read = |path: &Path| read_secret(path, "ingress secret").map(String::into_bytes);
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
            _ => Err(GrantError::invalid(
                "set exactly one of `hmac_sha256_file` and `token_file`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
