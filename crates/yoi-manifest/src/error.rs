//! Manifest errors. Each names the field it concerns; none echoes unbounded input.

/// Why a `plugin.toml` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("plugin.toml is too large: {size} bytes (limit {limit})")]
    TooLarge { size: usize, limit: usize },
    #[error("plugin.toml is not valid TOML or does not match the schema: {message}")]
    Syntax { message: String },
    #[error("unsupported `schema_version` {found} (this yoi reads 1)")]
    SchemaVersion { found: i64 },
    #[error("invalid `{field}`: {message}")]
    Invalid { field: String, message: String },
    #[error("duplicate {what} name `{name}`")]
    Duplicate { what: &'static str, name: String },
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
