//! The shared resilience suite (cancellation, timeouts, back-pressure,
//! restarts, resets, the pool), under tokio's current-thread and
//! multi-thread runtimes; then what only tokio has: a driver dropped with
//! the runtime that ran it.

use std::time::Duration;

use gibson_test_support::{proxied, unique_prefix, Faults};
use gibson_tokio::{AsyncCommands, Config, Connection, Ttl};

gibson_test_support::suite!(resilience, client: gibson_tokio, runtimes: [tokio, tokio_multi_thread]);

/// The runtime that ran the driver shuts down while a request waits on it:
/// the request is released (GET is resent on a new socket) instead of
/// hanging, and the handle keeps working on the caller's runtime.
#[test]
fn a_driver_dropped_with_its_runtime_releases_its_callers() {
    let (_server, proxy) = proxied();
    let first = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let conn = first
        .block_on(Connection::with_config(
            Config::new(proxy.addr()).response_timeout(Duration::from_secs(4)),
        ))
        .unwrap();
    let p = unique_prefix("rtdrop");
    first
        .block_on(conn.set(format!("{p}k"), "v", Ttl::Never))
        .unwrap();
    proxy.set_faults(Faults {
        latency: Duration::from_millis(300),
        ..Faults::default()
    });
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let conn = conn.clone();
        let key = format!("{p}k");
        std::thread::spawn(move || {
            let outcome = second.block_on(async {
                let started = tokio::time::Instant::now();
                let r = conn.get::<String>(&key).await;
                (r, started.elapsed())
            });
            let _ = tx.send(outcome);
        });
    }
    std::thread::sleep(Duration::from_millis(100));
    first.shutdown_timeout(Duration::from_secs(1));
    let (r, took) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the request hung after its driver was dropped");
    assert!(
        took < Duration::from_secs(4),
        "released only by its deadline"
    );
    // GET is idempotent: resent on a socket opened from the caller's runtime.
    assert_eq!(r.unwrap().as_deref(), Some("v"));
    assert_eq!(conn.connects(), 2);
    proxy.set_faults(Faults::default());
    let third = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    third.block_on(async {
        conn.ping().await.unwrap();
        conn.mdel(&p).await.unwrap();
    });
}
