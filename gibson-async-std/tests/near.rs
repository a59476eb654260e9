//! The near cache (gibson-test-support's `near` scenarios) under async-std
//! and under smol.

use gibson_async::{Connection, NearCache, Runtime as Engine};
use gibson_async_std::{AsyncIo, SmolTasks};
use gibson_test_support::near::{self, config};
use gibson_test_support::runtime::{AsyncStd, Runtime, Smol};
use gibson_test_support::{unique_prefix, TestServer};

/// Every scenario on one runtime `R`, its connections on `E`.
fn scenarios<R: Runtime, E: Engine>() {
    let server = TestServer::start();
    R::block_on(async {
        let connect = || async { Connection::<E>::with_config(server.config()).await.unwrap() };
        let prefix = unique_prefix("near-own");
        let own = NearCache::new(connect().await, config(&prefix)).unwrap();
        near::hits_and_own_writes(&own, &prefix).await;

        let prefix = unique_prefix("near-bound");
        let writer = NearCache::new(connect().await, config(&prefix)).unwrap();
        let reader = NearCache::new(connect().await, config(&prefix)).unwrap();
        near::coherent_within_the_bound::<R, _, _>(&writer, &reader, &prefix).await;

        let prefix = unique_prefix("near-prefix");
        let a = NearCache::new(connect().await, config(&prefix)).unwrap();
        let b = NearCache::new(connect().await, config(&prefix)).unwrap();
        near::prefix_write_seen_within_the_bound::<R, _>(&a, &b, &prefix).await;
    });
}

#[test]
fn near_cache_under_async_std() {
    scenarios::<AsyncStd, AsyncIo>();
}

#[test]
fn near_cache_under_smol() {
    scenarios::<Smol, AsyncIo<SmolTasks>>();
}
