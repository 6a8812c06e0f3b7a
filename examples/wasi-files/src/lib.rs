//! `wasi-files`: a yoi tool plugin whose bodies are plain `std::fs` calls.
//!
//! On `wasm32-wasip2`, Rust's `std::fs` goes through `wasi:filesystem`; yoi
//! preopens each `fs` grant as `/grants/<index>` when the manifest requests
//! `wasi:filesystem`, and nothing otherwise. The plugin does no checking of
//! its own: every path it is given goes straight to `std::fs`, so the host
//! tests can try `..`, absolute host paths and symlinks through it.

use serde::{Deserialize, Serialize};
use yoi_pdk::{Json, ToolError};

/// Input naming one path.
#[derive(Debug, Deserialize)]
pub struct PathInput {
    pub path: String,
}

/// Input of `write_text`.
#[derive(Debug, Deserialize)]
pub struct WriteInput {
    pub path: String,
    pub text: String,
}

/// Output of `read_text`.
#[derive(Debug, Serialize)]
pub struct TextOutput {
    pub text: String,
}

/// Output of `write_text`.
#[derive(Debug, Serialize)]
pub struct WrittenOutput {
    pub bytes: usize,
}

/// Output of `list_names`.
#[derive(Debug, Serialize)]
pub struct NamesOutput {
    pub names: Vec<String>,
}

fn io_error(path: &str, e: &std::io::Error) -> ToolError {
    let message = format!("`{path}`: {e}");
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => ToolError::denied(message),
        std::io::ErrorKind::NotFound => ToolError::not_found(message),
        _ => ToolError::failed(message),
    }
}

/// `std::fs::read_to_string(path)`.
pub fn read_text(input: PathInput) -> Result<Json<TextOutput>, ToolError> {
    let text = std::fs::read_to_string(&input.path).map_err(|e| io_error(&input.path, &e))?;
    Ok(Json(TextOutput { text }))
}

/// `std::fs::write(path, text)`.
pub fn write_text(input: WriteInput) -> Result<Json<WrittenOutput>, ToolError> {
    std::fs::write(&input.path, &input.text).map_err(|e| io_error(&input.path, &e))?;
    Ok(Json(WrittenOutput {
        bytes: input.text.len(),
    }))
}

/// The sorted names of `std::fs::read_dir(path)`.
pub fn list_names(input: PathInput) -> Result<Json<NamesOutput>, ToolError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&input.path).map_err(|e| io_error(&input.path, &e))? {
        let entry = entry.map_err(|e| io_error(&input.path, &e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(Json(NamesOutput { names }))
}

yoi_pdk::export_tools!(read_text, write_text, list_names);
