//! [`Output`]: what a successful tool call returns.
//!
//! An output is an ordered list of [`Content`] pieces, each plain text or JSON.
//! JSON content built through this module is always valid JSON: it is produced
//! by `serde_json` from a `Serialize` value. If serialization fails (a map with
//! non-string keys, a `Serialize` impl that errors), the failure is kept and the
//! call reports [`ToolErrorKind::Failed`](crate::ToolErrorKind::Failed) instead
//! of returning half an output, so the builder never panics.

use serde::Serialize;

use crate::ToolError;

/// One piece of a tool's output. Mirrors `content` in `yoi:plugin/types`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Plain text for a person or a model.
    Text(String),
    /// Structured output, as JSON text.
    Json(String),
}

/// A successful tool result: one or more [`Content`] pieces, in order.
///
/// ```
/// use yoi_pdk::{Content, Output};
///
/// let out = Output::text("found 2 matches").with_json(&["a.rs", "b.rs"]);
/// assert_eq!(
///     out.content(),
///     [
///         Content::Text("found 2 matches".into()),
///         Content::Json(r#"["a.rs","b.rs"]"#.into()),
///     ]
/// );
/// ```
///
/// Handlers may return anything that converts into an `Output`: a `String` or
/// `&str` (text), a [`serde_json::Value`] or a [`Json`] wrapper (JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    content: Vec<Content>,
    /// The first JSON serialization failure, reported instead of the output.
    error: Option<String>,
}

impl Output {
    /// An output with no content.
    pub fn new() -> Self {
        Self::default()
    }

    /// An output with one text piece.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new().with_text(text)
    }

    /// An output with one JSON piece, serialized from `value`.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Self {
        Self::new().with_json(value)
    }

    /// Appends a text piece.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.content.push(Content::Text(text.into()));
        self
    }

    /// Appends a JSON piece, serialized from `value`.
    pub fn with_json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_string(value) {
            Ok(json) => self.content.push(Content::Json(json)),
            Err(err) => {
                self.error
                    .get_or_insert_with(|| format!("cannot serialize JSON output: {err}"));
            }
        }
        self
    }

    /// An output with one JSON piece holding `text` **unchecked**.
    ///
    /// For host tests only: it lets a fixture send JSON content that does not
    /// parse, to prove the host refuses it. Real tools use [`Output::json`].
    pub fn raw_json_text(text: impl Into<String>) -> Self {
        Self {
            content: vec![Content::Json(text.into())],
            error: None,
        }
    }

    /// The pieces added so far, in order.
    pub fn content(&self) -> &[Content] {
        &self.content
    }

    /// The pieces, or the [`ToolErrorKind::Failed`](crate::ToolErrorKind::Failed)
    /// error if any JSON piece could not be serialized.
    pub fn into_result(self) -> Result<Vec<Content>, ToolError> {
        match self.error {
            Some(message) => Err(ToolError::failed(message)),
            None => Ok(self.content),
        }
    }
}

/// Wraps a `Serialize` value so a handler can return it as JSON output:
/// `Ok(Json(my_struct))`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> From<Json<T>> for Output {
    fn from(Json(value): Json<T>) -> Self {
        Output::json(&value)
    }
}

impl From<String> for Output {
    fn from(text: String) -> Self {
        Output::text(text)
    }
}

impl From<&str> for Output {
    fn from(text: &str) -> Self {
        Output::text(text)
    }
}

impl From<serde_json::Value> for Output {
    fn from(value: serde_json::Value) -> Self {
        Output::json(&value)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ToolErrorKind;

    #[test]
    fn builders_keep_order() {
        let out = Output::json(&serde_json::json!({"n": 1}))
            .with_text("then text")
            .with_json("then a string");
        assert_eq!(
            out.into_result().unwrap(),
            [
                Content::Json(r#"{"n":1}"#.into()),
                Content::Text("then text".into()),
                Content::Json(r#""then a string""#.into()),
            ]
        );
    }

    #[test]
    fn conversions() {
        assert_eq!(Output::from("hi"), Output::text("hi"));
        assert_eq!(Output::from(String::from("hi")), Output::text("hi"));
        assert_eq!(
            Output::from(serde_json::json!([1, 2])).content(),
            [Content::Json("[1,2]".into())]
        );

        #[derive(Serialize)]
        struct Echo {
            text: &'static str,
        }
        assert_eq!(
            Output::from(Json(Echo { text: "a\"b" })).content(),
            [Content::Json(r#"{"text":"a\"b"}"#.into())]
        );
    }

    #[test]
    fn serialization_failure_becomes_failed() {
        // JSON object keys must be strings.
        let map = BTreeMap::from([((1, 2), "v")]);
        let out = Output::text("kept?").with_json(&map).with_text("after");
        let err = out.into_result().unwrap_err();
        assert_eq!(err.kind(), ToolErrorKind::Failed);
        assert!(
            err.message().starts_with("cannot serialize JSON output: "),
            "{err}"
        );
    }

    #[test]
    fn raw_json_text_is_not_checked() {
        assert_eq!(
            Output::raw_json_text("not json {").into_result().unwrap(),
            [Content::Json("not json {".into())]
        );
    }
}
