//! Decoding a component's type: its imports and every exported function,
//! each with its derived [`Signature`] or the reason it is not a tool.
//!
//! Only the component's type is read (`wit_parser::decoding::decode`): no
//! code is compiled or run. The `package-docs` custom section, when the
//! component carries one, is applied by the decoder, so WIT doc comments
//! become descriptions.

use wit_parser::{Resolve, WorldItem};

use crate::derive::{Signature, derive_function};
use crate::error::TypedError;

/// Most exported functions a component may have.
pub const MAX_EXPORTED_FUNCTIONS: usize = 256;
const MAX_NAME: usize = 200;

/// A decoded typed component.
#[derive(Debug, Clone)]
pub struct TypedComponent {
    /// Top-level imports, as instance or function names, in component order.
    pub imports: Vec<String>,
    /// Every exported function, in component order.
    pub functions: Vec<ExportedFunction>,
}

/// One exported function.
#[derive(Debug, Clone)]
pub struct ExportedFunction {
    /// Its export name: `add`, or `example:calc/ops@0.1.0#divide`.
    pub export: String,
    /// Its WIT doc comment, when the component carries docs.
    pub docs: Option<String>,
    /// Its schemas, or why it cannot be a tool.
    pub signature: Result<Signature, String>,
}

impl TypedComponent {
    /// Decode the type of the component `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<TypedComponent, TypedError> {
        let decoded = wit_parser::decoding::decode(bytes).map_err(|e| TypedError::Decode {
            message: yoi_manifest::bounded(&format!("{e:#}"), 400),
        })?;
        let wit_parser::decoding::DecodedWasm::Component(resolve, world) = decoded else {
            return Err(TypedError::Decode {
                message: "the file is a WIT package, not a component".into(),
            });
        };
        let world = &resolve.worlds[world];
        let imports = world
            .imports
            .iter()
            .filter(|(_, item)| !matches!(item, WorldItem::Type { .. }))
            .map(|(key, _)| yoi_manifest::bounded(&resolve.name_world_key(key), MAX_NAME))
            .collect();
        let mut functions = Vec::new();
        for (key, item) in &world.exports {
            match item {
                WorldItem::Function(func) => functions.push(exported(&resolve, None, func)),
                WorldItem::Interface { id, .. } => {
                    let interface = resolve.name_world_key(key);
                    for func in resolve.interfaces[*id].functions.values() {
                        functions.push(exported(&resolve, Some(&interface), func));
                    }
                }
                WorldItem::Type { .. } => {}
            }
            if functions.len() > MAX_EXPORTED_FUNCTIONS {
                return Err(TypedError::TooManyFunctions {
                    count: functions.len(),
                    limit: MAX_EXPORTED_FUNCTIONS,
                });
            }
        }
        Ok(TypedComponent { imports, functions })
    }

    /// The exported function named `export`.
    pub fn function(&self, export: &str) -> Option<&ExportedFunction> {
        self.functions.iter().find(|f| f.export == export)
    }
}

fn exported(
    resolve: &Resolve,
    interface: Option<&str>,
    func: &wit_parser::Function,
) -> ExportedFunction {
    let export = match interface {
        Some(i) => format!("{i}{}{}", crate::EXPORT_SEPARATOR, func.name),
        None => func.name.clone(),
    };
    ExportedFunction {
        export: yoi_manifest::bounded(&export, MAX_NAME),
        docs: func.docs.contents.clone(),
        signature: derive_function(resolve, func),
    }
}
