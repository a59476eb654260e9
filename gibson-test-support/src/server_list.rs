//! A sharded client's server list changing while it runs, written once for
//! every client (async on any runtime, and blocking):
//!
//! * [`grows_under_a_workload`]: a 4th server joins 3 while multi-key
//!   calls run; none of them fails, only keys that now live on the new
//!   server moved, and the keys that stayed read back;
//! * [`removed_server_closes`]: a removed server gets no more requests
//!   and its connections close;
//! * [`discovery_follows_the_name`]: with `discover`, the list follows
//!   what one name resolves to (several loopback addresses on one port),
//!   through a resolution that fails (the list is kept) and one that
//!   drops addresses (their connections close);
//! * [`discovery_by_the_system`]: `localhost` resolved by the system's
//!   resolver (the runtime's, or the standard library's).
//!
//! Each runs over servers behind proxies ([`Cluster`]; with
//! `GIBSON_TEST_ADDR`, proxies in front of that one server, which then
//! holds every key: the scenarios hold either way). A runtime crate's
//! test gives [`run_async`] or [`run_blocking`] the scenario and how to
//! build its client from a configuration:
//!
//! ```ignore
//! use gibson_test_support::server_list::{run_async, Scenario};
//! use gibson_test_support::runtime::Tokio;
//!
//! async fn connect(config: gibson_tokio::shard::ShardConfig) -> gibson_tokio::Sharded {
//!     gibson_tokio::Sharded::with_config(config).await.unwrap()
//! }
//!
//! #[test]
//! fn grows() {
//!     run_async::<Tokio, _, _>(Scenario::Grows, connect);
//! }
//! ```

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gibson_policy::shard::{Change, Resolver, ShardConfig};
use gibson_policy::Addr;
use gibson_proto::Error;

use crate::cluster::Cluster;
use crate::dead_shard::{AsyncClient, BlockingClient, ShardClient};
use crate::runtime::Runtime;
use crate::unique_prefix;

/// Keys placed before and after a change.
pub const KEYS: usize = 10_000;
/// Keys per multi-key call of the workload.
const CHUNK: usize = 100;
/// How long a change may take to show (discovery's interval is 20 ms; a
/// closed connection is seen at once): far above either, a bound against
/// hangs, not a timing.
const PATIENCE: Duration = Duration::from_secs(10);
/// The name the discovery scenario resolves.
pub const NAME: &str = "gibson.test";

/// The scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// [`grows_under_a_workload`].
    Grows,
    /// [`removed_server_closes`].
    Removed,
    /// [`discovery_follows_the_name`].
    Discovery,
    /// [`discovery_by_the_system`].
    SystemResolver,
}

/// What the scenarios ask of a client besides [`ShardClient`].
pub trait ListClient: ShardClient {
    /// The servers in use.
    fn servers(&self) -> Vec<Addr>;
    /// The server `key` lives on.
    fn server_for(&self, key: &str) -> Addr;
    /// Adds `server`.
    fn add(&self, server: Addr) -> Result<Change, Error>;
    /// Removes `server`.
    fn remove(&self, server: &Addr) -> Result<Change, Error>;
}

/// Implements [`ListClient`] for a wrapper of a sharded client whose
/// `client()` gives the client (the methods are the same, inherent ones).
macro_rules! list_client {
    ([$($params:tt)*] $wrapper:ty) => {
        impl<$($params)*> ListClient for $wrapper {
            fn servers(&self) -> Vec<Addr> {
                self.client().servers()
            }
            fn server_for(&self, key: &str) -> Addr {
                self.client().server_for(key).expect("a server for the key")
            }
            fn add(&self, server: Addr) -> Result<Change, Error> {
                self.client().add(server)
            }
            fn remove(&self, server: &Addr) -> Result<Change, Error> {
                self.client().remove(server)
            }
        }
    };
}

list_client!([RR: gibson_async::Runtime, R: Runtime] AsyncClient<gibson_async::Sharded<RR>, R>);
list_client!([] BlockingClient<gibson_blocking::Sharded>);

/// Writes [`KEYS`] keys (value `"v"`) under a fresh prefix, in multi-key
/// calls: the keys.
async fn write(cache: &impl ListClient, tag: &str) -> Vec<String> {
    let p = unique_prefix(tag);
    let keys: Vec<String> = (0..KEYS).map(|i| format!("{p}{i}")).collect();
    for chunk in keys.chunks(CHUNK) {
        let stored = cache.set_all(chunk, "v").await;
        assert!(stored.iter().all(Result::is_ok), "{stored:?}");
    }
    keys
}

