//! Behaviour specific to the blocking client: poisoning after a timeout in
//! the middle of a reply, and the checkout pool shared by threads and its
//! bounded wait. The resilience scenarios every client runs are in
//! resilience.rs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gibson_blocking::{Commands, Connection, Error, Pool, Ttl};
use gibson_test_support::resilience::is_response_timeout;
use gibson_test_support::{proxied, unique_prefix, Faults, TestServer};

#[test]
fn timeout_mid_reply_poisons_and_the_next_call_gets_its_own_reply() {
    let (_server, proxy) = proxied();
    let config =
        gibson_blocking::Config::new(proxy.addr()).response_timeout(Duration::from_millis(100));
    let mut conn = Connection::with_config(config).unwrap();
    let p = unique_prefix("midreply");
    let big = vec![b'B'; 256 * 1024];
    conn.set(format!("{p}big"), &big[..], Ttl::Never).unwrap();
    conn.set(format!("{p}small"), "mine", Ttl::Never).unwrap();
    // 256 KiB at 1 MiB/s takes ~250 ms: the reply is cut by the timeout.
    proxy.set_faults(Faults {
        bytes_per_sec: Some(1024 * 1024),
        chunk: Some(16 * 1024),
        ..Faults::default()
    });
    let err = conn.get::<Vec<u8>>(format!("{p}big")).unwrap_err();
    assert!(is_response_timeout(&err), "{err}");
    assert!(
        !conn.is_connected(),
        "a timed-out connection must be closed, not reused"
    );
    proxy.set_faults(Faults::default());
    // The rest of the big reply must not be read as this reply.
    assert_eq!(
        conn.get::<String>(format!("{p}small")).unwrap().as_deref(),
        Some("mine")
    );
    assert_eq!(conn.connects(), 2);
    conn.mdel(&p).unwrap();
}

/// A pool of `sizes` connections that waits `wait` for a free one.
fn pool(server: &TestServer, sizes: std::ops::RangeInclusive<usize>, wait: Duration) -> Pool {
    let mut config = server.config();
    config.pool.min_size = *sizes.start();
    config.pool.max_size = *sizes.end();
    config.pool.wait_timeout = wait;
    Pool::with_config(config).unwrap()
}

#[test]
fn threads_share_a_smaller_pool() {
    let server = TestServer::start();
    let pool = pool(&server, 1..=3, Duration::from_secs(10));
    let p = unique_prefix("pool");
    let done = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let pool = pool.clone();
            let p = p.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let mut conn = pool.checkout().unwrap();
                    let key = format!("{p}{t}:{i}");
                    conn.set(&key, format!("{t}:{i}"), Ttl::Never).unwrap();
                    assert_eq!(conn.get::<String>(&key).unwrap(), Some(format!("{t}:{i}")));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(done.load(Ordering::Relaxed), 8 * 200);
    assert!(pool.open() <= 3, "opened {}", pool.open());
    assert_eq!(pool.checkout().unwrap().count(&p).unwrap(), 1600);
    pool.checkout().unwrap().mdel(&p).unwrap();
}

#[test]
fn an_exhausted_pool_times_out_after_the_bounded_wait() {
    let server = TestServer::start();
    let pool = pool(&server, 0..=2, Duration::from_millis(150));
    let a = pool.checkout().unwrap();
    let b = pool.checkout().unwrap();
    let started = std::time::Instant::now();
    let err = pool.checkout().unwrap_err();
    assert!(matches!(err, Error::PoolExhausted { .. }), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(150));
    drop(a);
    // A returned connection is handed out again.
    let mut c = pool.checkout().unwrap();
    c.ping().unwrap();
    drop((b, c));
    assert_eq!(pool.idle(), 2);
}
