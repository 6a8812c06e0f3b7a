//! `echo` for Extism: `{"text": ...}` in, the same `{"text": ...}` out.
//!
//! The same work as yoi's `examples/echo` (parse the JSON input into a typed
//! struct, serialise the typed output), through `extism-pdk`'s `Json`
//! wrapper instead of `yoi-pdk`.

use extism_pdk::{FnResult, Json, plugin_fn};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct EchoInput {
    text: String,
}

#[derive(Serialize)]
struct EchoOutput {
    text: String,
}

#[plugin_fn]
pub fn echo(Json(input): Json<EchoInput>) -> FnResult<Json<EchoOutput>> {
    Ok(Json(EchoOutput { text: input.text }))
}
