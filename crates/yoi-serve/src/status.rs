//! `GET /status`: what `yoi serve` serves, as JSON whose field names are a
//! contract for scripts and dashboards.
//!
//! ```json
//! {"workspace": "/path/to/ws",
//!  "plugins": [{"plugin": "project:echo", "status": "active", "version": "0.1.0",
//!               "digest": "sha256:…", "tools": ["echo"], "diagnostics": []}],
//!  "tools": 2,
//!  "diagnostics": []}
//! ```
//!
//! One entry per plugin `yoi plugin list` shows, in its order and with its
//! status vocabulary, refined by what the server found when it built the
//! registry and loaded the code (inspection never loads code, serving does):
//! - an enabled plugin whose code failed to load is `rejected`, with a
//!   `load` diagnostic (its tools stay listed, and calls to them fail as
//!   unavailable);
//! - an enabled plugin that lost some of its eligible tools in the registry
//!   (name collisions, schemas that do not compile) is `partial`, or
//!   `rejected` if it lost all of them, with a `registry` diagnostic each.
//!
//! `tools` in a plugin entry is what MCP clients see of it; the top-level
//! `tools` counts every registered tool, built-in ones included. Messages
//! that name no plugin stay in the top-level `diagnostics`.
//!
//! What does not change while serving is built once ([`StatusReport::build`]);
//! each request adds the live state of every plugin that has an instance as
//! its `instance` ([`StatusReport::with_instances`]). New per-plugin fields
//! are added beside these; existing names and meanings do not change. Keys
//! come out in name order (see `routes`), whatever order they are declared in.

use std::path::Path;

use serde::Serialize;
use yoi_instances::{InstanceReport, LoadFailure};
use yoi_tools::{Origin, RegistryDiagnostic, ToolInfo};
use yoi_workspace::{Plan, PluginReport, Status};

/// The whole `/status` document.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// The workspace directory served.
    pub workspace: String,
    /// Every plugin the plan reports on, enabled or not.
    pub plugins: Vec<PluginStatus>,
    /// Registered tools, built-in ones included.
    pub tools: usize,
    /// Workspace-level problems and messages that name no plugin.
    pub diagnostics: Vec<String>,
}

/// One plugin as the server sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PluginStatus {
    /// The source-qualified reference, e.g. `project:echo`.
    pub plugin: String,
    /// The plan's status, lowered when tools are lost at registration or
    /// the code cannot be loaded.
    pub status: Status,
    /// The package version, when a package was found.
    pub version: Option<String>,
    /// The package digest, when a package was found.
    pub digest: Option<String>,
    /// Names of the plugin's tools in the registry, sorted.
    pub tools: Vec<String>,
    /// What resolving and serving found wrong with this plugin.
    pub diagnostics: Vec<PluginDiagnostic>,
    /// The live state of the plugin's instance, for plugins that have one
    /// (enabled and resolved); absent from the report built at start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<InstanceReport>,
}

/// A problem with one plugin, and where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginDiagnostic {
    /// Which check found it.
    pub kind: DiagnosticKind,
    /// The problem, ready to show.
    pub message: String,
}

/// The kinds of `yoi plugin show`, plus what only serving can find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DiagnosticKind {
    /// Found while resolving the plan, as `yoi plugin show` reports it.
    Resolve(yoi_workspace::DiagnosticKind),
    /// Found only when serving.
    Serve(ServeDiagnosticKind),
}

/// What only serving finds out about a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServeDiagnosticKind {
    /// An eligible tool is not in the registry.
    Registry,
    /// The plugin's code could not be loaded.
    Load,
}

