//! The server: bind an address, serve a router until told to stop, then
//! give requests in flight a bounded time to finish.
//!
//! Shutdown is in two steps so that the caller can say what happens between
//! them: [`Server::run`] returns once `shutdown` resolves, with the listener
//! closed and the connections still open draining; [`Draining::finish`]
//! waits for them for at most the grace period, or until `hurry` resolves.
//! Whatever is still open then (an idle event stream, a call far from its
//! deadline) is dropped with the server; a dropped call is recorded as
//! cancelled in history.

use std::future::{Future, IntoFuture as _};
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::ServeError;

/// How long requests in flight may take to finish after a shutdown signal.
pub const GRACE: Duration = Duration::from_secs(5);

type Serving = Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;

/// A bound listener and the router it will serve.
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    app: Router,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

/// A server that stopped accepting connections and is letting the open ones
/// finish.
pub struct Draining {
    serving: Serving,
}

impl std::fmt::Debug for Draining {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Draining")
    }
}

/// How draining ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped<T> {
    /// Every connection finished within the grace period.
    Drained,
    /// The grace period ran out; what was open was closed.
    GraceExpired,
    /// `hurry` resolved first (with this value); what was open was closed.
    Hurried(T),
}

impl Server {
    /// Listen on `addr` (port 0 picks a free port) for `app`.
    pub async fn bind(addr: SocketAddr, app: Router) -> Result<Server, ServeError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServeError::LocalAddr { source })?;
        Ok(Server {
            listener,
            addr,
            app,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve until `shutdown` resolves; then close the listener and return
    /// its value with the server still draining. An error if the server
    /// ends before being asked to.
    pub async fn run<T>(
        self,
        shutdown: impl Future<Output = T>,
    ) -> Result<(T, Draining), ServeError> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut serving: Serving = Box::pin(
            axum::serve(self.listener, self.app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .into_future(),
        );
        let value = tokio::select! {
            value = shutdown => value,
            result = &mut serving => {
                result.map_err(|source| ServeError::Stopped { source })?;
                return Err(ServeError::StoppedUnasked);
            }
        };
        let _ = stop.send(());
        Ok((value, Draining { serving }))
    }
}

impl Draining {
    /// Wait for the open connections to finish, for at most `grace` or
    /// until `hurry` resolves.
    pub async fn finish<T>(
        mut self,
        grace: Duration,
        hurry: impl Future<Output = T>,
    ) -> Result<Stopped<T>, ServeError> {
        tokio::select! {
            result = &mut self.serving => {
                result.map_err(|source| ServeError::FailedStopping { source })?;
                Ok(Stopped::Drained)
            }
            () = tokio::time::sleep(grace) => Ok(Stopped::GraceExpired),
            value = hurry => Ok(Stopped::Hurried(value)),
        }
    }
}
