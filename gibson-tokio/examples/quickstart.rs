//! The tour: every Gibson command, a pool and a pipeline, printing what
//! each returns.
//!
//! ```text
//! cargo run -p gibson-tokio --example quickstart
//! GIBSON_ADDR=127.0.0.1:10128 cargo run -p gibson-tokio --example quickstart
//! GIBSON_ADDR="gibson://127.0.0.1:10128?response_timeout=2s" cargo run -p gibson-tokio --example quickstart
//! ```
//!
//! Without `GIBSON_ADDR` it starts the embedded `gibson-server`.

use gibson_tokio::{Connection, Error, LockTime, MetaField, Pool, Ttl};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let url = server.url();
    let conn = Connection::connect(&url).await?;
    println!("connected to {url}\n");

    println!("-- single keys");
    println!(
        "set foo bar (ttl 3600) -> {:?}",
        conn.set("qs:foo", "bar", Ttl::Seconds(3600)).await?
    );
    println!(
        "get foo                -> {:?}",
        conn.get::<String>("qs:foo").await?
    );
    println!(
        "ttl foo 60             -> {}",
        conn.ttl("qs:foo", Ttl::Seconds(60)).await?
    );
    println!(
        "meta foo left          -> {:?}",
        conn.meta("qs:foo", MetaField::Left).await?
    );
    println!(
        "inc counter            -> {}",
        conn.inc("qs:counter").await?
    );
    println!(
        "inc counter            -> {}",
        conn.inc("qs:counter").await?
    );
    println!(
        "dec counter            -> {}",
        conn.dec("qs:counter").await?
    );
    println!(
        "lock foo 10s           -> {}",
        conn.lock("qs:foo", 10).await?
    );
    match conn.set("qs:foo", "baz", Ttl::Never).await {
        Err(e) if e.is_locked() => println!("set foo (locked)       -> error: {e}"),
        other => println!("set foo (locked)       -> {other:?}"),
    }
    println!("unlock foo             -> {}", conn.unlock("qs:foo").await?);
    println!("del foo                -> {}", conn.del("qs:foo").await?);
    println!(
        "get foo                -> {:?}",
        conn.get::<String>("qs:foo").await?
    );
    let stats = conn.stats().await?;
    println!(
        "stats                  -> server {}, {} items, {} requests",
        stats.server_version, stats.total_items, stats.total_requests
    );

    println!("\n-- prefixes");
    for (k, v) in [
        ("qs:user:1", "10"),
        ("qs:user:2", "20"),
        ("qs:user:3", "ada"),
    ] {
        conn.set(k, v, Ttl::Never).await?;
    }
    println!(
        "mset qs:user: 0        -> {} changed",
        conn.mset("qs:user:", "0").await?
    );
    println!(
        "mget qs:user:          -> {:?}",
        conn.mget::<String, String>("qs:user:").await?
    );
    println!(
        "mttl qs:user: 600      -> {} changed",
        conn.mttl("qs:user:", Ttl::Seconds(600)).await?
    );
    println!(
        "minc qs:user:          -> {} changed",
        conn.minc("qs:user:").await?
    );
    println!(
        "mdec qs:user:          -> {} changed",
        conn.mdec("qs:user:").await?
    );
    println!(
        "mlock qs:user: forever -> {} locked",
        conn.mlock("qs:user:", LockTime::UntilUnlock).await?
    );
    println!(
        "mdel qs:user: (locked) -> {} deleted",
        conn.mdel("qs:user:").await?
    );
    println!(
        "munlock qs:user:       -> {} unlocked",
        conn.munlock("qs:user:").await?
    );
    println!(
        "keys qs:user:          -> {:?}",
        conn.keys::<String>("qs:user:").await?
    );
    println!(
        "count qs:user:         -> {}",
        conn.count("qs:user:").await?
    );
    println!(
        "mdel qs:user:          -> {} deleted",
        conn.mdel("qs:user:").await?
    );
    println!(
        "count qs:user:         -> {}",
        conn.count("qs:user:").await?
    );

    println!("\n-- a pool shared by 8 tasks");
    // The server's settings (GIBSON_ADDR may be a URL with options), and
    // the pool's size: set on the config, never appended to the URL.
    let mut config = server.config();
    config.pool.min_size = 1;
    config.pool.max_size = 4;
    let pool = Pool::with_config(config).await?;
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let pool = pool.clone();
            tokio::spawn(async move { pool.inc(format!("qs:pool:{}", t % 2)).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task")?;
    }
    println!(
        "mget qs:pool:          -> {:?}",
        pool.mget::<String, i64>("qs:pool:").await?
    );
    pool.mdel("qs:pool:").await?;

    println!("\n-- a pipeline: five commands, one write");
    let mut pipe = conn.pipeline();
    let set = pipe.set("qs:pipe", "41", Ttl::Never);
    let inc = pipe.inc("qs:pipe");
    let get = pipe.get::<i64>("qs:pipe");
    let bad = pipe.get::<String>("no spaces allowed");
    let del = pipe.del("qs:pipe");
    let mut results = conn.run(pipe).await?;
    println!("set  -> {:?}", results.take(set)?);
    println!("inc  -> {}", results.take(inc)?);
    println!("get  -> {:?}", results.take(get)?);
    println!("bad  -> {}", results.take(bad).unwrap_err());
    println!("del  -> {}", results.take(del)?);
    Ok(())
}
