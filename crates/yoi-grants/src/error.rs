//! Grant errors: a grant that does not parse, or a file it names that cannot
//! be used. Messages quote untrusted text bounded and never a secret's value.

use std::io;
use std::path::PathBuf;

/// A grant, or a file a grant or setting names, is not usable.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// A grant or an ingress check is malformed, or a secret it names is unusable.
    #[error("invalid grant: {message}")]
    Invalid {
        /// What is wrong, naming the grant (and a secret's file, never its value).
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: io::Error,
    },
    /// A file is larger than the bound for what it holds.
    #[error("`{path}`: larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The bound, in bytes.
        limit: u64,
    },
    /// A file is not UTF-8 text.
    #[error("`{path}`: not UTF-8 text")]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// A trust root file named in `[https] extra_roots` does not exist.
    #[error("`{path}`: this `[https] extra_roots` file does not exist")]
    MissingRoots {
        /// The file.
        path: PathBuf,
    },
    /// An fs root reaches a location of yoi's own state.
    #[error(
        "fs root `{}` {relation} {what} (`{}`); no plugin is granted yoi's own state",
        root.display(),
        location.display()
    )]
    ProtectedRoot {
        /// The root, canonical.
        root: PathBuf,
        /// `lies inside` or `contains`.
        relation: &'static str,
        /// What the protected location is.
        what: String,
        /// The protected location, canonical.
        location: PathBuf,
    },
    /// An fs root holds a location of yoi's own state that a
    /// `wasi:filesystem` preopen could not hide.
    #[error(
        "fs root `{}` contains {what} (`{}`), which a `wasi:filesystem` preopen cannot hide; grant a subdirectory that holds none of it, or request `fs` (yoi:host/fs), which denies it",
        root.display(),
        location.display()
    )]
    WasiProtectedRoot {
        /// The root, canonical.
        root: PathBuf,
        /// What the protected location is.
        what: String,
        /// The protected location, canonical.
        location: PathBuf,
    },
    /// An fs grant's ops match neither `wasi:filesystem` permission set.
    #[error(
        "fs root `{}` grants `{ops}`, which `wasi:filesystem` cannot express exactly; a preopen is read-only (grant `read,list`) or read-write (grant `read,list,write,create-dir,remove`)",
        root.display()
    )]
    WasiOps {
        /// The root.
        root: PathBuf,
        /// The granted ops, sorted, comma-separated.
        ops: String,
    },
}

impl GrantError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        GrantError::Invalid {
            message: message.into(),
        }
    }
}
