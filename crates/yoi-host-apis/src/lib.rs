//! Host APIs a plugin may import, enforced against its grants on every call.
//!
//! Each capability is one module and one WIT interface in `wit/host/`
//! (package `yoi:host@1.0.0`):
//!
//! - [`https`]: outbound HTTP(S) to granted URL prefixes and methods, with DNS
//!   answers checked and pinned, redirects re-checked per hop, credentials only
//!   from host-configured secrets, and every size and time bounded.
//! - [`fs`]: file operations beneath granted roots through capability-based
//!   directory handles, one grant per operation, sizes bounded.
//! - `wasi:filesystem`: no module here; [`HostApis::wasi_fs`] carries the
//!   preopens `yoi_grants::wasi_preopens` derives from the fs grants, which
//!   the runtime hands to wasmtime-wasi (the only standard WASI it enables).
//!
//! Importing an interface is not authority. A plugin's policies are built once
//! from its grants ([`HostApis::from_grants`], taking the grant types of
//! `yoi-grants`: nothing here knows about workspaces or reads their config)
//! and every call is checked against them; anything not granted fails closed
//! with a typed `denied` error before any connection is made or any file is
//! touched. Nothing here reads the host's environment; the only files read
//! outside granted roots are the secrets and trust roots the grants and
//! settings name, once, when the policies are built.
//!
//! This crate is plain async Rust and knows nothing about wasmtime: the
//! runtime's linker glue converts between the WIT types and the types here.
//! The error enums mirror the WIT `error` variants one to one.

#![warn(missing_docs)]

pub mod fs;
pub mod https;

mod error;
mod policies;

pub use error::PolicyError;
pub use policies::HostApis;
