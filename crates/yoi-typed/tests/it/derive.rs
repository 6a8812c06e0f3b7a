//! One function per WIT type; each one's derived schemas are a snapshot.

use serde_json::json;
use wit_parser::Resolve;

const TYPES: &str = r#"
package test:types;

interface all {
    /// A point on the plane.
    record point {
        /// Across.
        x: s32,
        /// Down; zero when left out.
        y: option<s32>,
    }
    enum color { red, green }
    flags access { read, write }
    /// A shape.
    variant shape {
        /// No size.
        dot,
        /// A radius.
        circle(f64),
    }
    type alias = u16;
    resource counter { get: func() -> u32; }

    u8-arg: func(v: u8) -> u8;
    u16-arg: func(v: u16) -> u16;
    u32-arg: func(v: u32) -> u32;
    u64-arg: func(v: u64) -> u64;
    s8-arg: func(v: s8) -> s8;
    s16-arg: func(v: s16) -> s16;
    s32-arg: func(v: s32) -> s32;
    s64-arg: func(v: s64) -> s64;
    f32-arg: func(v: f32) -> f32;
    f64-arg: func(v: f64) -> f64;
    bool-arg: func(v: bool) -> bool;
    char-arg: func(v: char) -> char;
    string-arg: func(v: string) -> string;
    record-arg: func(p: point) -> point;
    tuple-arg: func(v: tuple<u8, string>) -> tuple<u8, string>;
    bytes-arg: func(v: list<u8>) -> list<u8>;
    list-arg: func(v: list<string>) -> list<string>;
    enum-arg: func(v: color) -> color;
    flags-arg: func(v: access) -> access;
    variant-arg: func(v: shape) -> shape;
    option-param: func(v: option<string>) -> option<string>;
    nested-result: func(v: result<u8, string>) -> list<result<_, color>>;
    result-return: func(v: alias) -> result<point, shape>;
    result-no-payload: func() -> result;
    no-result: func();
    resource-arg: func(c: borrow<counter>) -> u32;
    resource-return: func() -> counter;
    option-option: func(v: option<option<u8>>);
}

world types { export all; }
"#;

#[test]
fn every_wit_type_has_its_golden_schema() {
    let mut resolve = Resolve::default();
    let package = resolve.push_str("types.wit", TYPES).unwrap();
    let interface = resolve.packages[package].interfaces["all"];
    for func in resolve.interfaces[interface].functions.values() {
        let derived = match yoi_typed::derive_function(&resolve, func) {
            Ok(s) => json!({
                "input_schema": s.input_schema,
                "output_schema": s.output_schema,
                "error_schema": s.error_schema,
            }),
            Err(reason) => json!({ "not_a_tool": reason }),
        };
        insta::assert_json_snapshot!(format!("derive@{}", func.name), derived);
    }
}

#[test]
fn the_derivation_is_deterministic() {
    let derive = || {
        let mut resolve = Resolve::default();
        let package = resolve.push_str("types.wit", TYPES).unwrap();
        let interface = resolve.packages[package].interfaces["all"];
        resolve.interfaces[interface]
            .functions
            .values()
            .map(|f| format!("{:?}", yoi_typed::derive_function(&resolve, f)))
            .collect::<Vec<_>>()
    };
    assert_eq!(derive(), derive());
}

/// A type reused at every level would give an exponential schema: refused.
#[test]
fn a_schema_that_would_explode_is_refused() {
    let mut wit = String::from("package test:big;\ninterface big {\n    type t0 = u8;\n");
    for i in 1..=16 {
        let p = i - 1;
        wit.push_str(&format!("    type t{i} = tuple<t{p}, t{p}, t{p}>;\n"));
    }
    wit.push_str("    f: func(v: t16);\n}\nworld w { export big; }\n");
    let mut resolve = Resolve::default();
    let package = resolve.push_str("big.wit", &wit).unwrap();
    let interface = resolve.packages[package].interfaces["big"];
    let func = &resolve.interfaces[interface].functions["f"];
    let err = yoi_typed::derive_function(&resolve, func).unwrap_err();
    assert_eq!(
        err,
        format!(
            "parameter `v`: the schema would have more than {} nodes",
            yoi_typed::MAX_SCHEMA_NODES
        )
    );
}
