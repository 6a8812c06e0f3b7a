//! What a typed component may import: the WASI p2 interfaces yoi links with
//! an empty context (no preopens, env, sockets or name lookup), and a yoi host
//! API only when the manifest requests it. Anything else is refused at check,
//! before the runtime's own load-time check would refuse it too.

use yoi_manifest::HostApi;

/// The WASI p2 interfaces the runtime links, by package; any `0.2.x`.
const WASI_P2: [(&str, &[&str]); 6] = [
    (
        "cli",
        &[
            "environment",
            "exit",
            "stdin",
            "stdout",
            "stderr",
            "terminal-input",
            "terminal-output",
            "terminal-stdin",
            "terminal-stdout",
            "terminal-stderr",
        ],
    ),
    ("clocks", &["wall-clock", "monotonic-clock"]),
    ("filesystem", &["types", "preopens"]),
    ("io", &["error", "poll", "streams"]),
    ("random", &["random", "insecure", "insecure-seed"]),
    (
        "sockets",
        &[
            "network",
            "instance-network",
            "tcp",
            "tcp-create-socket",
            "udp",
            "udp-create-socket",
            "ip-name-lookup",
        ],
    ),
];

/// yoi's host API interfaces and the request each needs.
const HOST_APIS: [(&str, HostApi); 2] = [
    ("yoi:host/https@1.0.0", HostApi::Https),
    ("yoi:host/fs@1.0.0", HostApi::Fs),
];

/// Why an import is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ImportProblem {
    /// yoi links nothing of that name.
    #[error(
        "yoi does not provide it; a typed component may import only WASI p2 and the yoi host APIs it requests"
    )]
    NotProvided,
    /// A yoi host API the manifest does not list in `permissions.host_apis`.
    #[error("the `{0}` host API is not requested in `permissions.host_apis`")]
    NotRequested(HostApi),
}

/// Whether a typed component requesting `requested` may import `name`.
pub fn check_import(name: &str, requested: &[HostApi]) -> Result<(), ImportProblem> {
    if let Some((_, api)) = HOST_APIS.iter().find(|(n, _)| *n == name) {
        return if requested.contains(api) {
            Ok(())
        } else {
            Err(ImportProblem::NotRequested(*api))
        };
    }
    let wasi = name
        .strip_prefix("wasi:")
        .and_then(|n| n.split_once('@'))
        .and_then(|(path, version)| Some((path.split_once('/')?, version)));
    match wasi {
        Some(((package, interface), version))
            if version.starts_with("0.2.")
                && WASI_P2
                    .iter()
                    .any(|(p, list)| *p == package && list.contains(&interface)) =>
        {
            Ok(())
        }
        _ => Err(ImportProblem::NotProvided),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_linked_and_requested_imports_pass() {
        assert_eq!(check_import("wasi:cli/stderr@0.2.6", &[]), Ok(()));
        assert_eq!(
            check_import("yoi:host/https@1.0.0", &[HostApi::Https]),
            Ok(())
        );
        assert_eq!(
            check_import("yoi:host/https@1.0.0", &[]),
            Err(ImportProblem::NotRequested(HostApi::Https))
        );
        for name in [
            "wasi:http/outgoing-handler@0.2.0",
            "wasi:cli/stdout@0.3.0",
            "acme:evil/x",
            "yoi:plugin/types@1.0.0",
            "log",
        ] {
            assert_eq!(
                check_import(name, &[HostApi::Https, HostApi::Fs]),
                Err(ImportProblem::NotProvided),
                "{name}"
            );
        }
    }
}
