//! Outbound HTTP(S) through the host: `yoi:host/https@1.0.0`.
//!
//! A request succeeds only if the plugin's enablement has an `https` grant
//! for its scheme, host, port, path prefix and method; anything else is
//! [`HttpError::Denied`] before any connection is made. The manifest must
//! list `"https"` in `permissions.host_apis`, or the host refuses to load
//! the plugin at all.
//!
//! Credentials are not the plugin's business: the host attaches the secret
//! headers configured in the enablement, and refuses a request that sets
//! `Authorization`, `Cookie` or another credential header itself.
//!
//! ```no_run
//! use yoi_pdk::https::Request;
//!
//! # fn f() -> Result<(), yoi_pdk::ToolError> {
//! let response = Request::get("https://api.example.com/v1/items").send()?;
//! let body = response.text();
//! # Ok(()) }
//! ```

use std::fmt;

use crate::ToolError;
use crate::tool::bindings::yoi::host::https as wit;

/// An outbound request, built and then [`sent`](Request::send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// A request with `method` (`GET`, `POST`, ...) to an absolute URL.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Request {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Request::new("GET", url)
    }

    pub fn post(url: impl Into<String>) -> Self {
        Request::new("POST", url)
    }

    /// Add a header; a name may repeat.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Send the request and wait for the final response (the host follows
    /// redirects its grants allow).
    pub fn send(self) -> Result<Response, HttpError> {
        let req = wit::Request {
            method: self.method,
            url: self.url,
            headers: self
                .headers
                .into_iter()
                .map(|(name, value)| wit::Header { name, value })
                .collect(),
            body: self.body,
        };
        wit::send(&req)
            .map(|r| Response {
                status: r.status,
                headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                body: r.body,
            })
            .map_err(HttpError::from)
    }
}

/// The final response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names are lowercase. `set-cookie` is never included.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text; bytes that are not UTF-8 are replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// Why a request failed, as the host reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// No grant allows the request, a redirect, or an address the host name
    /// resolved to.
    Denied(String),
    /// The request is malformed or sets a header the plugin may not set.
    InvalidRequest(String),
    Dns(String),
    Connect(String),
    Tls(String),
    Timeout,
    /// The request or response exceeded a host bound.
    TooLarge(String),
    Protocol(String),
}

impl HttpError {
    /// The error's kind, as named in the WIT interface.
    pub fn kind(&self) -> &'static str {
        match self {
            HttpError::Denied(_) => "denied",
            HttpError::InvalidRequest(_) => "invalid-request",
            HttpError::Dns(_) => "dns",
            HttpError::Connect(_) => "connect",
            HttpError::Tls(_) => "tls",
            HttpError::Timeout => "timeout",
            HttpError::TooLarge(_) => "too-large",
            HttpError::Protocol(_) => "protocol",
        }
    }
}

impl From<wit::Error> for HttpError {
    fn from(e: wit::Error) -> Self {
        match e {
            wit::Error::Denied(m) => HttpError::Denied(m),
            wit::Error::InvalidRequest(m) => HttpError::InvalidRequest(m),
            wit::Error::Dns(m) => HttpError::Dns(m),
            wit::Error::Connect(m) => HttpError::Connect(m),
            wit::Error::Tls(m) => HttpError::Tls(m),
            wit::Error::Timeout => HttpError::Timeout,
            wit::Error::TooLarge(m) => HttpError::TooLarge(m),
            wit::Error::Protocol(m) => HttpError::Protocol(m),
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Timeout => f.write_str("https timeout"),
            HttpError::Denied(m)
            | HttpError::InvalidRequest(m)
            | HttpError::Dns(m)
            | HttpError::Connect(m)
            | HttpError::Tls(m)
            | HttpError::TooLarge(m)
            | HttpError::Protocol(m) => write!(f, "https {}: {m}", self.kind()),
        }
    }
}

impl std::error::Error for HttpError {}

/// A denial stays a denial and a refused request is bad input; anything else
/// is the tool failing.
impl From<HttpError> for ToolError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Denied(_) => ToolError::denied(e.to_string()),
            HttpError::InvalidRequest(_) => ToolError::invalid_input(e.to_string()),
            _ => ToolError::failed(e.to_string()),
        }
    }
}
