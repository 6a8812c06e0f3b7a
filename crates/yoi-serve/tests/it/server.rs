//! The server on a loopback port: the bound address, a clear error for an
//! address in use, and the three ways draining ends.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::{mpsc, oneshot};
use yoi_serve::{ServeError, Server, Stopped};

/// `/slow` never answers; each request to it is reported on `entered`.
fn app(entered: mpsc::UnboundedSender<()>) -> Router {
    Router::new()
        .route("/fast", get(|| async { "fast" }))
        .route(
            "/slow",
            get(move || {
                let _ = entered.send(());
                std::future::pending::<&str>()
            }),
        )
}

async fn bind() -> (Server, mpsc::UnboundedReceiver<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), app(tx))
        .await
        .unwrap();
    (server, rx)
}

/// Send a GET on a fresh connection; the connection stays open.
async fn open(addr: SocketAddr, path: &str) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn the_bound_address_is_known_and_a_taken_one_is_an_error() {
    let (server, _) = bind().await;
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0, "the actual port is reported");
    let (tx, _rx) = mpsc::unbounded_channel();
    let err = Server::bind(addr, app(tx)).await.unwrap_err();
    assert!(
        matches!(err, ServeError::Bind { addr: a, .. } if a == addr),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("cannot listen on `{addr}`: "))
    );
}

#[tokio::test]
async fn it_serves_until_asked_and_then_drains() {
    let (server, _) = bind().await;
    let addr = server.local_addr();
    let (stop, stopped) = oneshot::channel::<&str>();
    let task = tokio::spawn(async move {
        let (why, draining) = server.run(async { stopped.await.unwrap() }).await?;
        Ok::<_, ServeError>((
            why,
            draining
                .finish(Duration::from_secs(30), std::future::pending::<()>())
                .await?,
        ))
    });
    let mut stream = open(addr, "/fast").await;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("fast"), "{reply}");
    stop.send("asked").unwrap();
    let (why, stopped) = task.await.unwrap().unwrap();
    assert_eq!(why, "asked");
    assert_eq!(stopped, Stopped::Drained);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn a_request_still_open_is_cut_off_after_the_grace_period_or_at_once_if_hurried() {
    for hurried in [false, true] {
        let (server, mut entered) = bind().await;
        let _stream = open(server.local_addr(), "/slow").await;
        let (_, draining) = server.run(entered.recv()).await.unwrap();
        let (hurry, hurried_by) = oneshot::channel::<&str>();
        if hurried {
            hurry.send("again").unwrap();
        } else {
            drop(hurry);
        }
        let grace = if hurried {
            Duration::from_secs(600)
        } else {
            Duration::from_millis(50)
        };
        let stopped = draining
            .finish(grace, async {
                match hurried_by.await {
                    Ok(why) => why,
                    Err(_) => std::future::pending().await,
                }
            })
            .await
            .unwrap();
        let expected = if hurried {
            Stopped::Hurried("again")
        } else {
            Stopped::GraceExpired
        };
        assert_eq!(stopped, expected);
    }
}
