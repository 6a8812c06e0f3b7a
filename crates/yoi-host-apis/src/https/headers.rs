//! Headers in and out: what a plugin may send, what the host adds, what a
//! plugin gets back.
//!
//! Credentials come only from host-configured [`Secrets`], attached only to a
//! hop that matches the grant they belong to. A plugin that sets a credential
//! header itself (`Authorization`, `Proxy-Authorization`, `Cookie`, or any
//! header name the host configured as secret) is refused with
//! `invalid-request` rather than silently stripped, so a plugin author sees
//! the mistake instead of a puzzling 401. Headers that steer routing or
//! framing (`Host`, `Content-Length`, `Transfer-Encoding`, `Connection`, ...)
//! are refused too: `Host` would let a plugin reach another virtual host
//! behind a granted address, and framing headers invite request smuggling.
//! Headers that servers and proxies honour as a different method or path
//! (`X-HTTP-Method-Override`, `X-Original-URL`, `Forwarded`, every
//! `X-Forwarded-*`, ...) are refused as `denied`: a grant covers the method
//! and path on the request line, and these would carry a request past it.
//! Responses lose `Set-Cookie`: plugins get no cookie jar.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::{Header, HttpsError};
use crate::PolicyError;

const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

const CONTROL_HEADERS: [&str; 9] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// Headers that make a server act on another method or path than the
/// request line's (lowercase, as `HeaderName` stores them); with
/// [`OVERRIDE_PREFIX`], the set refused by [`overrides_target`].
const OVERRIDE_HEADERS: [&str; 6] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-original-url",
    "x-rewrite-url",
    "forwarded",
];

/// Every `X-Forwarded-*` header (host, proto, prefix, path, ...).
const OVERRIDE_PREFIX: &str = "x-forwarded-";

const DROPPED_RESPONSE_HEADERS: [&str; 2] = ["set-cookie", "set-cookie2"];

/// Credential headers the host attaches, per https grant.
///
/// A secret belongs to one grant, named by its index in the grant list given
/// to [`super::HttpsPolicy::new`]. It is attached to a request hop only when
/// that grant allows the hop (scheme, host, port, path prefix and method),
/// so a redirect to another granted target never carries it along. Where
/// grants overlap, a hop carries the secrets of every grant that allows it. The host builds this from its own secret
/// store; it is never read from the environment. `Debug` shows names only.
#[derive(Clone, Default)]
pub struct Secrets {
    headers: Vec<SecretHeader>,
}

#[derive(Clone)]
struct SecretHeader {
    grant: usize,
    name: HeaderName,
    value: HeaderValue,
}

impl Secrets {
    /// No secrets.
    pub fn new() -> Self {
        Secrets::default()
    }

    /// Attach header `name: value` to requests allowed by grant number `grant`.
    pub fn add(&mut self, grant: usize, name: &str, value: &str) -> Result<(), PolicyError> {
        let bad = |message: String| PolicyError::BadSecret {
            grant,
            name: yoi_manifest::bounded(name, 80),
            message,
        };
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(e.to_string()))?;
        if CONTROL_HEADERS.contains(&name.as_str()) {
            return Err(bad("this header controls routing or framing".into()));
        }
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| bad("the value is not a valid header value".into()))?;
        value.set_sensitive(true);
        self.headers.push(SecretHeader { grant, name, value });
        Ok(())
    }

    /// Whether no secret is configured.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }

    fn names(&self) -> impl Iterator<Item = &HeaderName> {
        self.headers.iter().map(|s| &s.name)
    }

    /// Add the secrets of `grant` to `headers`.
    pub(crate) fn attach(&self, grant: usize, headers: &mut HeaderMap) {
        for secret in self.headers.iter().filter(|s| s.grant == grant) {
            headers.append(secret.name.clone(), secret.value.clone());
        }
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.headers
                    .iter()
                    .map(|s| format!("#{} {}: <redacted>", s.grant, s.name)),
            )
            .finish()
    }
}

/// Bounds on header lists, in both directions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderLimits {
    pub max_headers: usize,
    pub max_header_bytes: usize,
}

/// Turn a plugin's headers into a header map, refusing what it may not set.
pub(crate) fn request_headers(
    headers: &[Header],
    secret_names: &[String],
    secrets: &Secrets,
    limits: HeaderLimits,
) -> Result<HeaderMap, HttpsError> {
    if headers.len() > limits.max_headers {
        return Err(HttpsError::too_large(
            format!("{} request headers", headers.len()),
            format!("{} headers", limits.max_headers),
        ));
    }
    let bytes: usize = headers.iter().map(|h| h.name.len() + h.value.len()).sum();
    if bytes > limits.max_header_bytes {
        return Err(HttpsError::too_large(
            format!("request headers of {bytes} bytes"),
            format!("{} bytes", limits.max_header_bytes),
        ));
    }
    let mut map = HeaderMap::with_capacity(headers.len());
    for header in headers {
        let shown = || yoi_manifest::bounded(&header.name, 80);
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| HttpsError::invalid(format!("`{}` is not a header name", shown())))?;
        let lower = name.as_str();
        if CREDENTIAL_HEADERS.contains(&lower)
            || secret_names.iter().any(|s| s.eq_ignore_ascii_case(lower))
            || secrets.names().any(|s| s == name)
        {
            return Err(HttpsError::invalid(format!(
                "header `{}` carries credentials; credentials come only from host-configured secrets",
                shown()
            )));
        }
        if CONTROL_HEADERS.contains(&lower) {
            return Err(HttpsError::invalid(format!(
                "header `{}` is set by the host",
                shown()
            )));
        }
        if overrides_target(lower) {
            return Err(HttpsError::denied(format!(
                "header `{}` asks the server for another method or path than the one granted; \
                 method and path overrides are refused",
                shown()
            )));
        }
        let value = HeaderValue::from_str(&header.value).map_err(|_| {
            HttpsError::invalid(format!("header `{}` has an invalid value", shown()))
        })?;
        map.append(name, value);
    }
    Ok(map)
}

