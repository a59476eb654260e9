//! Many requests in flight on one async connection: cancelled, timed out,
//! abandoned, queued behind a full socket or beyond `max_in_flight`. Every
//! reply must still reach the request that asked for it.

use std::time::{Duration, Instant};

use futures::FutureExt;
use gibson_async::Connection;
use gibson_policy::Config;
use gibson_proto::{AsyncCommands as _, Limits, Ttl, Value};

use crate::client::AsyncClient;
use crate::resilience::is_response_timeout;
use crate::runtime::{no_hang, timeout, unless_it_yields, Runtime};
use crate::{proxied, unique_prefix, Faults, Proxy, Rng, TestServer};

/// A connection through a proxy, `v0`, `v1`, … set under a fresh
/// prefix, then the proxy slowed down by `latency`.
struct Slowed<A: gibson_async::Runtime> {
    _server: TestServer,
    proxy: Proxy,
    conn: Connection<A>,
    p: String,
}

async fn slowed<A: gibson_async::Runtime>(
    tag: &str,
    values: usize,
    latency: Duration,
) -> Slowed<A> {
    let (server, proxy) = proxied();
    let conn = Connection::<A>::with_config(Config::new(proxy.addr()))
        .await
        .unwrap();
    let p = unique_prefix(tag);
    for i in 0..values {
        conn.set(format!("{p}{i}"), format!("v{i}"), Ttl::Never)
            .await
            .unwrap();
    }
    proxy.set_faults(Faults {
        latency,
        ..Faults::default()
    });
    Slowed {
        _server: server,
        proxy,
        conn,
        p,
    }
}

