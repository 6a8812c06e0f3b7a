//! `yoi serve`: the workspace over HTTP until SIGINT or SIGTERM: MCP
//! (Streamable HTTP) at `/mcp`, ingress events at
//! `/ingress/{plugin}/{ingress}`, `/status` and `/healthz`; every plugin's
//! instance runs (services, ingress workers, restarts) while it serves.
//!
//! Like `yoi mcp`, everything is resolved and every plugin loaded before the
//! first connection is accepted, so the first call is warm and `/status`
//! already knows which plugins failed to load. One registry and one history
//! serve every client; each MCP session gets its own `Session`, so its
//! calls share a session id in `yoi history`.
//!
//! The server itself (routes, `/status`, `[serve]`, the bearer guard) is
//! the `yoi-serve` library; this module owns the arguments, the signals and
//! every line printed.
//!
//! Secure defaults (see `yoi_serve::ServeConfig` for `[serve]`): a loopback
//! address, loopback `Host` and `Origin` only on every route (the
//! DNS-rebinding allowlist of `yoi-mcp`, applied by `yoi-serve`), no token. Listening anywhere else works but is warned about
//! on stderr, more loudly without a token. Stdout stays empty: this command
//! has no data to print, and its log is a few lines on stderr, the last of
//! them `yoi serve: listening on http://ADDR …` with the bound address.
//!
//! Shutdown: on the first SIGINT or SIGTERM the listener closes and requests
//! in flight get [`GRACE`] to finish. Whatever is still open then (an idle
//! event stream, a call far from its deadline) is dropped, a dropped call
//! being recorded as cancelled in history, and the process exits 0. A second
//! signal skips the wait. Queued ingress events get the same grace, then
//! each is recorded as handled or not; every event is durable in the
//! history's log once appended, so there is nothing else to flush.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use yoi_mcp::MCP_PATH;
use yoi_serve::{
    App, BearerGuard, DEFAULT_LISTEN, GRACE, ServeConfig, ServeError, Server, StatusReport, Stopped,
};
use yoi_tools::ToolRegistry;

use crate::context::Context;
use crate::output::{self, hinted};

