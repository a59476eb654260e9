//! A `#[concurrent_cached]` function whose results live in Gibson: computed
//! once per key for every process that shares the server, expiring with
//! the store's lifespan, and cleared with one MDEL.
//!
//! `cargo run -p gibson-tokio --example cached` (set GIBSON_ADDR to use a real server).

use std::sync::OnceLock;
use std::time::Duration;

use cached::concurrent_cached;
use gibson_tokio::{AsyncCommands, CacheStore, Connection, Error, Json, Ttl};

/// Where the store connects (set once in `main`).
static SERVER_URL: OnceLock<String> = OnceLock::new();

/// The store: the namespace `demo:weather:`, values as JSON, ten minutes.
async fn weather_store() -> CacheStore<Connection, Json> {
    let url = SERVER_URL.get().expect("set in main");
    let conn = Connection::connect(url).await.expect("connect");
    CacheStore::new(conn, "demo:weather:", Ttl::Seconds(600)).expect("a valid prefix")
}

/// A slow lookup, cached in Gibson under `demo:weather:<city>`.
#[concurrent_cached(
    ty = "CacheStore<Connection, Json>",
    create = r##"{ weather_store().await }"##,
    map_error = r##"|e| e"##,
    key = "String",
    convert = r##"{ city.to_lowercase() }"##
)]
async fn forecast(city: &str) -> Result<Vec<String>, Error> {
    tokio::time::sleep(Duration::from_millis(300)).await; // the expensive part
    Ok(vec![
        format!("{city}: sunny"),
        format!("{city}: rain later"),
    ])
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    SERVER_URL.set(server.url()).expect("set once");

    for city in ["Paris", "paris", "Oslo"] {
        let started = std::time::Instant::now();
        let days = forecast(city).await?;
        println!("{city:<6} -> {days:?} in {:?}", started.elapsed());
    }

    // The results are ordinary items: any client sees them.
    let conn = Connection::connect(&server.url()).await?;
    let items = conn.count("demo:weather:").await?;
    println!("items  -> {items}");
    assert_eq!(items, 2, "Paris and paris share one item");

    // Clearing the cache is one MDEL of the store's namespace.
    let store = FORECAST.get().expect("made by the first call");
    println!("cleared -> {} items", store.invalidate().await?);
    let items = conn.count("demo:weather:").await?;
    println!("items  -> {items}");
    assert_eq!(items, 0);
    Ok(())
}