/// Each key's server now.
fn homes(cache: &impl ListClient, keys: &[String]) -> Vec<Addr> {
    keys.iter().map(|k| cache.server_for(k)).collect()
}

/// Checks that the keys that moved from `before` to `after` all moved to
/// `joined`, and that they are some but not most (the exact share, about
/// 1/N, is the ring's and is checked by the ring's own tests on fixed
/// names): the keys that moved.
fn only_to(keys: &[String], before: &[Addr], after: &[Addr], joined: &Addr) -> Vec<String> {
    let mut moved = Vec::new();
    for ((key, was), now) in keys.iter().zip(before).zip(after) {
        if was != now {
            assert_eq!(
                now, joined,
                "{key} moved from {was} to {now}, not to the new server"
            );
            moved.push(key.clone());
        }
    }
    let share = moved.len() as f64 / keys.len() as f64;
    println!(
        "{} of {} keys moved ({:.1} %)",
        moved.len(),
        keys.len(),
        share * 100.0
    );
    assert!(
        (0.05..=0.5).contains(&share),
        "{} of {} keys moved",
        moved.len(),
        keys.len()
    );
    moved
}

/// Reads every key back: those in `stayed` hold `"v"`; every call
/// succeeds (a moved key may read as a miss).
async fn read_back(cache: &impl ListClient, keys: &[String], stayed: impl Fn(&str) -> bool) {
    for chunk in keys.chunks(CHUNK) {
        let got = cache.get_all(chunk).await;
        for (key, value) in chunk.iter().zip(got) {
            let value = value.unwrap_or_else(|e| panic!("GET {key}: {e}"));
            if stayed(key) {
                assert_eq!(value.as_deref(), Some("v"), "{key} did not move");
            }
        }
    }
}

/// A 4th server of `cluster` joins the first three (the client's list)
/// while multi-key reads and writes run; none fails, only keys that now
/// live on the new server moved, the others read back, and moved keys
/// written again read back from the new server.
pub async fn grows_under_a_workload(cluster: &Cluster, cache: &impl ListClient) {
    assert_eq!(cache.servers().len(), 3);
    let keys = write(cache, "grow").await;
    let before = homes(cache, &keys);
    let joined = cluster.proxies[3].addr();
    let added = Cell::new(false);
    let rounds = Cell::new(0);
    let add = || {
        if !added.replace(true) {
            let change = cache.add(joined.clone()).expect("add the 4th server");
            assert_eq!(change.added, std::slice::from_ref(&joined));
        }
    };
    let workload = async {
        for (i, chunk) in keys.chunks(CHUNK).enumerate() {
            let got = cache.get_all(chunk).await;
            assert!(got.iter().all(Result::is_ok), "a read failed: {got:?}");
            let stored = cache.set_all(&chunk[..1], "v").await;
            assert!(
                stored.iter().all(Result::is_ok),
                "a write failed: {stored:?}"
            );
            rounds.set(i + 1);
            // A blocking client never yields to the other future: it adds
            // the server here, between two calls.
            if i + 1 == keys.len() / CHUNK / 2 + 10 {
                add();
            }
        }
    };
    // An async client's calls are in flight when the list changes.
    let change = async {
        while rounds.get() < keys.len() / CHUNK / 2 && !added.get() {
            cache.pause(Duration::from_millis(1)).await;
        }
        add();
    };
    futures::join!(workload, change);
    let after = homes(cache, &keys);
    let moved = only_to(&keys, &before, &after, &joined);
    let moved_set: std::collections::HashSet<&str> = moved.iter().map(String::as_str).collect();
    read_back(cache, &keys, |k| !moved_set.contains(k)).await;
    let again: Vec<String> = moved.iter().take(CHUNK).cloned().collect();
    let stored = cache.set_all(&again, "v").await;
    assert!(stored.iter().all(Result::is_ok), "{stored:?}");
    read_back(cache, &again, |_| true).await;
}

/// Waits until `done` holds, at most [`PATIENCE`].
async fn until(cache: &impl ListClient, what: &str, done: impl Fn() -> bool) {
    let began = Instant::now();
    while !done() {
        assert!(began.elapsed() < PATIENCE, "{what}: not after {PATIENCE:?}");
        cache.pause(Duration::from_millis(5)).await;
    }
}

