//! The bb8 manager (feature `bb8`): `cargo test -p gibson-tokio --features bb8`.
#![cfg(feature = "bb8")]

use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{AsyncCommands, GibsonManager, Ttl};

#[tokio::test]
async fn bb8_pool_hands_out_working_connections() {
    let server = TestServer::start();
    let pool = bb8::Pool::builder()
        .max_size(2)
        .build(GibsonManager::new(server.config()))
        .await
        .unwrap();
    let p = unique_prefix("bb8");
    {
        let conn = pool.get().await.unwrap();
        conn.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
    }
    let conn = pool.get().await.unwrap();
    let v = conn.get::<String>(format!("{p}k")).await.unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    conn.del(format!("{p}k")).await.unwrap();
    assert!(pool.state().connections <= 2);
}
