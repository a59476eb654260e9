//! How an async connection survives its peer: a peer gone silent, an
//! outage, a connection reset under INCs, a peer that is not Gibson, too
//! many waiting callers, big values beside small ones. Plain functions,
//! generic over the executor (`E`) and the client's runtime (`R`); each
//! runtime crate runs them from a `#[test]` of the same name:
//!
//! ```ignore
//! #[test]
//! fn a_silent_peer_is_replaced() {
//!     Tokio::block_on(failures::a_silent_peer_is_replaced::<Tokio, gibson_tokio::Tokio>())
//! }
//! ```

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use gibson_async::{Connection, Runtime};
use gibson_policy::Config;
use gibson_proto::{AsyncCommands, Error, Ttl};

use crate::runtime::{no_hang, Runtime as Executor};
use crate::{proxied, unique_prefix, Faults};

/// The connection's peer freezes (requests are swallowed, the socket
/// stays open): the requests waiting time out, the connection is found
/// silent and dropped, and a later request works on a new one.
pub async fn a_silent_peer_is_replaced<E: Executor, R: Runtime>() {
    let (_server, proxy) = proxied();
    let timeout = Duration::from_millis(500);
    let conn = Connection::<R>::with_config(Config::new(proxy.addr()).response_timeout(timeout))
        .await
        .unwrap();
    let p = unique_prefix("silent");
    conn.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
    proxy.freeze_open();
    let frozen_at = Instant::now();
    let err = conn.get::<String>(format!("{p}k")).await.unwrap_err();
    assert!(err.is_timeout() && err.may_have_executed(), "{err}");
    // Until the silent connection is dropped, requests time out; then one
    // goes through on a new connection.
    let value = no_hang::<E, _>("recovery", async {
        loop {
            match conn.get::<String>(format!("{p}k")).await {
                Ok(v) => return v,
                Err(e) => assert!(e.is_timeout(), "{e}"),
            }
        }
    })
    .await;
    assert_eq!(value.as_deref(), Some("v"));
    assert_eq!(conn.connects(), 2, "the silent connection was replaced");
    eprintln!("recovered {:?} after the peer froze", frozen_at.elapsed());
    conn.del(format!("{p}k")).await.unwrap();
}

/// The port refuses: 32 callers on one connection each get the connect
/// error, which names the server.
pub async fn an_outage_fails_every_caller_with_the_address<E: Executor, R: Runtime>() {
    let addr = refused_addr();
    let config: Config = format!("gibson://{addr}?attempts=3&backoff=5ms")
        .parse()
        .unwrap();
    let conn = Connection::<R>::lazy(config).unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let conn = conn.clone();
            E::spawn(async move { conn.get::<String>(format!("k{i}")).await })
        })
        .collect();
    for t in tasks {
        let err = no_hang::<E, _>("a caller in the outage", t)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Io(_)), "{err}");
        assert!(
            err.to_string().contains(&addr),
            "{err} does not name {addr}"
        );
    }
    eprintln!("32 callers failed in {:?}", started.elapsed());
}

/// INCs through a proxy that resets connections mid-reply: every INC is
/// acknowledged, reported as "may have executed", or reported as not
/// sent, and the counter lies between the acknowledged count and that
/// plus the "may have executed" ones.
pub async fn incs_through_resets_each_have_one_outcome<E: Executor, R: Runtime>() {
    let (_server, proxy) = proxied();
    let conn = Connection::<R>::with_config(Config::new(proxy.addr()))
        .await
        .unwrap();
    let p = unique_prefix("increset");
    let key = format!("{p}n");
    conn.set(&key, "0", Ttl::Never).await.unwrap();
    let (mut acked, mut maybe, mut unsent) = (0u64, 0u64, 0u64);
    for round in 0..20u64 {
        proxy.set_faults(Faults {
            reset_after_reply_bytes: Some(8 * (round % 5) + 3),
            ..Faults::default()
        });
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (conn, key) = (conn.clone(), key.clone());
                E::spawn(async move { conn.inc(key).await })
            })
            .collect();
        for t in tasks {
            match no_hang::<E, _>("an INC", t).await {
                Ok(_) => acked += 1,
                Err(e) if e.may_have_executed() => maybe += 1,
                Err(e @ (Error::NotSent { .. } | Error::Io(_))) => {
                    assert!(!e.may_have_executed(), "{e}");
                    unsent += 1
                }
                Err(e) => panic!("an INC failed without saying whether it ran: {e}"),
            }
        }
    }
    proxy.set_faults(Faults::default());
    let n: i64 = conn.get::<i64>(&key).await.unwrap().unwrap();
    let n = u64::try_from(n).unwrap();
    assert!(
        acked <= n && n <= acked + maybe,
        "counter {n}: {acked} acknowledged, {maybe} may have executed, {unsent} not sent"
    );
    assert!(maybe > 0, "the resets cut no INC: the test proves nothing");
    conn.del(&key).await.unwrap();
}

