//! The host APIs (`yoi:host/https`, `yoi:host/fs`) as a component sees them.
//!
//! The linker provides both interfaces to every component, but a link is not
//! a grant. Two checks decide what a plugin may do:
//!
//! - **At load** ([`check_imports`]): a component that imports a host API its
//!   manifest does not request is refused, before anything is instantiated.
//! - **On every call** (the `Host` impls below): the call is checked against
//!   the policies built from the plugin's grants ([`HostApis`](yoi_host_apis::HostApis), built by
//!   `yoi_host_apis` and handed in by the caller). An API the manifest
//!   requests but the enablement does not grant has no policy, and every call
//!   to it answers `denied`; with a policy, `yoi_host_apis` checks the request
//!   against each grant.
//!
//! A host call runs inside the tool call's deadline: when the deadline passes
//! while the host is waiting (a slow server, a big read), the host call is
//! abandoned (the in-flight request is dropped, which closes its connection)
//! and the guest is stopped with [`DeadlineExceeded`], reported as a timeout.

use std::time::Instant;

use yoi_host_apis::fs::FsError;
use yoi_host_apis::https::HttpsError;
use yoi_manifest::HostApi;

use crate::component::bindings::yoi::host::{fs, https};
use crate::state::StoreState;

/// The interface names a component imports to use each host API.
pub(crate) const HTTPS_INTERFACE: &str = "yoi:host/https@1.0.0";
pub(crate) const FS_INTERFACE: &str = "yoi:host/fs@1.0.0";

/// The host API a top-level import names, if it is one.
pub(crate) fn host_api(import: &str) -> Option<HostApi> {
    match import {
        HTTPS_INTERFACE => Some(HostApi::Https),
        FS_INTERFACE => Some(HostApi::Fs),
        _ => None,
    }
}

/// The trap that ends a call whose deadline passed during a host call.
#[derive(Debug, thiserror::Error)]
#[error("the call's deadline passed during a host call")]
pub(crate) struct DeadlineExceeded;

/// Run a host operation within the store's deadline.
async fn within<T>(
    deadline: Option<Instant>,
    work: impl std::future::Future<Output = T>,
) -> wasmtime::Result<T> {
    match deadline {
        None => Ok(work.await),
        Some(d) => tokio::time::timeout_at(d.into(), work)
            .await
            .map_err(|_| wasmtime::Error::new(DeadlineExceeded)),
    }
}

impl https::Host for StoreState {
    async fn send(
        &mut self,
        req: https::Request,
    ) -> wasmtime::Result<Result<https::Response, https::Error>> {
        let host = self.host.clone();
        let Some(policy) = &host.https else {
            return Ok(Err(https::Error::Denied(
                "the `https` host API is not granted to this plugin".into(),
            )));
        };
        let req = yoi_host_apis::https::Request {
            method: req.method,
            url: req.url,
            headers: req
                .headers
                .into_iter()
                .map(|h| yoi_host_apis::https::Header {
                    name: h.name,
                    value: h.value,
                })
                .collect(),
            body: req.body,
        };
        let result = within(self.deadline, policy.send(req, &host.secrets)).await?;
        Ok(result
            .map(|r| https::Response {
                status: r.status,
                headers: r
                    .headers
                    .into_iter()
                    .map(|h| https::Header {
                        name: h.name,
                        value: h.value,
                    })
                    .collect(),
                body: r.body,
            })
            .map_err(https_error))
    }
}

fn https_error(e: HttpsError) -> https::Error {
    match e {
        HttpsError::Denied { reason } => https::Error::Denied(reason),
        HttpsError::InvalidRequest { reason } => https::Error::InvalidRequest(reason),
        e @ HttpsError::Dns { .. } => https::Error::Dns(e.to_string()),
        HttpsError::Connect { message } => https::Error::Connect(message),
        HttpsError::Tls { message } => https::Error::Tls(message),
        HttpsError::Timeout { .. } => https::Error::Timeout,
        HttpsError::TooLarge { what, limit } => {
            https::Error::TooLarge(format!("{what} exceeds {limit}"))
        }
        HttpsError::Protocol { message } => https::Error::Protocol(message),
    }
}

