//! A near cache in front of a pool: hot profiles served from local memory,
//! a write seen at once by this process and within `max_staleness` by
//! another one (here a second near cache with a memory of its own).
//!
//! `cargo run -p gibson-tokio --features near --example near` (set GIBSON_ADDR to use a real server).

use std::time::{Duration, Instant};

use gibson_tokio::{AsyncCommands, Error, NearCache, NearConfig, Pool, Ttl};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let users = gibson_test_support::unique_prefix("near-users");
    let key = format!("{users}1");

    // Every process caching `users` names the same prefix and bound.
    let config = NearConfig::new([users.as_str()]).max_staleness(Duration::from_millis(100));
    let pool = Pool::connect(&server.url()).await?;
    let near = NearCache::new(pool.clone(), config.clone())?;
    let other_process = NearCache::new(Pool::connect(&server.url()).await?, config)?;

    near.set(key.as_str(), "ada", Ttl::Seconds(600)).await?;
    for _ in 0..3 {
        let started = Instant::now();
        let name: Option<String> = near.get(key.as_str()).await?;
        println!("get            -> {name:?} in {:?}", started.elapsed());
        assert_eq!(name.as_deref(), Some("ada"));
    }
    let stats = near.near_stats();
    println!(
        "stats          -> {} hits, {} misses",
        stats.hits, stats.misses
    );
    assert_eq!((stats.hits, stats.misses), (2, 1));

    // The other process writes; this one sees it within max_staleness.
    other_process
        .set(key.as_str(), "grace", Ttl::Seconds(600))
        .await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let name: Option<String> = near.get(key.as_str()).await?;
    println!("after a write  -> {name:?}");
    assert_eq!(name.as_deref(), Some("grace"));

    // Keys outside the cached prefixes go to the server as they are.
    let other: Option<String> = near.get("not-cached").await?;
    assert_eq!(other, None);
    near.mdel(users.as_str()).await?;
    Ok(())
}
