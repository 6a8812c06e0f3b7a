//! JSON Schemas from WIT signatures: one rule per WIT type, deterministic.
//!
//! | WIT | JSON Schema |
//! |---|---|
//! | `u8`..`u32`, `s8`..`s32` | `integer` with the type's `minimum`/`maximum` |
//! | `u64`, `s64` | `integer`, bounded to the type and to ±(2^53-1), the integers JSON numbers carry exactly; larger values are refused |
//! | `f32`, `f64` | `number` (finite) |
//! | `bool`, `string` | `boolean`, `string` |
//! | `char` | a one-character `string` |
//! | `record` | `object`, `additionalProperties: false`; `option<T>` fields optional and nullable, the others required |
//! | `tuple<..>` | `array` with `prefixItems`, `items: false`, exact `minItems`/`maxItems` |
//! | `list<u8>` | base64 `string` (`contentEncoding: base64`) |
//! | `list<T>` | `array` of `T` |
//! | `enum` | `string` with `enum` |
//! | `flags` | `array` of unique `enum` strings |
//! | `variant` | `oneOf` tagged objects `{"tag": "case"}` / `{"tag": "case", "value": T}` |
//! | `result<T, E>` (inside a value) | the variant with cases `ok` and `err` |
//! | `list<T, N>`, `map<K, V>` | not offered yet |
//! | `option<T>` (not a field or parameter) | `anyOf: [T, null]`; `option<option<T>>` is refused (both `none`s would be `null`) |
//!
//! Function parameters are the properties of the input object, like record
//! fields. A function's `result<T, E>` is unwrapped: `T` is the output, `E`
//! the error. Resources, handles, futures, streams, maps, error contexts and
//! async functions cannot cross JSON: their function is not a tool, with the
//! reason. Doc comments become `description`s.

use serde_json::{Map, Value, json};
use wit_parser::{Docs, Function, FunctionKind, Resolve, Type, TypeDefKind};

/// Most nodes one derived schema may have: a WIT type reused at every level
/// of a deep type would otherwise give an exponentially large schema.
pub const MAX_SCHEMA_NODES: usize = 4096;
/// Integers JSON numbers carry exactly: ±(2^53 - 1).
const MAX_SAFE: i64 = (1 << 53) - 1;

/// The schemas of one exported function.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// The input: an object with one property per parameter.
    pub input_schema: Value,
    /// The JSON a successful call returns (`null` for a function without a result).
    pub output_schema: Value,
    /// With a `result<T, E>` return, the schema of `E` an error carries
    /// (`null` when `E` is absent); `None` for any other return.
    pub error_schema: Option<Value>,
}

/// Derive the schemas of `func`, or say why it cannot be a tool.
pub fn derive_function(resolve: &Resolve, func: &Function) -> Result<Signature, String> {
    match func.kind {
        FunctionKind::Freestanding => {}
        FunctionKind::AsyncFreestanding => {
            return Err("async functions are not offered as tools".into());
        }
        FunctionKind::Method(_)
        | FunctionKind::AsyncMethod(_)
        | FunctionKind::Static(_)
        | FunctionKind::AsyncStatic(_)
        | FunctionKind::Constructor(_) => {
            return Err(
                "it belongs to a resource; resources and handles cannot be passed as JSON".into(),
            );
        }
    }
    let mut d = Derive { resolve, nodes: 0 };
    let mut properties = Map::new();
    let mut required = Vec::new();
    for param in &func.params {
        let (schema, optional) = d
            .field(&param.ty, &Docs::default())
            .map_err(|e| format!("parameter `{}`: {e}", param.name))?;
        if !optional {
            required.push(Value::from(param.name.clone()));
        }
        properties.insert(param.name.clone(), schema);
    }
    let input_schema = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    let (output_schema, error_schema) = match &func.result {
        None => (json!({ "type": "null" }), None),
        Some(ty) => match d.result_of(ty) {
            Some((ok, err)) => {
                let ok = d
                    .opt(ok.as_ref())
                    .map_err(|e| format!("the result's `ok`: {e}"))?;
                let err = d
                    .opt(err.as_ref())
                    .map_err(|e| format!("the result's `err`: {e}"))?;
                (ok, Some(err))
            }
            None => (d.ty(ty).map_err(|e| format!("the result: {e}"))?, None),
        },
    };
    Ok(Signature {
        input_schema,
        output_schema,
        error_schema,
    })
}

