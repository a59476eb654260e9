//! The fault-scenario suite: what every runtime crate must do when the
//! network or the server misbehaves. Written once, as `async fn`s generic
//! over the client ([`SuiteClient`]), and stamped for every client by
//! [`suite!`](crate::suite!):
//!
//! ```ignore
//! gibson_test_support::suite!(faults, client: gibson_blocking, runtimes: [blocking]);
//! ```
//!
//! Every scenario sends requests whose keys and values are unique and checks
//! that each request got exactly one outcome, and that every reply is the
//! one its own request asked for.

use std::time::{Duration, Instant};

use bytes::Bytes;
use gibson_policy::{Config, RetryPolicy};
use gibson_proto::{Error, ProtocolError, Ttl};

use crate::client::{client, SuiteClient};
use crate::resilience::is_response_timeout;
use crate::{proxied, unique_prefix, Behavior, Faults, HostileServer, Proxy, TestServer};

/// Stamps a `#[test]` per function of the suite, each running it with
/// `$run` (a `block_on`) on the client type `$client`.
#[doc(hidden)]
#[macro_export]
macro_rules! __fault_tests {
    ($run:expr, $client:ty) => {
        $crate::__tests!($run, [$client], faults:
            rst_mid_reply,
            close_mid_reply,
            blackhole_times_out,
            garbage_reply_is_a_protocol_error_and_the_connection_is_rebuilt,
            announced_4_gib_reply_fails_before_allocating,
            truncated_reply_then_close,
            silent_server_times_out,
            one_byte_chunks_both_ways,
            slow_link_timeouts_hold,
            max_clients_refusal,
        );
    };
}

/// Generous bound on any scenario step: failing it means a hang.
const HANG: Duration = Duration::from_secs(20);

/// The pairs of key and value a scenario stores.
type Pairs = Vec<(String, Vec<u8>)>;

/// `n` keys with unique values of `size` bytes.
fn values(p: &str, n: usize, size: usize) -> Pairs {
    (0..n)
        .map(|i| {
            let mut v = format!("{p}{i}:").into_bytes();
            v.resize(size, b'a' + (i % 26) as u8);
            (format!("{p}{i}"), v)
        })
        .collect()
}

/// The test server behind a fault-injecting proxy.
/// SETs every pair of `kv` on `c`, no TTL.
async fn store<C: SuiteClient>(c: &C, kv: &Pairs) {
    for (k, v) in kv {
        c.set(k, &v[..], Ttl::Never).await.unwrap();
    }
}

/// Through a proxy, a client that never resends and ten values of 100
/// bytes it stored under a fresh prefix named after `tag`, then `faults`
/// on the proxy: the server, the proxy, the client, the prefix and the
/// pairs.
async fn ten_stored<C: SuiteClient>(
    tag: &str,
    faults: Faults,
) -> (TestServer, Proxy, C, String, Pairs) {
    let (server, proxy) = proxied();
    let c: C = client(Config::new(proxy.addr()).retry(RetryPolicy::Never)).await;
    let p = unique_prefix(tag);
    let kv = values(&p, 10, 100);
    store(&c, &kv).await;
    proxy.set_faults(faults);
    (server, proxy, c, p, kv)
}

/// Runs a pipeline of GETs over `kv`; checks one outcome each and that
/// every delivered value is the key's own; returns (ok, failed).
async fn checked_gets<C: SuiteClient>(c: &C, kv: &Pairs) -> (usize, Vec<Error>) {
    let mut pipe = c.pipeline();
    let handles: Vec<_> = kv.iter().map(|(k, _)| pipe.get::<Bytes>(k)).collect();
    let results = c.run(pipe).await;
    let mut ok = 0usize;
    let mut failed = Vec::new();
    match results {
        Ok(mut results) => {
            assert_eq!(results.len(), kv.len(), "one outcome per request");
            for (h, (k, v)) in handles.into_iter().zip(kv.iter()) {
                match results.take(h) {
                    Ok(Some(got)) => {
                        assert_eq!(&got[..], &v[..], "reply for {k} went to the wrong request");
                        ok += 1;
                    }
                    Ok(None) => panic!("{k} vanished"),
                    Err(e) => failed.push(e),
                }
            }
        }
        Err(e) => failed.push(e),
    }
    (ok, failed)
}

