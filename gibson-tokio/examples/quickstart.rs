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

use std::fmt::Debug;

use gibson_tokio::{AsyncCommands, Connection, Error, LockTime, MetaField, Pool, Ttl};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let url = server.url();
    let conn = Connection::connect(&url).await?;
    println!("connected to {url}\n");

    println!("-- single keys");
    show(
        "set foo bar (ttl 3600)",
        conn.set("qs:foo", "bar", Ttl::Seconds(3600)).await?,
    );
    show("get foo", conn.get::<String>("qs:foo").await?);
    show("ttl foo 60", conn.ttl("qs:foo", Ttl::Seconds(60)).await?);
    show("meta foo left", conn.meta("qs:foo", MetaField::Left).await?);
    show("inc counter", conn.inc("qs:counter").await?);
    show("inc counter", conn.inc("qs:counter").await?);
    show("dec counter", conn.dec("qs:counter").await?);
    show("lock foo 10s", conn.lock("qs:foo", 10).await?);
    match conn.set("qs:foo", "baz", Ttl::Never).await {
        Err(e) if e.is_locked() => println!("set foo (locked)       -> error: {e}"),
        other => println!("set foo (locked)       -> {other:?}"),
    }
    show("unlock foo", conn.unlock("qs:foo").await?);
    show("del foo", conn.del("qs:foo").await?);
    show("get foo", conn.get::<String>("qs:foo").await?);
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
    let p = "qs:user:";
    counted("mset qs:user: 0", conn.mset(p, "0").await?, "changed");
    show("mget qs:user:", conn.mget::<String, String>(p).await?);
    counted(
        "mttl qs:user: 600",
        conn.mttl(p, Ttl::Seconds(600)).await?,
        "changed",
    );
    counted("minc qs:user:", conn.minc(p).await?, "changed");
    counted("mdec qs:user:", conn.mdec(p).await?, "changed");
    counted(
        "mlock qs:user: forever",
        conn.mlock(p, LockTime::UntilUnlock).await?,
        "locked",
    );
    counted("mdel qs:user: (locked)", conn.mdel(p).await?, "deleted");
    counted("munlock qs:user:", conn.munlock(p).await?, "unlocked");
    show("keys qs:user:", conn.keys::<String>(p).await?);
    show("count qs:user:", conn.count(p).await?);
    counted("mdel qs:user:", conn.mdel(p).await?, "deleted");
    show("count qs:user:", conn.count(p).await?);

    println!("\n-- a pool shared by 8 tasks");
    // The server's settings (GIBSON_ADDR may be a URL with options), and
    // the pool's size: set on the config, never appended to the URL.
    let pool = Pool::with_config(server.config().pool_min(1).pool_max(4)).await?;
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let pool = pool.clone();
            tokio::spawn(async move { pool.inc(format!("qs:pool:{}", t % 2)).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task")?;
    }
    show("mget qs:pool:", pool.mget::<String, i64>("qs:pool:").await?);
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

/// Prints one step of the tour: the command, then what it returned.
fn show(command: &str, returned: impl Debug) {
    println!("{command:<22} -> {returned:?}");
}

/// Prints one step of the tour that counts keys: the command, then how
/// many keys it found `what`.
fn counted(command: &str, n: u64, what: &str) {
    println!("{command:<22} -> {n} {what}");
}