/// A peer that answers like an HTTP server is named as not Gibson.
pub async fn a_peer_that_is_not_gibson_is_named<E: Executor, R: Runtime>() {
    let (addr, http) = http_peer();
    let config = Config::new(addr.parse().unwrap()).retry(gibson_policy::RetryPolicy::Never);
    let conn = Connection::<R>::with_config(config).await.unwrap();
    let err = no_hang::<E, _>("the request", conn.ping())
        .await
        .unwrap_err();
    assert_names_not_gibson(&err, &addr);
    http.join().unwrap();
}

/// A loopback address nobody listens on (a port just freed): it refuses.
fn refused_addr() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// A peer that reads one request and answers like an HTTP server: its
/// address, and the thread that serves it once.
fn http_peer() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let http = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let _ = sock.read(&mut buf);
        let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    (addr, http)
}

/// `err` names the peer at `addr` as not a Gibson server.
fn assert_names_not_gibson(err: &Error, addr: &str) {
    assert!(matches!(err.root(), Error::Protocol(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("does not answer like a Gibson server"),
        "{text}"
    );
    assert!(text.contains(addr), "{text}");
}

/// With `max_waiting`, callers beyond it are refused as busy at once
/// while the ones admitted wait (here, for a server that never answers).
pub async fn callers_beyond_max_waiting_are_refused_as_busy<E: Executor, R: Runtime>() {
    let (_server, proxy) = proxied();
    proxy.set_faults(Faults {
        blackhole: true,
        ..Faults::default()
    });
    let config = Config::new(proxy.addr())
        .response_timeout(Duration::from_millis(500))
        .max_in_flight(1)
        .max_waiting(Some(4));
    let conn = Connection::<R>::lazy(config).unwrap();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let conn = conn.clone();
            E::spawn(async move { conn.get::<String>(format!("k{i}")).await })
        })
        .collect();
    let (mut busy, mut timed_out) = (0, 0);
    for t in tasks {
        match no_hang::<E, _>("a caller", t).await.unwrap_err() {
            Error::Busy { waiting, .. } => {
                assert!(waiting >= 4, "refused with {waiting} waiting");
                busy += 1;
            }
            e if e.is_timeout() => timed_out += 1,
            e => panic!("{e}"),
        }
    }
    assert!(busy >= 1, "nobody was refused");
    assert!(timed_out >= 1, "nobody was admitted");
}

/// A value as big as the default limits allow (and Gibson's default
/// maximum item size of 1 MB).
const BIG: usize = 1_000_000;

