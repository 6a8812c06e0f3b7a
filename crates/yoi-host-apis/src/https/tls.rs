//! The TLS client configuration, built once per policy.
//!
//! Trust comes from Mozilla's root set compiled into the binary
//! (`webpki-roots`) plus any roots the host passes in; the host's certificate
//! store and `SSL_CERT_*` variables are never consulted, so a plugin's trust
//! does not depend on the machine's environment. Certificates are verified
//! by rustls (ring provider, TLS 1.2 and 1.3), for the URL's host name.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::PolicyError;

pub(crate) fn client_config(
    builtin_roots: bool,
    extra_roots_pem: &[Vec<u8>],
) -> Result<rustls::ClientConfig, PolicyError> {
    let mut roots = rustls::RootCertStore::empty();
    if builtin_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for (index, pem) in extra_roots_pem.iter().enumerate() {
        let bad = |message: String| PolicyError::BadRootCertificate { index, message };
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| bad(e.to_string()))?;
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
            found += 1;
        }
        if found == 0 {
            return Err(bad("no `CERTIFICATE` block in the PEM text".into()));
        }
    }
    if roots.is_empty() {
        return Err(PolicyError::NoTrustRoots);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PolicyError::Tls {
            message: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
