//! Workspace errors: config files that cannot be read or written, bad references.

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
}
