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
    Config {
        /// The config file holding the table.
        path: PathBuf,
        /// What is wrong, bounded.
        message: String,
    },
    /// The token file could not be opened or read.
    #[error("cannot read the token file `{path}`: {source}")]
    TokenRead {
        /// The token file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The token file is a directory, a device or another non-regular file.
    #[error("the token file `{path}` is not a regular file")]
    TokenNotAFile {
        /// The token file.
        path: PathBuf,
    },
    /// The token file is too large to be a token.
    #[error("the token file `{path}` is larger than {limit} bytes")]
    TokenTooLarge {
        /// The token file.
        path: PathBuf,
        /// The largest token file accepted, in bytes.
        limit: u64,
    },
    /// The token file holds nothing but whitespace.
    #[error("the token file `{path}` is empty")]
    TokenEmpty {
        /// The token file.
        path: PathBuf,
    },
    /// The token is not one line of printable ASCII.
    #[error(
        "the token in `{path}` contains spaces, line breaks or non-ASCII characters, which a \
         client cannot send in an `Authorization` header"
    )]
    TokenUnsendable {
        /// The token file.
        path: PathBuf,
    },
    /// The listening socket could not be bound.
    #[error("cannot listen on `{addr}`: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why binding failed.
        source: std::io::Error,
    },
    /// The bound socket could not report its address.
    #[error("cannot read the bound address")]
    LocalAddr {
        /// Why the address could not be read.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed before shutdown was asked for.
    #[error("the server stopped")]
    Stopped {
        /// Why serving failed.
        #[source]
        source: std::io::Error,
    },
    /// Serving ended cleanly, but before shutdown was asked for.
    #[error("the server stopped without being asked to")]
    StoppedUnasked,
    /// Serving failed while the open connections were draining.
    #[error("the server failed while stopping")]
    FailedStopping {
        /// Why draining failed.
        #[source]
        source: std::io::Error,
    },
}
