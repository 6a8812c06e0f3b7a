//! How inbound events of one ingress must prove their sender
//! ([`IngressAuth`], as configured), and the check with its secret read
//! ([`IngressCheck`]).
//!
//! The secret lives in a file of its own, never in `.yoi/config.toml`, and is
//! read like every secret (bounded, never empty). [`IngressCheck`]'s `Debug`
//! shows the header only, so a secret never reaches a log.
//!
//! A signed ingress may also require a timestamp (replay protection): with
//! `timestamp_header` set, each event carries its Unix time in seconds in
//! that header, the signature covers `<timestamp>.<body>` (the header's
//! exact text, a full stop, then the exact body, as Stripe signs), and an
//! event whose timestamp is more than `max_skew_secs` (default
//! [`DEFAULT_MAX_SKEW_SECS`], at most [`MAX_SKEW_SECS_LIMIT`]) from the
//! host's clock is refused. A recorded delivery replayed after the window is
//! refused; one replayed inside it is not (the host keeps no delivery ids).

use std::path::{Path, PathBuf};
use std::time::Duration;

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
/// A signed ingress that also refuses deliveries older (or newer) than five
/// minutes; the signature then covers `<timestamp>.<body>`:
///
/// ```toml
/// [plugins."project:webhook".ingress.receive]
/// hmac_sha256_file = "/home/me/.config/yoi/webhook-secret"
/// timestamp_header = "X-Yoi-Timestamp"
/// # max_skew_secs = 300               # the default
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
    /// With `hmac_sha256_file` only: the header that carries the event's
    /// Unix time in seconds; the signature then covers `<timestamp>.<body>`,
    /// and an event outside `max_skew_secs` of the host's clock is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_header: Option<String>,
    /// How far, in seconds, an event's timestamp may be from the host's
    /// clock, either way (default 300, at most 86400). Needs
    /// `timestamp_header`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_skew_secs: Option<u64>,
}

/// How far an event's timestamp may be from the host's clock by default.
pub const DEFAULT_MAX_SKEW_SECS: u64 = 300;
/// The largest `max_skew_secs` accepted: a day.
pub const MAX_SKEW_SECS_LIMIT: u64 = 86_400;

/// A signed ingress's timestamp requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampCheck {
    /// The header that carries the Unix time in seconds, lowercase.
    pub header: String,
    /// How far the timestamp may be from the host's clock, either way.
    pub max_skew: Duration,
}

/// The check an [`IngressAuth`] describes, with its secret read.
#[derive(Clone, PartialEq, Eq)]
pub enum IngressCheck {
    /// `header` carries `sha256=<hex of HMAC-SHA256(secret, body)>`, or of
    /// `<timestamp>.<body>` when `timestamp` is required.
    HmacSha256 {
        /// The header that carries the signature.
        header: String,
        /// The shared secret, as read from its file.
        secret: Vec<u8>,
        /// The timestamp the signature must cover, if required.
        timestamp: Option<TimestampCheck>,
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
        for h in [&self.header, &self.timestamp_header].into_iter().flatten() {
            if h.is_empty()
                || h.len() > 100
                || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err(bad(format!(
                    "`{}` is not a header name",
                    yoi_manifest::bounded(h, 100)
                )));
            }
        }
        if self.timestamp_header.is_some() && self.hmac_sha256_file.is_none() {
            return Err(bad(
                "`timestamp_header` needs `hmac_sha256_file`: only a signature can cover the timestamp"
                    .into(),
            ));
        }
        match self.max_skew_secs {
            Some(_) if self.timestamp_header.is_none() => {
                return Err(bad("`max_skew_secs` needs `timestamp_header`".into()));
            }
            Some(n) if n == 0 || n > MAX_SKEW_SECS_LIMIT => {
                return Err(bad(format!(
                    "`max_skew_secs` is {n}; it must be 1 to {MAX_SKEW_SECS_LIMIT}"
                )));
            }
            _ => {}
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
                timestamp: self.timestamp_header.as_ref().map(|h| TimestampCheck {
                    header: h.to_ascii_lowercase(),
                    max_skew: Duration::from_secs(
                        self.max_skew_secs
                            .unwrap_or(DEFAULT_MAX_SKEW_SECS)
                            .min(MAX_SKEW_SECS_LIMIT),
                    ),
                }),
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
            timestamp_header: None,
            max_skew_secs: None,
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
            IngressCheck::HmacSha256 {
                header,
                secret,
                timestamp: None,
            } => {
                assert_eq!(header, "x-hub-signature-256");
                assert_eq!(secret, b"key");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_timestamp_needs_a_signature_and_a_bounded_window() {
        let auth = |hmac: bool, ts: Option<&str>, skew: Option<u64>| IngressAuth {
            hmac_sha256_file: hmac.then(|| PathBuf::from("/s")),
            token_file: (!hmac).then(|| PathBuf::from("/t")),
            header: None,
            timestamp_header: ts.map(str::to_owned),
            max_skew_secs: skew,
        };
        assert!(
            auth(true, Some("X-Yoi-Timestamp"), None)
                .validate("i")
                .is_ok()
        );
        assert!(
            auth(true, Some("X-Yoi-Timestamp"), Some(86_400))
                .validate("i")
                .is_ok()
        );
        for (bad, expected) in [
            (
                auth(false, Some("X-Yoi-Timestamp"), None),
                "needs `hmac_sha256_file`",
            ),
            (
                auth(true, None, Some(60)),
                "`max_skew_secs` needs `timestamp_header`",
            ),
            (
                auth(true, Some("X-Yoi-Timestamp"), Some(0)),
                "must be 1 to 86400",
            ),
            (
                auth(true, Some("X-Yoi-Timestamp"), Some(u64::MAX)),
                "must be 1 to 86400",
            ),
            (auth(true, Some("X Yoi"), None), "is not a header name"),
        ] {
            let e = bad.validate("i").unwrap_err().to_string();
            assert!(e.contains(expected), "{e}");
        }
    }
}
