//! A `cached` store under smol (`ConcurrentCachedAsync`, what `cached`
//! 0.x called `IOCachedAsync`): the roles of each user, looked up once and
//! kept in a Gibson namespace as MessagePack, shared by every task and
//! process that uses the server, and cleared with one MDEL. The same store
//! backs a `#[concurrent_cached]` function (the tokio example `cached`).
//!
//! `cargo run -p gibson-async-std --example smol_cached` (set GIBSON_ADDR to use a real server).

use std::sync::atomic::{AtomicUsize, Ordering};

use cached::ConcurrentCachedAsync;
use gibson_async_std::smol::{CacheStore, Error, MsgPack, Pool, Ttl};
use gibson_async_std::AsyncCommands;

/// The store: over a pool, values as MessagePack.
type RoleCache = CacheStore<Pool, MsgPack>;

/// How many lookups reached the slow source.
static LOOKUPS: AtomicUsize = AtomicUsize::new(0);

/// The roles of `user`: from the store, or looked up and stored.
async fn roles(cache: &RoleCache, user: u32) -> Result<Vec<String>, Error> {
    if let Some(hit) = cache.cache_get(&user).await? {
        return Ok(hit);
    }
    LOOKUPS.fetch_add(1, Ordering::SeqCst);
    smol::Timer::after(std::time::Duration::from_millis(100)).await; // the slow part
    let found = match user {
        1 => vec!["admin".to_string(), "editor".to_string()],
        _ => vec!["reader".to_string()],
    };
    cache.cache_set(user, found.clone()).await?;
    Ok(found)
}

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let p = gibson_test_support::unique_prefix("smol-cached");
    smol::block_on(async {
        let pool = Pool::with_config(server.config()).await?;
        let cache = RoleCache::new(pool.clone(), &p, Ttl::Seconds(300))?;

        for user in [1, 2, 1, 2, 1] {
            println!("user {user} -> {:?}", roles(&cache, user).await?);
        }
        let lookups = LOOKUPS.load(Ordering::SeqCst);
        println!("slow lookups -> {lookups} for 5 calls");
        assert_eq!(lookups, 2);

        // The items are ordinary ones, with the store's TTL.
        assert_eq!(pool.count(p.as_str()).await?, 2);
        let removed: Option<Vec<String>> = cache.cache_remove(&2).await?;
        assert_eq!(removed, Some(vec!["reader".to_string()]));

        // Clearing the cache is one MDEL of the store's namespace.
        let cleared = cache.invalidate().await?;
        println!("cleared -> {cleared} item(s)");
        assert_eq!(cleared, 1);
        assert_eq!(roles(&cache, 1).await?.len(), 2);
        assert_eq!(LOOKUPS.load(Ordering::SeqCst), 3, "looked up again");
        cache.invalidate().await?;
        Ok(())
    })
}
