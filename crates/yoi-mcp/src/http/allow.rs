//! The `Host` and `Origin` allowlist of [`HttpOptions`] as one predicate,
//! so that a server mounting [`crate::http_router`] can apply the very same
//! DNS-rebinding and cross-origin checks to every route it serves, not only
//! to `/mcp`.
//!
//! The matching is the SDK's (`rmcp`'s streamable HTTP server), written out
//! because the SDK keeps it private: hosts compare case-insensitively without
//! brackets, an entry without a port matches any port; origins compare
//! scheme, host and port, `:*` matching any port and an omitted port meaning
//! the scheme's default. A request without `Origin` (not from a browser page)
//! passes the origin check; `Host` is always required.

use axum::http::uri::Authority;
use axum::http::{HeaderMap, Uri, header};

use super::HttpOptions;

/// Why a request was refused by [`HttpOptions::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Host` header, or one that is not a host name with an optional port.
    BadHost,
    /// A `Host` that is not on the allowlist (a DNS-rebinding page sends its
    /// own name).
    Host,
    /// An `Origin` that is malformed or not on the allowlist (a page of
    /// another site).
    Origin,
}

impl Refusal {
    /// The refusal as one line for an error body.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::BadHost => "the request has no valid `Host` header",
            Refusal::Host => {
                "the `Host` header is not allowed (loopback names and `[serve] allowed_hosts` are)"
            }
            Refusal::Origin => {
                "the `Origin` header is not allowed (loopback origins and `[serve] allowed_origins` are)"
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct HostPort {
    host: String,
    port: Option<u16>,
}

fn normalize(host: &str) -> String {
    host.trim_matches(['[', ']']).to_ascii_lowercase()
}

fn authority(text: &str) -> Option<HostPort> {
    let a = Authority::try_from(text.trim()).ok()?;
    Some(HostPort {
        host: normalize(a.host()),
        port: a.port_u16(),
    })
}

#[derive(Debug, PartialEq, Eq)]
enum Origin {
    Null,
    Tuple {
        scheme: String,
        host: String,
        port: Option<u16>,
    },
}

fn origin(text: &str) -> Option<Origin> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("null") {
        return Some(Origin::Null);
    }
    let uri = Uri::try_from(text).ok()?;
    let a = uri.authority()?;
    Some(Origin::Tuple {
        scheme: uri.scheme_str()?.to_ascii_lowercase(),
        host: normalize(a.host()),
        port: a.port_u16(),
    })
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

fn origin_matches(allowed: &str, given: &Origin) -> bool {
    let (base, any_port) = match allowed.trim().strip_suffix(":*") {
        Some(base) => (base, true),
        None => (allowed, false),
    };
    match (origin(base), given) {
        (Some(Origin::Null), Origin::Null) => !any_port,
        (
            Some(Origin::Tuple { scheme, host, port }),
            Origin::Tuple {
                scheme: s,
                host: h,
                port: p,
            },
        ) => {
            scheme == *s
                && host == *h
                && match (any_port, port) {
                    (true, None) | (false, None) => true,
                    (true, Some(_)) => false,
                    (false, Some(want)) => p.or_else(|| default_port(s)) == Some(want),
                }
        }
        _ => false,
    }
}

impl HttpOptions {
    /// Whether a request with these headers passes the `Host` and `Origin`
    /// allowlist; `uri` supplies the host when a request carries it there
    /// instead of in `Host`.
    pub fn check(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = match headers.get(header::HOST) {
            Some(v) => v.to_str().ok().and_then(authority),
            None => uri.authority().map(|a| HostPort {
                host: normalize(a.host()),
                port: a.port_u16(),
            }),
        }
        .ok_or(Refusal::BadHost)?;
        // An entry that is not an authority (`::1` without brackets) is a
        // bare host name, as the SDK reads it.
        let allowed = |h: &String| {
            authority(h).unwrap_or_else(|| HostPort {
                host: normalize(h.trim()),
                port: None,
            })
        };
        let host_ok = self
            .hosts
            .iter()
            .map(allowed)
            .any(|a| a.host == host.host && a.port.is_none_or(|port| host.port == Some(port)));
        if !host_ok {
            return Err(Refusal::Host);
        }
        let Some(value) = headers.get(header::ORIGIN) else {
            return Ok(());
        };
        let given = value
            .to_str()
            .ok()
            .and_then(origin)
            .ok_or(Refusal::Origin)?;
        if self.origins.iter().any(|o| origin_matches(o, &given)) {
            Ok(())
        } else {
            Err(Refusal::Origin)
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn check(
        options: &HttpOptions,
        host: Option<&str>,
        origin: Option<&str>,
    ) -> Result<(), Refusal> {
        let mut headers = HeaderMap::new();
        if let Some(h) = host {
            headers.insert(header::HOST, HeaderValue::from_str(h).unwrap());
        }
        if let Some(o) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        options.check(&Uri::from_static("/status"), &headers)
    }

    #[test]
    fn loopback_passes_and_other_names_do_not() {
        let o = HttpOptions::default();
        for host in ["localhost", "127.0.0.1:7717", "[::1]:7717", "LOCALHOST:1"] {
            assert_eq!(check(&o, Some(host), None), Ok(()), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:7717",
            "127.0.0.2",
            "localhost.evil.example",
        ] {
            assert_eq!(check(&o, Some(host), None), Err(Refusal::Host), "{host}");
        }
        assert_eq!(check(&o, None, None), Err(Refusal::BadHost));
        assert_eq!(check(&o, Some("a b"), None), Err(Refusal::BadHost));
    }

    #[test]
    fn only_allowed_origins_pass() {
        let o = HttpOptions::default()
            .allow_origins(["https://app.example", "http://tool.example:8080"]);
        let ok = |origin| check(&o, Some("localhost:7717"), Some(origin));
        for origin in [
            "http://localhost:7717",
            "https://127.0.0.1:1",
            "http://[::1]:9",
            "https://app.example",
            "https://app.example:8443",
            "http://tool.example:8080",
        ] {
            assert_eq!(ok(origin), Ok(()), "{origin}");
        }
        for origin in [
            "https://evil.example",
            "http://tool.example",
            "http://tool.example:8081",
            "http://app.example",
            "null",
            "not an origin",
        ] {
            assert_eq!(ok(origin), Err(Refusal::Origin), "{origin}");
        }
    }

    #[test]
    fn an_allowed_host_may_name_its_port() {
        let o = HttpOptions::default().allow_hosts(["mcp.internal:7717", "any.internal"]);
        assert_eq!(check(&o, Some("mcp.internal:7717"), None), Ok(()));
        assert_eq!(check(&o, Some("mcp.internal:80"), None), Err(Refusal::Host));
        assert_eq!(check(&o, Some("mcp.internal"), None), Err(Refusal::Host));
        assert_eq!(check(&o, Some("any.internal:1"), None), Ok(()));
    }
}
