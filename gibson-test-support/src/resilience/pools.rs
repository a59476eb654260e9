//! The async pool: it routes small requests around a member busy with a
//! large reply, bounds the wait when every member is full, and reopens a
//! broken member by itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use gibson_async::Pool;
use gibson_policy::Config;
use gibson_proto::{AsyncCommands as _, Error, Ttl};

use crate::client::AsyncClient;
use crate::runtime::{no_hang, yield_now, Runtime};
use crate::{proxied, unique_prefix, Faults};

/// While one member receives a 9 MB MGET reply, small requests go
/// to the other member and finish first.
pub async fn pool_small_requests_pass_a_big_mget<R: Runtime, C: AsyncClient>() {
    let (_server, proxy) = proxied();
    let mut config = Config::new(proxy.addr()).response_timeout(crate::runtime::HANG);
    config.pool.min_size = 2;
    config.pool.max_size = 2;
    let pool = Pool::<C::Runtime>::with_config(config).await.unwrap();
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
    // At 256 KiB/s the MGET's reply takes over half a minute, a
    // small reply well under a millisecond: no race is left to
    // lose for a client that does not queue small requests behind
    // the MGET, while one that does fails every time.
    proxy.set_faults(Faults {
        bytes_per_sec: Some(256 * 1024),
        ..Faults::default()
    });
    let mut small_done_before_big = 0;
    let finished = Arc::new(AtomicBool::new(false));
    let big = {
        let pool = pool.clone();
        let p = p.clone();
        let finished = finished.clone();
        R::spawn(async move {
            let r = pool.mget::<Bytes, Bytes>(format!("{p}big:")).await;
            finished.store(true, Ordering::SeqCst);
            r
        })
    };
    // Wait until the MGET is in flight on one member.
    let busy = loop {
        if let Some(i) = pool.members().iter().position(|m| m.in_flight() > 0) {
            break i;
        }
        yield_now().await;
    };
    // Deterministic: while it is in flight, the pool routes around it.
    if pool.members()[busy].in_flight() > 0 {
        assert!(
            !std::ptr::eq(pool.pick(), &pool.members()[busy]),
            "picked the busy member"
        );
    }
    assert_eq!(
        pool.get::<String>(format!("{p}small"))
            .await
            .unwrap()
            .as_deref(),
        Some("s")
    );
    if !finished.load(Ordering::SeqCst) {
        small_done_before_big += 1;
    }
    proxy.set_faults(Faults::default());
    let pairs = no_hang::<R, _>("mget", big).await.unwrap();
    assert_eq!(pairs.len(), 160);
    assert!(pairs.iter().all(|(_, v)| v.len() == chunk.len()));
    assert!(
        small_done_before_big >= 1,
        "no small request completed while the {} MB MGET was in flight",
        160 * 60 / 1024
    );
    pool.mdel(&p).await.unwrap();
}

/// One member with room for one request, busy: the next request
/// waits `wait_timeout`, then fails with `PoolExhausted`.
pub async fn pool_exhausted_waits_then_errors<R: Runtime, C: AsyncClient>() {
    let (_server, proxy) = proxied();
    let mut config = Config::new(proxy.addr()).max_in_flight(1);
    config.pool.min_size = 1;
    config.pool.max_size = 1;
    config.pool.wait_timeout = Duration::from_millis(100);
    let pool = Pool::<C::Runtime>::with_config(config).await.unwrap();
    proxy.set_faults(Faults {
        latency: Duration::from_millis(500),
        ..Faults::default()
    });
    let busy = {
        let pool = pool.clone();
        R::spawn(async move { pool.ping().await })
    };
    R::sleep(Duration::from_millis(20)).await;
    let err = pool.ping().await.unwrap_err();
    assert!(matches!(err, Error::PoolExhausted { .. }), "{err}");
    no_hang::<R, _>("busy ping", busy).await.unwrap();
}

/// The health check finds a broken member and reopens it (the
/// first `min_size` members are kept open) without any user
/// request.
pub async fn pool_health_check_reopens_a_broken_member<R: Runtime, C: AsyncClient>() {
    let (_server, proxy) = proxied();
    let mut config = Config::new(proxy.addr());
    config.pool.min_size = 1;
    config.pool.max_size = 1;
    config.pool.health_check_interval = Duration::from_millis(30);
    let pool = Pool::<C::Runtime>::with_config(config).await.unwrap();
    assert_eq!(pool.members()[0].connects(), 1);
    proxy.reset_all();
    let mut reopened = false;
    for _ in 0..200 {
        R::sleep(Duration::from_millis(10)).await;
        let member = &pool.members()[0];
        if member.connects() >= 2 && member.is_connected() {
            reopened = true;
            break;
        }
    }
    assert!(reopened, "the broken member was not reopened");
    pool.ping().await.unwrap();
}
