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

/// Runs `tally` on `cache` in a spawned task (so its future must be `Send`)
/// under a fresh prefix, and checks what it read back.
async fn tally_in_a_task<C: AsyncCommands + Send + 'static>(cache: C, tag: &str) {
    let prefix = unique_prefix(tag);
    let task = tokio::spawn({
        let prefix = prefix.clone();
        async move { tally(&cache, &prefix).await }
    });
    assert_eq!(task.await.unwrap().unwrap(), expected(&prefix));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_generic_function_runs_on_a_connection_and_on_a_pool() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    let pool = Pool::with_config(server.config()).await.unwrap();
    tally_in_a_task(conn, "generic-conn").await;
    tally_in_a_task(pool, "generic-pool").await;
}

/// pylibmc's multi-key calls, written once: one pipeline, each key's
/// result in order, a refused key failing alone.
async fn multi(cache: &impl AsyncCommands, prefix: &str) -> Result<(), Error> {
    let keys: Vec<String> = (0..50).map(|i| format!("{prefix}{i}")).collect();
    let stored = cache
        .set_multi(
            keys.iter().map(|k| (k.as_str(), k.as_str())),
            Ttl::Seconds(60),
        )
        .await?;
    assert!(stored.iter().all(Result::is_ok), "{stored:?}");
    let mut asked: Vec<String> = keys.clone();
    asked.insert(10, "not a valid key".to_string());
    asked.insert(20, format!("{prefix}absent"));
    let values = cache
        .get_multi::<_, String>(asked.iter().map(String::as_str))
        .await?;
    assert_eq!(values.len(), 52);
    for (key, value) in asked.iter().zip(&values) {
        match key.as_str() {
            "not a valid key" => assert!(matches!(value, Err(Error::InvalidArgument { .. }))),
            k if k.ends_with("absent") => assert_eq!(value.as_ref().unwrap(), &None),
            k => assert_eq!(value.as_ref().unwrap().as_deref(), Some(k)),
        }
    }
    let deleted = cache
        .delete_multi([keys[0].as_str(), "nope:nope", keys[1].as_str()])
        .await?;
    let deleted: Vec<bool> = deleted.into_iter().map(Result::unwrap).collect();
    assert_eq!(deleted, [true, false, true]);
    assert_eq!(cache.count(prefix).await?, 48);
    Ok(())
}

#[tokio::test]
async fn multi_key_calls_on_a_connection_and_a_pool() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    let pool = Pool::with_config(server.config()).await.unwrap();
    multi(&conn, &unique_prefix("multi-conn")).await.unwrap();
    multi(&pool, &unique_prefix("multi-pool")).await.unwrap();
}
