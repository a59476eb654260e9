//! The `r2d2` feature: blocking connections from an `r2d2::Pool`, for code
//! already built around r2d2 (the crate's own `Pool` needs no extra crate).
//!
//! `cargo run -p gibson-blocking --features r2d2 --example r2d2_pool` (set GIBSON_ADDR to use a real server).

use std::thread;

use gibson_blocking::{Commands, GibsonManager, Ttl};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let p = gibson_test_support::unique_prefix("r2d2");

    let manager = GibsonManager::new(server.config());
    let pool = r2d2::Pool::builder().max_size(3).build(manager)?;

    // Eight threads, three connections: r2d2 hands them out in turn.
    let workers: Vec<_> = (0..8)
        .map(|t| {
            let pool = pool.clone();
            let p = p.clone();
            thread::spawn(move || -> Result<(), String> {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                let key = format!("{p}job:{t}");
                conn.set(&key, format!("done by thread {t}"), Ttl::Seconds(60))
                    .map_err(|e| e.to_string())?;
                let back: Option<String> = conn.get(&key).map_err(|e| e.to_string())?;
                if back.as_deref() != Some(format!("done by thread {t}").as_str()) {
                    return Err(format!("{key}: read back {back:?}"));
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a worker panicked")?;
    }

    let mut conn = pool.get()?;
    let jobs = conn.count(format!("{p}job:"))?;
    let state = pool.state();
    println!(
        "{jobs} jobs written by 8 threads over {} pooled connections",
        state.connections
    );
    assert_eq!(jobs, 8);
    assert!(state.connections <= 3);
    conn.mdel(&p)?;
    Ok(())
}
