//! The `plugin.toml` schema: strict parsing and validation, pure data.
//!
//! A manifest says what a package *is* and what it *requests*; it never grants
//! anything. Parsing is strict: unknown fields, unknown permission kinds, and
//! fields of the wrong runtime kind are errors. Every diagnostic names the field
//! and is bounded in size, so a hostile file cannot flood a terminal or a log.

#![warn(missing_docs)]

mod error;
mod id;
mod model;
mod parse;
mod raw;

pub use error::ManifestError;
pub use id::{MAX_ID_LEN, MAX_NAME_LEN, is_valid_plugin_id, is_valid_surface_name};
pub use model::{
    HostApi, Ingress, LegacyAbi, MANIFEST_FILE, Manifest, Permissions, Runtime, SCHEMA_VERSION,
    Schema, Service, Surface, Tool, World,
};
pub use parse::{MAX_MANIFEST_BYTES, check_object_schema};
pub use raw::json_schema;

/// Truncate `text` to at most `max` bytes on a char boundary, escaping control
/// characters, so that untrusted text can be quoted in a diagnostic.
pub fn bounded(text: &str, max: usize) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        let piece: String = if ch.is_control() {
            ch.escape_default().collect()
        } else {
            ch.to_string()
        };
        if out.len() + piece.len() > max {
            out.push('…');
            break;
        }
        out.push_str(&piece);
    }
    out
}
