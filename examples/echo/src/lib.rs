//! `echo`: a yoi tool plugin that returns the text it is given.
//!
//! The smallest complete plugin built with `yoi-pdk`: one tool, typed input,
//! JSON output. Built for `wasm32-wasip2` it is a component of the
//! `yoi:plugin/tool@1.0.0` world.

use serde::{Deserialize, Serialize};
use yoi_pdk::{Json, ToolError};

/// Input of the `echo` tool.
#[derive(Debug, Deserialize)]
pub struct EchoInput {
    pub text: String,
}

/// Output of the `echo` tool.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct EchoOutput {
    pub text: String,
}

/// Returns `{"text": <the text>}`.
pub fn echo(input: EchoInput) -> Result<Json<EchoOutput>, ToolError> {
    Ok(Json(EchoOutput { text: input.text }))
}

yoi_pdk::export_tools!(echo);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_the_text() {
        let Json(out) = echo(EchoInput {
            text: "héllo".into(),
        })
        .unwrap();
        assert_eq!(out.text, "héllo");
    }
}
