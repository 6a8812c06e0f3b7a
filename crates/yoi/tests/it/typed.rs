//! Typed components end to end: `examples/typed-calc` (a plain wit-bindgen
//! component) listed with schemas derived from its WIT, called, refused
//! out-of-range input before it runs; and hostile components refused at check.

use serde_json::{Value, json};

use crate::support::{Env, fixture};

fn calc() -> Env {
    let env = Env::new();
    let r = env.yoi(&["plugin", "install", fixture("typed-calc").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.yoi(&["plugin", "enable", "project:typed-calc", "--tools", "*"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    env
}

fn tool(env: &Env, name: &str) -> Value {
    let list = env.yoi(&["tool", "list", "--json"]).json();
    list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no tool `{name}` in {list}"))
        .clone()
}

#[test]
fn typed_calc_add_has_s32_bounds_derived_from_wit() {
    let env = calc();
    let add = tool(&env, "add");
    let s32 = json!({"type": "integer", "minimum": -2147483648_i64, "maximum": 2147483647});
    assert_eq!(
        add["input_schema"],
        json!({
            "type": "object",
            "properties": {"a": s32, "b": s32},
            "required": ["a", "b"],
            "additionalProperties": false,
        })
    );
    // A bare integer is not an MCP output schema (it must be an object).
    assert!(add.get("output_schema").is_none(), "{add}");
    let divide = tool(&env, "divide");
    let division = &divide["input_schema"]["properties"]["division"];
    assert_eq!(division["required"], json!(["dividend", "divisor"]));
    assert_eq!(
        division["properties"]["rounding"]["anyOf"][1],
        json!({"type": "null"})
    );
    assert_eq!(
        divide["output_schema"]["required"],
        json!(["value", "remainder"])
    );
}

#[test]
fn typed_calc_add_answers_5() {
    let env = calc();
    let r = env.yoi(&["tool", "call", "add", "--input", r#"{"a": 2, "b": 3}"#]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "5\n");
}

/// The attacker is a model or a client sending a number the WIT type cannot
/// hold: it is refused as `invalid-input`, recorded, and the guest never runs.
#[test]
fn an_out_of_range_argument_is_refused_before_the_guest_runs() {
    let env = calc();
    for input in [
        r#"{"a": 2147483648, "b": 0}"#,
        r#"{"a": 1.5, "b": 0}"#,
        r#"{"a": 1, "b": 2, "c": 3}"#,
        r#"{"a": 1}"#,
    ] {
        let r = env.yoi(&["tool", "call", "add", "--input", input, "--json"]);
        assert_eq!(r.code, 1, "{input}");
        let v = r.json();
        assert_eq!(v["error"]["kind"], "invalid-input", "{input}: {v}");
    }
    let h = env.yoi(&["history", "--json"]).json();
    let kinds: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["tool_call", "tool_error"].repeat(4));
    assert_eq!(h["events"][1]["error_kind"], "invalid-input", "{h}");
    assert_eq!(
        h["events"][1]["message"],
        "the input does not match the schema of `add`: /a: 2147483648 is greater than the maximum of 2147483647"
    );
}

#[test]
fn typed_calc_divide_returns_ok_and_structured_err() {
    let env = calc();
    let call = |input: Value| {
        env.yoi(&[
            "tool",
            "call",
            "divide",
            "--input",
            &input.to_string(),
            "--json",
        ])
        .json()
    };
    let v = call(json!({"division": {"dividend": 7, "divisor": 2, "rounding": "up"}}));
    assert_eq!(
        v["content"][0]["json"],
        json!({"value": 4, "remainder": -1}),
        "{v}"
    );
    // The optional field left out, or null.
    let v = call(json!({"division": {"dividend": 7, "divisor": 2}}));
    assert_eq!(
        v["content"][0]["json"],
        json!({"value": 3, "remainder": 1}),
        "{v}"
    );
    let v = call(json!({"division": {"dividend": -7, "divisor": 2, "rounding": null}}));
    assert_eq!(
        v["content"][0]["json"],
        json!({"value": -3, "remainder": -1}),
        "{v}"
    );
    let v = call(json!({"division": {"dividend": 1, "divisor": 0}}));
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"]["kind"], "failed");
    assert_eq!(
        v["error"]["detail"],
        json!({"tag": "division-by-zero"}),
        "{v}"
    );
    let v = call(json!({"division": {"dividend": -2147483648_i64, "divisor": -1}}));
    assert_eq!(
        v["error"]["detail"],
        json!({"tag": "overflow", "value": "-2147483648 / -1"}),
        "{v}"
    );
    let v = call(json!({"division": {"dividend": 1, "divisor": 1, "rounding": "sideways"}}));
    assert_eq!(v["error"]["kind"], "invalid-input", "{v}");
}

const TAPE: &str = r#"
package test:tape;

interface ops {
    resource tape { push: func(v: s32); }
    rewind: func(t: borrow<tape>);
    len: func() -> u32;
}

world root { export ops; }
"#;

fn typed_dir(env: &Env, wit: &str, tools: &str) -> std::path::PathBuf {
    let dir = env.path("src-typed");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("c.wasm"),
        yoi_test_support::component_from_wit(wit, false),
    )
    .unwrap();
    std::fs::write(
        dir.join("plugin.toml"),
        format!(
            "schema_version = 1\nid = \"tape\"\nname = \"Tape\"\nversion = \"0.1.0\"\ndescription = \"\"\n\n[runtime]\nkind = \"wasm-component\"\ncomponent = \"c.wasm\"\nworld = \"typed\"\n\n{tools}\n[permissions]\nsurfaces = [\"tool\"]\n"
        ),
    )
    .unwrap();
    dir
}

/// The attacker is a package author whose manifest offers a function that
/// takes a resource handle: it cannot cross JSON, so `check` refuses it.
#[test]
fn a_resource_taking_function_is_refused_at_check() {
    let env = Env::new();
    let dir = typed_dir(
        &env,
        TAPE,
        "[[tools]]\nname = \"rewind\"\nexport = \"test:tape/ops#rewind\"\ndescription = \"Rewind.\"\n",
    );
    let r = env.yoi(&["plugin", "check", dir.to_str().unwrap(), "--json"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(
        r.json()["errors"][0],
        "plugin `tape`: tool `rewind`: function `test:tape/ops#rewind` is not offered as a tool: parameter `t`: resources and handles cannot be passed as JSON"
    );
    let r = env.yoi(&["plugin", "pack", dir.to_str().unwrap()]);
    assert_ne!(r.code, 0, "pack must refuse it too");
}

/// `--from-component` wraps typed-calc's own component: every export is a
/// tool with its schemas derived, and the result checks and calls.
#[test]
fn plugin_new_from_component_lists_every_export() {
    let env = Env::new();
    let package = yoi_package::Package::from_archive_file(&fixture("typed-calc")).unwrap();
    let wasm = env.path("calc.wasm");
    std::fs::write(&wasm, package.artifact()).unwrap();
    let dir = env.path("wrapped");
    let r = env.yoi(&[
        "plugin",
        "new",
        "wrapped",
        "--from-component",
        wasm.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["tools"], json!(["add", "divide"]));
    let manifest = std::fs::read_to_string(dir.join("plugin.toml")).unwrap();
    assert!(
        manifest.contains("export = \"example:calc/ops@0.1.0#divide\""),
        "{manifest}"
    );
    let schema: Value =
        serde_json::from_slice(&std::fs::read(dir.join("schemas/add.input.json")).unwrap())
            .unwrap();
    assert_eq!(schema["properties"]["a"]["maximum"], 2147483647);
    let r = env.yoi(&["plugin", "check", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let archive = env.path("wrapped.yoi-plugin");
    let r = env.yoi(&[
        "plugin",
        "pack",
        dir.to_str().unwrap(),
        "-o",
        archive.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.yoi(&["plugin", "install", archive.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.yoi(&["plugin", "enable", "project:wrapped", "--tools", "*"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.yoi(&["tool", "call", "add", "--input", r#"{"a": 40, "b": 2}"#]);
    assert_eq!(r.stdout, "42\n", "{}", r.stderr);
}

/// A resource-taking export is left out with the reason, the others kept.
#[test]
fn plugin_new_from_component_skips_a_resource_taking_function() {
    let env = Env::new();
    let wasm = env.path("tape.wasm");
    std::fs::write(&wasm, yoi_test_support::component_from_wit(TAPE, false)).unwrap();
    let dir = env.path("tape");
    let r = env.yoi(&[
        "plugin",
        "new",
        "tape",
        "--from-component",
        wasm.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "warning: `test:tape/ops#rewind` is not a tool: parameter `t`: resources and handles cannot be passed as JSON"
        ),
        "{}",
        r.stderr
    );
    let manifest = std::fs::read_to_string(dir.join("plugin.toml")).unwrap();
    assert!(manifest.contains("name = \"len\""), "{manifest}");
    assert!(
        manifest.contains("# not a tool: `test:tape/ops#rewind`"),
        "{manifest}"
    );
}
