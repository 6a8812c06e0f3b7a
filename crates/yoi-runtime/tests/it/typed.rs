//! Typed components in the sandbox. The component is built from WIT with
//! every function body `unreachable`: a call that reaches the guest traps,
//! so an `invalid-input` answer proves the conversion refused the input
//! before the guest ran. The attacker is a client sending JSON that the
//! session's schema would let through if the manifest declared a looser one.

use yoi_runtime::CallErrorKind;

use crate::support::{Sandbox, expect_error, package_from_parts};

const WIT: &str = r#"
package test:strict;

world root {
    record opts { n: u8, tag: option<char> }
    enum mode { fast, slow }
    export small: func(v: u8, o: option<opts>) -> u8;
    export shape: func(m: mode, pair: tuple<s64, bool>, bytes: list<u8>) -> u8;
}
"#;

fn manifest() -> String {
    // `LoadedPlugin::call` is below the session's schema check: only the WIT
    // conversion stands guard here.
    let small = "input_schema = { type = \"object\", required = [\"v\"] }";
    let shape = "input_schema = { type = \"object\", required = [\"m\", \"pair\", \"bytes\"] }";
    format!(
        "schema_version = 1\nid = \"strict\"\nname = \"Strict\"\nversion = \"0.1.0\"\ndescription = \"\"\n\n[runtime]\nkind = \"wasm-component\"\ncomponent = \"c.wasm\"\nworld = \"typed\"\n\n[[tools]]\nname = \"small\"\ndescription = \"S\"\n{small}\n\n[[tools]]\nname = \"shape\"\ndescription = \"S\"\n{shape}\n\n[permissions]\nsurfaces = [\"tool\"]\ntools = [\"small\", \"shape\"]\n"
    )
}

#[tokio::test]
async fn json_that_does_not_fit_the_wit_type_is_refused_before_the_guest_runs() {
    let bytes = yoi_test_support::component_from_wit(WIT, false);
    let package = package_from_parts(&manifest(), "c.wasm", &bytes).unwrap();
    let sandbox = Sandbox::new();
    let plugin = sandbox.load("strict", &package);
    for (tool, input, needle) in [
        (
            "small",
            r#"{"v": 256}"#,
            "`v` must be an integer in 0..=255 (u8)",
        ),
        (
            "small",
            r#"{"v": -1}"#,
            "`v` must be an integer in 0..=255 (u8)",
        ),
        (
            "small",
            r#"{"v": 1.0}"#,
            "`v` must be an integer in 0..=255 (u8)",
        ),
        ("small", r#"{}"#, "`v` is required"),
        (
            "small",
            r#"{"v": 1, "w": 2}"#,
            "the input has an unknown property `w`",
        ),
        (
            "small",
            r#"{"v": 1, "o": {"n": 1, "x": 0}}"#,
            "`o` has an unknown property `x`",
        ),
        (
            "small",
            r#"{"v": 1, "o": {"n": 1, "tag": "ab"}}"#,
            "`o.tag` must be a one-character string",
        ),
        ("small", r#"[1]"#, "the input must be a JSON object"),
        (
            "shape",
            r#"{"m": "medium", "pair": [1, true], "bytes": ""}"#,
            "`m` must be one of `fast`, `slow`",
        ),
        (
            "shape",
            r#"{"m": "fast", "pair": [1], "bytes": ""}"#,
            "`pair` must be an array of 2 items",
        ),
        (
            "shape",
            r#"{"m": "fast", "pair": [9007199254740992, true], "bytes": ""}"#,
            "`pair[0]` must be an integer in -9007199254740991..=9007199254740991 (s64)",
        ),
        (
            "shape",
            r#"{"m": "fast", "pair": [1, true], "bytes": "not base64!"}"#,
            "`bytes` must be a base64 string",
        ),
    ] {
        expect_error(&plugin, tool, input, CallErrorKind::InvalidInput, needle).await;
    }
    // Input that fits reaches the guest, which traps: the control.
    expect_error(
        &plugin,
        "small",
        r#"{"v": 255, "o": null}"#,
        CallErrorKind::Trap,
        "",
    )
    .await;
    expect_error(
        &plugin,
        "shape",
        r#"{"m": "slow", "pair": [-9007199254740991, false], "bytes": "AAEC"}"#,
        CallErrorKind::Trap,
        "",
    )
    .await;
}
