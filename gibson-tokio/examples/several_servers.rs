//! Several servers as one cache: keys spread by the ring, a server added
//! while the client runs (only its share of the keys moves), copies of
//! each key with hedged reads around a slow server, and a server list
//! discovered from a name.
//!
//! `cargo run -p gibson-tokio --example several_servers` (four embedded
//! servers, each behind a proxy that listens on one port at 127.0.0.1,
//! 127.0.0.2, …, as one name's addresses would).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gibson_test_support::cluster::Cluster;
use gibson_test_support::proxy::Faults;
use gibson_tokio::shard::{Resolver, ShardConfig};
use gibson_tokio::{AsyncCommands, Error, Sharded, Ttl};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let cluster = Cluster::on_one_port(4);
    let addr = |i: usize| cluster.proxies[i].addr();
    let users = gibson_test_support::unique_prefix("users");
    let keys: Vec<String> = (0..10_000).map(|i| format!("{users}{i}")).collect();

    // -- Three servers as one cache.
    let cache = Sharded::connect(&format!("gibson://{},{},{}", addr(0), addr(1), addr(2))).await?;
    for chunk in keys.chunks(500) {
        cache
            .set_multi(chunk.iter().map(|k| (k.as_str(), "v")), Ttl::Seconds(600))
            .await?;
    }
    println!(
        "{} keys over {} servers, {} under {users}",
        keys.len(),
        cache.servers().len(),
        cache.count(users.as_str()).await?
    );

    // -- A 4th server joins while the client runs: only the keys it takes move.
    let before: Vec<_> = keys
        .iter()
        .map(|k| cache.server_for(k))
        .collect::<Result<_, _>>()?;
    let change = cache.add(addr(3))?;
    let moved = keys
        .iter()
        .zip(&before)
        .filter(|(k, was)| cache.server_for(k).ok().as_ref() != Some(*was))
        .count();
    println!(
        "{change}: {moved} of {} keys moved ({:.0} %)",
        keys.len(),
        moved as f64 / keys.len() as f64 * 100.0
    );
    // A moved key is a miss on its new server until it is written again
    // (unless the servers share one store, as with GIBSON_TEST_ADDR).
    let moved_key = keys
        .iter()
        .find(|k| cache.server_for(k.as_str()).ok() == Some(addr(3)))
        .expect("a moved key");
    let there: Option<String> = cache.get(moved_key.as_str()).await?;
    println!("{moved_key} on the new server -> {there:?}");
    cache.remove(&addr(3))?;
    assert_eq!(
        cache.get::<String>(moved_key.as_str()).await?.as_deref(),
        Some("v")
    );

    // -- Copies of each key, and a read not answered in 5 ms also asks the next copy.
    let copies = Sharded::connect(&format!(
        "gibson://{},{},{}?replicas=1&hedge=5ms",
        addr(0),
        addr(1),
        addr(2)
    ))
    .await?;
    let hot = gibson_test_support::unique_prefix("hot");
    for i in 0..200 {
        copies
            .set(format!("{hot}{i}"), "x", Ttl::Seconds(600))
            .await?; // on two servers
    }
    cluster.proxies[1].set_faults(Faults {
        latency: Duration::from_millis(50),
        ..Faults::default()
    });
    let mut took = Vec::new();
    for i in 0..200 {
        let started = Instant::now();
        let value: Option<String> = copies.get(format!("{hot}{i}")).await?;
        took.push(started.elapsed());
        assert_eq!(value.as_deref(), Some("x"));
    }
    cluster.proxies[1].set_faults(Faults::default());
    took.sort();
    let hedges = copies.hedge_stats();
    println!(
        "one server 50 ms slow: 200 reads, p50 {:?}, p99 {:?}; {} hedges sent, {} won",
        took[100], took[197], hedges.sent, hedges.won
    );

    // -- The server list of a name, followed as it changes. Without a
    // resolver the system's answers (DNS: a Kubernetes headless service,
    // a round-robin name); here a registry the application keeps.
    let registry: Arc<Mutex<Vec<IpAddr>>> = Arc::new(Mutex::new(vec![
        [127, 0, 0, 1].into(),
        [127, 0, 0, 2].into(),
    ]));
    let port = cluster.proxies[0].port();
    let mut config: ShardConfig =
        format!("gibson://cache.internal:{port}?discover=50ms").parse()?;
    let known = registry.clone();
    config.resolver = Some(Resolver::new(move |_name, port| {
        Ok(known
            .lock()
            .unwrap()
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect())
    }));
    let discovered = Sharded::with_config(config).await?;
    let names = |cache: &Sharded| {
        cache
            .servers()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    println!("cache.internal -> {:?}", names(&discovered));
    registry.lock().unwrap().push([127, 0, 0, 3].into());
    while discovered.servers().len() < 3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!("cache.internal -> {:?}", names(&discovered));
    discovered
        .set("greeting", "hello", Ttl::Seconds(60))
        .await?;
    assert_eq!(
        discovered.get::<String>("greeting").await?.as_deref(),
        Some("hello")
    );

    cache.mdel(users.as_str()).await?;
    copies.mdel(hot.as_str()).await?;
    Ok(())
}
