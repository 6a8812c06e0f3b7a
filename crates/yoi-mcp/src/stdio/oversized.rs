//! An answer for a stdio line past the message limit, instead of silence.
//!
//! The SDK's line reader drops a line longer than its limit as it reads it,
//! never buffering it, and says nothing to the client, which then waits for
//! a response that never comes. [`LineTap`] sits under that reader and
//! watches the bytes go by with the same rule (a line, its `\n` included,
//! longer than the limit); for each such line it keeps only the line's first
//! [`HEAD_BYTES`] and reads the request id from them if it is there
//! ([`request_id`]). [`Answering`] wraps the SDK's transport and sends each
//! such line an `Invalid Request` error carrying that id.
//!
//! Guarantees:
//! - Bounded: at most [`HEAD_BYTES`] of a line are kept here, and the id is
//!   read by a scan of those bytes, never by parsing the line.
//! - The server keeps serving: the line is skipped by the SDK as before, and
//!   the lines after it are read and answered as usual.
//! - Back-pressure: while an error response cannot be written, no more input
//!   is read, so errors never pile up faster than the client takes them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use rmcp::RoleServer;
use rmcp::model::{ErrorData, RequestId};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;

/// How much of an oversized line is kept to find its id in.
pub(crate) const HEAD_BYTES: usize = 512;

/// A reader that passes every byte through unchanged and reports each line
/// longer than `max` bytes (its `\n` included, as the SDK counts) once, with
/// the id its first bytes carry.
pub(crate) struct LineTap<R> {
    inner: R,
    max: usize,
    /// Bytes of the current line seen so far, saturating.
    line_len: usize,
    head: Vec<u8>,
    reported: bool,
    oversized: mpsc::UnboundedSender<Option<RequestId>>,
}

impl<R> LineTap<R> {
    /// A tap over `inner`, and the receiving end of its reports. A report
    /// needs more than `max` bytes of input, so the queue stays short.
    pub(crate) fn new(
        inner: R,
        max: usize,
    ) -> (LineTap<R>, mpsc::UnboundedReceiver<Option<RequestId>>) {
        let (oversized, reports) = mpsc::unbounded_channel();
        let tap = LineTap {
            inner,
            max,
            line_len: 0,
            head: Vec::with_capacity(HEAD_BYTES),
            reported: false,
            oversized,
        };
        (tap, reports)
    }

    fn observe(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let newline = memchr::memchr(b'\n', bytes);
            let take = newline.map_or(bytes.len(), |i| i + 1);
            let room = HEAD_BYTES - self.head.len();
            self.head.extend_from_slice(&bytes[..take.min(room)]);
            self.line_len = self.line_len.saturating_add(take);
            if self.line_len > self.max && !self.reported {
                self.reported = true;
                // The receiver is gone only once the server has stopped.
                let _ = self.oversized.send(request_id(&self.head));
            }
            if newline.is_some() {
                self.line_len = 0;
                self.head.clear();
                self.reported = false;
            }
            bytes = &bytes[take..];
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for LineTap<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.observe(&buf.filled()[before..]);
        }
        polled
    }
}

type Sending = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The SDK's transport, with an error response for every line [`LineTap`]
/// reports.
pub(crate) struct Answering<T> {
    inner: T,
    max: usize,
    oversized: mpsc::UnboundedReceiver<Option<RequestId>>,
    /// An error response being written; finished before anything else is
    /// read. Kept here so that a cancelled `receive` resumes it.
    sending: Option<Sending>,
}

impl<T: Transport<RoleServer>> Answering<T> {
    pub(crate) fn new(
        inner: T,
        max: usize,
        oversized: mpsc::UnboundedReceiver<Option<RequestId>>,
    ) -> Self {
        Answering {
            inner,
            max,
            oversized,
            sending: None,
        }
    }

    fn answer(&mut self, id: Option<RequestId>) {
        let error = ErrorData::invalid_request(
            format!(
                "the message is larger than the limit of {} bytes; it was not read",
                self.max
            ),
            Some(serde_json::json!({ "max_bytes": self.max })),
        );
        let send = self
            .inner
            .send(TxJsonRpcMessage::<RoleServer>::error(error, id));
        // A failed write means the client is gone; the read side sees the end.
        self.sending = Some(Box::pin(async move {
            let _ = send.await;
        }));
    }

    async fn finish_sending(&mut self) {
        if let Some(sending) = self.sending.as_mut() {
            sending.await;
            self.sending = None;
        }
    }
}