/// Requests dropped before, while and after they are sent, by
/// many tasks at once: every reply that is delivered is the
/// request's own, and the connection stays in step.
pub async fn cancelled_requests_never_shift_replies<R: Runtime, C: AsyncClient>() {
    let server = TestServer::start();
    let conn = Connection::<C::Runtime>::with_config(server.config())
        .await
        .unwrap();
    let prefix = unique_prefix("cancel");
    let tasks = 64;
    let ops = if server.is_external() { 500 } else { 1500 };
    let mut handles = Vec::new();
    for t in 0..tasks {
        let conn = conn.clone();
        let prefix = prefix.clone();
        handles.push(R::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t as u64 + 1));
            let (mut delivered, mut dropped) = (0u32, 0u32);
            for i in 0..ops {
                let key = format!("{prefix}{t}:{i}");
                let value = format!("v{t}:{i}:{}", rng.next_u64());
                // Every reply that is delivered must be this request's own.
                let set = conn.set(&key, &value, Ttl::Never);
                let outcome = match rng.below(4) {
                    0 => timeout::<R, _>(Duration::from_micros(rng.below(300) as u64), set).await,
                    1 => unless_it_yields(set).await,
                    2 => set.now_or_never(),
                    _ => Some(set.await),
                };
                match outcome {
                    Some(r) => {
                        assert_eq!(r.unwrap(), Value::from(value.as_str()));
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
        let (d, x) = no_hang::<R, _>("task", h).await;
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

/// One request times out behind a slow link; the others on the
/// same connection get their replies and the socket stays.
pub async fn one_timeout_leaves_the_others_and_the_connection_healthy<
    R: Runtime,
    C: AsyncClient,
>() {
    let Slowed {
        _server,
        proxy,
        conn,
        p,
    } = slowed::<C::Runtime>("timeout", 10, Duration::from_millis(200)).await;
    let impatient = conn.with_response_timeout(Duration::from_millis(30));
    let slow = R::spawn({
        let impatient = impatient.clone();
        let p = p.clone();
        async move { impatient.get::<String>(format!("{p}0")).await }
    });
    let mut others = Vec::new();
    for i in 1..10 {
        let conn = conn.clone();
        let p = p.clone();
        others.push(R::spawn(async move {
            (i, conn.get::<String>(format!("{p}{i}")).await)
        }));
    }
    let err = no_hang::<R, _>("slow request", slow).await.unwrap_err();
    assert!(is_response_timeout(&err), "{err}");
    for h in others {
        let (i, r) = no_hang::<R, _>("other request", h).await;
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

/// A pipeline that times out is abandoned as a whole: the
/// requests behind it get their own replies and the socket stays.
pub async fn a_pipeline_timeout_leaves_the_connection_in_step<R: Runtime, C: AsyncClient>() {
    let Slowed {
        _server,
        proxy,
        conn,
        p,
    } = slowed::<C::Runtime>("pipetimeout", 20, Duration::from_millis(150)).await;
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
    let (results, single) = futures::future::join(conn.run(pipe), single).await;
    let mut results = results.unwrap();
    for (h, i) in handles.into_iter().zip((0..20).rev()) {
        assert_eq!(results.take(h).unwrap(), Some(format!("v{i}")));
    }
    assert_eq!(single.unwrap().as_deref(), Some("v7"));
    assert_eq!(conn.connects(), 1);
    proxy.set_faults(Faults::default());
    conn.mdel(&p).await.unwrap();
}

/// A pipeline abandoned mid-flight (its future dropped) leaves
/// the connection in step.
pub async fn abandoned_pipeline_keeps_the_connection_in_step<R: Runtime, C: AsyncClient>() {
    let server = TestServer::start();
    let conn = Connection::<C::Runtime>::with_config(server.config())
        .await
        .unwrap();
    let p = unique_prefix("pipedrop");
    for round in 0..50 {
        let mut pipe = conn.pipeline();
        for i in 0..20 {
            let _ = pipe.set(format!("{p}{round}:{i}"), format!("{i}"), Ttl::Never);
        }
        let _ = conn.run(pipe).now_or_never();
        let v = conn.get::<String>(format!("{p}{round}:19")).await.unwrap();
        assert!(v.is_none() || v.as_deref() == Some("19"), "{v:?}");
    }
    let mut pipe = conn.pipeline();
    let a = pipe.set(format!("{p}x"), "1", Ttl::Never);
    let b = pipe.inc(format!("{p}x"));
    let mut results = conn.run(pipe).await.unwrap();
    results.take(a).unwrap();
    assert_eq!(results.take(b).unwrap(), 2);
    assert_eq!(conn.connects(), 1);
    conn.mdel(&p).await.unwrap();
}

/// A server that accepts and never reads: the socket fills, the
/// driver stops taking requests, and the ones left queued must
/// still time out.
pub async fn requests_stuck_behind_a_full_socket_time_out<R: Runtime, C: AsyncClient>() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(4));
        drop(sock);
    });
    let mut limits = Limits::default();
    limits.max_value_size = 64 << 20;
    limits.max_request_size = 64 << 20;
    let config = Config::new(addr.to_string().parse().unwrap())
        .response_timeout(Duration::from_millis(400))
        .limits(limits);
    let conn = Connection::<C::Runtime>::with_config(config).await.unwrap();
    // 8 × 2 MiB: far more than the socket buffers and the high-water mark.
    let big = vec![b'x'; 2 << 20];
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (conn, big) = (conn.clone(), big.clone());
        tasks.push(R::spawn(async move {
            conn.set(format!("big{i}"), big, Ttl::Never)
                .await
                .map(|_| ())
        }));
    }
    for i in 0..32 {
        let conn = conn.clone();
        tasks.push(R::spawn(async move {
            conn.get::<Vec<u8>>(format!("k{i}")).await.map(|_| ())
        }));
    }
    let started = Instant::now();
    for t in tasks {
        let r = timeout::<R, _>(Duration::from_secs(3), t)
            .await
            .expect("a queued request hung past its deadline");
        let err = r.expect_err("nothing can succeed: the server never reads");
        assert!(is_response_timeout(&err), "{err}");
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    holder.join().unwrap();
}

/// Far more concurrent callers than `max_in_flight`: they wait
/// for room and every one gets its own reply.
pub async fn callers_beyond_max_in_flight_wait_and_all_complete<R: Runtime, C: AsyncClient>() {
    let server = TestServer::start();
    let conn = Connection::<C::Runtime>::with_config(server.config().max_in_flight(3))
        .await
        .unwrap();
    let p = unique_prefix("room");
    let mut tasks = Vec::new();
    for t in 0..48 {
        let conn = conn.clone();
        let p = p.clone();
        tasks.push(R::spawn(async move {
            for i in 0..40 {
                let key = format!("{p}{t}:{i}");
                let value = format!("{t}/{i}");
                conn.set(&key, &value, Ttl::Never).await.unwrap();
                assert_eq!(conn.get::<String>(&key).await.unwrap(), Some(value));
            }
        }));
    }
    for t in tasks {
        no_hang::<R, _>("a caller waiting for room", t).await;
    }
    assert_eq!(conn.count(&p).await.unwrap(), 48 * 40);
    assert_eq!(conn.in_flight(), 0);
    assert_eq!(conn.connects(), 1);
    conn.mdel(&p).await.unwrap();
}
