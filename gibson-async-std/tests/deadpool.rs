//! The deadpool manager (feature `deadpool`), under async-std and smol:
//! `cargo test -p gibson-async-std --features deadpool`.
#![cfg(feature = "deadpool")]

use deadpool::managed::Pool;
use gibson_async_std::{AsyncCommands, Ttl};
use gibson_test_support::{unique_prefix, TestServer};

/// Two connections held at once, each used, both returned, then reused.
macro_rules! checks {
    ($name:ident, $manager:ty, $block_on:path) => {
        #[test]
        fn $name() {
            $block_on(async {
                let server = TestServer::start();
                let pool = Pool::<$manager>::builder(<$manager>::new(server.config()))
                    .max_size(2)
                    .build()
                    .unwrap();
                let p = unique_prefix("deadpool");
                {
                    let (a, b) = (pool.get().await.unwrap(), pool.get().await.unwrap());
                    a.set(format!("{p}a"), "1", Ttl::Never).await.unwrap();
                    b.set(format!("{p}b"), "2", Ttl::Never).await.unwrap();
                    assert_eq!(pool.status().size, 2);
                }
                let conn = pool.get().await.unwrap();
                assert_eq!(conn.count(&p).await.unwrap(), 2);
                conn.mdel(&p).await.unwrap();
                assert_eq!(pool.status().size, 2, "both connections were reused");
            })
        }
    };
}

checks!(
    async_std_connections,
    gibson_async_std::DeadpoolManager,
    async_std::task::block_on
);
checks!(
    smol_connections,
    gibson_async_std::smol::DeadpoolManager,
    smol::block_on
);
