//! Grant matching: does a grant allow this method on this URL?
//!
//! A grant fixes scheme, host, port, a path prefix and methods. Hosts compare
//! exactly (both sides go through the same URL parser, which lowercases and
//! IDNA-encodes them), and the path prefix is segment-aware: `/v1/` and `/v1`
//! both allow `/v1/x` but never `/v1x`. Paths are refused outright, rather
//! than normalised, when they carry anything a server might resolve
//! differently from us: `.` or `..` segments (also as `..;`), percent-encoded
//! dots, slashes, backslashes, percent signs or NUL, and raw backslashes.

use url::{Host, Url};

use super::HttpsError;

/// Longest URL a plugin may send.
pub(crate) const MAX_URL_BYTES: usize = 8 * 1024;

/// Methods a request may use; the same set a grant may name.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// One https grant, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub path_prefix: String,
    pub methods: Vec<String>,
}

/// How a request's host may be reached once a grant matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    /// An IP literal the grant names: connect to exactly that address.
    Literal(std::net::IpAddr),
    /// `localhost`, which the grant names: loopback only, never DNS.
    Localhost,
    /// A DNS name: resolve, and require every answer to be public.
    Name,
}

pub(crate) fn host_kind(url: &Url) -> HostKind {
    match url.host() {
        Some(Host::Ipv4(ip)) => HostKind::Literal(ip.into()),
        Some(Host::Ipv6(ip)) => HostKind::Literal(ip.into()),
        Some(Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => HostKind::Localhost,
        _ => HostKind::Name,
    }
}

/// Uppercase a known method, or refuse it.
pub(crate) fn method(text: &str) -> Result<String, HttpsError> {
    let upper = text.trim().to_ascii_uppercase();
    if METHODS.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(HttpsError::invalid(format!(
            "unknown method `{}` (expected one of {})",
            yoi_manifest::bounded(text, 20),
            METHODS.join(", ")
        )))
    }
}

/// Parse a URL a plugin sent, refusing anything ambiguous before parsing
/// can normalise it away.
pub(crate) fn request_url(raw: &str) -> Result<Url, HttpsError> {
    if raw.len() > MAX_URL_BYTES {
        return Err(HttpsError::too_large(
            "url",
            format!("{MAX_URL_BYTES} bytes"),
        ));
    }
    let shown = || yoi_manifest::bounded(raw, 200);
    if raw
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err(HttpsError::invalid(format!(
            "url `{}` contains whitespace, control characters or a backslash",
            shown()
        )));
    }
    let Some((_, rest)) = raw.split_once("://") else {
        return Err(HttpsError::invalid(format!(
            "url `{}` is not absolute",
            shown()
        )));
    };
    let after_authority = rest.find(['/', '?', '#']).map_or("", |i| &rest[i..]);
    let raw_path = after_authority.split(['?', '#']).next().unwrap_or_default();
    check_path(raw_path).map_err(|why| HttpsError::invalid(format!("url `{}`: {why}", shown())))?;
    let mut url = Url::parse(raw)
        .map_err(|e| HttpsError::invalid(format!("url `{}` does not parse: {e}", shown())))?;
    check_url(&url).map_err(HttpsError::invalid)?;
    url.set_fragment(None);
    Ok(url)
}

/// Checks shared by plugin URLs and redirect targets, on the parsed form.
pub(crate) fn check_url(url: &Url) -> Result<(), String> {
    let shown = || yoi_manifest::bounded(url.as_str(), 200);
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(format!("url `{}`: scheme must be https or http", shown()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "url `{}` carries credentials; credentials come only from host-configured secrets",
            shown()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("url `{}` has no host", shown()));
    }
    check_path(url.path()).map_err(|why| format!("url `{}`: {why}", shown()))
}

/// Refuse path forms that different parsers resolve differently.
fn check_path(path: &str) -> Result<(), String> {
    let lower = path.to_ascii_lowercase();
    for encoded in ["%2e", "%2f", "%5c", "%25", "%00"] {
        if lower.contains(encoded) {
            return Err(format!(
                "the path contains `{encoded}`; percent-encoded dots, slashes, backslashes, \
                 percent signs and NUL are refused"
            ));
        }
    }
    for segment in path.split('/') {
        let bare = segment.split(';').next().unwrap_or_default();
        if bare == "." || bare == ".." {
            return Err("the path contains a `.` or `..` segment".into());
        }
    }
    Ok(())
}

