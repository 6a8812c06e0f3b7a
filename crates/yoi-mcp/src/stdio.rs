//! MCP over stdio: one JSON-RPC message per line on stdin and stdout.
//!
//! Guarantees:
//! - Nothing but protocol messages reaches stdout. [`serve_stdio`] keeps a
//!   private duplicate of fd 1 for the protocol and points fd 1 itself at
//!   stderr, so a stray `print!` anywhere in the process (or in a library)
//!   lands on stderr instead of corrupting the stream. Guest output never
//!   reaches either: the runtime captures it.
//! - Incoming lines are bounded ([`YoiMcp`]'s message limit, at least the
//!   SDK's 16 MiB): a longer line is discarded as it is read, never buffered,
//!   and answered with an `Invalid Request` error naming the limit, with the
//!   request's id when its first bytes carry it (`stdio/oversized.rs`).
//!   Lines that are not JSON are ignored; JSON that is not a JSON-RPC
//!   message gets an `Invalid Request` error. Either way the server keeps
//!   serving.
//! - End of input ends the server: responses already being computed get a
//!   short grace period to be written, then running calls are dropped.
//! - On unix, stdin and stdout that are pipes or sockets are read and written
//!   on the runtime's own reactor ([`Pipe`]), so a message never waits for a
//!   blocking-pool thread; anything else (a regular file, a tty) goes through
//!   tokio's blocking stdio as before.

use anyhow::Context as _;
use rmcp::ServiceExt;
use rmcp::service::ServerInitializeError;
use rmcp::transport::async_rw::AsyncRwTransport;
use tokio::io::{AsyncRead, AsyncWrite};
use yoi_tools::Session;

use crate::YoiMcp;
#[cfg(unix)]
use crate::pipe::Pipe;

mod oversized;

/// Serve `session` on this process's stdin and stdout until stdin closes.
///
/// Takes over stdout for the rest of the process (see the module docs).
pub async fn serve_stdio(session: Session) -> anyhow::Result<()> {
    let out = claim_stdout().context("cannot set up stdout for the MCP stream")?;
    serve_io(session, stdin(), out).await
}

/// Serve `session` over any byte streams until `read` ends.
pub async fn serve_io<R, W>(session: Session, read: R, write: W) -> anyhow::Result<()>
where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + Unpin + 'static,
{
    let handler = YoiMcp::new(session);
    let max = handler.max_message_bytes();
    let (read, reports) = oversized::LineTap::new(read, max);
    let transport = oversized::Answering::new(
        AsyncRwTransport::new_server(read, write).with_max_line_length(max),
        max,
        reports,
    );
    let running = match handler.serve(transport).await {
        Ok(running) => running,
        // The client went away before (or instead of) opening the session.
        Err(ServerInitializeError::ConnectionClosed(_)) => return Ok(()),
        Err(e) => return Err(anyhow::anyhow!("the MCP session could not start: {e}")),
    };
    running
        .waiting()
        .await
        .context("the MCP server task failed")?;
    Ok(())
}

type Reader = Box<dyn AsyncRead + Send + Unpin>;
type Writer = Box<dyn AsyncWrite + Send + Unpin>;

/// Stdin, polled by the reactor when it is a pipe or socket.
#[cfg(unix)]
fn stdin() -> Reader {
    let Ok(fd) = rustix::io::fcntl_dupfd_cloexec(std::io::stdin(), 3) else {
        return Box::new(tokio::io::stdin());
    };
    match Pipe::reader(fd) {
        Ok(pipe) => Box::new(pipe),
        Err(_not_a_pipe) => Box::new(tokio::io::stdin()),
    }
}

#[cfg(not(unix))]
fn stdin() -> Reader {
    Box::new(tokio::io::stdin())
}

/// Keep fd 1 for the protocol (as a close-on-exec duplicate) and make fd 1
/// itself a copy of stderr.
#[cfg(unix)]
fn claim_stdout() -> std::io::Result<Writer> {
    use std::io::Write as _;
    std::io::stdout().flush()?;
    let protocol = rustix::io::fcntl_dupfd_cloexec(std::io::stdout(), 3)?;
    rustix::stdio::dup2_stdout(std::io::stderr())?;
    Ok(match Pipe::writer(protocol) {
        Ok(pipe) => Box::new(pipe),
        Err(fd) => Box::new(tokio::fs::File::from_std(std::fs::File::from(fd))),
    })
}

#[cfg(not(unix))]
fn claim_stdout() -> std::io::Result<Writer> {
    Ok(Box::new(tokio::io::stdout()))
}
