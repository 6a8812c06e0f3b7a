//! `yoi:host/https@1.0.0`: outbound HTTP(S) within a plugin's grants.
//!
//! [`HttpsPolicy::send`] enforces, in order, before any connection:
//!
//! 1. the method is known, the URL is absolute http(s) without credentials
//!    or ambiguous path forms (dot segments, escapes of anything but
//!    letters, digits, `-`, `_`, `~`), headers and body are within bounds
//!    and carry no credentials ([`Secrets`] are the only source) and no
//!    method or path override (`X-HTTP-Method-Override`, `Forwarded`, ...);
//! 2. a grant allows scheme, host, port, path prefix and method (plain
//!    `http` only where the grant says `http`);
//! 3. the host's addresses are resolved through the injected [`Resolve`] and
//!    every answer is public (at most [`MAX_LOOKUPS_IN_FLIGHT`] lookups at
//!    once per policy), unless the grant names an IP literal or
//!    `localhost` (then exactly that address, or loopback, is used);
//!
//! and then connects only to those checked addresses, with redirects off in
//! the client. A redirect is followed by hand: the target goes through steps
//! 2 and 3 again, with that hop's own secrets, at most `max_redirects` times;
//! otherwise it is refused as `denied`. The response loses `Set-Cookie`, and
//! its body is streamed and cut at `max_response_bytes`.
//!
//! One deadline (`request_timeout`) covers the whole exchange: DNS, every
//! hop, and the body. Dropping the future returned by `send` cancels the
//! request and closes its connection; nothing keeps running in the
//! background but a system name lookup already under way, which keeps its
//! lookup slot until `getaddrinfo` returns. Each hop uses a fresh client and connection, so no connection
//! made for one grant is ever reused for another.

mod addr;
mod error;
mod headers;
mod matching;
mod resolve;
mod tls;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_TYPE, HeaderMap, LOCATION};
use reqwest::{Method, StatusCode};
use url::Url;
use yoi_grants::HttpsGrant;

pub use error::HttpsError;
pub use headers::Secrets;
pub use resolve::{LookupSlot, MAX_LOOKUPS_IN_FLIGHT, Resolve, Resolving, SystemResolver};

use crate::PolicyError;
use headers::HeaderLimits;
use matching::Grant;

/// One header. Names compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header name.
    pub name: String,
    /// The header value.
    pub value: String,
}

/// A request as a plugin sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method; a grant must name it.
    pub method: String,
    /// The absolute URL; a grant must cover it.
    pub url: String,
    /// Headers the plugin sets; credential headers are refused.
    pub headers: Vec<Header>,
    /// The request body, at most `max_request_bytes`.
    pub body: Option<Vec<u8>>,
}

/// The final response, after any redirects the grants allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: Vec<Header>,
    /// The response body, at most `max_response_bytes`.
    pub body: Vec<u8>,
}

/// Host-side settings for a policy.
///
/// Secure defaults: Mozilla's built-in roots only, the system resolver with
/// every answer checked and at most [`MAX_LOOKUPS_IN_FLIGHT`] lookups
/// running per policy, 1 MiB request bodies, 8 MiB response bodies, 64
/// headers of at most 32 KiB in total each way, 5 redirects, 30 s per
/// request. Whether private addresses are reachable is not an option: it
/// follows from each grant (an IP literal or `localhost` grant reaches
/// exactly that host, a name grant reaches public addresses only).
#[derive(Clone)]
pub struct HttpsOptions {
    /// Trust Mozilla's root set compiled into yoi.
    pub builtin_roots: bool,
    /// More trust roots, each a PEM text with one or more certificates.
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// How host names become addresses.
    pub resolver: Arc<dyn Resolve>,
    /// Header names that count as credentials besides `Authorization`,
    /// `Proxy-Authorization` and `Cookie`: plugins may not set them.
    pub secret_headers: Vec<String>,
    /// Largest request body a plugin may send.
    pub max_request_bytes: usize,
    /// Largest response body read; a longer one is an error.
    pub max_response_bytes: usize,
    /// Most headers in a request or a response.
    pub max_headers: usize,
    /// Largest total size of a request's or a response's headers.
    pub max_header_bytes: usize,
    /// Most redirects followed, each checked against the grants.
    pub max_redirects: usize,
    /// One deadline for the whole exchange, redirects and body included.
    pub request_timeout: Duration,
}

