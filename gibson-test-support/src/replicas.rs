//! Copies of keys on several servers (`replicas`) and hedged reads, written
//! once for every sharded client (async on any runtime, and blocking):
//!
//! * [`survives_a_dead_server`]: with `replicas=1` over three servers,
//!   every key written still reads back once one server is killed, one by
//!   one and in multi-key calls (whichever meets the dead server first),
//!   and the dead server is dialled at most once (reads after the first
//!   failure do not wait for it);
//! * [`prefix_reads_as_one_server`]: MGET and KEYS over the copies answer
//!   as one server holding the data (each key once), COUNT is refused;
//! * [`hedged_reads`]: with one of three servers 50 ms
//!   slow and `hedge=5ms`, every read is right and hedges are sent and
//!   won; the latencies are printed, never asserted.
//!
//! Each runs over three servers of [`Cluster::from_env`] (with
//! `GIBSON_TEST_ADDR`, three proxies in front of that one server, which
//! then holds one copy of each key: the scenarios hold either way). A
//! runtime crate's test gives [`run_async`] or [`run_blocking`] the
//! scenario and how to build its client from a URL:
//!
//! ```ignore
//! use gibson_test_support::replicas::{run_async, Scenario};
//! use gibson_test_support::runtime::Tokio;
//!
//! async fn connect(url: String) -> gibson_tokio::Sharded {
//!     gibson_tokio::Sharded::connect(&url).await.unwrap()
//! }
//!
//! #[test]
//! fn hedged() {
//!     run_async::<Tokio, _, _>(Scenario::Hedged, connect);
//! }
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use gibson_policy::shard::HedgeStats;
use gibson_proto::{cmd, AsyncCommands, Commands, Error};

use crate::cluster::Cluster;
use crate::dead_shard::{AsyncClient, BlockingClient, ShardClient};
use crate::proxy::Faults;
use crate::runtime::Runtime;
use crate::unique_prefix;

/// Keys written before a server is killed.
pub const KEYS: usize = 10_000;
/// Reads timed in [`hedged_reads`] (`GIBSON_HEDGED_READS` sets another
/// number, for a measurement).
pub const HEDGED_READS: usize = 1_000;

/// [`HEDGED_READS`], or the number `GIBSON_HEDGED_READS` holds.
fn hedged_read_count() -> usize {
    std::env::var("GIBSON_HEDGED_READS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(HEDGED_READS)
}
/// The server killed, or slowed.
const VICTIM: usize = 1;
/// The slow server's added latency, each way, in [`hedged_reads`].
pub const SLOW: Duration = Duration::from_millis(50);

/// The scenarios, for [`options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// [`survives_a_dead_server`], single reads first.
    DeadServer,
    /// [`survives_a_dead_server`], multi-key calls first.
    DeadServerMulti,
    /// [`prefix_reads_as_one_server`].
    PrefixReads,
    /// [`hedged_reads`].
    Hedged,
    /// [`hedged_reads`] without `hedge`, for comparison.
    Unhedged,
}

/// The options of `scenario`'s client, for [`Cluster::url`].
pub fn options(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::DeadServer | Scenario::DeadServerMulti => {
            "replicas=1&failure_limit=1&retry_timeout=60s"
        }
        Scenario::PrefixReads => "replicas=2",
        // A read waits on the fast copy however loaded the machine is (the
        // cluster's 400 ms would fail it when both copies are late): the
        // slow copy's 50 ms each way is what the hedge is for.
        Scenario::Hedged => "replicas=1&hedge=5ms&response_timeout=10s",
        Scenario::Unhedged => "replicas=1&response_timeout=10s",
    }
}

/// What the scenarios ask of a client besides [`ShardClient`].
#[allow(async_fn_in_trait)] // awaited on the caller's thread only
pub trait ReplicaClient: ShardClient {
    /// The client's hedge counters.
    fn hedge_stats(&self) -> HedgeStats;
    /// SETs one key.
    async fn set_one(&self, key: &str, value: &str) -> Result<(), Error>;
    /// MGET of `prefix`.
    async fn mget(&self, prefix: &str) -> Result<Vec<(String, String)>, Error>;
    /// KEYS of `prefix`.
    async fn keys(&self, prefix: &str) -> Result<Vec<String>, Error>;
    /// COUNT of `prefix`.
    async fn count(&self, prefix: &str) -> Result<u64, Error>;
}

impl<RR: gibson_async::Runtime, R: Runtime> ReplicaClient
    for AsyncClient<gibson_async::Sharded<RR>, R>
{
    fn hedge_stats(&self) -> HedgeStats {
        self.client().hedge_stats()
    }
    async fn set_one(&self, key: &str, value: &str) -> Result<(), Error> {
        let set = cmd::Set::new(key, value, gibson_proto::Ttl::Never);
        AsyncCommands::execute(self.client(), set).await.map(drop)
    }
    async fn mget(&self, prefix: &str) -> Result<Vec<(String, String)>, Error> {
        AsyncCommands::execute(self.client(), cmd::Mget::new(prefix)).await
    }
    async fn keys(&self, prefix: &str) -> Result<Vec<String>, Error> {
        AsyncCommands::execute(self.client(), cmd::Keys::new(prefix)).await
    }
    async fn count(&self, prefix: &str) -> Result<u64, Error> {
        AsyncCommands::execute(self.client(), cmd::Count::new(prefix)).await
    }
}