/// Arguments of `yoi serve` (the workspace is the global `--workspace`).
#[derive(Debug, Args)]
#[command(after_help = "\
Endpoints:
  /mcp      MCP over Streamable HTTP, for clients configured with a URL such as
            http://127.0.0.1:7717/mcp
  /status   the workspace's plugins, their statuses, tools and live instances, as JSON
  /healthz  {\"ok\": true} while serving
  /ingress/{plugin}/{ingress}[?kind=KIND]
            POST one JSON event to a plugin's granted ingress (202 once recorded and queued)

`[serve]` in .yoi/config.toml sets `listen`, `token_file` (a file holding a bearer token that \
/mcp, /status and /ingress then require), `allowed_hosts` and `allowed_origins`. Only loopback \
Host and Origin headers are accepted unless more are allowed there.

Serves until SIGINT (Ctrl-C) or SIGTERM, then lets requests in flight finish for up to 5 seconds \
and exits 0. Every call is recorded in the workspace history (`yoi history`).")]
pub struct ServeArgs {
    /// The address to listen on; port 0 picks a free port. [default: `listen` of `[serve]`, else
    /// 127.0.0.1:7717]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

pub fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<ExitCode> {
    // An untrusted config loses `[serve]` (and all else it grants) here,
    // before its listen address or token file is looked at.
    let (config, trust, warnings) = ctx.loaded()?;
    crate::trust::say_untrusted("yoi serve", ctx, &trust);
    for w in &warnings {
        output::stderr!("yoi serve: warning: {w}");
    }
    let serve =
        ServeConfig::parse(&config.serve, &ctx.workspace, &config.path).map_err(with_hint)?;
    let listen = args.listen.or(serve.listen).unwrap_or(DEFAULT_LISTEN);
    let token = serve
        .token_file
        .as_deref()
        .map(yoi_serve::read_token)
        .transpose()
        .map_err(with_hint)?;
    for w in token.iter().flat_map(|t| &t.warnings) {
        output::stderr!("yoi serve: warning: {w}");
    }
    warn_if_exposed(listen, token.is_some());

    let plan = yoi_workspace::resolve(yoi_workspace::discover(&ctx.stores), &config, &trust);
    for d in &plan.diagnostics {
        output::stderr!("yoi serve: warning: {d}");
    }
    let registry = Arc::new(ToolRegistry::new(&plan, Some(ctx.runtime()?)));
    for d in registry.diagnostics() {
        output::stderr!("yoi serve: warning: {d}");
    }
    let load_errors = registry.preload();
    for e in &load_errors {
        output::stderr!("yoi serve: warning: {e}");
    }
    let history = ctx.history()?;
    let status = StatusReport::build(
        &ctx.workspace,
        &plan,
        registry.tools(),
        registry.diagnostics(),
        &load_errors,
    );
    output::stderr!(
        "yoi serve: serving {} tools of `{}`{}",
        status.tools,
        ctx.workspace.display(),
        match &serve.token_file {
            Some(path) => format!(
                "; /mcp and /status require the bearer token in `{}`",
                path.display()
            ),
            None => String::new(),
        }
    );

    let mcp = serve.mcp_options(listen);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // One instance per enabled plugin, started before anything is served.
    let instances = registry.instances().clone();
    rt.block_on(instances.start(Some(history.clone())));
    let watch = {
        let _entered = rt.enter();
        crate::output::watch_history_problems(history.clone())
    };
    let app = App {
        status,
        registry,
        history: Some(history.clone()),
        mcp,
        guard: token.as_ref().map(|t| BearerGuard::new(&t.value)),
    };
    let result = rt.block_on(serve_until_signal(app.router(), listen));
    // Queued events are handled (within the grace period) and every
    // instance is stopped before the process exits.
    rt.block_on(instances.shutdown(GRACE));
    watch.abort();
    crate::output::history_problems(&history);
    // Tasks still open after the grace period are dropped here; a blocking
    // task that ignores that cannot hold the exit for long.
    rt.shutdown_timeout(Duration::from_secs(1));
    result.map(|()| ExitCode::SUCCESS)
}

fn warn_if_exposed(listen: SocketAddr, has_token: bool) {
    if listen.ip().is_loopback() {
        return;
    }
    if has_token {
        output::stderr!(
            "yoi serve: warning: `{listen}` is not a loopback address; requests need the bearer \
             token, but travel as plain HTTP: keep it on a trusted network or put TLS in front"
        );
    } else {
        output::stderr!(
            "yoi serve: warning: `{listen}` is not a loopback address and no `token_file` is set \
             in `[serve]`: anyone who can reach it can call the workspace's tools (only Host \
             headers naming loopback, this address or `allowed_hosts` are accepted)"
        );
    }
}

async fn serve_until_signal(app: axum::Router, listen: SocketAddr) -> anyhow::Result<()> {
    // Handlers first: a signal that arrives once the address is printed must
    // be a clean shutdown, not the default action.
    let mut signals = Signals::install().context("cannot install the signal handlers")?;
    let server = Server::bind(listen, app).await.map_err(with_hint)?;
    output::stderr!(
        "yoi serve: listening on http://{} (MCP at {MCP_PATH}, status at /status, health at /healthz)",
        server.local_addr()
    );
    let (signal, draining) = server.run(signals.next()).await?;
    output::stderr!(
        "yoi serve: {signal}: no longer accepting connections; waiting up to {}s for requests in flight",
        GRACE.as_secs()
    );
    match draining.finish(GRACE, signals.next()).await? {
        Stopped::Drained => output::stderr!("yoi serve: stopped"),
        Stopped::GraceExpired => output::stderr!(
            "yoi serve: stopped; connections still open after {}s were closed",
            GRACE.as_secs()
        ),
        Stopped::Hurried(signal) => {
            output::stderr!("yoi serve: {signal} again: stopped without waiting");
        }
    }
    Ok(())
}

/// The error for a person: what to do next, for the errors a user can fix.
fn with_hint(err: ServeError) -> anyhow::Error {
    let hint = match &err {
        ServeError::Config { .. } => {
            "`[serve]` takes `listen`, `token_file`, `allowed_hosts` and `allowed_origins`; see README.md"
        }
        ServeError::TokenRead { .. }
        | ServeError::TokenNotAFile { .. }
        | ServeError::TokenTooLarge { .. }
        | ServeError::TokenEmpty { .. }
        | ServeError::TokenUnsendable { .. } => {
            "put the token (printable ASCII, no spaces) alone in that file, e.g. \
             `openssl rand -hex 32 > FILE && chmod 600 FILE`"
        }
        ServeError::Bind { .. } => {
            "choose another address with `--listen` (port 0 picks a free one), or stop what holds this one"
        }
        ServeError::LocalAddr { .. }
        | ServeError::Stopped { .. }
        | ServeError::StoppedUnasked
        | ServeError::FailedStopping { .. } => return err.into(),
    };
    hinted(err, hint)
}

/// SIGINT and SIGTERM, registered as soon as this is made.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The name of the next signal received.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

/// Ctrl-C where there are no Unix signals.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> &'static str {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        "Ctrl-C"
    }
}
