//! Resolution cases: one manifest and one enablement each, and the report
//! `yoi plugin list/show` would print, snapshotted. The same plan is then
//! asked the per-call question ([`ResolvedPlugin::allows`]), which must agree
//! with the report.

use std::path::PathBuf;

use yoi_manifest::Surface;
use yoi_package::Package;
use yoi_test_support::{TestManifest, component_bytes, package_from_parts};
use yoi_workspace::{
    Config, Discovered, Inventory, Plan, QualifiedId, Status, Trust, TrustStore, resolve,
};

/// A tool-world component requesting the tools `read` and `write`.
fn two_tools() -> TestManifest {
    TestManifest::component("notes", "p.wasm")
        .tool("read", "Read a note.")
        .tool("write", "Write a note.")
}

/// An instance-world component with a service and an ingress.
fn stateful() -> TestManifest {
    TestManifest::component("counter", "p.wasm")
        .world("yoi:plugin/instance@1.0.0")
        .tool("count", "The count.")
        .extra(
            "[[services]]\nname = \"tick\"\ndescription = \"Ticks.\"\n\n\
             [[ingresses]]\nname = \"hook\"\ndescription = \"Events.\"\nevent_kinds = [\"push\"]\n\
             input_schema = { type = \"object\" }\n",
        )
        .permissions(
            "surfaces = [\"tool\", \"service\", \"ingress\"]\ntools = [\"count\"]\n\
             services = [\"tick\"]\ningresses = [\"hook\"]\n",
        )
}

fn package(manifest: &TestManifest) -> Package {
    package_from_parts(&manifest.to_toml(), &[("p.wasm", &component_bytes())])
        .unwrap_or_else(|e| panic!("test package: {e}\n{}", manifest.to_toml()))
}

/// Resolve `package` (in the project store) against an enablement whose
/// body is `entry` (`{digest}` and `{version}` are the package's own).
fn plan(package: &Package, entry: &str) -> Plan {
    let id = &package.manifest().id;
    let qid: QualifiedId = format!("project:{id}").parse().unwrap();
    let inventory = Inventory {
        packages: vec![Discovered {
            qid: qid.clone(),
            path: PathBuf::from(format!("/store/{id}.yoi-plugin")),
            package: Ok(package.clone()),
            diagnostics: Vec::new(),
        }],
        store_errors: Vec::new(),
        user_store: None,
    };
    let config = if entry.is_empty() {
        String::new()
    } else {
        format!("[plugins.\"{qid}\"]\n{entry}\n")
            .replace("{digest}", &package.digest().to_string())
            .replace("{version}", &package.manifest().version.to_string())
    };
    let config = Config::parse(&config, PathBuf::from("/ws/.yoi/config.toml")).unwrap();
    resolve(inventory, &config, &Trust::Trusted)
}

fn snapshot(name: &str, plan: &Plan) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"sha256:[0-9a-f]{64}", "sha256:[DIGEST]");
    settings.set_snapshot_suffix(name);
    settings.bind(|| insta::assert_json_snapshot!("report", plan.reports));
}

const PIN: &str = "version = \"{version}\"\ndigest = \"{digest}\"\n";

fn case(name: &str, manifest: TestManifest, enablement: &str) -> Plan {
    let plan = plan(&package(&manifest), enablement);
    snapshot(name, &plan);
    plan
}

/// The per-call predicate agrees with the report for every declared name.
fn agrees(plan: &Plan) {
    for report in &plan.reports {
        let qid: QualifiedId = report.reference.parse().unwrap();
        let resolved = plan.plugin(&qid);
        for (surface, list) in [
            (Surface::Tool, &report.tools),
            (Surface::Service, &report.services),
            (Surface::Ingress, &report.ingresses),
        ] {
            for e in list {
                let allowed = resolved.is_some_and(|p| p.allows(surface, &e.name));
                assert_eq!(
                    allowed, e.eligible,
                    "{} {surface} {}",
                    report.reference, e.name
                );
            }
        }
    }
}

#[test]
fn every_tool_granted_is_active() {
    let manifest = two_tools().requests_tools(&["read", "write"], None);
    let plan = case(
        "all_granted",
        manifest,
        &format!(
            "{PIN}surfaces = [\"tool\"]\n[plugins.\"project:notes\".grants]\ntools = [\"read\", \"write\"]"
        ),
    );
    assert_eq!(plan.plugins.len(), 1);
    agrees(&plan);
}

#[test]
fn a_star_grant_covers_only_what_is_requested() {
    let manifest = two_tools().requests_tools(&["read"], None);
    let plan = case(
        "star_grant",
        manifest,
        &format!("{PIN}surfaces = [\"tool\"]\n[plugins.\"project:notes\".grants]\ntools = [\"*\"]"),
    );
    agrees(&plan);
}

#[test]
fn some_tools_granted_is_partial() {
    let manifest = two_tools().requests_tools(&["read", "write"], None);
    let plan = case(
        "partial",
        manifest,
        &format!(
            "{PIN}surfaces = [\"tool\"]\n[plugins.\"project:notes\".grants]\ntools = [\"read\"]"
        ),
    );
    agrees(&plan);
}

