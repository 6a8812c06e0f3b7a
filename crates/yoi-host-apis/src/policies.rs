//! [`HostApis`]: the policies of one plugin, one per granted host API, and
//! the one place they are built from its grants ([`HostApis::from_grants`]).
//!
//! Only host APIs that are both requested by the manifest and granted by the
//! enablement (the `granted` list the caller resolved) get a policy; any
//! other API is left without one, and every call to it is denied. Building
//! fails rather than narrowing: an unreadable secret or trust root, or a
//! grant a policy refuses, is an error that keeps the plugin from loading, so
//! a plugin never runs with less checking than its grants describe.

use std::sync::Arc;

use yoi_grants::{Grants, HttpsSettings, Protected, WasiPreopen};
use yoi_manifest::HostApi;

use crate::PolicyError;
use crate::fs::FsPolicy;
use crate::https::{HttpsOptions, HttpsPolicy, Secrets};

/// What one plugin may do through the host APIs: a policy per granted API.
///
/// `None` means "not granted", and every call to that API is denied.
#[derive(Debug, Default)]
pub struct HostApis {
    /// The `https` policy, if granted.
    pub https: Option<HttpsPolicy>,
    /// Credentials attached to requests that `https` grants allow.
    pub secrets: Secrets,
    /// The `fs` policy, if granted.
    pub fs: Option<FsPolicy>,
    /// The `wasi:filesystem` preopens, one per fs grant; empty unless granted.
    pub wasi_fs: Vec<WasiPreopen>,
}

impl HostApis {
    /// No host API granted.
    pub fn none() -> Arc<HostApis> {
        Arc::new(HostApis::default())
    }

    /// Build the policies for the host APIs in `granted` (requested by the
    /// manifest and granted by the enablement) from `grants`, with the
    /// workspace's `[https]` settings and its `protected` state, which no fs
    /// root may reach. Secret values and extra trust roots
    /// are read here, once; the plugin never sees a secret.
    ///
    /// Secure defaults: an API not in `granted` gets no policy, whatever
    /// `grants` says; an https policy uses [`HttpsOptions::default`]'s
    /// bounds, with the settings' roots and every configured secret header
    /// counted as a credential the plugin may not set itself.
    pub fn from_grants(
        grants: &Grants,
        granted: &[HostApi],
        https: &HttpsSettings,
        protected: &Protected,
    ) -> Result<HostApis, PolicyError> {
        let mut apis = HostApis::default();
        if granted.contains(&HostApi::Https) {
            let mut secrets = Secrets::new();
            let mut secret_headers = Vec::new();
            for (index, grant) in grants.https.iter().enumerate() {
                for secret in &grant.secrets {
                    let value = secret.read_value()?;
                    secrets.add(index, &secret.header, &value)?;
                    secret_headers.push(secret.header.to_ascii_lowercase());
                }
            }
            let opts = HttpsOptions {
                builtin_roots: https.builtin_roots,
                extra_roots_pem: https.read_extra_roots()?,
                secret_headers,
                ..HttpsOptions::default()
            };
            apis.https = Some(HttpsPolicy::new(&grants.https, opts)?);
            apis.secrets = secrets;
        }
        if granted.contains(&HostApi::Fs) {
            apis.fs = Some(FsPolicy::new(&grants.fs, protected)?);
        }
        if granted.contains(&HostApi::WasiFilesystem) {
            apis.wasi_fs = yoi_grants::wasi_preopens(&grants.fs, protected).map_err(|e| {
                PolicyError::BadWasiFsGrant {
                    message: e.to_string(),
                }
            })?;
        }
        Ok(apis)
    }
}