impl StatusReport {
    /// Build the report from the plan, the registry's tools and diagnostics,
    /// and the plugins that failed to load (`ToolRegistry::preload`). Each
    /// registry diagnostic and load failure names its plugin as data, and is
    /// listed under that plugin; one whose plugin the plan does not list
    /// stays top-level, so nothing is lost.
    pub fn build<'a>(
        workspace: &Path,
        plan: &Plan,
        tools: impl IntoIterator<Item = &'a ToolInfo>,
        registry_diagnostics: &[RegistryDiagnostic],
        load_failures: &[LoadFailure],
    ) -> StatusReport {
        let tools: Vec<&ToolInfo> = tools.into_iter().collect();
        let plugins: Vec<PluginStatus> = plan
            .reports
            .iter()
            .map(|report| plugin_status(report, &tools, registry_diagnostics, load_failures))
            .collect();
        let listed = |plugin: &str| plugins.iter().any(|p| p.plugin == plugin);
        let diagnostics = plan
            .diagnostics
            .iter()
            .cloned()
            .chain(
                registry_diagnostics
                    .iter()
                    .filter(|d| !listed(&d.plugin))
                    .map(|d| d.message.clone()),
            )
            .chain(
                load_failures
                    .iter()
                    .filter(|f| !listed(&f.plugin))
                    .map(|f| f.message.clone()),
            )
            .collect();
        StatusReport {
            workspace: workspace.display().to_string(),
            plugins,
            tools: tools.len(),
            diagnostics,
        }
    }

    /// This report with each plugin's instance state (from
    /// `PluginInstanceRegistry::report`) attached to its entry; an instance
    /// of a plugin the report does not list is left out.
    pub fn with_instances(&self, instances: Vec<InstanceReport>) -> StatusReport {
        let mut report = self.clone();
        for instance in instances {
            if let Some(p) = report
                .plugins
                .iter_mut()
                .find(|p| p.plugin == instance.plugin)
            {
                p.instance = Some(instance);
            }
        }
        report
    }
}

