//! A near cache in front of an async-std connection: hot values from
//! local memory, the process's own writes seen at once.
//!
//! `cargo run -p gibson-async-std --features near --example async_std_near` (set GIBSON_ADDR to use a real server).

use std::time::Duration;

use gibson_async_std::{AsyncCommands, Connection, Error, NearCache, NearConfig, Ttl};

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let pages = gibson_test_support::unique_prefix("near-pages");
    async_std::task::block_on(async {
        let conn = Connection::connect(&server.url()).await?;
        let config = NearConfig::new([pages.as_str()]).max_staleness(Duration::from_millis(250));
        let near = NearCache::new(conn, config)?;
        let key = format!("{pages}home");
        near.set(key.as_str(), "<h1>hello</h1>", Ttl::Seconds(60))
            .await?;
        for _ in 0..3 {
            let page: Option<String> = near.get(key.as_str()).await?;
            assert_eq!(page.as_deref(), Some("<h1>hello</h1>"));
        }
        near.set(key.as_str(), "<h1>hello again</h1>", Ttl::Seconds(60))
            .await?;
        let page: Option<String> = near.get(key.as_str()).await?;
        println!("home           -> {page:?}");
        assert_eq!(page.as_deref(), Some("<h1>hello again</h1>"));
        let stats = near.near_stats();
        println!("stats          -> {stats:?}");
        assert_eq!(stats.hits, 2);
        near.mdel(pages.as_str()).await?;
        Ok(())
    })
}
