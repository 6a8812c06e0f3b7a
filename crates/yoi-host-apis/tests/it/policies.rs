//! `HostApis::from_grants`: which policies a plugin gets, and that a grant
//! whose secret cannot be read keeps the plugin from getting any.

use yoi_grants::{FsGrant, FsOp, Grants, HttpsGrant, HttpsSettings, Protected, SecretHeader};
use yoi_host_apis::{HostApis, PolicyError};
use yoi_manifest::HostApi;

fn grants(root: &std::path::Path) -> Grants {
    Grants {
        https: vec![HttpsGrant::new("https://api.example.com/v1/", &["GET".into()]).unwrap()],
        fs: vec![FsGrant {
            root: root.to_path_buf(),
            ops: vec![FsOp::Read],
        }],
        ..Grants::default()
    }
}

#[test]
fn only_apis_in_granted_get_a_policy() {
    let dir = tempfile::tempdir().unwrap();
    let grants = grants(dir.path());
    let settings = HttpsSettings::default();

    let none = HostApis::from_grants(&grants, &[], &settings, &Protected::none()).unwrap();
    assert!(none.https.is_none() && none.fs.is_none());

    let fs = HostApis::from_grants(&grants, &[HostApi::Fs], &settings, &Protected::none()).unwrap();
    assert!(fs.https.is_none() && fs.fs.is_some());

    let both = HostApis::from_grants(
        &grants,
        &[HostApi::Https, HostApi::Fs],
        &settings,
        &Protected::none(),
    )
    .unwrap();
    assert!(both.https.is_some() && both.fs.is_some());
    assert!(both.wasi_fs.is_empty());
}

/// `wasi:filesystem` gets preopens only when granted, and a grant whose ops
/// no preopen expresses keeps the plugin from loading.
#[test]
fn wasi_filesystem_gets_preopens_only_when_granted_and_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut grants = grants(dir.path());
    let settings = HttpsSettings::default();
    let err = HostApis::from_grants(
        &grants,
        &[HostApi::WasiFilesystem],
        &settings,
        &Protected::none(),
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::BadWasiFsGrant { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("grants `read`, which `wasi:filesystem` cannot express exactly"),
        "{err}"
    );
    grants.fs[0].ops.push(FsOp::List);
    let wasi = HostApis::from_grants(
        &grants,
        &[HostApi::WasiFilesystem],
        &settings,
        &Protected::none(),
    )
    .unwrap();
    assert!(wasi.fs.is_none());
    assert_eq!(wasi.wasi_fs.len(), 1);
    assert_eq!(wasi.wasi_fs[0].label, "/grants/0");
    assert_eq!(wasi.wasi_fs[0].access, yoi_grants::WasiAccess::ReadOnly);
}

#[test]
fn an_unreadable_secret_is_an_error_naming_the_file_not_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut grants = grants(dir.path());
    let file = dir.path().join("missing-token");
    grants.https[0].secrets.push(SecretHeader {
        header: "Authorization".into(),
        file: file.clone(),
    });
    let err = HostApis::from_grants(
        &grants,
        &[HostApi::Https],
        &HttpsSettings::default(),
        &Protected::none(),
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::Grant { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "invalid grant: secret for `Authorization` in `{}`: the file does not exist",
            file.display()
        )
    );
}

#[test]
fn a_missing_extra_root_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let settings = HttpsSettings {
        extra_roots: vec![dir.path().join("ca.pem")],
        builtin_roots: true,
    };
    let err = HostApis::from_grants(
        &grants(dir.path()),
        &[HostApi::Https],
        &settings,
        &Protected::none(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("this `[https] extra_roots` file does not exist"),
        "{err}"
    );
}
