//! Manifests checked against components built from WIT: the attacker is a
//! package author whose component does not match what its manifest claims.

use serde_json::json;
use yoi_manifest::{Manifest, Schema};
use yoi_typed::{TypedComponent, TypedError, check};

const CALC: &str = r#"
package test:calc;

interface ops {
    resource tape { push: func(v: s32); }
    sub: func(a: s32, b: s32) -> s32;
    rewind: func(t: borrow<tape>);
}

world root {
    /// Add two numbers.
    export add: func(a: s32, b: s32) -> s32;
    export ops;
}
"#;

fn manifest(tools: &str, host_apis: &str) -> Manifest {
    Manifest::from_toml_str(&format!(
        r#"schema_version = 1
id = "calc"
name = "Calc"
version = "0.1.0"
description = ""

[runtime]
kind = "wasm-component"
component = "calc.wasm"
world = "typed"

{tools}

[permissions]
surfaces = ["tool"]
host_apis = [{host_apis}]
"#
    ))
    .unwrap()
}

fn inline(schema: &Schema) -> Option<serde_json::Value> {
    match schema {
        Schema::Inline(v) => Some(v.clone()),
        Schema::File(_) => None,
    }
}

fn run(tools: &str) -> Result<Vec<yoi_typed::TypedTool>, TypedError> {
    let bytes = yoi_test_support::component_from_wit(CALC, true);
    let component = TypedComponent::decode(&bytes).unwrap();
    check(&manifest(tools, ""), &component, &inline)
}

#[test]
fn exports_are_listed_with_their_qualified_names() {
    let bytes = yoi_test_support::component_from_wit(CALC, false);
    let component = TypedComponent::decode(&bytes).unwrap();
    let names: Vec<&str> = component
        .functions
        .iter()
        .map(|f| f.export.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "add",
            "test:calc/ops#[method]tape.push",
            "test:calc/ops#sub",
            "test:calc/ops#rewind"
        ]
    );
}

#[test]
fn descriptions_come_from_package_docs_else_the_manifest() {
    let tools = run("[[tools]]\nname = \"add\"\n").unwrap();
    assert_eq!(tools[0].description, "Add two numbers.");
    assert_eq!(
        tools[0].signature.input_schema["properties"]["a"],
        json!({"type": "integer", "minimum": -2147483648, "maximum": 2147483647})
    );
    let tools = run("[[tools]]\nname = \"add\"\ndescription = \"Mine.\"\n").unwrap();
    assert_eq!(tools[0].description, "Mine.");
    let bare = yoi_test_support::component_from_wit(CALC, false);
    let component = TypedComponent::decode(&bare).unwrap();
    let err = check(
        &manifest("[[tools]]\nname = \"add\"\n", ""),
        &component,
        &inline,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tool `add`: no description in plugin.toml and no WIT doc comment on `add`"
    );
}

#[test]
fn a_resource_taking_function_is_not_a_tool() {
    let err = run(
        "[[tools]]\nname = \"rewind\"\nexport = \"test:calc/ops#rewind\"\ndescription = \"R\"\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tool `rewind`: function `test:calc/ops#rewind` is not offered as a tool: parameter `t`: resources and handles cannot be passed as JSON"
    );
}

#[test]
fn a_missing_export_is_refused_with_what_exists() {
    let err = run("[[tools]]\nname = \"mul\"\ndescription = \"M\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "tool `mul`: the component exports no function `mul`; it exports `add`, `test:calc/ops#[method]tape.push`, `test:calc/ops#sub`, `test:calc/ops#rewind`"
    );
}

#[test]
fn two_tools_naming_one_export_clash() {
    let err = run("[[tools]]\nname = \"add\"\n\n[[tools]]\nname = \"plus\"\nexport = \"add\"\n")
        .unwrap_err();
    assert_eq!(
        err,
        TypedError::ExportClash {
            export: "add".into(),
            first: "add".into(),
            second: "plus".into()
        }
    );
}

#[test]
fn a_declared_schema_that_contradicts_the_signature_is_refused() {
    let err = run(
        "[[tools]]\nname = \"add\"\ninput_schema = { type = \"object\", properties = { a = { type = \"string\" } } }\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tool `add`: the declared input_schema contradicts the WIT signature of `add`: parameter `a` is `string` but the signature gives `integer`"
    );
    let err = run(
        "[[tools]]\nname = \"add\"\ninput_schema = { type = \"object\", properties = { a = { type = \"integer\" }, c = {} }, required = [\"a\", \"b\"] }\n",
    )
    .unwrap_err();
    assert!(
        err.to_string().ends_with("property `c` is not a parameter"),
        "{err}"
    );
    let err = run(
        "[[tools]]\nname = \"add\"\ninput_schema = { type = \"object\", properties = { a = { type = \"integer\" } }, required = [\"a\"] }\n",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("parameter `b` is not an `option` but is not required"),
        "{err}"
    );
    let ok = run(
        "[[tools]]\nname = \"add\"\ninput_schema = { type = \"object\", properties = { a = { type = \"integer\", maximum = 10 } }, required = [\"a\", \"b\"] }\n",
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn an_import_not_requested_is_refused_at_check() {
    let wit = r#"
package test:net;
world root {
    import yoi:host/https@1.0.0;
    import wasi:http/outgoing-handler@0.2.0;
    export go: func() -> string;
}
"#;
    let wit = format!(
        "{wit}\npackage yoi:host@1.0.0 {{ interface https {{ get: func(url: string) -> string; }} }}\npackage wasi:http@0.2.0 {{ interface outgoing-handler {{ handle: func(); }} }}\n"
    );
    let bytes = yoi_test_support::component_from_wit(&wit, false);
    let component = TypedComponent::decode(&bytes).unwrap();
    let tools = "[[tools]]\nname = \"go\"\ndescription = \"Go.\"\n";
    let err = check(&manifest(tools, ""), &component, &inline).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the component imports `yoi:host/https@1.0.0`: the `https` host API is not requested in `permissions.host_apis`"
    );
    let err = check(&manifest(tools, "\"https\""), &component, &inline).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the component imports `wasi:http/outgoing-handler@0.2.0`: yoi does not provide it; a typed component may import only WASI p2 and the yoi host APIs it requests"
    );
}