/// A GET on a connection busy writing a big SET completes while the SET
/// still travels: big requests take the other lane.
pub async fn small_requests_pass_a_big_set<E: Executor, R: Runtime>() {
    let (_server, proxy) = proxied();
    let conn = Connection::<R>::with_config(
        Config::new(proxy.addr()).response_timeout(crate::runtime::HANG),
    )
    .await
    .unwrap();
    let p = unique_prefix("lane");
    conn.set(format!("{p}small"), "v", Ttl::Never)
        .await
        .unwrap();
    // 1 MB at 128 KiB/s: the SET takes about 8 s.
    proxy.set_faults(Faults {
        bytes_per_sec: Some(128 * 1024),
        ..Faults::default()
    });
    let big = vec![b'x'; BIG];
    let reads = proxy.request_reads();
    let set = {
        let (conn, key) = (conn.clone(), format!("{p}big"));
        E::spawn(async move { conn.set(key, big, Ttl::Never).await.map(drop) })
    };
    // The SET is on its way once the proxy has read some of it.
    no_hang::<E, _>("the big SET's first bytes", async {
        while proxy.request_reads() == reads {
            E::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let get = no_hang::<E, _>("the small GET", conn.get::<String>(format!("{p}small")))
        .await
        .unwrap();
    assert_eq!(get.as_deref(), Some("v"));
    let mut set = set;
    assert!(
        futures::FutureExt::now_or_never(&mut set).is_none(),
        "the big SET was done before the small GET"
    );
    proxy.set_faults(Faults::default());
    no_hang::<E, _>("the big SET", set).await.unwrap();
    let stored = conn.get::<Vec<u8>>(format!("{p}big")).await.unwrap();
    assert_eq!(stored.map(|v| v.len()), Some(BIG));
    conn.mdel(&p).await.unwrap();
}

/// The same failures on the blocking client, where they apply (one
/// request at a time: a timed-out socket is always dropped, so a silent
/// peer costs one timeout; no lanes, no waiting callers).
pub mod blocking {

    use gibson_blocking::{Connection, Pool};
    use gibson_policy::Config;
    use gibson_proto::{Commands, Error, Ttl};

    use crate::{proxied, unique_prefix, Faults};

    /// A pool's checkout fails at once with the connect error, naming the
    /// server, when the server cannot be reached.
    pub fn checkout_fails_fast_when_the_server_is_down() {
        let addr = super::refused_addr();
        let pool = Pool::with_config(
            format!("gibson://{addr}?attempts=2&backoff=5ms&pool_min=0")
                .parse()
                .unwrap(),
        )
        .unwrap();
        let err = pool.checkout().map(drop).unwrap_err();
        assert!(matches!(err, Error::Io(_)), "{err}");
        assert!(err.to_string().contains(&addr), "{err}");
        assert_eq!(pool.open(), 0, "the failed connection is not counted");
    }

    /// INCs through resets: acknowledged, may have executed, or not sent;
    /// the counter lies between.
    pub fn incs_through_resets_each_have_one_outcome() {
        let (_server, proxy) = proxied();
        let mut conn = Connection::with_config(Config::new(proxy.addr())).unwrap();
        let p = unique_prefix("bincreset");
        let key = format!("{p}n");
        conn.set(&key, "0", Ttl::Never).unwrap();
        let (mut acked, mut maybe) = (0u64, 0u64);
        for round in 0..60u64 {
            proxy.set_faults(Faults {
                reset_after_reply_bytes: Some(round % 12),
                ..Faults::default()
            });
            match conn.inc(&key) {
                Ok(_) => acked += 1,
                Err(e) if e.may_have_executed() => maybe += 1,
                Err(e @ (Error::NotSent { .. } | Error::Io(_))) => {
                    assert!(!e.may_have_executed(), "{e}")
                }
                Err(e) => panic!("an INC failed without saying whether it ran: {e}"),
            }
        }
        proxy.set_faults(Faults::default());
        let n = u64::try_from(conn.get::<i64>(&key).unwrap().unwrap()).unwrap();
        assert!(
            acked <= n && n <= acked + maybe,
            "counter {n}: {acked} acknowledged, {maybe} may have executed"
        );
        assert!(maybe > 0, "the resets cut no INC: the test proves nothing");
        conn.del(&key).unwrap();
    }

    /// A peer that answers like an HTTP server is named as not Gibson.
    pub fn a_peer_that_is_not_gibson_is_named() {
        let (addr, http) = super::http_peer();
        let config = Config::new(addr.parse().unwrap()).retry(gibson_policy::RetryPolicy::Never);
        let mut conn = Connection::with_config(config).unwrap();
        let err = conn.ping().unwrap_err();
        super::assert_names_not_gibson(&err, &addr);
        http.join().unwrap();
    }
}
