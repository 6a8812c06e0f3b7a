//! Integration tests of `yoi-workspace`: resolution as a table of manifest x
//! enablement cases, each an insta snapshot of the plugin's report.

mod resolve;
