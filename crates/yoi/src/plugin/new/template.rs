//! The project templates (`templates/` in the repository), embedded in the
//! binary, and how their `{{placeholders}}` are filled.
//!
//! Every value put into a template is either derived from a validated plugin
//! id (so it is made of `[a-z0-9._-]`) or quoted for the file it goes into,
//! and rendering fails if any placeholder is left over.

use std::path::Path;

use anyhow::bail;

use super::Template;

/// The `tool` template: path in the project -> text.
const TOOL: [(&str, &str); 5] = [
    (
        "Cargo.toml",
        include_str!("../../../../../templates/tool/Cargo.toml.tmpl"),
    ),
    (
        "plugin.toml",
        include_str!("../../../../../templates/tool/plugin.toml.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../../../templates/tool/src/lib.rs.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../../../../templates/tool/README.md.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../../../../templates/tool/gitignore.tmpl"),
    ),
];

/// The `instance` template: path in the project -> text.
const INSTANCE: [(&str, &str); 5] = [
    (
        "Cargo.toml",
        include_str!("../../../../../templates/instance/Cargo.toml.tmpl"),
    ),
    (
        "plugin.toml",
        include_str!("../../../../../templates/instance/plugin.toml.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../../../templates/instance/src/lib.rs.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../../../../templates/instance/README.md.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../../../../templates/instance/gitignore.tmpl"),
    ),
];

/// The `instance` template's ingress and its one event kind. Fixed names:
/// an ingress is addressed through its plugin (`/ingress/{plugin}/{name}`),
/// so it cannot clash with another plugin's.
pub(super) const INGRESS: &str = "inbox";
pub(super) const EVENT_KIND: &str = "message";

/// Names derived from the plugin id.
#[derive(Debug, Clone)]
pub(super) struct Names {
    /// The plugin id, as given.
    pub id: String,
    /// The cargo package name.
    pub crate_name: String,
    /// The tool's name.
    pub tool: String,
    /// The component's path in the package, as `runtime.component` gives it.
    pub component: String,
}

/// Names cargo refuses for a package or its library, or that would clash with
/// the crates the project uses.
const RESERVED: &[&str] = &[
    "abstract",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "build",
    "const",
    "continue",
    "core",
    "crate",
    "deps",
    "do",
    "dyn",
    "else",
    "enum",
    "examples",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "incremental",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc-macro",
    "proc_macro",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

impl Names {
    /// Names for a valid plugin id. `taken` are package names the project's
    /// dependencies use.
    pub fn new(id: &str, taken: &std::collections::BTreeSet<String>) -> Names {
        let base = id.replace('.', "-");
        let clashes = |name: &str| {
            RESERVED.contains(&name)
                || RESERVED.contains(&name.replace('-', "_").as_str())
                || taken.contains(name)
                || taken.contains(&name.replace('-', "_"))
                || taken.contains(&name.replace('_', "-"))
        };
        let crate_name = if base.starts_with(|c: char| c.is_ascii_lowercase()) && !clashes(&base) {
            base
        } else {
            format!("yoi-plugin-{base}")
        };
        let tool: String = id.replace('.', "_").chars().take(64).collect();
        Names {
            id: id.to_owned(),
            crate_name,
            tool,
            component: format!("{id}.wasm"),
        }
    }
}

/// What the project's `Cargo.toml` and README say about where the PDK is.
#[derive(Debug, Clone)]
pub(super) struct Pdk {
    /// The `yoi-pdk = ...` line of `[dependencies]`.
    pub dependency: String,
    /// A row of the README's table of files, or nothing.
    pub readme_row: String,
}

/// Render `template`: path in the project -> text.
pub(super) fn render(
    template: Template,
    names: &Names,
    pdk: &Pdk,
    project_dir: &Path,
) -> anyhow::Result<Vec<(String, String)>> {
    let workspace_json = serde_json::to_string(&project_dir.to_string_lossy())?;
    let values: [(&str, &str); 9] = [
        ("id", &names.id),
        ("crate", &names.crate_name),
        ("tool", &names.tool),
        ("component", &names.component),
        ("pdk_dependency", &pdk.dependency),
        ("pdk_row", &pdk.readme_row),
        ("workspace_json", &workspace_json),
        ("ingress", INGRESS),
        ("event_kind", EVENT_KIND),
    ];
    let files = match template {
        Template::Tool => &TOOL,
        Template::Instance => &INSTANCE,
    };
    files
        .iter()
        .map(|(path, text)| Ok(((*path).to_owned(), fill(path, text, &values)?)))
        .collect()
}

/// The registry crates a project made from `template` depends on directly,
/// besides `yoi-pdk`; its `Cargo.lock` pins them.
pub(super) fn registry_dependencies(template: Template) -> &'static [&'static str] {
    match template {
        Template::Tool => &["serde"],
        Template::Instance => &["serde", "serde_json"],
    }
}