fn plugin_status(
    report: &PluginReport,
    tools: &[&ToolInfo],
    registry_diagnostics: &[RegistryDiagnostic],
    load_failures: &[LoadFailure],
) -> PluginStatus {
    let reference = &report.reference;
    let registered: Vec<String> = tools
        .iter()
        .filter(|t| matches!(&t.origin, Origin::Plugin { reference: r, .. } if r == reference))
        .map(|t| t.name.clone())
        .collect();
    let mut diagnostics: Vec<PluginDiagnostic> = report
        .diagnostics
        .iter()
        .map(|d| PluginDiagnostic {
            kind: DiagnosticKind::Resolve(d.kind),
            message: d.message.clone(),
        })
        .collect();
    let serve = |kind, message: String| PluginDiagnostic {
        kind: DiagnosticKind::Serve(kind),
        message,
    };
    let mut status = report.status;
    let runnable = matches!(status, Status::Active | Status::Partial);
    if runnable {
        let eligible: Vec<&str> = report
            .tools
            .iter()
            .filter(|t| t.eligible)
            .map(|t| t.name.as_str())
            .collect();
        let mut lost = 0;
        for name in eligible
            .iter()
            .filter(|n| !registered.iter().any(|r| r == *n))
        {
            lost += 1;
            let message = registry_diagnostics
                .iter()
                .find(|d| &d.plugin == reference && d.tool == **name)
                .map(|d| d.message.clone())
                .unwrap_or_else(|| format!("tool `{name}` is eligible but was not registered"));
            diagnostics.push(serve(ServeDiagnosticKind::Registry, message));
        }
        if lost > 0 {
            status = if lost == eligible.len() {
                Status::Rejected
            } else {
                Status::Partial
            };
        }
        if let Some(failure) = load_failures.iter().find(|f| &f.plugin == reference) {
            diagnostics.push(serve(ServeDiagnosticKind::Load, failure.message.clone()));
            status = Status::Rejected;
        }
    }
    PluginStatus {
        plugin: reference.clone(),
        status,
        version: report.version.clone(),
        digest: report.digest.clone(),
        tools: registered,
        diagnostics,
        instance: None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use yoi_workspace::{Diagnostic, Eligibility};

    use super::*;

    fn report(reference: &str, status: Status, tools: &[(&str, bool)]) -> PluginReport {
        PluginReport {
            reference: reference.into(),
            status,
            enabled: status != Status::Disabled,
            version: Some("1.0.0".into()),
            digest: Some("sha256:00".into()),
            pinned_version: None,
            pinned_digest: None,
            name: None,
            description: None,
            runtime: None,
            stateful: false,
            path: None,
            surfaces: Vec::new(),
            tools: tools
                .iter()
                .map(|(name, eligible)| Eligibility {
                    name: (*name).into(),
                    eligible: *eligible,
                    reason: (!eligible).then(|| "not granted".into()),
                })
                .collect(),
            services: Vec::new(),
            ingresses: Vec::new(),
            host_apis: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    fn tool(name: &str, reference: Option<&str>) -> ToolInfo {
        ToolInfo {
            name: name.into(),
            description: String::new(),
            input_schema: json!({"type": "object"}),
            output_schema: None,
            origin: match reference {
                Some(r) => Origin::Plugin {
                    reference: r.into(),
                    digest: "sha256:00".into(),
                    version: "1.0.0".into(),
                },
                None => Origin::Builtin,
            },
        }
    }

    #[test]
    fn statuses_follow_the_plan_and_what_serving_found() {
        let mut partial = report("project:b", Status::Partial, &[("b1", true), ("b2", false)]);
        partial.diagnostics.push(Diagnostic::new(
            yoi_workspace::DiagnosticKind::Grant,
            "tool `b2` is not granted",
        ));
        let plan = Plan {
            reports: vec![
                report("project:a", Status::Active, &[("a1", true)]),
                partial,
                report(
                    "project:c",
                    Status::Active,
                    &[("shared", true), ("c1", true)],
                ),
                report("project:d", Status::Active, &[("shared", true)]),
                report("project:e", Status::Active, &[("e1", true)]),
                report("user:off", Status::Disabled, &[("x", false)]),
            ],
            diagnostics: vec!["user store: unreadable".into()],
            ..Plan::default()
        };
        let tools = [
            tool("a1", Some("project:a")),
            tool("b1", Some("project:b")),
            tool("c1", Some("project:c")),
            tool("e1", Some("project:e")),
            tool("yoi_history", None),
        ];
        let said = |plugin: &str, tool: &str, message: &str| RegistryDiagnostic {
            plugin: plugin.into(),
            tool: tool.into(),
            message: message.into(),
        };
        let registry = [
            said(
                "project:c",
                "shared",
                "tool `shared` of `project:c` is not registered: the name is claimed by `project:c` and `project:d`; rename or disable one",
            ),
            said(
                "project:d",
                "shared",
                "tool `shared` of `project:d` is not registered: the name is claimed by `project:c` and `project:d`; rename or disable one",
            ),
            said(
                "project:gone",
                "x",
                "something the registry said about a plugin the plan does not list",
            ),
        ];
        let load = [LoadFailure {
            plugin: "project:e".into(),
            message: "cannot compile the artifact: bad magic".into(),
        }];
        let r = StatusReport::build(Path::new("/ws"), &plan, &tools, &registry, &load);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["workspace"], "/ws");
        assert_eq!(v["tools"], 5);
        assert_eq!(
            v["diagnostics"],
            json!([
                "user store: unreadable",
                "something the registry said about a plugin the plan does not list"
            ])
        );
        let by = |name: &str| {
            v["plugins"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["plugin"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(
            by("project:a"),
            json!({"plugin": "project:a", "status": "active", "version": "1.0.0",
                   "digest": "sha256:00", "tools": ["a1"], "diagnostics": []})
        );
        let b = by("project:b");
        assert_eq!(b["status"], "partial");
        assert_eq!(b["tools"], json!(["b1"]));
        assert_eq!(
            b["diagnostics"],
            json!([{"kind": "grant", "message": "tool `b2` is not granted"}])
        );
        let c = by("project:c");
        assert_eq!(c["status"], "partial");
        assert_eq!(c["tools"], json!(["c1"]));
        assert_eq!(c["diagnostics"][0]["kind"], "registry");
        assert_eq!(c["diagnostics"][0]["message"], registry[0].message.as_str());
        let d = by("project:d");
        assert_eq!(d["status"], "rejected");
        assert_eq!(d["tools"], json!([]));
        assert_eq!(d["diagnostics"][0]["message"], registry[1].message.as_str());
        let e = by("project:e");
        assert_eq!(e["status"], "rejected");
        assert_eq!(e["tools"], json!(["e1"]));
        assert_eq!(
            e["diagnostics"],
            json!([{"kind": "load", "message": load[0].message}])
        );
        let off = by("user:off");
        assert_eq!(off["status"], "disabled");
        assert_eq!(off["tools"], json!([]));
        assert_eq!(off["diagnostics"], json!([]));
    }

    #[test]
    fn an_unexplained_missing_tool_still_gets_a_diagnostic() {
        let plan = Plan {
            reports: vec![report(
                "project:a",
                Status::Active,
                &[("a1", true), ("a2", true)],
            )],
            ..Plan::default()
        };
        let tools = [tool("a1", Some("project:a"))];
        let r = StatusReport::build(Path::new("/ws"), &plan, &tools, &[], &[]);
        assert_eq!(r.plugins[0].status, Status::Partial);
        assert_eq!(
            r.plugins[0].diagnostics,
            [PluginDiagnostic {
                kind: DiagnosticKind::Serve(ServeDiagnosticKind::Registry),
                message: "tool `a2` is eligible but was not registered".into(),
            }]
        );
        assert!(r.diagnostics.is_empty());
    }

    fn instance(plugin: &str) -> InstanceReport {
        InstanceReport {
            plugin: plugin.into(),
            kind: "instance",
            lifecycle: yoi_runtime::Lifecycle {
                state: yoi_runtime::InstanceState::Running,
                calls: 3,
                errors: 0,
                restarts: 0,
                diagnostics: Vec::new(),
                restart_in_ms: None,
            },
            events: yoi_instances::EventCounters {
                accepted: 2,
                dropped: 0,
                rejected: 0,
                handled: 2,
                failed: 0,
            },
            services: Vec::new(),
            plugin_status: Some(json!({"z": 1, "count": 14})),
            cache_diagnostic: None,
        }
    }

    #[test]
    fn each_request_adds_the_live_instances_to_their_plugins() {
        let plan = Plan {
            reports: vec![
                report("project:a", Status::Active, &[("a1", true)]),
                report("user:off", Status::Disabled, &[("x", false)]),
            ],
            ..Plan::default()
        };
        let tools = [tool("a1", Some("project:a"))];
        let r = StatusReport::build(Path::new("/ws"), &plan, &tools, &[], &[]);
        let live = r.with_instances(vec![instance("project:a"), instance("project:gone")]);
        assert!(r.plugins.iter().all(|p| p.instance.is_none()), "{r:?}");
        assert!(live.plugins[1].instance.is_none());
        // Keys in name order at every level, nested ones and the plugin's own
        // status included: the layout `/status` has always had.
        let body = String::from_utf8(crate::routes::to_json(&live).unwrap()).unwrap();
        let expected = r#"{
  "diagnostics": [],
  "plugins": [
    {
      "diagnostics": [],
      "digest": "sha256:00",
      "instance": {
        "calls": 3,
        "diagnostics": [],
        "errors": 0,
        "events": {
          "accepted": 2,
          "dropped": 0,
          "failed": 0,
          "handled": 2,
          "rejected": 0
        },
        "kind": "instance",
        "plugin": "project:a",
        "plugin_status": {
          "count": 14,
          "z": 1
        },
        "restarts": 0,
        "state": "running"
      },
      "plugin": "project:a",
      "status": "active",
      "tools": [
        "a1"
      ],
      "version": "1.0.0"
    },
    {
      "diagnostics": [],
      "digest": "sha256:00",
      "plugin": "user:off",
      "status": "disabled",
      "tools": [],
      "version": "1.0.0"
    }
  ],
  "tools": 1,
  "workspace": "/ws"
}
"#;
        assert_eq!(body, expected);
    }
}