#[test]
fn an_unselected_surface_grants_nothing() {
    let manifest = two_tools().requests_tools(&["read", "write"], None);
    let plan = case(
        "surface_not_selected",
        manifest,
        &format!("{PIN}surfaces = []\n[plugins.\"project:notes\".grants]\ntools = [\"*\"]"),
    );
    assert!(plan.plugins.is_empty());
    agrees(&plan);
}

#[test]
fn a_pin_that_does_not_match_is_rejected() {
    let manifest = two_tools().requests_tools(&["read"], None);
    case(
        "version_mismatch",
        manifest.clone(),
        "version = \"9.9.9\"\ndigest = \"{digest}\"\nsurfaces = [\"tool\"]\n[plugins.\"project:notes\".grants]\ntools = [\"*\"]",
    );
    let plan = case(
        "digest_mismatch",
        manifest,
        &format!(
            "version = \"{{version}}\"\ndigest = \"sha256:{}\"\nsurfaces = [\"tool\"]\n[plugins.\"project:notes\".grants]\ntools = [\"*\"]",
            "0".repeat(64)
        ),
    );
    assert!(plan.plugins.is_empty());
}

#[test]
fn host_apis_need_both_request_and_grant() {
    let requested = two_tools().requests_tools(&["read"], Some(&["https"]));
    let plan = case(
        "https_requested_not_granted",
        requested,
        &format!("{PIN}surfaces = [\"tool\"]\n[plugins.\"project:notes\".grants]\ntools = [\"*\"]"),
    );
    assert!(plan.plugins[0].host_apis.is_empty());
    let unrequested = two_tools().requests_tools(&["read"], None);
    let plan = case(
        "fs_granted_not_requested",
        unrequested,
        &format!(
            "{PIN}surfaces = [\"tool\"]\n[plugins.\"project:notes\".grants]\ntools = [\"*\"]\n\
             [[plugins.\"project:notes\".grants.fs]]\nroot = \"/data\"\nops = [\"read\"]"
        ),
    );
    assert!(plan.plugins[0].host_apis.is_empty());
}

#[test]
fn each_surface_of_a_stateful_plugin_is_granted_on_its_own() {
    let plan = case(
        "ingress_without_service",
        stateful(),
        &format!(
            "{PIN}surfaces = [\"tool\", \"service\", \"ingress\"]\n\
             [plugins.\"project:counter\".grants]\ntools = [\"count\"]\ningresses = [\"hook\"]"
        ),
    );
    let p = &plan.plugins[0];
    assert!(p.services.is_empty());
    let hook = p.ingress("hook").expect("the granted ingress is resolved");
    assert_eq!(hook.kinds, ["push"]);
    assert_eq!(hook.input_schema, serde_json::json!({ "type": "object" }));
    agrees(&plan);
}

#[test]
fn present_but_not_enabled_is_disabled_and_enabled_but_absent_is_missing() {
    let pkg = package(&two_tools().requests_tools(&["read"], None));
    let plan = plan(&pkg, "");
    snapshot("disabled", &plan);
    let qid: QualifiedId = "user:gone".parse().unwrap();
    let config = Config::parse(
        &format!(
            "[plugins.\"{qid}\"]\nversion = \"1.0.0\"\ndigest = \"sha256:{}\"\n",
            "1".repeat(64)
        ),
        PathBuf::from("/ws/.yoi/config.toml"),
    )
    .unwrap();
    let plan = resolve(Inventory::default(), &config, &Trust::Trusted);
    snapshot("missing", &plan);
    assert!(plan.plugins.is_empty());
}

/// A cloned repository ships a package and a config granting it: resolved
/// against a store that never approved that config, nothing may run.
#[test]
fn a_config_nobody_approved_runs_nothing() {
    let manifest = two_tools().requests_tools(&["read", "write"], None);
    let package = package(&manifest);
    let entry =
        format!("{PIN}surfaces = [\"tool\"]\n[plugins.\"project:notes\".grants]\ntools = [\"*\"]")
            .replace("{digest}", &package.digest().to_string())
            .replace("{version}", &package.manifest().version.to_string());
    let dir = tempfile::tempdir().unwrap();
    let store = TrustStore::at(dir.path().join("config/yoi/trust.toml"));
    let config = Config::parse(
        &format!("[plugins.\"project:notes\"]\n{entry}\n"),
        dir.path().join(".yoi/config.toml"),
    )
    .unwrap();
    let trust = store.judge(dir.path(), &config);
    let Trust::Untrusted { reason } = &trust else {
        panic!("{trust:?}");
    };
    assert!(reason.contains("never been approved"), "{reason}");
    let inventory = |package: &Package| Inventory {
        packages: vec![Discovered {
            qid: "project:notes".parse().unwrap(),
            path: PathBuf::from("/store/notes.yoi-plugin"),
            package: Ok(package.clone()),
            diagnostics: Vec::new(),
        }],
        store_errors: Vec::new(),
        user_store: None,
    };
    let plan = resolve(inventory(&package), &config, &trust);
    assert!(plan.plugins.is_empty());
    let report = &plan.reports[0];
    assert_eq!(report.status, Status::Untrusted);
    assert!(report.tools.iter().all(|t| !t.eligible));
    assert!(report.diagnostics[0].message.contains("run `yoi trust`"));

    store.approve(dir.path(), &config).unwrap();
    let trust = store.judge(dir.path(), &config);
    assert_eq!(trust, Trust::Trusted);
    let plan = resolve(inventory(&package), &config, &trust);
    assert_eq!(plan.plugins.len(), 1);
    assert_eq!(plan.reports[0].status, Status::Active);
}