fn fill(path: &str, text: &str, values: &[(&str, &str)]) -> anyhow::Result<String> {
    let mut out = text.to_owned();
    for (key, value) in values {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    if let Some(at) = out.find("{{") {
        let rest: String = out[at..].chars().take(40).collect();
        bail!("the template for `{path}` has an unknown placeholder at `{rest}`");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(id: &str) -> Names {
        Names::new(id, &["serde".to_owned(), "wit-bindgen".to_owned()].into())
    }

    #[test]
    fn names_follow_the_id() {
        let n = names("word-count");
        assert_eq!(
            (n.crate_name.as_str(), n.tool.as_str(), n.component.as_str()),
            ("word-count", "word-count", "word-count.wasm")
        );
        let n = names("acme.search");
        assert_eq!(
            (n.crate_name.as_str(), n.tool.as_str()),
            ("acme-search", "acme_search")
        );
        assert_eq!(names("3d").crate_name, "yoi-plugin-3d");
        assert_eq!(names("_x").crate_name, "yoi-plugin-_x");
        assert_eq!(names("fn").crate_name, "yoi-plugin-fn");
        assert_eq!(names("proc-macro").crate_name, "yoi-plugin-proc-macro");
        assert_eq!(names("serde").crate_name, "yoi-plugin-serde");
        assert_eq!(names("wit_bindgen").crate_name, "yoi-plugin-wit_bindgen");
        assert_eq!(names(&"a".repeat(128)).tool.len(), 64);
        assert!(yoi_manifest::is_valid_surface_name(&names("a.b-c_d").tool));
    }

    #[test]
    fn the_template_renders_to_a_valid_manifest() {
        let pdk = Pdk {
            dependency: "yoi-pdk = { path = \"vendor/yoi-pdk\" }".into(),
            readme_row: String::new(),
        };
        let files = render(
            Template::Tool,
            &names("acme.search"),
            &pdk,
            Path::new("/p/q"),
        )
        .unwrap();
        let get = |p: &str| &files.iter().find(|(path, _)| path == p).unwrap().1;
        let manifest = yoi_manifest::Manifest::from_toml_str(get("plugin.toml")).unwrap();
        assert_eq!(manifest.id, "acme.search");
        assert_eq!(manifest.tools[0].name, "acme_search");
        assert_eq!(manifest.permissions.tools, ["acme_search"]);
        assert!(manifest.permissions.host_apis.is_empty());
        assert_eq!(manifest.artifact_path(), "acme.search.wasm");
        let cargo: toml::Table = get("Cargo.toml").parse().unwrap();
        assert_eq!(cargo["package"]["name"].as_str(), Some("acme-search"));
        assert_eq!(
            cargo["dependencies"]["yoi-pdk"]["path"].as_str(),
            Some("vendor/yoi-pdk")
        );
        assert!(cargo["workspace"].is_table());
        assert!(get("src/lib.rs").contains("\"acme_search\" => count"));
        assert!(get("README.md").contains("\"--workspace\", \"/p/q\""));
    }

    #[test]
    fn the_instance_template_renders_to_a_valid_manifest() {
        let pdk = Pdk {
            dependency: "yoi-pdk = { path = \"vendor/yoi-pdk\" }".into(),
            readme_row: String::new(),
        };
        let files = render(
            Template::Instance,
            &names("acme.inbox"),
            &pdk,
            Path::new("/p/q"),
        )
        .unwrap();
        let get = |p: &str| &files.iter().find(|(path, _)| path == p).unwrap().1;
        let manifest = yoi_manifest::Manifest::from_toml_str(get("plugin.toml")).unwrap();
        assert_eq!(manifest.id, "acme.inbox");
        assert_eq!(manifest.tools[0].name, "acme_inbox");
        assert_eq!(manifest.ingresses[0].name, INGRESS);
        assert_eq!(manifest.ingresses[0].event_kinds, [EVENT_KIND]);
        assert_eq!(manifest.permissions.tools, ["acme_inbox"]);
        assert_eq!(manifest.permissions.ingresses, [INGRESS]);
        assert!(manifest.permissions.host_apis.is_empty());
        let cargo: toml::Table = get("Cargo.toml").parse().unwrap();
        assert_eq!(cargo["package"]["name"].as_str(), Some("acme-inbox"));
        let deps: Vec<&str> = cargo["dependencies"]
            .as_table()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|d| *d != "yoi-pdk")
            .collect();
        assert_eq!(deps, registry_dependencies(Template::Instance));
        assert!(get("src/lib.rs").contains("\"acme_inbox\" => read"));
        assert!(
            get("README.md").contains("--tools acme_inbox --ingresses inbox"),
            "{}",
            get("README.md")
        );
        // The two templates share their release profile.
        assert_eq!(
            get("Cargo.toml").split("[profile.release]").nth(1),
            TOOL[0].1.split("[profile.release]").nth(1)
        );
    }

    #[test]
    fn leftover_placeholders_are_errors() {
        let err = fill("x", "a {{nope}} b", &[("id", "x")]).unwrap_err();
        assert!(err.to_string().contains("{{nope}}"), "{err}");
    }

    /// The template's release profile is the one the examples ship with.
    #[test]
    fn the_release_profile_matches_the_examples() {
        let ours: toml::Table = TOOL[0]
            .1
            .replace("{{crate}}", "x")
            .replace("{{pdk_dependency}}", "")
            .parse()
            .unwrap();
        let examples: toml::Table = include_str!("../../../../../examples/Cargo.toml")
            .parse()
            .unwrap();
        assert_eq!(
            ours["profile"]["release"], examples["profile"]["release"],
            "keep templates/tool/Cargo.toml.tmpl in step with examples/Cargo.toml"
        );
        assert_eq!(
            ours["dependencies"]["serde"],
            examples["workspace"]["dependencies"]["serde"]
        );
    }
}
