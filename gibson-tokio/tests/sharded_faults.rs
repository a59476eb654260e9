//! Several servers behind fault proxies: round trips per server, and a
//! shard that stops answering (fail fast, remap, retry, fan-out). Three
//! embedded servers, always.

use std::time::{Duration, Instant};

use gibson_test_support::cluster::Cluster;
use gibson_test_support::shard::{key_on, keys_on};
use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{cmd, AsyncCommands, Connection, Error, Sharded, Ttl};

/// Response timeout of these tests, and how long any call may take.
const TIMEOUT: Duration = Duration::from_millis(400);
const HANG: Duration = Duration::from_secs(3);

/// A sharded client over the cluster's proxies, with `options`.
async fn client(cluster: &Cluster, options: &str) -> Sharded {
    Sharded::connect(&cluster.url(options)).await.unwrap()
}

/// Runs `f`; its output and the reads of requests each proxy made
/// meanwhile (one per round trip, see [`Cluster::request_reads`]).
async fn round_trips<T>(
    cluster: &Cluster,
    f: impl std::future::Future<Output = T>,
) -> (T, Vec<u64>) {
    let before = cluster.request_reads();
    let out = f.await;
    let after = cluster.request_reads();
    (out, after.iter().zip(&before).map(|(a, b)| a - b).collect())
}

/// Runs `f` and checks it returned within [`HANG`].
async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let out = f.await;
    assert!(started.elapsed() < HANG, "took {:?}", started.elapsed());
    out
}

#[tokio::test]
async fn multi_key_calls_make_one_round_trip_per_server_and_agree_with_one_server() {
    let cluster = Cluster::start(3);
    let cache = client(&cluster, "").await;
    let single = TestServer::embedded_tcp();
    let one = Connection::with_config(single.config()).await.unwrap();
    let p = unique_prefix("rtt");
    let keys: Vec<String> = (0..90).map(|i| format!("{p}{i}")).collect();
    cache.ping().await.unwrap(); // connect every pool first

    let (stored, trips) = round_trips(
        &cluster,
        cache.set_multi(keys.iter().map(|k| (k.as_str(), k.as_str())), Ttl::Never),
    )
    .await;
    assert!(
        trips.iter().all(|t| (1..=2).contains(t)),
        "request reads per server for 30 SETs each: {trips:?}"
    );
    let stored_one = one
        .set_multi(keys.iter().map(|k| (k.as_str(), k.as_str())), Ttl::Never)
        .await;
    assert_eq!(format!("{stored:?}"), format!("{stored_one:?}"));

    let mut asked = keys.clone();
    asked.push(format!("{p}absent"));
    let (got, trips) = round_trips(
        &cluster,
        cache.get_multi::<_, String>(asked.iter().map(String::as_str)),
    )
    .await;
    assert!(trips.iter().all(|&t| t <= 2), "{trips:?}");
    let got_one = one
        .get_multi::<_, String>(asked.iter().map(String::as_str))
        .await;
    assert_eq!(format!("{got:?}"), format!("{got_one:?}"));

    let (gone, trips) = round_trips(
        &cluster,
        cache.delete_multi(asked.iter().map(String::as_str)),
    )
    .await;
    assert!(trips.iter().all(|&t| t <= 2), "{trips:?}");
    let gone_one = one.delete_multi(asked.iter().map(String::as_str)).await;
    assert_eq!(format!("{gone:?}"), format!("{gone_one:?}"));
}

#[tokio::test]
async fn a_silent_shard_fails_fast_then_is_retried() {
    let cluster = Cluster::start(3);
    let cache = client(&cluster, "failure_limit=2&retry_timeout=1s").await;
    let p = unique_prefix("silent");
    let (dead_key, live_key) = (
        key_on(&cache.config(), 1, &p),
        key_on(&cache.config(), 2, &p),
    );
    cache.set(dead_key.as_str(), "d", Ttl::Never).await.unwrap();
    cache.set(live_key.as_str(), "l", Ttl::Never).await.unwrap();
    cluster.kill(1);

    // Two timeouts (failure_limit=2), each within its deadline …
    for _ in 0..2 {
        let err = bounded(cache.get::<String>(dead_key.as_str()))
            .await
            .unwrap_err();
        assert!(err.is_timeout() || err.is_connection_broken(), "{err}");
    }
    // … then it fails fast, without waiting.
    let started = Instant::now();
    let err = cache.get::<String>(dead_key.as_str()).await.unwrap_err();
    assert!(
        matches!(err, Error::ServerDown { failures: 2, .. }),
        "{err}"
    );
    assert!(started.elapsed() < TIMEOUT, "{:?}", started.elapsed());
    // The other shards are untouched; a fan-out fails, or is partial.
    let live = bounded(cache.get::<String>(live_key.as_str()))
        .await
        .unwrap();
    assert_eq!(live.as_deref(), Some("l"));
    let err = bounded(cache.count(p.as_str())).await.unwrap_err();
    assert!(matches!(err, Error::ServerDown { .. }), "{err}");
    let partial = bounded(cache.execute_partial(cmd::Count::new(p.as_str()))).await;
    assert_eq!(partial.missing_servers().collect::<Vec<_>>(), vec![1]);
    assert_eq!(partial.value.unwrap(), 1);

    // After retry_timeout, a request tries it again.
    cluster.revive(1);
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    let back = bounded(cache.get::<String>(dead_key.as_str()))
        .await
        .unwrap();
    assert_eq!(back.as_deref(), Some("d"));
    assert_eq!(bounded(cache.count(p.as_str())).await.unwrap(), 2);
}

#[tokio::test]
async fn remap_mode_sends_a_silent_shards_keys_to_the_live_ones() {
    let cluster = Cluster::start(3);
    let cache = client(
        &cluster,
        "failure_limit=1&retry_timeout=10s&remove_failed=true&partial=true",
    )
    .await;
    let p = unique_prefix("remap");
    let keys: Vec<String> = (0..40).map(|i| format!("{p}{i}")).collect();
    for k in &keys {
        cache.set(k.as_str(), "v", Ttl::Never).await.unwrap();
    }
    let on_zero = keys_on(&cache.config(), 0, &keys);
    assert!(!on_zero.is_empty());
    cluster.kill(0);
    let first = bounded(cache.get::<String>(on_zero[0].as_str())).await;
    assert!(first.is_err(), "the first request meets the silence");
    // Now server 0's keys live on the others: written again, read back.
    for k in &on_zero {
        bounded(cache.set(k.as_str(), "moved", Ttl::Never))
            .await
            .unwrap();
        let v = bounded(cache.get::<String>(k.as_str())).await.unwrap();
        assert_eq!(v.as_deref(), Some("moved"));
        assert_ne!(cache.server_for(k.as_str()).unwrap(), cache.servers()[0]);
    }
    // partial=true: the fan-out answers with what the live shards hold.
    let n = bounded(cache.count(p.as_str())).await.unwrap();
    assert_eq!(n, keys.len() as u64, "the moved keys plus the others");
}
