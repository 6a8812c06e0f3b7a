//! DNS answers are checked before any connection, through an injected resolver.

use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tokio::task::JoinSet;
use yoi_host_apis::https::{
    HttpsError, HttpsOptions, HttpsPolicy, LookupSlot, MAX_LOOKUPS_IN_FLIGHT, Resolve, Resolving,
    Secrets,
};

use crate::server::{Action, Server, grant, request};

/// Answers every name with the same addresses, and counts lookups.
pub struct Fixed {
    answers: io::Result<Vec<IpAddr>>,
    lookups: AtomicUsize,
}

impl Resolve for Fixed {
    fn resolve<'a>(&'a self, _host: &'a str, _slot: LookupSlot) -> Resolving<'a> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let answers = match &self.answers {
            Ok(ips) => Ok(ips.clone()),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        };
        Box::pin(async move { answers })
    }
}

pub fn fixed(answers: &[&str]) -> Arc<Fixed> {
    Arc::new(Fixed {
        answers: Ok(answers.iter().map(|a| a.parse().unwrap()).collect()),
        lookups: AtomicUsize::new(0),
    })
}

fn policy(resolver: Arc<dyn Resolve>) -> HttpsPolicy {
    HttpsPolicy::new(
        &[grant("https://api.example.test/", &["GET"])],
        HttpsOptions {
            resolver,
            ..HttpsOptions::default()
        },
    )
    .unwrap()
}

const BLOCKED: &[&str] = &[
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "127.1.2.3",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.254",
    "192.0.0.170",
    "192.0.2.10",
    "192.168.0.1",
    "198.18.0.1",
    "198.19.255.254",
    "198.51.100.20",
    "203.0.113.30",
    "224.0.0.251",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:192.168.1.1",
    "::10.0.0.1",
    "64:ff9b::a00:1",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a00:1",
    "2002:a00:1::1",
    "2002:7f00:1::1",
    "2002:c0a8:101::1",
    "2001:db8::1",
    "2001:db8:ffff::1",
    "2001::1",
    "2001:2::1",
    "3fff::1",
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1",
    "febf::1",
    "fec0::1",
    "ff02::1",
    "ff05::1:3",
    "100::1",
];

