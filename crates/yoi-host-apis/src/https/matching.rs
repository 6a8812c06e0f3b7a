//! Grant matching: does a grant allow this method on this URL?
//!
//! A grant fixes scheme, host, port, a path prefix and methods. Hosts compare
//! exactly (both sides go through the same URL parser, which lowercases and
//! IDNA-encodes them), and the path prefix is segment-aware: `/v1/` and `/v1`
//! both allow `/v1/x` but never `/v1x`. Paths are refused outright, rather
//! than normalised, when they carry anything a server might resolve
//! differently from us: `.` or `..` segments (also as `..;`), raw
//! backslashes, and any percent-escape but one for a letter, a digit, `-`,
//! `_` or `~`. That is RFC 3986's unreserved set without `.`: a decoded dot
//! can still form a `..` segment (the URL parser itself reads `%2e%2e` as
//! one), and anything outside the set may decode to a delimiter (`%2F`,
//! `%3F`), a backslash, a percent sign, NUL or an overlong UTF-8 dot. A `%`
//! not followed by two hex digits is refused too. The check runs on the raw
//! text, before the parser can rewrite it, and again on the parsed path (so
//! characters the parser escapes itself, non-ASCII for one, are refused as
//! well, and so is every redirect target). Queries are not checked: no grant
//! looks at them. Allowed escapes are matched as written, so `/%76%31/` does
//! not fall under a `/v1/` grant: the rule can only refuse more, never less.

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
    let mut rest = path;
    while let Some(at) = rest.find('%') {
        let hex = rest.get(at + 1..at + 3);
        let byte = hex
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match byte {
            None => {
                return Err(format!(
                    "the path has a `%` not followed by two hex digits (at `{}`)",
                    yoi_manifest::bounded(&rest[at..], 8)
                ));
            }
            Some(b) if !escapable(b) => {
                return Err(format!(
                    "the path contains `{}`; a percent-escape may stand only for a letter, \
                     a digit, `-`, `_` or `~` (a server may decode anything else into a \
                     delimiter, a dot segment or NUL)",
                    &rest[at..at + 3]
                ));
            }
            Some(_) => rest = &rest[at + 3..],
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

/// Whether a percent-escape may stand for `byte`: RFC 3986 unreserved, less `.`.
fn escapable(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'~')
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
    fn the_url_parser_would_hide_some_escapes() {
        // Why the raw text is checked first: the parser resolves `%2e%2e` as
        // a dot segment, so its output no longer shows the escape at all.
        let parsed = Url::parse("https://a.test/v1/%2e%2e/admin").unwrap();
        assert_eq!(parsed.path(), "/admin");
        // It leaves `..%2F` alone, for a server to decode into `../`.
        let parsed = Url::parse("https://a.test/v1/..%2Fadmin").unwrap();
        assert_eq!(parsed.path(), "/v1/..%2Fadmin");
        // And it escapes what it must, which the second check then sees.
        let parsed = Url::parse("https://a.test/v1/caf\u{e9}").unwrap();
        assert_eq!(parsed.path(), "/v1/caf%C3%A9");
    }

    #[test]
    fn only_escapes_of_unreserved_characters_pass() {
        for bad in [
            "https://a.test/v1/..%2Fadmin",
            "https://a.test/v1/%2F",
            "https://a.test/v1/%3F.json",
            "https://a.test/v1/%23",
            "https://a.test/v1/%3B/x",
            "https://a.test/v1/%20",
            "https://a.test/v1/%0a",
            "https://a.test/v1/%7f",
            "https://a.test/v1/%C0%AE%C0%AE/admin",
            "https://a.test/v1/%ff",
            "https://a.test/v1/%",
            "https://a.test/v1/%4",
            "https://a.test/v1/%zz",
            "https://a.test/v1/%%41",
            "https://a.test/v1/%\u{e9}9",
            "https://a.test/v1/caf\u{e9}",
            "https://a.test/v1/\"quoted\"",
        ] {
            match request_url(bad) {
                Err(HttpsError::InvalidRequest { reason }) => {
                    assert!(reason.contains('%'), "{bad}: {reason}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        let ok = request_url("https://a.test/v1/%41%7e%2d%5F%30z?q=%2F%00").unwrap();
        assert_eq!(ok.path(), "/v1/%41%7e%2d%5F%30z");
        assert_eq!(ok.query(), Some("q=%2F%00"));
        // Matched as written: an escaped spelling of a granted prefix is outside it.
        let g = grant("https", "a.test", 443, "/v1/", &["GET"]);
        assert!(!g.allows("GET", &request_url("https://a.test/%76%31/x").unwrap()));
        assert!(g.allows("GET", &request_url("https://a.test/v1/%41").unwrap()));
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