impl ReplicaClient for BlockingClient<gibson_blocking::Sharded> {
    fn hedge_stats(&self) -> HedgeStats {
        self.client().hedge_stats()
    }
    async fn set_one(&self, key: &str, value: &str) -> Result<(), Error> {
        let set = cmd::Set::new(key, value, gibson_proto::Ttl::Never);
        Commands::execute(&mut *self.client(), set).map(drop)
    }
    async fn mget(&self, prefix: &str) -> Result<Vec<(String, String)>, Error> {
        Commands::execute(&mut *self.client(), cmd::Mget::new(prefix))
    }
    async fn keys(&self, prefix: &str) -> Result<Vec<String>, Error> {
        Commands::execute(&mut *self.client(), cmd::Keys::new(prefix))
    }
    async fn count(&self, prefix: &str) -> Result<u64, Error> {
        Commands::execute(&mut *self.client(), cmd::Count::new(prefix))
    }
}

/// Writes `n` keys under a fresh prefix (every other one alone, the rest
/// in multi-key calls of 100): the keys and their values.
async fn write(cache: &impl ReplicaClient, tag: &str, n: usize) -> Vec<(String, String)> {
    let p = unique_prefix(tag);
    let data: Vec<(String, String)> = (0..n)
        .map(|i| (format!("{p}{i}"), format!("v{i}")))
        .collect();
    let (alone, together): (Vec<_>, Vec<_>) =
        data.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    for (_, (k, v)) in alone {
        cache.set_one(k, v).await.expect("SET");
    }
    let together: Vec<&(String, String)> = together.into_iter().map(|(_, kv)| kv).collect();
    for chunk in together.chunks(100) {
        // One value per call: multi-key calls take one value for all.
        let mut by_value: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (k, v) in chunk {
            by_value.entry(v.as_str()).or_default().push(k.clone());
        }
        for (v, keys) in by_value {
            let stored = cache.set_all(&keys, v).await;
            assert!(stored.iter().all(Result::is_ok), "{stored:?}");
        }
    }
    data
}

/// With `replicas=1`, `failure_limit=1` and `retry_timeout=60s` over
/// three servers: [`KEYS`] keys are written (alone and in multi-key
/// calls), server 1 is killed (it accepts connections and never
/// answers), and every key reads back, one by one and in multi-key
/// calls (first one by one, or with `multi_first` first in multi-key
/// calls: whichever meets the dead server first asks the next copy in
/// the same call); the dead server was dialled at most once after it
/// died, so at most one call waited for it.
pub async fn survives_a_dead_server(
    cluster: &Cluster,
    cache: &impl ReplicaClient,
    multi_first: bool,
) {
    let data = write(cache, "replicas", KEYS).await;
    cluster.kill(VICTIM);
    let dead = &cluster.proxies[VICTIM];
    let dialled = dead.connections();
    let mut slowest = Duration::ZERO;
    let mut slow = 0;
    for multi in [multi_first, !multi_first] {
        let calls: Vec<&[(String, String)]> = match multi {
            true => data.chunks(100).collect(),
            false => data.chunks(1).collect(),
        };
        for chunk in calls {
            let began = Instant::now();
            let got = match chunk {
                [(k, _)] => vec![cache.get_one(k).await],
                _ => {
                    let keys: Vec<String> = chunk.iter().map(|(k, _)| k.clone()).collect();
                    cache.get_all(&keys).await
                }
            };
            let took = began.elapsed();
            slowest = slowest.max(took);
            slow += usize::from(took >= Duration::from_millis(200));
            for ((k, v), got) in chunk.iter().zip(&got) {
                assert_eq!(got.as_ref().ok(), Some(&Some(v.clone())), "{k}: {got:?}");
            }
        }
    }
    println!(
        "{} keys read back with server {VICTIM} dead ({} first): {slow} call(s) of 200 ms or more, the slowest {slowest:?}",
        data.len(),
        if multi_first { "multi-key calls" } else { "single reads" },
    );
    assert!(
        dead.connections() <= dialled + 1,
        "the dead server was dialled {} times",
        dead.connections() - dialled
    );
}

/// The pairs of `data` under `prefix`, sorted.
fn expected(data: &[(String, String)], prefix: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = data
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .cloned()
        .collect();
    pairs.sort();
    pairs
}

/// Checks MGET and KEYS of `prefix` against `data` (the keys written, all
/// under the case's own prefix) as one server holding them answers: each
/// key once, NOT_FOUND (an empty list) when none matches; COUNT is
/// refused, naming `replicas`.
pub async fn check_prefix(cache: &impl ReplicaClient, data: &[(String, String)], prefix: &str) {
    let want = expected(data, prefix);
    let mut pairs = cache.mget(prefix).await.expect("MGET");
    pairs.sort();
    assert_eq!(pairs, want, "MGET {prefix}");
    let mut names = cache.keys(prefix).await.expect("KEYS");
    names.sort();
    let want_names: Vec<String> = want.into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, want_names, "KEYS {prefix}");
    let count = cache.count(prefix).await;
    assert!(
        matches!(
            &count,
            Err(Error::InvalidArgument {
                arg: "replicas",
                ..
            })
        ),
        "COUNT {prefix}: {count:?}"
    );
}

