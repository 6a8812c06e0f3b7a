//! Runtime errors. Load errors ([`RuntimeError`]) keep the plugin from being
//! used at all; call errors ([`CallError`]) end one call. Guest errors (the
//! plugin said no) are kept apart from traps and limits (the sandbox stopped it).

use serde::Serialize;

use crate::output::CallDiagnostics;

/// Why the runtime could not be built, or a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// `[limits]` does not parse: an unknown key, a value of the wrong type,
    /// a zero deadline.
    #[error("invalid `[limits]`: {message}")]
    InvalidLimits {
        /// The parser's reason.
        message: String,
    },
    /// A limit is past its upper bound (see [`Limits::MAX`](crate::Limits::MAX)).
    #[error("invalid `[limits]`: `{key}` is `{value}`, past its upper bound `{max}`")]
    LimitTooLarge {
        /// The key, as `[limits]` spells it.
        key: &'static str,
        /// The value given.
        value: u64,
        /// The largest value the key accepts.
        max: u64,
    },
    /// The engine or its linkers could not be built.
    #[error("cannot create the wasmtime engine: {message}")]
    Engine {
        /// wasmtime's reason.
        message: String,
    },
    /// The package could not be materialized into the cache.
    #[error("`{plugin}`: {source}")]
    Package {
        /// The plugin's label, as given to [`Runtime::load`](crate::Runtime::load).
        plugin: String,
        /// The package error.
        source: yoi_package::PackageError,
    },
    /// The artifact is not the binary kind the manifest's runtime names.
    #[error("`{plugin}`: the manifest says {expected} but the artifact is a {found}")]
    KindMismatch {
        /// The plugin's label, as given to [`Runtime::load`](crate::Runtime::load).
        plugin: String,
        /// The kind the manifest names.
        expected: &'static str,
        /// The kind the artifact is.
        found: &'static str,
    },
    /// wasmtime could not compile the artifact.
    #[error("`{plugin}`: cannot compile the artifact: {message}")]
    Compile {
        /// The plugin's label, as given to [`Runtime::load`](crate::Runtime::load).
        plugin: String,
        /// wasmtime's reason, bounded.
        message: String,
    },
    /// The artifact imports something outside the linked set.
    #[error(
        "`{plugin}`: imports `{import}`, which yoi does not provide; a plugin may import only WASI p2 and yoi host interfaces"
    )]
    UnsupportedImport {
        /// The plugin's label, as given to [`Runtime::load`](crate::Runtime::load).
        plugin: String,
        /// The import's name.
        import: String,
    },
    /// The component imports a host API its manifest does not request.
    #[error(
        "`{plugin}`: the component imports the `{api}` host API, but its manifest does not request it in `permissions.host_apis`"
    )]
    HostApiNotRequested {
        /// The plugin's label, as given to [`Runtime::load`](crate::Runtime::load).
        plugin: String,
        /// The host API's name.
        api: &'static str,
    },
    /// The component does not export what its manifest's world requires.
    #[error("`{plugin}`: the component does not implement `{world}`: {message}")]
    WrongWorld {
        /// The plugin's label, as given to [`Runtime::load`](crate::Runtime::load).
        plugin: String,
        /// The world the manifest names.
        world: &'static str,
        /// What is missing or mistyped.
        message: String,
    },
    /// The core module breaks the legacy ABI.
    #[error("`{plugin}`: the module does not follow `yoi-plugin-wasm-1`: {message}")]
    BadLegacyModule {
        /// The plugin's label, as given to [`Runtime::load`](crate::Runtime::load).
        plugin: String,
        /// What it breaks.
        message: String,
    },
}

/// What stopped a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallErrorKind {
    /// The plugin rejected the input.
    InvalidInput,
    /// The plugin refused the action.
    Denied,
    /// The plugin has no such tool.
    NotFound,
    /// The plugin tried and failed.
    Failed,
    /// The call ran past its deadline and was stopped.
    Timeout,
    /// The guest trapped (including panics and stack overflow).
    Trap,
    /// The guest tried to grow memory or tables past the limit.
    MemoryLimit,
    /// The input was larger than the limit; the guest never ran.
    InputTooLarge,
    /// The output was larger than the limit.
    OutputTooLarge,
    /// The output broke the contract (invalid JSON, invalid UTF-8).
    BadOutput,
    /// The call was refused before the guest ran (not granted, not eligible).
    NotGranted,
    /// The plugin cannot be run (failed to load or instantiate).
    Unavailable,
}

impl CallErrorKind {
    /// Whether the plugin itself reported this error (as opposed to the sandbox).
    pub fn is_guest_error(self) -> bool {
        matches!(
            self,
            CallErrorKind::InvalidInput
                | CallErrorKind::Denied
                | CallErrorKind::NotFound
                | CallErrorKind::Failed
        )
    }

    /// The kind's name, as JSON output spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CallErrorKind::InvalidInput => "invalid-input",
            CallErrorKind::Denied => "denied",
            CallErrorKind::NotFound => "not-found",
            CallErrorKind::Failed => "failed",
            CallErrorKind::Timeout => "timeout",
            CallErrorKind::Trap => "trap",
            CallErrorKind::MemoryLimit => "memory-limit",
            CallErrorKind::InputTooLarge => "input-too-large",
            CallErrorKind::OutputTooLarge => "output-too-large",
            CallErrorKind::BadOutput => "bad-output",
            CallErrorKind::NotGranted => "not-granted",
            CallErrorKind::Unavailable => "unavailable",
        }
    }
}

/// A structured tool error: what kind, a bounded message, and what the guest printed.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{}: {message}", kind.as_str())]
pub struct CallError {
    /// What stopped the call.
    pub kind: CallErrorKind,
    /// What went wrong, at most 4 KiB.
    pub message: String,
    /// What the guest printed during the call.
    #[serde(skip_serializing_if = "CallDiagnostics::is_empty")]
    pub diagnostics: CallDiagnostics,
    /// A typed component's error value, as JSON: the `E` of the `err` its
    /// function returned (`null` when `E` is absent). `None` otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

impl CallError {
    /// An error of `kind` with `message` bounded and no diagnostics.
    pub fn new(kind: CallErrorKind, message: impl AsRef<str>) -> Self {
        CallError {
            kind,
            message: yoi_manifest::bounded(message.as_ref(), 4096),
            diagnostics: CallDiagnostics::default(),
            detail: None,
        }
    }
}
