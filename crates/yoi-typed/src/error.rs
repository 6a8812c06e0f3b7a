//! [`TypedError`]: why a typed component, or a manifest's view of it, is refused.
//!
//! Names from the component are bounded before they are stored, so every
//! message is small however hostile the component is.

/// Why a typed component is refused at `check`, `pack` or discovery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypedError {
    /// The bytes are not a component whose type can be decoded.
    #[error("cannot decode the component's WIT: {message}")]
    Decode {
        /// The decoder's reason, bounded.
        message: String,
    },
    /// The component exports more functions than [`MAX_EXPORTED_FUNCTIONS`](crate::MAX_EXPORTED_FUNCTIONS).
    #[error("the component exports {count} functions, more than the limit of {limit}")]
    TooManyFunctions {
        /// How many were counted.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A tool names an export the component does not have.
    #[error("tool `{tool}`: the component exports no function `{export}`{hint}")]
    NoSuchExport {
        /// The tool.
        tool: String,
        /// The export it names.
        export: String,
        /// `; it exports ...`, bounded.
        hint: String,
    },
    /// Two tools name the same export.
    #[error(
        "tools `{first}` and `{second}` both name the export `{export}`; each export is one tool"
    )]
    ExportClash {
        /// The export.
        export: String,
        /// The first tool naming it.
        first: String,
        /// The second.
        second: String,
    },
    /// The export's signature has a type JSON cannot carry.
    #[error("tool `{tool}`: function `{export}` is not offered as a tool: {reason}")]
    Unmappable {
        /// The tool.
        tool: String,
        /// The export.
        export: String,
        /// Which type, and why.
        reason: String,
    },
    /// A schema the manifest declares disagrees with the WIT signature.
    #[error(
        "tool `{tool}`: the declared {which} contradicts the WIT signature of `{export}`: {reason}"
    )]
    Contradiction {
        /// The tool.
        tool: String,
        /// The export.
        export: String,
        /// `input_schema` or `output_schema`.
        which: &'static str,
        /// What disagrees.
        reason: String,
    },
    /// Neither the manifest nor the component describes the tool.
    #[error("tool `{tool}`: no description in plugin.toml and no WIT doc comment on `{export}`")]
    NoDescription {
        /// The tool.
        tool: String,
        /// The export.
        export: String,
    },
    /// The component imports something yoi does not link, or a host API the
    /// manifest does not request.
    #[error("the component imports `{import}`: {problem}")]
    Import {
        /// The import, bounded.
        import: String,
        /// Why it is refused.
        problem: crate::ImportProblem,
    },
}
