//! Workspace errors: config files that cannot be read or written, bad references,
//! bad grants (a [`yoi_grants::GrantError`], shown as it is).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{path}` is not valid TOML: {message}")]
    ConfigSyntax { path: PathBuf, message: String },
    #[error("`{path}`: {message}")]
    ConfigShape { path: PathBuf, message: String },
    #[error("invalid plugin reference `{reference}`: {message}")]
    BadRef { reference: String, message: String },
    #[error("invalid grant: {message}")]
    BadGrant { message: String },
    /// A grant that does not parse, or a file read through `yoi_grants`
    /// (a secret, a trust root, the config file itself) that cannot be used.
    #[error(transparent)]
    Grant {
        #[from]
        source: yoi_grants::GrantError,
    },
}
