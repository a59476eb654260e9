//! An async connection's socket goes away (server restart, reset) or is
//! given up (every handle dropped): requests in flight get a reply or a
//! clear error, only idempotent ones are resent, and the connection comes
//! back by itself.

use std::time::Duration;

use gibson_async::Connection;
use gibson_policy::{Config, RetryPolicy};
use gibson_proto::{AsyncCommands as _, Error, Ttl};

use crate::client::AsyncClient;
use crate::runtime::{no_hang, yield_now, Runtime};
use crate::{proxied, unique_prefix, Faults, TestServer};

/// The server stops with 200 requests in flight and starts again.
pub async fn server_restart_tcp<R: Runtime, C: AsyncClient>() {
    restart_scenario::<R, C>(TestServer::start()).await;
}

/// As [`server_restart_tcp`], over a Unix socket (Unix only).
#[cfg(unix)]
pub async fn server_restart_unix<R: Runtime, C: AsyncClient>() {
    restart_scenario::<R, C>(TestServer::start_unix()).await;
}

async fn restart_scenario<R: Runtime, C: AsyncClient>(mut server: TestServer) {
    if server.is_external() {
        // The scenario stops and restarts the server: not possible for one
        // started outside the test (GIBSON_TEST_ADDR).
        eprintln!("skipped: cannot stop and restart an external server");
        return;
    }
    let conn = Connection::<C::Runtime>::with_config(
        server.config().response_timeout(Duration::from_secs(3)),
    )
    .await
    .unwrap();
    let p = unique_prefix("restart");
    conn.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
    // Requests in flight while the server stops get errors or replies, never hang.
    let mut inflight = Vec::new();
    for i in 0..200 {
        let conn = conn.clone();
        let key = format!("{p}{i}");
        inflight.push(R::spawn(async move { conn.inc(key).await }));
    }
    yield_now().await;
    assert!(server.stop());
    let mut errors = 0;
    for h in inflight {
        match no_hang::<R, _>("request", h).await {
            Ok(n) => assert_eq!(n, 1),
            Err(e) => {
                errors += 1;
                assert!(e.is_connection_broken() || matches!(e, Error::Io(_)), "{e}");
            }
        }
    }
    // While the server is down, requests fail fast with a clear error.
    let err = conn.ping().await.unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err}");
    assert!(server.restart());
    // The client recovers without user action (the store is new).
    conn.ping().await.unwrap();
    assert_eq!(conn.get::<String>(format!("{p}k")).await.unwrap(), None);
    assert!(conn.connects() >= 2);
    eprintln!("{errors} of 200 in-flight requests failed at the stop");
}

/// A reset connection: GET (idempotent) is resent once on a new
/// socket and succeeds, INC never is and fails; with
/// `RetryPolicy::Never` nothing is.
pub async fn only_idempotent_requests_are_retried<R: Runtime, C: AsyncClient>() {
    let (_server, proxy) = proxied();
    for policy in [RetryPolicy::Idempotent, RetryPolicy::Never] {
        let conn = Connection::<C::Runtime>::with_config(Config::new(proxy.addr()).retry(policy))
            .await
            .unwrap();
        let p = unique_prefix("retry");
        conn.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
        proxy.set_faults(Faults {
            latency: Duration::from_millis(150),
            ..Faults::default()
        });
        let get = R::spawn({
            let conn = conn.clone();
            let p = p.clone();
            async move { conn.get::<String>(format!("{p}k")).await }
        });
        let inc = R::spawn({
            let conn = conn.clone();
            let p = p.clone();
            async move { conn.inc(format!("{p}n")).await }
        });
        R::sleep(Duration::from_millis(50)).await;
        assert_eq!(conn.in_flight(), 2);
        proxy.reset_all();
        let got = no_hang::<R, _>("get", get).await;
        let err = no_hang::<R, _>("inc", inc).await.unwrap_err();
        assert!(err.is_connection_broken(), "{err}");
        match policy {
            RetryPolicy::Idempotent => assert_eq!(got.unwrap().as_deref(), Some("v")),
            _ => assert!(got.unwrap_err().is_connection_broken()),
        }
        proxy.set_faults(Faults::default());
        conn.ping().await.unwrap();
        assert!(conn.connects() >= 2);
        conn.mdel(&p).await.unwrap();
    }
}

/// A clone keeps the connection open; dropping the last handle
/// closes the socket.
pub async fn dropping_every_handle_closes_the_socket<R: Runtime, C: AsyncClient>() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = futures::channel::oneshot::channel();
    std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut buf = [0u8; 16];
        let _ = tx.send(sock.read(&mut buf));
    });
    let conn =
        Connection::<C::Runtime>::with_config(Config::new(addr.to_string().parse().unwrap()))
            .await
            .unwrap();
    let clone = conn.clone();
    drop(conn);
    R::sleep(Duration::from_millis(50)).await;
    assert!(clone.is_connected(), "a clone still holds the connection");
    drop(clone);
    let read = no_hang::<R, _>("the watcher", rx)
        .await
        .expect("the watcher thread");
    assert_eq!(
        read.expect("the socket outlived every handle (read timed out)"),
        0,
        "EOF expected"
    );
}