/// Segment-aware prefix match.
fn path_within(prefix: &str, path: &str) -> bool {
    if prefix.is_empty() || prefix == "/" {
        return true;
    }
    if prefix.ends_with('/') {
        return path.starts_with(prefix);
    }
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Grant {
    pub(crate) fn allows(&self, method: &str, url: &Url) -> bool {
        url.scheme() == self.scheme
            && url
                .host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(&self.host))
            && url.port_or_known_default() == Some(self.port)
            && path_within(&self.path_prefix, url.path())
            && self.methods.iter().any(|m| m == method)
    }
}

/// The indices of every grant allowing `method` on `url`; at least one.
pub(crate) fn allowing(
    grants: &[Grant],
    method: &str,
    url: &Url,
) -> Result<Vec<usize>, HttpsError> {
    let found: Vec<usize> = (0..grants.len())
        .filter(|&i| grants[i].allows(method, url))
        .collect();
    if found.is_empty() {
        return Err(HttpsError::denied(format!(
            "no https grant allows `{method} {}`",
            yoi_manifest::bounded(url.as_str(), 200)
        )));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(scheme: &str, host: &str, port: u16, prefix: &str, methods: &[&str]) -> Grant {
        Grant {
            scheme: scheme.into(),
            host: host.into(),
            port,
            path_prefix: prefix.into(),
            methods: methods.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn prefixes_are_segment_aware() {
        assert!(path_within("/v1/", "/v1/x"));
        assert!(!path_within("/v1/", "/v1x"));
        assert!(!path_within("/v1/", "/v1"));
        assert!(path_within("/v1", "/v1"));
        assert!(path_within("/v1", "/v1/x"));
        assert!(!path_within("/v1", "/v1x"));
        assert!(path_within("/", "/anything"));
        assert!(!path_within("/v1/", "/V1/x"));
    }

    #[test]
    fn grants_match_every_part() {
        let g = grant("https", "api.example.com", 443, "/v1/", &["GET"]);
        let ok = request_url("https://API.example.com/v1/items?q=1#frag").unwrap();
        assert!(g.allows("GET", &ok));
        assert_eq!(ok.fragment(), None);
        for (method, url) in [
            ("POST", "https://api.example.com/v1/items"),
            ("GET", "http://api.example.com/v1/items"),
            ("GET", "https://api.example.com:8443/v1/items"),
            ("GET", "https://other.example.com/v1/items"),
            ("GET", "https://api.example.com.evil.test/v1/items"),
            ("GET", "https://api.example.com/v2/items"),
            ("GET", "https://api.example.com/v1x"),
        ] {
            let url = request_url(url).unwrap();
            assert!(!g.allows(method, &url), "{method} {url}");
        }
        assert!(matches!(
            allowing(&[g], "GET", &request_url("https://x.test/").unwrap()),
            Err(HttpsError::Denied { .. })
        ));
    }

    #[test]
    fn ambiguous_paths_are_refused() {
        for bad in [
            "https://a.test/v1/../admin",
            "https://a.test/v1/./x",
            "https://a.test/v1/..;/admin",
            "https://a.test/v1/%2e%2e/admin",
            "https://a.test/v1/%2E%2E/admin",
            "https://a.test/v1/.%2e/admin",
            "https://a.test/v1%2fadmin",
            "https://a.test/v1/%252e%252e/admin",
            "https://a.test/v1/%5c..%5cadmin",
            "https://a.test/v1\\..\\admin",
            "https://a.test/v1/%00",
            "https://a.test/v1/ x",
            "https://user:pw@a.test/v1/",
            "ftp://a.test/v1/",
            "/v1/relative",
        ] {
            assert!(
                matches!(request_url(bad), Err(HttpsError::InvalidRequest { .. })),
                "{bad}"
            );
        }
        assert!(request_url("https://a.test/v1/a..b/c.d?x=../y").is_ok());
        assert!(matches!(
            request_url(&format!("https://a.test/{}", "a".repeat(MAX_URL_BYTES))),
            Err(HttpsError::TooLarge { .. })
        ));
    }

    #[test]
    fn methods_are_normalised_or_refused() {
        assert_eq!(method("get").unwrap(), "GET");
        assert!(matches!(
            method("BREW"),
            Err(HttpsError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn hosts_are_classified() {
        let kind = |u: &str| host_kind(&Url::parse(u).unwrap());
        assert_eq!(
            kind("http://127.0.0.1:1/"),
            HostKind::Literal("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            kind("http://[::1]:1/"),
            HostKind::Literal("::1".parse().unwrap())
        );
        assert_eq!(kind("http://LOCALHOST:1/"), HostKind::Localhost);
        assert_eq!(kind("https://api.example.test/"), HostKind::Name);
    }
}
