//! Manifest errors. Each names the field it concerns; none echoes unbounded input.

/// Why a `plugin.toml` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The text is longer than [`MAX_MANIFEST_BYTES`](crate::MAX_MANIFEST_BYTES); it was not parsed.
    #[error("plugin.toml is too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// Length of the text, in bytes.
        size: usize,
        /// The limit it is over.
        limit: usize,
    },
    /// The text is not TOML, or its shape is wrong (an unknown field, a wrong type).
    #[error("plugin.toml is not valid TOML or does not match the schema: {message}")]
    Syntax {
        /// The TOML parser's message, bounded and with control characters escaped.
        message: String,
    },
    /// `schema_version` is not [`SCHEMA_VERSION`](crate::SCHEMA_VERSION).
    #[error("unsupported `schema_version` {found} (this yoi reads 1)")]
    SchemaVersion {
        /// The version the file declares.
        found: i64,
    },
    /// A field's value breaks a rule of the format.
    #[error("invalid `{field}`: {message}")]
    Invalid {
        /// The field, as a TOML path (`tools[0].name`).
        field: String,
        /// What is wrong with it; any quoted value is bounded.
        message: String,
    },
    /// Two tools, services, ingresses, event kinds or requests share a name.
    #[error("duplicate {what} name `{name}`")]
    Duplicate {
        /// What kind of name is repeated (`tool`, `permissions.surfaces`, ...).
        what: &'static str,
        /// The repeated name, bounded.
        name: String,
    },
}

impl ManifestError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ManifestError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The field this error concerns, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ManifestError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}