/// With `replicas=2` over three servers (every server holds every key):
/// MGET and KEYS give each key once, for several prefixes of the data,
/// an absent one included; COUNT is refused.
pub async fn prefix_reads_as_one_server(cache: &impl ReplicaClient) {
    let p = unique_prefix("replicas-prefix");
    let mut data = Vec::new();
    for (i, sub) in ["a:", "a:b", "b", "b:1", "c"]
        .iter()
        .cycle()
        .take(40)
        .enumerate()
    {
        let (k, v) = (format!("{p}{sub}{i}"), format!("v{i}"));
        cache.set_one(&k, &v).await.expect("SET");
        data.push((k, v));
    }
    for sub in ["", "a", "a:", "a:b", "b", "c", "zz"] {
        check_prefix(cache, &data, &format!("{p}{sub}")).await;
    }
}

/// Percentile `p` (0 to 100) of sorted `took`.
fn percentile(took: &[Duration], p: usize) -> Duration {
    took.get((took.len() * p / 100).min(took.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// With `replicas=1` over three servers, server 1 behind a proxy that
/// delays everything [`SLOW`] each way: `reads` keys are written, then
/// read one by one. Every value must be right; the latencies (p50, p99,
/// max) are printed and returned as p99. With `hedge` on, hedges must
/// have been sent and won.
pub async fn hedged_reads(cluster: &Cluster, cache: &impl ReplicaClient, reads: usize) -> Duration {
    let data = write(cache, "hedge", reads).await;
    let before = cache.hedge_stats();
    cluster.proxies[VICTIM].set_faults(Faults {
        latency: SLOW,
        ..Faults::default()
    });
    let mut took = Vec::with_capacity(data.len());
    for (k, v) in &data {
        let began = Instant::now();
        let got = cache.get_one(k).await;
        took.push(began.elapsed());
        assert_eq!(got.as_ref().ok(), Some(&Some(v.clone())), "{k}: {got:?}");
    }
    cluster.proxies[VICTIM].set_faults(Faults::default());
    let after = cache.hedge_stats();
    took.sort();
    let p99 = percentile(&took, 99);
    println!(
        "{} reads, one server of three {SLOW:?} slow each way: p50 {:?}, p99 {p99:?}, max {:?}; hedges sent {}, won {}",
        took.len(),
        percentile(&took, 50),
        took.last().copied().unwrap_or_default(),
        after.sent - before.sent,
        after.won - before.won,
    );
    p99
}

/// [`hedged_reads`] with `hedge` on: also checks that hedges were sent
/// and won.
async fn hedged(cluster: &Cluster, cache: &impl ReplicaClient) {
    let before = cache.hedge_stats();
    hedged_reads(cluster, cache, hedged_read_count()).await;
    let after = cache.hedge_stats();
    assert!(after.sent > before.sent, "no hedge sent: {after:?}");
    assert!(after.won > before.won, "no hedge won: {after:?}");
}

/// Runs `scenario` over `cluster`.
pub async fn run(scenario: Scenario, cluster: &Cluster, cache: &impl ReplicaClient) {
    match scenario {
        Scenario::DeadServer => survives_a_dead_server(cluster, cache, false).await,
        Scenario::DeadServerMulti => survives_a_dead_server(cluster, cache, true).await,
        Scenario::PrefixReads => prefix_reads_as_one_server(cache).await,
        Scenario::Hedged => hedged(cluster, cache).await,
        Scenario::Unhedged => {
            hedged_reads(cluster, cache, hedged_read_count() / 10).await;
        }
    }
}

/// Runs `scenario` on runtime `R` with the async sharded client `connect`
/// builds from a URL (inside the runtime), over a fresh
/// [`Cluster::from_env`]`(3)`.
pub fn run_async<R, RR, F>(scenario: Scenario, connect: impl FnOnce(String) -> F)
where
    R: Runtime,
    RR: gibson_async::Runtime,
    F: Future<Output = gibson_async::Sharded<RR>>,
{
    let cluster = Cluster::from_env(3);
    let url = cluster.url(options(scenario));
    R::block_on(async {
        let cache = AsyncClient::<_, R>::new(connect(url).await);
        run(scenario, &cluster, &cache).await;
    });
}

/// Runs `scenario` with the blocking sharded client `connect` builds from
/// a URL, over a fresh [`Cluster::from_env`]`(3)`.
pub fn run_blocking(scenario: Scenario, connect: impl FnOnce(String) -> gibson_blocking::Sharded) {
    let cluster = Cluster::from_env(3);
    let cache = BlockingClient::new(connect(cluster.url(options(scenario))));
    futures::executor::block_on(run(scenario, &cluster, &cache));
}