struct Derive<'a> {
    resolve: &'a Resolve,
    nodes: usize,
}

impl<'a> Derive<'a> {
    fn count(&mut self) -> Result<(), String> {
        self.nodes += 1;
        if self.nodes > MAX_SCHEMA_NODES {
            Err(format!(
                "the schema would have more than {MAX_SCHEMA_NODES} nodes"
            ))
        } else {
            Ok(())
        }
    }

    /// `ty` after following type aliases.
    fn kind(&self, ty: &Type) -> Option<(&'a TypeDefKind, &'a Docs)> {
        let resolve = self.resolve;
        let mut ty = *ty;
        loop {
            let Type::Id(id) = ty else { return None };
            let def = &resolve.types[id];
            match &def.kind {
                TypeDefKind::Type(inner) => ty = *inner,
                kind => return Some((kind, &def.docs)),
            }
        }
    }

    fn result_of(&self, ty: &Type) -> Option<(Option<Type>, Option<Type>)> {
        match self.kind(ty) {
            Some((TypeDefKind::Result(r), _)) => Some((r.ok, r.err)),
            _ => None,
        }
    }

    fn opt(&mut self, ty: Option<&Type>) -> Result<Value, String> {
        match ty {
            Some(ty) => self.ty(ty),
            None => {
                self.count()?;
                Ok(json!({ "type": "null" }))
            }
        }
    }

    /// A record field or parameter: `option<T>` is optional and nullable.
    fn field(&mut self, ty: &Type, docs: &Docs) -> Result<(Value, bool), String> {
        let (mut schema, optional) = match self.kind(ty) {
            Some((TypeDefKind::Option(inner), _)) => (self.nullable(inner)?, true),
            _ => (self.ty(ty)?, false),
        };
        describe(&mut schema, docs);
        Ok((schema, optional))
    }

    fn nullable(&mut self, inner: &Type) -> Result<Value, String> {
        if let Some((TypeDefKind::Option(_), _)) = self.kind(inner) {
            return Err(
                "`option<option<T>>` is ambiguous in JSON (both `none`s are `null`)".into(),
            );
        }
        self.count()?;
        Ok(json!({ "anyOf": [self.ty(inner)?, { "type": "null" }] }))
    }

    fn ty(&mut self, ty: &Type) -> Result<Value, String> {
        self.count()?;
        let int = |min: i64, max: i64| json!({ "type": "integer", "minimum": min, "maximum": max });
        Ok(match ty {
            Type::Bool => json!({ "type": "boolean" }),
            Type::U8 => int(0, u8::MAX.into()),
            Type::U16 => int(0, u16::MAX.into()),
            Type::U32 => int(0, u32::MAX.into()),
            Type::U64 => int(0, MAX_SAFE),
            Type::S8 => int(i8::MIN.into(), i8::MAX.into()),
            Type::S16 => int(i16::MIN.into(), i16::MAX.into()),
            Type::S32 => int(i32::MIN.into(), i32::MAX.into()),
            Type::S64 => int(-MAX_SAFE, MAX_SAFE),
            Type::F32 | Type::F64 => json!({ "type": "number" }),
            Type::Char => json!({ "type": "string", "minLength": 1, "maxLength": 1 }),
            Type::String => json!({ "type": "string" }),
            Type::ErrorContext => return Err("`error-context` cannot be passed as JSON".into()),
            Type::Id(_) => {
                let Some((kind, docs)) = self.kind(ty) else {
                    return self.ty(&alias_target(self.resolve, ty));
                };
                let mut schema = self.def(kind)?;
                describe(&mut schema, docs);
                schema
            }
        })
    }

