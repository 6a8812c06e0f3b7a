//! JSON <-> component values, by the component's own types. The shapes are
//! those `yoi-typed` derives schemas for; every mismatch is an error naming
//! the path (`division.rounding`), never a panic.

use base64::Engine as _;
use serde_json::{Map, Value};
use wasmtime::component::{Type, Val};

/// Integers JSON numbers carry exactly: ±(2^53 - 1).
const MAX_SAFE: i64 = (1 << 53) - 1;

/// The arguments for `params` from the JSON object `input`.
pub(crate) fn arguments(input: &str, params: &[(String, Type)]) -> Result<Vec<Val>, String> {
    let value: Value = serde_json::from_str(input).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(mut object) = value else {
        return Err("the input must be a JSON object".into());
    };
    let args = params
        .iter()
        .map(|(name, ty)| member(&mut object, name, ty, name))
        .collect::<Result<Vec<_>, _>>()?;
    no_others(&object, "the input")?;
    Ok(args)
}

/// A record field or parameter: absent only when it is an `option`.
fn member(
    object: &mut Map<String, Value>,
    name: &str,
    ty: &Type,
    path: &str,
) -> Result<Val, String> {
    match (object.remove(name), ty) {
        (Some(v), _) => val(&v, ty, path),
        (None, Type::Option(_)) => Ok(Val::Option(None)),
        (None, _) => Err(format!("`{path}` is required")),
    }
}

fn no_others(object: &Map<String, Value>, what: &str) -> Result<(), String> {
    match object.keys().next() {
        Some(k) => Err(format!(
            "{what} has an unknown property `{}`",
            yoi_manifest::bounded(k, 80)
        )),
        None => Ok(()),
    }
}

fn int<T: TryFrom<i64>>(
    v: &Value,
    path: &str,
    name: &str,
    min: i64,
    max: i64,
) -> Result<T, String> {
    let out_of_range = || format!("`{path}` must be an integer in {min}..={max} ({name})");
    let n = v.as_i64().ok_or_else(out_of_range)?;
    if !(min..=max).contains(&n) {
        return Err(out_of_range());
    }
    T::try_from(n).map_err(|_| out_of_range())
}

