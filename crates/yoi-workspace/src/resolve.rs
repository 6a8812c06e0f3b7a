//! Resolution: inventory + enablement file -> one [`Plan`].
//!
//! Requests (the manifest) meet grants (the enablement) here, through the
//! one rule in [`crate::plan`]: a surface member or host API is eligible only
//! when the manifest requests it, the enablement selects the surface, and a
//! grant allows it. Pins are exact: a package whose digest or version differs
//! from its pin is `rejected` until someone runs `yoi plugin update`; nothing
//! upgrades silently. An fs root that reaches yoi's own state
//! ([`crate::protected_state`]) makes the plugin `rejected`, and so does, for a plugin requesting
//! `wasi:filesystem`, one that cannot be a preopen
//! ([`yoi_grants::wasi_preopens`]). Schemas are loaded here, once, so that what runs later
//! never goes back to the package or the config.

use std::collections::BTreeSet;

use yoi_manifest::{HostApi, Schema, Surface};
use yoi_package::Package;

use crate::plan::judge;
use crate::{
    Config, Diagnostic, DiagnosticKind, Eligibility, Enablement, Inventory, Plan, PluginReport,
    QualifiedId, ResolvedIngress, ResolvedPlugin, ResolvedTool, Status, Trust,
};

/// Resolve an inventory against the enablement file, whose authority counts
/// only as far as `trust` allows: while untrusted, every enabled plugin is
/// `untrusted` and none may run (see [`crate::trust`]).
pub fn resolve(inventory: Inventory, config: &Config, trust: &Trust) -> Plan {
    let mut plan = Plan {
        diagnostics: inventory
            .store_errors
            .iter()
            .map(|(s, m)| format!("{s} store: {m}"))
            .collect(),
        https: config.https.clone(),
        protected: crate::protected_state(config, inventory.user_store.as_deref()),
        ..Plan::default()
    };
    let mut covered = BTreeSet::new();
    for (key, entry) in &config.plugins {
        covered.insert(key.clone());
        let Ok(qid) = key.parse::<QualifiedId>() else {
            let mut report = PluginReport::empty(key.clone(), Status::Rejected, true);
            let message = entry
                .as_ref()
                .err()
                .cloned()
                .unwrap_or_else(|| "invalid reference".into());
            report
                .diagnostics
                .push(Diagnostic::new(DiagnosticKind::Config, message));
            plan.reports.push(report);
            continue;
        };
        let found: Vec<_> = inventory.packages.iter().filter(|d| d.qid == qid).collect();
        let mut report = PluginReport::empty(key.clone(), Status::Rejected, true);
        if let Some(d) = found.first() {
            report.path = Some(d.path.clone());
            if let Ok(p) = &d.package {
                report.describe(p);
            }
        }
        let enablement = match entry {
            Ok(e) => e,
            Err(message) => {
                report.diagnostics.push(Diagnostic::new(
                    DiagnosticKind::Config,
                    format!(
                        "the enablement in `{}` is invalid: {message}",
                        config.path.display()
                    ),
                ));
                plan.reports.push(report);
                continue;
            }
        };
        report.pinned_version = Some(enablement.version.to_string());
        report.pinned_digest = Some(enablement.digest.to_string());
        let package = match found.as_slice() {
            [] => {
                report.status = Status::Missing;
                report.diagnostics.push(Diagnostic::new(
                    DiagnosticKind::Missing,
                    format!("enabled, but no {} store holds `{}`", qid.source, qid.id),
                ));
                plan.reports.push(report);
                continue;
            }
            [d, ..] => {
                report.diagnostics.extend(d.diagnostics.iter().cloned());
                match &d.package {
                    Err(diag) => {
                        report.diagnostics.push(diag.clone());
                        None
                    }
                    Ok(p) if d.diagnostics.is_empty() => Some(p),
                    Ok(_) => None,
                }
            }
        };
        let Some(package) = package else {
            plan.reports.push(report);
            continue;
        };
        if !pins_match(&mut report, package, enablement) {
            plan.reports.push(report);
            continue;
        }
        if let Err(e) = enablement
            .grants
            .fs
            .iter()
            .try_for_each(|g| plan.protected.check_root(&g.root))
        {
            report.diagnostics.push(Diagnostic::new(
                DiagnosticKind::Grant,
                format!("{e}; grant a directory that holds none of it"),
            ));
            plan.reports.push(report);
            continue;
        }
        let wasi_fs = package
            .manifest()
            .permissions
            .host_apis
            .contains(&HostApi::WasiFilesystem);
        if wasi_fs && let Err(e) = yoi_grants::wasi_preopens(&enablement.grants.fs, &plan.protected)
        {
            report
                .diagnostics
                .push(Diagnostic::new(DiagnosticKind::Grant, e.to_string()));
            plan.reports.push(report);
            continue;
        }
        let resolved = eligibility(&mut report, &qid, package, enablement);
        if let Some(resolved) = resolved {
            plan.plugins.push(resolved);
        }
        plan.reports.push(report);
    }
    for d in &inventory.packages {
        let key = d.qid.to_string();
        if covered.contains(&key) {
            continue;
        }
        // Several broken files may share a fallback name; report each.
        let mut report = PluginReport::empty(key, Status::Disabled, false);
        report.path = Some(d.path.clone());
        report.diagnostics.extend(d.diagnostics.iter().cloned());
        match &d.package {
            Ok(p) => {
                report.describe(p);
                for t in &p.manifest().tools {
                    report
                        .tools
                        .push(Eligibility::no(&t.name, "the plugin is not enabled"));
                }
            }
            Err(diag) => report.diagnostics.push(diag.clone()),
        }
        if !d.is_usable() {
            report.status = Status::Rejected;
        }
        plan.reports.push(report);
    }
    plan.reports.sort_by(|a, b| a.reference.cmp(&b.reference));
    crate::trust::distrust(&mut plan, trust);
    plan
}

