//! A server of a sharded client stops answering while multi-key calls run,
//! written once for every client (async on any runtime, and blocking):
//!
//! * [`remapped`]: with `remove_failed=true`, from the call after
//!   `failure_limit` is reached no key of a `get_multi` fails, and the
//!   dead server is not contacted; after `retry_timeout` it serves again;
//! * [`fail_fast`]: with `remove_failed=false`, each call fails the dead
//!   server's keys with [`Error::ServerDown`] naming it, without
//!   contacting it, until `retry_timeout`; then it serves again;
//! * [`unsent_remapped`]: with `remove_failed=true`, a request that finds
//!   its server dead before it was written (the connection is refused)
//!   goes to a live server in the same call.
//!
//! Each runs over three servers of [`Cluster::from_env`] (with
//! `GIBSON_TEST_ADDR`, three proxies in front of that one server). A
//! runtime crate's test gives [`run_async`] or [`run_blocking`] the
//! scenario and how to build its client from a URL:
//!
//! ```ignore
//! use gibson_test_support::dead_shard::{run_async, Scenario};
//! use gibson_test_support::runtime::Tokio;
//!
//! async fn connect(url: String) -> gibson_tokio::Sharded {
//!     gibson_tokio::Sharded::connect(&url).await.unwrap()
//! }
//!
//! #[test]
//! fn remapped() {
//!     run_async::<Tokio, _, _>(Scenario::Remapped, connect);
//! }
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use gibson_policy::shard::{Router, ShardConfig};
use gibson_proto::{AsyncCommands, Commands, Error, Ttl};

use crate::cluster::Cluster;
use crate::runtime::Runtime;
use crate::{unique_prefix, Proxy};

/// Keys per multi-key call.
const KEYS: usize = 60;
/// The server that dies in [`remapped`] and [`fail_fast`].
const DEAD: usize = 1;
/// Consecutive failures that mark a server dead.
const FAILURE_LIMIT: u32 = 2;
/// How long a dead server is left alone ([`remapped`], [`fail_fast`]).
const RETRY: Duration = Duration::from_secs(2);
/// Calls checked while the server is dead.
const CALLS: usize = 3;

/// The scenarios, for [`options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// [`remapped`].
    Remapped,
    /// [`fail_fast`].
    FailFast,
    /// [`unsent_remapped`].
    UnsentRemapped,
}

/// The options of `scenario`'s client, for [`Cluster::url`].
pub fn options(scenario: Scenario) -> String {
    let retry = RETRY.as_millis();
    match scenario {
        Scenario::Remapped => {
            format!("failure_limit={FAILURE_LIMIT}&retry_timeout={retry}ms&remove_failed=true")
        }
        Scenario::FailFast => format!("failure_limit={FAILURE_LIMIT}&retry_timeout={retry}ms"),
        Scenario::UnsentRemapped => "failure_limit=1&retry_timeout=60s&remove_failed=true".into(),
    }
}

/// What the scenarios ask of a client.
#[allow(async_fn_in_trait)] // awaited on the caller's thread only
pub trait ShardClient {
    /// SETs each key to `value` in one multi-key call: each one's outcome.
    async fn set_all(&self, keys: &[String], value: &str) -> Vec<Result<(), Error>>;
    /// GETs every key in one multi-key call: each one's value.
    async fn get_all(&self, keys: &[String]) -> Vec<Result<Option<String>, Error>>;
    /// GETs one key.
    async fn get_one(&self, key: &str) -> Result<Option<String>, Error>;
    /// Waits `d`.
    async fn pause(&self, d: Duration);
}

/// Each key's outcome of a `set_multi` that ran.
fn outcomes<T>(stored: Result<Vec<Result<T, Error>>, Error>) -> Vec<Result<(), Error>> {
    let stored = stored.expect("set_multi runs");
    stored.into_iter().map(|r| r.map(drop)).collect()
}

/// An async client ([`AsyncCommands`]) on runtime `R`.
#[derive(Debug)]
pub struct AsyncClient<C, R> {
    client: C,
    runtime: PhantomData<R>,
}

impl<C, R> AsyncClient<C, R> {
    /// Wraps `client`.
    pub fn new(client: C) -> Self {
        AsyncClient {
            client,
            runtime: PhantomData,
        }
    }

    /// The client.
    pub fn client(&self) -> &C {
        &self.client
    }
}

