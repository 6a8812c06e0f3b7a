//! Grants: what an enablement allows, per surface and per host API.
//!
//! A leaf crate shared by the side that decides (`yoi-workspace` reads them
//! from `.yoi/config.toml` and resolves them against the manifest) and the
//! side that enforces (`yoi-host-apis` builds its policies from them), so both
//! read the same typed values and no check works on raw strings.
//!
//! Guarantees:
//! - A grant is never implied by a request in the manifest; the types here
//!   only say what was granted. Every value is validated once
//!   ([`Grants::validate`], [`IngressAuth::validate`]) and a grant that does
//!   not parse is an error, never a narrower or wider grant.
//! - Secrets (credential headers, ingress sender secrets) live in files of
//!   their own, never in the config. They are read bounded
//!   ([`MAX_SECRET_BYTES`]), and errors name the file, never its contents.
//! - yoi's own state is never granted: [`Protected::check_root`] is the one
//!   rule for fs roots, applied at enable, at resolution and in the policy;
//!   [`wasi_preopens`] is the stricter one for `wasi:filesystem` preopens.
//! - Every file read here is bounded by what is read, not by what metadata
//!   says ([`read_bounded`]).

#![warn(missing_docs)]

mod error;
mod file;
mod fs;
mod grants;
mod https;
mod ingress;
mod protected;
mod secret;
mod wasi_fs;

pub use error::GrantError;
pub use file::read_bounded;
pub use fs::{FsGrant, FsOp};
pub use grants::{Grants, NameGrant};
pub use https::{HTTP_METHODS, HttpsGrant, HttpsSettings, HttpsTarget, MAX_ROOTS_PEM_BYTES};
pub use ingress::{
    DEFAULT_MAX_SKEW_SECS, IngressAuth, IngressCheck, MAX_SKEW_SECS_LIMIT, TimestampCheck,
};
pub use protected::{Protected, ProtectedLocation, canonical};
pub use secret::{MAX_SECRET_BYTES, SecretHeader};
pub use wasi_fs::{WasiAccess, WasiPreopen, wasi_label, wasi_preopens};
