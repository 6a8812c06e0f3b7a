//! Per-store host state: the empty WASI context, the resource limiter, and
//! the captured output streams.

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use yoi_host_apis::HostApis;

use crate::limits::Limits;
use crate::output::CallDiagnostics;
use crate::stdio::BoundedPipe;

/// Everything a store carries for one plugin instance.
pub(crate) struct StoreState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
    stdout: BoundedPipe,
    stderr: BoundedPipe,
    /// Data of the legacy ABI call in progress.
    pub(crate) legacy: LegacyCall,
    /// When the call in progress must end; checked at every epoch tick.
    pub(crate) deadline: Option<std::time::Instant>,
    /// The plugin's host API policies, checked on every host call.
    pub(crate) host: std::sync::Arc<HostApis>,
}

#[derive(Default)]
pub(crate) struct LegacyCall {
    pub(crate) tool: Vec<u8>,
    pub(crate) input: Vec<u8>,
    pub(crate) output: Option<Vec<u8>>,
    pub(crate) output_too_large: bool,
    pub(crate) max_output: usize,
}

impl StoreState {
    pub(crate) fn new(limits: &Limits, host: std::sync::Arc<HostApis>) -> Self {
        let stdout = BoundedPipe::new(limits.max_diagnostic_bytes);
        let stderr = BoundedPipe::new(limits.max_diagnostic_bytes);
        StoreState {
            wasi: empty_wasi(&stdout, &stderr),
            table: ResourceTable::new(),
            limiter: Limiter {
                memory_bytes: limits.memory_bytes,
                table_elements: limits.table_elements,
                hit: false,
            },
            stdout,
            stderr,
            legacy: LegacyCall::default(),
            deadline: None,
            host,
        }
    }

    pub(crate) fn limiter(&mut self) -> &mut dyn ResourceLimiter {
        &mut self.limiter
    }

    /// Whether the limiter refused a growth since the last [`Self::take_diagnostics`].
    pub(crate) fn limit_hit(&self) -> bool {
        self.limiter.hit
    }

    pub(crate) fn take_diagnostics(&mut self) -> CallDiagnostics {
        self.limiter.hit = false;
        let (stdout, d1) = self.stdout.take();
        let (stderr, d2) = self.stderr.take();
        CallDiagnostics {
            stdout,
            stderr,
            dropped_bytes: d1.saturating_add(d2),
        }
    }
}

/// The WASI context every plugin gets: nothing.
///
/// `WasiCtxBuilder::new()` starts with no preopened directories, no
/// environment, no arguments and a closed stdin; sockets and name lookup are
/// switched off explicitly as well, so that a change of upstream defaults
/// cannot grant network access. Only stdout/stderr are connected, to bounded
/// in-memory pipes.
fn empty_wasi(stdout: &BoundedPipe, stderr: &BoundedPipe) -> WasiCtx {
    WasiCtxBuilder::new()
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .build()
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and tables, and remembers a refusal so that the trap
/// that follows is reported as a limit, not as a generic crash.
struct Limiter {
    memory_bytes: usize,
    table_elements: usize,
    hit: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.memory_bytes;
        self.hit |= !ok;
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.table_elements;
        self.hit |= !ok;
        Ok(ok)
    }
}