impl<C: AsyncCommands, R: Runtime> ShardClient for AsyncClient<C, R> {
    async fn set_all(&self, keys: &[String], value: &str) -> Vec<Result<(), Error>> {
        let pairs = keys.iter().map(|k| (k.as_str(), value));
        outcomes(self.client.set_multi(pairs, Ttl::Never).await)
    }
    async fn get_all(&self, keys: &[String]) -> Vec<Result<Option<String>, Error>> {
        let keys = keys.iter().map(String::as_str);
        self.client.get_multi(keys).await.expect("get_multi runs")
    }
    async fn get_one(&self, key: &str) -> Result<Option<String>, Error> {
        self.client.get(key).await
    }
    async fn pause(&self, d: Duration) {
        R::sleep(d).await;
    }
}

/// A blocking client ([`Commands`]); run the scenario with
/// `futures::executor::block_on`.
#[derive(Debug)]
pub struct BlockingClient<C>(RefCell<C>);

impl<C> BlockingClient<C> {
    /// Wraps `client`.
    pub fn new(client: C) -> Self {
        BlockingClient(RefCell::new(client))
    }

    /// The client, borrowed mutably (the scenarios await one call at a
    /// time).
    pub fn client(&self) -> std::cell::RefMut<'_, C> {
        self.0.borrow_mut()
    }
}