/// Server 2 of 3, which has connections open, is removed: no key goes to
/// it any more, its connections close, it is not dialled again, and the
/// other servers serve every call.
pub async fn removed_server_closes(cluster: &Cluster, cache: &impl ListClient) {
    let keys = write(cache, "removed").await;
    let gone = &cluster.proxies[2];
    assert!(
        gone.open_connections() > 0,
        "the client has no connection to server 2"
    );
    let change = cache.remove(&gone.addr()).expect("remove server 2");
    assert_eq!(change.removed, [gone.addr()]);
    assert!(!cache.servers().contains(&gone.addr()));
    assert!(homes(cache, &keys).iter().all(|s| *s != gone.addr()));
    until(cache, "the removed server's connections close", || {
        gone.open_connections() == 0
    })
    .await;
    let dialled = gone.connections();
    read_back(cache, &keys, |_| false).await;
    assert_eq!(
        gone.connections(),
        dialled,
        "the removed server was dialled again"
    );
}

/// What the test's resolver answers for [`NAME`], and how often it was
/// asked.
#[derive(Debug, Default)]
pub struct Record {
    answer: Mutex<Option<io::Result<Vec<SocketAddr>>>>,
    asked: AtomicUsize,
}

impl Record {
    fn set(&self, answer: io::Result<Vec<SocketAddr>>) {
        *self.answer.lock().unwrap() = Some(answer);
    }

    fn resolve(&self, name: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if name != NAME {
            return Err(io::Error::new(io::ErrorKind::NotFound, name.to_string()));
        }
        match &*self.answer.lock().unwrap() {
            Some(Ok(addresses)) => Ok(addresses.iter().map(|a| (a.ip(), port).into()).collect()),
            Some(Err(e)) => Err(io::Error::new(e.kind(), e.to_string())),
            None => Err(io::Error::new(io::ErrorKind::NotFound, "no record")),
        }
    }
}

/// The socket addresses of the first `n` proxies of `cluster`.
fn addresses(cluster: &Cluster, n: usize) -> Vec<SocketAddr> {
    // Proxy i listens on 127.0.0.(i + 1), all on one port.
    let port = cluster.proxies[0].port();
    (1..=n as u8)
        .map(|i| SocketAddr::from(([127, 0, 0, i], port)))
        .collect()
}

/// The configuration of the discovery scenario: [`NAME`] on the
/// cluster's port, resolved every 20 ms by `record`.
pub fn discovery_config(cluster: &Cluster, record: &Arc<Record>) -> ShardConfig {
    let port = cluster.proxies[0].port();
    let mut config: ShardConfig = format!(
        "gibson://{NAME}:{port}?response_timeout=400ms&connect_timeout=400ms&attempts=1&discover=20ms"
    )
    .parse()
    .expect("a discovery URL");
    let record = record.clone();
    config.resolver = Some(Resolver::new(move |name, port| record.resolve(name, port)));
    config
}

/// With `discover`, [`NAME`] resolves to three of four loopback addresses
/// on one port: the client uses those three; a 4th address appears and the
/// list follows, moving keys to it only; a resolution fails and the list
/// is kept; the name drops two addresses and their connections close.
pub async fn discovery_follows_the_name(
    cluster: &Cluster,
    cache: &impl ListClient,
    record: &Record,
) {
    let sorted = |mut list: Vec<Addr>| {
        list.sort_by_key(ToString::to_string);
        list
    };
    let three: Vec<Addr> = cluster.proxies[..3].iter().map(|p| p.addr()).collect();
    assert_eq!(
        sorted(cache.servers()),
        sorted(three.clone()),
        "the name's three addresses"
    );
    let keys = write(cache, "discover").await;
    let before = homes(cache, &keys);

    record.set(Ok(addresses(cluster, 4)));
    until(cache, "the 4th address joins", || {
        cache.servers().len() == 4
    })
    .await;
    only_to(
        &keys,
        &before,
        &homes(cache, &keys),
        &cluster.proxies[3].addr(),
    );
    let stored = cache.set_all(&keys[..CHUNK], "v").await;
    assert!(stored.iter().all(Result::is_ok), "{stored:?}");

    record.set(Err(io::Error::new(
        io::ErrorKind::NotFound,
        "the name vanished",
    )));
    let asked = record.asked.load(Ordering::SeqCst);
    until(cache, "two failed resolutions", || {
        record.asked.load(Ordering::SeqCst) >= asked + 2
    })
    .await;
    assert_eq!(
        cache.servers().len(),
        4,
        "a failed resolution changed the list"
    );

    record.set(Ok(addresses(cluster, 2)));
    until(cache, "two addresses leave", || cache.servers().len() == 2).await;
    for gone in &cluster.proxies[2..4] {
        until(cache, "a removed address's connections close", || {
            gone.open_connections() == 0
        })
        .await;
    }
    read_back(cache, &keys[..CHUNK], |_| false).await;
}

