//! Bounded capture of guest stdout/stderr.
//!
//! A guest may print as much as it likes; the host keeps the first
//! `capacity` bytes per call and counts the rest. Writes never fail, so a
//! chatty guest is not broken by its logging, and nothing reaches the host's
//! own stdout (which may be an MCP stdio stream).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use parking_lot::Mutex;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// How many bytes a guest may write per `check-write` permit. Writes never
/// block or fail, so this only sets the guest's chunk size.
const WRITE_PERMIT: usize = 1 << 20;

#[derive(Debug, Default)]
struct Buffer {
    bytes: Vec<u8>,
    dropped: u64,
}

#[derive(Debug, Default)]
struct Shared {
    buffer: Mutex<Buffer>,
    /// Set by every write, cleared by [`BoundedPipe::take`]: a call in which
    /// the guest printed nothing takes nothing, without locking.
    written: AtomicBool,
}

/// A shared, bounded sink. Clones write to the same buffer.
#[derive(Debug, Clone)]
pub(crate) struct BoundedPipe {
    capacity: usize,
    shared: Arc<Shared>,
}

impl BoundedPipe {
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedPipe {
            capacity,
            shared: Arc::default(),
        }
    }

    fn write(&self, data: &[u8]) {
        let mut b = self.shared.buffer.lock();
        let room = self.capacity.saturating_sub(b.bytes.len());
        let kept = room.min(data.len());
        b.bytes.extend_from_slice(&data[..kept]);
        b.dropped = b.dropped.saturating_add((data.len() - kept) as u64);
        self.shared.written.store(true, Ordering::Release);
    }

    /// Take what was captured since the last call, as lossy UTF-8, and the count dropped.
    pub(crate) fn take(&self) -> (String, u64) {
        if !self.shared.written.swap(false, Ordering::Acquire) {
            return (String::new(), 0);
        }
        let mut b = self.shared.buffer.lock();
        let bytes = std::mem::take(&mut b.bytes);
        let dropped = std::mem::take(&mut b.dropped);
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        (text, dropped)
    }
}

impl IsTerminal for BoundedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for BoundedPipe {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    /// A synchronous stream: the default adapter hands every write to a
    /// background task, which makes a guest that prints a lot slow enough to
    /// run into its deadline. Capturing into memory needs no task.
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for BoundedPipe {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        BoundedPipe::write(self, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for BoundedPipe {
    async fn ready(&mut self) {}
}

impl AsyncWrite for BoundedPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.write(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_bytes_and_counts_the_rest() {
        let p = BoundedPipe::new(4);
        p.write(b"ab");
        p.write(b"cdef");
        assert_eq!(p.take(), ("abcd".to_string(), 2));
        assert_eq!(p.take(), (String::new(), 0));
        p.write(b"\xffz");
        assert_eq!(p.take(), ("\u{fffd}z".to_string(), 0));
        p.write(b"");
        assert_eq!(p.take(), (String::new(), 0));
    }
}
