//! Name resolution the host controls, and the check applied to its answers.
//!
//! The policy resolves a name once per hop through a [`Resolve`], checks every
//! answer ([`super::addr`]), and then connects only to those addresses: the
//! HTTP client is given them as fixed overrides and its own resolver always
//! fails, so nothing downstream can re-resolve the name to something else.
//!
//! Lookups are bounded: a policy (one per plugin) has
//! [`MAX_LOOKUPS_IN_FLIGHT`] slots, and a lookup starts only once it holds
//! one. A caller waiting for a slot waits within the request's deadline and
//! then fails as `timeout`, like any other step of the exchange. The slot is
//! handed to the [`Resolve`] and lives as long as the lookup really runs, not
//! as long as the caller waits: [`SystemResolver`] runs `getaddrinfo` on a
//! blocking thread that cannot be cancelled, and moves the slot into that
//! thread. So a slow name server ties up at most that many threads per plugin,
//! however often the plugin retries after its deadline. A semaphore rather
//! than an async resolver with its own timeout: it keeps the system's
//! resolution (`/etc/hosts`, `nsswitch`, search domains) exactly as it is, and
//! the bound holds for every injected resolver too.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::HttpsError;
use super::addr::check_public;
use super::matching::HostKind;

/// Most answers used from one lookup.
const MAX_ANSWERS: usize = 16;

/// Most name lookups one policy has running at once.
pub const MAX_LOOKUPS_IN_FLIGHT: usize = 8;

/// One of a policy's [`MAX_LOOKUPS_IN_FLIGHT`] lookup slots; dropping it
/// frees the slot.
#[derive(Debug)]
pub struct LookupSlot {
    _permit: OwnedSemaphorePermit,
}

/// The lookup slots of one policy.
pub(crate) fn lookup_slots() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(MAX_LOOKUPS_IN_FLIGHT))
}

/// A boxed resolution in flight.
pub type Resolving<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;

/// Resolves a host name to addresses. Inject one to control DNS (tests, a
/// DNS-over-HTTPS client, a fixed table); the default is [`SystemResolver`].
pub trait Resolve: Send + Sync {
    /// The addresses of `host`; the policy checks each one before use.
    ///
    /// Keep `slot` for as long as the lookup runs. A resolver whose work can
    /// outlive the returned future (a blocking thread, a spawned task) moves
    /// `slot` into that work, so that a caller giving up never frees a slot
    /// while its lookup still occupies a thread.
    fn resolve<'a>(&'a self, host: &'a str, slot: LookupSlot) -> Resolving<'a>;
}

/// The operating system's resolver: `getaddrinfo` on a blocking thread,
/// which holds the lookup's slot until the call returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve<'a>(&'a self, host: &'a str, slot: LookupSlot) -> Resolving<'a> {
        let host = host.to_owned();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let _slot = slot;
                let addrs = (host.as_str(), 0).to_socket_addrs()?;
                Ok(addrs.map(|a| a.ip()).collect())
            })
            .await
            .map_err(io::Error::other)?
        })
    }
}

/// The addresses a hop may connect to, all checked.
pub(crate) async fn checked_addresses(
    resolver: &dyn Resolve,
    slots: &Arc<Semaphore>,
    host: &str,
    kind: HostKind,
) -> Result<Vec<IpAddr>, HttpsError> {
    match kind {
        HostKind::Literal(ip) => Ok(vec![ip]),
        HostKind::Localhost => Ok(vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]),
        HostKind::Name => {
            let dns = |message: String| HttpsError::Dns {
                host: yoi_manifest::bounded(host, 200),
                message,
            };
            // Waiting here is bounded by the request's deadline (the caller's
            // `timeout`); the semaphore is never closed.
            let permit = slots
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| dns("no lookup slot".into()))?;
            let slot = LookupSlot { _permit: permit };
            let mut answers = resolver
                .resolve(host, slot)
                .await
                .map_err(|e| dns(yoi_manifest::bounded(&e.to_string(), 200)))?;
            if answers.is_empty() {
                return Err(dns("no addresses".into()));
            }
            answers.dedup();
            // One bad answer refuses the whole name: a name that mixes public
            // and internal addresses is a rebinding attempt, not a fallback.
            for ip in &answers {
                if let Err(blocked) = check_public(*ip) {
                    return Err(HttpsError::denied(format!(
                        "`{}` resolved to `{ip}`, which is in {blocked}; only a grant naming an IP literal or `localhost` reaches such addresses",
                        yoi_manifest::bounded(host, 200)
                    )));
                }
            }
            answers.truncate(MAX_ANSWERS);
            Ok(answers)
        }
    }
}

/// The HTTP client's own resolver: it never answers, so a name without a
/// pinned override cannot be reached.
#[derive(Debug)]
pub(crate) struct NoResolve;

impl reqwest::dns::Resolve for NoResolve {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        Box::pin(async move {
            Err(format!("`{name}` has no checked addresses; refusing to resolve it again").into())
        })
    }
}

pub(crate) fn no_resolve() -> Arc<NoResolve> {
    Arc::new(NoResolve)
}

/// Socket addresses for the client's override table (port 0: the URL's port is used).
pub(crate) fn overrides(ips: &[IpAddr]) -> Vec<SocketAddr> {
    ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Vec<IpAddr>);

    impl Resolve for Fixed {
        fn resolve<'a>(&'a self, _host: &'a str, _slot: LookupSlot) -> Resolving<'a> {
            let answers = self.0.clone();
            Box::pin(async move { Ok(answers) })
        }
    }

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[tokio::test]
    async fn one_blocked_answer_refuses_the_whole_name() {
        let resolver = Fixed(ips(&["1.1.1.1", "2606:4700::1111", "10.1.2.3"]));
        let result = checked_addresses(
            &resolver,
            &lookup_slots(),
            "api.example.test",
            HostKind::Name,
        )
        .await;
        assert!(
            matches!(&result, Err(HttpsError::Denied { reason }) if reason.contains("10.1.2.3")),
            "{result:?}"
        );
        let resolver = Fixed(ips(&["1.1.1.1", "2606:4700::1111"]));
        let result = checked_addresses(
            &resolver,
            &lookup_slots(),
            "api.example.test",
            HostKind::Name,
        )
        .await;
        assert_eq!(result.unwrap(), ips(&["1.1.1.1", "2606:4700::1111"]));
    }

    #[tokio::test]
    async fn literals_and_localhost_are_not_resolved() {
        let resolver = Fixed(ips(&["10.0.0.1"]));
        let literal = "192.168.1.1".parse().unwrap();
        assert_eq!(
            checked_addresses(
                &resolver,
                &lookup_slots(),
                "192.168.1.1",
                HostKind::Literal(literal)
            )
            .await
            .unwrap(),
            vec![literal]
        );
        let local = checked_addresses(&resolver, &lookup_slots(), "localhost", HostKind::Localhost)
            .await
            .unwrap();
        assert!(local.iter().all(IpAddr::is_loopback), "{local:?}");
    }
}
