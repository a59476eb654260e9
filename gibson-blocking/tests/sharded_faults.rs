//! Several servers behind fault proxies, on the blocking sharded client:
//! round trips per server, and a shard that stops answering (fail fast,
//! remap, retry, fan-out) within the deadlines. Three embedded servers,
//! always.

use std::thread::sleep;
use std::time::{Duration, Instant};

use gibson_blocking::{cmd, Commands, Error, Sharded, Ttl};
use gibson_test_support::cluster::Cluster;
use gibson_test_support::shard::{key_on, keys_on};
use gibson_test_support::unique_prefix;

/// Response timeout of these tests, and how long any call may take.
const TIMEOUT: Duration = Duration::from_millis(400);
const HANG: Duration = Duration::from_secs(3);

/// The proxies as a blocking sharded client with `options`.
fn client(cluster: &Cluster, options: &str) -> Sharded {
    Sharded::connect(&cluster.url(options)).unwrap()
}

/// Runs `f` and checks it returned within [`HANG`].
fn bounded<T>(f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    assert!(started.elapsed() < HANG, "took {:?}", started.elapsed());
    out
}

#[test]
fn a_silent_shard_fails_fast_then_is_retried() {
    let cluster = Cluster::start(3);
    let mut cache = client(&cluster, "failure_limit=2&retry_timeout=1s");
    let p = unique_prefix("silent");
    let (dead_key, live_key) = (
        key_on(&cache.config(), 1, &p),
        key_on(&cache.config(), 2, &p),
    );
    cache.set(dead_key.as_str(), "d", Ttl::Never).unwrap();
    cache.set(live_key.as_str(), "l", Ttl::Never).unwrap();
    cluster.kill(1);

    // Two timeouts (failure_limit=2), each within its deadline …
    for _ in 0..2 {
        let err = bounded(|| cache.get::<String>(dead_key.as_str())).unwrap_err();
        assert!(err.is_timeout() || err.is_connection_broken(), "{err}");
    }
    // … then it fails fast, without waiting.
    let started = Instant::now();
    let err = cache.get::<String>(dead_key.as_str()).unwrap_err();
    assert!(
        matches!(err, Error::ServerDown { failures: 2, .. }),
        "{err}"
    );
    assert!(started.elapsed() < TIMEOUT, "{:?}", started.elapsed());
    // The other shards are untouched; a fan-out fails, or is partial.
    let live = bounded(|| cache.get::<String>(live_key.as_str())).unwrap();
    assert_eq!(live.as_deref(), Some("l"));
    let err = bounded(|| cache.count(p.as_str())).unwrap_err();
    assert!(matches!(err, Error::ServerDown { .. }), "{err}");
    let partial = bounded(|| cache.execute_partial(cmd::Count::new(p.as_str())));
    assert_eq!(partial.missing_servers().collect::<Vec<_>>(), vec![1]);
    assert_eq!(partial.value.unwrap(), 1);

    // After retry_timeout, a request tries it again.
    cluster.revive(1);
    sleep(Duration::from_millis(1_050));
    let back = bounded(|| cache.get::<String>(dead_key.as_str())).unwrap();
    assert_eq!(back.as_deref(), Some("d"));
    assert_eq!(bounded(|| cache.count(p.as_str())).unwrap(), 2);
}

#[test]
fn remap_mode_sends_a_silent_shards_keys_to_the_live_ones() {
    let cluster = Cluster::start(3);
    let mut cache = client(
        &cluster,
        "failure_limit=1&retry_timeout=10s&remove_failed=true&partial=true",
    );
    let p = unique_prefix("remap");
    let keys: Vec<String> = (0..40).map(|i| format!("{p}{i}")).collect();
    for k in &keys {
        cache.set(k.as_str(), "v", Ttl::Never).unwrap();
    }
    let on_zero = keys_on(&cache.config(), 0, &keys);
    assert!(!on_zero.is_empty());
    cluster.kill(0);
    let first = bounded(|| cache.get::<String>(on_zero[0].as_str()));
    assert!(first.is_err(), "the first request meets the silence");
    // Now server 0's keys live on the others: written again, read back.
    for k in &on_zero {
        bounded(|| cache.set(k.as_str(), "moved", Ttl::Never)).unwrap();
        let v = bounded(|| cache.get::<String>(k.as_str())).unwrap();
        assert_eq!(v.as_deref(), Some("moved"));
        assert_ne!(cache.server_for(k.as_str()).unwrap(), cache.servers()[0]);
    }
    // partial=true: the fan-out answers with what the live shards hold.
    let n = bounded(|| cache.count(p.as_str())).unwrap();
    assert_eq!(n, keys.len() as u64, "the moved keys plus the others");
}

/// Multi-key calls and pipelines make one round trip per server: each
/// server's proxy sees its requests arrive in one read (or a few, when
/// the kernel cuts the write), not one read per key.
#[test]
fn multi_key_calls_make_one_round_trip_per_server() {
    let cluster = Cluster::start(3);
    let mut cache = client(&cluster, "");
    let prefix = unique_prefix("trips");
    let keys: Vec<String> = (0..60).map(|i| format!("{prefix}{i}")).collect();
    let reads = || cluster.request_reads();
    let trips = |before: &[u64]| -> Vec<u64> {
        reads()
            .iter()
            .zip(before)
            .map(|(after, b)| after - b)
            .collect()
    };

    let before = reads();
    let set = cache
        .set_multi(keys.iter().map(|k| (k.as_str(), "v")), Ttl::Never)
        .unwrap();
    assert!(set.iter().all(Result::is_ok));
    let t = trips(&before);
    assert!(
        t.iter().all(|&n| (1..=3).contains(&n)),
        "reads per server: {t:?}"
    );

    let before = reads();
    let got = cache
        .get_multi::<_, String>(keys.iter().map(String::as_str))
        .unwrap();
    assert!(got
        .iter()
        .all(|v| v.as_ref().unwrap().as_deref() == Some("v")));
    let t = trips(&before);
    assert!(
        t.iter().all(|&n| (1..=3).contains(&n)),
        "reads per server: {t:?}"
    );

    let before = reads();
    let deleted = cache.delete_multi(keys.iter().map(String::as_str)).unwrap();
    assert!(deleted.iter().all(|d| *d.as_ref().unwrap()));
    let t = trips(&before);
    assert!(
        t.iter().all(|&n| (1..=3).contains(&n)),
        "reads per server: {t:?}"
    );
}
