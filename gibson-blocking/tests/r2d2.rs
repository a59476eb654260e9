//! The r2d2 manager (feature `r2d2`): `cargo test -p gibson-blocking --features r2d2`.
#![cfg(feature = "r2d2")]

use gibson_blocking::{Commands, GibsonManager, Ttl};
use gibson_test_support::{unique_prefix, TestServer};

#[test]
fn r2d2_pool_hands_out_working_connections() {
    let server = TestServer::start();
    let pool = r2d2::Pool::builder()
        .max_size(2)
        .build(GibsonManager::new(server.config()))
        .unwrap();
    let p = unique_prefix("r2d2");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let pool = pool.clone();
            let p = p.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                conn.set(format!("{p}{t}"), t, Ttl::Never).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut conn = pool.get().unwrap();
    assert_eq!(conn.count(&p).unwrap(), 4);
    conn.mdel(&p).unwrap();
}
