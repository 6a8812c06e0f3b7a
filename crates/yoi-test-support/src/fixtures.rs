//! The packed example plugins that `cargo xtask examples` builds from source.

use std::path::{Path, PathBuf};

use yoi_package::Package;

/// Where the packed guests are: `$YOI_TEST_PLUGINS` (set by `cargo xtask
/// test`), else `target/yoi-plugins` of this repository.
pub fn plugins_dir() -> PathBuf {
    std::env::var_os("YOI_TEST_PLUGINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/yoi-plugins"))
}

/// The path of the packed example `id`. A missing fixture fails the test:
/// fixtures are built from source in the repository, never optional.
pub fn fixture_path(id: &str) -> PathBuf {
    let path = plugins_dir().join(format!("{id}.yoi-plugin"));
    assert!(
        path.is_file(),
        "fixture `{}` is missing; run `cargo xtask examples` to build the guest fixtures \
         (or `cargo xtask test` for the whole suite)",
        path.display()
    );
    path
}

/// The packed example `id`, read and validated.
pub fn fixture(id: &str) -> Package {
    let path = fixture_path(id);
    Package::from_archive_file(&path)
        .unwrap_or_else(|e| panic!("fixture `{}` does not load: {e}", path.display()))
}
