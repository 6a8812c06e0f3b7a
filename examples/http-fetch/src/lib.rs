//! `http-fetch`: one HTTP(S) request per call, through the `https` host API.
//!
//! The plugin holds no authority of its own: every request is checked by the
//! host against the enablement's `https` grants (scheme, host, port, path
//! prefix, method) before any connection is made, and a refusal comes back
//! as a `denied` tool error. Credentials, if any, are attached by the host
//! from secrets configured in the enablement; the plugin never sees them.

use serde::{Deserialize, Serialize};
use yoi_pdk::https::Request;
use yoi_pdk::{Json, ToolError};

/// Input of `fetch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchInput {
    pub url: String,
    #[serde(default = "get")]
    pub method: String,
    pub body: Option<String>,
    /// Extra request headers. Credential headers (`Authorization`, `Cookie`,
    /// ...) are refused by the host: credentials come from the enablement.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
}

fn get() -> String {
    "GET".into()
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// Output of `fetch`: the final response, after redirects the grants allow.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct FetchOutput {
    pub status: u16,
    pub headers: Vec<Header>,
    /// The body as text; bytes that are not UTF-8 are replaced.
    pub body: String,
}

/// Sends the request and returns the response; host refusals become tool errors.
pub fn fetch(input: FetchInput) -> Result<Json<FetchOutput>, ToolError> {
    let mut request = Request::new(input.method, input.url);
    for (name, value) in input.headers {
        request = request.header(name, value);
    }
    if let Some(body) = input.body {
        request = request.body(body);
    }
    let response = request.send()?;
    Ok(Json(FetchOutput {
        status: response.status,
        body: response.text(),
        headers: response
            .headers
            .into_iter()
            .map(|(name, value)| Header { name, value })
            .collect(),
    }))
}

yoi_pdk::export_tools!(fetch);
