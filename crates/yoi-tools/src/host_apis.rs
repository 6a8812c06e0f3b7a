//! From an enablement's grants to the policies the runtime enforces.
//!
//! Only host APIs that are both requested by the manifest and granted by the
//! enablement ([`ResolvedPlugin::host_apis`]) get a policy; any other API is
//! left without one, and the runtime denies every call to it.

use std::sync::Arc;

use yoi_grants::HttpsSettings;
use yoi_host_apis::fs::FsPolicy;
use yoi_host_apis::https::{HttpsOptions, HttpsPolicy, Secrets};
use yoi_manifest::HostApi;
use yoi_runtime::HostApis;
use yoi_workspace::ResolvedPlugin;

/// Build the host API policies of `plugin`. An error names what is wrong
/// (an unreadable secret or trust root, a grant the policy refuses) and keeps
/// the plugin from loading: a plugin never runs with less checking than its
/// grants describe.
pub fn host_apis(plugin: &ResolvedPlugin, https: &HttpsSettings) -> Result<Arc<HostApis>, String> {
    let grants = &plugin.enablement.grants;
    let mut apis = HostApis::default();
    if plugin.host_apis.contains(&HostApi::Https) {
        let mut secrets = Secrets::new();
        let mut secret_headers = Vec::new();
        for (index, grant) in grants.https.iter().enumerate() {
            for secret in &grant.secrets {
                let value = secret.read_value().map_err(|e| e.to_string())?;
                secrets
                    .add(index, &secret.header, &value)
                    .map_err(|e| e.to_string())?;
                secret_headers.push(secret.header.to_ascii_lowercase());
            }
        }
        let opts = HttpsOptions {
            builtin_roots: https.builtin_roots,
            extra_roots_pem: https.read_extra_roots().map_err(|e| e.to_string())?,
            secret_headers,
            ..HttpsOptions::default()
        };
        apis.https = Some(HttpsPolicy::new(&grants.https, opts).map_err(|e| e.to_string())?);
        apis.secrets = secrets;
    }
    if plugin.host_apis.contains(&HostApi::Fs) {
        apis.fs = Some(FsPolicy::new(&grants.fs).map_err(|e| e.to_string())?);
    }
    Ok(Arc::new(apis))
}
