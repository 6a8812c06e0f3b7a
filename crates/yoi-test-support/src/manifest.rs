//! Builders for `plugin.toml` texts and small packages, so suites do not
//! each write their own manifest templates.

use std::fmt::Write as _;

use yoi_package::Package;

/// A `plugin.toml` under construction. The defaults make a valid tool-world
/// component manifest with no tools; each method changes one thing.
#[derive(Debug, Clone)]
pub struct TestManifest {
    id: String,
    name: Option<String>,
    version: String,
    description: String,
    runtime: String,
    tools: Vec<String>,
    permissions: Option<String>,
    extra: String,
}

impl TestManifest {
    /// A `wasm-component` manifest for the tool world with artifact `component`.
    pub fn component(id: &str, component: &str) -> TestManifest {
        TestManifest::with_runtime(
            id,
            format!(
                "kind = \"wasm-component\"\ncomponent = \"{component}\"\nworld = \"yoi:plugin/tool@1.0.0\"\n"
            ),
        )
    }

    /// A legacy `wasm` manifest (`yoi-plugin-wasm-1`) with entry `entry`.
    pub fn legacy(id: &str, entry: &str) -> TestManifest {
        TestManifest::with_runtime(
            id,
            format!("kind = \"wasm\"\nentry = \"{entry}\"\nabi = \"yoi-plugin-wasm-1\"\n"),
        )
    }

    fn with_runtime(id: &str, runtime: String) -> TestManifest {
        TestManifest {
            id: id.to_owned(),
            name: None,
            version: "0.1.0".to_owned(),
            description: "A test fixture.".to_owned(),
            runtime,
            tools: Vec::new(),
            permissions: None,
            extra: String::new(),
        }
    }

    /// The display name (default: the id).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// The package version (default: `0.1.0`).
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_owned();
        self
    }

    /// The package description (default: `A test fixture.`).
    pub fn description(mut self, description: &str) -> Self {
        self.description = description.to_owned();
        self
    }

    /// The world of a component manifest (`yoi:plugin/instance@1.0.0`, ...).
    pub fn world(mut self, world: &str) -> Self {
        let runtime = self
            .runtime
            .lines()
            .map(|l| {
                if l.starts_with("world = ") {
                    format!("world = \"{world}\"")
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        self.runtime = runtime + "\n";
        self
    }

    /// A tool with an inline `{ type = "object" }` input schema.
    pub fn tool(self, name: &str, description: &str) -> Self {
        self.tool_with_schema(name, description, "{ type = \"object\" }")
    }

    /// A tool whose `input_schema` is the TOML value `schema` (an inline
    /// table, or a quoted path of a schema file in the package).
    pub fn tool_with_schema(mut self, name: &str, description: &str, schema: &str) -> Self {
        self.tools.push(format!(
            "[[tools]]\nname = \"{name}\"\ndescription = \"{description}\"\ninput_schema = {schema}\n"
        ));
        self
    }

    /// `[permissions]` requesting the tool surface and `tools`, and the host
    /// APIs `host_apis` (none when empty; then the key is left out).
    pub fn requests_tools(mut self, tools: &[&str], host_apis: Option<&[&str]>) -> Self {
        let quoted = |list: &[&str]| {
            list.iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut text = format!(
            "[permissions]\nsurfaces = [\"tool\"]\ntools = [{}]\n",
            quoted(tools)
        );
        if let Some(apis) = host_apis {
            let _ = writeln!(text, "host_apis = [{}]", quoted(apis));
        }
        self.permissions = Some(text);
        self
    }

    /// `[permissions]` written out in full.
    pub fn permissions(mut self, toml: &str) -> Self {
        self.permissions = Some(format!("[permissions]\n{toml}"));
        self
    }

    /// More TOML appended after the tools (`[[services]]`, `[[ingresses]]`).
    pub fn extra(mut self, toml: &str) -> Self {
        self.extra.push_str(toml);
        self
    }

    /// The manifest text.
    pub fn to_toml(&self) -> String {
        let mut text = format!(
            "schema_version = 1\nid = \"{id}\"\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"{description}\"\n\n[runtime]\n{runtime}",
            id = self.id,
            name = self.name.as_deref().unwrap_or(&self.id),
            version = self.version,
            description = self.description,
            runtime = self.runtime,
        );
        for t in &self.tools {
            text.push('\n');
            text.push_str(t);
        }
        if !self.extra.is_empty() {
            text.push('\n');
            text.push_str(&self.extra);
        }
        if let Some(p) = &self.permissions {
            text.push('\n');
            text.push_str(p);
        }
        text
    }
}

/// A component header (`\0asm`, version 0x0d, layer 1) plus padding: enough
/// for the package checks, never run.
pub fn component_bytes() -> Vec<u8> {
    padded(b"\0asm\x0d\0\x01\0")
}

/// A core module header (`\0asm`, version 1) plus padding.
pub fn core_module_bytes() -> Vec<u8> {
    padded(b"\0asm\x01\0\0\0")
}

fn padded(header: &[u8]) -> Vec<u8> {
    let mut bytes = header.to_vec();
    bytes.extend(std::iter::repeat_n(0x5a, 56));
    bytes
}

/// A package built in a temporary directory from a manifest and its files
/// (`(path, bytes)`), through the same validation as any other
/// (`Package::from_dir`).
pub fn package_from_parts(
    manifest: &str,
    files: &[(&str, &[u8])],
) -> Result<Package, yoi_package::PackageError> {
    let dir = tempfile::tempdir().expect("creating a package directory");
    std::fs::write(dir.path().join("plugin.toml"), manifest).unwrap();
    for (path, bytes) in files {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, bytes).unwrap();
    }
    Package::from_dir(dir.path())
}
