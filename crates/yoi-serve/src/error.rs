//! What can stop `yoi serve` before or while it serves: a bad `[serve]`
//! table, a token file that cannot be used, an address that cannot be bound,
//! and a server that ends on its own.
//!
//! Messages never quote a token file's content.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Errors of `yoi-serve`.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// `[serve]` has an unknown key or a value of the wrong shape.
    #[error("invalid `[serve]` in `{path}`: {message}")]
    Config { path: PathBuf, message: String },
    #[error("cannot read the token file `{path}`: {source}")]
    TokenRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the token file `{path}` is not a regular file")]
    TokenNotAFile { path: PathBuf },
    #[error("the token file `{path}` is larger than {limit} bytes")]
    TokenTooLarge { path: PathBuf, limit: u64 },
    #[error("the token file `{path}` is empty")]
    TokenEmpty { path: PathBuf },
    /// The token is not one line of printable ASCII.
    #[error(
        "the token in `{path}` contains spaces, line breaks or non-ASCII characters, which a \
         client cannot send in an `Authorization` header"
    )]
    TokenUnsendable { path: PathBuf },
    #[error("cannot listen on `{addr}`: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the bound address")]
    LocalAddr {
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped")]
    Stopped {
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped without being asked to")]
    StoppedUnasked,
    #[error("the server failed while stopping")]
    FailedStopping {
        #[source]
        source: std::io::Error,
    },
}
