//! Stdin and stdout as non-blocking pipes on tokio's reactor.
//!
//! `tokio::io::stdin()` and `tokio::fs::File` do every read and write on the
//! blocking thread pool, so each message crosses threads on its way in and
//! out. A pipe or socket can instead be put in non-blocking mode and polled
//! by the reactor, which keeps a request on the thread that serves it.
//!
//! Guarantees:
//! - Only pipes and sockets are taken over. Anything else (a regular file, a
//!   tty, `/dev/null`) is handed back for the blocking path: a tty is shared
//!   with the shell, which must never be left non-blocking, and regular files
//!   cannot be polled at all.
//! - `O_NONBLOCK` belongs to the open file, not the descriptor, and so is
//!   shared with every other holder of it: the flags found are put back when
//!   the [`Pipe`] is dropped, or at once if the reactor refuses the file.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use rustix::fs::{FileType, OFlags};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::UnixStream;
use tokio::net::unix::pipe;

/// A pipe or socket end in non-blocking mode, registered with the reactor.
pub(crate) struct Pipe<T: AsFd> {
    io: T,
    /// The file status flags found when the pipe was taken over.
    restore: OFlags,
}

/// A readable end: a pipe, or a stream socket (read and written with plain
/// `read` and `write`, which every stream socket supports).
pub(crate) enum ReadEnd {
    Pipe(pipe::Receiver),
    Socket(UnixStream),
}

/// A writable end, as [`ReadEnd`].
pub(crate) enum WriteEnd {
    Pipe(pipe::Sender),
    Socket(UnixStream),
}

impl Pipe<ReadEnd> {
    /// Take `fd` over for reading if it is a pipe or socket and the reactor
    /// accepts it; otherwise give it back. Must be called within a runtime.
    pub(crate) fn reader(fd: OwnedFd) -> Result<Self, OwnedFd> {
        Pipe::take(
            fd,
            pipe::Receiver::from_owned_fd,
            ReadEnd::Pipe,
            ReadEnd::Socket,
        )
    }
}

impl Pipe<WriteEnd> {
    /// Take `fd` over for writing, as [`Pipe::reader`].
    pub(crate) fn writer(fd: OwnedFd) -> Result<Self, OwnedFd> {
        Pipe::take(
            fd,
            pipe::Sender::from_owned_fd,
            WriteEnd::Pipe,
            WriteEnd::Socket,
        )
    }
}

impl<T: AsFd> Pipe<T> {
    fn take<P>(
        fd: OwnedFd,
        open_pipe: fn(OwnedFd) -> io::Result<P>,
        as_pipe: fn(P) -> T,
        as_socket: fn(UnixStream) -> T,
    ) -> Result<Self, OwnedFd> {
        let (Ok(stat), Ok(restore)) = (rustix::fs::fstat(&fd), rustix::fs::fcntl_getfl(&fd)) else {
            return Err(fd);
        };
        // Tokio's constructors consume what they are given, even when they
        // fail; they get a duplicate so that `fd` can still be handed back.
        let Ok(dup) = fd.try_clone() else {
            return Err(fd);
        };
        let io = match FileType::from_raw_mode(stat.st_mode) {
            FileType::Fifo => open_pipe(dup).map(as_pipe),
            FileType::Socket => {
                let socket = std::os::unix::net::UnixStream::from(dup);
                socket
                    .set_nonblocking(true)
                    .and_then(|()| UnixStream::from_std(socket))
                    .map(as_socket)
            }
            _ => return Err(fd),
        };
        match io {
            Ok(io) => Ok(Pipe { io, restore }),
            Err(_) => {
                let _ = rustix::fs::fcntl_setfl(&fd, restore);
                Err(fd)
            }
        }
    }
}

impl<T: AsFd> Drop for Pipe<T> {
    fn drop(&mut self) {
        let _ = rustix::fs::fcntl_setfl(self.io.as_fd(), self.restore);
    }
}

impl AsFd for ReadEnd {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            ReadEnd::Pipe(p) => p.as_fd(),
            ReadEnd::Socket(s) => s.as_fd(),
        }
    }
}

impl AsFd for WriteEnd {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            WriteEnd::Pipe(p) => p.as_fd(),
            WriteEnd::Socket(s) => s.as_fd(),
        }
    }
}

impl AsyncRead for Pipe<ReadEnd> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.io {
            ReadEnd::Pipe(p) => Pin::new(p).poll_read(cx, buf),
            ReadEnd::Socket(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Pipe<WriteEnd> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.io {
            WriteEnd::Pipe(p) => Pin::new(p).poll_write(cx, buf),
            WriteEnd::Socket(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.io {
            WriteEnd::Pipe(p) => Pin::new(p).poll_flush(cx),
            WriteEnd::Socket(s) => Pin::new(s).poll_flush(cx),
        }
    }

    /// Shutting down is closing, which dropping does; a socket is not shut
    /// down for everyone else who holds it.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    fn flags(fd: impl AsFd) -> OFlags {
        rustix::fs::fcntl_getfl(fd).unwrap()
    }

    /// More than a pipe or socket buffer holds, so the writer has to wait
    /// for the reader.
    async fn carry(read: OwnedFd, write: OwnedFd) {
        let (read_file, write_file) = (read.try_clone().unwrap(), write.try_clone().unwrap());
        let before = (flags(&read_file), flags(&write_file));
        let (mut r, mut w) = (
            Pipe::reader(read).ok().unwrap(),
            Pipe::writer(write).ok().unwrap(),
        );
        assert!(flags(&read_file).contains(OFlags::NONBLOCK));
        assert!(flags(&write_file).contains(OFlags::NONBLOCK));
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            r.read_to_end(&mut got).await.unwrap();
            got
        });
        let message = vec![b'x'; 1 << 20];
        w.write_all(&message).await.unwrap();
        drop(w);
        assert_eq!(flags(&write_file), before.1);
        // The reader sees the end only once every copy of the write end is closed.
        drop(write_file);
        assert_eq!(reader.await.unwrap(), message);
        assert_eq!(flags(&read_file), before.0);
    }

    #[tokio::test]
    async fn pipes_are_polled_and_their_flags_restored() {
        let (read, write) = std::io::pipe().unwrap();
        carry(read.into(), write.into()).await;
    }

    #[tokio::test]
    async fn sockets_are_polled_and_their_flags_restored() {
        let (read, write) = std::os::unix::net::UnixStream::pair().unwrap();
        carry(read.into(), write.into()).await;
    }

    #[tokio::test]
    async fn a_regular_file_is_given_back_untouched() {
        let file = tempfile::tempfile().unwrap();
        let before = flags(&file);
        let fd = Pipe::reader(OwnedFd::from(file)).err().unwrap();
        assert_eq!(flags(&fd), before);
    }
}