fn pins_match(report: &mut PluginReport, package: &Package, enablement: &Enablement) -> bool {
    let reference = report.reference.clone();
    let manifest = package.manifest();
    if manifest.version != enablement.version {
        report.diagnostics.push(Diagnostic::new(
            DiagnosticKind::VersionMismatch,
            format!(
                "pinned version {} but the store holds {}; review it, then run `yoi plugin update {reference}`",
                enablement.version, manifest.version
            ),
        ));
        return false;
    }
    if package.digest() != enablement.digest {
        report.diagnostics.push(Diagnostic::new(
            DiagnosticKind::DigestMismatch,
            format!(
                "pinned digest {} but the package is now {}; the package changed. Review it, then run `yoi plugin update {reference}`",
                enablement.digest,
                package.digest()
            ),
        ));
        return false;
    }
    true
}

fn eligibility(
    report: &mut PluginReport,
    qid: &QualifiedId,
    package: &Package,
    enablement: &Enablement,
) -> Option<ResolvedPlugin> {
    let manifest = package.manifest();
    let perms = &manifest.permissions;
    let grants = &enablement.grants;
    let judge = |surface: Surface, name: &str| match judge(manifest, enablement, surface, name) {
        Ok(()) => Eligibility::yes(name),
        Err(reason) => Eligibility::no(name, reason),
    };
    let mut tools = Vec::new();
    for t in &manifest.tools {
        let mut e = judge(Surface::Tool, &t.name);
        if e.eligible {
            match load_schemas(package, t) {
                Ok(rt) => tools.push(rt),
                Err(msg) => {
                    report
                        .diagnostics
                        .push(Diagnostic::new(DiagnosticKind::Package, &msg));
                    e = Eligibility::no(&t.name, msg);
                }
            }
        }
        report.tools.push(e);
    }
    report.services = manifest
        .services
        .iter()
        .map(|s| judge(Surface::Service, &s.name))
        .collect();
    let mut ingresses = Vec::new();
    for g in &manifest.ingresses {
        let mut e = judge(Surface::Ingress, &g.name);
        if e.eligible {
            let what = format!("ingress `{}`: input_schema", g.name);
            match load_schema(package, &what, &g.input_schema, true) {
                Ok(input_schema) => ingresses.push(ResolvedIngress {
                    name: g.name.clone(),
                    kinds: g.event_kinds.clone(),
                    input_schema,
                    auth: enablement.ingress.get(&g.name).cloned(),
                }),
                Err(msg) => {
                    report
                        .diagnostics
                        .push(Diagnostic::new(DiagnosticKind::Package, &msg));
                    e = Eligibility::no(&g.name, msg);
                }
            }
        }
        report.ingresses.push(e);
    }
    for s in &enablement.surfaces {
        if !perms.surfaces.contains(s) {
            report.diagnostics.push(Diagnostic::new(
                DiagnosticKind::Grant,
                format!(
                    "the {s} surface is selected but the manifest does not request it; ignored"
                ),
            ));
        }
    }
    let mut host_apis = Vec::new();
    for api in [HostApi::Https, HostApi::Fs, HostApi::WasiFilesystem] {
        let requested = perms.host_apis.contains(&api);
        // `fs` grants serve both `fs` and `wasi:filesystem`; a grant is
        // reported unused only when neither is requested (below).
        let granted = match api {
            HostApi::Https => !grants.https.is_empty(),
            HostApi::Fs | HostApi::WasiFilesystem => !grants.fs.is_empty(),
        };
        match (requested, granted) {
            (true, true) => {
                host_apis.push(api);
                report.host_apis.push(Eligibility::yes(api.as_str()));
            }
            (true, false) => report.host_apis.push(Eligibility::no(
                api.as_str(),
                format!("{api} is requested but not granted"),
            )),
            (false, _) => {}
        }
    }
    for (grant, granted, requested) in [
        (
            "https",
            !grants.https.is_empty(),
            perms.host_apis.contains(&HostApi::Https),
        ),
        (
            "fs",
            !grants.fs.is_empty(),
            perms.host_apis.iter().any(|a| a.uses_fs_grants()),
        ),
    ] {
        if granted && !requested {
            report.diagnostics.push(Diagnostic::new(
                DiagnosticKind::Grant,
                format!(
                    "{grant} is granted but the manifest does not request it; the grant is ignored"
                ),
            ));
        }
    }
    let pick = |list: &[Eligibility]| {
        list.iter()
            .filter(|e| e.eligible)
            .map(|e| e.name.clone())
            .collect::<Vec<_>>()
    };
    let services = pick(&report.services);
    report.surfaces = [
        (Surface::Tool, !tools.is_empty()),
        (Surface::Service, !services.is_empty()),
        (Surface::Ingress, !ingresses.is_empty()),
    ]
    .into_iter()
    .filter_map(|(s, on)| on.then_some(s))
    .collect();
    let everything = report
        .tools
        .iter()
        .chain(&report.services)
        .chain(&report.ingresses)
        .chain(&report.host_apis);
    let (ok, total) = everything.fold((0, 0), |(ok, total), e| {
        (ok + e.eligible as usize, total + 1)
    });
    report.status = if report.surfaces.is_empty() {
        report.diagnostics.push(Diagnostic::new(
            DiagnosticKind::Grant,
            "enabled, but nothing it declares is both requested and granted",
        ));
        Status::Rejected
    } else if ok == total {
        Status::Active
    } else {
        Status::Partial
    };
    if report.status == Status::Rejected {
        return None;
    }
    Some(ResolvedPlugin {
        qid: qid.clone(),
        package: package.clone(),
        enablement: enablement.clone(),
        tools,
        services,
        ingresses,
        host_apis,
    })
}