/// A config edited by hand (or shipped in a clone) that grants a root
/// reaching yoi's own state: the plugin is rejected, naming both.
#[test]
fn resolution_refuses_a_root_holding_yoi_state_written_into_config_by_hand() {
    let manifest = two_tools().requests_tools(&["read"], Some(&["fs", "https"]));
    let package = package(&manifest);
    let grant = |root: &str| {
        format!(
            "{PIN}surfaces = [\"tool\"]\n[plugins.\"project:notes\".grants]\ntools = [\"*\"]\n\
             [[plugins.\"project:notes\".grants.https]]\nurl = \"https://api.example.com/\"\n\
             methods = [\"GET\"]\nsecrets = [{{ header = \"Authorization\", file = \"/keys/token\" }}]\n\
             [[plugins.\"project:notes\".grants.fs]]\nroot = \"{root}\"\nops = [\"read\", \"write\"]"
        )
    };
    for (root, why) in [
        (
            "/ws/.yoi",
            "fs root `/ws/.yoi` lies inside the workspace's `.yoi` directory (`/ws/.yoi`)",
        ),
        (
            "/ws/.yoi/plugins",
            "fs root `/ws/.yoi/plugins` lies inside the workspace's `.yoi` directory (`/ws/.yoi`)",
        ),
        (
            "/keys",
            "fs root `/keys` contains a secret file (`/keys/token`)",
        ),
    ] {
        let plan = plan(&package, &grant(root));
        assert!(plan.plugins.is_empty(), "{root}");
        let report = &plan.reports[0];
        assert_eq!(report.status, yoi_workspace::Status::Rejected);
        assert_eq!(
            report.diagnostics.last().unwrap().message,
            format!(
                "{why}; no plugin is granted yoi's own state; grant a directory that holds none of it"
            )
        );
    }
    // The project directory itself holds `.yoi`: granted, `.yoi` denied by inode.
    let plan = plan(&package, &grant("/ws"));
    assert_eq!(plan.plugins.len(), 1, "{:?}", plan.reports[0].diagnostics);
}

/// A config edited by hand that gives a `wasi:filesystem` plugin the project
/// directory (holding `.yoi`, which a preopen cannot hide) or ops no preopen
/// expresses: rejected. A subdirectory with `read,list` serves it, and the
/// fs grant is not reported as unused.
#[test]
fn resolution_refuses_wasi_roots_a_preopen_cannot_confine() {
    let manifest = two_tools().requests_tools(&["read"], Some(&["wasi:filesystem"]));
    let package = package(&manifest);
    let grant = |root: &str, ops: &str| {
        format!(
            "{PIN}surfaces = [\"tool\"]\n[plugins.\"project:notes\".grants]\ntools = [\"*\"]\n\
             [[plugins.\"project:notes\".grants.fs]]\nroot = \"{root}\"\nops = [{ops}]"
        )
    };
    for (root, ops, why) in [
        (
            "/ws",
            "\"read\", \"list\"",
            "fs root `/ws` contains the workspace's `.yoi` directory (`/ws/.yoi`), which a `wasi:filesystem` preopen cannot hide; grant a subdirectory that holds none of it, or request `fs` (yoi:host/fs), which denies it",
        ),
        (
            "/ws/data",
            "\"read\", \"write\"",
            "fs root `/ws/data` grants `read,write`, which `wasi:filesystem` cannot express exactly; a preopen is read-only (grant `read,list`) or read-write (grant `read,list,write,create-dir,remove`)",
        ),
    ] {
        let plan = plan(&package, &grant(root, ops));
        assert!(plan.plugins.is_empty(), "{root}");
        let report = &plan.reports[0];
        assert_eq!(report.status, Status::Rejected);
        assert_eq!(report.diagnostics.last().unwrap().message, why);
    }
    let plan = plan(&package, &grant("/ws/data", "\"read\", \"list\""));
    assert_eq!(plan.plugins.len(), 1, "{:?}", plan.reports[0].diagnostics);
    assert_eq!(
        plan.plugins[0].host_apis,
        [yoi_manifest::HostApi::WasiFilesystem]
    );
    assert!(plan.reports[0].diagnostics.is_empty());
}