impl Default for HttpsOptions {
    fn default() -> Self {
        HttpsOptions {
            builtin_roots: true,
            extra_roots_pem: Vec::new(),
            resolver: Arc::new(SystemResolver),
            secret_headers: Vec::new(),
            max_request_bytes: 1024 * 1024,
            max_response_bytes: 8 * 1024 * 1024,
            max_headers: 64,
            max_header_bytes: 32 * 1024,
            max_redirects: 5,
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for HttpsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsOptions")
            .field("builtin_roots", &self.builtin_roots)
            .field("extra_roots_pem", &self.extra_roots_pem.len())
            .field("secret_headers", &self.secret_headers)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_headers", &self.max_headers)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("max_redirects", &self.max_redirects)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

/// The https grants of one plugin, ready to enforce.
pub struct HttpsPolicy {
    grants: Vec<Grant>,
    opts: HttpsOptions,
    tls: rustls::ClientConfig,
    lookups: Arc<tokio::sync::Semaphore>,
}

impl fmt::Debug for HttpsPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsPolicy")
            .field("grants", &self.grants)
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

/// What one hop sends.
struct Hop {
    method: String,
    url: Url,
    body: Option<Vec<u8>>,
}

impl HttpsPolicy {
    /// Build a policy. Grant order matters only for [`Secrets`], which name
    /// grants by their index in `grants`.
    pub fn new(grants: &[HttpsGrant], opts: HttpsOptions) -> Result<HttpsPolicy, PolicyError> {
        let grants = grants
            .iter()
            .map(|g| {
                let bad = |message: String| PolicyError::BadHttpsGrant {
                    url: yoi_manifest::bounded(&g.url, 200),
                    message,
                };
                let t = g.target().map_err(|e| bad(e.to_string()))?;
                if !t.path_prefix.starts_with('/') {
                    return Err(bad("the path prefix must start with `/`".into()));
                }
                Ok(Grant {
                    scheme: t.scheme,
                    host: t.host.to_ascii_lowercase(),
                    port: t.port,
                    path_prefix: t.path_prefix,
                    methods: t.methods,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tls = tls::client_config(opts.builtin_roots, &opts.extra_roots_pem)?;
        Ok(HttpsPolicy {
            grants,
            opts,
            tls,
            lookups: resolve::lookup_slots(),
        })
    }

    /// Send `req` if the grants allow it, following allowed redirects.
    ///
    /// Cancel-safe: dropping the returned future aborts the request.
    pub async fn send(&self, req: Request, secrets: &Secrets) -> Result<Response, HttpsError> {
        let after = self.opts.request_timeout;
        tokio::time::timeout(after, self.send_within_deadline(req, secrets))
            .await
            .unwrap_or(Err(HttpsError::Timeout { after }))
    }

    fn header_limits(&self) -> HeaderLimits {
        HeaderLimits {
            max_headers: self.opts.max_headers,
            max_header_bytes: self.opts.max_header_bytes,
        }
    }

    async fn send_within_deadline(
        &self,
        req: Request,
        secrets: &Secrets,
    ) -> Result<Response, HttpsError> {
        let method = matching::method(&req.method)?;
        let url = matching::request_url(&req.url)?;
        let mut headers = headers::request_headers(
            &req.headers,
            &self.opts.secret_headers,
            secrets,
            self.header_limits(),
        )?;
        if let Some(body) = &req.body
            && body.len() > self.opts.max_request_bytes
        {
            return Err(HttpsError::too_large(
                format!("request body of {} bytes", body.len()),
                format!("{} bytes", self.opts.max_request_bytes),
            ));
        }
        let mut hop = Hop {
            method,
            url,
            body: req.body,
        };
        let mut redirects = 0;
        loop {
            let allowing =
                matching::allowing(&self.grants, &hop.method, &hop.url).map_err(|e| match e {
                    HttpsError::Denied { reason } if redirects > 0 => {
                        HttpsError::denied(format!("after {redirects} redirect(s): {reason}"))
                    }
                    e => e,
                })?;
            let host = hop.url.host_str().unwrap_or_default().to_owned();
            let ips = resolve::checked_addresses(
                self.opts.resolver.as_ref(),
                &self.lookups,
                &host,
                matching::host_kind(&hop.url),
            )
            .await?;
            let mut hop_headers = headers.clone();
            for &grant in &allowing {
                secrets.attach(grant, &mut hop_headers);
            }
            let mut response = self.exchange(&hop, &host, &ips, hop_headers).await?;
            let Some(next) = redirect(&response, &hop.url)? else {
                return self.finish(&mut response).await;
            };
            if redirects == self.opts.max_redirects {
                return Err(HttpsError::denied(format!(
                    "more than {} redirects",
                    self.opts.max_redirects
                )));
            }
            redirects += 1;
            let status = response.status();
            drop(response);
            let to_get = status == StatusCode::SEE_OTHER && hop.method != "HEAD"
                || matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                    && hop.method == "POST";
            if to_get {
                hop.method = "GET".into();
                hop.body = None;
                for name in [CONTENT_TYPE, CONTENT_ENCODING, CONTENT_LANGUAGE] {
                    headers.remove(name);
                }
            }
            hop.url = next;
        }
    }

    /// One request on a fresh connection to the checked addresses only.
    async fn exchange(
        &self,
        hop: &Hop,
        host: &str,
        ips: &[IpAddr],
        headers: HeaderMap,
    ) -> Result<reqwest::Response, HttpsError> {
        // Pinning: the client knows only the checked addresses for this host,
        // and its own resolver refuses everything else. No redirects, retries
        // or proxies of its own: a proxy (e.g. from `HTTPS_PROXY`) would both
        // read the environment and bypass the pin; redirects are ours to check.
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(self.tls.clone())
            .dns_resolver(resolve::no_resolve())
            .resolve_to_addrs(host, &resolve::overrides(ips))
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .no_proxy()
            .referer(false)
            .http1_only()
            .http1_max_headers(self.opts.max_headers)
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| HttpsError::Protocol {
                message: format!("http client setup failed: {e}"),
            })?;
        let method = Method::from_bytes(hop.method.as_bytes())
            .map_err(|_| HttpsError::invalid("bad method"))?;
        let mut request = client.request(method, hop.url.clone()).headers(headers);
        if let Some(body) = &hop.body {
            request = request.body(body.clone());
        }
        request
            .send()
            .await
            .map_err(|e| HttpsError::from_reqwest(&e))
    }

    /// Read the final response within bounds.
    async fn finish(&self, response: &mut reqwest::Response) -> Result<Response, HttpsError> {
        let headers = headers::response_headers(response.headers(), self.header_limits())?;
        let max = self.opts.max_response_bytes;
        let too_large = || HttpsError::too_large("response body", format!("{max} bytes"));
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| HttpsError::from_reqwest(&e))?
        {
            if body.len() + chunk.len() > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status: response.status().as_u16(),
            headers,
            body,
        })
    }
}

/// Where a redirect response points, if it is one.
fn redirect(response: &reqwest::Response, from: &Url) -> Result<Option<Url>, HttpsError> {
    let status = response.status();
    if !matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    ) {
        return Ok(None);
    }
    let Some(location) = response.headers().get(LOCATION) else {
        return Ok(None);
    };
    let location = location.to_str().map_err(|_| HttpsError::Protocol {
        message: format!("{status} with a non-ascii `location`"),
    })?;
    if location.chars().any(|c| c.is_control() || c == '\\') {
        return Err(HttpsError::denied(format!(
            "redirect to `{}` contains control characters or a backslash",
            yoi_manifest::bounded(location, 200)
        )));
    }
    let mut next = from.join(location).map_err(|e| HttpsError::Protocol {
        message: format!(
            "{status} with an unusable `location` `{}`: {e}",
            yoi_manifest::bounded(location, 200)
        ),
    })?;
    next.set_fragment(None);
    matching::check_url(&next).map_err(|why| HttpsError::denied(format!("redirect: {why}")))?;
    Ok(Some(next))
}
