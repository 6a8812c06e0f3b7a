//! End-to-end tests of the `yoi` binary in isolated temporary workspaces.

mod statuses;
mod support;
mod tools;
