//! What the history holds: an [`Event`] to append, the [`Record`] read back,
//! and the [`EventKind`] every event has.
//!
//! A kind is required: an event cannot be appended without one, and a
//! stored kind this build does not know is not read as another kind.

use serde::Serialize;

/// Largest input, output or message text stored per event; longer texts are
/// cut on a char boundary and end in a `…[N bytes truncated]` marker.
pub const MAX_RECORDED_BYTES: usize = 64 * 1024;

/// Largest name stored per event (session, tool, plugin, digest, error
/// kind); longer names are cut like texts. Names come from the host or
/// from validated manifests, but a name is recorded before it is looked up
/// (a client may call a tool named by a megabyte of text).
pub const MAX_RECORDED_NAME_BYTES: usize = 256;

/// Longest plugin notice kind: 64 bytes of `[a-z0-9_.-]`.
pub const MAX_NOTICE_KIND_BYTES: usize = 64;

/// The notice kind recorded in place of one outside the alphabet of
/// [`is_valid_notice_kind`].
pub const INVALID_NOTICE_KIND: &str = "invalid";

/// Whether `kind` may be recorded as a plugin notice kind: 1 to
/// [`MAX_NOTICE_KIND_BYTES`] bytes of `[a-z0-9_.-]`. No newline, control
/// character or markup can pass, so a stored kind reads as a word.
pub fn is_valid_notice_kind(kind: &str) -> bool {
    (1..=MAX_NOTICE_KIND_BYTES).contains(&kind.len())
        && kind
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-'))
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum EventKind {
    /// A tool was called (recorded before it runs).
    ToolCall = 0,
    /// The call returned a result.
    ToolResult = 1,
    /// The call ended in an error (guest error, sandbox stop, or refusal).
    ToolError = 2,
    /// An ingress event was accepted.
    IngressEvent = 3,
    /// A plugin emitted a visible notification.
    Notification = 4,
}

impl EventKind {
    const ALL: [EventKind; 5] = [
        EventKind::ToolCall,
        EventKind::ToolResult,
        EventKind::ToolError,
        EventKind::IngressEvent,
        EventKind::Notification,
    ];

    /// The kind as stored in the database and shown (`tool_call`, ...).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventKind::ToolCall => "tool_call",
            EventKind::ToolResult => "tool_result",
            EventKind::ToolError => "tool_error",
            EventKind::IngressEvent => "ingress_event",
            EventKind::Notification => "notification",
        }
    }

    /// The kind a log frame carries; `None` if the byte is not one.
    pub(crate) fn from_u8(n: u8) -> Option<EventKind> {
        EventKind::ALL.get(usize::from(n)).copied()
    }

    /// The kind stored as `s`; `None` if this build does not know it.
    pub(crate) fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An event to append. Start from [`Event::new`] and set what applies:
///
/// ```
/// # use yoi_history::{Event, EventKind};
/// let e = Event {
///     tool: Some("echo"),
///     input: Some("{}"),
///     ..Event::new("session-1", EventKind::ToolCall)
/// };
/// assert_eq!(e.kind, EventKind::ToolCall);
/// ```
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// The session (or ingress stream) the event belongs to.
    pub session: &'a str,
    /// What happened.
    pub kind: EventKind,
    /// The id of the `tool_call` event an outcome belongs to.
    pub call_id: Option<i64>,
    /// The tool (or ingress) concerned.
    pub tool: Option<&'a str>,
    /// The plugin's reference.
    pub plugin: Option<&'a str>,
    /// The plugin's digest.
    pub digest: Option<&'a str>,
    /// The call's input or the event's payload; bounded when recorded.
    pub input: Option<&'a str>,
    /// The call's output; bounded when recorded.
    pub output: Option<&'a str>,
    /// The kind of error, for a `tool_error`.
    pub error_kind: Option<&'a str>,
    /// A human-readable message; bounded when recorded. Written by the
    /// host: plugin text goes in `input`/`output`/`notice_kind`, never here.
    pub message: Option<&'a str>,
    /// For a plugin's `notification`: the kind the plugin gave its notice.
    /// Its own field, not the [`EventKind`] namespace; one that fails
    /// [`is_valid_notice_kind`] is recorded as [`INVALID_NOTICE_KIND`].
    pub notice_kind: Option<&'a str>,
    /// How long the call took.
    pub duration_us: Option<u64>,
}

impl<'a> Event<'a> {
    /// An event of `kind` in `session`, with nothing else set.
    pub fn new(session: &'a str, kind: EventKind) -> Event<'a> {
        Event {
            session,
            kind,
            call_id: None,
            tool: None,
            plugin: None,
            digest: None,
            input: None,
            output: None,
            error_kind: None,
            message: None,
            notice_kind: None,
            duration_us: None,
        }
    }
}

/// A stored event, as [`History::recent`](crate::History::recent) reads it.
/// Serialised (e.g. by `yoi history --json`) without its absent fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Unique across the processes sharing the database.
    pub id: i64,
    /// When it was appended, in milliseconds since the Unix epoch.
    pub ts_ms: i64,
    /// See [`Event::session`].
    pub session: String,
    /// See [`Event::kind`].
    pub kind: EventKind,
    /// See [`Event::call_id`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<i64>,
    /// See [`Event::tool`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// See [`Event::plugin`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// See [`Event::digest`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// See [`Event::input`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// See [`Event::output`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// See [`Event::error_kind`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    /// See [`Event::message`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// See [`Event::notice_kind`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_kind: Option<String>,
    /// See [`Event::duration_us`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_us: Option<i64>,
}

/// One event as stored, borrowed from the log frame that carries it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row<'a> {
    pub(crate) id: i64,
    pub(crate) ts_ms: i64,
    pub(crate) kind: EventKind,
    pub(crate) call_id: Option<i64>,
    pub(crate) duration_us: Option<i64>,
    pub(crate) session: &'a str,
    pub(crate) tool: Option<&'a str>,
    pub(crate) plugin: Option<&'a str>,
    pub(crate) digest: Option<&'a str>,
    pub(crate) input: Option<&'a str>,
    pub(crate) output: Option<&'a str>,
    pub(crate) error_kind: Option<&'a str>,
    pub(crate) message: Option<&'a str>,
    pub(crate) notice_kind: Option<&'a str>,
}

/// A new session id, unique within this machine: time, process and a
/// counter. Every event carries the id of the session that recorded it.
pub fn new_session_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{:x}-{:x}-{}",
        now.as_millis(),
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_byte_and_their_text() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_u8(kind as u8), Some(kind));
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.as_str())
            );
        }
        assert_eq!(EventKind::from_u8(5), None);
        assert_eq!(EventKind::parse("mystery"), None);
    }

    #[test]
    fn notice_kinds_are_short_words() {
        for ok in ["progress", "build.done", "a-1_b", &"x".repeat(64)] {
            assert!(is_valid_notice_kind(ok), "{ok}");
        }
        for bad in [
            "",
            "tool_call\n",
            "Tool",
            "a b",
            "\u{1b}[31m",
            "é",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_notice_kind(bad), "{bad}");
        }
    }
}
