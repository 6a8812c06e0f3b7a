//! Loopback test servers: plain HTTP and HTTPS with a CA made per test run.
//!
//! Hand-rolled HTTP/1.1 so a test controls exactly what is sent (or not
//! sent) and sees every connection: how many were accepted, what each
//! request carried, and whether the client closed a connection it was left
//! waiting on.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use yoi_host_apis::https::{HttpsOptions, Request};

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
pub enum Action {
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        /// Send `content-length`; otherwise the body ends when the connection closes.
        content_length: bool,
    },
    /// Never answer; wait for the client to go away.
    Hang,
}

impl Action {
    pub fn ok(body: &str) -> Action {
        Action::Reply {
            status: 200,
            headers: vec![],
            body: body.as_bytes().to_vec(),
            content_length: true,
        }
    }

    pub fn redirect(status: u16, location: &str) -> Action {
        Action::Reply {
            status,
            headers: vec![("location".into(), location.into())],
            body: vec![],
            content_length: true,
        }
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Action + Send + Sync>;

#[derive(Default)]
struct State {
    connections: AtomicUsize,
    closed_by_client: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
    request: Notify,
    closed: Notify,
}

pub struct Server {
    pub port: u16,
    state: Arc<State>,
}

impl Server {
    pub async fn http(handler: impl Fn(&Seen) -> Action + Send + Sync + 'static) -> Server {
        Server::start(None, Arc::new(handler)).await
    }

    pub async fn https(
        tls: &TestCa,
        handler: impl Fn(&Seen) -> Action + Send + Sync + 'static,
    ) -> Server {
        Server::start(Some(tls.acceptor()), Arc::new(handler)).await
    }

    async fn start(tls: Option<tokio_rustls::TlsAcceptor>, handler: Handler) -> Server {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let accept_state = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                accept_state.connections.fetch_add(1, Ordering::SeqCst);
                let state = accept_state.clone();
                let handler = handler.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(tls) => {
                            if let Ok(stream) = tls.accept(tcp).await {
                                serve(stream, handler, state).await;
                            }
                        }
                        None => serve(tcp, handler, state).await,
                    }
                });
            }
        });
        Server { port, state }
    }

    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn closed_by_client(&self) -> usize {
        self.state.closed_by_client.load(Ordering::SeqCst)
    }

    /// Wait until a request has been received.
    pub async fn request_arrived(&self) {
        let notified = self.state.request.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.seen().is_empty() {
            notified.await;
        }
    }

    /// Wait (bounded) until the client closed a connection the server left hanging.
    pub async fn client_closed(&self) -> bool {
        let wait = async {
            loop {
                let notified = self.state.closed.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.closed_by_client() > 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .is_ok()
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    handler: Handler,
    state: Arc<State>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 256 * 1024 {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let seen = Seen {
        method,
        path,
        headers,
        body,
    };
    let action = handler(&seen);
    state.seen.lock().unwrap().push(seen);
    state.request.notify_waiters();
    match action {
        Action::Reply {
            status,
            headers,
            body,
            content_length,
        } => {
            let mut out = format!("HTTP/1.1 {status} X\r\nconnection: close\r\n");
            for (n, v) in headers {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
            if content_length {
                out.push_str(&format!("content-length: {}\r\n", body.len()));
            }
            out.push_str("\r\n");
            let _ = stream.write_all(out.as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.shutdown().await;
        }
        Action::Hang => {
            // Read until the client goes away; EOF or a reset both count.
            loop {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            state.closed_by_client.fetch_add(1, Ordering::SeqCst);
            state.closed.notify_waiters();
        }
    }
}

/// A CA made for one test, and a server certificate for `localhost` and
/// `127.0.0.1` signed by it.
pub struct TestCa {
    pub ca_pem: Vec<u8>,
    server: Arc<rustls::ServerConfig>,
}

impl TestCa {
    pub fn new() -> TestCa {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "yoi-host-apis test ca");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);

        let leaf_key = KeyPair::generate().unwrap();
        let mut leaf =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf_cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .unwrap();
        TestCa {
            ca_pem: ca_cert.pem().into_bytes(),
            server: Arc::new(server),
        }
    }

    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.server.clone())
    }

    /// Options that trust this CA only.
    pub fn options(&self) -> HttpsOptions {
        HttpsOptions {
            builtin_roots: false,
            extra_roots_pem: vec![self.ca_pem.clone()],
            ..HttpsOptions::default()
        }
    }
}

pub fn request(method: &str, url: &str) -> Request {
    Request {
        method: method.into(),
        url: url.into(),
        headers: vec![],
        body: None,
    }
}

pub fn grant(url: &str, methods: &[&str]) -> yoi_grants::HttpsGrant {
    let methods: Vec<String> = methods.iter().map(|m| m.to_string()).collect();
    yoi_grants::HttpsGrant::new(url, &methods).unwrap()
}
