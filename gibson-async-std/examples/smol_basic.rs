//! Single-key commands under smol, written once against `AsyncCommands`
//! (the same function runs on a tokio connection or on any pool): a
//! session stored with a TTL, read back with its time left, a visit
//! counter, a lock that refuses a delete until it is released, and a
//! pipeline.
//!
//! `cargo run -p gibson-async-std --example smol_basic` (set GIBSON_ADDR to use a real server).

use gibson_async_std::smol::{AsyncCommands, Connection, Error, MetaField, Ttl};

/// One visit to a page: the whole life of a session key.
async fn visit(cache: &impl AsyncCommands, session: &str) -> Result<(), Error> {
    let stored = cache.set(session, "user=ada", Ttl::Seconds(60)).await?;
    let read: Option<String> = cache.get(session).await?;
    let left = cache.meta(session, MetaField::Left).await?;
    println!("session {session}: stored {stored:?}, read {read:?}, {left:?} s left");

    let visits = [
        cache.inc("demo:visits").await?,
        cache.inc("demo:visits").await?,
    ];
    println!(
        "visits counted: {visits:?}, then one undone: {}",
        cache.dec("demo:visits").await?
    );

    // A locked key cannot be deleted until it is unlocked.
    cache.lock(session, 30).await?;
    if let Err(e) = cache.del(session).await {
        println!("delete while locked: {e}");
    }
    cache.unlock(session).await?;
    println!("delete once unlocked: {}", cache.del(session).await?);
    Ok(())
}

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let url = server.url();
    smol::block_on(async {
        let conn = Connection::connect(&url).await?;
        visit(&conn, "demo:session:1").await?;

        // Several commands, one write.
        let mut pipe = conn.pipeline();
        let (a, b) = (pipe.set("demo:a", "1", Ttl::Never), pipe.inc("demo:a"));
        let mut results = conn.run(pipe).await?;
        println!("pipeline: {:?} then {}", results.take(a)?, results.take(b)?);
        conn.mdel("demo:").await?;
        Ok(())
    })
}