fn val(v: &Value, ty: &Type, path: &str) -> Result<Val, String> {
    let want = |what: &str| format!("`{path}` must be {what}");
    Ok(match ty {
        Type::Bool => Val::Bool(v.as_bool().ok_or_else(|| want("a boolean"))?),
        Type::U8 => Val::U8(int(v, path, "u8", 0, u8::MAX.into())?),
        Type::U16 => Val::U16(int(v, path, "u16", 0, u16::MAX.into())?),
        Type::U32 => Val::U32(int(v, path, "u32", 0, u32::MAX.into())?),
        Type::U64 => Val::U64(int(v, path, "u64", 0, MAX_SAFE)?),
        Type::S8 => Val::S8(int(v, path, "s8", i8::MIN.into(), i8::MAX.into())?),
        Type::S16 => Val::S16(int(v, path, "s16", i16::MIN.into(), i16::MAX.into())?),
        Type::S32 => Val::S32(int(v, path, "s32", i32::MIN.into(), i32::MAX.into())?),
        Type::S64 => Val::S64(int(v, path, "s64", -MAX_SAFE, MAX_SAFE)?),
        Type::Float32 => {
            let f = v.as_f64().ok_or_else(|| want("a number"))?;
            if f.abs() > f64::from(f32::MAX) {
                return Err(want("a number in the range of f32"));
            }
            Val::Float32(f as f32)
        }
        Type::Float64 => Val::Float64(v.as_f64().ok_or_else(|| want("a number"))?),
        Type::Char => {
            let s = v.as_str().ok_or_else(|| want("a one-character string"))?;
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Val::Char(c),
                _ => return Err(want("a one-character string")),
            }
        }
        Type::String => Val::String(v.as_str().ok_or_else(|| want("a string"))?.to_owned()),
        Type::List(list) => match list.ty() {
            Type::U8 => {
                let s = v.as_str().ok_or_else(|| want("a base64 string"))?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| want("a base64 string"))?;
                Val::List(bytes.into_iter().map(Val::U8).collect())
            }
            elem => {
                let items = v.as_array().ok_or_else(|| want("an array"))?;
                Val::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| val(item, &elem, &format!("{path}[{i}]")))
                        .collect::<Result<_, _>>()?,
                )
            }
        },
        Type::Record(record) => {
            let mut object = v.as_object().ok_or_else(|| want("an object"))?.clone();
            let fields = record
                .fields()
                .map(|f| {
                    let value = member(&mut object, f.name, &f.ty, &format!("{path}.{}", f.name))?;
                    Ok((f.name.to_owned(), value))
                })
                .collect::<Result<Vec<_>, String>>()?;
            no_others(&object, &format!("`{path}`"))?;
            Val::Record(fields)
        }
        Type::Tuple(tuple) => {
            let items = v.as_array().ok_or_else(|| want("an array"))?;
            if items.len() != tuple.types().len() {
                return Err(want(&format!("an array of {} items", tuple.types().len())));
            }
            Val::Tuple(
                items
                    .iter()
                    .zip(tuple.types())
                    .enumerate()
                    .map(|(i, (item, ty))| val(item, &ty, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            )
        }
        Type::Variant(variant) => {
            let cases: Vec<(String, Option<Type>)> =
                variant.cases().map(|c| (c.name.to_owned(), c.ty)).collect();
            let (name, payload) = tagged(v, path, &cases)?;
            Val::Variant(name, payload)
        }
        Type::Result(result) => {
            let cases = [
                ("ok".to_owned(), result.ok()),
                ("err".to_owned(), result.err()),
            ];
            let (name, payload) = tagged(v, path, &cases)?;
            Val::Result(if name == "ok" {
                Ok(payload)
            } else {
                Err(payload)
            })
        }
        Type::Enum(e) => {
            let s = v.as_str().ok_or_else(|| want("a string"))?;
            if !e.names().any(|n| n == s) {
                return Err(want(&format!(
                    "one of `{}`",
                    e.names().collect::<Vec<_>>().join("`, `")
                )));
            }
            Val::Enum(s.to_owned())
        }
        Type::Option(option) => match v {
            Value::Null => Val::Option(None),
            v => Val::Option(Some(Box::new(val(v, &option.ty(), path)?))),
        },
        Type::Flags(flags) => {
            let items = v.as_array().ok_or_else(|| want("an array of flag names"))?;
            let mut names = Vec::new();
            for item in items {
                let s = item
                    .as_str()
                    .ok_or_else(|| want("an array of flag names"))?;
                if !flags.names().any(|n| n == s) {
                    return Err(format!(
                        "`{path}`: unknown flag `{}`",
                        yoi_manifest::bounded(s, 80)
                    ));
                }
                if names.iter().any(|n| n == s) {
                    return Err(format!("`{path}`: flag `{s}` is given twice"));
                }
                names.push(s.to_owned());
            }
            Val::Flags(names)
        }
        Type::Map(_)
        | Type::Own(_)
        | Type::Borrow(_)
        | Type::Future(_)
        | Type::Stream(_)
        | Type::ErrorContext
        | Type::FixedLengthList(_) => {
            return Err(format!("`{path}` has a type that cannot be passed as JSON"));
        }
    })
}

/// `{"tag": case}` or `{"tag": case, "value": payload}`, exactly.
fn tagged(
    v: &Value,
    path: &str,
    cases: &[(String, Option<Type>)],
) -> Result<(String, Option<Box<Val>>), String> {
    let mut object = v
        .as_object()
        .ok_or_else(|| format!("`{path}` must be an object `{{\"tag\": ...}}`"))?
        .clone();
    let tag = object
        .remove("tag")
        .and_then(|t| t.as_str().map(str::to_owned))
        .ok_or_else(|| format!("`{path}` must have a string `tag`"))?;
    let Some((name, ty)) = cases.iter().find(|(n, _)| *n == tag) else {
        let names: Vec<&str> = cases.iter().map(|(n, _)| n.as_str()).collect();
        return Err(format!(
            "`{path}.tag` must be one of `{}`",
            names.join("`, `")
        ));
    };
    let payload = match (ty, object.remove("value")) {
        (Some(ty), Some(value)) => Some(Box::new(val(&value, ty, &format!("{path}.value"))?)),
        (Some(_), None) => return Err(format!("`{path}` (`{tag}`) must have a `value`")),
        (None, Some(_)) => return Err(format!("`{path}` (`{tag}`) carries no `value`")),
        (None, None) => None,
    };
    no_others(&object, &format!("`{path}`"))?;
    Ok((name.clone(), payload))
}