/// A reset in the middle of a reply: every request fails or gets its own reply, and the client reconnects.
pub async fn rst_mid_reply<C: SuiteClient>() {
    // Each reply is 107 bytes: reset in the middle of the third.
    let faults = Faults {
        reset_after_reply_bytes: Some(250),
        ..Default::default()
    };
    let (_server, proxy, c, p, kv) = ten_stored::<C>("rst", faults).await;
    let started = Instant::now();
    let (ok, failed) = checked_gets(&c, &kv).await;
    assert!(started.elapsed() < HANG);
    // An RST may discard bytes already received, so at most 2 arrive.
    assert!(
        ok <= 2 && ok + failed.len() == kv.len(),
        "{ok} ok, {} failed",
        failed.len()
    );
    for e in &failed {
        assert!(e.is_connection_broken(), "{e}");
    }
    proxy.set_faults(Faults::default());
    assert_eq!(
        c.get::<Bytes>(&kv[9].0).await.unwrap().as_deref(),
        Some(&kv[9].1[..])
    );
    assert_eq!(c.connects(), 2);
    c.mdel(&p).await.unwrap();
}

/// A close in the middle of a reply: the whole replies before it are delivered, the others fail as closed in a reply.
pub async fn close_mid_reply<C: SuiteClient>() {
    let faults = Faults {
        close_after_reply_bytes: Some(250),
        ..Default::default()
    };
    let (_server, proxy, c, p, kv) = ten_stored::<C>("fin", faults).await;
    let (ok, failed) = checked_gets(&c, &kv).await;
    assert_eq!(
        ok, 2,
        "the two whole replies before the close are delivered"
    );
    assert_eq!(failed.len(), 8);
    for e in &failed {
        assert!(
            matches!(e.root(), Error::ConnectionClosed { in_reply: true }),
            "{e}"
        );
    }
    proxy.set_faults(Faults::default());
    assert_eq!(
        c.get::<Bytes>(&kv[0].0).await.unwrap().as_deref(),
        Some(&kv[0].1[..])
    );
    c.mdel(&p).await.unwrap();
}

/// A proxy that forwards nothing: requests time out.
pub async fn blackhole_times_out<C: SuiteClient>() {
    let (_server, proxy) = proxied();
    proxy.set_faults(Faults {
        blackhole: true,
        ..Default::default()
    });
    let c: C = client(Config::new(proxy.addr()).response_timeout(Duration::from_millis(200))).await;
    let started = Instant::now();
    let err = c.ping().await.unwrap_err();
    assert!(is_response_timeout(&err), "{err}");
    let err = c.get::<Bytes>("k").await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < HANG);
}

/// A server that answers garbage: protocol errors, and the connection is rebuilt.
pub async fn garbage_reply_is_a_protocol_error_and_the_connection_is_rebuilt<C: SuiteClient>() {
    let hostile = HostileServer::start(Behavior::Garbage);
    let c: C = client(Config::new(hostile.addr()).retry(RetryPolicy::Never)).await;
    let kv = values("g:", 5, 10);
    let (ok, failed) = checked_gets(&c, &kv).await;
    assert_eq!((ok, failed.len()), (0, 5));
    for e in &failed {
        assert!(
            matches!(
                e.root(),
                Error::Protocol(ProtocolError::UnknownReplyCode(_))
            ),
            "{e}"
        );
    }
    let err = c.ping().await.unwrap_err();
    assert!(matches!(err.root(), Error::Protocol(_)), "{err}");
    assert_eq!(c.connects(), 2, "the broken connection is replaced");
}

/// A reply that announces 4 GiB fails before anything is allocated.
pub async fn announced_4_gib_reply_fails_before_allocating<C: SuiteClient>() {
    let hostile = HostileServer::start(Behavior::HugeAnnounce);
    let c: C = client(Config::new(hostile.addr()).retry(RetryPolicy::Never)).await;
    let err = c.get::<Bytes>("k").await.unwrap_err();
    match err.root().clone() {
        Error::Protocol(ProtocolError::FrameTooLarge { size, .. }) => {
            assert_eq!(size, 7 + u64::from(u32::MAX))
        }
        other => panic!("{other}"),
    }
}

/// A truncated reply, then a close: closed in a reply.
pub async fn truncated_reply_then_close<C: SuiteClient>() {
    let hostile = HostileServer::start(Behavior::Truncate);
    let c: C = client(Config::new(hostile.addr()).retry(RetryPolicy::Never)).await;
    let err = c.get::<Bytes>("k").await.unwrap_err();
    assert!(
        matches!(err.root(), Error::ConnectionClosed { in_reply: true }),
        "{err}"
    );
}