impl<T: Transport<RoleServer>> Transport<RoleServer> for Answering<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    // Both branches are cancel-safe (the SDK's `receive` keeps a partial line
    // across cancellation), and so is this: a report taken from the queue is
    // in `sending` before the next await.
    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            self.finish_sending().await;
            tokio::select! {
                biased;
                Some(id) = self.oversized.recv() => self.answer(id),
                message = self.inner.receive() => {
                    if message.is_none() {
                        // The end of input: answer what was reported before it.
                        while let Ok(id) = self.oversized.try_recv() {
                            self.answer(id);
                            self.finish_sending().await;
                        }
                    }
                    return message;
                }
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.inner.close().await
    }
}

/// The `id` of a JSON-RPC request, if the first bytes of its line hold it:
/// `{`, then members whose values are plain scalars up to `"id"` and its
/// whole value (a string or an integer). Anything else (a nested value
/// first, an escaped key, a value cut off at the end of `head`) is no id.
pub(crate) fn request_id(head: &[u8]) -> Option<RequestId> {
    let mut s = Scan {
        bytes: head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head),
        at: 0,
    };
    s.expect(b'{')?;
    loop {
        let key = s.string()?;
        s.expect(b':')?;
        let value = s.scalar()?;
        if key == b"\"id\"" {
            return serde_json::from_slice(value).ok();
        }
        s.expect(b',')?;
    }
}

/// A cursor over the bytes of an oversized line's head.
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    fn skip_whitespace(&mut self) {
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// A whole string token, quotes included.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.skip_whitespace();
        let start = self.at;
        if self.bytes.get(start) != Some(&b'"') {
            return None;
        }
        let mut i = start + 1;
        loop {
            match *self.bytes.get(i)? {
                b'"' => break,
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        self.at = i + 1;
        Some(&self.bytes[start..self.at])
    }

    /// A whole scalar token: a string, or a number or literal that ends
    /// before the head does (so `12` is never a cut-off `123`).
    fn scalar(&mut self) -> Option<&'a [u8]> {
        self.skip_whitespace();
        match self.bytes.get(self.at)? {
            b'"' => self.string(),
            b'{' | b'[' => None,
            _ => {
                let start = self.at;
                let len = self.bytes[start..]
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b' ' | b'\t' | b'\r' | b'\n'))?;
                self.at = start + len;
                Some(&self.bytes[start..self.at])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(head: &str) -> Option<RequestId> {
        request_id(head.as_bytes())
    }

    #[test]
    fn ids_are_read_from_the_first_bytes() {
        assert_eq!(
            id(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"x":"#),
            Some(RequestId::Number(7))
        );
        assert_eq!(
            id("\u{feff} { \"jsonrpc\" : \"2.0\" , \"id\" : \"a\\\"b\" , \"params\": ["),
            Some(RequestId::String("a\"b".into()))
        );
        assert_eq!(id(r#"{"method":"x","id":-3}"#), Some(RequestId::Number(-3)));
    }

    #[test]
    fn anything_unclear_is_no_id() {
        for head in [
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"id":1"#,
            r#"{"jsonrpc":"2.0","id":12"#,
            r#"{"jsonrpc":"2.0","id":"ab"#,
            r#"{"jsonrpc":"2.0","id":1.5,"#,
            r#"{"jsonrpc":"2.0","id":null,"#,
            r#"{"i\u0064":1,"#,
            r#"[{"id":1}"#,
            r#"xxxxxxxx"#,
            "",
        ] {
            assert_eq!(id(head), None, "{head}");
        }
    }

    fn reports(max: usize, chunks: &[&[u8]]) -> Vec<Option<RequestId>> {
        let (mut tap, mut rx) = LineTap::new(tokio::io::empty(), max);
        for chunk in chunks {
            tap.observe(chunk);
        }
        drop(tap);
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    #[test]
    fn a_line_is_reported_once_only_past_the_limit_however_it_is_split() {
        // 10 bytes with the newline: at the limit, not past it.
        assert_eq!(reports(10, &[b"{\"id\":1}.\n"]), []);
        assert_eq!(
            reports(10, &[b"{\"id\":1}..\n{\"id\":2}.\n"]),
            [Some(RequestId::Number(1))]
        );
        assert_eq!(
            reports(
                10,
                &[
                    b"{\"id\"",
                    b":3,",
                    b"\"x\":\"",
                    b"yyyyyyyyyyyy",
                    b"yyy\"}\n"
                ]
            ),
            [Some(RequestId::Number(3))]
        );
        // Cut off by the end of input, past the limit: reported too.
        assert_eq!(reports(4, &[b"zzzzz"]), [None]);
    }
}