/// The JSON of an optional payload (`null` when the type has none).
pub(crate) fn optional_json(v: Option<&Val>, ty: Option<&Type>) -> Result<Value, String> {
    match (v, ty) {
        (Some(v), Some(ty)) => json(v, ty),
        _ => Ok(Value::Null),
    }
}

/// The JSON of a value the guest returned, by its type.
pub(crate) fn json(v: &Val, ty: &Type) -> Result<Value, String> {
    let safe = |n: i128| {
        if (-i128::from(MAX_SAFE)..=i128::from(MAX_SAFE)).contains(&n) {
            Ok(Value::from(n as i64))
        } else {
            Err(format!("{n} is beyond ±(2^53-1)"))
        }
    };
    Ok(match (v, ty) {
        (Val::Bool(b), _) => Value::Bool(*b),
        (Val::U8(n), _) => Value::from(*n),
        (Val::U16(n), _) => Value::from(*n),
        (Val::U32(n), _) => Value::from(*n),
        (Val::U64(n), _) => safe(i128::from(*n))?,
        (Val::S8(n), _) => Value::from(*n),
        (Val::S16(n), _) => Value::from(*n),
        (Val::S32(n), _) => Value::from(*n),
        (Val::S64(n), _) => safe(i128::from(*n))?,
        (Val::Float32(f), _) => finite(f64::from(*f))?,
        (Val::Float64(f), _) => finite(*f)?,
        (Val::Char(c), _) => Value::from(c.to_string()),
        (Val::String(s), _) => Value::from(s.clone()),
        (Val::List(items), Type::List(list)) => match list.ty() {
            Type::U8 => {
                let bytes: Vec<u8> = items
                    .iter()
                    .map(|i| match i {
                        Val::U8(b) => *b,
                        _ => 0,
                    })
                    .collect();
                Value::from(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            elem => Value::Array(
                items
                    .iter()
                    .map(|i| json(i, &elem))
                    .collect::<Result<_, _>>()?,
            ),
        },
        (Val::Record(fields), Type::Record(record)) => {
            let mut out = Map::new();
            for ((name, value), field) in fields.iter().zip(record.fields()) {
                out.insert(name.clone(), json(value, &field.ty)?);
            }
            Value::Object(out)
        }
        (Val::Tuple(items), Type::Tuple(tuple)) => Value::Array(
            items
                .iter()
                .zip(tuple.types())
                .map(|(i, t)| json(i, &t))
                .collect::<Result<_, _>>()?,
        ),
        (Val::Variant(name, payload), Type::Variant(variant)) => {
            let ty = variant.cases().find(|c| c.name == name).and_then(|c| c.ty);
            tag(name, payload.as_deref(), ty.as_ref())?
        }
        (Val::Result(result), Type::Result(r)) => match result {
            Ok(p) => tag("ok", p.as_deref(), r.ok().as_ref())?,
            Err(p) => tag("err", p.as_deref(), r.err().as_ref())?,
        },
        (Val::Enum(name), _) => Value::from(name.clone()),
        (Val::Option(None), _) => Value::Null,
        (Val::Option(Some(v)), Type::Option(o)) => json(v, &o.ty())?,
        (Val::Flags(names), _) => Value::from(names.clone()),
        _ => return Err("a resource, stream, future, map or mismatched value".into()),
    })
}

fn tag(name: &str, payload: Option<&Val>, ty: Option<&Type>) -> Result<Value, String> {
    let mut out = Map::new();
    out.insert("tag".into(), Value::from(name));
    if let (Some(p), Some(ty)) = (payload, ty) {
        out.insert("value".into(), json(p, ty)?);
    }
    Ok(Value::Object(out))
}

fn finite(f: f64) -> Result<Value, String> {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| format!("{f} is not a finite number"))
}