impl<C: Commands> ShardClient for BlockingClient<C> {
    async fn set_all(&self, keys: &[String], value: &str) -> Vec<Result<(), Error>> {
        let pairs = keys.iter().map(|k| (k.as_str(), value));
        outcomes(self.0.borrow_mut().set_multi(pairs, Ttl::Never))
    }
    async fn get_all(&self, keys: &[String]) -> Vec<Result<Option<String>, Error>> {
        let keys = keys.iter().map(String::as_str);
        self.0.borrow_mut().get_multi(keys).expect("get_multi runs")
    }
    async fn get_one(&self, key: &str) -> Result<Option<String>, Error> {
        self.0.borrow_mut().get(key)
    }
    async fn pause(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// The keys of one run, and which server each lives on.
struct Keys {
    config: ShardConfig,
    keys: Vec<String>,
    home: Vec<usize>,
}

impl Keys {
    fn new(cluster: &Cluster, scenario: Scenario) -> Keys {
        let config: ShardConfig = cluster
            .url(&options(scenario))
            .parse()
            .expect("a shard URL");
        let p = unique_prefix("deadshard");
        let keys: Vec<String> = (0..KEYS).map(|i| format!("{p}{i}")).collect();
        let ring = config.ring();
        let home: Vec<usize> = keys
            .iter()
            .map(|k| ring.index_for(k.as_bytes()).expect("a server"))
            .collect();
        for server in 0..config.servers().len() {
            assert!(
                home.contains(&server),
                "no key on server {server}: {home:?}"
            );
        }
        Keys { config, keys, home }
    }

    /// The name of server `index`, as errors give it.
    fn name(&self, index: usize) -> String {
        self.config.servers()[index].to_string()
    }
}

/// Checks a multi-key call's outcomes: the keys of server `dead` pass
/// `dead_ok`, the others read `value`.
fn check(
    keys: &Keys,
    got: &[Result<Option<String>, Error>],
    value: &str,
    dead: usize,
    dead_ok: impl Fn(&Result<Option<String>, Error>) -> bool,
) {
    assert_eq!(got.len(), keys.keys.len());
    for ((key, home), got) in keys.keys.iter().zip(&keys.home).zip(got) {
        if *home == dead {
            assert!(dead_ok(got), "{key} (on the dead server): {got:?}");
        } else {
            assert_eq!(
                got.as_ref().ok(),
                Some(&Some(value.to_string())),
                "{key}: {got:?}"
            );
        }
    }
}

/// A failure that names server `name`.
fn names(got: &Result<Option<String>, Error>, name: &str) -> bool {
    matches!(got, Err(e) if e.server() == Some(name))
}

/// SETs every key of `keys` to `value` in one multi-key call, which must
/// store each one.
async fn store_all(cache: &impl ShardClient, keys: &[String], value: &str) {
    let stored = cache.set_all(keys, value).await;
    assert!(stored.iter().all(Result::is_ok), "{stored:?}");
}

/// The calls that find server [`DEAD`] silent: its keys fail, each error
/// naming it, and the others are read; returns when the last one began.
async fn until_dead(cluster: &Cluster, keys: &Keys, cache: &impl ShardClient) -> Instant {
    store_all(cache, &keys.keys, "v").await;
    cluster.kill(DEAD);
    let name = keys.name(DEAD);
    let mut last = Instant::now();
    for _ in 0..FAILURE_LIMIT {
        last = Instant::now();
        let got = cache.get_all(&keys.keys).await;
        check(keys, &got, "v", DEAD, |r| names(r, &name));
    }
    last
}

/// The dead server answers again after [`RETRY`]: the next call reads
/// every key, the live servers' as `live`, the dead server's as `dead`
/// through its proxy.
async fn served_again(
    cluster: &Cluster,
    keys: &Keys,
    cache: &impl ShardClient,
    live: &str,
    dead: &str,
) {
    cluster.revive(DEAD);
    cache.pause(RETRY + Duration::from_millis(100)).await;
    let reads = cluster.proxies[DEAD].request_reads();
    let got = cache.get_all(&keys.keys).await;
    check(keys, &got, live, DEAD, |r| {
        r.as_ref().ok() == Some(&Some(dead.into()))
    });
    assert!(
        cluster.proxies[DEAD].request_reads() > reads,
        "the server was asked again"
    );
}

/// The connections `proxy` accepted and the requests it read so far.
fn contacts(proxy: &Proxy) -> (u64, u64) {
    (proxy.connections(), proxy.request_reads())
}

/// Asserts that `proxy` (the dead server's) was neither dialled nor sent
/// a request since [`contacts`] gave `before`.
fn untouched(proxy: &Proxy, before: (u64, u64)) {
    let (connections, reads) = before;
    assert_eq!(
        proxy.connections(),
        connections,
        "the dead server was dialled"
    );
    assert_eq!(
        proxy.request_reads(),
        reads,
        "the dead server was sent requests"
    );
}

/// With `remove_failed=true`: once server 1 failed
/// `failure_limit` calls, no key of the next calls fails (its keys are
/// read from and written to the live servers) and it is not contacted;
/// after `retry_timeout` it serves its keys again.
pub async fn remapped(cluster: &Cluster, cache: &impl ShardClient) {
    let keys = Keys::new(cluster, Scenario::Remapped);
    until_dead(cluster, &keys, cache).await;
    let proxy = &cluster.proxies[DEAD];
    let contacts = contacts(proxy);
    for _ in 0..CALLS {
        let got = cache.get_all(&keys.keys).await;
        // Moved keys are absent on their new server, unless the proxies
        // share one external server.
        check(&keys, &got, "v", DEAD, Result::is_ok);
    }
    store_all(cache, &keys.keys, "w").await;
    let got = cache.get_all(&keys.keys).await;
    check(&keys, &got, "w", DEAD, |r| {
        r.as_ref().ok() == Some(&Some("w".into()))
    });
    untouched(proxy, contacts);
    // Back, it serves its own copies ("v"), unless the store is shared.
    let dead = if cluster.is_external() { "w" } else { "v" };
    served_again(cluster, &keys, cache, "w", dead).await;
}

/// With `remove_failed=false`: once server 1 failed
/// `failure_limit` calls, each call fails its keys at once with
/// [`Error::ServerDown`] naming it, without contacting it, until
/// `retry_timeout`; then it serves again.
pub async fn fail_fast(cluster: &Cluster, cache: &impl ShardClient) {
    let keys = Keys::new(cluster, Scenario::FailFast);
    let dead_from = until_dead(cluster, &keys, cache).await;
    let proxy = &cluster.proxies[DEAD];
    let contacts = contacts(proxy);
    let name = keys.name(DEAD);
    for _ in 0..CALLS {
        // Dead at least until RETRY after the last failing call began.
        if dead_from.elapsed() >= RETRY {
            break;
        }
        let got = cache.get_all(&keys.keys).await;
        check(
            &keys,
            &got,
            "v",
            DEAD,
            |r| matches!(r, Err(Error::ServerDown { server, .. }) if *server == name),
        );
    }
    untouched(proxy, contacts);
    served_again(cluster, &keys, cache, "v", "v").await;
}

/// With `remove_failed=true` and `failure_limit=1`: a single GET whose
/// server refuses the connection is answered by a live server in the
/// same call, and so is every key of a `get_multi` whose servers (one
/// known dead, one refusing) are gone. Takes the cluster to close
/// proxies; the client must not have contacted servers 0 and 2 yet.
pub async fn unsent_remapped(cluster: &mut Cluster, cache: &impl ShardClient) {
    let keys = Keys::new(cluster, Scenario::UnsentRemapped);
    // A key of server 0 that moves to server 1 (not 2) when 0 dies.
    let mut router = Router::new(&keys.config);
    let now = Instant::now();
    let refused = Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    router.record(0, Err::<(), _>(&refused), now);
    let single = (0u32..)
        .map(|i| format!("{}single{i}", keys.keys[0]))
        .find(|k| {
            keys.config.ring().index_for(k.as_bytes()) == Some(0)
                && router.server_for(k.as_bytes(), now).ok() == Some(1)
        })
        .expect("a key");
    cluster.proxies[0].close();
    let got = cache.get_one(&single).await;
    assert_eq!(got.as_ref().ok(), Some(&None), "{single}: {got:?}");
    cluster.proxies[2].close();
    let got = cache.get_all(&keys.keys).await;
    for (key, got) in keys.keys.iter().zip(&got) {
        assert_eq!(got.as_ref().ok(), Some(&None), "{key}: {got:?}");
    }
    store_all(cache, &keys.keys, "v").await;
    let got = cache.get_all(&keys.keys).await;
    check(&keys, &got, "v", usize::MAX, |_| false);
}

/// Runs `scenario` over a fresh [`Cluster::from_env`]`(3)`.
pub async fn run(scenario: Scenario, cluster: &mut Cluster, cache: &impl ShardClient) {
    match scenario {
        Scenario::Remapped => remapped(cluster, cache).await,
        Scenario::FailFast => fail_fast(cluster, cache).await,
        Scenario::UnsentRemapped => unsent_remapped(cluster, cache).await,
    }
}

/// Runs `scenario` on runtime `R` with the async client `connect` builds
/// from a URL (inside the runtime).
pub fn run_async<R, C, F>(scenario: Scenario, connect: impl FnOnce(String) -> F)
where
    R: Runtime,
    C: AsyncCommands,
    F: Future<Output = C>,
{
    let mut cluster = Cluster::from_env(3);
    let url = cluster.url(&options(scenario));
    R::block_on(async {
        let cache = AsyncClient::<C, R>::new(connect(url).await);
        run(scenario, &mut cluster, &cache).await;
    });
}

/// Runs `scenario` with the blocking client `connect` builds from a URL.
pub fn run_blocking<C: Commands>(scenario: Scenario, connect: impl FnOnce(String) -> C) {
    let mut cluster = Cluster::from_env(3);
    let cache = BlockingClient::new(connect(cluster.url(&options(scenario))));
    futures::executor::block_on(run(scenario, &mut cluster, &cache));
}

/// Stamps the sharded client's scenarios (this module's, [`replicas`](crate::replicas)'
/// and, in a module `server_list`, [`server_list`](crate::server_list)'s) for
/// `$client::Sharded` on the runtime `$rt` (or `blocking`); see
/// [`suite!`](crate::suite!).
#[doc(hidden)]
#[macro_export]
macro_rules! __dead_shard_tests {
    ($rt:tt, $client:tt) => {
        $crate::__scenario_tests!($rt, $client, dead_shard, |url| connect(&url):
            remove_failed_serves_every_key_from_the_call_after_the_limit: Remapped,
            without_remove_failed_a_dead_server_fails_fast_until_retry_timeout: FailFast,
            a_request_never_written_to_a_dead_server_goes_to_a_live_one: UnsentRemapped,
        );
        $crate::__scenario_tests!($rt, $client, replicas, |url| connect(&url):
            every_key_reads_back_with_one_server_of_three_dead: DeadServer,
            every_key_reads_back_when_multi_key_calls_meet_the_dead_server_first: DeadServerMulti,
            mget_and_keys_over_copies_answer_as_one_server_and_count_is_refused: PrefixReads,
            hedged_reads_are_right_and_hedges_are_sent_and_won: Hedged,
        );
        /// The server list changing while the client runs.
        mod server_list {
            $crate::__scenario_tests!($rt, $client, server_list, |config| with_config(config):
                a_fourth_server_joins_under_a_workload_and_only_its_keys_move: Grows,
                a_removed_server_gets_nothing_more_and_its_connections_close: Removed,
                discovery_follows_the_addresses_of_a_name: Discovery,
                discovery_asks_the_system_resolver_by_default: SystemResolver,
            );
        }
    };
}
