//! Helpers every yoi test suite shares, written once (like uv's
//! `TestContext` or Spin's `factors-test`): where the guest fixtures are,
//! the Python interpreter with the official MCP client, and builders for
//! manifests and packages.
//!
//! Missing fixtures or a missing interpreter fail the test with what to run;
//! nothing here lets a test skip itself.

#![warn(missing_docs)]

mod component;
mod fixtures;
mod manifest;
mod python;

pub use component::component_from_wit;
pub use fixtures::{fixture, fixture_path, plugins_dir};
pub use manifest::{TestManifest, component_bytes, core_module_bytes, package_from_parts};
pub use python::{python, python_script, python_scripts_dir, run_python};
