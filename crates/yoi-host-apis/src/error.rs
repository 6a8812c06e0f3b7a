//! Errors in building a policy from grants and host configuration.
//!
//! These are the host's own configuration mistakes, reported before a plugin
//! runs. What a plugin's calls can fail with is [`crate::https::HttpsError`]
//! and [`crate::fs::FsError`], which mirror the WIT error variants.

use std::io;
use std::path::PathBuf;

/// A policy could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// An https grant does not parse into a usable target.
    #[error("https grant `{url}` is not usable: {message}")]
    BadHttpsGrant {
        /// The grant's URL, as configured.
        url: String,
        /// Why it is not usable.
        message: String,
    },

    /// An extra trust root is not a PEM certificate rustls accepts.
    #[error("extra root certificate #{index} is not usable: {message}")]
    BadRootCertificate {
        /// Its position among the extra roots, from 0.
        index: usize,
        /// Why it is not usable.
        message: String,
    },

    /// No trust roots at all: every https request would fail.
    #[error("no tls trust roots: enable the built-in roots or pass `extra_roots_pem`")]
    NoTrustRoots,

    /// The TLS client configuration was refused by rustls.
    #[error("tls configuration failed: {message}")]
    Tls {
        /// rustls's reason.
        message: String,
    },

    /// A configured secret header has a bad name or value.
    #[error("secret header `{name}` for https grant #{grant} is not valid: {message}")]
    BadSecret {
        /// The https grant's position in the grants, from 0.
        grant: usize,
        /// The header name.
        name: String,
        /// What is wrong with it.
        message: String,
    },

    /// An fs grant is malformed (relative root, no operations).
    #[error("fs grant for `{}` is not valid: {message}", root.display())]
    BadFsGrant {
        /// The grant's root, as configured.
        root: PathBuf,
        /// What is wrong with it.
        message: String,
    },

    /// An fs grant cannot be a `wasi:filesystem` preopen (it reaches yoi's
    /// state, or its ops match no preopen permission set).
    #[error("wasi:filesystem: {message}")]
    BadWasiFsGrant {
        /// Why, naming the root.
        message: String,
    },

    /// A grant, or a secret or trust root file it names, is not usable.
    #[error(transparent)]
    Grant {
        /// The grant error.
        #[from]
        source: yoi_grants::GrantError,
    },

    /// A granted fs root could not be opened as a directory.
    #[error("cannot open fs root `{}`: {source}", root.display())]
    OpenRoot {
        /// The granted root.
        root: PathBuf,
        /// Why it could not be opened.
        #[source]
        source: io::Error,
    },
}
