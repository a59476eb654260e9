//! The near cache (gibson-test-support's `near` scenarios) over a
//! connection, a pool and a sharded client.

use gibson_test_support::cluster::Cluster;
use gibson_test_support::near::{self, config};
use gibson_test_support::runtime::{Runtime, Tokio};
use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{Connection, NearCache, Pool, Sharded};

#[test]
fn hits_come_from_memory_and_own_writes_are_seen_at_once() {
    let server = TestServer::start();
    #[cfg(feature = "metrics")]
    let _turn = gibson_test_support::observe::install_recorder();
    let hits = || gibson_test_support::observe::counted("gibson.client.near.hits");
    let before = hits();
    let counted = Tokio::block_on(async {
        let prefix = unique_prefix("near-own");
        let conn = Connection::with_config(server.config()).await.unwrap();
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
    let server = TestServer::start();
    Tokio::block_on(async {
        let prefix = unique_prefix("near-bound");
        let writer = Pool::with_config(server.config()).await.unwrap();
        let reader = Connection::with_config(server.config()).await.unwrap();
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
    let server = TestServer::start();
    Tokio::block_on(async {
        let prefix = unique_prefix("near-ttl");
        let conn = Connection::with_config(server.config()).await.unwrap();
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