/// With `discover` and no resolver of its own, `localhost` on the port of
/// a proxy listening on 127.0.0.1 is resolved by the system: the client's
/// servers are loopback addresses on that port, 127.0.0.1 among them,
/// and (when that is the only one, as `/etc/hosts` usually says) a key
/// written reads back.
pub async fn discovery_by_the_system(cluster: &Cluster, cache: &impl ListClient) {
    let port = cluster.proxies[0].port();
    let servers = cache.servers();
    println!("localhost:{port} -> {servers:?}");
    let ours = Addr::Tcp {
        host: "127.0.0.1".into(),
        port,
    };
    assert!(servers.contains(&ours), "{servers:?}");
    for server in &servers {
        let Addr::Tcp { host, port: p } = server else {
            panic!("{server} is no TCP address");
        };
        let ip: std::net::IpAddr = host.parse().expect("an IP address");
        assert!(ip.is_loopback() && *p == port, "{server}");
    }
    if servers.len() == 1 {
        let key = vec![format!("{}k", unique_prefix("system-resolver"))];
        let stored = cache.set_all(&key, "v").await;
        assert!(stored.iter().all(Result::is_ok), "{stored:?}");
        read_back(cache, &key, |_| true).await;
    }
}

/// The cluster and client configuration of `scenario`, and the resolver's
/// record (for [`Scenario::Discovery`]).
fn setup(scenario: Scenario) -> (Cluster, ShardConfig, Arc<Record>) {
    let record = Arc::new(Record::default());
    let options = "retry_timeout=2s";
    match scenario {
        Scenario::Grows => {
            let cluster = Cluster::from_env(4);
            let config = cluster.url_over(3, options).parse().expect("a shard URL");
            (cluster, config, record)
        }
        Scenario::Removed => {
            let cluster = Cluster::from_env(3);
            let config = cluster.url(options).parse().expect("a shard URL");
            (cluster, config, record)
        }
        Scenario::Discovery => {
            let cluster = Cluster::on_one_port(4);
            record.set(Ok(addresses(&cluster, 3)));
            let config = discovery_config(&cluster, &record);
            (cluster, config, record)
        }
        Scenario::SystemResolver => {
            let cluster = Cluster::from_env(1);
            let port = cluster.proxies[0].port();
            let config = format!("gibson://localhost:{port}?response_timeout=400ms&discover=1s")
                .parse()
                .expect("a discovery URL");
            (cluster, config, record)
        }
    }
}

async fn run(scenario: Scenario, cluster: &Cluster, cache: &impl ListClient, record: &Record) {
    match scenario {
        Scenario::Grows => grows_under_a_workload(cluster, cache).await,
        Scenario::Removed => removed_server_closes(cluster, cache).await,
        Scenario::Discovery => discovery_follows_the_name(cluster, cache, record).await,
        Scenario::SystemResolver => discovery_by_the_system(cluster, cache).await,
    }
}

/// Runs `scenario` for an async sharded client on runtime `R`, built by
/// `connect`.
pub fn run_async<R, RR, F>(scenario: Scenario, connect: impl FnOnce(ShardConfig) -> F)
where
    R: Runtime,
    RR: gibson_async::Runtime,
    F: Future<Output = gibson_async::Sharded<RR>>,
{
    let (cluster, config, record) = setup(scenario);
    R::block_on(async {
        let cache = AsyncClient::<_, R>::new(connect(config).await);
        run(scenario, &cluster, &cache, &record).await;
    });
}

/// Runs `scenario` for the blocking sharded client built by `connect`.
pub fn run_blocking(
    scenario: Scenario,
    connect: impl FnOnce(ShardConfig) -> gibson_blocking::Sharded,
) {
    let (cluster, config, record) = setup(scenario);
    let cache = BlockingClient::new(connect(config));
    futures::executor::block_on(run(scenario, &cluster, &cache, &record));
}