    fn def(&mut self, kind: &'a TypeDefKind) -> Result<Value, String> {
        Ok(match kind {
            TypeDefKind::Record(r) => {
                let mut properties = Map::new();
                let mut required = Vec::new();
                for f in &r.fields {
                    let (schema, optional) = self
                        .field(&f.ty, &f.docs)
                        .map_err(|e| format!("field `{}`: {e}", f.name))?;
                    if !optional {
                        required.push(Value::from(f.name.clone()));
                    }
                    properties.insert(f.name.clone(), schema);
                }
                json!({
                    "type": "object",
                    "properties": properties,
                    "required": required,
                    "additionalProperties": false,
                })
            }
            TypeDefKind::Tuple(t) => {
                let items = t
                    .types
                    .iter()
                    .map(|ty| self.ty(ty))
                    .collect::<Result<Vec<_>, _>>()?;
                let n = items.len();
                json!({
                    "type": "array",
                    "prefixItems": items,
                    "items": false,
                    "minItems": n,
                    "maxItems": n,
                })
            }
            TypeDefKind::List(Type::U8) => {
                json!({ "type": "string", "contentEncoding": "base64" })
            }
            TypeDefKind::List(inner) => json!({ "type": "array", "items": self.ty(inner)? }),
            TypeDefKind::FixedLengthList(..) => {
                return Err("fixed-length lists are not offered as tools yet".into());
            }
            TypeDefKind::Enum(e) => json!({
                "type": "string",
                "enum": e.cases.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
            }),
            TypeDefKind::Flags(f) => json!({
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": f.flags.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
                },
                "uniqueItems": true,
            }),
            TypeDefKind::Variant(v) => {
                let cases = v
                    .cases
                    .iter()
                    .map(|c| {
                        let mut case = self.case(&c.name, c.ty.as_ref())?;
                        describe(&mut case, &c.docs);
                        Ok(case)
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                json!({ "oneOf": cases })
            }
            TypeDefKind::Result(r) => json!({
                "oneOf": [self.case("ok", r.ok.as_ref())?, self.case("err", r.err.as_ref())?],
            }),
            TypeDefKind::Option(inner) => self.nullable(inner)?,
            TypeDefKind::Resource | TypeDefKind::Handle(_) => {
                return Err("resources and handles cannot be passed as JSON".into());
            }
            TypeDefKind::Future(_) | TypeDefKind::Stream(_) => {
                return Err("futures and streams cannot be passed as JSON".into());
            }
            TypeDefKind::Map(..) => return Err("`map` types are not offered as tools yet".into()),
            TypeDefKind::Type(inner) => self.ty(inner)?,
            TypeDefKind::Unknown => return Err("the type is unknown".into()),
        })
    }

    /// One case of a variant (or result): `{"tag": name}` plus `value` when it carries one.
    fn case(&mut self, name: &str, ty: Option<&Type>) -> Result<Value, String> {
        self.count()?;
        let mut properties = Map::new();
        properties.insert("tag".into(), json!({ "const": name }));
        let mut required = vec![Value::from("tag")];
        if let Some(ty) = ty {
            properties.insert(
                "value".into(),
                self.ty(ty).map_err(|e| format!("case `{name}`: {e}"))?,
            );
            required.push("value".into());
        }
        Ok(json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        }))
    }
}

/// A `Type::Id` whose definition is an alias chain ends in a primitive.
fn alias_target(resolve: &Resolve, ty: &Type) -> Type {
    let mut ty = *ty;
    while let Type::Id(id) = ty {
        match &resolve.types[id].kind {
            TypeDefKind::Type(inner) => ty = *inner,
            _ => break,
        }
    }
    ty
}

fn describe(schema: &mut Value, docs: &Docs) {
    if let (Some(text), Value::Object(map)) = (&docs.contents, schema)
        && !text.trim().is_empty()
    {
        map.insert(
            "description".into(),
            Value::from(yoi_manifest::bounded(text.trim(), 4096)),
        );
    }
}
