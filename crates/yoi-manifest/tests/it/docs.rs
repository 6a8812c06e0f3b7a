//! `docs/manifest.md` is checked against the parser, so it cannot drift:
//! every `toml` block in it is a manifest the parser accepts, and its field
//! tables list exactly the fields of the JSON Schema derived from the parse
//! types (`yoi_manifest::json_schema`).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use yoi_manifest::Manifest;

fn doc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/manifest.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fenced blocks with info string `lang`, with the line each starts on.
fn blocks(text: &str, lang: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim_start().starts_with("```") => {
                if line.trim_start().trim_start_matches('`').trim() == lang {
                    current = Some((i + 1, String::new()));
                } else {
                    current = Some((0, String::new()));
                }
            }
            None => {}
            Some(_) if line.trim_start().starts_with("```") => {
                let (start, body) = current.take().unwrap();
                if start != 0 {
                    out.push((start, body));
                }
            }
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    assert!(current.is_none(), "an unclosed code block");
    out
}

/// Every field of the schema as the doc names it: `runtime.kind`,
/// `tools[].name`, ...; subschemas of user JSON Schemas are not descended.
fn schema_fields() -> BTreeSet<String> {
    fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.trim_start_matches("#/$defs/");
                &root["$defs"][name]
            }
            None => schema,
        }
    }
    fn walk(root: &Value, schema: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        let schema = resolve(root, schema);
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, sub) in props {
            let path = format!("{prefix}{name}");
            out.insert(path.clone());
            let sub = resolve(root, sub);
            if sub.get("type") == Some(&Value::from("array")) {
                walk(root, &sub["items"], &format!("{path}[]."), out);
            } else {
                walk(root, sub, &format!("{path}."), out);
            }
        }
    }
    let root = yoi_manifest::json_schema();
    let mut out = BTreeSet::new();
    walk(&root, &root, "", &mut out);
    out
}

/// The first cell of every field-table row: `` | `tools[].name` | ... ``.
fn documented_fields(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once("` |"))
        .map(|(field, _)| field.to_owned())
        .collect()
}

#[test]
fn every_toml_example_in_the_manifest_doc_parses() {
    let text = doc();
    let examples = blocks(&text, "toml");
    assert!(
        examples.len() >= 4,
        "expected the tool, instance, host API and legacy examples"
    );
    let mut kinds = BTreeSet::new();
    for (line, body) in examples {
        let manifest = Manifest::from_toml_str(&body)
            .unwrap_or_else(|e| panic!("docs/manifest.md:{line}: {e}"));
        kinds.insert(if manifest.runtime.is_component() {
            "component"
        } else {
            "legacy"
        });
    }
    assert_eq!(kinds, BTreeSet::from(["component", "legacy"]));
}

#[test]
fn the_manifest_doc_lists_exactly_the_parsers_fields() {
    let fields = schema_fields();
    assert!(fields.contains("tools[].input_schema"), "{fields:?}");
    assert!(fields.contains("permissions.host_apis"), "{fields:?}");
    let documented = documented_fields(&doc());
    let missing: Vec<_> = fields.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&fields).collect();
    assert!(
        missing.is_empty(),
        "docs/manifest.md has no table row for {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "docs/manifest.md documents fields the parser does not read: {unknown:?}"
    );
}

#[test]
fn the_doc_parser_finds_blocks_and_rows() {
    let text = "x\n```toml\na = 1\n```\n```sh\nls\n```\n| `a.b` | t |\n| field | t |\n";
    assert_eq!(blocks(text, "toml"), vec![(2, "a = 1\n".to_owned())]);
    assert_eq!(documented_fields(text), BTreeSet::from(["a.b".to_owned()]));
}
