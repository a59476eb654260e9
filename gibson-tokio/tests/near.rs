//! The near cache (gibson-test-support's `near` scenarios) over a
//! connection, a pool and a sharded client.

use std::future::Future;

use gibson_test_support::cluster::Cluster;
use gibson_test_support::near::{self, config};
use gibson_test_support::runtime::{Runtime, Tokio};
use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{Config, Connection, NearCache, Pool, Sharded};

/// Runs `scenario` on tokio with the configuration of the test server
/// and a fresh key prefix named after `tag`.
fn on_server<F: Future>(tag: &str, scenario: impl FnOnce(Config, String) -> F) -> F::Output {
    let server = TestServer::start();
    Tokio::block_on(scenario(server.config(), unique_prefix(tag)))
}

#[test]
fn hits_come_from_memory_and_own_writes_are_seen_at_once() {
    #[cfg(feature = "metrics")]
    let _turn = gibson_test_support::observe::install_recorder();
    let hits = || gibson_test_support::observe::counted("gibson.client.near.hits");
    let before = hits();
    let counted = on_server("near-own", |server, prefix| async move {
        let conn = Connection::with_config(server).await.unwrap();
        let near = NearCache::new(conn, config(&prefix)).unwrap();
        near::hits_and_own_writes(&near, &prefix).await;
        near.near_stats().hits
    });
    if cfg!(feature = "metrics") {
        assert_eq!(
            hits() - before,
            counted,
            "the metric counts what near_stats does"
        );
    }
}

#[test]
fn no_read_is_older_than_the_bound_across_two_near_caches() {
    on_server("near-bound", |server, prefix| async move {
        let writer = Pool::with_config(server.clone()).await.unwrap();
        let reader = Connection::with_config(server).await.unwrap();
        let writer = NearCache::new(writer, config(&prefix)).unwrap();
        let reader = NearCache::new(reader, config(&prefix)).unwrap();
        near::coherent_within_the_bound::<Tokio, _, _>(&writer, &reader, &prefix).await;
    });
}

#[test]
fn a_prefix_write_of_the_other_is_seen_within_the_bound() {
    // Three servers: version keys and values live on different ones.
    let cluster = Cluster::from_env(3);
    Tokio::block_on(async {
        let prefix = unique_prefix("near-prefix");
        let a = Sharded::connect(&cluster.url("")).await.unwrap();
        let b = Sharded::connect(&cluster.url("")).await.unwrap();
        let a = NearCache::new(a, config(&prefix)).unwrap();
        let b = NearCache::new(b, config(&prefix)).unwrap();
        near::prefix_write_seen_within_the_bound::<Tokio, _>(&a, &b, &prefix).await;
    });
}

#[test]
fn a_value_is_not_served_past_its_ttl() {
    on_server("near-ttl", |server, prefix| async move {
        let conn = Connection::with_config(server).await.unwrap();
        let near = NearCache::new(conn, config(&prefix)).unwrap();
        near::not_served_past_its_ttl::<Tokio, _>(&near, &prefix).await;
    });
}

#[test]
fn a_dead_version_server_sends_reads_to_their_servers() {
    let cluster = Cluster::from_env(3);
    Tokio::block_on(async {
        let prefix = unique_prefix("near-vdead");
        let url = cluster.url("");
        let shards = url.parse().unwrap();
        let client = Sharded::connect(&url).await.unwrap();
        let near = NearCache::new(client, config(&prefix)).unwrap();
        near::a_dead_version_server_sends_reads_to_their_servers::<Tokio, _>(
            &near, &cluster, &shards, &prefix,
        )
        .await;
    });
}
