//! The paths of the shared request queue that the conformance and
//! resilience suites do not reach: deadlines of requests the driver has not
//! written yet, back-pressure, pipelines that time out, handles dropped,
//! and a driver dropped with its runtime.

use std::net::TcpListener;
use std::time::Duration;

use gibson_test_support::{unique_prefix, Faults, Proxy, TestServer};
use gibson_tokio::{Config, Connection, Error, Ttl};

fn is_response_timeout(e: &Error) -> bool {
    matches!(
        e,
        Error::Timeout {
            what: "response",
            ..
        }
    )
}

/// A server that accepts and never reads: the socket fills, the driver
/// stops taking requests, and the ones left queued must still time out.
#[tokio::test]
async fn requests_stuck_behind_a_full_socket_time_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(4));
        drop(sock);
    });
    let mut limits = gibson_proto::Limits::default();
    limits.max_value_size = 64 << 20;
    limits.max_request_size = 64 << 20;
    let config = Config::new(addr.to_string().parse().unwrap())
        .response_timeout(Duration::from_millis(400))
        .limits(limits);
    let conn = Connection::with_config(config).await.unwrap();
    // 8 × 2 MiB: far more than the socket buffers and the high-water mark.
    let big = vec![b'x'; 2 << 20];
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (conn, big) = (conn.clone(), big.clone());
        tasks.push(tokio::spawn(async move {
            conn.set(format!("big{i}"), big, Ttl::Never)
                .await
                .map(|_| ())
        }));
    }
    for i in 0..32 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            conn.get::<Vec<u8>>(format!("k{i}")).await.map(|_| ())
        }));
    }
    let started = tokio::time::Instant::now();
    for t in tasks {
        let r = tokio::time::timeout(Duration::from_secs(3), t)
            .await
            .expect("a queued request hung past its deadline")
            .unwrap();
        let err = r.expect_err("nothing can succeed: the server never reads");
        assert!(is_response_timeout(&err), "{err}");
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    holder.join().unwrap();
}

/// Far more concurrent callers than `max_in_flight`, on two worker
/// threads: they wait for room and every one gets its own reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_beyond_max_in_flight_wait_and_all_complete() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config().max_in_flight(3))
        .await
        .unwrap();
    let p = unique_prefix("room");
    let mut tasks = Vec::new();
    for t in 0..48 {
        let conn = conn.clone();
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..40 {
                let key = format!("{p}{t}:{i}");
                let value = format!("{t}/{i}");
                conn.set(&key, &value, Ttl::Never).await.unwrap();
                assert_eq!(conn.get::<String>(&key).await.unwrap(), Some(value));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(conn.count(&p).await.unwrap(), 48 * 40);
    assert_eq!(conn.in_flight(), 0);
    assert_eq!(conn.connects(), 1);
    conn.mdel(&p).await.unwrap();
}

/// A pipeline that times out is abandoned as a whole: the requests behind
/// it get their own replies and the socket stays.
#[tokio::test]
async fn a_pipeline_timeout_leaves_the_connection_in_step() {
    let server = TestServer::start();
    let proxy = Proxy::start(server.addr().clone());
    let conn = Connection::with_config(Config::new(proxy.addr()))
        .await
        .unwrap();
    let p = unique_prefix("pipetimeout");
    for i in 0..20 {
        conn.set(format!("{p}{i}"), format!("v{i}"), Ttl::Never)
            .await
            .unwrap();
    }
    proxy.set_faults(Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    });
    let impatient = conn.with_response_timeout(Duration::from_millis(20));
    let mut pipe = impatient.pipeline();
    for i in 0..20 {
        let _ = pipe.get::<String>(format!("{p}{i}"));
    }
    let err = impatient.run(pipe).await.unwrap_err();
    assert!(is_response_timeout(&err), "{err}");
    // Queued right behind the abandoned pipeline.
    let mut pipe = conn.pipeline();
    let handles: Vec<_> = (0..20)
        .rev()
        .map(|i| pipe.get::<String>(format!("{p}{i}")))
        .collect();
    let single = conn.get::<String>(format!("{p}7"));
    let (results, single) = tokio::join!(conn.run(pipe), single);
    let mut results = results.unwrap();
    for (h, i) in handles.into_iter().zip((0..20).rev()) {
        assert_eq!(results.take(h).unwrap(), Some(format!("v{i}")));
    }
    assert_eq!(single.unwrap().as_deref(), Some("v7"));
    assert_eq!(conn.connects(), 1);
    proxy.set_faults(Faults::default());
    conn.mdel(&p).await.unwrap();
}

/// Dropping the last handle closes the socket.
#[tokio::test]
async fn dropping_every_handle_closes_the_socket() {
    use std::io::Read;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let watcher = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut buf = [0u8; 16];
        sock.read(&mut buf)
    });
    let conn = Connection::with_config(Config::new(addr.to_string().parse().unwrap()))
        .await
        .unwrap();
    let clone = conn.clone();
    drop(conn);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(clone.is_connected(), "a clone still holds the connection");
    drop(clone);
    let read = tokio::task::spawn_blocking(move || watcher.join().unwrap())
        .await
        .unwrap();
    assert_eq!(
        read.expect("the socket outlived every handle (read timed out)"),
        0,
        "EOF expected"
    );
}

/// The runtime that ran the driver shuts down while a request waits on it:
/// the request is released (GET is resent on a new socket) instead of
/// hanging, and the handle keeps working on the caller's runtime.
#[test]
fn a_driver_dropped_with_its_runtime_releases_its_callers() {
    let server = TestServer::start();
    let proxy = Proxy::start(server.addr().clone());
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
