//! [`ToolError`]: a tool's own, structured refusal or failure.
//!
//! A `ToolError` is the plugin saying no. It is not a trap: a panic, an
//! exhausted memory limit or a deadline is the sandbox stopping the plugin, and
//! the host reports those separately. Messages are bounded here, on the guest
//! side, to [`ToolError::MAX_MESSAGE_BYTES`] so that an error built from
//! untrusted text (an input echoed back inside a parse error, say) stays small;
//! the host bounds them again on its side.

use std::fmt;

/// Why a tool call failed. Mirrors `tool-error-kind` in `yoi:plugin/types`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ToolErrorKind {
    /// The input was well-formed JSON but the tool cannot accept it.
    InvalidInput,
    /// The tool refused: the action is not allowed.
    Denied,
    /// The plugin has no tool by that name.
    NotFound,
    /// The tool tried and failed.
    Failed,
}

impl ToolErrorKind {
    /// The kind's name as the WIT spells it, e.g. `invalid-input`.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolErrorKind::InvalidInput => "invalid-input",
            ToolErrorKind::Denied => "denied",
            ToolErrorKind::NotFound => "not-found",
            ToolErrorKind::Failed => "failed",
        }
    }
}

impl fmt::Display for ToolErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A structured tool error: a [`ToolErrorKind`] and a bounded message.
///
/// Build one with [`ToolError::invalid_input`], [`ToolError::denied`],
/// [`ToolError::not_found`] or [`ToolError::failed`]. `std::io::Error`
/// converts into a [`ToolErrorKind::Failed`] error, so `?` works on I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolError {
    kind: ToolErrorKind,
    message: String,
}

impl ToolError {
    /// The longest message a `ToolError` carries, in bytes. Longer messages are
    /// cut on a char boundary and end in `…`.
    pub const MAX_MESSAGE_BYTES: usize = 4096;

    /// An error of any kind. The message is truncated to
    /// [`MAX_MESSAGE_BYTES`](Self::MAX_MESSAGE_BYTES).
    pub fn new(kind: ToolErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: bounded(message.into()),
        }
    }

    /// The input was well-formed JSON but the tool cannot accept it.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ToolErrorKind::InvalidInput, message)
    }

    /// The tool refused: the action is not allowed.
    pub fn denied(message: impl Into<String>) -> Self {
        Self::new(ToolErrorKind::Denied, message)
    }

    /// The plugin has no tool by that name. The export macro returns this for
    /// unknown tool names; tools rarely need it themselves.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ToolErrorKind::NotFound, message)
    }

    /// The tool tried and failed.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ToolErrorKind::Failed, message)
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ToolErrorKind {
        self.kind
    }

    /// The (bounded) message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Splits the error into its kind and message.
    pub fn into_parts(self) -> (ToolErrorKind, String) {
        (self.kind, self.message)
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for ToolError {}

impl From<std::io::Error> for ToolError {
    fn from(err: std::io::Error) -> Self {
        Self::failed(err.to_string())
    }
}

const ELLIPSIS: &str = "…";

/// Cuts `message` to at most [`ToolError::MAX_MESSAGE_BYTES`] bytes on a char
/// boundary, marking the cut with `…`.
fn bounded(mut message: String) -> String {
    if message.len() > ToolError::MAX_MESSAGE_BYTES {
        let end = message.floor_char_boundary(ToolError::MAX_MESSAGE_BYTES - ELLIPSIS.len());
        message.truncate(end);
        message.push_str(ELLIPSIS);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_set_the_kind() {
        assert_eq!(
            ToolError::invalid_input("x").kind(),
            ToolErrorKind::InvalidInput
        );
        assert_eq!(ToolError::denied("x").kind(), ToolErrorKind::Denied);
        assert_eq!(ToolError::not_found("x").kind(), ToolErrorKind::NotFound);
        assert_eq!(ToolError::failed("x").kind(), ToolErrorKind::Failed);
    }

    #[test]
    fn short_messages_are_kept() {
        let exact = "a".repeat(ToolError::MAX_MESSAGE_BYTES);
        assert_eq!(ToolError::failed(exact.clone()).message(), exact);
        assert_eq!(ToolError::failed("").message(), "");
    }

    #[test]
    fn long_messages_are_cut_to_the_bound() {
        let err = ToolError::failed("a".repeat(ToolError::MAX_MESSAGE_BYTES + 1));
        assert_eq!(err.message().len(), ToolError::MAX_MESSAGE_BYTES);
        assert!(err.message().ends_with('…'));
        assert!(err.message().starts_with("aaaa"));
    }

    #[test]
    fn cuts_land_on_char_boundaries() {
        // Four-byte chars: no multiple of four lands exactly on the cut point.
        for prefix in 0..4 {
            let text = format!("{}{}", "a".repeat(prefix), "🦀".repeat(2000));
            let err = ToolError::denied(text);
            assert!(err.message().len() <= ToolError::MAX_MESSAGE_BYTES);
            assert!(err.message().len() > ToolError::MAX_MESSAGE_BYTES - 8);
            let body = err.message().strip_suffix('…').expect("marked as cut");
            assert!(body.trim_start_matches('a').chars().all(|c| c == '🦀'));
        }
    }

    #[test]
    fn displays_with_the_wit_kind_name() {
        let err = ToolError::invalid_input("missing field `text`");
        assert_eq!(err.to_string(), "invalid-input: missing field `text`");
        assert_eq!(ToolErrorKind::NotFound.to_string(), "not-found");
    }

    #[test]
    fn io_errors_become_failed() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = ToolError::from(io);
        assert_eq!(err.kind(), ToolErrorKind::Failed);
        assert_eq!(err.message(), "no such file");
    }
}
