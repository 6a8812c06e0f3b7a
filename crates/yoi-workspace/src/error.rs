//! Workspace errors: config files that cannot be read or written, bad references,
//! bad grants (a [`yoi_grants::GrantError`], shown as it is).

use std::path::PathBuf;

/// An error from this crate.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The config file could not be written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why it could not be written.
        source: std::io::Error,
    },
    /// The config file does not parse as TOML.
    #[error("`{path}` is not valid TOML: {message}")]
    ConfigSyntax {
        /// The config file.
        path: PathBuf,
        /// The parser's message, bounded.
        message: String,
    },
    /// The config file is TOML, but not of the expected shape.
    #[error("`{path}`: {message}")]
    ConfigShape {
        /// The config file.
        path: PathBuf,
        /// What is out of shape.
        message: String,
    },
    /// A plugin reference does not parse or names no known plugin.
    #[error("invalid plugin reference `{reference}`: {message}")]
    BadRef {
        /// The reference, bounded.
        reference: String,
        /// What is wrong with it.
        message: String,
    },
    /// An enablement could not be rendered into the config file.
    #[error("invalid grant: {message}")]
    BadGrant {
        /// The renderer's message.
        message: String,
    },
    /// The trust store cannot be read or written, or a workspace path
    /// cannot be a key in it.
    #[error("trust store `{path}`: {message}")]
    TrustStore {
        /// The store file, or the workspace.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A grant that does not parse, or a file read through `yoi_grants`
    /// (a secret, a trust root, the config file itself) that cannot be used.
    #[error(transparent)]
    Grant {
        /// The grant error.
        #[from]
        source: yoi_grants::GrantError,
    },
}
