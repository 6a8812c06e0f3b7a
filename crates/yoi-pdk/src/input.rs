//! Tool input: JSON text from the host, decoded into the handler's type.
//!
//! The host validates input against the tool's declared JSON Schema before the
//! plugin runs, but the guest still decodes defensively: a decode failure is an
//! [`invalid-input`](crate::ToolErrorKind::InvalidInput) error whose message is
//! serde's, bounded like every [`ToolError`] message.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::ToolError;

/// Input for a tool that takes no arguments: accepts any JSON object and
/// ignores its fields.
///
/// ```
/// use yoi_pdk::{NoInput, Output, ToolError};
///
/// fn ping(_: NoInput) -> Result<Output, ToolError> {
///     Ok(Output::text("pong"))
/// }
/// # assert!(ping(NoInput {}).is_ok());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct NoInput {}

/// Decodes `input` for the tool named `tool`.
pub(crate) fn decode<I: DeserializeOwned>(tool: &str, input: &str) -> Result<I, ToolError> {
    serde_json::from_str(input)
        .map_err(|err| ToolError::invalid_input(format!("invalid input for `{tool}`: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ToolErrorKind;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Echo {
        text: String,
    }

    #[test]
    fn decodes_typed_input() {
        let echo: Echo = decode("echo", r#"{"text":"hi"}"#).unwrap();
        assert_eq!(echo.text, "hi");
    }

    #[test]
    fn decode_failures_are_invalid_input() {
        let err = decode::<Echo>("echo", "{}").unwrap_err();
        assert_eq!(err.kind(), ToolErrorKind::InvalidInput);
        assert_eq!(
            err.message(),
            "invalid input for `echo`: missing field `text` at line 1 column 2"
        );

        let err = decode::<Echo>("echo", "not json").unwrap_err();
        assert_eq!(err.kind(), ToolErrorKind::InvalidInput);
    }

    #[test]
    fn decode_messages_are_bounded() {
        // serde quotes the offending value back, so its message grows with input.
        let long = format!(r#""{}""#, "v".repeat(100_000));
        let err = decode::<u32>("t", &long).unwrap_err();
        assert_eq!(err.kind(), ToolErrorKind::InvalidInput);
        assert!(
            err.message()
                .starts_with("invalid input for `t`: invalid type: string \"vvv")
        );
        assert_eq!(err.message().len(), ToolError::MAX_MESSAGE_BYTES);
    }

    #[test]
    fn no_input_accepts_any_object() {
        assert_eq!(decode::<NoInput>("t", "{}").unwrap(), NoInput {});
        assert_eq!(decode::<NoInput>("t", r#"{"x": [1]}"#).unwrap(), NoInput {});
        assert!(decode::<NoInput>("t", "7").is_err());
    }
}