#[tokio::test]
async fn every_blocked_range_is_denied() {
    for addr in BLOCKED {
        let resolver = fixed(&[addr]);
        let result = policy(resolver.clone())
            .send(
                request("GET", "https://api.example.test/v1/x"),
                &Secrets::new(),
            )
            .await;
        match &result {
            Err(HttpsError::Denied { reason }) => {
                let shown = addr.parse::<IpAddr>().unwrap().to_string();
                assert!(
                    reason.contains(&shown),
                    "{addr}: `{reason}` does not name the address"
                );
            }
            other => panic!("{addr}: expected denied, got {other:?}"),
        }
        assert_eq!(resolver.lookups.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn lookup_failures_are_dns_errors() {
    for resolver in [
        fixed(&[]),
        Arc::new(Fixed {
            answers: Err(io::Error::new(io::ErrorKind::NotFound, "no such host")),
            lookups: AtomicUsize::new(0),
        }),
    ] {
        let result = policy(resolver)
            .send(request("GET", "https://api.example.test/"), &Secrets::new())
            .await;
        assert!(matches!(result, Err(HttpsError::Dns { .. })), "{result:?}");
    }
}

#[tokio::test]
async fn ungranted_names_are_never_looked_up() {
    let resolver = fixed(&["1.1.1.1"]);
    let result = policy(resolver.clone())
        .send(
            request("GET", "https://other.example.test/"),
            &Secrets::new(),
        )
        .await;
    assert!(
        matches!(result, Err(HttpsError::Denied { .. })),
        "{result:?}"
    );
    assert_eq!(resolver.lookups.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn localhost_and_ip_literal_grants_skip_the_resolver() {
    let server = Server::http(|_| Action::ok("local")).await;
    // A resolver that would send `localhost` elsewhere is never asked.
    let resolver = fixed(&["10.9.9.9"]);
    let policy = HttpsPolicy::new(
        &[
            grant(&format!("http://localhost:{}/", server.port), &["GET"]),
            grant(&format!("http://127.0.0.1:{}/", server.port), &["GET"]),
        ],
        HttpsOptions {
            resolver: resolver.clone(),
            ..HttpsOptions::default()
        },
    )
    .unwrap();
    for host in ["localhost", "127.0.0.1"] {
        let resp = policy
            .send(
                request("GET", &format!("http://{host}:{}/", server.port)),
                &Secrets::new(),
            )
            .await
            .unwrap();
        assert_eq!(resp.body, b"local");
    }
    assert_eq!(resolver.lookups.load(Ordering::SeqCst), 0);
}

/// A name server that answers nothing until the test opens its gate. Each
/// lookup blocks a thread, as `getaddrinfo` does, and keeps its slot there
/// (as [`yoi_host_apis::https::SystemResolver`] does), then fails.
#[derive(Default)]
struct Stuck {
    gate: Arc<(Mutex<bool>, Condvar)>,
    started: AtomicUsize,
    running: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

impl Stuck {
    fn open(&self) {
        *self.gate.0.lock().unwrap() = true;
        self.gate.1.notify_all();
    }
}

impl Resolve for Stuck {
    fn resolve<'a>(&'a self, _host: &'a str, slot: LookupSlot) -> Resolving<'a> {
        self.started.fetch_add(1, Ordering::SeqCst);
        let (gate, running, most) = (self.gate.clone(), self.running.clone(), self.most.clone());
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let _slot = slot;
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let mut open = gate.0.lock().unwrap();
                while !*open {
                    open = gate.1.wait(open).unwrap();
                }
                running.fetch_sub(1, Ordering::SeqCst);
                Err(io::Error::new(io::ErrorKind::NotFound, "no such host"))
            })
            .await
            .unwrap()
        })
    }
}

/// Opens the gate however the test ends, so no thread stays blocked.
struct OpenOnDrop(Arc<Stuck>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

#[tokio::test]
async fn a_slow_name_server_cannot_pile_up_blocked_lookups() {
    let stuck = Arc::new(Stuck::default());
    let _open = OpenOnDrop(stuck.clone());
    let policy = Arc::new(
        HttpsPolicy::new(
            &[grant("https://api.example.test/", &["GET"])],
            HttpsOptions {
                resolver: stuck.clone(),
                request_timeout: Duration::from_millis(300),
                ..HttpsOptions::default()
            },
        )
        .unwrap(),
    );
    let burst = |n: usize| {
        let mut calls = JoinSet::new();
        for i in 0..n {
            let policy = policy.clone();
            calls.spawn(async move {
                let url = format!("https://api.example.test/v1/{i}");
                policy.send(request("GET", &url), &Secrets::new()).await
            });
        }
        calls.join_all()
    };

    // A plugin fires many calls at a name that never answers, then does it
    // again once they have all timed out: its abandoned lookups still hold
    // their threads, so no new lookup starts.
    for round in 0..2 {
        for result in burst(4 * MAX_LOOKUPS_IN_FLIGHT).await {
            assert!(
                matches!(result, Err(HttpsError::Timeout { .. })),
                "round {round}: {result:?}"
            );
        }
        assert_eq!(stuck.started.load(Ordering::SeqCst), MAX_LOOKUPS_IN_FLIGHT);
        assert_eq!(stuck.running.load(Ordering::SeqCst), MAX_LOOKUPS_IN_FLIGHT);
    }
    assert_eq!(stuck.most.load(Ordering::SeqCst), MAX_LOOKUPS_IN_FLIGHT);

    // Once the name server answers, the threads end and free their slots.
    stuck.open();
    for _ in 0..500 {
        if stuck.running.load(Ordering::SeqCst) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let result = policy
        .send(request("GET", "https://api.example.test/"), &Secrets::new())
        .await;
    assert!(matches!(result, Err(HttpsError::Dns { .. })), "{result:?}");
    assert_eq!(
        stuck.started.load(Ordering::SeqCst),
        MAX_LOOKUPS_IN_FLIGHT + 1
    );
}
