//! A near cache shared by threads, each with a connection of its own from
//! a pool: hot values from local memory, one version check per prefix per
//! `max_staleness` however many threads read.
//!
//! `cargo run -p gibson-blocking --features near --example blocking_near` (set GIBSON_ADDR to use a real server).

use std::time::Duration;

use gibson_blocking::{Commands, Error, NearCache, NearConfig, Pool, Ttl};

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let users = gibson_test_support::unique_prefix("near-users");
    let pool = Pool::connect(&server.url())?;
    let config = NearConfig::new([users.as_str()]).max_staleness(Duration::from_secs(1));
    let mut near = NearCache::new(pool.checkout()?, config)?;
    for i in 0..10 {
        near.set(
            format!("{users}{i}"),
            format!("user {i}"),
            Ttl::Seconds(600),
        )?;
    }
    std::thread::scope(|s| {
        for _ in 0..4 {
            let mut mine = near.with_client(pool.checkout()?);
            let users = users.as_str();
            s.spawn(move || {
                for round in 0..100 {
                    let i = round % 10;
                    let name: Option<String> = mine.get(format!("{users}{i}")).unwrap();
                    assert_eq!(name, Some(format!("user {i}")));
                }
            });
        }
        Ok::<(), Error>(())
    })?;
    let stats = near.near_stats();
    println!("stats          -> {stats:?}");
    assert_eq!(stats.hits + stats.misses + stats.bypasses, 400);
    assert!(stats.hits > 300, "most reads come from memory: {stats:?}");
    near.mdel(users.as_str())?;
    Ok(())
}
