//! Integration tests for `yoi-package`, one module per topic. Hostile archives
//! are generated here with the `zip` writer, patched byte-wise where the
//! writer refuses to produce them.

mod archive;
mod cache;
mod digest;
mod pack;
mod package;
mod support;
