//! Code written once against `AsyncCommands` runs on a connection and on a
//! pool, and its futures can be spawned (they are `Send`).

use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{AsyncCommands, Connection, Error, Pool, Ttl};

/// Stores three counters under `prefix`, bumps them all, and reads them back.
async fn tally(cache: &impl AsyncCommands, prefix: &str) -> Result<Vec<(String, i64)>, Error> {
    for name in ["a", "b", "c"] {
        cache
            .set(format!("{prefix}{name}"), "10", Ttl::Never)
            .await?;
    }
    assert_eq!(cache.minc(prefix).await?, 3);
    assert_eq!(cache.inc(format!("{prefix}a")).await?, 12);
    let mut all: Vec<(String, i64)> = cache.mget(prefix).await?;
    all.sort();
    assert_eq!(cache.mdel(prefix).await?, 3);
    Ok(all)
}

fn expected(prefix: &str) -> Vec<(String, i64)> {
    vec![
        (format!("{prefix}a"), 12),
        (format!("{prefix}b"), 11),
        (format!("{prefix}c"), 11),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_generic_function_runs_on_a_connection_and_on_a_pool() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    let pool = Pool::with_config(server.config()).await.unwrap();

    let p = unique_prefix("generic-conn");
    let on_conn = tokio::spawn({
        let conn = conn.clone();
        let p = p.clone();
        async move { tally(&conn, &p).await }
    });
    assert_eq!(on_conn.await.unwrap().unwrap(), expected(&p));

    let q = unique_prefix("generic-pool");
    let on_pool = tokio::spawn({
        let pool = pool.clone();
        let q = q.clone();
        async move { tally(&pool, &q).await }
    });
    assert_eq!(on_pool.await.unwrap().unwrap(), expected(&q));
}
