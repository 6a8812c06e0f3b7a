//! yoi-typed in process: the derivation table as golden files (one insta
//! snapshot per WIT type, `snapshots/it__derive@<function>.snap`), and the
//! check of manifests against components built from WIT at test time.

mod check;
mod derive;
