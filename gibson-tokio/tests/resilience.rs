//! Cancellation, timeouts, restarts, oversized frames, and the pool.

use std::time::Duration;

use futures::FutureExt;
use gibson_test_support::{unique_prefix, Faults, Proxy, TestServer};
use gibson_tokio::{Connection, Error, Pool, Ttl};

/// A small deterministic PRNG (xorshift64*), seeded per task.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A guard against hangs: every test future must finish within this.
const HANG: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_requests_never_shift_replies() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    let prefix = unique_prefix("cancel");
    let tasks = 64;
    let ops = if server.is_external() { 500 } else { 1500 };
    let mut handles = Vec::new();
    for t in 0..tasks {
        let conn = conn.clone();
        let prefix = prefix.clone();
        handles.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t as u64 + 1));
            let (mut delivered, mut dropped) = (0u32, 0u32);
            for i in 0..ops {
                let key = format!("{prefix}{t}:{i}");
                let value = format!("v{t}:{i}:{}", rng.next());
                // Every reply that is delivered must be this request's own.
                let set = conn.set(&key, &value, Ttl::Never);
                let outcome = match rng.below(4) {
                    0 => tokio::time::timeout(Duration::from_micros(rng.below(300)), set)
                        .await
                        .ok(),
                    1 => tokio::select! {
                        r = set => Some(r),
                        _ = tokio::task::yield_now() => None,
                    },
                    2 => set.now_or_never(),
                    _ => Some(set.await),
                };
                match outcome {
                    Some(r) => {
                        assert_eq!(r.unwrap(), gibson_tokio::Value::from(value.as_str()));
                        delivered += 1;
                    }
                    None => dropped += 1,
                }
                // A GET, possibly cancelled too: if the SET got through (or was
                // abandoned after being sent), the value is ours or absent.
                let get = conn.get::<String>(&key);
                let got = if rng.below(3) == 0 {
                    get.now_or_never()
                } else {
                    Some(get.await)
                };
                if let Some(r) = got {
                    if let Some(v) = r.unwrap() {
                        assert_eq!(v, value, "reply for {key} went astray");
                    }
                }
            }
            (delivered, dropped)
        }));
    }
    let (mut delivered, mut dropped) = (0, 0);
    for h in handles {
        let (d, x) = tokio::time::timeout(HANG, h)
            .await
            .expect("task hung")
            .unwrap();
        delivered += d;
        dropped += x;
    }
    assert!(
        delivered > 0 && dropped > 0,
        "delivered {delivered}, dropped {dropped}"
    );
    // Still usable, same socket, nothing out of step.
    let k = format!("{prefix}final");
    conn.set(&k, "last", Ttl::Never).await.unwrap();
    assert_eq!(
        conn.get::<String>(&k).await.unwrap().as_deref(),
        Some("last")
    );
    assert_eq!(conn.connects(), 1);
    conn.mdel(&prefix).await.unwrap();
}

#[tokio::test]
async fn one_timeout_leaves_the_others_and_the_connection_healthy() {
    let server = TestServer::start();
    let proxy = Proxy::start(server.addr().clone());
    let conn = Connection::with_config(gibson_tokio::Config::new(proxy.addr()))
        .await
        .unwrap();
    let p = unique_prefix("timeout");
    for i in 0..10 {
        conn.set(format!("{p}{i}"), format!("v{i}"), Ttl::Never)
            .await
            .unwrap();
    }
    proxy.set_faults(Faults {
        latency: Duration::from_millis(200),
        ..Faults::default()
    });
    let impatient = conn.with_response_timeout(Duration::from_millis(30));
    let slow = tokio::spawn({
        let impatient = impatient.clone();
        let p = p.clone();
        async move { impatient.get::<String>(format!("{p}0")).await }
    });
    let mut others = Vec::new();
    for i in 1..10 {
        let conn = conn.clone();
        let p = p.clone();
        others.push(tokio::spawn(async move {
            (i, conn.get::<String>(format!("{p}{i}")).await)
        }));
    }
    let err = slow.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                what: "response",
                ..
            }
        ),
        "{err}"
    );
    for h in others {
        let (i, r) = h.await.unwrap();
        assert_eq!(r.unwrap(), Some(format!("v{i}")));
    }
    proxy.set_faults(Faults::default());
    assert_eq!(
        conn.get::<String>(format!("{p}0"))
            .await
            .unwrap()
            .as_deref(),
        Some("v0")
    );
    assert_eq!(
        conn.connects(),
        1,
        "a response timeout must not reset the connection"
    );
    conn.mdel(&p).await.unwrap();
}