fn fs_error(e: FsError) -> fs::Error {
    match e {
        FsError::Denied { reason } => fs::Error::Denied(reason),
        e @ FsError::NotFound { .. } => fs::Error::NotFound(e.to_string()),
        e @ FsError::AlreadyExists { .. } => fs::Error::AlreadyExists(e.to_string()),
        e @ FsError::InvalidPath { .. } => fs::Error::InvalidPath(e.to_string()),
        e @ FsError::TooLarge { .. } => fs::Error::TooLarge(e.to_string()),
        e @ FsError::Io { .. } => fs::Error::Io(e.to_string()),
    }
}

fn fs_op(op: yoi_grants::FsOp) -> fs::Op {
    use yoi_grants::FsOp as O;
    match op {
        O::Read => fs::Op::Read,
        O::List => fs::Op::List,
        O::Write => fs::Op::Write,
        O::CreateDir => fs::Op::CreateDir,
        O::Remove => fs::Op::Remove,
    }
}

fn fs_not_granted() -> fs::Error {
    fs::Error::Denied("the `fs` host API is not granted to this plugin".into())
}

impl fs::Host for StoreState {
    async fn roots(&mut self) -> wasmtime::Result<Vec<fs::Root>> {
        Ok(self
            .host
            .fs
            .as_ref()
            .map(|p| {
                p.roots()
                    .into_iter()
                    .map(|r| fs::Root {
                        name: r.name,
                        ops: r.ops.into_iter().map(fs_op).collect(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn read(
        &mut self,
        root: u32,
        path: String,
    ) -> wasmtime::Result<Result<Vec<u8>, fs::Error>> {
        let host = self.host.clone();
        let Some(policy) = &host.fs else {
            return Ok(Err(fs_not_granted()));
        };
        Ok(within(self.deadline, policy.read(root, &path))
            .await?
            .map_err(fs_error))
    }

    async fn write(
        &mut self,
        root: u32,
        path: String,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<(), fs::Error>> {
        let host = self.host.clone();
        let Some(policy) = &host.fs else {
            return Ok(Err(fs_not_granted()));
        };
        Ok(within(self.deadline, policy.write(root, &path, data))
            .await?
            .map_err(fs_error))
    }

    async fn list_dir(
        &mut self,
        root: u32,
        path: String,
    ) -> wasmtime::Result<Result<Vec<fs::DirEntry>, fs::Error>> {
        use yoi_host_apis::fs::EntryKind as K;
        let host = self.host.clone();
        let Some(policy) = &host.fs else {
            return Ok(Err(fs_not_granted()));
        };
        Ok(within(self.deadline, policy.list_dir(root, &path))
            .await?
            .map(|entries| {
                entries
                    .into_iter()
                    .map(|e| fs::DirEntry {
                        name: e.name,
                        kind: match e.kind {
                            K::File => fs::EntryKind::File,
                            K::Dir => fs::EntryKind::Dir,
                            K::Symlink => fs::EntryKind::Symlink,
                            K::Other => fs::EntryKind::Other,
                        },
                        size: e.size,
                    })
                    .collect()
            })
            .map_err(fs_error))
    }

    async fn create_dir(
        &mut self,
        root: u32,
        path: String,
    ) -> wasmtime::Result<Result<(), fs::Error>> {
        let host = self.host.clone();
        let Some(policy) = &host.fs else {
            return Ok(Err(fs_not_granted()));
        };
        Ok(within(self.deadline, policy.create_dir(root, &path))
            .await?
            .map_err(fs_error))
    }

    async fn remove(&mut self, root: u32, path: String) -> wasmtime::Result<Result<(), fs::Error>> {
        let host = self.host.clone();
        let Some(policy) = &host.fs else {
            return Ok(Err(fs_not_granted()));
        };
        Ok(within(self.deadline, policy.remove(root, &path))
            .await?
            .map_err(fs_error))
    }
}
