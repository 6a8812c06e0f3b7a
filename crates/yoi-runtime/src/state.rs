//! Per-store host state: the WASI context (empty, or with the
//! `wasi:filesystem` preopens the plugin's fs grants derive), the resource
//! limiter, and the captured output streams.

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use yoi_grants::WasiAccess;
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

    /// Open the plugin's `wasi:filesystem` preopens ([`HostApis::wasi_fs`]),
    /// if any, into this store's WASI context. Each root is opened by path
    /// here, for every new store: a root that is gone fails the instantiation
    /// rather than leaving the guest a grant that silently does nothing.
    pub(crate) fn open_preopens(&mut self) -> wasmtime::Result<()> {
        if self.host.wasi_fs.is_empty() {
            return Ok(());
        }
        let mut builder = wasi_builder(&self.stdout, &self.stderr);
        for preopen in &self.host.wasi_fs {
            // wasmtime-wasi 48 knows read-only and read-write only;
            // `yoi_grants::wasi_preopens` maps ops onto them exactly.
            let perms = match preopen.access {
                WasiAccess::ReadOnly => FsPerms::ReadOnly,
                WasiAccess::ReadWrite => FsPerms::ReadWrite,
            };
            builder
                .preopened_dir(&preopen.root, &preopen.label, perms)
                .map_err(|e| {
                    wasmtime::format_err!(
                        "cannot open the fs root for preopen `{}`: {e}",
                        preopen.label
                    )
                })?;
        }
        self.wasi = builder.build();
        Ok(())
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
fn empty_wasi(stdout: &BoundedPipe, stderr: &BoundedPipe) -> WasiCtx {
    wasi_builder(stdout, stderr).build()
}

/// The empty WASI context's builder, which [`StoreState::open_preopens`]
/// extends with preopens only.
///
/// `WasiCtxBuilder::new()` starts with no preopened directories, no
/// environment, no arguments and a closed stdin; sockets and name lookup are
/// switched off explicitly as well, so that a change of upstream defaults
/// cannot grant network access. Only stdout/stderr are connected, to bounded
/// in-memory pipes.
fn wasi_builder(stdout: &BoundedPipe, stderr: &BoundedPipe) -> WasiCtxBuilder {
    let mut builder = WasiCtxBuilder::new();
    builder
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }));
    builder
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