async fn restart_scenario(mut server: TestServer) {
    let conn = Connection::with_config(server.config().response_timeout(Duration::from_secs(3)))
        .await
        .unwrap();
    let p = unique_prefix("restart");
    conn.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
    // Requests in flight while the server stops get errors or replies, never hang.
    let mut inflight = Vec::new();
    for i in 0..200 {
        let conn = conn.clone();
        let key = format!("{p}{i}");
        inflight.push(tokio::spawn(async move { conn.inc(key).await }));
    }
    tokio::task::yield_now().await;
    assert!(server.stop());
    let mut errors = 0;
    for h in inflight {
        match tokio::time::timeout(HANG, h)
            .await
            .expect("request hung")
            .unwrap()
        {
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

#[tokio::test]
async fn server_restart_tcp() {
    let server = TestServer::start();
    if server.is_external() {
        // The scenario stops and restarts the server: not possible for one
        // started outside the test (GIBSON_TEST_ADDR).
        eprintln!("skipped: cannot stop and restart an external server");
        return;
    }
    restart_scenario(server).await;
}

#[tokio::test]
async fn server_restart_unix() {
    let server = TestServer::start_unix();
    if server.is_external() {
        // As above: an external server cannot be stopped and restarted.
        eprintln!("skipped: cannot stop and restart an external server");
        return;
    }
    restart_scenario(server).await;
}

#[tokio::test]
async fn oversized_request_is_refused_before_writing() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    let p = unique_prefix("bigreq");
    let big = vec![b'x'; 3 * 1024 * 1024];
    let (small, huge) = tokio::join!(
        conn.set(format!("{p}small"), "ok", Ttl::Never),
        conn.set(format!("{p}big"), &big[..], Ttl::Never)
    );
    assert_eq!(small.unwrap(), gibson_tokio::Value::from("ok"));
    match huge.unwrap_err() {
        Error::InvalidArgument { arg, rule } => {
            assert_eq!(arg, "value", "{rule}");
        }
        other => panic!("{other}"),
    }
    // A request that passes the value limit but not the request limit.
    let mut limits = gibson_proto::Limits::default();
    limits.max_request_size = 1024;
    let tight = Connection::with_config(server.config().limits(limits))
        .await
        .unwrap();
    let err = tight
        .set(format!("{p}mid"), &big[..2000], Ttl::Never)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { arg: "request", .. }),
        "{err}"
    );
    tight.ping().await.unwrap();
    assert_eq!(conn.connects(), 1);
    assert_eq!(tight.connects(), 1);
    conn.mdel(&p).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_small_requests_pass_a_big_mget() {
    let server = TestServer::start();
    let mut config = server.config();
    config.pool.min_size = 2;
    config.pool.max_size = 2;
    let pool = Pool::with_config(config).await.unwrap();
    let p = unique_prefix("poolmget");
    let chunk = vec![b'z'; 60 * 1024];
    for i in 0..160 {
        pool.set(format!("{p}big:{i:03}"), &chunk[..], Ttl::Never)
            .await
            .unwrap();
    }
    pool.set(format!("{p}small"), "s", Ttl::Never)
        .await
        .unwrap();
    // The embedded server is single-threaded and builds the whole 9 MB reply
    // before it serves the other socket, so "a small request finished
    // first" is a race it can lose; a client that queued small requests
    // behind the MGET would lose it every time. Up to 3 attempts.
    let mut passed_before_big = 0;
    for _attempt in 0..3 {
        let big = {
            let pool = pool.clone();
            let p = p.clone();
            tokio::spawn(async move {
                pool.mget::<bytes::Bytes, bytes::Bytes>(format!("{p}big:"))
                    .await
            })
        };
        // Wait until the MGET is in flight on one member.
        let busy = loop {
            if let Some(i) = pool.members().iter().position(|m| m.in_flight() > 0) {
                break i;
            }
            tokio::task::yield_now().await;
        };
        // Deterministic: while it is in flight, the pool routes around it.
        if !big.is_finished() {
            assert!(
                !std::ptr::eq(pool.pick(), &pool.members()[busy]),
                "picked the busy member"
            );
        }
        let mut small_done_before_big = 0;
        while !big.is_finished() {
            assert_eq!(
                pool.get::<String>(format!("{p}small"))
                    .await
                    .unwrap()
                    .as_deref(),
                Some("s")
            );
            if !big.is_finished() {
                small_done_before_big += 1;
            }
        }
        let pairs = big.await.unwrap().unwrap();
        assert_eq!(pairs.len(), 160);
        assert!(pairs.iter().all(|(_, v)| v.len() == chunk.len()));
        passed_before_big = small_done_before_big;
        if passed_before_big >= 1 {
            break;
        }
    }
    assert!(
        passed_before_big >= 1,
        "no small request completed while the {} MB MGET was in flight (3 attempts)",
        160 * 60 / 1024
    );
    pool.mdel(&p).await.unwrap();
}

#[tokio::test]
async fn pool_exhausted_waits_then_errors() {
    let server = TestServer::start();
    let proxy = Proxy::start(server.addr().clone());
    let mut config = gibson_tokio::Config::new(proxy.addr()).max_in_flight(1);
    config.pool.min_size = 1;
    config.pool.max_size = 1;
    config.pool.wait_timeout = Duration::from_millis(100);
    let pool = Pool::with_config(config).await.unwrap();
    proxy.set_faults(Faults {
        latency: Duration::from_millis(500),
        ..Faults::default()
    });
    let busy = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.ping().await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let err = pool.ping().await.unwrap_err();
    assert!(matches!(err, Error::PoolExhausted { .. }), "{err}");
    busy.await.unwrap().unwrap();
}
