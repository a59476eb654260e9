//! The blocking client on `std::net`: a connection, a pipeline, and a
//! pool shared by threads, each result checked.
//!
//! `cargo run -p gibson-blocking --example blocking_basic` (set GIBSON_ADDR to use a real server).

use std::thread;

use gibson_blocking::{Commands, Connection, Error, Pool, Ttl};

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let p = gibson_test_support::unique_prefix("blocking");

    // One connection, one request at a time.
    let mut conn = Connection::connect(&server.url())?;
    conn.set(format!("{p}user:1"), "ada", Ttl::Seconds(60))?;
    let name: Option<String> = conn.get(format!("{p}user:1"))?;
    println!("get user:1     -> {name:?}");
    assert_eq!(name.as_deref(), Some("ada"));

    // A pipeline: three commands, one write, typed results in order.
    let mut pipe = conn.pipeline();
    let set = pipe.set(format!("{p}hits"), "41", Ttl::Never);
    let inc = pipe.inc(format!("{p}hits"));
    let count = pipe.count(&p);
    let mut results = conn.run(pipe)?;
    println!("pipeline       -> set {:?}", results.take(set)?);
    let hits = results.take(inc)?;
    println!("pipeline       -> inc {hits}");
    assert_eq!(hits, 42);
    assert_eq!(results.take(count)?, 2);

    // A pool: four threads take turns on at most two connections.
    let pool = Pool::connect(&format!("{}?pool_max=2", server.url()))?;
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let pool = pool.clone();
            let p = p.clone();
            thread::spawn(move || -> Result<i64, Error> {
                let mut conn = pool.checkout()?;
                conn.set(format!("{p}thread:{t}"), t.to_string(), Ttl::Seconds(60))?;
                conn.inc(format!("{p}hits"))
            })
        })
        .collect();
    for worker in workers {
        let hits = worker.join().expect("a worker panicked")?;
        println!("thread inc     -> {hits}");
    }
    let total: Option<i64> = conn.get(format!("{p}hits"))?;
    println!(
        "hits in total  -> {total:?} ({} connections opened)",
        pool.open()
    );
    assert_eq!(total, Some(46));
    assert!(pool.open() <= 2);
    conn.mdel(&p)?;
    Ok(())
}
