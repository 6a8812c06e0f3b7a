//! Errors of the tools layer that are not tool-call errors.

#[derive(Debug, thiserror::Error)]
pub enum ToolsError {
    #[error("history database `{path}`: {source}")]
    History {
        path: String,
        source: rusqlite::Error,
    },
    #[error("history `{path}` is not keeping up ({reason}); the event was not recorded")]
    Behind { path: String, reason: String },
    #[error("cannot create `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}