/// A tool's schemas and description: what the manifest declares, and for a
/// typed component what its WIT signature gives where the manifest is silent
/// (an output schema only when the result is an object, as MCP requires).
fn load_schemas(package: &Package, tool: &yoi_manifest::Tool) -> Result<ResolvedTool, String> {
    let typed = package.typed_tool(&tool.name);
    let input_what = format!("tool `{}`: input_schema", tool.name);
    let input_schema = match (&tool.input_schema, typed) {
        (Some(schema), _) => load_schema(package, &input_what, schema, true)?,
        (None, Some(t)) => t.signature.input_schema.clone(),
        (None, None) => return Err(format!("{input_what} is missing")),
    };
    let output_schema = match (&tool.output_schema, typed) {
        (Some(schema), _) => {
            let what = format!("tool `{}`: output_schema", tool.name);
            Some(load_schema(package, &what, schema, false)?)
        }
        (None, Some(t)) => {
            let derived = &t.signature.output_schema;
            (derived.get("type") == Some(&serde_json::Value::from("object")))
                .then(|| derived.clone())
        }
        (None, None) => None,
    };
    Ok(ResolvedTool {
        name: tool.name.clone(),
        description: typed.map_or_else(|| tool.description.clone(), |t| t.description.clone()),
        input_schema,
        output_schema,
    })
}

/// Load one declared schema; `what` names it (`tool `x`: input_schema`).
/// A schema in a file must be JSON and, when `object`, an object schema
/// (inline schemas were checked when the manifest was parsed).
fn load_schema(
    package: &Package,
    what: &str,
    schema: &Schema,
    object: bool,
) -> Result<serde_json::Value, String> {
    let path = match schema {
        Schema::Inline(v) => return Ok(v.clone()),
        Schema::File(path) => path,
    };
    let bytes = package
        .files()
        .get(path)
        .ok_or_else(|| format!("{what} file `{path}` is missing"))?;
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("{what} file `{path}` is not JSON: {e}"))?;
    match &value {
        serde_json::Value::Object(map)
            if !object || yoi_manifest::check_object_schema("input_schema", map).is_ok() =>
        {
            Ok(value)
        }
        _ => Err(format!(
            "{what} file `{path}` must be an object schema with `type = \"object\"`"
        )),
    }
}