/// A server that never answers: the request times out.
pub async fn silent_server_times_out<C: SuiteClient>() {
    let hostile = HostileServer::start(Behavior::Silent);
    let c: C =
        client(Config::new(hostile.addr()).response_timeout(Duration::from_millis(150))).await;
    let started = Instant::now();
    let err = c.count("p:").await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < HANG);
    assert!(hostile.requests() >= 1);
}

/// Every byte in its own segment, both ways: every reply is whole and its own.
pub async fn one_byte_chunks_both_ways<C: SuiteClient>() {
    let (_server, proxy) = proxied();
    proxy.set_faults(Faults {
        chunk: Some(1),
        ..Default::default()
    });
    let c: C = client(Config::new(proxy.addr())).await;
    let p = unique_prefix("chunk1");
    let kv = values(&p, 30, 40);
    store(&c, &kv).await;
    let (ok, failed) = checked_gets(&c, &kv).await;
    assert_eq!((ok, failed.len()), (30, 0), "{failed:?}");
    let pairs: Vec<(String, Bytes)> = c.mget(&p).await.unwrap();
    assert_eq!(pairs.len(), 30);
    assert_eq!(c.mdel(&p).await.unwrap(), 30);
    assert_eq!(c.connects(), 1);
}

/// A slow link: the timeout holds, and afterwards every reply is still its own request's.
pub async fn slow_link_timeouts_hold<C: SuiteClient>() {
    let (_server, proxy) = proxied();
    let c: C = client(Config::new(proxy.addr()).response_timeout(Duration::from_millis(300))).await;
    let p = unique_prefix("slow");
    let big = vec![b's'; 200 * 1024];
    c.set(format!("{p}big"), &big[..], Ttl::Never)
        .await
        .unwrap();
    c.set(format!("{p}small"), "mine", Ttl::Never)
        .await
        .unwrap();
    // 200 KiB at 100 KB/s: two seconds, far over the timeout.
    proxy.set_faults(Faults {
        latency: Duration::from_millis(10),
        bytes_per_sec: Some(100_000),
        chunk: Some(4096),
        ..Default::default()
    });
    let started = Instant::now();
    let err = c.get::<Bytes>(format!("{p}big")).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the timeout did not hold"
    );
    proxy.set_faults(Faults::default());
    // Afterwards every reply is still its own request's. A
    // multiplexed connection stays up after a timeout, so the
    // next request may wait behind the rest of the slow reply
    // and time out too, but it never gets that reply.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match c.get::<String>(format!("{p}small")).await {
            Ok(v) => {
                assert_eq!(v.as_deref(), Some("mine"));
                break;
            }
            Err(e) => assert!(e.is_timeout() && attempts < 20, "{e}"),
        }
    }
    c.mdel(&p).await.unwrap();
}

/// A server at `max_clients` closes the next client; once a slot frees a new one gets in.
pub async fn max_clients_refusal<C: SuiteClient>() {
    let server = TestServer::embedded_tcp_with(|b| b.max_clients(2));
    let first: C = client(server.config().response_timeout(Duration::from_secs(2))).await;
    first.ping().await.unwrap();
    let second: C = client(server.config().response_timeout(Duration::from_secs(2))).await;
    second.ping().await.unwrap();
    let config = server
        .config()
        .response_timeout(Duration::from_secs(2))
        .connect_attempts(1);
    let started = Instant::now();
    // The third is accepted and closed at once (or refused).
    let third = C::connect(config).await;
    let outcome = match third {
        Err(e) => Err(e),
        Ok(third) => third.ping().await.map(|_| third),
    };
    let err = outcome.map(|_| ()).unwrap_err();
    assert!(
        matches!(err.root(), Error::ConnectionClosed { .. } | Error::Io(_)),
        "{err}"
    );
    assert!(started.elapsed() < HANG);
    drop(second);
    // A slot is free again once the server has seen the close:
    // a new client gets in (a loaded machine may take a while).
    let freed = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let config = server.config().connect_attempts(1);
        let fourth = match C::connect(config).await {
            Ok(fourth) => fourth.ping().await,
            Err(e) => Err(e),
        };
        match fourth {
            Ok(()) => break,
            Err(e) if freed.elapsed() < HANG => {
                assert!(
                    matches!(e.root(), Error::ConnectionClosed { .. } | Error::Io(_)),
                    "{e}"
                );
            }
            Err(e) => panic!("no client got in after a slot freed: {e}"),
        }
    }
    first.ping().await.unwrap();
}
