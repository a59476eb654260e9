//! A `#[concurrent_cached]` function, blocking, whose results live in
//! Gibson (`cached`'s `ConcurrentCached` store, once called `IOCached`):
//! threads share one store over a pool, each price is computed once, and
//! one MDEL clears them all.
//!
//! `cargo run -p gibson-blocking --example blocking_cached` (set GIBSON_ADDR to use a real server).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread;

use cached::concurrent_cached;
use gibson_blocking::{CacheStore, Commands, Config, Error, Json, Pool, Ttl};

/// The server and the store's namespace, set once in `main` (the store is
/// made on the function's first call).
static SETUP: OnceLock<(Config, String)> = OnceLock::new();
/// How many times the expensive part ran.
static COMPUTED: AtomicUsize = AtomicUsize::new(0);

/// The store: one namespace, values as JSON, ten minutes.
fn price_store() -> CacheStore<Json> {
    let (config, prefix) = SETUP.get().expect("set in main");
    let pool = Pool::with_config(config.clone()).expect("a pool");
    CacheStore::new(pool, prefix, Ttl::Seconds(600)).expect("a valid prefix")
}

/// A slow price lookup, cached in Gibson under `<prefix><sku>`.
#[concurrent_cached(
    ty = "CacheStore<Json>",
    create = "{ price_store() }",
    map_error = "|e| e"
)]
fn price(sku: u32) -> Result<u32, Error> {
    COMPUTED.fetch_add(1, Ordering::SeqCst);
    thread::sleep(std::time::Duration::from_millis(100)); // the expensive part
    Ok(sku * 3 + 99)
}

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let p = gibson_test_support::unique_prefix("blocking-cached");
    SETUP.set((server.config(), p.clone())).expect("set once");

    // The first call makes the store and computes; the others are hits.
    let first = price(7)?;
    let threads: Vec<_> = (0..4).map(|_| thread::spawn(|| price(7))).collect();
    for t in threads {
        assert_eq!(t.join().expect("a thread panicked")?, first);
    }
    println!(
        "price of 7      -> {first}, computed {} time(s)",
        COMPUTED.load(Ordering::SeqCst)
    );
    assert_eq!(COMPUTED.load(Ordering::SeqCst), 1);

    // The results are ordinary items: any client sees them.
    let mut conn = gibson_blocking::Connection::with_config(server.config())?;
    assert_eq!(conn.count(p.as_str())?, 1);

    // Clearing the cache is one MDEL of the store's namespace.
    let cleared = PRICE.invalidate()?;
    println!("cleared        -> {cleared} item(s)");
    assert_eq!(cleared, 1);
    assert_eq!(conn.count(p.as_str())?, 0);
    Ok(())
}
