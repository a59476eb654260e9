//! The deadpool manager (feature `deadpool`): `cargo test -p gibson-tokio --features deadpool`.
#![cfg(feature = "deadpool")]

use deadpool::managed::Pool;
use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{AsyncCommands, DeadpoolManager, Ttl};

#[tokio::test]
async fn deadpool_hands_out_working_connections() {
    let server = TestServer::start();
    let pool = Pool::<DeadpoolManager>::builder(DeadpoolManager::new(server.config()))
        .max_size(2)
        .build()
        .unwrap();
    let p = unique_prefix("deadpool");
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let pool = pool.clone();
            let p = p.clone();
            tokio::spawn(async move {
                let conn = pool.get().await.unwrap();
                conn.set(format!("{p}{t}"), t, Ttl::Never).await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let conn = pool.get().await.unwrap();
    assert_eq!(conn.count(&p).await.unwrap(), 4);
    conn.mdel(&p).await.unwrap();
    assert!(pool.status().size <= 2);
}

#[tokio::test]
async fn a_connection_to_a_stopped_server_is_not_handed_out() {
    let mut server = TestServer::start();
    if server.is_external() {
        return; // an external server cannot be stopped
    }
    let pool = Pool::<DeadpoolManager>::builder(DeadpoolManager::new(server.config()))
        .max_size(1)
        .build()
        .unwrap();
    pool.get().await.unwrap().ping().await.unwrap();
    server.stop();
    // Recycling PINGs the idle connection, which fails, and so does opening another.
    assert!(pool.get().await.is_err());
    server.restart();
    pool.get().await.unwrap().ping().await.unwrap();
}