/// Whether a (lowercase) header name overrides the method or path a grant
/// checked.
fn overrides_target(lower: &str) -> bool {
    OVERRIDE_HEADERS.contains(&lower) || lower.starts_with(OVERRIDE_PREFIX)
}

/// The response headers a plugin sees, minus cookies, within bounds.
pub(crate) fn response_headers(
    map: &HeaderMap,
    limits: HeaderLimits,
) -> Result<Vec<Header>, HttpsError> {
    if map.len() > limits.max_headers {
        return Err(HttpsError::too_large(
            format!("{} response headers", map.len()),
            format!("{} headers", limits.max_headers),
        ));
    }
    let bytes: usize = map.iter().map(|(n, v)| n.as_str().len() + v.len()).sum();
    if bytes > limits.max_header_bytes {
        return Err(HttpsError::too_large(
            format!("response headers of {bytes} bytes"),
            format!("{} bytes", limits.max_header_bytes),
        ));
    }
    Ok(map
        .iter()
        .filter(|(name, _)| !DROPPED_RESPONSE_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| Header {
            name: name.as_str().to_owned(),
            value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HeaderLimits = HeaderLimits {
        max_headers: 4,
        max_header_bytes: 64,
    };

    fn h(name: &str, value: &str) -> Header {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }

    #[test]
    fn plugin_headers_are_checked() {
        let mut secrets = Secrets::new();
        secrets.add(0, "X-Api-Key", "s3cret").unwrap();
        let configured = vec!["x-team-token".to_owned()];
        let ok =
            request_headers(&[h("Accept", "text/plain")], &configured, &secrets, LIMITS).unwrap();
        assert_eq!(ok["accept"], "text/plain");
        for bad in [
            "Authorization",
            "proxy-authorization",
            "COOKIE",
            "x-api-key",
            "X-Team-Token",
            "host",
            "Transfer-Encoding",
            "content-length",
            "bad name",
        ] {
            assert!(
                matches!(
                    request_headers(&[h(bad, "v")], &configured, &secrets, LIMITS),
                    Err(HttpsError::InvalidRequest { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            request_headers(&[h("a", "1\r\nb: 2")], &configured, &secrets, LIMITS),
            Err(HttpsError::InvalidRequest { .. })
        ));
        let many: Vec<Header> = (0..5).map(|i| h(&format!("x-{i}"), "v")).collect();
        assert!(matches!(
            request_headers(&many, &configured, &secrets, LIMITS),
            Err(HttpsError::TooLarge { .. })
        ));
        assert!(matches!(
            request_headers(&[h("x", &"v".repeat(100))], &configured, &secrets, LIMITS),
            Err(HttpsError::TooLarge { .. })
        ));
    }

    #[test]
    fn method_and_path_overrides_are_denied() {
        for bad in [
            "X-HTTP-Method-Override",
            "x-http-method",
            "X-Method-Override",
            "X-Original-URL",
            "x-rewrite-url",
            "Forwarded",
            "X-Forwarded-For",
            "x-forwarded-host",
            "X-FORWARDED-PREFIX",
        ] {
            match request_headers(&[h(bad, "v")], &[], &Secrets::new(), LIMITS) {
                Err(HttpsError::Denied { reason }) => assert!(reason.contains(bad), "{reason}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        for fine in [
            "x-forwarded",
            "x-http-methods",
            "forwarded-by",
            "x-original",
        ] {
            assert!(
                request_headers(&[h(fine, "v")], &[], &Secrets::new(), LIMITS).is_ok(),
                "{fine}"
            );
        }
    }

    #[test]
    fn secrets_attach_per_grant_and_stay_out_of_debug() {
        let mut secrets = Secrets::new();
        secrets.add(1, "x-api-key", "s3cret").unwrap();
        assert!(secrets.add(0, "host", "evil").is_err());
        assert!(secrets.add(0, "x", "a\nb").is_err());
        let mut map = HeaderMap::new();
        secrets.attach(0, &mut map);
        assert!(map.is_empty());
        secrets.attach(1, &mut map);
        assert_eq!(map["x-api-key"], "s3cret");
        assert!(map["x-api-key"].is_sensitive());
        assert!(!format!("{secrets:?}").contains("s3cret"));
    }

    #[test]
    fn cookies_never_reach_the_plugin() {
        let mut map = HeaderMap::new();
        map.append("set-cookie", HeaderValue::from_static("a=1"));
        map.append("content-type", HeaderValue::from_static("text/plain"));
        let out = response_headers(&map, LIMITS).unwrap();
        assert_eq!(out, vec![h("content-type", "text/plain")]);
    }
}
